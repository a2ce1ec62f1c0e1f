//! Placeholder until the AVX-512 kernel lands.
pub(crate) fn has_avx512_vnni() -> bool {
    false
}
pub(crate) fn matmul_avx512(
    w: &crate::quant::Q4Matrix,
    bias: &[f32],
    x: &crate::quant::QuantActs,
    y: &mut [f32],
) {
    crate::quant::matmul_portable(w, bias, x, y)
}
