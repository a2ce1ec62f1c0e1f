//! x86 matmul kernels chosen at run time: AVX-512 VNNI, else AVX2.
//!
//! Why `unsafe` here: `vpdpbusd` multiplies 64 unsigned bytes by 64 signed bytes and adds
//! groups of four into 16 int32 lanes in one instruction — the exact shape of a 4-bit ×
//! 8-bit dot product. Auto-vectorised Rust cannot reach it (no stable portable SIMD for it).
//! Measured on the 2-core AMD EPYC (Zen 4) of `docs/benchmarks.md`, the whole encoder runs
//! about 8× faster than with the portable kernel, and the AVX2 variant (for CPUs without
//! VNNI) about 4×; the portable kernel stays the fallback and the tests compare against it.
//! (A bf16 `vdpbf16ps` micro-benchmark did 40% fewer MACs/s on that CPU.) The only unsafe
//! operations are calls through the feature checks and loads/stores of bounded slices.
//!
//! Layout: each vector holds 16 output rows × 4 consecutive inputs. One token's 4 input
//! bytes are broadcast to all lanes, so a `vpdpbusd` advances 16 dot products at once and no
//! horizontal sums are needed; per 32-input block, the int32 sums are scaled into f32.
#![allow(unsafe_code)]

use std::arch::x86_64::*;
use std::sync::OnceLock;

use crate::format::QK;
#[cfg(doc)]
use crate::quant::Q4Matrix;
use crate::quant::QuantActs;

/// Output rows per vector (int32 lanes of a 512-bit register).
const LANES: usize = 16;
/// Groups of 4 inputs per Q4 block.
const GROUPS: usize = QK / 4;
/// Tokens computed together (each weight vector is loaded once for all of them).
const TOKENS: usize = 4;
/// Row groups computed together (each broadcast activation feeds all of them).
const GROUPS_PER_TILE: usize = 3;

/// Highest instruction set the code may use: `RAPPORT_EMBED_SIMD=none` forces the portable
/// paths and `=avx2` stops short of AVX-512, so every path can be tested on one machine.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Limit {
    None,
    Avx2,
    Any,
}

fn limit() -> Limit {
    static LIMIT: OnceLock<Limit> = OnceLock::new();
    *LIMIT.get_or_init(|| match std::env::var("RAPPORT_EMBED_SIMD").as_deref() {
        Ok("none") => Limit::None,
        Ok("avx2") => Limit::Avx2,
        _ => Limit::Any,
    })
}

pub(crate) fn has_avx512_vnni() -> bool {
    limit() >= Limit::Any
        && is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vnni")
}

pub(crate) fn has_avx2_fma() -> bool {
    limit() >= Limit::Avx2 && is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Bytes([u8; 64]);

#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct I32s([i32; LANES]);

#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct F32s([f32; LANES]);

/// A Q4 matrix rearranged for [`matmul_grouped`]: 16-row groups, signed weights `q − 8`.
pub(crate) struct GroupedWeights {
    rows: usize,
    cols: usize,
    /// `[row group][block][group of 4 inputs]`: lane `l` = 4 weights of row `16·g + l`.
    q: Vec<Bytes>,
    /// `[row group][block]`: the block scale of each row.
    scale: Vec<F32s>,
    /// `[row group][block]`: `−128 · Σ (q − 8)` of each row's block, which removes the +128
    /// that makes the activations unsigned.
    corr: Vec<I32s>,
}

impl GroupedWeights {
    /// `None` when the CPU lacks AVX2 or the rows are not whole groups of 16.
    /// Built from [`Q4Matrix`]'s packed nibbles and block scales.
    pub(crate) fn new(rows: usize, cols: usize, nibbles: &[u8], scales: &[f32]) -> Option<Self> {
        if !has_avx2_fma() || !rows.is_multiple_of(LANES) {
            return None;
        }
        let nb = cols / QK;
        let weight = |r: usize, j: usize| -> i8 {
            let packed = nibbles[r * cols / 2 + (j / 64) * 32 + j % 32];
            let nibble = if j % 64 < 32 {
                packed & 0x0f
            } else {
                packed >> 4
            };
            nibble as i8 - 8
        };
        let groups = rows / LANES;
        let mut q = Vec::with_capacity(groups * nb * GROUPS);
        let mut scale = Vec::with_capacity(groups * nb);
        let mut corr = Vec::with_capacity(groups * nb);
        for g in 0..groups {
            for b in 0..nb {
                for k in 0..GROUPS {
                    let mut v = [0u8; 64];
                    for (l, lane) in v.chunks_exact_mut(4).enumerate() {
                        for (i, byte) in lane.iter_mut().enumerate() {
                            *byte = weight(g * LANES + l, b * QK + 4 * k + i) as u8;
                        }
                    }
                    q.push(Bytes(v));
                }
                let first = g * LANES;
                scale.push(F32s(std::array::from_fn(|l| scales[(first + l) * nb + b])));
                corr.push(I32s(std::array::from_fn(|l| {
                    -128 * (0..QK)
                        .map(|j| weight(first + l, b * QK + j) as i32)
                        .sum::<i32>()
                })));
            }
        }
        Some(GroupedWeights {
            rows,
            cols,
            q,
            scale,
            corr,
        })
    }
}

/// Same contract as [`crate::quant::matmul_portable`]; AVX-512 VNNI when available, else AVX2.
pub(crate) fn matmul_grouped(w: &GroupedWeights, bias: &[f32], x: &QuantActs, y: &mut [f32]) {
    assert!(x.cols == w.cols && y.len() == x.tokens * w.rows && bias.len() == w.rows);
    if has_avx512_vnni() {
        // SAFETY: the CPU supports every feature `kernel` is compiled with (just checked).
        unsafe { kernel(w, bias, x, y) }
    } else {
        assert!(has_avx2_fma(), "AVX2 kernel on a CPU without it");
        // SAFETY: the CPU supports AVX2 and FMA (just checked).
        unsafe { avx2::kernel(w, bias, x, y) }
    }
}

/// Activations as words of 4 unsigned bytes (a + 128: both ISAs want them unsigned).
#[inline(always)]
fn unsigned_words(x: &QuantActs) -> Vec<u32> {
    let mut acts = vec![0u32; x.q.len() / 4];
    for (a, c) in acts.iter_mut().zip(x.q.chunks_exact(4)) {
        *a = u32::from_le_bytes([c[0] as u8, c[1] as u8, c[2] as u8, c[3] as u8]) ^ 0x8080_8080;
    }
    acts
}

#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn kernel(w: &GroupedWeights, bias: &[f32], x: &QuantActs, y: &mut [f32]) {
    let acts = unsigned_words(x);
    let groups = w.rows / LANES;
    let mut g = 0;
    while g < groups {
        if groups - g >= GROUPS_PER_TILE {
            row_tiles::<GROUPS_PER_TILE>(w, bias, x, &acts, g, y);
            g += GROUPS_PER_TILE;
        } else {
            row_tiles::<1>(w, bias, x, &acts, g, y);
            g += 1;
        }
    }
}

/// All tokens for the `G` row groups starting at `g`.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
fn row_tiles<const G: usize>(
    w: &GroupedWeights,
    bias: &[f32],
    x: &QuantActs,
    acts: &[u32],
    g: usize,
    y: &mut [f32],
) {
    let nb = w.cols / QK;
    let words = w.cols / 4;
    let mut bias_v = [_mm512_setzero_ps(); G];
    for (i, b) in bias_v.iter_mut().enumerate() {
        *b = load_f32(&bias[(g + i) * LANES..(g + i + 1) * LANES]);
    }
    let span = |i: usize| (g + i) * nb..(g + i + 1) * nb;
    let weights = Group::<G> {
        q: &w.q[span(0).start * GROUPS..span(G - 1).end * GROUPS],
        scale: &w.scale[span(0).start..span(G - 1).end],
        corr: &w.corr[span(0).start..span(G - 1).end],
        bias: bias_v,
        col: g * LANES,
        rows: w.rows,
    };
    for t0 in (0..x.tokens).step_by(TOKENS) {
        let nt = TOKENS.min(x.tokens - t0);
        let a = &acts[t0 * words..(t0 + nt) * words];
        let d = &x.d[t0 * nb..(t0 + nt) * nb];
        let y = &mut y[t0 * w.rows..(t0 + nt) * w.rows];
        match nt {
            4 => tile::<G, 4>(&weights, a, d, y),
            3 => tile::<G, 3>(&weights, a, d, y),
            2 => tile::<G, 2>(&weights, a, d, y),
            _ => tile::<G, 1>(&weights, a, d, y),
        }
    }
}

/// `G` consecutive row groups: their weights `[group][block][k]`, scales and corrections
/// `[group][block]`.
struct Group<'a, const G: usize> {
    q: &'a [Bytes],
    scale: &'a [F32s],
    corr: &'a [I32s],
    bias: [__m512; G],
    /// First output row of the first group, and the row count of `y`.
    col: usize,
    rows: usize,
}

/// `16·G` outputs of `NT` tokens: `acts` holds the tokens' words, `d` their block scales,
/// `y` their output rows.
// Index loops on purpose: constant bounds the compiler fully unrolls into registers.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
fn tile<const G: usize, const NT: usize>(w: &Group<'_, G>, acts: &[u32], d: &[f32], y: &mut [f32]) {
    let nb = w.scale.len() / G;
    let words = acts.len() / NT;
    let mut acc = [[_mm512_setzero_ps(); NT]; G];
    for b in 0..nb {
        let mut dots = [[_mm512_setzero_si512(); NT]; G];
        for (i, dots) in dots.iter_mut().enumerate() {
            *dots = [load_i32s(&w.corr[i * nb + b]); NT];
        }
        // (Plain loops: closures here would be compiled without the target features.)
        let mut a = [[0u32; GROUPS]; NT];
        for (t, a) in a.iter_mut().enumerate() {
            let at = t * words + b * GROUPS;
            a.copy_from_slice(&acts[at..at + GROUPS]);
        }
        for k in 0..GROUPS {
            let mut wv = [_mm512_setzero_si512(); G];
            for (i, wv) in wv.iter_mut().enumerate() {
                *wv = load_bytes(&w.q[(i * nb + b) * GROUPS + k]);
            }
            for t in 0..NT {
                let av = _mm512_set1_epi32(a[t][k] as i32);
                for i in 0..G {
                    dots[i][t] = _mm512_dpbusd_epi32(dots[i][t], av, wv[i]);
                }
            }
        }
        for i in 0..G {
            let dw = load_f32s(&w.scale[i * nb + b]);
            for t in 0..NT {
                let s = _mm512_mul_ps(dw, _mm512_set1_ps(d[t * nb + b]));
                acc[i][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dots[i][t]), s, acc[i][t]);
            }
        }
    }
    for (i, acc) in acc.iter().enumerate() {
        for (t, acc) in acc.iter().enumerate() {
            let at = t * w.rows + w.col + i * LANES;
            store_f32(&mut y[at..at + LANES], _mm512_add_ps(*acc, w.bias[i]));
        }
    }
}

#[target_feature(enable = "avx512f")]
#[inline]
fn load_bytes(b: &Bytes) -> __m512i {
    // SAFETY: `Bytes` is 64 bytes, 64-byte aligned.
    unsafe { _mm512_load_si512(b.0.as_ptr().cast()) }
}

#[target_feature(enable = "avx512f")]
#[inline]
fn load_i32s(b: &I32s) -> __m512i {
    // SAFETY: `I32s` is 64 bytes, 64-byte aligned.
    unsafe { _mm512_load_si512(b.0.as_ptr().cast()) }
}

#[target_feature(enable = "avx512f")]
#[inline]
fn load_f32s(b: &F32s) -> __m512 {
    // SAFETY: `F32s` is 64 bytes, 64-byte aligned.
    unsafe { _mm512_load_ps(b.0.as_ptr()) }
}

#[target_feature(enable = "avx512f")]
#[inline]
fn load_f32(s: &[f32]) -> __m512 {
    assert_eq!(s.len(), LANES);
    // SAFETY: `s` holds exactly 16 floats (asserted).
    unsafe { _mm512_loadu_ps(s.as_ptr()) }
}

#[target_feature(enable = "avx512f")]
#[inline]
fn store_f32(s: &mut [f32], v: __m512) {
    assert_eq!(s.len(), LANES);
    // SAFETY: `s` holds exactly 16 floats (asserted) and is borrowed mutably.
    unsafe { _mm512_storeu_ps(s.as_mut_ptr(), v) }
}

/// The same layout and arithmetic for CPUs with AVX2 but not AVX-512 VNNI: each 64-byte
/// weight vector is two 256-bit halves of 8 rows, and `vpdpbusd` becomes
/// `vpmaddubsw` + `vpmaddwd` + `vpaddd` (no saturation: |255 · 8 · 2| < 2^15).
mod avx2 {
    use super::*;

    /// Tokens computed together (16 vector registers only).
    const TOKENS: usize = 3;

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn kernel(w: &GroupedWeights, bias: &[f32], x: &QuantActs, y: &mut [f32]) {
        let acts = unsigned_words(x);
        let nb = w.cols / QK;
        let words = w.cols / 4;
        for g in 0..w.rows / LANES {
            for t0 in (0..x.tokens).step_by(TOKENS) {
                let nt = TOKENS.min(x.tokens - t0);
                let a = &acts[t0 * words..(t0 + nt) * words];
                let d = &x.d[t0 * nb..(t0 + nt) * nb];
                let y = &mut y[t0 * w.rows..(t0 + nt) * w.rows];
                match nt {
                    3 => tile::<3>(w, g, bias, a, d, y),
                    2 => tile::<2>(w, g, bias, a, d, y),
                    _ => tile::<1>(w, g, bias, a, d, y),
                }
            }
        }
    }

    // Index loops on purpose: constant bounds the compiler fully unrolls into registers.
    #[allow(clippy::needless_range_loop)]
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn tile<const NT: usize>(
        w: &GroupedWeights,
        g: usize,
        bias: &[f32],
        acts: &[u32],
        d: &[f32],
        y: &mut [f32],
    ) {
        let nb = w.cols / QK;
        let words = acts.len() / NT;
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_ps(); NT]; 2];
        for b in 0..nb {
            let at = g * nb + b;
            let mut dots = [[_mm256_setzero_si256(); NT]; 2];
            for (h, dots) in dots.iter_mut().enumerate() {
                *dots = [load_i32x8(&w.corr[at].0[h * 8..h * 8 + 8]); NT];
            }
            let mut a = [[0u32; GROUPS]; NT];
            for (t, a) in a.iter_mut().enumerate() {
                let at = t * words + b * GROUPS;
                a.copy_from_slice(&acts[at..at + GROUPS]);
            }
            for k in 0..GROUPS {
                let q = &w.q[at * GROUPS + k].0;
                let wv = [load_u8x32(&q[..32]), load_u8x32(&q[32..])];
                for t in 0..NT {
                    let av = _mm256_set1_epi32(a[t][k] as i32);
                    for h in 0..2 {
                        let pairs = _mm256_maddubs_epi16(av, wv[h]);
                        dots[h][t] = _mm256_add_epi32(dots[h][t], _mm256_madd_epi16(pairs, ones));
                    }
                }
            }
            for h in 0..2 {
                let dw = load_f32x8(&w.scale[at].0[h * 8..h * 8 + 8]);
                for t in 0..NT {
                    let s = _mm256_mul_ps(dw, _mm256_set1_ps(d[t * nb + b]));
                    acc[h][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dots[h][t]), s, acc[h][t]);
                }
            }
        }
        for h in 0..2 {
            let col = g * LANES + h * 8;
            let bias = load_f32x8(&bias[col..col + 8]);
            for t in 0..NT {
                let at = t * w.rows + col;
                store_f32x8(&mut y[at..at + 8], _mm256_add_ps(acc[h][t], bias));
            }
        }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn load_u8x32(s: &[u8]) -> __m256i {
        assert_eq!(s.len(), 32);
        // SAFETY: `s` holds exactly 32 bytes (asserted).
        unsafe { _mm256_loadu_si256(s.as_ptr().cast()) }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn load_i32x8(s: &[i32]) -> __m256i {
        assert_eq!(s.len(), 8);
        // SAFETY: `s` holds exactly 8 ints (asserted).
        unsafe { _mm256_loadu_si256(s.as_ptr().cast()) }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn load_f32x8(s: &[f32]) -> __m256 {
        assert_eq!(s.len(), 8);
        // SAFETY: `s` holds exactly 8 floats (asserted).
        unsafe { _mm256_loadu_ps(s.as_ptr()) }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn store_f32x8(s: &mut [f32], v: __m256) {
        assert_eq!(s.len(), 8);
        // SAFETY: `s` holds exactly 8 floats (asserted) and is borrowed mutably.
        unsafe { _mm256_storeu_ps(s.as_mut_ptr(), v) }
    }
}
