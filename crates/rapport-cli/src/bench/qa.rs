//! `rapport bench qa`: `rapport qa` end to end in process (read lines, parse, analyse every
//! turn, evaluate, serialise) over generated conversations, on one thread and on all cores.

use std::io::Cursor;
use std::time::Instant;

use crate::qa::{run_stream, thread_pool, QaStats};

/// Benchmark auto-QA throughput.
#[derive(Debug, clap::Args)]
pub struct QaBenchArgs {
    /// Conversations to generate and evaluate.
    #[arg(long, default_value_t = 10_000)]
    pub conversations: usize,
}

/// The hand-labelled conversations (36, en/he/el), the generator's material.
const LABELLED: &str = include_str!("../../../rapport-qa/tests/data/labelled.jsonl");

/// `n` conversations as JSON Lines: the labelled dialogues in turn, each with a fresh id and
/// without its labels. Deterministic, so runs compare.
pub fn generate(n: usize) -> Vec<u8> {
    let templates: Vec<serde_json::Value> = LABELLED
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("labelled.jsonl");
            v.as_object_mut().expect("object").remove("labels");
            v
        })
        .collect();
    let mut out = Vec::with_capacity(n * 1500);
    for i in 0..n {
        let mut v = templates[i % templates.len()].clone();
        v["id"] = serde_json::Value::String(format!("bench-{i:06}"));
        // Every other copy leaves the language to detection, as many imports do.
        if (i / templates.len()) % 2 == 1 {
            v.as_object_mut().expect("object").remove("language");
        }
        serde_json::to_writer(&mut out, &v).expect("serialises");
        out.push(b'\n');
    }
    out
}

fn measure(input: &[u8], threads: Option<usize>) -> anyhow::Result<(QaStats, f64, usize)> {
    let pool = thread_pool(threads)?;
    let rubric = rapport_qa::Rubric::default_rubric();
    let started = Instant::now();
    let stats = run_stream(
        &mut Cursor::new(input),
        &mut std::io::sink(),
        &mut std::io::sink(),
        &rubric,
        &pool,
        &|_, _| {},
    )?;
    Ok((
        stats,
        started.elapsed().as_secs_f64(),
        pool.current_num_threads(),
    ))
}

pub fn run(a: QaBenchArgs) -> anyhow::Result<()> {
    let input = generate(a.conversations);
    // Build the engine and rubric outside the timings.
    rapport_text::Engine::global();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    println!(
        "Rapport bench qa: {} conversations ({} KiB of JSON Lines), {} cores ({cpu})",
        a.conversations,
        input.len() / 1024,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        println!("Load average before the run: {}", load.join(" "));
    }
    println!();
    println!("| threads | conversations | turns | seconds | conversations/s | turns/s |");
    println!("|---|---|---|---|---|---|");
    for threads in [Some(1), None] {
        let (stats, secs, used) = measure(&input, threads)?;
        anyhow::ensure!(stats.failed == 0, "{} generated lines failed", stats.failed);
        println!(
            "| {used} | {} | {} | {secs:.2} | {:.0} | {:.0} |",
            stats.evaluated,
            stats.turns,
            stats.evaluated as f64 / secs,
            stats.turns as f64 / secs
        );
    }
    Ok(())
}
