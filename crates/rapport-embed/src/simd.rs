//! The AVX-512 VNNI matmul kernel, chosen at run time when the CPU has it.
//!
//! Why `unsafe` here: `vpdpbusd` multiplies 64 unsigned bytes by 64 signed bytes and adds
//! groups of four into 16 int32 lanes in one instruction — the exact shape of a 4-bit ×
//! 8-bit dot product. Auto-vectorised Rust cannot reach it (no stable portable SIMD for it);
//! on the 2-core AMD EPYC (Zen 4) used for `docs/benchmarks.md` it made the whole encoder
//! several times faster than the portable kernel, which stays the fallback and the
//! reference for the tests. The only unsafe operations are the call through the feature
//! check and aligned loads from 64-byte-aligned arrays we own.
#![allow(unsafe_code)]

use std::arch::x86_64::*;
use std::sync::OnceLock;

use crate::format::QK;
use crate::quant::{Q4Matrix, QuantActs, CHUNK};

/// Output rows computed together (each activation vector is loaded once for all of them).
const ROWS: usize = 4;
/// Tokens computed together (each weight vector is loaded once for all of them).
const TOKENS: usize = 4;
const LANES: usize = 16;

/// `RAPPORT_EMBED_PORTABLE=1` forces the portable code paths (to test them on any CPU).
fn portable_forced() -> bool {
    static FORCED: OnceLock<bool> = OnceLock::new();
    *FORCED.get_or_init(|| std::env::var_os("RAPPORT_EMBED_PORTABLE").is_some_and(|v| v == "1"))
}

pub(crate) fn has_avx512_vnni() -> bool {
    !portable_forced()
        && is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vnni")
}

pub(crate) fn has_avx2_fma() -> bool {
    !portable_forced() && is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

/// Same contract as [`crate::quant::matmul_portable`].
pub(crate) fn matmul_avx512(w: &Q4Matrix, bias: &[f32], x: &QuantActs, y: &mut [f32]) {
    assert!(has_avx512_vnni(), "AVX-512 VNNI kernel on a CPU without it");
    // SAFETY: the CPU supports every feature `kernel` is compiled with (checked above).
    unsafe { kernel(w, bias, x, y) }
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

#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn kernel(w: &Q4Matrix, bias: &[f32], x: &QuantActs, y: &mut [f32]) {
    let chunks = w.cols / CHUNK;
    let nb = w.cols / QK;
    let tiles = x.tokens.div_ceil(TOKENS);

    // Activations as unsigned bytes (a + 128: `vpdpbusd` wants one unsigned operand) with
    // their block scales spread over lanes, laid out `[token tile][chunk][token]` so the
    // inner loop walks memory in order; missing tokens of the last tile stay zero.
    let mut acts = vec![[Bytes([0; 64]); TOKENS]; tiles * chunks];
    let mut act_scales = vec![[F32s([0.0; LANES]); TOKENS]; tiles * chunks];
    for (t, q) in x.q.chunks_exact(w.cols).enumerate() {
        for (c, q) in q.chunks_exact(CHUNK).enumerate() {
            let i = (t / TOKENS) * chunks + c;
            let v = _mm512_xor_si512(load_unaligned(q), _mm512_set1_epi8(i8::MIN));
            store_bytes(&mut acts[i][t % TOKENS], v);
            let d = &x.d[t * nb + 2 * c..t * nb + 2 * c + 2];
            store_f32s(&mut act_scales[i][t % TOKENS], spread(d[0], d[1]));
        }
    }

    // Per row tile, `[chunk][row]`: signed weights (q − 8), the lane correction
    // −128·Σ(q − 8) that removes the activations' +128, and the spread weight scales.
    let mut wq = vec![[Bytes([0; 64]); ROWS]; chunks];
    let mut wcorr = vec![[I32s([0; LANES]); ROWS]; chunks];
    let mut wscale = vec![[F32s([0.0; LANES]); ROWS]; chunks];
    for r0 in (0..w.rows).step_by(ROWS) {
        let nr = ROWS.min(w.rows - r0);
        for c in 0..chunks {
            for r in 0..nr {
                let row = r0 + r;
                let at = (row * chunks + c) * 32;
                let (q, corr) = unpack_chunk(&w.nibbles[at..at + 32]);
                store_bytes(&mut wq[c][r], q);
                store_i32s(&mut wcorr[c][r], corr);
                let s = &w.scales[row * nb + 2 * c..row * nb + 2 * c + 2];
                store_f32s(&mut wscale[c][r], spread(s[0], s[1]));
            }
            for r in nr..ROWS {
                wq[c][r] = Bytes([0; 64]);
                wcorr[c][r] = I32s([0; LANES]);
                wscale[c][r] = F32s([0.0; LANES]);
            }
        }
        let weights = RowTile {
            q: &wq,
            corr: &wcorr,
            scale: &wscale,
        };
        for (tile_i, (a, s)) in acts
            .chunks_exact(chunks)
            .zip(act_scales.chunks_exact(chunks))
            .enumerate()
        {
            let t0 = tile_i * TOKENS;
            let nt = TOKENS.min(x.tokens - t0);
            let mut out = [[0.0f32; TOKENS]; ROWS];
            match nt {
                1 => tile::<1>(&weights, a, s, &mut out),
                2 => tile::<2>(&weights, a, s, &mut out),
                3 => tile::<3>(&weights, a, s, &mut out),
                _ => tile::<TOKENS>(&weights, a, s, &mut out),
            }
            for (r, row) in out.iter().enumerate().take(nr) {
                for (t, v) in row.iter().enumerate().take(nt) {
                    y[(t0 + t) * w.rows + r0 + r] = bias[r0 + r] + v;
                }
            }
        }
    }
}

/// The 16 int32 lanes of `vpdpbusd` each cover 4 bytes: lanes 0–7 the first Q4 block of a
/// chunk, 8–15 the second, so per-block scales are spread over 8 lanes each.
#[target_feature(enable = "avx512f")]
#[inline]
fn spread(d0: f32, d1: f32) -> __m512 {
    _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(d0), _mm512_set1_ps(d1))
}

/// 32 packed bytes → 64 signed weights `q − 8` in order, and `−128·Σ(q − 8)` per lane.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
fn unpack_chunk(packed: &[u8]) -> (__m512i, __m512i) {
    assert_eq!(packed.len(), 32);
    // SAFETY: `packed` holds exactly 32 bytes (asserted).
    let p = unsafe { _mm256_loadu_si256(packed.as_ptr().cast()) };
    let mask = _mm256_set1_epi8(0x0f);
    let lo = _mm256_and_si256(p, mask);
    let hi = _mm256_and_si256(_mm256_srli_epi16(p, 4), mask);
    let q = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    let q = _mm512_sub_epi8(q, _mm512_set1_epi8(8));
    let sum128 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(i8::MIN), q);
    (q, _mm512_sub_epi32(_mm512_setzero_si512(), sum128))
}

#[target_feature(enable = "avx512f")]
#[inline]
fn load_unaligned(b: &[i8]) -> __m512i {
    assert_eq!(b.len(), 64);
    // SAFETY: `b` holds exactly 64 bytes (asserted).
    unsafe { _mm512_loadu_si512(b.as_ptr().cast()) }
}

#[target_feature(enable = "avx512f")]
#[inline]
fn store_bytes(b: &mut Bytes, v: __m512i) {
    // SAFETY: `Bytes` is 64 bytes, 64-byte aligned, and borrowed mutably.
    unsafe { _mm512_store_si512(b.0.as_mut_ptr().cast(), v) }
}

#[target_feature(enable = "avx512f")]
#[inline]
fn store_i32s(b: &mut I32s, v: __m512i) {
    // SAFETY: `I32s` is 64 bytes, 64-byte aligned, and borrowed mutably.
    unsafe { _mm512_store_si512(b.0.as_mut_ptr().cast(), v) }
}

#[target_feature(enable = "avx512f")]
#[inline]
fn store_f32s(b: &mut F32s, v: __m512) {
    // SAFETY: `F32s` is 64 bytes, 64-byte aligned, and borrowed mutably.
    unsafe { _mm512_store_ps(b.0.as_mut_ptr(), v) }
}

struct RowTile<'a> {
    q: &'a [[Bytes; ROWS]],
    corr: &'a [[I32s; ROWS]],
    scale: &'a [[F32s; ROWS]],
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

/// `out[r][t]` = Σ over chunks of the scaled integer dot products, for `NT` tokens.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
fn tile<const NT: usize>(
    w: &RowTile<'_>,
    acts: &[[Bytes; TOKENS]],
    act_scales: &[[F32s; TOKENS]],
    out: &mut [[f32; TOKENS]; ROWS],
) {
    let mut acc = [[_mm512_setzero_ps(); NT]; ROWS];
    let weights = w.q.iter().zip(w.corr).zip(w.scale);
    for (((wq, wc), ws), (a, s)) in weights.zip(acts.iter().zip(act_scales)) {
        let a: [__m512i; NT] = std::array::from_fn(|t| load_bytes(&a[t]));
        let da: [__m512; NT] = std::array::from_fn(|t| load_f32s(&s[t]));
        for (r, acc) in acc.iter_mut().enumerate() {
            let wv = load_bytes(&wq[r]);
            let corr = load_i32s(&wc[r]);
            let dw = load_f32s(&ws[r]);
            for t in 0..NT {
                let dot = _mm512_dpbusd_epi32(corr, a[t], wv);
                let scale = _mm512_mul_ps(dw, da[t]);
                acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc[t]);
            }
        }
    }
    for (o, acc) in out.iter_mut().zip(&acc) {
        for (o, &v) in o.iter_mut().zip(acc) {
            *o = _mm512_reduce_add_ps(v);
        }
    }
}
