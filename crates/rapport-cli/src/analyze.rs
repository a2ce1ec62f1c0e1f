//! `rapport analyze` and `rapport themes`: JSON Lines front end of the text engine.
//!
//! `analyze` streams: it reads a bounded chunk of lines, analyses the chunk in parallel and
//! writes the results in input order before reading more, so memory stays flat whatever the
//! input size. A malformed line yields `{"line": N, "error": {"code", "message"}}` in its place.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use rapport_embed::{Encoder, Prefix};
use rapport_text::{Analysis, Engine, ThemeDoc};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

/// Analyse texts from JSON Lines.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Input JSON Lines file, or `-` for standard input.
    #[arg(long, default_value = "-")]
    pub input: PathBuf,
    /// Output file, or `-` for standard output.
    #[arg(long, default_value = "-")]
    pub output: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub semantic: SemanticArgs,
}

/// The semantic tier (multilingual-e5-small embeddings): slower, better across languages
/// and domains. Falls back to the fast tier, with a log line, when the model is absent.
#[derive(Debug, clap::Args)]
pub struct SemanticArgs {
    /// Use the semantic tier (needs `rapport models fetch`).
    #[arg(long)]
    pub semantic: bool,
    /// Model directory (default: $RAPPORT_MODEL_DIR, else ~/.local/share/rapport/models).
    #[arg(long)]
    pub model_dir: Option<PathBuf>,
}

impl SemanticArgs {
    /// The encoder when `--semantic` was asked for and the model loads.
    fn encoder(&self) -> Option<Encoder> {
        if !self.semantic {
            return None;
        }
        let dir = self
            .model_dir
            .clone()
            .unwrap_or_else(rapport_embed::default_model_dir);
        let path = dir.join(rapport_embed::MODEL_FILE);
        match Encoder::load(&path) {
            Ok(e) => Some(e),
            Err(err) => {
                tracing::warn!(
                    path = %path.display(),
                    error = %err,
                    "semantic tier unavailable (run `rapport models fetch`); using the fast tier"
                );
                None
            }
        }
    }
}

/// Print corpus themes as JSON.
#[derive(Debug, clap::Args)]
pub struct ThemesArgs {
    /// Input JSON Lines file, or `-` for standard input.
    #[arg(long, default_value = "-")]
    pub input: PathBuf,
    #[command(flatten)]
    pub semantic: SemanticArgs,
}

/// Lines analysed per parallel chunk: large enough to keep every core busy, small enough
/// that memory does not grow with the input.
const CHUNK_LINES: usize = 2048;

#[derive(Debug, Serialize)]
struct LineError {
    code: &'static str,
    message: String,
}

#[derive(Debug, Serialize)]
struct ErrorLine {
    line: usize,
    error: LineError,
}

/// Write `{"id": …, <analysis fields>}` as one JSON object: the same bytes as a struct with
/// `id` and a `#[serde(flatten)]` analysis, without flatten's map-serialiser detour (the
/// analysis writes its own JSON, see [`Analysis::write_json`]).
fn write_output_line(out: &mut Vec<u8>, id: &Value, analysis: &Analysis) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"id\":");
    serde_json::to_writer(&mut *out, id)?;
    let start = out.len();
    analysis.write_json(out);
    // The analysis is a non-empty object: its opening brace becomes the separator.
    out[start] = b',';
    Ok(())
}

/// One parsed input record.
struct Record {
    id: Value,
    text: String,
    language: Option<String>,
    period: Option<String>,
}

/// The common input line, `{"id": …, "text": "…", "language": "…"?}` and nothing else,
/// deserialised without building a JSON tree (the text is borrowed when it has no escapes).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PlainLine<'a> {
    #[serde(default)]
    id: Value,
    #[serde(borrow)]
    text: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    language: Option<std::borrow::Cow<'a, str>>,
}

/// What `rapport analyze` needs of a line: its id, text and language.
struct AnalyzeInput<'a> {
    id: Value,
    text: std::borrow::Cow<'a, str>,
    language: Option<std::borrow::Cow<'a, str>>,
}

/// [`parse_line`] for `rapport analyze`: a plain line takes the fast path; anything else (other
/// fields, duplicate keys, wrong types, invalid JSON) goes through [`parse_line`], so results
/// and errors are exactly the same.
fn parse_analyze_line(raw: &[u8]) -> Result<AnalyzeInput<'_>, LineError> {
    if let Ok(line) = std::str::from_utf8(raw) {
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim_start().starts_with('{') {
            if let Ok(p) = serde_json::from_str::<PlainLine<'_>>(line) {
                return Ok(AnalyzeInput {
                    id: p.id,
                    text: p.text,
                    language: p.language.filter(|l| !l.trim().is_empty()),
                });
            }
        }
    }
    parse_line(raw).map(|r| AnalyzeInput {
        id: r.id,
        text: r.text.into(),
        language: r.language.map(Into::into),
    })
}

fn parse_line(raw: &[u8]) -> Result<Record, LineError> {
    let text = std::str::from_utf8(raw).map_err(|e| LineError {
        code: "invalid_utf8",
        message: e.to_string(),
    })?;
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() {
        return Err(LineError {
            code: "empty_line",
            message: "expected a JSON object, found an empty line".into(),
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| LineError {
        code: "invalid_json",
        message: e.to_string(),
    })?;
    let Value::Object(mut obj) = value else {
        return Err(LineError {
            code: "not_an_object",
            message: "expected a JSON object".into(),
        });
    };
    let text = match obj.remove("text") {
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(LineError {
                code: "invalid_field",
                message: "field `text` must be a string".into(),
            })
        }
        None => {
            return Err(LineError {
                code: "missing_field",
                message: "field `text` is required".into(),
            })
        }
    };
    let language = match obj.remove("language") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
        Some(Value::String(_)) => None,
        Some(_) => {
            return Err(LineError {
                code: "invalid_field",
                message: "field `language` must be a string".into(),
            })
        }
    };
    let period = match obj
        .get("period")
        .or_else(|| obj.get("date"))
        .or_else(|| obj.get("created_at"))
    {
        Some(Value::String(s)) if obj.contains_key("period") => Some(s.clone()),
        // A date or timestamp groups by month (YYYY-MM).
        Some(Value::String(s)) => Some(s.chars().take(7).collect()),
        _ => None,
    };
    Ok(Record {
        id: obj.remove("id").unwrap_or(Value::Null),
        text,
        language,
        period,
    })
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

fn progress_bar(len: Option<u64>) -> Option<indicatif::ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let pb = match len {
        Some(n) => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner(),
    };
    Some(pb)
}

fn thread_pool(threads: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
        b = b.num_threads(n);
    }
    b.build().context("starting worker threads")
}

/// Read up to `CHUNK_LINES` raw lines; returns false at end of input. The previous chunk's
/// line buffers are reused (a fresh `Vec` per line grew by doubling: several allocations and
/// copies per line); one that grew past `KEEP_LINE_BYTES` is freed.
fn read_chunk(
    input: &mut dyn BufRead,
    chunk: &mut Vec<Vec<u8>>,
    spare: &mut Vec<Vec<u8>>,
    bytes: &mut u64,
) -> io::Result<bool> {
    const KEEP_LINE_BYTES: usize = 1 << 16;
    spare.extend(chunk.drain(..).filter(|b| b.capacity() <= KEEP_LINE_BYTES));
    while chunk.len() < CHUNK_LINES {
        let mut buf = spare.pop().unwrap_or_default();
        buf.clear();
        let n = input.read_until(b'\n', &mut buf)?;
        if n == 0 {
            spare.push(buf);
            return Ok(!chunk.is_empty());
        }
        *bytes += n as u64;
        chunk.push(buf);
    }
    Ok(true)
}

pub fn run_analyze(args: AnalyzeArgs) -> anyhow::Result<()> {
    let pool = thread_pool(args.threads)?;
    let (mut input, len) = open_input(&args.input)?;
    let mut output = open_output(&args.output)?;
    let engine = Engine::global();
    let encoder = args.semantic.encoder();
    let pb = progress_bar(len);
    let started = Instant::now();
    let (mut lines, mut errors, mut bytes) = (0usize, 0usize, 0u64);
    let mut languages: std::collections::BTreeMap<String, usize> = Default::default();
    let mut chunk: Vec<Vec<u8>> = Vec::with_capacity(CHUNK_LINES);
    let mut spare: Vec<Vec<u8>> = Vec::with_capacity(CHUNK_LINES);
    while read_chunk(&mut *input, &mut chunk, &mut spare, &mut bytes).context("reading input")? {
        let first_line = lines + 1;
        let results: Vec<(Vec<u8>, Option<String>)> = pool.install(|| {
            // Semantic tier: embed the chunk's texts (PII already blanked by a fast pass) in
            // one parallel batch.
            let embeddings: Vec<Option<Vec<f32>>> = match &encoder {
                None => vec![None; chunk.len()],
                Some(enc) => {
                    let redacted: Vec<Option<String>> = chunk
                        .par_iter()
                        .map(|raw| {
                            parse_analyze_line(raw).ok().map(|r| {
                                engine.analyze(&r.text, r.language.as_deref()).redacted_text
                            })
                        })
                        .collect();
                    let texts: Vec<&str> = redacted.iter().flatten().map(String::as_str).collect();
                    let mut embs = enc.embed_batch(&texts, Prefix::Query).into_iter();
                    redacted
                        .iter()
                        .map(|r| r.as_ref().and_then(|_| embs.next()))
                        .collect()
                }
            };
            chunk
                .par_iter()
                .zip(embeddings.par_iter())
                .enumerate()
                .map(|(i, (raw, emb))| match parse_analyze_line(raw) {
                    Ok(rec) => {
                        let mut a = match emb {
                            Some(e) => {
                                engine.analyze_with_embedding(&rec.text, rec.language.as_deref(), e)
                            }
                            None => engine.analyze(&rec.text, rec.language.as_deref()),
                        };
                        let mut json = Vec::with_capacity(512 + 2 * rec.text.len());
                        write_output_line(&mut json, &rec.id, &a).expect("analysis serialises");
                        (json, Some(std::mem::take(&mut a.language)))
                    }
                    Err(error) => {
                        let e = ErrorLine {
                            line: first_line + i,
                            error,
                        };
                        (serde_json::to_vec(&e).expect("error serialises"), None)
                    }
                })
                .collect()
        });
        for (json, lang) in results {
            output.write_all(&json).context("writing output")?;
            output.write_all(b"\n").context("writing output")?;
            match lang {
                Some(l) => *languages.entry(l).or_default() += 1,
                None => errors += 1,
            }
        }
        lines += chunk.len();
        if let Some(pb) = &pb {
            if len.is_some() {
                pb.set_position(bytes);
            } else {
                pb.set_message(format!("{lines} lines"));
                pb.tick();
            }
        }
    }
    output.flush().context("writing output")?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let secs = started.elapsed().as_secs_f64();
    let langs: Vec<String> = languages.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!(
        "rapport analyze{}: {lines} lines, {} analysed, {errors} errors, {:.2}s ({:.0} texts/s, {} threads); languages: {}",
        if encoder.is_some() { " --semantic" } else { "" },
        lines - errors,
        secs,
        lines as f64 / secs.max(1e-9),
        pool.current_num_threads(),
        if langs.is_empty() { "-".to_string() } else { langs.join(" ") }
    );
    Ok(())
}

pub fn run_themes(args: ThemesArgs) -> anyhow::Result<()> {
    let (mut input, _) = open_input(&args.input)?;
    let mut raw = Vec::new();
    input.read_to_end(&mut raw).context("reading input")?;
    let mut records = Vec::new();
    let mut errors = 0usize;
    for (n, line) in raw.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_line(line) {
            Ok(r) => records.push(r),
            Err(e) => {
                errors += 1;
                eprintln!("line {}: {} ({})", n + 1, e.message, e.code);
            }
        }
    }
    let engine = Engine::global();
    let analyses: Vec<Analysis> = records
        .par_iter()
        .map(|r| engine.analyze(&r.text, r.language.as_deref()))
        .collect();
    let docs: Vec<ThemeDoc<'_>> = records
        .iter()
        .zip(&analyses)
        .map(|(r, a)| ThemeDoc {
            id: match &r.id {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
            analysis: a,
            period: r.period.clone(),
        })
        .collect();
    let themes = match args.semantic.encoder() {
        Some(enc) => {
            let texts: Vec<&str> = analyses.iter().map(|a| a.redacted_text.as_str()).collect();
            let pb = progress_bar(Some(texts.len() as u64));
            let mut embeddings = Vec::with_capacity(texts.len());
            for part in texts.chunks(256) {
                embeddings.extend(enc.embed_batch(part, Prefix::Query));
                if let Some(pb) = &pb {
                    pb.inc(part.len() as u64);
                }
            }
            if let Some(pb) = pb {
                pb.finish_and_clear();
            }
            rapport_text::semantic_themes(&docs, &embeddings, &Default::default())
        }
        None => rapport_text::themes_from(&docs),
    };
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &themes).context("writing themes")?;
    writeln!(out).context("writing themes")?;
    eprintln!(
        "rapport themes: {} texts, {errors} malformed lines skipped, {} themes",
        records.len(),
        themes.themes.len()
    );
    Ok(())
}
