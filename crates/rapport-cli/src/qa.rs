//! `rapport qa`: auto-QA of conversations (JSON Lines in, one evaluation per line out).
//!
//! Streams like `rapport analyze`: a bounded chunk of lines is parsed, analysed and evaluated
//! in parallel, then written in input order before more is read, so memory stays flat. A bad
//! line is reported on stderr as `line N: <field>: <reason>` and skipped; the command then
//! exits non-zero with the count, so a pipeline notices.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use rapport_domain::conversation::{from_json_value, ConversationError};
use rapport_qa::{evaluate_with, Rubric};
use rapport_text::Engine;
use rayon::prelude::*;

/// Score conversations against a QA rubric.
#[derive(Debug, clap::Args)]
pub struct QaArgs {
    /// Conversations as JSON Lines, one conversation JSON per line (`{"id", "channel",
    /// "turns": [{"speaker", "text"}], …}`), or `-` for standard input.
    #[arg(long, default_value = "-")]
    pub input: PathBuf,
    /// Where to write one evaluation JSON per input line, or `-` for standard output.
    #[arg(long, default_value = "-")]
    pub output: PathBuf,
    /// Rubric JSON file (see crates/rapport-qa/data/default_rubric.json); default: the
    /// built-in frontline rubric.
    #[arg(long)]
    pub rubric: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Lines per parallel chunk: enough to keep every core busy, small enough that memory does
/// not grow with the input.
pub const CHUNK_LINES: usize = 1024;

/// What one run did.
#[derive(Debug, Default, Clone, Copy)]
pub struct QaStats {
    pub lines: usize,
    pub evaluated: usize,
    pub failed: usize,
    pub turns: usize,
}

/// Evaluate one input line: the output JSON and the number of turns, or `(field, reason)`.
fn evaluate_line(
    raw: &[u8],
    engine: &Engine,
    rubric: &Rubric,
) -> Result<(Vec<u8>, usize), (String, String)> {
    let value: serde_json::Value =
        serde_json::from_slice(raw).map_err(|e| ("$".to_string(), format!("invalid JSON: {e}")))?;
    let t = from_json_value(&value).map_err(|e| match e {
        ConversationError::Json { path, reason } => (path, reason),
        other => (other.location(), other.to_string()),
    })?;
    let (_, evaluation) = evaluate_with(engine, rubric, &t);
    let mut out = Vec::with_capacity(512);
    serde_json::to_writer(&mut out, &evaluation).expect("evaluation serialises");
    Ok((out, t.turns().len()))
}

/// Read up to [`CHUNK_LINES`] non-blank lines with their 1-based numbers; false at the end.
fn read_chunk(
    input: &mut dyn BufRead,
    chunk: &mut Vec<(usize, Vec<u8>)>,
    line_no: &mut usize,
    bytes: &mut u64,
) -> io::Result<bool> {
    chunk.clear();
    while chunk.len() < CHUNK_LINES {
        let mut buf = Vec::new();
        let n = input.read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(!chunk.is_empty());
        }
        *bytes += n as u64;
        *line_no += 1;
        // Blank lines (e.g. a trailing newline) are not conversations and not errors.
        if !buf.iter().all(u8::is_ascii_whitespace) {
            chunk.push((*line_no, buf));
        }
    }
    Ok(true)
}

/// The streaming loop, shared with `rapport bench qa`: evaluations go to `output` in input
/// order, errors to `errors`; `progress` is told the bytes read after each chunk.
pub fn run_stream(
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    errors: &mut dyn Write,
    rubric: &Rubric,
    pool: &rayon::ThreadPool,
    progress: &dyn Fn(u64, usize),
) -> anyhow::Result<QaStats> {
    let engine = Engine::global();
    let mut stats = QaStats::default();
    let (mut line_no, mut bytes) = (0usize, 0u64);
    let mut chunk = Vec::with_capacity(CHUNK_LINES);
    while read_chunk(input, &mut chunk, &mut line_no, &mut bytes).context("reading input")? {
        let results: Vec<_> = pool.install(|| {
            chunk
                .par_iter()
                .map(|(n, raw)| (*n, evaluate_line(raw, engine, rubric)))
                .collect()
        });
        for (n, result) in results {
            stats.lines += 1;
            match result {
                Ok((json, turns)) => {
                    output.write_all(&json).context("writing output")?;
                    output.write_all(b"\n").context("writing output")?;
                    stats.evaluated += 1;
                    stats.turns += turns;
                }
                Err((field, reason)) => {
                    stats.failed += 1;
                    // One write per line, so the progress bar prints it whole.
                    let line = format!("line {n}: {field}: {reason}\n");
                    errors
                        .write_all(line.as_bytes())
                        .context("writing errors")?;
                }
            }
        }
        progress(bytes, stats.lines);
    }
    output.flush().context("writing output")?;
    Ok(stats)
}

fn open_input(path: &Path) -> anyhow::Result<(Box<dyn BufRead>, Option<u64>)> {
    if path.as_os_str() == "-" {
        Ok((Box::new(BufReader::new(io::stdin())), None))
    } else {
        let f = File::open(path).with_context(|| format!("opening input {}", path.display()))?;
        let len = f.metadata().ok().map(|m| m.len());
        Ok((Box::new(BufReader::with_capacity(1 << 16, f)), len))
    }
}

fn open_output(path: &Path) -> anyhow::Result<Box<dyn Write>> {
    if path.as_os_str() == "-" {
        Ok(Box::new(BufWriter::with_capacity(
            1 << 16,
            io::stdout().lock(),
        )))
    } else {
        let f =
            File::create(path).with_context(|| format!("creating output {}", path.display()))?;
        Ok(Box::new(BufWriter::with_capacity(1 << 16, f)))
    }
}

/// A worker pool of `threads` (default: all cores).
pub fn thread_pool(threads: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
        b = b.num_threads(n);
    }
    b.build().context("starting worker threads")
}

/// Load `--rubric`, or the built-in one.
pub fn load_rubric(path: Option<&Path>) -> anyhow::Result<Rubric> {
    match path {
        None => Ok(Rubric::default_rubric()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading rubric {}", p.display()))?;
            Rubric::from_json(&text).with_context(|| format!("--rubric {}", p.display()))
        }
    }
}

pub fn run(args: QaArgs) -> anyhow::Result<()> {
    let rubric = load_rubric(args.rubric.as_deref())?;
    let pool = thread_pool(args.threads)?;
    let (mut input, len) = open_input(&args.input)?;
    let mut output = open_output(&args.output)?;
    let pb = io::stderr().is_terminal().then(|| match len {
        Some(n) => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {msg} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner(),
    });
    let progress = |bytes: u64, lines: usize| {
        if let Some(pb) = &pb {
            if len.is_some() {
                pb.set_position(bytes);
            }
            pb.set_message(format!("{lines} conversations"));
            pb.tick();
        }
    };
    let started = Instant::now();
    // Errors go through the progress bar's writer when there is one, so they do not tear it.
    let mut errors: Box<dyn Write> = match &pb {
        Some(pb) => Box::new(ProgressWriter(pb.clone())),
        None => Box::new(io::stderr().lock()),
    };
    let stats = run_stream(
        &mut *input,
        &mut *output,
        &mut *errors,
        &rubric,
        &pool,
        &progress,
    )?;
    drop(errors);
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "rapport qa: {} conversations ({} turns) evaluated, {} failed, {:.2}s ({:.0} conversations/s, {} threads), rubric {:?}",
        stats.evaluated,
        stats.turns,
        stats.failed,
        secs,
        stats.evaluated as f64 / secs.max(1e-9),
        pool.current_num_threads(),
        rubric.name
    );
    anyhow::ensure!(
        stats.failed == 0,
        "{} of {} lines failed (see above)",
        stats.failed,
        stats.lines
    );
    Ok(())
}

/// Writes lines above the progress bar.
struct ProgressWriter(indicatif::ProgressBar);

impl Write for ProgressWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.println(text.trim_end_matches('\n'));
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
