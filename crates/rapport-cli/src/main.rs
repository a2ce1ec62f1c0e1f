//! `rapport`: the thin command-line front end. Every subcommand parses its arguments and calls
//! into the server, storage or text-engine crates.
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use rapport_domain::model::{NewOrganisation, NewUser};
use rapport_domain::{Email, Locale, Name, Password, Role, TeamId};
use rapport_server::auth::{password, secrets};
use rapport_server::{Application, Config};
use rapport_storage::{Actor, Storage};

/// mimalloc instead of glibc's malloc: the submission path spent ~18% of its CPU in glibc's
/// allocator (arena locks, `malloc_consolidate`) with two cores shared by the server's workers.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod analyze;
mod bench;
mod data;
mod import;
mod models;
mod qa;

#[derive(Debug, Parser)]
#[command(
    name = "rapport",
    version,
    about = "Rapport: frontline-first customer experience platform"
)]
struct Cli {
    /// Log format: `text` for people, `json` for log collectors.
    #[arg(
        long,
        global = true,
        env = "RAPPORT_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web UI and API.
    Serve(ServeArgs),
    /// Create a fresh demo organisation in a new SQLite database and serve it.
    Demo(DemoArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Analyse texts (JSON Lines in, JSON Lines out) with the offline text engine.
    Analyze(analyze::AnalyzeArgs),
    /// Benchmarks (see docs/benchmarks.md).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Print the themes of a corpus as JSON.
    Themes(analyze::ThemesArgs),
    /// Import historical data.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Score conversations against a QA rubric, with evidence (JSON Lines in, JSON Lines out).
    Qa(qa::QaArgs),
    /// Write a consistent copy of the live SQLite database (PostgreSQL: use pg_dump).
    Backup(data::BackupArgs),
    /// Put a backup in place of the SQLite database (stop `rapport serve` first).
    Restore(data::RestoreArgs),
    /// Export everything stored about one customer as JSON (data-subject access request).
    ExportCustomer(data::CustomerArgs),
    /// Delete everything stored about one customer (data-subject erasure request).
    PurgeCustomer(data::CustomerArgs),
    /// The semantic tier's model file: fetch it, check it.
    #[command(subcommand)]
    Models(models::ModelsCommand),
}

#[derive(Debug, Args)]
struct DbArgs {
    /// `sqlite://PATH` (embedded, the default) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "RAPPORT_DATABASE_URL",
        default_value = "sqlite://rapport.db"
    )]
    database_url: String,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "RAPPORT_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The URL users reach Rapport at; `https://…` makes cookies Secure.
    #[arg(long, env = "RAPPORT_PUBLIC_URL")]
    public_url: Option<String>,
    /// Trust X-Forwarded-For/-Proto (only behind your own reverse proxy).
    #[arg(long, env = "RAPPORT_TRUST_PROXY")]
    trust_proxy: bool,
    /// Requests per minute one client address may make to the pages and posts open without
    /// signing in (survey and invitation pages, pulse, login, password reset, inbound
    /// webhooks); a minute's worth may come at once. 0 turns the limit off.
    #[arg(long, env = "RAPPORT_PUBLIC_RATE_LIMIT", default_value_t = 120)]
    public_rate_limit: u32,
    /// Minutes a password-reset link works.
    #[arg(long, env = "RAPPORT_PASSWORD_RESET_TTL_MINUTES", default_value_t = 60)]
    password_reset_ttl_minutes: u32,
    /// Largest accepted request body in bytes.
    #[arg(long, env = "RAPPORT_BODY_LIMIT", default_value_t = 1024 * 1024)]
    body_limit: usize,
    #[command(flatten)]
    mail: MailArgs,
    /// Seconds a worker holds a claimed job; when a worker dies, others take its jobs after this.
    #[arg(long, env = "RAPPORT_JOB_LEASE_SECS", default_value_t = 120)]
    job_lease_secs: u32,
    /// First webhook retry delay in milliseconds; doubles per attempt, up to
    /// --webhook-retry-max-secs.
    #[arg(long, env = "RAPPORT_WEBHOOK_RETRY_BASE_MS", default_value_t = 2000)]
    webhook_retry_base_ms: u32,
    /// Longest wait between two webhook attempts, in seconds.
    #[arg(long, env = "RAPPORT_WEBHOOK_RETRY_MAX_SECS", default_value_t = 3600)]
    webhook_retry_max_secs: u32,
    /// PostgreSQL: milliseconds a request waits for a database connection before it is
    /// answered 503 (keep it short, so requests fail fast while the database is down).
    #[arg(long, env = "RAPPORT_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 2000)]
    db_acquire_timeout_ms: u32,
    /// On SIGTERM, seconds a running background job may take to finish before it is stopped
    /// and handed back to the queue.
    #[arg(long, env = "RAPPORT_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    shutdown_grace_secs: u32,
    /// Seconds after which a request still running is answered 503 (a bound for requests
    /// caught by a database that stopped answering mid-query).
    #[arg(long, env = "RAPPORT_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    request_timeout_secs: u32,
    /// Seconds a client may take to send a request's headers, and a kept-alive connection may
    /// sit idle, before the connection is closed (slow clients cannot hold connections open).
    #[arg(long, env = "RAPPORT_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    header_read_timeout_secs: u32,
    /// Folder of the semantic tier's model file (default: $RAPPORT_MODEL_DIR, else
    /// ~/.local/share/rapport/models); without the file the fast tier answers alone.
    #[arg(long)]
    model_dir: Option<PathBuf>,
}

/// Outgoing e-mail (survey invitations and reminders).
#[derive(Debug, Args)]
struct MailArgs {
    /// SMTP server: `smtp://host:25` (plain), `smtp://host:587?tls=required` (STARTTLS) or
    /// `smtps://user:password@host:465`. Without it, e-mail invitations are not sent.
    #[arg(long, env = "RAPPORT_SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender of invitation e-mails, e.g. `Aurora Feedback <feedback@aurora.example>`.
    #[arg(
        long,
        env = "RAPPORT_MAIL_FROM",
        default_value = "Rapport <rapport@localhost>"
    )]
    mail_from: String,
}

impl MailArgs {
    fn apply(self, config: &mut Config) {
        config.smtp_url = self.smtp_url;
        config.mail_from = self.mail_from;
    }
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Address to listen on.
    #[arg(long, env = "RAPPORT_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Folder for the demo database (default: a new folder under the system temp dir).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Number of customers to create.
    #[arg(long, default_value_t = 2000)]
    customers: usize,
    /// Number of survey responses to create over the last 12 months.
    #[arg(long, default_value_t = 20_000)]
    responses: usize,
    /// Seed the database and exit instead of serving it.
    #[arg(long)]
    seed_only: bool,
    #[command(flatten)]
    mail: MailArgs,
    /// Folder of the semantic tier's model file (default: $RAPPORT_MODEL_DIR, else
    /// ~/.local/share/rapport/models); when present, the demo's texts are embedded in the
    /// background.
    #[arg(long)]
    model_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Response submission over HTTP vs raw SQLite inserts, same rows, same run.
    Responses(bench::BenchArgs),
    /// NPS by touchpoint × week and the journey map over generated responses (SQLite or PostgreSQL).
    Metrics(bench::metrics::MetricsArgs),
    /// `rapport qa` end to end in process over generated conversations, 1 thread and all.
    Qa(bench::qa::QaBenchArgs),
    /// Semantic-tier embeddings/s, tokens/s and peak RSS on a file of texts (one shared model).
    Embed(bench::embed::EmbedBenchArgs),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user (prompts for the password, or reads RAPPORT_PASSWORD).
    Create(UserCreateArgs),
}

#[derive(Debug, Args)]
struct UserCreateArgs {
    #[command(flatten)]
    db: DbArgs,
    #[arg(long)]
    email: String,
    /// admin, cx_manager, team_lead, agent or viewer.
    #[arg(long)]
    role: String,
    /// Team name (must exist).
    #[arg(long)]
    team: Option<String>,
    /// Display name (default: the part of the e-mail before @).
    #[arg(long)]
    name: Option<String>,
    /// UI language: en, he or el.
    #[arg(long, default_value = "en")]
    locale: String,
    /// Organisation slug; created if it does not exist yet.
    #[arg(long, default_value = "default")]
    org: String,
    /// Display name for a newly created organisation.
    #[arg(long)]
    org_name: Option<String>,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it once.
    Create(TokenCreateArgs),
}

#[derive(Debug, Args)]
struct TokenCreateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The user the token acts as.
    #[arg(long)]
    email: String,
    /// What the token is for.
    #[arg(long)]
    name: String,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RAPPORT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match cli.command {
        Command::Analyze(args) => analyze::run_analyze(args),
        Command::Themes(args) => analyze::run_themes(args),
        Command::Qa(args) => qa::run(args),
        Command::Bench(BenchCommand::Qa(args)) => bench::qa::run(args),
        Command::Bench(BenchCommand::Embed(args)) => bench::embed::run(args),
        Command::Models(c) => models::run(c),
        other => tokio::runtime::Runtime::new()?.block_on(run(other)),
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(a) => serve(a).await,
        Command::Demo(a) => demo(a).await,
        Command::Migrate(a) => {
            let store = rapport_storage::connect(&a.database_url).await?;
            store.migrate().await?;
            println!("migrations applied ({})", store.backend().as_str());
            Ok(())
        }
        Command::User(UserCommand::Create(a)) => user_create(a).await,
        Command::Bench(BenchCommand::Responses(a)) => bench::run(a).await,
        Command::Bench(BenchCommand::Metrics(a)) => bench::metrics::run(a).await,
        Command::Token(TokenCommand::Create(a)) => token_create(a).await,
        Command::Import(c) => import::run(c).await,
        Command::Backup(a) => data::backup(a).await,
        Command::Restore(a) => data::restore(a).await,
        Command::ExportCustomer(a) => data::export_customer(a).await,
        Command::PurgeCustomer(a) => data::purge_customer(a).await,
        Command::Analyze(_)
        | Command::Themes(_)
        | Command::Qa(_)
        | Command::Models(_)
        | Command::Bench(BenchCommand::Qa(_))
        | Command::Bench(BenchCommand::Embed(_)) => unreachable!("handled synchronously"),
    }
}

/// Resolves on Ctrl-C or SIGTERM, so the server can finish in-flight requests.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}

async fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let mut config = Config::new(a.db.database_url, a.addr);
    config.public_url = a.public_url;
    config.trust_proxy = a.trust_proxy;
    config.public_rate_limit =
        rapport_server::rate_limit::RateLimit::per_minute(a.public_rate_limit);
    config.password_reset_ttl =
        chrono::Duration::minutes(a.password_reset_ttl_minutes.max(1).into());
    config.body_limit = a.body_limit;
    config.job_lease = chrono::Duration::seconds(a.job_lease_secs.max(1).into());
    config.webhook_retry_base =
        chrono::Duration::milliseconds(a.webhook_retry_base_ms.max(1).into());
    config.webhook_retry_max = chrono::Duration::seconds(a.webhook_retry_max_secs.max(1).into());
    config.db_acquire_timeout =
        std::time::Duration::from_millis(a.db_acquire_timeout_ms.max(1).into());
    config.shutdown_grace = std::time::Duration::from_secs(a.shutdown_grace_secs.into());
    config.request_timeout = std::time::Duration::from_secs(a.request_timeout_secs.max(1).into());
    config.header_read_timeout =
        std::time::Duration::from_secs(a.header_read_timeout_secs.max(1).into());
    config.model_dir = Some(a.model_dir.unwrap_or_else(rapport_embed::default_model_dir));
    a.mail.apply(&mut config);
    tracing::info!(?config, "starting");
    let app = Application::build(config).await?;
    tracing::info!(port = app.port(), "listening");
    app.run_until_stopped(shutdown_signal()).await
}

async fn demo(a: DemoArgs) -> anyhow::Result<()> {
    let dir = match a.data_dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("rapport-demo-{}", secrets::random_hex(4))),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let db = dir.join("rapport.db");
    if db.exists() {
        bail!(
            "{} already exists; pass an empty --data-dir (the demo always starts fresh)",
            db.display()
        );
    }
    let url = format!("sqlite://{}", db.display());
    let store = rapport_storage::connect(&url).await?;
    store.migrate().await?;

    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(1);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b
    });
    let progress = |step: &str, done: u64, total: u64| match &bar {
        Some(b) => {
            b.set_message(step.to_string());
            b.set_length(total);
            b.set_position(done);
        }
        None if done == total => tracing::info!(step, total, "seeded"),
        None => {}
    };
    let size = rapport_server::demo::DemoSize {
        customers: a.customers,
        responses: a.responses,
        ..Default::default()
    };
    let world = rapport_server::demo::seed(&*store, size, &progress).await?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    println!(
        "Seeded {}: {} teams, {} agents, {} customers, {} journeys with {} touchpoints, {} survey responses, {} conversations, {} pulse answers, {} customer events.",
        world.org.name,
        world.teams.len(),
        world.agents.len(),
        world.customers,
        world.journeys.len(),
        world.touchpoints(),
        world.responses,
        world.conversations,
        world.pulse_answers,
        world.events
    );
    println!("Database: {}", db.display());
    if a.seed_only {
        return Ok(());
    }
    let mut config = Config::new(url, a.addr);
    config.demo = true;
    config.model_dir = Some(a.model_dir.unwrap_or_else(rapport_embed::default_model_dir));
    a.mail.apply(&mut config);
    let app = Application::build_with_store(config, store).await?;
    println!();
    println!(
        "Rapport demo is running at http://{}:{}/",
        a.addr.ip(),
        app.port()
    );
    println!(
        "Sign in with any of these (password: {}):",
        rapport_server::demo::DEMO_PASSWORD
    );
    for (email, role) in rapport_server::demo::DEMO_LOGINS {
        println!("  {email:<20} {role}");
    }
    println!("Press Ctrl-C to stop.");
    app.run_until_stopped(shutdown_signal()).await
}

async fn read_password() -> anyhow::Result<Password> {
    let raw = match std::env::var("RAPPORT_PASSWORD") {
        Ok(p) => p,
        Err(_) if std::io::stdin().is_terminal() => {
            let p = rpassword::prompt_password("Password (at least 10 characters): ")?;
            let again = rpassword::prompt_password("Repeat password: ")?;
            if p != again {
                bail!("the passwords differ");
            }
            p
        }
        Err(_) => bail!("no terminal to prompt on: set RAPPORT_PASSWORD"),
    };
    Password::parse("password", &raw).map_err(|e| anyhow::anyhow!("{e}"))
}

async fn user_create(a: UserCreateArgs) -> anyhow::Result<()> {
    let email = Email::parse("--email", &a.email).map_err(|e| anyhow::anyhow!("{e}"))?;
    let role = Role::parse(&a.role).map_err(|e| anyhow::anyhow!("--{e}"))?;
    let locale = Locale::parse("--locale", &a.locale).map_err(|e| anyhow::anyhow!("{e}"))?;
    let name = a.name.clone().unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("user")
            .to_string()
    });
    let display_name = Name::parse("--name", &name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let password = read_password().await?;
    let store = rapport_storage::connect(&a.db.database_url).await?;
    store.migrate().await?;
    let org = match store.organisation_by_slug(&a.org).await {
        Ok(o) => o,
        Err(rapport_storage::StorageError::NotFound { .. }) => {
            let n = a.org_name.clone().unwrap_or_else(|| a.org.clone());
            store
                .create_organisation(&NewOrganisation {
                    name: Name::parse("--org-name", &n).map_err(|e| anyhow::anyhow!("{e}"))?,
                    slug: a.org.clone(),
                    default_locale: locale,
                })
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    let team_id = match &a.team {
        Some(t) => Some(find_team(&*store, org.id, t).await?),
        None => None,
    };
    let hash = password::hash_async(password.expose().to_string()).await?;
    let user = store
        .create_user(
            Actor::system(org.id),
            &NewUser {
                email,
                display_name,
                role,
                team_id,
                locale,
                password_hash: Some(hash),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "created user {} ({}) in organisation {}",
        user.email, user.role, org.slug
    );
    Ok(())
}

async fn find_team(
    store: &dyn Storage,
    org: rapport_domain::OrgId,
    name: &str,
) -> anyhow::Result<TeamId> {
    let teams = store.list_teams(org).await?;
    teams
        .iter()
        .find(|t| t.name == name)
        .map(|t| t.id)
        .with_context(|| {
            format!(
                "--team: no team named {name:?}; existing: {:?}",
                teams.iter().map(|t| &t.name).collect::<Vec<_>>()
            )
        })
}

async fn token_create(a: TokenCreateArgs) -> anyhow::Result<()> {
    let email = Email::parse("--email", &a.email).map_err(|e| anyhow::anyhow!("{e}"))?;
    let name = Name::parse("--name", &a.name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = rapport_storage::connect(&a.db.database_url).await?;
    store.migrate().await?;
    let (user, _) = store
        .user_credentials(&email)
        .await?
        .with_context(|| format!("--email: no user {email:?}", email = email.as_str()))?;
    let (secret, prefix, hash) = secrets::new_api_token();
    store
        .create_api_token(Actor::system(user.org_id), user.id, &name, &prefix, &hash)
        .await?;
    eprintln!("API token for {} (shown once; store it now):", user.email);
    println!("{secret}");
    Ok(())
}
