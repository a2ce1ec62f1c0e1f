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
    let cpu_before = cpu_seconds();
    let r = bench::run(&encoder, &texts, threads);
    let cpu = cpu_seconds().zip(cpu_before).map(|(a, b)| a - b);
    println!(
        "rapport-embed {} texts {} tokens {} threads wall {:.2}s {:.1} texts/s{}",
        r.texts,
        r.tokens,
        r.threads,
        r.elapsed.as_secs_f64(),
        r.texts_per_sec(),
        cpu.map(|c| format!(" cpu {c:.2}s {:.1} texts/cpu-s", r.texts as f64 / c))
            .unwrap_or_default()
    );
    Ok(())
}

/// User + system CPU time of the whole process so far (Linux `/proc/self/stat`, clock ticks
/// of 1/100 s), so figures stay comparable when other work shares the machine. Includes the
/// short warm-up `bench::run` does before timing.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let user: f64 = rest.next()?.parse().ok()?;
    let system: f64 = rest.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}
