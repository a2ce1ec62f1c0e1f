//! Crash test driver (run by `scripts/crash-test.sh`): sends `N` survey responses to a real
//! `rapport serve` over HTTP, each with its own `Idempotency-Key`, while `kill -9`-ing the
//! server at random points and starting it again. Every request is retried on connection errors
//! and 5xx until it gets a 2xx. At the end, every acknowledged response must be stored exactly
//! once: checked through the API and by direct queries on the database.
//!
//! The server is a separate process (the real binary), so a kill loses whatever it held only in
//! memory; this process keeps the client side of the truth.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use clap::Parser;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use sqlx::Connection;

#[derive(Debug, Parser)]
struct Args {
    /// The `rapport` binary to run.
    #[arg(long)]
    rapport: PathBuf,
    /// `sqlite://PATH` (a fresh file), or a PostgreSQL server URL with `--fresh-postgres`.
    #[arg(long)]
    database_url: String,
    /// Treat `--database-url` as a PostgreSQL server: create a new database on it for the
    /// run and drop it afterwards.
    #[arg(long)]
    fresh_postgres: bool,
    /// Responses to send.
    #[arg(long, env = "N", default_value_t = 3000)]
    n: usize,
    /// How many times to `kill -9` the server.
    #[arg(long, env = "KILLS", default_value_t = 5)]
    kills: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seed for the kill points (random when omitted; printed either way).
    #[arg(long, env = "SEED")]
    seed: Option<u64>,
    /// Where the server's logs go.
    #[arg(long)]
    log: Option<PathBuf>,
}

/// Per-response client-side state: 0 not yet acknowledged, else the first 2xx status / 100.
const PENDING: u8 = 0;
const CREATED: u8 = 1;
const ALREADY: u8 = 2;

#[derive(Default)]
struct Counters {
    attempts: AtomicU64,
    connection_errors: AtomicU64,
    server_errors: AtomicU64,
    acked: AtomicUsize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let (url, drop_db) = if args.fresh_postgres {
        let (url, name) = create_pg_database(&args.database_url).await?;
        (url, Some(name))
    } else {
        (args.database_url.clone(), None)
    };
    let result = drive(&args, &url).await;
    if let Some(name) = drop_db {
        drop_pg_database(&args.database_url, &name).await?;
    }
    let summary = result?;
    println!("{summary}");
    Ok(())
}

async fn drive(args: &Args, url: &str) -> anyhow::Result<Value> {
    let seed = args.seed.unwrap_or_else(rand::random);
    let backend = if url.starts_with("sqlite:") {
        "sqlite"
    } else {
        "postgres"
    };
    eprintln!(
        "crash test: {backend}, N = {}, {} kills, seed {seed}",
        args.n, args.kills
    );
    let server = Server::new(args, url)?;
    server.cli(&["migrate"], &[])?;
    server.cli(
        &[
            "user",
            "create",
            "--email",
            "crash@example.test",
            "--role",
            "admin",
            "--org",
            "crash",
            "--org-name",
            "Crash test",
        ],
        &[("RAPPORT_PASSWORD", "crash test password 1")],
    )?;
    let token = server.cli(
        &[
            "token",
            "create",
            "--email",
            "crash@example.test",
            "--name",
            "crash test",
        ],
        &[],
    )?;
    let token = token.trim().to_string();
    ensure!(
        token.starts_with("rpt_"),
        "unexpected token output {token:?}"
    );

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut child = server.start()?;
    server.wait_ready(&client, &mut child).await?;
    let survey = create_survey(&client, &server.base, &token).await?;

    let states: Arc<Vec<AtomicU8>> = Arc::new((0..args.n).map(|_| AtomicU8::new(0)).collect());
    let counters = Arc::new(Counters::default());
    let next = Arc::new(AtomicUsize::new(0));
    let failure: Arc<Mutex<Option<String>>> = Arc::default();
    let started = Instant::now();
    let mut senders = Vec::new();
    for _ in 0..args.concurrency {
        let ctx = Sender {
            client: client.clone(),
            url: format!("{}/api/v1/surveys/{survey}/responses", server.base),
            token: token.clone(),
            states: states.clone(),
            counters: counters.clone(),
            next: next.clone(),
            failure: failure.clone(),
        };
        senders.push(tokio::spawn(ctx.run()));
    }

    // Kill points: acknowledged-response counts spread at random over the run.
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut points: Vec<usize> = (0..args.kills)
        .map(|_| rng.gen_range(args.n / 20..args.n * 19 / 20))
        .collect();
    points.sort_unstable();
    let mut recoveries = Vec::new();
    for (k, point) in points.iter().enumerate() {
        while counters.acked.load(Ordering::Relaxed) < *point {
            if senders.iter().all(|s| s.is_finished()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // A little jitter so the kill lands anywhere in a commit, not right after one.
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..40))).await;
        child.kill().context("kill -9")?;
        child.wait()?;
        let at = counters.acked.load(Ordering::Relaxed);
        eprintln!("kill {} at {at} acknowledged", k + 1);
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..500))).await;
        let restart = Instant::now();
        child = server.start()?;
        server.wait_ready(&client, &mut child).await?;
        recoveries.push(restart.elapsed().as_secs_f64());
    }
    for s in senders {
        s.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(f) = failure.lock().unwrap().take() {
        bail!("{f}");
    }

    let verified = verify(&client, &server.base, &token, url, survey, &states).await;
    terminate(&mut child)?;
    let verified = verified?;
    let created = states
        .iter()
        .filter(|s| s.load(Ordering::Relaxed) == CREATED)
        .count();
    Ok(json!({
        "backend": backend,
        "responses": args.n,
        "kills": args.kills,
        "seed": seed,
        "concurrency": args.concurrency,
        "seconds": (elapsed * 10.0).round() / 10.0,
        "responses_per_second": (args.n as f64 / elapsed).round(),
        "requests": counters.attempts.load(Ordering::Relaxed),
        "connection_errors": counters.connection_errors.load(Ordering::Relaxed),
        "server_errors": counters.server_errors.load(Ordering::Relaxed),
        "first_2xx_was_201": created,
        "first_2xx_was_200_already_stored": args.n - created,
        "restart_to_ready_seconds_max": recoveries.iter().cloned().fold(0.0, f64::max),
        "stored": verified,
    }))
}

struct Sender {
    client: reqwest::Client,
    url: String,
    token: String,
    states: Arc<Vec<AtomicU8>>,
    counters: Arc<Counters>,
    next: Arc<AtomicUsize>,
    failure: Arc<Mutex<Option<String>>>,
}

impl Sender {
    async fn run(self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.states.len() || self.failure.lock().unwrap().is_some() {
                return;
            }
            match self.send(i).await {
                Ok(state) => {
                    self.states[i].store(state, Ordering::Relaxed);
                    self.counters.acked.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    *self.failure.lock().unwrap() = Some(format!("response {i}: {e:#}"));
                    return;
                }
            }
        }
    }

    /// Sends response `i` until it is acknowledged; the first 2xx decides its state.
    async fn send(&self, i: usize) -> anyhow::Result<u8> {
        let nps = (i % 11) as i64;
        let text_key = if nps >= 9 { "why_high" } else { "why_low" };
        let body = json!({"answers": {"nps": nps, text_key: format!("crash check {i:08}")}});
        let mut backoff = Duration::from_millis(20);
        for _ in 0..2000 {
            self.counters.attempts.fetch_add(1, Ordering::Relaxed);
            let sent = self
                .client
                .post(&self.url)
                .bearer_auth(&self.token)
                .header("Idempotency-Key", key(i))
                .json(&body)
                .send()
                .await;
            match sent {
                Ok(resp) => {
                    let status = resp.status();
                    let text = resp.text().await.unwrap_or_default();
                    match status.as_u16() {
                        201 => return Ok(CREATED),
                        200 => return Ok(ALREADY),
                        s if s >= 500 => {
                            self.counters.server_errors.fetch_add(1, Ordering::Relaxed);
                        }
                        s => bail!("status {s}: {text}"),
                    }
                }
                // Refused while the server is down, reset when it died mid-request, or a 2xx
                // whose body never arrived: all retried with the same key.
                Err(_) => {
                    self.counters
                        .connection_errors
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_millis(500));
        }
        bail!("never acknowledged")
    }
}

fn key(i: usize) -> String {
    format!("crash-{i:08}")
}

/// Every acknowledged response is stored, once: by idempotency key, by the unique text in its
/// comment (which does not rely on the key's unique index), through the API and in the
/// database, with exactly one analysis job each.
async fn verify(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    url: &str,
    survey: i64,
    states: &[AtomicU8],
) -> anyhow::Result<Value> {
    let n = states.len() as i64;
    ensure!(
        states.iter().all(|s| s.load(Ordering::Relaxed) != PENDING),
        "some responses were never acknowledged"
    );
    let api: Value = client
        .get(format!(
            "{base}/api/v1/responses?survey_id={survey}&limit=1"
        ))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let api_total = api["total"]
        .as_i64()
        .context("total in the response list")?;
    ensure!(
        api_total == n,
        "the API lists {api_total} responses, want {n}"
    );

    let mut db = Db::connect(url).await?;
    let s = survey;
    let rows = db
        .count(&format!(
            "SELECT COUNT(*) FROM responses WHERE survey_id = {s}"
        ))
        .await?;
    let keys = db
        .count(&format!(
            "SELECT COUNT(DISTINCT idempotency_key) FROM responses WHERE survey_id = {s}"
        ))
        .await?;
    let comments = db
        .count(&format!(
            "SELECT COUNT(DISTINCT comment) FROM responses WHERE survey_id = {s}"
        ))
        .await?;
    let jobs = db
        .count(&format!(
            // The payload is `{{"response_id":ID}}`: the id read out of it finds the response
            // by primary key (a join on the formatted text would be quadratic on SQLite).
            "SELECT COUNT(*) FROM jobs j JOIN responses r \
             ON r.id = CAST(substr(j.payload, 16, length(j.payload) - 16) AS BIGINT) \
             WHERE j.kind = 'analyze_response' AND r.survey_id = {s}"
        ))
        .await?;
    let job_rows = db
        .count("SELECT COUNT(*) FROM jobs WHERE kind = 'analyze_response'")
        .await?;
    ensure!(rows == n, "{rows} rows stored, want {n}");
    ensure!(keys == n, "{keys} distinct idempotency keys, want {n}");
    ensure!(comments == n, "{comments} distinct comments, want {n}");
    ensure!(
        jobs == n && job_rows == n,
        "{jobs} analysis jobs for the survey's responses ({job_rows} in all), want {n}"
    );
    // And the very keys that were acknowledged (not merely as many).
    let stored: std::collections::HashSet<String> = db
        .strings(&format!(
            "SELECT idempotency_key FROM responses WHERE survey_id = {s}"
        ))
        .await?
        .into_iter()
        .collect();
    for i in 0..states.len() {
        ensure!(
            stored.contains(&key(i)),
            "acknowledged {} is missing",
            key(i)
        );
    }
    if let Db::Sqlite(_) = db {
        let check = db.strings("PRAGMA integrity_check").await?;
        ensure!(check == ["ok"], "SQLite integrity check: {check:?}");
    }
    db.close().await?;
    Ok(
        json!({"rows": rows, "distinct_keys": keys, "distinct_comments": comments, "analysis_jobs": jobs}),
    )
}

/// A direct connection to the server's database, either backend.
enum Db {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Db {
    async fn connect(url: &str) -> anyhow::Result<Self> {
        Ok(if url.starts_with("sqlite:") {
            Db::Sqlite(sqlx::SqliteConnection::connect(url).await?)
        } else {
            Db::Postgres(sqlx::PgConnection::connect(url).await?)
        })
    }

    async fn count(&mut self, sql: &str) -> anyhow::Result<i64> {
        match self {
            Db::Sqlite(c) => sqlx::query_scalar(sql).fetch_one(c).await,
            Db::Postgres(c) => sqlx::query_scalar(sql).fetch_one(c).await,
        }
        .with_context(|| sql.to_string())
    }

    async fn strings(&mut self, sql: &str) -> anyhow::Result<Vec<String>> {
        match self {
            Db::Sqlite(c) => sqlx::query_scalar(sql).fetch_all(c).await,
            Db::Postgres(c) => sqlx::query_scalar(sql).fetch_all(c).await,
        }
        .with_context(|| sql.to_string())
    }

    async fn close(self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(c) => c.close().await?,
            Db::Postgres(c) => c.close().await?,
        }
        Ok(())
    }
}

/// Runs the real binary: CLI commands, and `serve` on a fixed port across restarts.
struct Server<'a> {
    args: &'a Args,
    url: String,
    addr: String,
    base: String,
}

impl<'a> Server<'a> {
    fn new(args: &'a Args, url: &str) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        Ok(Self {
            args,
            url: url.to_string(),
            addr: format!("127.0.0.1:{port}"),
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    /// Runs `rapport ARGS --database-url URL`; returns its standard output.
    fn cli(&self, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<String> {
        let out = Command::new(&self.args.rapport)
            .args(args)
            .args(["--database-url", &self.url])
            .envs(env.iter().copied())
            .env("RAPPORT_LOG", "warn")
            .output()
            .with_context(|| format!("running rapport {}", args.join(" ")))?;
        ensure!(
            out.status.success(),
            "rapport {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8(out.stdout)?)
    }

    fn start(&self) -> anyhow::Result<KillOnDrop> {
        let log = match &self.args.log {
            Some(p) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?,
            ),
            None => Stdio::null(),
        };
        Command::new(&self.args.rapport)
            .args(["serve", "--database-url", &self.url, "--addr", &self.addr])
            .env("RAPPORT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map(KillOnDrop)
            .context("starting rapport serve")
    }

    async fn wait_ready(&self, client: &reqwest::Client, child: &mut Child) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait()? {
                bail!("rapport serve exited with {status} (see --log)");
            }
            let ready = client
                .get(format!("{}/readyz", self.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("rapport serve not ready after 60 s")
    }
}

/// The server process, killed if the run ends early (an error) so it never outlives the driver.
struct KillOnDrop(Child);

impl std::ops::Deref for KillOnDrop {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Stops the server the polite way (SIGTERM) once the run is over.
fn terminate(child: &mut Child) -> anyhow::Result<()> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    for _ in 0..200 {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill()?;
    child.wait()?;
    Ok(())
}

/// Journey → touchpoint → the default survey, published; returns the survey id.
async fn create_survey(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<i64> {
    let post = |path: &str, body: Value| {
        let req = client
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body);
        async move {
            let resp = req.send().await?;
            let status = resp.status();
            let body: Value = resp.json().await?;
            ensure!(status.is_success(), "{status}: {body}");
            anyhow::Ok(body)
        }
    };
    let journey = post(
        "/api/v1/journeys",
        json!({"name": "Crash test", "locale": "en"}),
    )
    .await?;
    let stage = journey["stages"][0]["id"].as_i64().context("stage id")?;
    let tp = post(
        "/api/v1/touchpoints",
        json!({"stage_id": stage, "name": "Crash line", "channel": "web"}),
    )
    .await?;
    let tp = tp["id"].as_i64().context("touchpoint id")?;
    let survey = post(
        "/api/v1/surveys",
        json!({"touchpoint_id": tp, "name": "Crash survey"}),
    )
    .await?;
    let id = survey["id"].as_i64().context("survey id")?;
    post(&format!("/api/v1/surveys/{id}/publish"), json!({})).await?;
    Ok(id)
}

async fn create_pg_database(server: &str) -> anyhow::Result<(String, String)> {
    let name = format!("rapport_crash_{:016x}", rand::random::<u64>());
    let mut conn = sqlx::PgConnection::connect(server)
        .await
        .with_context(|| format!("connecting to {server}"))?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    // The server URL with the database replaced.
    let (root, query) = server.split_once('?').unwrap_or((server, ""));
    let after_scheme = root.find("://").map_or(0, |i| i + 3);
    let host_end = root[after_scheme..]
        .find('/')
        .map_or(root.len(), |i| after_scheme + i);
    let mut url = format!("{}/{name}", &root[..host_end]);
    if !query.is_empty() {
        url = format!("{url}?{query}");
    }
    Ok((url, name))
}

async fn drop_pg_database(server: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect(server).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}
