//! `rapport import conversations`: transcripts of calls, chats, e-mails and notes.
//!
//! JSON Lines (one conversation per line, the API's format) is streamed line by line; a plain
//! text or WebVTT file is one conversation, described by flags. Each conversation is checked
//! completely before it is stored, personal data is redacted first when the organisation asks
//! for it, and a conversation id that is already stored is skipped: re-running an import adds
//! nothing. With `--analyze` the text engine and the QA rubric run here, on every core;
//! otherwise the worker of `rapport serve` does it from the queue.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::PathBuf;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use rapport_domain::conversation::{
    parse_json, parse_text, parse_webvtt, ConversationError, Metadata, Transcript, VoiceRule,
};
use rapport_domain::{Channel, Locale, OrgId};
use rapport_server::frontline::{analyse, redact, Rubric};
use rapport_storage::{Actor, Storage};
use rayon::prelude::*;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One conversation per line, as `POST /api/v1/conversations` takes it.
    Jsonl,
    /// `Agent:` / `Customer:` lines (or נציג/לקוח, Εκπρόσωπος/Πελάτης), optional `[hh:mm:ss]`.
    Text,
    /// WebVTT with `<v Speaker>` voice tags.
    Vtt,
}

#[derive(Debug, Args)]
pub struct ConversationsArgs {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "RAPPORT_DATABASE_URL",
        default_value = "sqlite://rapport.db"
    )]
    pub database_url: String,
    /// Organisation slug.
    #[arg(long, default_value = "default")]
    pub org: String,
    /// The file to import.
    #[arg(long)]
    pub file: PathBuf,
    /// File format; by default from the extension (.jsonl/.json, .txt, .vtt).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Text and WebVTT: the conversation's id in your system (default: the file name).
    #[arg(long)]
    pub id: Option<String>,
    /// Text and WebVTT: phone, chat, email, in_person, … (default: phone for WebVTT, chat for text).
    #[arg(long)]
    pub channel: Option<String>,
    /// Text and WebVTT: the agent's e-mail in Rapport.
    #[arg(long)]
    pub agent: Option<String>,
    /// Text and WebVTT: the customer's external id.
    #[arg(long)]
    pub customer: Option<String>,
    /// Text and WebVTT: touchpoint id.
    #[arg(long)]
    pub touchpoint: Option<i64>,
    /// Text and WebVTT: when it started (RFC 3339).
    #[arg(long)]
    pub started_at: Option<DateTime<Utc>>,
    /// Text and WebVTT: en, he or el (else detected per turn).
    #[arg(long)]
    pub language: Option<String>,
    /// WebVTT: voice names that are agents (comma-separated); by default the voice equal to
    /// --agent or containing "agent"/"נציג"/"εκπρόσωπος".
    #[arg(long, value_delimiter = ',')]
    pub agent_voices: Vec<String>,
    /// Analyse and score here instead of leaving it to the server's worker.
    #[arg(long)]
    pub analyze: bool,
}

/// Lines parsed and checked before they are stored together.
const CHUNK: usize = 512;

#[derive(Default)]
struct Tally {
    imported: u64,
    present: u64,
    rejected: u64,
}

fn format_of(a: &ConversationsArgs) -> anyhow::Result<Format> {
    if let Some(f) = a.format {
        return Ok(f);
    }
    match a
        .file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
        .as_deref()
    {
        Some("jsonl" | "json" | "ndjson") => Ok(Format::Jsonl),
        Some("txt" | "text") => Ok(Format::Text),
        Some("vtt") => Ok(Format::Vtt),
        _ => bail!(
            "--format: cannot tell the format of {}; say jsonl, text or vtt",
            a.file.display()
        ),
    }
}

fn metadata(a: &ConversationsArgs, format: Format) -> anyhow::Result<Metadata> {
    let id = match &a.id {
        Some(id) => id.clone(),
        None => a
            .file
            .file_stem()
            .and_then(|s| s.to_str())
            .context("--id: the file name is not usable as an id; give --id")?
            .to_string(),
    };
    let channel = match &a.channel {
        Some(c) => {
            Channel::parse("channel", c).map_err(|e| anyhow::anyhow!("--channel: {}", e.reason))?
        }
        None if matches!(format, Format::Vtt) => Channel::Phone,
        None => Channel::Chat,
    };
    let mut meta = Metadata::new(id, channel);
    meta.agent = a.agent.clone();
    meta.customer = a.customer.clone();
    meta.touchpoint = a.touchpoint;
    meta.started_at = a.started_at;
    meta.language = a
        .language
        .as_deref()
        .map(|l| Locale::parse("language", l))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--language: {}", e.reason))?;
    Ok(meta)
}

fn where_(e: &ConversationError) -> String {
    match e {
        ConversationError::Json { path, reason } => format!("{path}: {reason}"),
        other => other.to_string(),
    }
}

pub async fn import_conversations(a: ConversationsArgs) -> anyhow::Result<()> {
    let store = rapport_storage::connect(&a.database_url).await?;
    store.migrate().await?;
    let org = store
        .organisation_by_slug(&a.org)
        .await
        .with_context(|| format!("--org: no organisation {:?}", a.org))?;
    let redact_pii = store.org_settings(org.id).await?.redact_pii;
    let rubric = match store.qa_rubric(org.id).await? {
        Some(json) => {
            Rubric::from_json(&json).map_err(|e| anyhow::anyhow!("stored QA rubric: {e}"))?
        }
        None => Rubric::default_rubric(),
    };
    let job = Job {
        store: &*store,
        org: org.id,
        redact_pii,
        analyze: a.analyze,
        rubric: &rubric,
    };
    let format = format_of(&a)?;
    let mut tally = Tally::default();
    match format {
        Format::Jsonl => {
            let size = std::fs::metadata(&a.file).map(|m| m.len()).unwrap_or(0);
            let file = File::open(&a.file)
                .with_context(|| format!("--file: cannot open {}", a.file.display()))?;
            let bar = std::io::stderr().is_terminal().then(|| {
                let b = indicatif::ProgressBar::new(size);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "importing [{bar:40}] {bytes}/{total_bytes} {msg}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                b
            });
            let say = |msg: String| match &bar {
                Some(b) => b.println(msg),
                None => eprintln!("{msg}"),
            };
            let mut reader = BufReader::new(file);
            let mut line = String::new();
            let (mut n, mut read) = (0usize, 0u64);
            let mut chunk: Vec<(usize, String)> = Vec::with_capacity(CHUNK);
            loop {
                line.clear();
                let got = match reader.read_line(&mut line) {
                    Ok(got) => got,
                    Err(e) => {
                        // Not UTF-8: report the line and carry on with the next one.
                        n += 1;
                        tally.rejected += 1;
                        say(format!("line {n}: {e}"));
                        let mut skip = Vec::new();
                        reader.read_until(b'\n', &mut skip)?;
                        continue;
                    }
                };
                if got == 0 {
                    break;
                }
                n += 1;
                read += got as u64;
                if !line.trim().is_empty() {
                    chunk.push((n, line.clone()));
                }
                if chunk.len() >= CHUNK {
                    job.store_chunk(std::mem::take(&mut chunk), &mut tally, &say)
                        .await?;
                    if let Some(b) = &bar {
                        b.set_position(read);
                        b.set_message(format!("{n} lines"));
                    }
                }
            }
            job.store_chunk(chunk, &mut tally, &say).await?;
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
        }
        Format::Text | Format::Vtt => {
            let body = std::fs::read_to_string(&a.file)
                .with_context(|| format!("--file: cannot read {} as UTF-8", a.file.display()))?;
            let meta = metadata(&a, format)?;
            let parsed = match format {
                Format::Text => parse_text(&body, meta),
                _ => {
                    let rule = if a.agent_voices.is_empty() {
                        VoiceRule::Default
                    } else {
                        VoiceRule::AgentNames(a.agent_voices.clone())
                    };
                    parse_webvtt(&body, meta, &rule)
                }
            };
            match parsed {
                Ok(t) => {
                    job.store_chunk_parsed(vec![(1, t)], &mut tally, &|m| eprintln!("{m}"))
                        .await?
                }
                Err(e) => {
                    tally.rejected += 1;
                    eprintln!("{}: {}", a.file.display(), where_(&e));
                }
            }
        }
    }
    println!(
        "imported {}, already present {}, rejected {}{}",
        tally.imported,
        tally.present,
        tally.rejected,
        if a.analyze || tally.imported == 0 {
            ""
        } else {
            " (analysis queued for the server's worker)"
        }
    );
    if tally.rejected > 0 {
        bail!("{} conversation(s) rejected", tally.rejected);
    }
    Ok(())
}

struct Job<'a> {
    store: &'a dyn Storage,
    org: OrgId,
    redact_pii: bool,
    analyze: bool,
    rubric: &'a Rubric,
}

impl Job<'_> {
    async fn store_chunk(
        &self,
        lines: Vec<(usize, String)>,
        tally: &mut Tally,
        say: &(dyn Fn(String) + Sync),
    ) -> anyhow::Result<()> {
        let parsed: Vec<(usize, Result<Transcript, ConversationError>)> = lines
            .into_par_iter()
            .map(|(n, l)| (n, parse_json(&l)))
            .collect();
        let mut good = Vec::with_capacity(parsed.len());
        for (n, p) in parsed {
            match p {
                Ok(t) => good.push((n, t)),
                Err(e) => {
                    tally.rejected += 1;
                    say(format!("line {n}: {}", where_(&e)));
                }
            }
        }
        self.store_chunk_parsed(good, tally, say).await
    }

    async fn store_chunk_parsed(
        &self,
        items: Vec<(usize, Transcript)>,
        tally: &mut Tally,
        say: &(dyn Fn(String) + Sync),
    ) -> anyhow::Result<()> {
        let redact_pii = self.redact_pii;
        let items: Vec<(usize, Transcript)> = if redact_pii {
            items.into_par_iter().map(|(n, t)| (n, redact(t))).collect()
        } else {
            items
        };
        let analyses: Vec<Option<rapport_storage::ConversationAnalysis>> = if self.analyze {
            items
                .par_iter()
                .map(|(_, t)| Some(analyse(t, self.rubric).0))
                .collect()
        } else {
            items.iter().map(|_| None).collect()
        };
        let now = Utc::now();
        for ((n, t), analysis) in items.iter().zip(analyses) {
            match self
                .store
                .store_conversation(Actor::system(self.org), t, now)
                .await
            {
                Ok((id, created)) => {
                    if created {
                        tally.imported += 1;
                        if let Some(a) = analysis {
                            self.store
                                .save_conversation_analysis(self.org, id, &a, now)
                                .await?;
                        }
                    } else {
                        tally.present += 1;
                    }
                }
                Err(rapport_storage::StorageError::Invalid { field, message }) => {
                    tally.rejected += 1;
                    say(format!("line {n}: {field}: {message}"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}
