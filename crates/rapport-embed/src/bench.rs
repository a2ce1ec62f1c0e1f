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
    run_with_prefix(encoder, texts, threads, Prefix::Passage)
}

/// [`run`] with the given prefix (`rapport bench embed` uses [`Prefix::Query`], as the
/// semantic tier does). One encoder, shared by all the pool's threads.
pub fn run_with_prefix(
    encoder: &Encoder,
    texts: &[&str],
    threads: usize,
    prefix: Prefix,
) -> BenchReport {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool");
    let tokens = texts.iter().map(|t| encoder.token_count(t, prefix)).sum();
    pool.install(|| {
        encoder.embed_batch(&texts[..texts.len().min(8)], prefix);
        let start = Instant::now();
        let out = encoder.embed_batch(texts, prefix);
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
