//! `rapport bench responses`: single-response submission over real HTTP against a fresh SQLite
//! database, measured side by side with raw SQLite inserts of the same rows in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use rapport_domain::model::*;
use rapport_domain::survey::default_definition;
use rapport_domain::voc::SurveyStatus;
use rapport_domain::*;
use rapport_server::auth::secrets;
use rapport_server::{Application, Config};
use rapport_storage::Actor;

pub mod embed;
pub mod metrics;
pub mod qa;

/// Benchmark response submission.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Responses to submit.
    #[arg(long, default_value_t = 20_000)]
    pub n: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
}

struct Timing {
    label: &'static str,
    n: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Timing {
    fn report(&mut self) {
        self.latencies.sort();
        let pct = |p: f64| {
            self.latencies
                .get(((self.latencies.len() as f64 - 1.0) * p) as usize)
                .copied()
                .unwrap_or_default()
        };
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} |",
            self.label,
            self.n,
            self.n as f64 / self.elapsed.as_secs_f64(),
            pct(0.5).as_secs_f64() * 1000.0,
            pct(0.99).as_secs_f64() * 1000.0
        );
    }
}

fn body(i: usize) -> serde_json::Value {
    let nps = i % 11;
    let text = match i % 3 {
        0 => "The adjuster came on time and explained everything.",
        1 => "חיכיתי שעה על הקו ואף אחד לא חזר אליי",
        _ => "Η εξυπηρέτηση ήταν γρήγορη και ευγενική",
    };
    let follow = if nps <= 8 { "why_low" } else { "why_high" };
    serde_json::json!({"answers": {"nps": nps, follow: text, "csat": 1 + i % 5}})
}

async fn run_concurrent<F, Fut>(
    label: &'static str,
    n: usize,
    concurrency: usize,
    op: F,
) -> anyhow::Result<Timing>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = vec![];
    for _ in 0..concurrency {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = vec![];
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                op(i).await?;
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut latencies = Vec::with_capacity(n);
    for t in tasks {
        latencies.extend(t.await??);
    }
    Ok(Timing {
        label,
        n,
        elapsed: start.elapsed(),
        latencies,
    })
}

pub async fn run(a: BenchArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("rapport-bench-{}", secrets::random_hex(4)));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("rapport.db").display());
    let store = rapport_storage::connect(&url).await?;
    store.migrate().await?;
    let org = store
        .create_organisation(&NewOrganisation {
            name: Name::parse("name", "Bench")?,
            slug: "bench".into(),
            default_locale: Locale::En,
        })
        .await?;
    let actor = Actor::system(org.id);
    let user = store
        .create_user(
            actor,
            &NewUser {
                email: Email::parse("email", "bench@bench.test")?,
                display_name: Name::parse("name", "Bench")?,
                role: Role::Agent,
                team_id: None,
                locale: Locale::En,
                password_hash: None,
            },
        )
        .await?;
    let (token, prefix, hash) = secrets::new_api_token();
    store
        .create_api_token(
            actor,
            user.id,
            &Name::parse("name", "bench")?,
            &prefix,
            &hash,
        )
        .await?;
    let journey = store
        .create_journey(
            actor,
            &NewJourney {
                name: Name::parse("name", "J")?,
                description: None,
                locale: Locale::En,
            },
        )
        .await?;
    let tp = store
        .create_touchpoint(
            actor,
            &NewTouchpoint {
                stage_id: journey.stages[3].stage.id,
                name: Name::parse("name", "Claims line")?,
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await?;
    let survey = store
        .create_survey(
            actor,
            tp.id,
            &Name::parse("name", "Bench")?,
            &default_definition(),
            "bench",
        )
        .await?;
    store
        .set_survey_status(actor, survey.id, SurveyStatus::Published)
        .await?;

    let app = Application::build_with_store(
        Config::new(url.clone(), "127.0.0.1:0".parse()?),
        store.clone(),
    )
    .await?;
    let base = format!(
        "http://127.0.0.1:{}/api/v1/surveys/{}/responses",
        app.port(),
        survey.id
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stop_rx.await;
    }));

    println!(
        "Rapport bench: {} responses, {} concurrent clients, SQLite (WAL), {} cores",
        a.n,
        a.concurrency,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        println!("Load average before the run: {}", load.join(" "));
    }
    println!();
    println!("| path | n | responses/s | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .build()?;
    let run_id = secrets::random_hex(4);
    let mut http = run_concurrent(
        "HTTP POST /api/v1/surveys/{id}/responses (Idempotency-Key)",
        a.n,
        a.concurrency,
        move |i| {
            let (client, base, token, run_id) =
                (client.clone(), base.clone(), token.clone(), run_id.clone());
            async move {
                let r = client
                    .post(&base)
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("{run_id}-{i}"))
                    .json(&body(i))
                    .send()
                    .await?;
                anyhow::ensure!(r.status().as_u16() == 201, "HTTP {}", r.status());
                Ok(())
            }
        },
    )
    .await?;
    http.report();
    // The worker analyses every response in the background on the same cores: report how far
    // behind it was when the last 201 arrived and when it caught up.
    let pending = |counts: Vec<(String, i64)>| -> i64 {
        counts
            .iter()
            .filter(|(state, _)| state == "queued" || state == "running")
            .map(|(_, n)| n)
            .sum()
    };
    let backlog = pending(store.job_counts().await?);
    let drain = Instant::now();
    while pending(store.job_counts().await?) > 0 && drain.elapsed() < Duration::from_secs(600) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let analysed_after = http.elapsed + drain.elapsed();
    let analysis_note = format!(
        "Analysis: {backlog} of {} jobs still queued when the last response was acknowledged; \
         all analysed {:.1} s after the first submission ({:.0} responses/s end to end).",
        a.n,
        analysed_after.as_secs_f64(),
        a.n as f64 / analysed_after.as_secs_f64()
    );
    let _ = stop_tx.send(());
    let _ = server.await;

    // Baseline: the same rows inserted with plain SQL into a fresh database of the same schema,
    // one transaction per row, same concurrency, no HTTP, no validation, no job.
    let raw_url = format!("sqlite://{}", dir.join("raw.db").display());
    let raw_store = rapport_storage::connect(&raw_url).await?;
    raw_store.migrate().await?;
    drop(raw_store);
    let opts: sqlx::sqlite::SqliteConnectOptions = raw_url.parse()?;
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(
            opts.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                // The raw rows reference no real survey; the baseline measures inserts only.
                .foreign_keys(false),
        )
        .await
        .context("raw SQLite")?;
    let pool = Arc::new(pool);
    let mut raw = run_concurrent("raw SQLite INSERT of the same rows", a.n, a.concurrency, move |i| {
        let pool = pool.clone();
        async move {
            let b = body(i);
            let now = Utc::now();
            let (day, week, month) = rapport_domain::voc::period_keys(now);
            sqlx::query(
                "INSERT INTO responses (org_id, survey_id, version, journey_id, stage_id, touchpoint_id, channel, locale, source, \
                 idempotency_key, submitted_at, day, week, month, answers, nps, csat, comment) \
                 VALUES (1, 1, 1, 1, 1, 1, 'phone', 'en', 'api', $1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(format!("raw-{i}"))
            .bind(now)
            .bind(day)
            .bind(week)
            .bind(month)
            .bind(b["answers"].to_string())
            .bind(b["answers"]["nps"].as_i64())
            .bind(b["answers"]["csat"].as_i64())
            .bind(b["answers"].get("why_low").or(b["answers"].get("why_high")).and_then(|v| v.as_str()).map(str::to_string))
            .execute(&*pool)
            .await?;
            Ok(())
        }
    })
    .await?;
    raw.report();
    println!();
    println!("{analysis_note}");
    println!(
        "HTTP path reaches {:.0}% of raw SQLite insert throughput.",
        100.0 * (http.n as f64 / http.elapsed.as_secs_f64())
            / (raw.n as f64 / raw.elapsed.as_secs_f64())
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
