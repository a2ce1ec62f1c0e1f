//! Keyword and keyphrase extraction in the spirit of YAKE: candidate n-grams (1–3 words)
//! that neither start nor end with a stopword, scored by frequency, spread and position.
//! Works on one text or a whole corpus; stopword lists per language are ours (Hebrew
//! includes common prefixed forms).

use std::sync::OnceLock;

use rustc_hash::FxHashSet;

use crate::cues::{str_filter_bit, Prepared, WordKeys, FILTER_BITS};
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
        self.contains_with_bit(w, str_filter_bit(w))
    }

    /// [`Stopwords::contains`] given the word's [`str_filter_bit`].
    #[inline]
    fn contains_with_bit(&self, w: &str, bit: usize) -> bool {
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

/// [`is_stopword`] of a word given its cue-index keys, which hold the filter bits of the word
/// and of its Hebrew prefix stems. (A word that starts with a Hebrew letter is a Hebrew-script
/// word, whose keys hold its stems; any other word has no stems to try.)
pub(crate) fn is_stopword_with_keys(norm: &str, keys: &WordKeys) -> bool {
    let sw = stopwords();
    let (word, bit) = keys.form(norm, 0);
    if sw.contains_with_bit(word, bit) {
        return true;
    }
    norm.chars().next().is_some_and(char_is_hebrew)
        && (1..keys.form_count()).any(|f| {
            let (stem, bit) = keys.form(norm, f);
            sw.contains_with_bit(stem, bit)
        })
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
    let mut items = Vec::new();
    fill_candidates(doc, &mut items, &mut Vec::new());
    items
        .iter()
        .map(|it| (phrase(doc, it).to_string(), it.pos))
        .collect()
}

/// One candidate: its first word, its word count and its length in chars.
#[derive(Debug, Clone, Copy)]
struct Cand {
    pos: usize,
    words: usize,
    chars: u32,
}

/// The candidates of a text into `items`, without a string per phrase: a phrase is a slice of
/// the text's normalised forms ([`Prepared::span_norm`]). `is_cand` is a buffer.
fn fill_candidates(doc: &Prepared, items: &mut Vec<Cand>, is_cand: &mut Vec<bool>) {
    let n = doc.words.len();
    items.clear();
    items.reserve(n * 2);
    is_cand.clear();
    is_cand.extend((0..n).map(|i| candidate_word(doc, i)));
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
}

/// The normalised phrase of a candidate.
fn phrase<'d>(doc: &'d Prepared, c: &Cand) -> &'d str {
    doc.span_norm(doc.word(c.pos), doc.word(c.pos + c.words - 1))
}

/// Top `k` keyphrases of one text, best first.
pub fn extract(doc: &Prepared, k: usize) -> Vec<String> {
    with_scratch(|scratch| {
        extract_from(doc, k, scratch)
            .into_iter()
            .map(|(p, _)| p.to_string())
            .collect()
    })
}

/// Buffers of [`extract_from`], kept per thread between texts.
#[derive(Default)]
struct Scratch {
    items: Vec<Cand>,
    is_cand: Vec<bool>,
    /// Open-addressing index of the distinct phrases: `1 +` their index in `scored`, 0 free.
    table: Vec<u32>,
    /// Distinct phrases in order of first occurrence: (first candidate, score).
    scored: Vec<(Cand, f32)>,
    keys: Vec<u64>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut scratch = cell.take();
        let r = f(&mut scratch);
        // A huge text's buffers are not kept.
        if scratch.items.capacity() <= 1 << 14 {
            cell.set(scratch);
        }
        r
    })
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
fn sort_keys<'d>(keys: &mut [u64], phrase_of: impl Fn(u64) -> &'d str) {
    keys.sort_unstable();
    let mut i = 0;
    while i < keys.len() {
        let hi = keys[i] >> 32;
        let mut j = i + 1;
        while j < keys.len() && keys[j] >> 32 == hi {
            j += 1;
        }
        if j - i > 1 {
            keys[i..j].sort_unstable_by(|a, b| phrase_of(*a).cmp(phrase_of(*b)));
        }
        i = j;
    }
}

/// The hash of a phrase for [`Scratch::table`].
#[inline]
fn phrase_hash(p: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(p.as_bytes());
    h.finish()
}

/// The top `k` phrases of a text and their first occurrences, best first.
fn extract_from<'d>(doc: &'d Prepared, k: usize, scratch: &mut Scratch) -> Vec<(&'d str, Cand)> {
    let Scratch {
        items,
        is_cand,
        table,
        scored,
        keys,
    } = scratch;
    fill_candidates(doc, items, is_cand);
    let n = doc.words.len().max(1) as f32;
    // Distinct phrases in order of first occurrence, with their frequency.
    let size = (2 * items.len()).next_power_of_two().max(16);
    let mask = size - 1;
    table.clear();
    table.resize(size, 0);
    scored.clear();
    for c in items.iter() {
        let p = phrase(doc, c);
        let mut slot = phrase_hash(p) as usize & mask;
        loop {
            let e = table[slot];
            if e == 0 {
                scored.push((*c, 1.0));
                table[slot] = scored.len() as u32;
                break;
            }
            let (first, tf) = &mut scored[e as usize - 1];
            if phrase(doc, first) == p {
                *tf += 1.0;
                break;
            }
            slot = (slot + 1) & mask;
        }
    }
    for (c, tf) in scored.iter_mut() {
        // Lower is better in YAKE; we use higher-is-better: frequent, early, longer phrases.
        let position = 1.0 / (1.0 + (c.pos as f32 / n) * 2.0);
        let length = 1.0 + 0.35 * (c.words as f32 - 1.0);
        let chars = c.chars as f32;
        *tf = *tf * position * length * (chars.min(12.0) / 12.0 + 0.5);
    }
    let scored = &*scored;
    let phrase_of = |key: u64| phrase(doc, &scored[key as u32 as usize].0);
    // Best first (score descending, then phrase). Phrases are distinct, so the order is total.
    // Only as many as needed are put in order: the best few (with every phrase tied with the
    // last of them), then all the rest if too many of those were covered by better phrases.
    keys.clear();
    keys.extend(
        scored
            .iter()
            .enumerate()
            .map(|(i, (_, s))| (u64::from(!total_order_key(*s)) << 32) | i as u64),
    );
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
    sort_keys(&mut keys[..sorted], phrase_of);
    let mut out: Vec<(&str, Cand)> = Vec::with_capacity(k);
    let mut i = 0;
    while i < keys.len() && out.len() < k {
        if i == sorted {
            sort_keys(&mut keys[sorted..], phrase_of);
            sorted = keys.len();
        }
        let c = scored[keys[i] as u32 as usize].0;
        let p = phrase(doc, &c);
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
    with_scratch(|scratch| {
        extract_from(doc, k, scratch)
            .into_iter()
            .map(|(_, c)| {
                let (a, b) = (doc.word(c.pos).start, doc.word(c.pos + c.words - 1).end);
                crate::normalize::display_lower(&doc.text[a..b])
            })
            .collect()
    })
}
