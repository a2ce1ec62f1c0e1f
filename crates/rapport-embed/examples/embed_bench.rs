//! Embeds every line of a file as a passage and prints texts/s (see `scripts/bench-embed.sh`).
//!
//!     cargo run --release -p rapport-embed --example embed_bench -- texts.txt [threads] [model]

use std::path::PathBuf;

use rapport_embed::{bench, default_model_dir, Encoder, MODEL_FILE};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .ok_or("usage: embed_bench TEXTS [THREADS] [MODEL]")?;
    let threads: usize = args.next().map(|t| t.parse()).transpose()?.unwrap_or(2);
    let model = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| default_model_dir().join(MODEL_FILE));
    let text = std::fs::read_to_string(&input)?;
    let texts: Vec<&str> = text.lines().collect();
    let encoder = Encoder::load(&model)?;
    let r = bench::run(&encoder, &texts, threads);
    println!(
        "rapport-embed {} texts {} tokens {} threads {:.2}s {:.1} texts/s {:.0} tokens/s",
        r.texts,
        r.tokens,
        r.threads,
        r.elapsed.as_secs_f64(),
        r.texts_per_sec(),
        r.tokens_per_sec()
    );
    Ok(())
}
