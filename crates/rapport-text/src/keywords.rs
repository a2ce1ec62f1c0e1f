//! Keyword and keyphrase extraction in the spirit of YAKE: candidate n-grams (1–3 words)
//! that neither start nor end with a stopword, scored by frequency, spread and position.
//! Works on one text or a whole corpus; stopword lists per language are ours (Hebrew
//! includes common prefixed forms).

use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::cues::{str_filter_bit, Prepared, FILTER_BITS};
use crate::normalize::{normalize_word, prefix_stems, Script, TokenKind};

/// The stopwords of all our languages, with a bit filter of them in front (see
/// [`crate::cues`]): most words that are not stopwords skip the hash lookup.
struct Stopwords {
    set: FxHashSet<String>,
    filter: Vec<u64>,
}

impl Stopwords {
    #[inline]
    fn contains(&self, w: &str) -> bool {
        let bit = str_filter_bit(w);
        self.filter[bit >> 6] >> (bit & 63) & 1 != 0 && self.set.contains(w)
    }
}

fn stopwords() -> &'static Stopwords {
    static SW: OnceLock<Stopwords> = OnceLock::new();
    SW.get_or_init(|| {
        let set: FxHashSet<String> = [
            include_str!("../data/stopwords_en.txt"),
            include_str!("../data/stopwords_he.txt"),
            include_str!("../data/stopwords_el.txt"),
        ]
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(|w| normalize_word(w).0)
        .collect();
        let mut filter = vec![0u64; 1 << (FILTER_BITS - 6)];
        for w in &set {
            let bit = str_filter_bit(w);
            filter[bit >> 6] |= 1 << (bit & 63);
        }
        Stopwords { set, filter }
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
    chars >= 2 && !(t.script == Script::Latin && chars < 3) && !t.stop
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

/// Whether `needle` occurs in `hay` (as `str::contains`, for short strings).
fn contains(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some((&first, _)) = n.split_first() else {
        return true;
    };
    if n.len() > h.len() {
        return false;
    }
    // Byte by byte: the strings are short, and a `memcmp` call per candidate start costs
    // more than the comparison. The first and last bytes are checked first: every Hebrew or
    // Greek letter starts with one of a few lead bytes, so the first byte alone rarely rules
    // a start out.
    let last = n[n.len() - 1];
    (0..=h.len() - n.len()).any(|i| {
        h[i] == first
            && h[i + n.len() - 1] == last
            && h[i..i + n.len()].iter().zip(n).all(|(a, b)| a == b)
    })
}

/// A sort key for `f32::total_cmp` order as an unsigned integer.
fn total_order_key(x: f32) -> u32 {
    let b = x.to_bits();
    if b >> 31 == 1 {
        !b
    } else {
        b | 1 << 31
    }
}

/// Sort `keys` (high 32 bits: inverted score key, low 32 bits: phrase index) into the final
/// order: score descending, ties by phrase ascending.
fn sort_keys(keys: &mut [u64], phrases: &[(&str, f32, Cand)]) {
    keys.sort_unstable();
    let mut i = 0;
    while i < keys.len() {
        let hi = keys[i] >> 32;
        let mut j = i + 1;
        while j < keys.len() && keys[j] >> 32 == hi {
            j += 1;
        }
        if j - i > 1 {
            keys[i..j].sort_unstable_by(|a, b| {
                phrases[*a as u32 as usize]
                    .0
                    .cmp(phrases[*b as u32 as usize].0)
            });
        }
        i = j;
    }
}

/// [`extract`] over already computed candidates: the phrases and their first occurrences.
fn extract_from<'d>(doc: &'d Prepared, cands: &Candidates, k: usize) -> Vec<(&'d str, Cand)> {
    let n = doc.words.len().max(1) as f32;
    // Distinct phrases in order of first occurrence, with their frequency.
    let mut index: FxHashMap<&str, u32> =
        FxHashMap::with_capacity_and_hasher(cands.items.len(), Default::default());
    let mut scored: Vec<(&str, f32, Cand)> = Vec::with_capacity(cands.items.len());
    for c in &cands.items {
        let p = cands.phrase(doc, c);
        let next = scored.len() as u32;
        let i = *index.entry(p).or_insert(next);
        if i == next {
            scored.push((p, 0.0, *c));
        }
        scored[i as usize].1 += 1.0;
    }
    for (_, tf, c) in scored.iter_mut() {
        // Lower is better in YAKE; we use higher-is-better: frequent, early, longer phrases.
        let position = 1.0 / (1.0 + (c.pos as f32 / n) * 2.0);
        let length = 1.0 + 0.35 * (c.words as f32 - 1.0);
        let chars = c.chars as f32;
        *tf = *tf * position * length * (chars.min(12.0) / 12.0 + 0.5);
    }
    // Best first (score descending, then phrase). Phrases are distinct, so the order is total.
    // Only as many as needed are put in order: the best few (with every phrase tied with the
    // last of them), then all the rest if too many of those were covered by better phrases.
    let mut keys: Vec<u64> = scored
        .iter()
        .enumerate()
        .map(|(i, (_, s, _))| (u64::from(!total_order_key(*s)) << 32) | i as u64)
        .collect();
    let head = 4 * k.max(4);
    let mut sorted = keys.len();
    if keys.len() > head {
        keys.select_nth_unstable(head - 1);
        let last = keys[head - 1] >> 32;
        let mut end = head;
        for j in head..keys.len() {
            if keys[j] >> 32 == last {
                keys.swap(end, j);
                end += 1;
            }
        }
        sorted = end;
    }
    sort_keys(&mut keys[..sorted], &scored);
    let mut out: Vec<(&str, Cand)> = Vec::with_capacity(k);
    let mut i = 0;
    while i < keys.len() && out.len() < k {
        if i == sorted {
            sort_keys(&mut keys[sorted..], &scored);
            sorted = keys.len();
        }
        let (p, _, c) = scored[keys[i] as u32 as usize];
        i += 1;
        // Skip a phrase already covered by a kept one (or covering one).
        if out.iter().any(|(q, _)| contains(q, p) || contains(p, q)) {
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
            crate::normalize::display_lower(&doc.text[a..b])
        })
        .collect()
}
