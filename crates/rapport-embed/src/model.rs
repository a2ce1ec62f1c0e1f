//! The 12-layer BERT encoder of multilingual-e5-small over Q4 weights.
//!
//! A forward pass takes several token sequences ("segments") at once, stacked into one
//! `[tokens, hidden]` matrix, so that each weight is read once for all of them;
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
    /// The word-embedding table stays 4-bit (54 MB for 250k rows); rows are dequantised
    /// as tokens are looked up.
    word: Vec<u8>,
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
        file: &[u8],
    ) -> Result<Self, EmbedError> {
        let hid = h.hidden;
        let t = Tensors { file, dir };
        let word = t.get("emb.word", DType::Q4, h.vocab_rows * hid)?.to_vec();
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
    #[allow(unsafe_code)]
    pub(crate) fn forward_means(&self, segments: &[&[u32]]) -> Vec<Vec<f32>> {
        WORKSPACE.with_borrow_mut(|ws| {
            #[cfg(target_arch = "x86_64")]
            if crate::simd::has_avx2_fma() {
                // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                return unsafe { self.forward_avx2(segments, ws) };
            }
            self.forward_in(segments, ws)
        })
    }

    /// The element-wise work (GELU, layer norm, attention, quantisation) is a quarter of
    /// the time when compiled for the SSE2 baseline; this AVX2 copy of the whole pass
    /// (everything in it is `inline(always)`) makes it markedly cheaper.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn forward_avx2(&self, segments: &[&[u32]], ws: &mut Workspace) -> Vec<Vec<f32>> {
        self.forward_in(segments, ws)
    }

    #[inline(always)]
    fn forward_in(&self, segments: &[&[u32]], ws: &mut Workspace) -> Vec<Vec<f32>> {
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
        let Workspace {
            x,
            qkv,
            ctx,
            proj,
            mid,
            acts,
            attention,
        } = ws;
        for (buf, len) in [(&mut *x, h), (qkv, 3 * h), (ctx, h), (proj, h), (mid, ff)] {
            buf.clear();
            buf.resize(n * len, 0.0);
        }

        self.embed_tokens(segments, x);
        math::add_layer_norm(x, None, &self.emb_ln.w, &self.emb_ln.b, self.h.eps);
        for layer in &self.layers {
            acts.quantise(x, h);
            matmul(&layer.qkv.w, &layer.qkv.b, acts, qkv);
            for r in &ranges {
                self.attention(
                    &qkv[r.start * 3 * h..r.end * 3 * h],
                    &mut ctx[r.start * h..r.end * h],
                    attention,
                );
            }
            acts.quantise(ctx, h);
            matmul(&layer.attn_out.w, &layer.attn_out.b, acts, proj);
            let ln = &layer.attn_ln;
            math::add_layer_norm(x, Some(proj), &ln.w, &ln.b, self.h.eps);

            acts.quantise(x, h);
            matmul(&layer.ffn_in.w, &layer.ffn_in.b, acts, mid);
            math::gelu(mid);
            acts.quantise(mid, ff);
            matmul(&layer.ffn_out.w, &layer.ffn_out.b, acts, proj);
            let ln = &layer.out_ln;
            math::add_layer_norm(x, Some(proj), &ln.w, &ln.b, self.h.eps);
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
    #[inline(always)]
    fn embed_tokens(&self, segments: &[&[u32]], x: &mut [f32]) {
        let h = self.h.hidden;
        let row_bytes = h / QK * Q4_BLOCK_BYTES;
        let table = &self.word;
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
    ///
    /// Queries go four at a time through the scores and two at a time through the weighted
    /// sum of values: each key or value vector loaded serves several queries, and the sums
    /// of different queries are independent, so additions do not wait on each other.
    #[inline(always)]
    fn attention(&self, qkv: &[f32], ctx: &mut [f32], s: &mut AttentionScratch) {
        const QUERIES: usize = 4;
        let h = self.h.hidden;
        let len = qkv.len() / (3 * h);
        // Rows padded to whole vectors so the score loop has no scalar tail.
        let padded = len.next_multiple_of(8);
        let scale = 1.0 / (HEAD_DIM as f32).sqrt();
        s.keys_t.clear();
        s.keys_t.resize(HEAD_DIM * padded, 0.0);
        s.scores.clear();
        s.scores.resize(QUERIES * padded, 0.0);
        let row = |j: usize, part: usize, off: usize| -> &[f32; HEAD_DIM] {
            let at = j * 3 * h + part * h + off;
            qkv[at..at + HEAD_DIM].try_into().expect("head slice")
        };
        for off in (0..h).step_by(HEAD_DIM) {
            // Keys transposed to `[HEAD_DIM, padded]`, so scores for 8 keys at a time are
            // HEAD_DIM vector multiply-adds.
            for j in 0..len {
                for (e, &k) in row(j, 1, off).iter().enumerate() {
                    s.keys_t[e * padded + j] = k;
                }
            }
            for i0 in (0..len).step_by(QUERIES) {
                let nq = QUERIES.min(len - i0);
                let mut q = [[0.0f32; HEAD_DIM]; QUERIES];
                for (qi, q) in q.iter_mut().enumerate().take(nq) {
                    for (d, &v) in q.iter_mut().zip(row(i0 + qi, 0, off)) {
                        *d = v * scale;
                    }
                }
                for jc in 0..padded / 8 {
                    let mut acc = [[0.0f32; 8]; QUERIES];
                    for e in 0..HEAD_DIM {
                        let k = &s.keys_t[e * padded + jc * 8..e * padded + jc * 8 + 8];
                        for (acc, q) in acc.iter_mut().zip(&q) {
                            for (a, &k) in acc.iter_mut().zip(k) {
                                *a += q[e] * k;
                            }
                        }
                    }
                    for (qi, acc) in acc.iter().enumerate() {
                        let at = qi * padded + jc * 8;
                        s.scores[at..at + 8].copy_from_slice(acc);
                    }
                }
                let mut inv = [0.0f32; QUERIES];
                for (qi, inv) in inv.iter_mut().enumerate().take(nq) {
                    let scores = &mut s.scores[qi * padded..qi * padded + len];
                    let max = scores.iter().fold(f32::NEG_INFINITY, |m, &p| m.max(p));
                    for p in scores.iter_mut() {
                        *p = math::exp(*p - max);
                    }
                    *inv = 1.0 / math::sum(scores);
                }
                for pair in (0..nq).step_by(2) {
                    let mut acc = [[0.0f32; HEAD_DIM]; 2];
                    for j in 0..len {
                        let v = row(j, 2, off);
                        for (u, acc) in acc.iter_mut().enumerate() {
                            let p = s.scores[(pair + u) * padded + j];
                            for (a, &v) in acc.iter_mut().zip(v) {
                                *a += p * v;
                            }
                        }
                    }
                    for (u, acc) in acc.iter().enumerate().take(nq - pair) {
                        let i = i0 + pair + u;
                        let out = &mut ctx[i * h + off..i * h + off + HEAD_DIM];
                        for (o, &a) in out.iter_mut().zip(acc) {
                            *o = a * inv[pair + u];
                        }
                    }
                }
            }
        }
    }
}

/// Head width of multilingual-e5-small (384 / 12); fixed so the attention loops unroll.
pub(crate) const HEAD_DIM: usize = 32;

/// Buffers reused across forward passes on the same thread (≈ 9 MB for a pass over 512
/// tokens, kept per thread; allocating them afresh each time showed up as page faults).
#[derive(Default)]
struct Workspace {
    x: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    proj: Vec<f32>,
    mid: Vec<f32>,
    acts: QuantActs,
    attention: AttentionScratch,
}

thread_local! {
    static WORKSPACE: std::cell::RefCell<Workspace> = std::cell::RefCell::default();
}

#[derive(Default)]
struct AttentionScratch {
    keys_t: Vec<f32>,
    scores: Vec<f32>,
}
