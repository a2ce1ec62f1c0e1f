//! Keyword and keyphrase extraction in the spirit of YAKE: candidate n-grams (1–3 words)
//! that neither start nor end with a stopword, scored by frequency, spread and position.
//! Works on one text or a whole corpus; stopword lists per language are ours (Hebrew
//! includes common prefixed forms).

use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::cues::Prepared;
use crate::normalize::{normalize_word, prefix_stems, Script, TokenKind};

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
            return prefix_stems(norm).any(|s| sw.contains(s));
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
    let chars = t.chars;
    chars >= 2 && !(t.script == Script::Latin && chars < 3) && !is_stopword(doc.norm(t))
}

/// Candidate keyphrases of one text: normalised n-grams (1–3 words) with their first word
/// position. N-grams never span punctuation.
pub fn candidates(doc: &Prepared) -> Vec<(String, usize)> {
    let c = Candidates::new(doc);
    c.items
        .iter()
        .map(|it| (c.phrase(doc, it).to_string(), it.pos))
        .collect()
}

/// One candidate: its first word, its word count and its length in chars.
#[derive(Debug, Clone, Copy)]
struct Cand {
    pos: usize,
    words: usize,
    chars: u32,
}

/// The candidates of a text without a string per phrase: a phrase is a slice of the text's
/// normalised forms ([`Prepared::span_norm`]).
struct Candidates {
    items: Vec<Cand>,
}

impl Candidates {
    fn new(doc: &Prepared) -> Self {
        let n = doc.words.len();
        let mut items = Vec::with_capacity(n * 2);
        let is_cand: Vec<bool> = (0..n).map(|i| candidate_word(doc, i)).collect();
        for i in 0..n {
            if !is_cand[i] {
                continue;
            }
            let mut chars = doc.word(i).chars;
            items.push(Cand {
                pos: i,
                words: 1,
                chars,
            });
            for len in 2..=3 {
                let j = i + len - 1;
                if j >= n || doc.words[j] != doc.words[j - 1] + 1 {
                    break; // punctuation or emoji in between
                }
                let t = doc.word(j);
                if t.kind != TokenKind::Word {
                    break;
                }
                chars += 1 + t.chars;
                if is_cand[j] {
                    items.push(Cand {
                        pos: i,
                        words: len,
                        chars,
                    });
                }
            }
        }
        Candidates { items }
    }

    fn phrase<'d>(&self, doc: &'d Prepared, c: &Cand) -> &'d str {
        doc.span_norm(doc.word(c.pos), doc.word(c.pos + c.words - 1))
    }
}

/// Top `k` keyphrases of one text, best first.
pub fn extract(doc: &Prepared, k: usize) -> Vec<String> {
    extract_from(doc, &Candidates::new(doc), k)
        .into_iter()
        .map(|(p, _)| p.to_string())
        .collect()
}

/// [`extract`] over already computed candidates: the phrases and their first occurrences.
fn extract_from<'d>(doc: &'d Prepared, cands: &Candidates, k: usize) -> Vec<(&'d str, Cand)> {
    let n = doc.words.len().max(1) as f32;
    let mut stats: FxHashMap<&str, (f32, Cand)> =
        FxHashMap::with_capacity_and_hasher(cands.items.len(), Default::default());
    for c in &cands.items {
        let e = stats.entry(cands.phrase(doc, c)).or_insert((0.0, *c));
        e.0 += 1.0;
    }
    let mut scored: Vec<(&str, f32, Cand)> = stats
        .into_iter()
        .map(|(p, (tf, c))| {
            // Lower is better in YAKE; we use higher-is-better: frequent, early, longer phrases.
            let position = 1.0 / (1.0 + (c.pos as f32 / n) * 2.0);
            let length = 1.0 + 0.35 * (c.words as f32 - 1.0);
            let chars = c.chars as f32;
            (
                p,
                tf * position * length * (chars.min(12.0) / 12.0 + 0.5),
                c,
            )
        })
        .collect();
    // Best first; phrases are distinct, so the order is total and an unstable sort is exact.
    // Only as many as needed are sorted: the best few, then the next few if too many of them
    // were covered by better phrases.
    let cmp = |a: &(&str, f32, Cand), b: &(&str, f32, Cand)| b.1.total_cmp(&a.1).then(a.0.cmp(b.0));
    let mut out: Vec<(&str, Cand)> = Vec::with_capacity(k);
    let mut sorted = 0;
    let mut i = 0;
    while i < scored.len() && out.len() < k {
        if i == sorted {
            let rest = &mut scored[sorted..];
            let m = rest.len().min(4 * k.max(4));
            if rest.len() > m {
                rest.select_nth_unstable_by(m - 1, cmp);
            }
            rest[..m].sort_unstable_by(cmp);
            sorted += m;
        }
        let (p, _, c) = scored[i];
        i += 1;
        // Skip a phrase already covered by a kept one (or covering one).
        if out.iter().any(|(q, _)| {
            (p.len() <= q.len() && q.contains(p)) || (q.len() <= p.len() && p.contains(q))
        }) {
            continue;
        }
        out.push((p, c));
    }
    out
}

/// Top `k` keyphrases as written in the text (lower-cased, niqqud and bidi marks removed),
/// which reads better than the normalised form (Greek keeps its accents and final sigma).
pub fn extract_display(doc: &Prepared, k: usize) -> Vec<String> {
    let cands = Candidates::new(doc);
    extract_from(doc, &cands, k)
        .into_iter()
        .map(|(_, c)| {
            let (a, b) = (doc.word(c.pos).start, doc.word(c.pos + c.words - 1).end);
            let mut out = String::with_capacity(b - a);
            for ch in doc.text[a..b].chars() {
                if crate::normalize::is_ignorable_mark(ch) {
                    continue;
                }
                crate::normalize::for_each_lowercase(ch, |c| {
                    out.push(if c.is_whitespace() { ' ' } else { c })
                });
            }
            out
        })
        .collect()
}
