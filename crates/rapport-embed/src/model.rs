//! The 12-layer BERT encoder of multilingual-e5-small over Q4 weights.
//!
//! A forward pass takes several token sequences ("segments") at once, stacked into one
//! `[tokens, hidden]` matrix, so that every weight row is unpacked once for all of them;
//! attention stays within each segment. Every output row depends only on its own segment,
//! so results do not depend on how segments are grouped — that is what makes batch results
//! independent of the thread count.

use std::collections::HashMap;
use std::ops::Range;

use crate::error::EmbedError;
use crate::format::{DType, Header, TensorRef, Q4_BLOCK_BYTES, QK};
use crate::math;
use crate::quant::{dequant_row, matmul, Q4Matrix, QuantActs};

struct Linear {
    w: Q4Matrix,
    b: Vec<f32>,
}

struct LayerNorm {
    w: Vec<f32>,
    b: Vec<f32>,
}

struct Layer {
    /// Query, key and value projections fused into one `[3·hidden, hidden]` matrix.
    qkv: Linear,
    attn_out: Linear,
    attn_ln: LayerNorm,
    ffn_in: Linear,
    ffn_out: Linear,
    out_ln: LayerNorm,
}

pub(crate) struct Bert {
    h: Header,
    /// The model file; the 4-bit word-embedding table is read from it in place.
    file: Vec<u8>,
    word: Range<usize>,
    pos: Vec<f32>,
    token_type: Vec<f32>,
    emb_ln: LayerNorm,
    layers: Vec<Layer>,
}

/// Looks tensors up by name and checks their type and size.
struct Tensors<'a> {
    file: &'a [u8],
    dir: &'a HashMap<String, TensorRef>,
}

impl Tensors<'_> {
    fn get(&self, name: &str, dtype: DType, len: usize) -> Result<&[u8], EmbedError> {
        let t = self
            .dir
            .get(name)
            .ok_or_else(|| EmbedError::MissingTensor(name.to_string()))?;
        if t.dtype != dtype || t.len != len {
            return Err(EmbedError::BadTensor {
                name: name.to_string(),
                reason: format!(
                    "expected {len} {dtype:?} values, found {} {:?}",
                    t.len, t.dtype
                ),
            });
        }
        Ok(&self.file[t.bytes.clone()])
    }

    fn f32s(&self, name: &str, len: usize) -> Result<Vec<f32>, EmbedError> {
        let bytes = self.get(name, DType::F32, len)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    fn linear(&self, prefix: &str, rows: usize, cols: usize) -> Result<Linear, EmbedError> {
        let w = self.get(&format!("{prefix}.w"), DType::Q4, rows * cols)?;
        Ok(Linear {
            w: Q4Matrix::from_blocks(w, rows, cols),
            b: self.f32s(&format!("{prefix}.b"), rows)?,
        })
    }

    fn layer_norm(&self, prefix: &str, h: usize) -> Result<LayerNorm, EmbedError> {
        Ok(LayerNorm {
            w: self.f32s(&format!("{prefix}.w"), h)?,
            b: self.f32s(&format!("{prefix}.b"), h)?,
        })
    }

    /// Q, K and V stacked row-wise into one matrix.
    fn qkv(&self, l: usize, h: usize) -> Result<Linear, EmbedError> {
        let mut blocks = Vec::with_capacity(3 * h * h / QK * Q4_BLOCK_BYTES);
        let mut b = Vec::with_capacity(3 * h);
        for p in ["q", "k", "v"] {
            blocks.extend_from_slice(self.get(&format!("l{l}.{p}.w"), DType::Q4, h * h)?);
            b.extend(self.f32s(&format!("l{l}.{p}.b"), h)?);
        }
        Ok(Linear {
            w: Q4Matrix::from_blocks(&blocks, 3 * h, h),
            b,
        })
    }
}

impl Bert {
    pub(crate) fn new(
        h: Header,
        dir: &HashMap<String, TensorRef>,
        file: Vec<u8>,
    ) -> Result<Self, EmbedError> {
        let hid = h.hidden;
        let t = Tensors { file: &file, dir };
        let word = dir
            .get("emb.word")
            .ok_or_else(|| EmbedError::MissingTensor("emb.word".into()))?;
        t.get("emb.word", DType::Q4, h.vocab_rows * hid)?;
        let word = word.bytes.clone();
        let pos = t.f32s("emb.pos", h.max_positions * hid)?;
        let token_type = t.f32s("emb.type", h.token_types * hid)?;
        let emb_ln = t.layer_norm("emb.ln", hid)?;
        let layers = (0..h.layers)
            .map(|l| {
                Ok(Layer {
                    qkv: t.qkv(l, hid)?,
                    attn_out: t.linear(&format!("l{l}.ao"), hid, hid)?,
                    attn_ln: t.layer_norm(&format!("l{l}.aln"), hid)?,
                    ffn_in: t.linear(&format!("l{l}.fi"), h.ffn, hid)?,
                    ffn_out: t.linear(&format!("l{l}.fo"), hid, h.ffn)?,
                    out_ln: t.layer_norm(&format!("l{l}.oln"), hid)?,
                })
            })
            .collect::<Result<Vec<_>, EmbedError>>()?;
        Ok(Bert {
            h,
            file,
            word,
            pos,
            token_type,
            emb_ln,
            layers,
        })
    }

    /// Longest segment (special tokens included) the position table allows.
    pub(crate) fn max_positions(&self) -> usize {
        self.h.max_positions
    }

    pub(crate) fn vocab_rows(&self) -> usize {
        self.h.vocab_rows
    }

    /// Mean of the last hidden states over each segment's tokens (not normalised).
    ///
    /// Each segment must hold at most `max_positions` ids, all below `vocab_rows`.
    pub(crate) fn forward_means(&self, segments: &[&[u32]]) -> Vec<Vec<f32>> {
        let h = self.h.hidden;
        let ff = self.h.ffn;
        let ranges: Vec<Range<usize>> = segments
            .iter()
            .scan(0, |start, s| {
                let r = *start..*start + s.len();
                *start = r.end;
                Some(r)
            })
            .collect();
        let n = ranges.last().map_or(0, |r| r.end);

        let mut x = vec![0.0f32; n * h];
        self.embed_tokens(segments, &mut x);
        math::add_layer_norm(&mut x, None, &self.emb_ln.w, &self.emb_ln.b, self.h.eps);

        let mut acts = QuantActs::new();
        let mut qkv = vec![0.0f32; n * 3 * h];
        let mut ctx = vec![0.0f32; n * h];
        let mut proj = vec![0.0f32; n * h];
        let mut mid = vec![0.0f32; n * ff];
        let mut scratch = AttentionScratch::default();
        for layer in &self.layers {
            acts.quantise(&x, h);
            matmul(&layer.qkv.w, &layer.qkv.b, &acts, &mut qkv);
            for r in &ranges {
                self.attention(
                    &qkv[r.start * 3 * h..r.end * 3 * h],
                    &mut ctx[r.start * h..r.end * h],
                    &mut scratch,
                );
            }
            acts.quantise(&ctx, h);
            matmul(&layer.attn_out.w, &layer.attn_out.b, &acts, &mut proj);
            let ln = &layer.attn_ln;
            math::add_layer_norm(&mut x, Some(&proj), &ln.w, &ln.b, self.h.eps);

            acts.quantise(&x, h);
            matmul(&layer.ffn_in.w, &layer.ffn_in.b, &acts, &mut mid);
            math::gelu(&mut mid);
            acts.quantise(&mid, ff);
            matmul(&layer.ffn_out.w, &layer.ffn_out.b, &acts, &mut proj);
            let ln = &layer.out_ln;
            math::add_layer_norm(&mut x, Some(&proj), &ln.w, &ln.b, self.h.eps);
        }

        ranges
            .iter()
            .map(|r| {
                let mut mean = vec![0.0f32; h];
                for row in x[r.start * h..r.end * h].chunks_exact(h) {
                    for (m, v) in mean.iter_mut().zip(row) {
                        *m += v;
                    }
                }
                let inv = 1.0 / r.len().max(1) as f32;
                mean.iter_mut().for_each(|m| *m *= inv);
                mean
            })
            .collect()
    }

    /// Word + position + token-type (always type 0) embeddings.
    fn embed_tokens(&self, segments: &[&[u32]], x: &mut [f32]) {
        let h = self.h.hidden;
        let row_bytes = h / QK * Q4_BLOCK_BYTES;
        let table = &self.file[self.word.clone()];
        let mut rows = x.chunks_exact_mut(h);
        for seg in segments {
            for (p, (&id, row)) in seg.iter().zip(rows.by_ref()).enumerate() {
                let id = id as usize;
                dequant_row(&table[id * row_bytes..(id + 1) * row_bytes], row);
                let pos = &self.pos[p * h..(p + 1) * h];
                for ((r, p), t) in row.iter_mut().zip(pos).zip(&self.token_type[..h]) {
                    *r += p + t;
                }
            }
        }
    }

    /// Multi-head scaled dot-product attention over one segment.
    /// `qkv` is `[len, 3·hidden]` (queries, keys, values side by side); writes `ctx`.
    fn attention(&self, qkv: &[f32], ctx: &mut [f32], s: &mut AttentionScratch) {
        let h = self.h.hidden;
        let heads = self.h.heads;
        let hd = h / heads;
        let len = qkv.len() / (3 * h);
        let scale = 1.0 / (hd as f32).sqrt();
        s.keys_t.resize(hd * len, 0.0);
        s.probs.resize(len, 0.0);
        for head in 0..heads {
            let off = head * hd;
            // Keys transposed to `[hd, len]`, so scores for one query are a sum of
            // contiguous, vectorisable row updates.
            for j in 0..len {
                let k = &qkv[j * 3 * h + h + off..j * 3 * h + h + off + hd];
                for (e, &v) in k.iter().enumerate() {
                    s.keys_t[e * len + j] = v;
                }
            }
            for i in 0..len {
                let q = &qkv[i * 3 * h + off..i * 3 * h + off + hd];
                let probs = &mut s.probs[..len];
                probs.fill(0.0);
                for (e, &qe) in q.iter().enumerate() {
                    let kt = &s.keys_t[e * len..(e + 1) * len];
                    for (p, &k) in probs.iter_mut().zip(kt) {
                        *p += qe * k;
                    }
                }
                let max = probs.iter().fold(f32::NEG_INFINITY, |m, &p| m.max(p)) * scale;
                for p in probs.iter_mut() {
                    *p = math::exp(*p * scale - max);
                }
                let inv = 1.0 / math::sum(probs);
                let out = &mut ctx[i * h + off..i * h + off + hd];
                out.fill(0.0);
                for (j, &p) in probs.iter().enumerate() {
                    let v = &qkv[j * 3 * h + 2 * h + off..j * 3 * h + 2 * h + off + hd];
                    let p = p * inv;
                    for (o, &v) in out.iter_mut().zip(v) {
                        *o += p * v;
                    }
                }
            }
        }
    }
}

#[derive(Default)]
struct AttentionScratch {
    keys_t: Vec<f32>,
    probs: Vec<f32>,
}
