//! 4-bit weights × 8-bit activations.
//!
//! Weights keep the file's Q4_0 values (blocks of 32 nibbles with one scale) but are repacked
//! at load time into 64-weight chunks whose nibbles unpack in order with one mask and one
//! shift. Activations are quantised per block of 32 to int8 with their own scale, exactly as
//! the reference engine does, so each output is a sum over blocks of
//! `d_w · d_a · (Σ w·a − 8·Σ a)` with integer inner products.

use crate::format::{Q4_BLOCK_BYTES, QK};

/// Weights per repacked chunk: two Q4 blocks, one 512-bit vector of bytes.
pub(crate) const CHUNK: usize = 64;

/// IEEE half to single precision (the Q4 block scales are stored as fp16).
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let negative = h & 0x8000 != 0;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let magnitude = match exp {
        // Zero and subnormals: man · 2^-24, exact in f32.
        0 => man as f32 / 16_777_216.0,
        0x1f => f32::from_bits(0x7f80_0000 | (man << 13)),
        _ => f32::from_bits(((exp + 127 - 15) << 23) | (man << 13)),
    };
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// Decodes one stored Q4_0 block into its 32 unsigned nibbles (0..=15, bias 8) and scale.
pub(crate) fn decode_block(block: &[u8]) -> ([u8; QK], f32) {
    debug_assert_eq!(block.len(), Q4_BLOCK_BYTES);
    let scale = f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
    let mut q = [0u8; QK];
    for (j, &b) in block[2..].iter().enumerate() {
        q[j] = b & 0x0f;
        q[j + QK / 2] = b >> 4;
    }
    (q, scale)
}

/// Dequantises a row of stored Q4_0 blocks into f32 (used for the embedding table).
pub(crate) fn dequant_row(blocks: &[u8], out: &mut [f32]) {
    for (blk, o) in blocks
        .chunks_exact(Q4_BLOCK_BYTES)
        .zip(out.chunks_exact_mut(QK))
    {
        let (q, d) = decode_block(blk);
        for (o, &q) in o.iter_mut().zip(&q) {
            *o = (q as f32 - 8.0) * d;
        }
    }
}

/// A Q4 weight matrix `[rows, cols]` (output × input), repacked for the kernels.
pub(crate) struct Q4Matrix {
    pub rows: usize,
    pub cols: usize,
    /// Per row, per 64-weight chunk, 32 bytes: byte `i` holds weight `i` in its low nibble
    /// and weight `i + 32` in its high nibble.
    pub nibbles: Vec<u8>,
    /// One scale per row per 32-weight block.
    pub scales: Vec<f32>,
    /// The same weights laid out for the x86 SIMD kernels, when the CPU has AVX2.
    #[cfg(target_arch = "x86_64")]
    grouped: Option<crate::simd::GroupedWeights>,
}

impl Q4Matrix {
    /// Repacks `rows` stored rows of `cols` weights (Q4_0 blocks, row-major).
    pub(crate) fn from_blocks(blocks: &[u8], rows: usize, cols: usize) -> Self {
        debug_assert_eq!(cols % CHUNK, 0);
        debug_assert_eq!(blocks.len(), rows * cols / QK * Q4_BLOCK_BYTES);
        let mut nibbles = Vec::with_capacity(rows * cols / 2);
        let mut scales = Vec::with_capacity(rows * cols / QK);
        for pair in blocks.chunks_exact(2 * Q4_BLOCK_BYTES) {
            let (lo, d0) = decode_block(&pair[..Q4_BLOCK_BYTES]);
            let (hi, d1) = decode_block(&pair[Q4_BLOCK_BYTES..]);
            nibbles.extend(lo.iter().zip(&hi).map(|(&l, &h)| l | (h << 4)));
            scales.extend([d0, d1]);
        }
        Q4Matrix {
            rows,
            cols,
            #[cfg(target_arch = "x86_64")]
            grouped: crate::simd::GroupedWeights::new(rows, cols, &nibbles, &scales),
            nibbles,
            scales,
        }
    }

    fn row_nibbles(&self, r: usize) -> &[u8] {
        &self.nibbles[r * self.cols / 2..(r + 1) * self.cols / 2]
    }

    fn row_scales(&self, r: usize) -> &[f32] {
        &self.scales[r * self.cols / QK..(r + 1) * self.cols / QK]
    }
}

/// Activations `[tokens, cols]` quantised per 32-block to int8.
#[derive(Default)]
pub(crate) struct QuantActs {
    pub tokens: usize,
    pub cols: usize,
    pub q: Vec<i8>,
    /// Scale per token per block.
    pub d: Vec<f32>,
    /// Sum of the block's int8 values (folds the weights' bias of 8 into one product).
    pub sum: Vec<i32>,
}

impl QuantActs {
    /// Quantises `x` (`tokens × cols`, row-major), reusing the buffers.
    #[inline(always)]
    pub(crate) fn quantise(&mut self, x: &[f32], cols: usize) {
        debug_assert_eq!(x.len() % cols, 0);
        self.tokens = x.len() / cols;
        self.cols = cols;
        self.q.resize(x.len(), 0);
        self.d.resize(x.len() / QK, 0.0);
        self.sum.resize(x.len() / QK, 0);
        for (((xb, qb), d), s) in x
            .chunks_exact(QK)
            .zip(self.q.chunks_exact_mut(QK))
            .zip(self.d.iter_mut())
            .zip(self.sum.iter_mut())
        {
            let amax = xb.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let scale = amax / 127.0;
            let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
            let mut total = 0i32;
            for (q, &v) in qb.iter_mut().zip(xb) {
                let i = round_ties_even(v * inv).clamp(-128, 127);
                *q = i as i8;
                total += i;
            }
            *d = scale;
            *s = total;
        }
    }
}

/// Rounds half to even like C's `lrintf` in the reference, for |x| < 2^22. Adding
/// 1.5·2^23 leaves the rounded integer in the low mantissa bits; unlike
/// `f32::round_ties_even` (a libm call without SSE4.1) this vectorises.
#[inline(always)]
fn round_ties_even(x: f32) -> i32 {
    const SHIFT: f32 = 12_582_912.0;
    // Wrapping: NaN or infinite inputs (corrupt weights) must not panic.
    ((x + SHIFT).to_bits() as i32).wrapping_sub(SHIFT.to_bits() as i32)
}

/// `y[t, r] = bias[r] + Σ_c W[r, c] · x[t, c]`, with `y` row-major `[tokens, w.rows]`.
///
/// Inlined so that the portable kernel is compiled into the AVX2 copy of the forward pass.
#[inline(always)]
pub(crate) fn matmul(w: &Q4Matrix, bias: &[f32], x: &QuantActs, y: &mut [f32]) {
    debug_assert_eq!(x.cols, w.cols);
    debug_assert_eq!(y.len(), x.tokens * w.rows);
    #[cfg(target_arch = "x86_64")]
    if let Some(g) = &w.grouped {
        crate::simd::matmul_grouped(g, bias, x, y);
        return;
    }
    matmul_portable(w, bias, x, y);
}

/// The portable kernel: one weight row is unpacked once and reused for every token; the
/// per-block integer dot products are plain loops the compiler vectorises.
#[inline(always)]
pub(crate) fn matmul_portable(w: &Q4Matrix, bias: &[f32], x: &QuantActs, y: &mut [f32]) {
    let nb = w.cols / QK;
    let mut row = vec![0u8; w.cols];
    for r in 0..w.rows {
        for (chunk, packed) in row
            .chunks_exact_mut(CHUNK)
            .zip(w.row_nibbles(r).chunks_exact(CHUNK / 2))
        {
            let (lo, hi) = chunk.split_at_mut(CHUNK / 2);
            for ((l, h), &p) in lo.iter_mut().zip(hi.iter_mut()).zip(packed) {
                *l = p & 0x0f;
                *h = p >> 4;
            }
        }
        let dw = w.row_scales(r);
        for t in 0..x.tokens {
            let a = &x.q[t * w.cols..(t + 1) * w.cols];
            let da = &x.d[t * nb..(t + 1) * nb];
            let sa = &x.sum[t * nb..(t + 1) * nb];
            let mut acc = 0.0f32;
            for b in 0..nb {
                let wb = &row[b * QK..(b + 1) * QK];
                let ab = &a[b * QK..(b + 1) * QK];
                let dot: i32 = wb.iter().zip(ab).map(|(&w, &a)| w as i32 * a as i32).sum();
                acc += dw[b] * da[b] * (dot - 8 * sa[b]) as f32;
            }
            y[t * w.rows + r] = bias[r] + acc;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random numbers (no dependency needed for a test).
    fn lcg(seed: &mut u64) -> u32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 33) as u32
    }

    fn random_matrix(rows: usize, cols: usize, seed: &mut u64) -> Q4Matrix {
        let mut blocks = Vec::new();
        for _ in 0..rows * cols / QK {
            // fp16 scales between ~0.002 and ~0.03, random nibbles.
            let scale = 0x1800u16 + (lcg(seed) % 0x0800) as u16;
            blocks.extend(scale.to_le_bytes());
            blocks.extend((0..QK / 2).map(|_| lcg(seed) as u8));
        }
        Q4Matrix::from_blocks(&blocks, rows, cols)
    }

    #[test]
    fn f16_conversion_covers_normals_subnormals_and_signs() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x8000), -0.0);
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
    }

    #[test]
    fn quantisation_rounds_half_to_even_and_keeps_block_sums() {
        let mut x = vec![0.0f32; 64];
        x[0] = 127.0;
        x[1] = 2.5;
        x[2] = -3.5;
        x[40] = -1.0;
        let mut q = QuantActs::default();
        q.quantise(&x, 64);
        assert_eq!((q.q[0], q.q[1], q.q[2]), (127, 2, -4));
        assert_eq!(q.sum[0], 127 + 2 - 4);
        assert_eq!((q.q[40], q.d[1]), (-127, 1.0 / 127.0));
    }

    /// The selected kernel (AVX-512 where available) and the portable one agree.
    #[test]
    fn kernels_agree() {
        let mut seed = 7;
        for (rows, cols, tokens) in [(16, 64, 1), (32, 384, 13), (48, 1536, 9), (12, 384, 3)] {
            let w = random_matrix(rows, cols, &mut seed);
            let bias: Vec<f32> = (0..rows).map(|r| r as f32 * 0.1).collect();
            let x: Vec<f32> = (0..tokens * cols)
                .map(|_| (lcg(&mut seed) % 2001) as f32 / 1000.0 - 1.0)
                .collect();
            let mut acts = QuantActs::default();
            acts.quantise(&x, cols);
            let (mut fast, mut portable) = (vec![0.0; tokens * rows], vec![0.0; tokens * rows]);
            matmul(&w, &bias, &acts, &mut fast);
            matmul_portable(&w, &bias, &acts, &mut portable);
            for (f, p) in fast.iter().zip(&portable) {
                assert!((f - p).abs() <= 1e-4 * (1.0 + p.abs()), "{f} vs {p}");
            }
        }
    }
}
