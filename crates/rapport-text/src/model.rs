//! The learned sentiment model: multinomial logistic regression over hashed word and
//! character n-grams plus dense lexicon/rule features.
//!
//! Feature extraction lives here, shared by training (`rapport-train`) and inference, so the
//! two can never drift apart. Classes are ordered negative, neutral, positive.

use crate::cues::Prepared;
use crate::error::TextError;
use crate::normalize::TokenKind;
use crate::sentiment::RuleScore;

/// Hashed feature space size (2^18).
pub const DIM: usize = 1 << 18;
/// Number of dense features, see [`dense_features`].
pub const DENSE: usize = 11;
/// Classes: negative, neutral, positive.
pub const CLASSES: usize = 3;
const MAGIC: &[u8; 6] = b"RPLM1\0";

/// Sparse hashed features (index, value) and dense features of one text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub sparse: Vec<(u32, f32)>,
    pub dense: [f32; DENSE],
}

const FNV_OFFSET: u64 = 0xcbf29ce484222325;
const FNV_PRIME: u64 = 0x100000001b3;

/// The feature index of `s` in namespace `ns`: FNV-1a (64-bit) over the namespace byte and
/// the UTF-8 bytes of `s`, modulo [`DIM`]. The committed models index their weights by it;
/// inference computes the same indices through [`fnv1a32`].
#[cfg(test)]
fn fnv1a(ns: u8, s: &str) -> u32 {
    let mut h = FNV_OFFSET;
    for &b in std::iter::once(&ns).chain(s.as_bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(FNV_PRIME);
    }
    (h % DIM as u64) as u32
}

/// Sort feature indices (all below [`DIM`] = 2^18) and return them: an LSD radix sort in three
/// passes of six bits for longer lists (the three digit counts taken in one pass over the
/// list), which leaves the result in `tmp`; the result is the same as `sort_unstable`.
fn sort_indices<'a>(v: &'a mut [u32], tmp: &'a mut [u32]) -> &'a [u32] {
    if v.len() < 96 {
        v.sort_unstable();
        return v;
    }
    debug_assert!(v.iter().all(|&x| (x as usize) < DIM));
    let tmp = &mut tmp[..v.len()];
    let mut counts = [[0u32; 64]; 3];
    for &x in v.iter() {
        counts[0][x as usize & 63] += 1;
        counts[1][(x >> 6) as usize & 63] += 1;
        counts[2][(x >> 12) as usize & 63] += 1;
    }
    for c in counts.iter_mut() {
        let mut sum = 0;
        for c in c.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
    }
    let scatter = |from: &[u32], to: &mut [u32], counts: &mut [u32; 64], shift: u32| {
        for &x in from {
            let b = (x >> shift) as usize & 63;
            to[counts[b] as usize] = x;
            counts[b] += 1;
        }
    };
    let [c0, c1, c2] = &mut counts;
    scatter(v, tmp, c0, 0);
    scatter(tmp, v, c1, 6);
    scatter(v, tmp, c2, 12);
    tmp
}

/// Dense lexicon/rule features, all roughly in [-1, 1].
pub fn dense_features(r: &RuleScore) -> [f32; DENSE] {
    let f = |b: bool| if b { 1.0 } else { 0.0 };
    [
        r.compound,
        r.pos / (1.0 + r.pos),
        r.neg / (1.0 + r.neg),
        f(r.hits > 0),
        f(r.negations > 0),
        f(r.contrast),
        (r.exclamations.min(3) as f32) / 3.0,
        f(r.questions > 0),
        r.emoji_pos / (1.0 + r.emoji_pos),
        r.emoji_neg / (1.0 + r.emoji_neg),
        if r.compound.abs() < 0.05 { 1.0 } else { 0.0 },
    ]
}

/// Extract features of a prepared text given its rule score.
pub fn features(doc: &Prepared, rules: &RuleScore) -> Features {
    features_with(doc, rules, true)
}

/// [`features`], with the sparse part left empty unless `sparse` (a dense-only model does
/// not read it).
pub(crate) fn features_with(doc: &Prepared, rules: &RuleScore, sparse: bool) -> Features {
    if !sparse {
        return Features {
            sparse: Vec::new(),
            dense: dense_features(rules),
        };
    }
    SCRATCH.with(|cell| {
        let mut scratch = cell.take();
        let sparse = sparse_features(doc, &mut scratch);
        cell.set(scratch);
        Features {
            sparse,
            dense: dense_features(rules),
        }
    })
}

/// Buffers of [`sparse_features`], kept per thread between texts.
#[derive(Default)]
struct Scratch {
    idx: Vec<u32>,
    tmp: Vec<u32>,
    bytes: Vec<u8>,
    bounds: Vec<usize>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

/// The low 32 bits of FNV-1a. A feature index keeps only the low 18 bits of the hash, and the
/// low bits of an FNV-1a step (xor a byte, multiply) depend only on the low bits before it, so
/// hashing in `u32` gives exactly the indices of the 64-bit hash (checked in the tests).
const FNV_PRIME32: u32 = FNV_PRIME as u32;
const INDEX_MASK: u32 = DIM as u32 - 1;

#[inline(always)]
fn step32(h: u32, b: u8) -> u32 {
    (h ^ u32::from(b)).wrapping_mul(FNV_PRIME32)
}

#[inline(always)]
fn extend32(mut h: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        h = step32(h, b);
    }
    h
}

#[inline(always)]
fn start32(ns: u8) -> u32 {
    step32(FNV_OFFSET as u32, ns)
}

/// FNV-1a of `s` in namespace `ns` as a feature index, through the 32-bit state.
#[inline]
fn fnv1a32(ns: u8, s: &str) -> u32 {
    extend32(start32(ns), s.as_bytes()) & INDEX_MASK
}

/// The chars whose pairs have their character n-gram hash state tabled ([`PairTable`]):
/// `^`, a–z, 0–9, the Hebrew letters א–ת and the Greek letters α–ω (what most normalised
/// Hebrew and Greek words are made of), numbered in that order.
const ALPHABET: usize = 1 + 26 + 10 + 27 + 25;
const NO_NUMBER: u8 = u8::MAX;

/// Hash states of the character n-grams of two-byte-script words: a 3-gram's hash is one
/// char away from the tabled state of its first two chars, and its 4-gram's one more.
struct PairTable {
    /// The [`ALPHABET`] number of each char below U+0800, else [`NO_NUMBER`].
    numbers: Vec<u8>,
    /// At `a * ALPHABET + b`: the 32-bit FNV-1a state after the character n-gram namespace
    /// and the UTF-8 bytes of chars number `a` and `b`.
    states: Vec<u32>,
}

fn pair_table() -> &'static PairTable {
    static TABLE: std::sync::OnceLock<PairTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let chars: Vec<char> = ['^'..='^', 'a'..='z', '0'..='9', 'א'..='ת', 'α'..='ω']
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(chars.len(), ALPHABET);
        let mut numbers = vec![NO_NUMBER; 0x800];
        for (i, &c) in chars.iter().enumerate() {
            numbers[c as usize] = i as u8;
        }
        let mut states = Vec::with_capacity(ALPHABET * ALPHABET);
        let mut buf = [0u8; 8];
        for a in &chars {
            for b in &chars {
                let la = a.encode_utf8(&mut buf).len();
                let lb = b.encode_utf8(&mut buf[la..]).len();
                states.push(extend32(start32(b'c'), &buf[..la + lb]));
            }
        }
        PairTable { numbers, states }
    })
}

/// The character 3- and 4-grams of `^w$` (each hashed over the UTF-8 bytes of its window,
/// a 4-gram continuing the 3-gram that starts it) written to `out` from `k` on, through
/// [`PairTable`], in one pass over `w`; the index after the last written, or `None` when a
/// char of `w` is not in [`ALPHABET`].
#[inline]
fn tabled_char_ngrams(w: &[u8], tab: &PairTable, out: &mut [u32], mut k: usize) -> Option<usize> {
    let states = &tab.states[..];
    // The numbers of the two chars before the current one (as row and column of `states`):
    // `^` is number 0. `prev3` is the hash of the 3-gram that ends at the previous char.
    let (mut row, mut col) = (0usize, 0usize);
    let mut prev3 = 0u32;
    // The current char is the `j`-th of "^w$".
    let mut j = 0usize;
    let mut i = 0usize;
    loop {
        let (b0, b1, two, last) = match w.get(i) {
            None => (b'$', 0, false, true),
            Some(&b0) if b0 < 0x80 => {
                i += 1;
                (b0, 0, false, false)
            }
            Some(&b0) if b0 < 0xE0 => {
                // A two-byte char (the text is valid UTF-8, so a continuation byte follows).
                let b1 = *w.get(i + 1)?;
                i += 2;
                (b0, b1, true, false)
            }
            Some(_) => return None,
        };
        j += 1;
        let step = |h: u32| {
            let h = step32(h, b0);
            if two {
                step32(h, b1)
            } else {
                h
            }
        };
        if j >= 2 {
            let h3 = step(states[row + col]);
            out[k] = h3 & INDEX_MASK;
            k += 1;
            if j >= 3 {
                out[k] = step(prev3) & INDEX_MASK;
                k += 1;
            }
            prev3 = h3;
        }
        if last {
            return Some(k);
        }
        let code = if two {
            (usize::from(b0 & 0x1F) << 6) | usize::from(b1 & 0x3F)
        } else {
            usize::from(b0)
        };
        let number = tab.numbers[code];
        if number == NO_NUMBER {
            return None;
        }
        row = col * ALPHABET;
        col = usize::from(number);
    }
}

/// The normalised hashed n-gram features of a text, sorted by index.
fn sparse_features(doc: &Prepared, scratch: &mut Scratch) -> Vec<(u32, f32)> {
    let Scratch {
        idx,
        tmp,
        bytes,
        bounds,
    } = scratch;
    // An upper bound of the indices of a text: a word gives its unigram, a bigram, up to three
    // prefix stems and the elongation flag (6), and fewer than 2 × chars character 3- and
    // 4-grams of "^w$"; any other token at most one. They are written into a slice of that
    // size (cheaper than a `push` each).
    let cap: usize = doc.tokens.iter().map(|t| 6 + 2 * t.chars as usize).sum();
    // Only grown, never cleared: every index read below is written first (and the radix sort
    // writes each slot of `tmp` it reads), so refilling with zeros per text would be wasted.
    if idx.len() < cap {
        idx.resize(cap, 0);
        tmp.resize(cap, 0);
    }
    let out = &mut idx[..];
    let mut n = 0usize;
    // (A macro rather than a closure, so that `out` and `n` stay usable between writes.)
    macro_rules! put {
        ($x:expr) => {{
            let x: u32 = $x;
            out[n] = x & INDEX_MASK;
            n += 1;
        }};
    }
    let pairs = pair_table();
    let mut neg_left = 0usize;
    // The hash state of the bigram namespace, the previous word and a space.
    let mut prev: Option<u32> = None;
    // Index of the next word token in `doc.words`.
    let mut wi = 0usize;
    for t in &doc.tokens {
        match t.kind {
            TokenKind::Punct => {
                neg_left = 0;
                prev = None;
                if t.ch == '!' || t.ch == '?' {
                    put!(fnv1a32(b'p', doc.norm(t)));
                }
                continue;
            }
            TokenKind::Emoji => {
                put!(fnv1a32(b'e', doc.norm(t)));
                prev = None;
                continue;
            }
            TokenKind::Number => {
                put!(fnv1a32(b'n', "#"));
                prev = None;
                wi += 1;
                continue;
            }
            TokenKind::Word => {}
        }
        let w = doc.norm(t);
        // The word (in a negation scope a distinct feature: "not good" ≠ "good"), the bigram
        // "p w" and the next bigram's start "w ", in one pass over the bytes.
        let mut hw = start32(if neg_left > 0 { b'N' } else { b'w' });
        let mut hb = prev.unwrap_or(0);
        let mut hn = start32(b'b');
        for &b in w.as_bytes() {
            hw = step32(hw, b);
            hb = step32(hb, b);
            hn = step32(hn, b);
        }
        put!(hw);
        if prev.is_some() {
            put!(hb);
        }
        for &off in doc.stem_offsets(wi) {
            put!(fnv1a32(
                if neg_left > 0 { b'M' } else { b's' },
                &w[off as usize..],
            ));
        }
        wi += 1;
        // Character 3- and 4-grams of "^w$", hashed over the UTF-8 bytes of each window (the
        // same bytes as the window collected into a string). A 4-gram's hash continues its
        // leading 3-gram's hash by one char. (The indices are sorted below, so the order in
        // which they are written does not matter.)
        let c = start32(b'c');
        if let (true, Some(&first)) = (t.chars as usize == w.len(), w.as_bytes().first()) {
            // ASCII: every char is one byte. Windows of "^w$" as they end at each char after
            // the first: its 3-gram, and the 4-gram that continues the previous 3-gram.
            let wb = w.as_bytes();
            let (mut a, mut b) = (b'^', first);
            let mut prev3 = 0u32;
            for j in 1..=wb.len() {
                let d = wb.get(j).copied().unwrap_or(b'$');
                let h3 = step32(step32(step32(c, a), b), d);
                put!(h3);
                if j >= 2 {
                    put!(step32(prev3, d));
                }
                (prev3, a, b) = (h3, b, d);
            }
        } else if let Some(end) = tabled_char_ngrams(w.as_bytes(), pairs, out, n) {
            n = end;
        } else {
            bytes.clear();
            bytes.push(b'^');
            bytes.extend_from_slice(w.as_bytes());
            bytes.push(b'$');
            bounds.clear();
            bounds.push(0);
            // Char starts: every byte that is not a UTF-8 continuation byte.
            for (i, &b) in w.as_bytes().iter().enumerate() {
                if (b as i8) >= -0x40 {
                    bounds.push(1 + i);
                }
            }
            bounds.push(bytes.len() - 1);
            bounds.push(bytes.len());
            // `bounds` holds the start of every char plus the end; chars = bounds.len() - 1.
            let nchars = bounds.len() - 1;
            for k in 0..nchars.saturating_sub(2) {
                let h3 = extend32(c, &bytes[bounds[k]..bounds[k + 3]]);
                put!(h3);
                if k + 4 <= nchars {
                    put!(extend32(h3, &bytes[bounds[k + 3]..bounds[k + 4]]));
                }
            }
        }
        if t.elongated {
            put!(fnv1a32(b'x', "elongated"));
        }
        neg_left = if t.negator {
            3
        } else {
            neg_left.saturating_sub(1)
        };
        prev = Some(step32(hn, b' '));
    }
    let sorted = sort_indices(&mut idx[..n], tmp);
    let mut sparse: Vec<(u32, f32)> = Vec::with_capacity(sorted.len());
    for &i in sorted {
        match sparse.last_mut() {
            Some((j, v)) if *j == i => *v += 1.0,
            _ => sparse.push((i, 1.0)),
        }
    }
    let norm = sparse
        .iter()
        .map(|(_, v)| v * v)
        .sum::<f32>()
        .sqrt()
        .max(1.0);
    for (_, v) in &mut sparse {
        *v /= norm;
    }
    sparse
}

/// A trained linear model. `dim` is [`DIM`] for a full model or 0 for a dense-only model
/// (used for Greek, which has no labelled data).
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    pub dim: usize,
    /// `dim × CLASSES`, row-major by feature. Empty for a model read by
    /// [`LinearModel::from_bytes`], which keeps the file's quantised weights instead (half the
    /// memory, so fewer cache misses when predicting).
    pub weights: Vec<f32>,
    /// `DENSE × CLASSES`.
    pub dense: Vec<f32>,
    pub bias: [f32; CLASSES],
    /// Quantised `dim × CLASSES` weights as stored in the file (a weight is `q as f32 *
    /// scale`, exactly the value `weights` would hold); empty unless read from bytes.
    quant: Vec<i16>,
    scale: f32,
}

/// Training hyper-parameters.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    /// Use hashed n-gram features (false: dense features only).
    pub sparse: bool,
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 12,
            learning_rate: 0.2,
            l2: 1e-6,
            sparse: true,
            seed: 42,
        }
    }
}

fn softmax(z: [f32; CLASSES]) -> [f32; CLASSES] {
    let m = z.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let e = z.map(|v| (v - m).exp());
    let s: f32 = e.iter().sum();
    e.map(|v| v / s)
}

impl LinearModel {
    pub fn new(dim: usize) -> Self {
        LinearModel {
            dim,
            weights: vec![0.0; dim * CLASSES],
            dense: vec![0.0; DENSE * CLASSES],
            bias: [0.0; CLASSES],
            quant: Vec::new(),
            scale: 0.0,
        }
    }

    /// Class probabilities (negative, neutral, positive).
    #[allow(clippy::needless_range_loop)] // rows and logits indexed in lockstep
    pub fn predict(&self, f: &Features) -> [f32; CLASSES] {
        let mut z = self.bias;
        if self.dim > 0 && !self.quant.is_empty() {
            let scale = self.scale;
            for &(i, v) in &f.sparse {
                let row = &self.quant[i as usize * CLASSES..][..CLASSES];
                for c in 0..CLASSES {
                    // The same two roundings as decoding to `f32` first.
                    let w = row[c] as f32 * scale;
                    z[c] += w * v;
                }
            }
        } else if self.dim > 0 {
            for &(i, v) in &f.sparse {
                let row = &self.weights[i as usize * CLASSES..][..CLASSES];
                for c in 0..CLASSES {
                    z[c] += row[c] * v;
                }
            }
        }
        for (k, v) in f.dense.iter().enumerate() {
            for c in 0..CLASSES {
                z[c] += self.dense[k * CLASSES + c] * v;
            }
        }
        softmax(z)
    }

    /// Train by AdaGrad SGD on the softmax loss with square-root class-balanced weights, so the
    /// skewed label priors of the training sets (68% positive in the Hebrew comments) do not
    /// carry over to customer feedback. Deterministic for a given seed.
    #[allow(clippy::needless_range_loop)]
    pub fn train(data: &[(Features, usize)], opts: &TrainOptions) -> Self {
        let dim = if opts.sparse { DIM } else { 0 };
        let mut m = LinearModel::new(dim);
        let mut g2w = vec![1e-8f32; dim * CLASSES];
        let mut g2d = [1e-8f32; DENSE * CLASSES];
        let mut g2b = [1e-8f32; CLASSES];
        let mut counts = [0usize; CLASSES];
        for (_, y) in data {
            counts[*y] += 1;
        }
        let total = data.len() as f32;
        // Square-root balancing: rare classes (3% neutral in the Hebrew data) count more,
        // but not so much that the model calls everything neutral.
        let cw: Vec<f32> = counts
            .iter()
            .map(|&c| {
                if c == 0 {
                    0.0
                } else {
                    (total / (CLASSES as f32 * c as f32)).sqrt()
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..data.len()).collect();
        let mut rng = opts.seed.max(1);
        for _ in 0..opts.epochs {
            for i in (1..order.len()).rev() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                order.swap(i, (rng % (i as u64 + 1)) as usize);
            }
            for &ix in &order {
                let (f, y) = &data[ix];
                let p = m.predict(f);
                let w = cw[*y];
                for c in 0..CLASSES {
                    let g = w * (p[c] - if c == *y { 1.0 } else { 0.0 });
                    if dim > 0 {
                        for &(i, v) in &f.sparse {
                            let k = i as usize * CLASSES + c;
                            let gk = g * v + opts.l2 * m.weights[k];
                            g2w[k] += gk * gk;
                            m.weights[k] -= opts.learning_rate * gk / g2w[k].sqrt();
                        }
                    }
                    for (d, v) in f.dense.iter().enumerate() {
                        let k = d * CLASSES + c;
                        let gk = g * v + opts.l2 * m.dense[k];
                        g2d[k] += gk * gk;
                        m.dense[k] -= opts.learning_rate * gk / g2d[k].sqrt();
                    }
                    g2b[c] += g * g;
                    m.bias[c] -= opts.learning_rate * g / g2b[c].sqrt();
                }
            }
        }
        m
    }

    /// Serialise: hashed weights quantised to i16 with one scale (small and exact enough).
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.weights.is_empty() && !self.quant.is_empty() {
            let mut out = Vec::with_capacity(32 + self.quant.len() * 2);
            out.extend_from_slice(MAGIC);
            for v in [self.dim as u32, CLASSES as u32, DENSE as u32] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&self.scale.to_le_bytes());
            for q in &self.quant {
                out.extend_from_slice(&q.to_le_bytes());
            }
            for w in self.dense.iter().chain(self.bias.iter()) {
                out.extend_from_slice(&w.to_le_bytes());
            }
            return out;
        }
        let max = self
            .weights
            .iter()
            .fold(0f32, |a, w| a.max(w.abs()))
            .max(1e-9);
        let scale = max / i16::MAX as f32;
        let mut out = Vec::with_capacity(32 + self.weights.len() * 2);
        out.extend_from_slice(MAGIC);
        for v in [self.dim as u32, CLASSES as u32, DENSE as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&scale.to_le_bytes());
        for w in &self.weights {
            out.extend_from_slice(&((w / scale).round() as i16).to_le_bytes());
        }
        for w in self.dense.iter().chain(self.bias.iter()) {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, TextError> {
        let bad = |m: &str| TextError::InvalidModel(m.to_string());
        if b.len() < 22 || &b[..6] != MAGIC {
            return Err(bad("bad magic"));
        }
        let u = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]) as usize;
        let (dim, classes, dense) = (u(6), u(10), u(14));
        if classes != CLASSES || dense != DENSE {
            return Err(bad("shape mismatch"));
        }
        let scale = f32::from_le_bytes([b[18], b[19], b[20], b[21]]);
        let need = 22 + dim * CLASSES * 2 + (DENSE + 1) * CLASSES * 4;
        if b.len() != need {
            return Err(bad("truncated"));
        }
        let mut o = 22;
        let mut quant = vec![0i16; dim * CLASSES];
        for (q, p) in quant
            .iter_mut()
            .zip(b[o..o + dim * CLASSES * 2].chunks_exact(2))
        {
            *q = i16::from_le_bytes([p[0], p[1]]);
        }
        o += dim * CLASSES * 2;
        let mut f = || {
            let v = f32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
            o += 4;
            v
        };
        let dense_w: Vec<f32> = (0..DENSE * CLASSES).map(|_| f()).collect();
        let bias = [f(), f(), f()];
        Ok(LinearModel {
            dim,
            weights: Vec::new(),
            dense: dense_w,
            bias,
            quant,
            scale,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{prefix_stems, Script};

    /// The sparse features as first written: every index collected, sorted and counted.
    fn reference(doc: &Prepared) -> Vec<(u32, f32)> {
        let mut idx = Vec::new();
        let mut neg_left = 0usize;
        let mut prev: Option<&str> = None;
        for t in &doc.tokens {
            match t.kind {
                TokenKind::Punct => {
                    neg_left = 0;
                    prev = None;
                    if t.ch == '!' || t.ch == '?' {
                        idx.push(fnv1a(b'p', doc.norm(t)));
                    }
                    continue;
                }
                TokenKind::Emoji => {
                    idx.push(fnv1a(b'e', doc.norm(t)));
                    prev = None;
                    continue;
                }
                TokenKind::Number => {
                    idx.push(fnv1a(b'n', "#"));
                    prev = None;
                    continue;
                }
                TokenKind::Word => {}
            }
            let w = doc.norm(t);
            let ns = if neg_left > 0 { b'N' } else { b'w' };
            idx.push(fnv1a(ns, w));
            if let Some(p) = prev {
                idx.push(fnv1a(b'b', &format!("{p} {w}")));
            }
            if t.script == Script::Hebrew {
                for s in prefix_stems(w) {
                    idx.push(fnv1a(if neg_left > 0 { b'M' } else { b's' }, s));
                }
            }
            let chars: Vec<char> = format!("^{w}$").chars().collect();
            for n in [3, 4] {
                for win in chars.windows(n) {
                    idx.push(fnv1a(b'c', &win.iter().collect::<String>()));
                }
            }
            if t.elongated {
                idx.push(fnv1a(b'x', "elongated"));
            }
            neg_left = if t.negator {
                3
            } else {
                neg_left.saturating_sub(1)
            };
            prev = Some(w);
        }
        idx.sort_unstable();
        let mut sparse: Vec<(u32, f32)> = Vec::new();
        for i in idx {
            match sparse.last_mut() {
                Some((j, v)) if *j == i => *v += 1.0,
                _ => sparse.push((i, 1.0)),
            }
        }
        let norm = sparse
            .iter()
            .map(|(_, v)| v * v)
            .sum::<f32>()
            .sqrt()
            .max(1.0);
        for (_, v) in &mut sparse {
            *v /= norm;
        }
        sparse
    }

    #[test]
    fn sparse_features_match_the_reference() {
        let texts = [
            "The staff was not good, not good at all!!! sooo slow 😡 call 555",
            "ואני לא עוזב את החברה, השירות בסדר? ולא שירות",
            "Είμαι πολύ απογοητευμένη, δεν περίμενα δύο ώρες",
            "a b c a b c a a a",
            "",
            "x",
            "Ⅻ ⅻ 12 ١٢ שָׁלוֹם שלום",
            "a_very_long_word_with_many_many_character_n_grams_in_it_and_more ok ok",
            "Привет мир café naïve ΐ 日本語 αβγδεζηθικλμνξοπρστυφχψω אבגדהוזחטיכלמנסעפצקרשת ךםןףץ",
            "x1 1x q9z ۱۲ abc١ Straße ǅemal İstanbul ﬠﬡ 😀a a😀 don’t צה\"ל ג׳וב",
        ];
        for round in 0..3 {
            for text in texts {
                let doc = Prepared::new(text);
                let rules = RuleScore::default();
                let got = features(&doc, &rules).sparse;
                assert_eq!(got, reference(&doc), "round {round}: {text}");
            }
        }
    }
}
