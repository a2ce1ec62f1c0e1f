//! `rapport import responses`: historical survey answers from a CSV export (Qualtrics,
//! SurveyMonkey or a spreadsheet) into one survey.
//!
//! The file is streamed record by record, so memory stays flat however long it is. Every row
//! is validated completely (answers against the survey definition, customer, agent, locale,
//! date) before it joins a batch, because a batch is stored all-or-nothing: one bad row must
//! not take good ones down with it. A row without its own id gets a hash of its content as
//! external id, so running the same import twice stores nothing new.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::PathBuf;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use rapport_domain::import::{Rejection, ResponseRow, ResponsesCsv};
use rapport_domain::voc::{NewResponse, ResponseSource, Survey, SurveyId};
use rapport_domain::{CustomerId, Email, Locale, OrgId, UserId};
use rapport_storage::Storage;

mod conversations;
mod events;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import survey responses from a CSV file (UTF-8, with or without BOM; header row first).
    ///
    /// Answer columns are named by question key (`nps`, `why_low`, `promise.expectation` …) or
    /// mapped with --map. Optional columns: `response_id` or `external_id` (else a hash of the
    /// row is its id, so re-running an import adds nothing), `customer_external_id`,
    /// `agent_email`, `locale` (en, he, el; default: the customer's), `submitted_at` (RFC 3339
    /// or `YYYY-MM-DD HH:MM:SS` in UTC). Other columns are ignored with a warning.
    ///
    /// Rows are numbered as in a spreadsheet (the header is row 1). A rejected row is reported
    /// and nothing from it is stored; the exit code is non-zero when any row was rejected.
    Responses(ResponsesArgs),
    /// Import conversation transcripts: JSON Lines (one conversation per line, the API's
    /// format), or one plain-text or WebVTT transcript described by flags.
    ///
    /// Lines are numbered from 1. A rejected conversation is reported with its line and field
    /// (`line 7: turns[3].speaker: …`) and nothing from it is stored; a conversation id already
    /// stored is skipped, so re-running adds nothing. Personal data is redacted before storage
    /// when the organisation asks for it. The exit code is non-zero when any was rejected.
    Conversations(conversations::ConversationsArgs),
    /// Import customer behaviour events (purchase, renewal, upgrade, churn, referral,
    /// complaint) from a CSV export, for the EX→CX linkage.
    ///
    /// Rows are numbered as in a spreadsheet (the header is row 1). A rejected row is reported
    /// with its column and nothing from it is stored; an event already stored (same
    /// `external_id`, or the same row when there is none) is skipped. The exit code is non-zero
    /// when any row was rejected.
    Events(events::EventsArgs),
}

#[derive(Debug, Args)]
pub struct ResponsesArgs {
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
    /// The survey's numeric id (as in the API and the survey's page).
    #[arg(long)]
    pub survey: i64,
    /// The CSV file.
    #[arg(long)]
    pub file: PathBuf,
    /// Column mapping, e.g. `Q1=nps,Q2_TEXT=why_low,ResponseId=response_id,RecordedDate=submitted_at`
    /// (repeatable): a target is a question key or one of the optional columns.
    #[arg(long, value_delimiter = ',')]
    pub map: Vec<String>,
    /// Also write rejected rows (row, column, reason) to this CSV file.
    #[arg(long)]
    pub errors: Option<PathBuf>,
    /// Rows stored per transaction.
    #[arg(long, default_value_t = 500)]
    pub batch_size: usize,
}

pub async fn run(command: ImportCommand) -> anyhow::Result<()> {
    match command {
        ImportCommand::Responses(a) => import_responses(a).await,
        ImportCommand::Conversations(a) => conversations::import_conversations(a).await,
        ImportCommand::Events(a) => events::import_events(a).await,
    }
}

#[derive(Debug, Default)]
struct Tally {
    imported: u64,
    present: u64,
    rejected: u64,
}

/// Looks up customers and agents once per import, with a bounded cache so memory stays flat.
struct People<'a> {
    store: &'a dyn Storage,
    org: OrgId,
    customers: HashMap<String, Option<(CustomerId, Locale)>>,
    agents: HashMap<String, Option<UserId>>,
}

const CACHE_LIMIT: usize = 20_000;

impl People<'_> {
    async fn customer(
        &mut self,
        external_id: &str,
    ) -> anyhow::Result<Option<(CustomerId, Locale)>> {
        if let Some(c) = self.customers.get(external_id) {
            return Ok(*c);
        }
        let found = self
            .store
            .customer_by_external_id(self.org, external_id)
            .await?
            .map(|c| (c.id, c.locale));
        if self.customers.len() >= CACHE_LIMIT {
            self.customers.clear();
        }
        self.customers.insert(external_id.to_string(), found);
        Ok(found)
    }

    async fn agent(&mut self, email: &str) -> anyhow::Result<Option<UserId>> {
        if let Some(a) = self.agents.get(email) {
            return Ok(*a);
        }
        let found = match Email::parse("agent_email", email) {
            Ok(e) => self
                .store
                .user_credentials(&e)
                .await?
                .filter(|(u, _)| u.org_id == self.org)
                .map(|(u, _)| u.id),
            Err(_) => None,
        };
        if self.agents.len() >= CACHE_LIMIT {
            self.agents.clear();
        }
        self.agents.insert(email.to_string(), found);
        Ok(found)
    }
}

struct Ctx<'a> {
    survey: &'a Survey,
    default_locale: Locale,
    now: DateTime<Utc>,
}

impl Ctx<'_> {
    /// Looks up the customer and agent a parsed row names; an unknown one rejects the row.
    async fn resolve(
        &self,
        people: &mut People<'_>,
        rows: &ResponsesCsv<'_, File>,
        row: u64,
        parsed: ResponseRow,
    ) -> anyhow::Result<Result<NewResponse, Rejection>> {
        let customer = match &parsed.customer {
            None => None,
            Some((i, cell)) => match people.customer(cell).await? {
                Some(c) => Some(c),
                None => return Ok(Err(rows.reject(row, *i, format!("no customer {cell:?}")))),
            },
        };
        let agent = match &parsed.agent {
            None => None,
            Some((i, cell)) => match people.agent(cell).await? {
                Some(a) => Some(a),
                None => {
                    return Ok(Err(rows.reject(
                        row,
                        *i,
                        format!("no user {cell:?} in this organisation"),
                    )))
                }
            },
        };
        Ok(Ok(NewResponse {
            survey_id: self.survey.id,
            version: self.survey.version,
            customer_id: customer.map(|c| c.0),
            agent_id: agent,
            invitation_id: None,
            locale: parsed
                .locale
                .or(customer.map(|c| c.1))
                .unwrap_or(self.default_locale),
            source: ResponseSource::Import,
            idempotency_key: None,
            external_id: Some(parsed.external_id),
            submitted_at: parsed.submitted_at.unwrap_or(self.now),
            answers: parsed.answers,
        }))
    }
}

/// Skips a UTF-8 byte-order mark, which spreadsheet programs put before the header.
fn open_without_bom(path: &PathBuf) -> anyhow::Result<BufReader<File>> {
    let file =
        File::open(path).with_context(|| format!("--file: cannot open {}", path.display()))?;
    let mut r = BufReader::with_capacity(64 * 1024, file);
    if r.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        r.consume(3);
    }
    Ok(r)
}

async fn store_batch(
    store: &dyn Storage,
    org: OrgId,
    batch: &mut Vec<NewResponse>,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let stored = store
        .insert_responses(org, batch)
        .await
        .context("storing a batch of responses")?;
    for (_, new) in stored {
        if new {
            tally.imported += 1;
        } else {
            tally.present += 1;
        }
    }
    batch.clear();
    Ok(())
}

#[tracing::instrument(skip_all, fields(survey = a.survey, file = %a.file.display()))]
async fn import_responses(a: ResponsesArgs) -> anyhow::Result<()> {
    let store = rapport_storage::connect(&a.database_url).await?;
    store.migrate().await?;
    let org = store
        .organisation_by_slug(&a.org)
        .await
        .with_context(|| format!("--org: no organisation {:?}", a.org))?;
    let survey = store
        .get_survey(org.id, SurveyId(a.survey))
        .await
        .with_context(|| format!("--survey: no survey {} in {}", a.survey, a.org))?;

    let size = std::fs::metadata(&a.file).map(|m| m.len()).unwrap_or(0);
    let file =
        File::open(&a.file).with_context(|| format!("--file: cannot open {}", a.file.display()))?;
    let now = Utc::now();
    let mut rows = ResponsesCsv::new(file, &a.map, &survey.definition, now)?;
    if !rows.ignored().is_empty() {
        eprintln!("ignoring columns: {}", rows.ignored().join(", "));
    }
    let mut errors = match &a.errors {
        Some(p) => {
            let mut w = csv::Writer::from_path(p)
                .with_context(|| format!("--errors: cannot write {}", p.display()))?;
            w.write_record(["row", "column", "reason"])?;
            Some(w)
        }
        None => None,
    };
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

    let ctx = Ctx {
        survey: &survey,
        default_locale: org.default_locale,
        now,
    };
    let mut people = People {
        store: &*store,
        org: org.id,
        customers: HashMap::new(),
        agents: HashMap::new(),
    };
    let batch_size = a.batch_size.max(1);
    let mut batch = Vec::with_capacity(batch_size);
    let mut tally = Tally::default();
    while let Some((row, parsed)) = rows.next_row() {
        let outcome = match parsed {
            Ok(parsed) => ctx.resolve(&mut people, &rows, row, parsed).await?,
            Err(r) => Err(r),
        };
        match outcome {
            Ok(response) => {
                batch.push(response);
                if batch.len() >= batch_size {
                    store_batch(&*store, org.id, &mut batch, &mut tally).await?;
                }
            }
            Err(r) => {
                tally.rejected += 1;
                let msg = if r.column.is_empty() {
                    format!("row {}: {}", r.row, r.reason)
                } else {
                    format!("row {}, column {}: {}", r.row, r.column, r.reason)
                };
                match &bar {
                    Some(b) => b.println(&msg),
                    None => eprintln!("{msg}"),
                }
                if let Some(w) = errors.as_mut() {
                    w.write_record([r.row.to_string(), r.column, r.reason])?;
                }
            }
        }
        if row.is_multiple_of(1000) {
            let pos = rows.byte_position();
            match &bar {
                Some(b) => {
                    b.set_position(pos);
                    b.set_message(format!("{} rows", row - 1));
                }
                None if row.is_multiple_of(10_000) => {
                    tracing::info!(rows = row - 1, bytes = pos, total = size, "importing")
                }
                None => {}
            }
        }
    }
    store_batch(&*store, org.id, &mut batch, &mut tally).await?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some(mut w) = errors {
        w.flush()?;
    }
    println!(
        "imported {}, already present {}, rejected {}",
        tally.imported, tally.present, tally.rejected
    );
    if tally.rejected > 0 {
        bail!("{} row(s) rejected", tally.rejected);
    }
    Ok(())
}
