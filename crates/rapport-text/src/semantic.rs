//! The semantic tier's heads: small logistic-regression layers over a sentence embedding
//! (multilingual-e5-small, computed by the caller) plus the fast tier's lexicon/rule features.
//!
//! The engine stays pure: it never runs the encoder. A caller that has an embedding passes it
//! to [`crate::Engine::analyze_with_embedding`]; without one the fast tier answers alone.
//! Because the encoder is multilingual, heads trained on English and Hebrew labels also read
//! Greek and customer-service wording the n-gram models never saw.

use crate::error::TextError;

const MAGIC: &[u8; 6] = b"RPSH1\0";

/// A multinomial logistic-regression layer over a dense input vector.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseHead {
    pub inputs: usize,
    pub classes: usize,
    /// `classes × inputs`, row-major by class.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

/// Training hyper-parameters of a [`DenseHead`].
#[derive(Debug, Clone)]
pub struct HeadOptions {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
}

impl Default for HeadOptions {
    fn default() -> Self {
        HeadOptions {
            epochs: 30,
            learning_rate: 0.05,
            l2: 1e-4,
            seed: 7,
        }
    }
}

fn softmax_in_place(z: &mut [f32]) {
    let m = z.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    for v in z.iter_mut() {
        *v /= s;
    }
}

impl DenseHead {
    /// Class probabilities. An input of the wrong length is padded or cut (never panics): the
    /// caller's encoder and the committed head could in principle disagree after an upgrade.
    pub fn predict(&self, x: &[f32]) -> Vec<f32> {
        let n = self.inputs.min(x.len());
        let mut z: Vec<f32> = (0..self.classes)
            .map(|c| {
                let row = &self.weights[c * self.inputs..][..n];
                self.bias[c] + row.iter().zip(&x[..n]).map(|(w, v)| w * v).sum::<f32>()
            })
            .collect();
        softmax_in_place(&mut z);
        z
    }

    /// Train by AdaGrad SGD on the softmax loss with square-root class balancing (the label
    /// priors of tweets and political comments should not carry over to customer feedback).
    /// Deterministic for a given seed.
    pub fn train(xs: &[Vec<f32>], ys: &[usize], classes: usize, opts: &HeadOptions) -> Self {
        let inputs = xs.first().map_or(0, Vec::len);
        let mut h = DenseHead {
            inputs,
            classes,
            weights: vec![0.0; classes * inputs],
            bias: vec![0.0; classes],
        };
        let mut g2w = vec![1e-8f32; classes * inputs];
        let mut g2b = vec![1e-8f32; classes];
        let mut counts = vec![0usize; classes];
        for &y in ys {
            counts[y] += 1;
        }
        let total = ys.len() as f32;
        let cw: Vec<f32> = counts
            .iter()
            .map(|&c| {
                if c == 0 {
                    0.0
                } else {
                    (total / (classes as f32 * c as f32)).sqrt()
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..xs.len()).collect();
        let mut rng = opts.seed.max(1);
        for _ in 0..opts.epochs {
            for i in (1..order.len()).rev() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                order.swap(i, (rng % (i as u64 + 1)) as usize);
            }
            for &ix in &order {
                let (x, y) = (&xs[ix], ys[ix]);
                let p = h.predict(x);
                let w = cw[y];
                for c in 0..classes {
                    let g = w * (p[c] - if c == y { 1.0 } else { 0.0 });
                    let row = &mut h.weights[c * inputs..][..inputs];
                    let g2 = &mut g2w[c * inputs..][..inputs];
                    for ((wk, g2k), v) in row.iter_mut().zip(g2.iter_mut()).zip(x) {
                        let gk = g * v + opts.l2 * *wk;
                        *g2k += gk * gk;
                        *wk -= opts.learning_rate * gk / g2k.sqrt();
                    }
                    g2b[c] += g * g;
                    h.bias[c] -= opts.learning_rate * g / g2b[c].sqrt();
                }
            }
        }
        h
    }

    /// Serialise as little-endian f32 (a few kilobytes: no need to quantise).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(14 + 4 * (self.weights.len() + self.bias.len()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.inputs as u32).to_le_bytes());
        out.extend_from_slice(&(self.classes as u32).to_le_bytes());
        for v in self.weights.iter().chain(&self.bias) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, TextError> {
        let bad = |m: &str| TextError::InvalidModel(m.to_string());
        if b.len() < 14 || &b[..6] != MAGIC {
            return Err(bad("bad magic"));
        }
        let u = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]) as usize;
        let (inputs, classes) = (u(6), u(10));
        if classes == 0 || inputs == 0 || inputs > 1 << 16 || classes > 64 {
            return Err(bad("implausible shape"));
        }
        let n = classes * inputs + classes;
        if b.len() != 14 + 4 * n {
            return Err(bad("truncated"));
        }
        let vals: Vec<f32> = b[14..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if vals.iter().any(|v| !v.is_finite()) {
            return Err(bad("non-finite weight"));
        }
        let (weights, bias) = vals.split_at(classes * inputs);
        Ok(DenseHead {
            inputs,
            classes,
            weights: weights.to_vec(),
            bias: bias.to_vec(),
        })
    }
}

/// The labels of the emotion head, in class order (TweetEval emotion).
pub const EMOTION_HEAD_LABELS: [&str; 4] = ["anger", "joy", "optimism", "sadness"];

/// The committed heads of the semantic tier.
#[derive(Debug, Clone, PartialEq)]
pub struct SemanticHeads {
    /// Negative, neutral, positive from `[embedding, dense rule features]`.
    pub sentiment: DenseHead,
    /// [`EMOTION_HEAD_LABELS`] from the embedding alone.
    pub emotion: Option<DenseHead>,
}

/// The sentiment head's input: the embedding followed by the fast tier's dense lexicon/rule
/// features, so the head can lean on negation, emoji and CX cues the encoder may blur.
pub fn sentiment_input(embedding: &[f32], rules: &crate::sentiment::RuleScore) -> Vec<f32> {
    let mut x = Vec::with_capacity(embedding.len() + crate::model::DENSE);
    x.extend_from_slice(embedding);
    x.extend_from_slice(&crate::model::dense_features(rules));
    x
}

/// How much an emotion-head probability adds to the cue evidence of a service emotion: only
/// a clear call (p > 0.5) counts, so a neutral text gets no emotion from the head.
pub fn emotion_evidence(p: f32) -> f32 {
    ((p - 0.5) / 0.5).clamp(0.0, 1.0) * 0.8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<Vec<f32>>, Vec<usize>) {
        // Three separable clusters in 4-d.
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..90 {
            let c = i % 3;
            let j = (i as f32 * 0.37).sin() * 0.1;
            let mut x = vec![j, -j, j * 0.5, 0.0];
            x[c] += 1.0;
            xs.push(x);
            ys.push(c);
        }
        (xs, ys)
    }

    #[test]
    fn learns_separable_classes_and_round_trips() {
        let (xs, ys) = toy();
        let h = DenseHead::train(&xs, &ys, 3, &HeadOptions::default());
        let correct = xs
            .iter()
            .zip(&ys)
            .filter(|(x, &y)| {
                let p = h.predict(x);
                (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])) == Some(y)
            })
            .count();
        assert_eq!(correct, xs.len());
        let back = DenseHead::from_bytes(&h.to_bytes()).unwrap();
        assert_eq!(back, h);
        let p = back.predict(&xs[0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn corrupt_bytes_are_errors_and_short_inputs_do_not_panic() {
        let (xs, ys) = toy();
        let h = DenseHead::train(&xs, &ys, 3, &HeadOptions::default());
        let b = h.to_bytes();
        assert!(DenseHead::from_bytes(&b[..b.len() - 1]).is_err());
        assert!(DenseHead::from_bytes(b"nope").is_err());
        let mut nan = b.clone();
        let o = nan.len() - 4;
        nan[o..].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(DenseHead::from_bytes(&nan).is_err());
        assert_eq!(h.predict(&[1.0]).len(), 3);
        assert_eq!(h.predict(&[]).len(), 3);
    }

    #[test]
    fn emotion_evidence_needs_a_clear_call() {
        assert_eq!(emotion_evidence(0.3), 0.0);
        assert_eq!(emotion_evidence(0.5), 0.0);
        assert!((emotion_evidence(1.0) - 0.8).abs() < 1e-6);
    }
}
