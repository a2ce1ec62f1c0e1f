//! Keyword and keyphrase extraction in the spirit of YAKE: candidate n-grams (1–3 words)
//! that neither start nor end with a stopword, scored by frequency, spread and position.
//! Works on one text or a whole corpus; stopword lists per language are ours (Hebrew
//! includes common prefixed forms).

use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::cues::Prepared;
use crate::normalize::{hebrew_prefix_stems, normalize_word, Script, TokenKind};

fn stopwords() -> &'static FxHashSet<String> {
    static SW: OnceLock<FxHashSet<String>> = OnceLock::new();
    SW.get_or_init(|| {
        [
            include_str!("../data/stopwords_en.txt"),
            include_str!("../data/stopwords_he.txt"),
            include_str!("../data/stopwords_el.txt"),
        ]
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(|w| normalize_word(w).0)
        .collect()
    })
}

/// Whether a normalised word is a stopword in any of our languages. Hebrew words that are a
/// prefix letter plus a stopword ("וגם", "שזה") count too.
pub fn is_stopword(norm: &str) -> bool {
    let sw = stopwords();
    if sw.contains(norm) {
        return true;
    }
    let mut chars = norm.chars();
    if let Some(c) = chars.next() {
        if char_is_hebrew(c) {
            return hebrew_prefix_stems(norm).iter().any(|s| sw.contains(*s));
        }
    }
    false
}

fn char_is_hebrew(c: char) -> bool {
    ('\u{05D0}'..='\u{05EA}').contains(&c)
}

fn candidate_word(doc: &Prepared, wi: usize) -> bool {
    let t = doc.word(wi);
    if t.kind != TokenKind::Word || t.script == Script::None {
        return false;
    }
    let chars = if t.norm.is_ascii() {
        t.norm.len()
    } else {
        t.norm.chars().count()
    };
    chars >= 2 && !(t.script == Script::Latin && chars < 3) && !is_stopword(&t.norm)
}

/// Candidate keyphrases of one text: normalised n-grams (1–3 words) with their first word
/// position. N-grams never span punctuation.
pub fn candidates(doc: &Prepared) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let n = doc.words.len();
    let is_cand: Vec<bool> = (0..n).map(|i| candidate_word(doc, i)).collect();
    for i in 0..n {
        if !is_cand[i] {
            continue;
        }
        let mut phrase = doc.word(i).norm.clone();
        out.push((phrase.clone(), i));
        for len in 2..=3 {
            let j = i + len - 1;
            if j >= n || doc.words[j] != doc.words[j - 1] + 1 {
                break; // punctuation or emoji in between
            }
            let t = doc.word(j);
            if t.kind != TokenKind::Word {
                break;
            }
            phrase.push(' ');
            phrase.push_str(&t.norm);
            if is_cand[j] {
                out.push((phrase.clone(), i));
            }
        }
    }
    out
}

/// Top `k` keyphrases of one text, best first.
pub fn extract(doc: &Prepared, k: usize) -> Vec<String> {
    extract_from(doc, &candidates(doc), k)
}

/// [`extract`] over already computed [`candidates`].
fn extract_from(doc: &Prepared, cands: &[(String, usize)], k: usize) -> Vec<String> {
    let n = doc.words.len().max(1) as f32;
    let mut stats: FxHashMap<&str, (f32, usize, usize)> = FxHashMap::default();
    for (p, pos) in cands {
        let e = stats
            .entry(p.as_str())
            .or_insert((0.0, *pos, p.split(' ').count()));
        e.0 += 1.0;
    }
    let mut scored: Vec<(&str, f32)> = stats
        .into_iter()
        .map(|(p, (tf, pos, len))| {
            // Lower is better in YAKE; we use higher-is-better: frequent, early, longer phrases.
            let position = 1.0 / (1.0 + (pos as f32 / n) * 2.0);
            let length = 1.0 + 0.35 * (len as f32 - 1.0);
            let chars = p.chars().count() as f32;
            (p, tf * position * length * (chars.min(12.0) / 12.0 + 0.5))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let mut out: Vec<String> = Vec::new();
    for (p, _) in scored {
        if out.len() >= k {
            break;
        }
        // Skip a phrase already covered by a kept one (or covering one).
        if out.iter().any(|q| q.contains(p) || p.contains(q.as_str())) {
            continue;
        }
        out.push(p.to_string());
    }
    out
}

/// Top `k` keyphrases as written in the text (lower-cased, niqqud and bidi marks removed),
/// which reads better than the normalised form (Greek keeps its accents and final sigma).
pub fn extract_display(doc: &Prepared, k: usize) -> Vec<String> {
    let cands = candidates(doc);
    let best = extract_from(doc, &cands, k);
    best.into_iter()
        .map(|norm| {
            let Some((_, first)) = cands.iter().find(|(p, _)| *p == norm) else {
                return norm;
            };
            let len = norm.split(' ').count();
            let (a, b) = (doc.word(*first).start, doc.word(first + len - 1).end);
            doc.text[a..b]
                .chars()
                .filter(|c| !crate::normalize::is_ignorable_mark(*c))
                .flat_map(char::to_lowercase)
                .map(|c| if c.is_whitespace() { ' ' } else { c })
                .collect()
        })
        .collect()
}
