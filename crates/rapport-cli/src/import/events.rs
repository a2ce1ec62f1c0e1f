//! `rapport import events`: customer behaviour (purchases, renewals, upgrades, churn, referrals,
//! complaints) from a CRM or billing export, for the EX→CX linkage.
//!
//! Streamed row by row; every row is checked completely before it is stored, so a bad row
//! stores nothing; each event is keyed by its `external_id` (or a hash of the row), so
//! running the same import twice stores nothing new.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDateTime, Utc};
use clap::Args;
use rapport_domain::ambassadorship::{EventKind, NewEvent};
use rapport_domain::{CustomerId, TouchpointId};
use rapport_storage::Actor;
use sha2::{Digest, Sha256};

use super::{open_without_bom, People};

#[derive(Debug, Args)]
pub struct EventsArgs {
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
    /// The CSV file: columns `customer_external_id`, `kind` (purchase, renewal, upgrade, churn,
    /// referral, complaint), `occurred_at` (RFC 3339 or `YYYY-MM-DD HH:MM:SS` UTC), and
    /// optionally `external_id`, `agent_email`, `touchpoint_id`, `amount`.
    #[arg(long)]
    pub file: PathBuf,
    /// Also write rejected rows (row, column, reason) to this CSV file.
    #[arg(long)]
    pub errors: Option<PathBuf>,
}

const REQUIRED: [&str; 3] = ["customer_external_id", "kind", "occurred_at"];
const OPTIONAL: [&str; 4] = ["external_id", "agent_email", "touchpoint_id", "amount"];

struct Rejection {
    row: u64,
    column: &'static str,
    reason: String,
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S")
                .ok()
                .map(|n| n.and_utc())
        })
}

pub async fn import_events(a: EventsArgs) -> anyhow::Result<()> {
    let store = rapport_storage::connect(&a.database_url).await?;
    store.migrate().await?;
    let org = store
        .organisation_by_slug(&a.org)
        .await
        .with_context(|| format!("--org: no organisation {:?}", a.org))?;
    let size = std::fs::metadata(&a.file).map(|m| m.len()).unwrap_or(0);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(open_without_bom(&a.file)?);
    let headers = reader.headers().context("reading the header row")?.clone();
    let col: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim(), i))
        .collect();
    for r in REQUIRED {
        if !col.contains_key(r) {
            bail!(
                "--file: the header has no {r:?} column (needed: {})",
                REQUIRED.join(", ")
            );
        }
    }
    let ignored: Vec<&str> = headers
        .iter()
        .map(str::trim)
        .filter(|h| !REQUIRED.contains(h) && !OPTIONAL.contains(h))
        .collect();
    if !ignored.is_empty() {
        eprintln!("ignoring columns: {}", ignored.join(", "));
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
    let mut people = People {
        store: &*store,
        org: org.id,
        customers: HashMap::new(),
        agents: HashMap::new(),
    };
    let actor = Actor::system(org.id);
    let now = Utc::now();
    let (mut imported, mut present, mut rejected) = (0u64, 0u64, 0u64);
    let mut record = csv::StringRecord::new();
    let mut row = 1u64;
    loop {
        row += 1;
        let read = match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => Ok(()),
            Err(e) => Err(Rejection {
                row,
                column: "",
                reason: match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_string(),
                    _ => e.to_string(),
                },
            }),
        };
        let cell = |name: &str| -> &str {
            col.get(name)
                .and_then(|i| record.get(*i))
                .map(str::trim)
                .unwrap_or("")
        };
        let outcome: Result<(CustomerId, NewEvent), Rejection> = match read {
            Err(r) => Err(r),
            Ok(()) => {
                let reject = |column: &'static str, reason: String| Rejection {
                    row,
                    column,
                    reason,
                };
                async {
                    let customer_ref = cell("customer_external_id");
                    let customer = match people.customer(customer_ref).await? {
                        Some((c, _)) => c,
                        None => {
                            return Ok(Err(reject(
                                "customer_external_id",
                                format!("no customer {customer_ref:?} in this organisation"),
                            )))
                        }
                    };
                    let kind = match EventKind::parse("kind", cell("kind")) {
                        Ok(k) => k,
                        Err(e) => return Ok(Err(reject("kind", e.reason))),
                    };
                    let Some(occurred_at) = parse_time(cell("occurred_at")) else {
                        return Ok(Err(reject(
                            "occurred_at",
                            "use RFC 3339 or YYYY-MM-DD HH:MM:SS (UTC)".into(),
                        )));
                    };
                    let agent_id = match cell("agent_email") {
                        "" => None,
                        email => match people.agent(email).await? {
                            Some(a) => Some(a),
                            None => {
                                return Ok(Err(reject(
                                    "agent_email",
                                    format!("no colleague {email:?} in this organisation"),
                                )))
                            }
                        },
                    };
                    let touchpoint_id = match cell("touchpoint_id") {
                        "" => None,
                        t => match t.parse::<i64>() {
                            Ok(t) if t > 0 => Some(TouchpointId(t)),
                            _ => {
                                return Ok(Err(reject(
                                    "touchpoint_id",
                                    "must be a positive id".into(),
                                )))
                            }
                        },
                    };
                    let amount = match cell("amount") {
                        "" => None,
                        v => match v.parse::<f64>() {
                            Ok(v) => Some(v),
                            Err(_) => return Ok(Err(reject("amount", "must be a number".into()))),
                        },
                    };
                    let external_id = match cell("external_id") {
                        "" => {
                            let mut h = Sha256::new();
                            for f in record.iter() {
                                h.update(f.trim().as_bytes());
                                h.update([0x1f]);
                            }
                            format!("row-{}", hex::encode(&h.finalize()[..16]))
                        }
                        id => id.to_string(),
                    };
                    let ev = NewEvent {
                        kind,
                        occurred_at,
                        external_id,
                        agent_id,
                        touchpoint_id,
                        amount,
                    };
                    if let Err(e) = ev.validate(now) {
                        let column = match e.field.as_str() {
                            "occurred_at" => "occurred_at",
                            "amount" => "amount",
                            _ => "external_id",
                        };
                        return Ok(Err(reject(column, e.reason)));
                    }
                    anyhow::Ok(Ok((customer, ev)))
                }
                .await?
            }
        };
        match outcome {
            Ok((customer, ev)) => match store.record_events(actor, customer, &[ev]).await {
                Ok(done) if done[0].1 => imported += 1,
                Ok(_) => present += 1,
                Err(rapport_storage::StorageError::Invalid { field, message }) => {
                    rejected += 1;
                    let msg = format!("row {row}, column {field}: {message}");
                    match &bar {
                        Some(b) => b.println(&msg),
                        None => eprintln!("{msg}"),
                    }
                    if let Some(w) = errors.as_mut() {
                        w.write_record([row.to_string(), field.to_string(), message])?;
                    }
                }
                Err(e) => return Err(e.into()),
            },
            Err(r) => {
                rejected += 1;
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
                    w.write_record([r.row.to_string(), r.column.to_string(), r.reason])?;
                }
            }
        }
        if row.is_multiple_of(500) {
            if let Some(b) = &bar {
                b.set_position(reader.position().byte());
                b.set_message(format!("{} rows", row - 1));
            }
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some(mut w) = errors {
        w.flush()?;
    }
    println!("imported {imported}, already present {present}, rejected {rejected}");
    if rejected > 0 {
        bail!("{rejected} row(s) rejected");
    }
    Ok(())
}
