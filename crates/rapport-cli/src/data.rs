//! Data care: `rapport backup` / `rapport restore` for the embedded SQLite database, and
//! `rapport export-customer` / `rapport purge-customer` for data-subject requests (everything
//! about one customer, across responses, conversations, cases and behaviour events).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use rapport_domain::cases::CaseFilter;
use rapport_domain::model::Customer;
use rapport_domain::voc::ResponseFilter;
use rapport_domain::OrgId;
use rapport_storage::{Actor, ConversationFilter, Storage};
use serde_json::json;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The live database: `sqlite://PATH`. For PostgreSQL use `pg_dump` (see docs/deploy.md).
    #[arg(
        long,
        env = "RAPPORT_DATABASE_URL",
        default_value = "sqlite://rapport.db"
    )]
    pub database_url: String,
    /// Where to write the backup (a new SQLite file; must not exist).
    #[arg(long)]
    pub to: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A backup written by `rapport backup`.
    #[arg(long)]
    pub from: PathBuf,
    /// The database to restore into: `sqlite://PATH`. Stop `rapport serve` first.
    #[arg(
        long,
        env = "RAPPORT_DATABASE_URL",
        default_value = "sqlite://rapport.db"
    )]
    pub database_url: String,
    /// Replace an existing database file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CustomerArgs {
    #[arg(
        long,
        env = "RAPPORT_DATABASE_URL",
        default_value = "sqlite://rapport.db"
    )]
    pub database_url: String,
    /// Organisation slug.
    #[arg(long, default_value = "default")]
    pub org: String,
    /// The customer's external id (as in imports and the API).
    #[arg(long)]
    pub customer: String,
    /// Export: write the JSON here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Purge: confirm that everything about this customer is to be deleted.
    #[arg(long)]
    pub yes: bool,
}

fn sqlite_path(url: &str, flag: &str) -> anyhow::Result<PathBuf> {
    let Some(rest) = url.strip_prefix("sqlite://") else {
        bail!("{flag}: only SQLite databases (sqlite://PATH) are backed up by Rapport; for PostgreSQL use pg_dump / pg_restore (docs/deploy.md)");
    };
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        bail!("{flag}: needs a file path");
    }
    Ok(PathBuf::from(path))
}

/// A consistent copy of a live SQLite database (`VACUUM INTO`: readers and writers carry on).
pub async fn backup(a: BackupArgs) -> anyhow::Result<()> {
    let src = sqlite_path(&a.database_url, "--database-url")?;
    if !src.exists() {
        bail!("--database-url: {} does not exist", src.display());
    }
    if a.to.exists() {
        bail!("--to: {} exists; choose a new file", a.to.display());
    }
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", src.display()))
        .await
        .with_context(|| format!("opening {}", src.display()))?;
    let target = a.to.to_str().context("--to: the path is not UTF-8")?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&pool)
        .await
        .context("writing the backup")?;
    pool.close().await;
    check_backup(&a.to).await?;
    let size = std::fs::metadata(&a.to).map(|m| m.len()).unwrap_or(0);
    println!("backup written to {} ({size} bytes)", a.to.display());
    Ok(())
}

/// Opens a backup read-only and checks it is a Rapport database.
async fn check_backup(path: &Path) -> anyhow::Result<i64> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .with_context(|| format!("{} is not a readable SQLite file", path.display()))?;
    let (ok,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .context("integrity check")?;
    if ok != "ok" {
        bail!("{}: integrity check failed: {ok}", path.display());
    }
    let migrations: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .with_context(|| format!("{} is not a Rapport database", path.display()))?;
    pool.close().await;
    Ok(migrations.0)
}

/// Puts a backup in place of the database (the server must be stopped).
pub async fn restore(a: RestoreArgs) -> anyhow::Result<()> {
    let dst = sqlite_path(&a.database_url, "--database-url")?;
    check_backup(&a.from).await?;
    if dst.exists() && !a.force {
        bail!(
            "--database-url: {} exists; stop `rapport serve` and add --force to replace it",
            dst.display()
        );
    }
    let tmp = dst.with_extension("restoring");
    std::fs::copy(&a.from, &tmp).with_context(|| format!("copying to {}", tmp.display()))?;
    for ext in ["db-wal", "db-shm"] {
        let side = dst.with_extension(ext);
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        }
    }
    std::fs::rename(&tmp, &dst).with_context(|| format!("moving into {}", dst.display()))?;
    // Bring it up to this version's schema.
    let store = rapport_storage::connect(&a.database_url).await?;
    store.migrate().await?;
    println!("restored {} into {}", a.from.display(), dst.display());
    Ok(())
}

async fn find_customer(
    store: &dyn Storage,
    org: OrgId,
    external: &str,
) -> anyhow::Result<Customer> {
    store
        .customer_by_external_id(org, external)
        .await?
        .with_context(|| format!("--customer: no customer {external:?} in this organisation"))
}

/// Everything stored about one customer, as one JSON document.
pub async fn customer_document(
    store: &dyn Storage,
    org: OrgId,
    c: &Customer,
) -> anyhow::Result<serde_json::Value> {
    let filter = ResponseFilter {
        customer: Some(c.id),
        ..Default::default()
    };
    let mut responses = Vec::new();
    loop {
        let (page, total) = store
            .list_responses(org, &filter, 500, responses.len() as i64)
            .await?;
        let done = page.is_empty();
        responses.extend(page);
        if done || responses.len() as i64 >= total {
            break;
        }
    }
    let mut conversations = Vec::new();
    for s in store
        .list_conversations(
            org,
            &ConversationFilter {
                customer_id: Some(c.id),
                limit: 5000,
                ..Default::default()
            },
        )
        .await?
    {
        conversations.push(json!({
            "conversation": store.get_conversation(org, s.id).await?,
            "evaluation": store.get_evaluation(org, s.id).await.ok(),
        }));
    }
    let (cases, _) = store
        .list_cases(
            org,
            &CaseFilter {
                customer_id: Some(c.id),
                limit: 5000,
                ..Default::default()
            },
        )
        .await?;
    let mut case_docs = Vec::new();
    for case in cases {
        let events = store.case_events(org, case.id).await?;
        case_docs.push(json!({ "case": case, "history": events }));
    }
    Ok(json!({
        "customer": c,
        "responses": responses,
        "conversations": conversations,
        "cases": case_docs,
        "events": store.customer_events(org, c.id).await?,
        "exported_at": chrono::Utc::now(),
    }))
}

pub async fn export_customer(a: CustomerArgs) -> anyhow::Result<()> {
    let store = rapport_storage::connect(&a.database_url).await?;
    store.migrate().await?;
    let org = store
        .organisation_by_slug(&a.org)
        .await
        .with_context(|| format!("--org: no organisation {:?}", a.org))?;
    let c = find_customer(&*store, org.id, &a.customer).await?;
    let doc = customer_document(&*store, org.id, &c).await?;
    let text = serde_json::to_string_pretty(&doc)?;
    match &a.output {
        Some(p) => {
            std::fs::write(p, text)
                .with_context(|| format!("--output: writing {}", p.display()))?;
            eprintln!("exported customer {} to {}", a.customer, p.display());
        }
        None => println!("{text}"),
    }
    Ok(())
}

/// Deletes the customer and, by cascade in one transaction, their responses, conversations
/// (and evaluations), cases, invitations, follow-ups and behaviour events. Kudos and stories
/// that cited a deleted conversation keep their text but lose the link.
pub async fn purge_customer(a: CustomerArgs) -> anyhow::Result<()> {
    if !a.yes {
        bail!(
            "--yes: purging deletes everything about the customer for good; add --yes to confirm"
        );
    }
    let store = rapport_storage::connect(&a.database_url).await?;
    store.migrate().await?;
    let org = store
        .organisation_by_slug(&a.org)
        .await
        .with_context(|| format!("--org: no organisation {:?}", a.org))?;
    let c = find_customer(&*store, org.id, &a.customer).await?;
    let doc = customer_document(&*store, org.id, &c).await?;
    let count = |k: &str| doc[k].as_array().map_or(0, Vec::len);
    store.delete_customer(Actor::system(org.id), c.id).await?;
    println!(
        "purged customer {}: {} responses, {} conversations, {} cases, {} events",
        a.customer,
        count("responses"),
        count("conversations"),
        count("cases"),
        count("events")
    );
    Ok(())
}
