//! Throughput measurement for `rapport bench embed` and `examples/embed_bench.rs`.

use std::time::{Duration, Instant};

use crate::{Encoder, Prefix};

/// Result of [`run`].
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub texts: usize,
    pub tokens: usize,
    pub threads: usize,
    pub elapsed: Duration,
}

impl BenchReport {
    pub fn texts_per_sec(&self) -> f64 {
        self.texts as f64 / self.elapsed.as_secs_f64()
    }
    pub fn tokens_per_sec(&self) -> f64 {
        self.tokens as f64 / self.elapsed.as_secs_f64()
    }
}

/// Embeds `texts` as passages on a fresh rayon pool of `threads` threads (after a short
/// warm-up) and times the batch.
pub fn run(encoder: &Encoder, texts: &[&str], threads: usize) -> BenchReport {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool");
    let tokens = texts
        .iter()
        .map(|t| encoder.token_count(t, Prefix::Passage))
        .sum();
    pool.install(|| {
        encoder.embed_batch(&texts[..texts.len().min(8)], Prefix::Passage);
        let start = Instant::now();
        let out = encoder.embed_batch(texts, Prefix::Passage);
        let elapsed = start.elapsed();
        debug_assert_eq!(out.len(), texts.len());
        BenchReport {
            texts: texts.len(),
            tokens,
            threads,
            elapsed,
        }
    })
}
