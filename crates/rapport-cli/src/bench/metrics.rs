//! `rapport bench metrics`: NPS by touchpoint × week and the journey map over a generated
//! year of responses, on SQLite or PostgreSQL, through the storage calls the server makes.
//!
//! Rows are written straight through sqlx in the shape `insert_response_tx` and the analysis
//! worker leave them (same columns, same period keys, same `,topic,` encoding), many rows per
//! statement and many statements per transaction. The generator keeps its own tally per
//! touchpoint × week and the first (warm-up) query result is checked against it exactly.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rapport_domain::model::*;
use rapport_domain::survey::default_definition;
use rapport_domain::voc::{
    period_keys, GroupBy, GroupSums, ResponseFilter, ResponseSource, SurveyStatus,
};
use rapport_domain::*;
use rapport_server::auth::secrets;
use rapport_storage::{Actor, Storage};
use sqlx::Connection;

/// Benchmark metric queries over generated responses.
#[derive(Debug, clap::Args)]
pub struct MetricsArgs {
    /// Responses to generate, spread over 12 months.
    #[arg(long, default_value_t = 1_000_000)]
    pub n: usize,
    /// Timed repetitions of each query (after one warm-up).
    #[arg(long, default_value_t = 20)]
    pub reps: usize,
    /// A PostgreSQL server (`postgres://…`): a fresh database is created there and dropped at
    /// the end. Without it, a SQLite file in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Keep the database and print its URL instead of removing it.
    #[arg(long)]
    pub keep: bool,
    /// Random seed of the generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Time the queries on a database kept by an earlier run (`--keep`, same `--n` and
    /// `--seed`) instead of generating one: migrations run first, the rows are generated again
    /// in memory only, for the exactness checks. The database is left in place.
    #[arg(long, conflicts_with = "database_url")]
    pub reuse: Option<String>,
}

const STAGES: usize = 5;
const PER_STAGE: usize = 4;
const TEAMS: usize = 4;
const AGENTS_PER_TEAM: usize = 5;
const ROWS_PER_STATEMENT: usize = 1000;
const STATEMENTS_PER_TX: usize = 50;
const TOPICS: [&str; 8] = [
    "wait time",
    "staff attitude",
    "price",
    "claims process",
    "communication",
    "app usability",
    "billing",
    "resolution",
];
const COMMENTS: [(&str, &str); 3] = [
    ("en", "The adjuster came on time and explained everything."),
    ("he", "חיכיתי שעה על הקו ואף אחד לא חזר אליי"),
    ("el", "Η εξυπηρέτηση ήταν γρήγορη και ευγενική"),
];

/// One generated response, in the columns `insert_response_tx` and the analysis worker write.
struct Row {
    survey_id: i64,
    journey_id: i64,
    stage_id: i64,
    touchpoint_id: i64,
    channel: &'static str,
    agent_id: Option<i64>,
    team_id: Option<i64>,
    locale: &'static str,
    submitted_at: DateTime<Utc>,
    day: String,
    week: String,
    month: String,
    answers: String,
    nps: Option<i32>,
    csat: Option<i32>,
    ces: Option<i32>,
    expectation: Option<i32>,
    experience: Option<i32>,
    comment: Option<&'static str>,
    language: &'static str,
    sentiment_label: Option<&'static str>,
    sentiment_score: Option<f64>,
    topics: Option<String>,
}

struct Place {
    survey: i64,
    journey: i64,
    stage: i64,
    touchpoint: i64,
    channel: &'static str,
    /// Mean NPS answer of this touchpoint, so touchpoints differ.
    quality: f64,
}

/// The generator's own sums per (touchpoint, week), compared with the storage's.
#[derive(Default, Clone, PartialEq, Debug)]
struct Tally {
    responses: i64,
    nps_n: i64,
    promoters: i64,
    detractors: i64,
    csat_n: i64,
    csat_satisfied: i64,
    ces_n: i64,
    ces_sum: i64,
    gap_n: i64,
    gap_sum: i64,
    sentiment_n: i64,
    sentiment_sum: f64,
    negative: i64,
}

impl Tally {
    fn add(&mut self, r: &Row) {
        self.responses += 1;
        if let Some(n) = r.nps {
            self.nps_n += 1;
            self.promoters += (n >= 9) as i64;
            self.detractors += (n <= 6) as i64;
        }
        if let Some(c) = r.csat {
            self.csat_n += 1;
            self.csat_satisfied += (c >= 4) as i64;
        }
        if let Some(c) = r.ces {
            self.ces_n += 1;
            self.ces_sum += c as i64;
        }
        if let (Some(e), Some(x)) = (r.expectation, r.experience) {
            self.gap_n += 1;
            self.gap_sum += (x - e) as i64;
        }
        if let Some(s) = r.sentiment_score {
            self.sentiment_n += 1;
            self.sentiment_sum += s;
        }
        self.negative += (r.sentiment_label == Some("negative")) as i64;
    }

    fn matches(&self, s: &GroupSums) -> bool {
        let ints = [
            (self.responses, s.responses),
            (self.nps_n, s.nps_n),
            (self.promoters, s.promoters),
            (self.detractors, s.detractors),
            (self.csat_n, s.csat_n),
            (self.csat_satisfied, s.csat_satisfied),
            (self.ces_n, s.ces_n),
            (self.ces_sum, s.ces_sum),
            (self.gap_n, s.gap_n),
            (self.gap_sum, s.gap_sum),
            (self.sentiment_n, s.sentiment_n),
            (self.negative, s.negative),
        ];
        ints.iter().all(|(a, b)| a == b)
            && (self.sentiment_sum - s.sentiment_sum).abs()
                <= 1e-6 * (1.0 + self.sentiment_n as f64)
    }
}

fn clamp(x: f64, lo: i32, hi: i32) -> i32 {
    (x.round() as i32).clamp(lo, hi)
}

/// The generator's own topic sums per touchpoint: (responses, promoters, detractors, mentions)
/// per topic, `None` for every analysed response with an NPS answer.
type TopicTally = HashMap<(String, Option<String>), (i64, i64, i64, i64)>;

fn tally_topics(t: &mut TopicTally, r: &Row) {
    let (Some(nps), Some(topics)) = (r.nps, &r.topics) else {
        return;
    };
    let mut named: BTreeMap<&str, i64> = BTreeMap::new();
    for x in topics.split(',').filter(|x| !x.is_empty()) {
        *named.entry(x).or_default() += 1;
    }
    let all = std::iter::once((None, 0)).chain(named.into_iter().map(|(x, m)| (Some(x), m)));
    for (topic, mentions) in all {
        let e = t
            .entry((r.touchpoint_id.to_string(), topic.map(str::to_string)))
            .or_default();
        e.0 += 1;
        e.1 += (nps >= 9) as i64;
        e.2 += (nps <= 6) as i64;
        e.3 += mentions;
    }
}

/// One response at `at` for `place`; the distributions are skewed per touchpoint.
fn gen_row(
    rng: &mut rand::rngs::StdRng,
    place: &Place,
    agents: &[(i64, i64)],
    at: DateTime<Utc>,
) -> Row {
    // A triangular-ish spread around the touchpoint's mean, 0..=10.
    let noise: f64 = rng.gen::<f64>() + rng.gen::<f64>() + rng.gen::<f64>() - 1.5;
    let nps = (rng.gen::<f64>() < 0.97).then(|| clamp(place.quality + noise * 4.0, 0, 10));
    let csat = (rng.gen::<f64>() < 0.9).then(|| {
        clamp(
            1.0 + nps.unwrap_or(7) as f64 * 0.4 + rng.gen_range(-1.0..1.0),
            1,
            5,
        )
    });
    let ces = (rng.gen::<f64>() < 0.3).then(|| rng.gen_range(1..=7));
    let (expectation, experience) = if rng.gen::<f64>() < 0.2 {
        (Some(rng.gen_range(2..=5)), Some(rng.gen_range(1..=5)))
    } else {
        (None, None)
    };
    let (lang, text) = COMMENTS[match rng.gen_range(0..10) {
        0..=5 => 0,
        6..=8 => 1,
        _ => 2,
    }];
    let comment = (rng.gen::<f64>() < 0.6).then_some(text);
    let (sentiment_label, sentiment_score, topics) = match comment {
        Some(_) => {
            let base = (nps.unwrap_or(7) as f64 - 6.5) / 4.0;
            let score = (base + rng.gen_range(-0.4..0.4)).clamp(-1.0, 1.0);
            let label = if score < -0.05 {
                "negative"
            } else if score > 0.05 {
                "positive"
            } else {
                "neutral"
            };
            let mut t: Vec<&str> = vec![];
            for _ in 0..rng.gen_range(1..=2) {
                // Skewed: the first topics are the common ones.
                let i = ((rng.gen::<f64>().powi(2)) * TOPICS.len() as f64) as usize;
                if !t.contains(&TOPICS[i]) {
                    t.push(TOPICS[i]);
                }
            }
            // The worker's encoding (`topics_column`): `,a,b,`.
            (Some(label), Some(score), Some(format!(",{},", t.join(","))))
        }
        None => (None, None, Some(",,".to_string())),
    };
    let mut answers = serde_json::Map::new();
    if let Some(n) = nps {
        answers.insert("nps".into(), n.into());
    }
    if let Some(c) = csat {
        answers.insert("csat".into(), c.into());
    }
    if let Some(t) = comment {
        let key = if nps.unwrap_or(0) <= 8 {
            "why_low"
        } else {
            "why_high"
        };
        answers.insert(key.into(), t.into());
    }
    let agent = (matches!(place.channel, "phone" | "chat" | "in_person") && rng.gen::<f64>() < 0.8)
        .then(|| agents[rng.gen_range(0..agents.len())]);
    let (day, week, month) = period_keys(at);
    Row {
        survey_id: place.survey,
        journey_id: place.journey,
        stage_id: place.stage,
        touchpoint_id: place.touchpoint,
        channel: place.channel,
        agent_id: agent.map(|a| a.0),
        team_id: agent.map(|a| a.1),
        locale: lang,
        submitted_at: at,
        day,
        week,
        month,
        answers: serde_json::Value::Object(answers).to_string(),
        nps,
        csat,
        ces,
        expectation,
        experience,
        comment,
        language: lang,
        sentiment_label,
        sentiment_score,
        topics,
    }
}

const INSERT: &str = "INSERT INTO responses (org_id, survey_id, version, journey_id, stage_id, touchpoint_id, channel, \
     customer_id, agent_id, team_id, invitation_id, locale, source, idempotency_key, external_id, submitted_at, day, week, \
     month, answers, nps, csat, ces, expectation, experience, comment, analysed_at, language, sentiment_label, \
     sentiment_score, topics, analysis) ";

/// Pushes one chunk of rows as one multi-row INSERT; the same code for both backends.
macro_rules! push_rows {
    ($db:ty, $org:expr, $rows:expr) => {{
        let mut qb = sqlx::QueryBuilder::<$db>::new(INSERT);
        qb.push_values($rows, |mut b, r| {
            b.push_bind($org)
                .push_bind(r.survey_id)
                .push_bind(1i64)
                .push_bind(r.journey_id)
                .push_bind(r.stage_id)
                .push_bind(r.touchpoint_id)
                .push_bind(r.channel)
                .push_bind(None::<i64>)
                .push_bind(r.agent_id)
                .push_bind(r.team_id)
                .push_bind(None::<i64>)
                .push_bind(r.locale)
                .push_bind(ResponseSource::Import.as_str())
                .push_bind(None::<String>)
                .push_bind(None::<String>)
                .push_bind(r.submitted_at)
                .push_bind(&r.day)
                .push_bind(&r.week)
                .push_bind(&r.month)
                .push_bind(&r.answers)
                .push_bind(r.nps)
                .push_bind(r.csat)
                .push_bind(r.ces)
                .push_bind(r.expectation)
                .push_bind(r.experience)
                .push_bind(r.comment)
                .push_bind(r.submitted_at)
                .push_bind(r.language)
                .push_bind(r.sentiment_label)
                .push_bind(r.sentiment_score)
                .push_bind(&r.topics)
                .push_bind("{\"engine\":\"bench\"}");
        });
        qb
    }};
}

enum Writer {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Writer {
    async fn open(url: &str) -> anyhow::Result<Self> {
        Ok(if url.starts_with("sqlite:") {
            let opts: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
            Writer::Sqlite(
                sqlx::SqliteConnection::connect_with(
                    &opts
                        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                        .busy_timeout(Duration::from_secs(30)),
                )
                .await?,
            )
        } else {
            let mut c = sqlx::PgConnection::connect(url).await?;
            sqlx::query("SET synchronous_commit = off")
                .execute(&mut c)
                .await?;
            Writer::Postgres(c)
        })
    }

    /// Writes the rows in one transaction, `ROWS_PER_STATEMENT` rows per INSERT.
    async fn write(&mut self, org: i64, rows: &[Row]) -> anyhow::Result<()> {
        match self {
            Writer::Sqlite(c) => {
                let mut tx = c.begin().await?;
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    push_rows!(sqlx::Sqlite, org, chunk)
                        .build()
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
            Writer::Postgres(c) => {
                let mut tx = c.begin().await?;
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    push_rows!(sqlx::Postgres, org, chunk)
                        .build()
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Analyses the tables; on PostgreSQL also vacuums the roll-ups, and returns their sizes
    /// before and after (the bloat the load left, and what a `VACUUM` gives back).
    async fn finish(self) -> anyhow::Result<Option<String>> {
        match self {
            Writer::Sqlite(mut c) => {
                sqlx::query("ANALYZE").execute(&mut c).await?;
                c.close().await?;
                Ok(None)
            }
            Writer::Postgres(mut c) => {
                let before = rollup_sizes(&mut c).await?;
                sqlx::query("VACUUM ANALYZE responses")
                    .execute(&mut c)
                    .await?;
                for table in ROLLUPS {
                    // Every upsert leaves a dead row version behind; autovacuum would get to
                    // them in time, the bench does not wait for it.
                    sqlx::query(&format!("VACUUM ANALYZE {table}"))
                        .execute(&mut c)
                        .await?;
                }
                let after = rollup_sizes(&mut c).await?;
                c.close().await?;
                Ok(Some(format!(
                    "Roll-up tables right after the load: {before}; after VACUUM: {after}"
                )))
            }
        }
    }
}

const ROLLUPS: [&str; 4] = [
    "response_rollup",
    "response_touchpoint_rollup",
    "response_topic_rollup",
    "response_team_rollup",
];

/// Heap size and live rows of each PostgreSQL roll-up table, e.g. `response_rollup 36.0 MB
/// (66000 rows)`.
async fn rollup_sizes(c: &mut sqlx::PgConnection) -> anyhow::Result<String> {
    let mut out = Vec::new();
    for table in ROLLUPS {
        let (bytes, rows): (i64, i64) = sqlx::query_as(&format!(
            "SELECT pg_relation_size('{table}'), (SELECT COUNT(*) FROM {table})"
        ))
        .fetch_one(&mut *c)
        .await?;
        out.push(format!(
            "{table} {:.1} MB ({rows} rows)",
            bytes as f64 / 1048576.0
        ));
    }
    Ok(out.join(", "))
}

/// Replaces the database name in a `postgres://user@host:port/db?opts` URL.
fn with_database(base: &str, name: &str) -> String {
    let (base, query) = base.split_once('?').unwrap_or((base, ""));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let root = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    if query.is_empty() {
        format!("{root}/{name}")
    } else {
        format!("{root}/{name}?{query}")
    }
}

struct Fixture {
    org: OrgId,
    journey: JourneyId,
    places: Vec<Place>,
    agents: Vec<(i64, i64)>,
}

async fn fixture(store: &dyn Storage) -> anyhow::Result<Fixture> {
    let org = store
        .create_organisation(&NewOrganisation {
            name: Name::parse("name", "Bench")?,
            slug: "bench".into(),
            default_locale: Locale::En,
        })
        .await?;
    let actor = Actor::system(org.id);
    let mut agents = vec![];
    for t in 0..TEAMS {
        let team = store
            .create_team(
                actor,
                &NewTeam {
                    name: Name::parse("name", &format!("Team {}", t + 1))?,
                    lead_id: None,
                },
            )
            .await?;
        for a in 0..AGENTS_PER_TEAM {
            let user = store
                .create_user(
                    actor,
                    &NewUser {
                        email: Email::parse("email", &format!("agent{t}-{a}@bench.test"))?,
                        display_name: Name::parse("name", &format!("Agent {t}-{a}"))?,
                        role: Role::Agent,
                        team_id: Some(team.id),
                        locale: Locale::En,
                        password_hash: None,
                    },
                )
                .await?;
            agents.push((user.id.0, team.id.0));
        }
    }
    let journey = store
        .create_journey(
            actor,
            &NewJourney {
                name: Name::parse("name", "Claims")?,
                description: None,
                locale: Locale::En,
            },
        )
        .await?;
    anyhow::ensure!(
        journey.stages.len() == STAGES,
        "expected five default stages"
    );
    let channels = [
        Channel::Web,
        Channel::Phone,
        Channel::Chat,
        Channel::Email,
        Channel::App,
        Channel::InPerson,
    ];
    let mut places = vec![];
    for (si, st) in journey.stages.iter().enumerate() {
        for k in 0..PER_STAGE {
            let i = si * PER_STAGE + k;
            let channel = channels[i % channels.len()];
            let tp = store
                .create_touchpoint(
                    actor,
                    &NewTouchpoint {
                        stage_id: st.stage.id,
                        name: Name::parse("name", &format!("Touchpoint {}.{}", si + 1, k + 1))?,
                        channel,
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
                    &Name::parse("name", &format!("Survey {}.{}", si + 1, k + 1))?,
                    &default_definition(),
                    &format!("bench{i}"),
                )
                .await?;
            store
                .set_survey_status(actor, survey.id, SurveyStatus::Published)
                .await?;
            places.push(Place {
                survey: survey.id.0,
                journey: journey.journey.id.0,
                stage: st.stage.id.0,
                touchpoint: tp.id.0,
                channel: channel.as_str(),
                quality: 5.5 + 3.0 * ((i * 7) % 11) as f64 / 10.0,
            });
        }
    }
    Ok(Fixture {
        org: org.id,
        journey: journey.journey.id,
        places,
        agents,
    })
}

struct Stat {
    label: String,
    calls: usize,
    times: Vec<Duration>,
}

impl Stat {
    fn row(&mut self) -> String {
        self.times.sort();
        let pct = |p: f64| {
            self.times
                .get(((self.times.len() as f64 - 1.0) * p).round() as usize)
                .copied()
                .unwrap_or_default()
                .as_secs_f64()
                * 1000.0
        };
        let p50 = pct(0.5);
        format!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {} |",
            self.label,
            self.calls,
            p50,
            pct(0.95),
            pct(1.0),
            if p50 < 150.0 { "yes" } else { "no" }
        )
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

pub async fn run(a: MetricsArgs) -> anyhow::Result<()> {
    anyhow::ensure!(a.n > 0 && a.reps > 0, "--n and --reps must be positive");
    if let Some(url) = &a.reuse {
        let backend = if url.starts_with("sqlite:") {
            "SQLite (WAL)"
        } else {
            "PostgreSQL"
        };
        // The kept database's fixture has the ids a fresh one gets; build the same fixture in
        // a scratch SQLite file to know them (checked against the kept journey below).
        let d = std::env::temp_dir().join(format!("rapport-bench-{}", secrets::random_hex(4)));
        std::fs::create_dir_all(&d)?;
        let scratch =
            rapport_storage::connect(&format!("sqlite://{}", d.join("fixture.db").display()))
                .await?;
        scratch.migrate().await?;
        let fx = fixture(scratch.as_ref()).await;
        scratch.close().await;
        let _ = std::fs::remove_dir_all(d);
        return bench(&a, url, backend, Some(fx?)).await;
    }
    // A fresh database: a temporary SQLite file, or a new database on the PostgreSQL server.
    let mut dir = None;
    let mut pg = None;
    let url = match &a.database_url {
        None => {
            let d = std::env::temp_dir().join(format!("rapport-bench-{}", secrets::random_hex(4)));
            std::fs::create_dir_all(&d)?;
            let url = format!("sqlite://{}", d.join("rapport.db").display());
            dir = Some(d);
            url
        }
        Some(base) if base.starts_with("postgres:") || base.starts_with("postgresql:") => {
            let name = format!("rapport_bench_{}", secrets::random_hex(4));
            let mut conn = sqlx::PgConnection::connect(base)
                .await
                .with_context(|| format!("cannot connect to {base}"))?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
            pg = Some((base.clone(), name.clone()));
            with_database(base, &name)
        }
        Some(other) => anyhow::bail!("--database-url must be postgres://…, not {other}"),
    };
    let backend = if pg.is_some() {
        "PostgreSQL"
    } else {
        "SQLite (WAL)"
    };
    let result = bench(&a, &url, backend, None).await;
    if a.keep {
        println!("Database kept: {url}");
    } else {
        if let Some(d) = dir {
            let _ = std::fs::remove_dir_all(d);
        }
        if let Some((base, name)) = pg {
            let mut conn = sqlx::PgConnection::connect(&base).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
        }
    }
    result
}

async fn bench(
    a: &MetricsArgs,
    url: &str,
    backend: &str,
    reused: Option<Fixture>,
) -> anyhow::Result<()> {
    let store = rapport_storage::connect(url).await?;
    let t = Instant::now();
    store.migrate().await?;
    let migrate_time = t.elapsed();
    let reuse = reused.is_some();
    let fx = match reused {
        Some(fx) => {
            let map = store.get_journey(fx.org, fx.journey).await?;
            let tps: Vec<i64> = map
                .stages
                .iter()
                .flat_map(|s| s.touchpoints.iter().map(|t| t.id.0))
                .collect();
            let want: Vec<i64> = fx.places.iter().map(|p| p.touchpoint).collect();
            anyhow::ensure!(
                tps == want,
                "the kept database's journey is not the one the bench generates"
            );
            println!(
                "Reusing {url}; migrations took {:.1} s",
                migrate_time.as_secs_f64()
            );
            fx
        }
        None => fixture(store.as_ref()).await?,
    };
    tracing::info!(n = a.n, backend, "generating responses");

    // A year ending on a fixed day, in submission order, so runs are comparable.
    let end = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .context("end date")?;
    let span = chrono::Duration::days(365).num_milliseconds() as f64;
    let start = end - chrono::Duration::days(365);
    let mut rng = rand::rngs::StdRng::seed_from_u64(a.seed);
    let mut tally: HashMap<(String, String), Tally> = HashMap::new();
    let mut topic_tally: TopicTally = HashMap::new();
    let bar = indicatif::ProgressBar::new(a.n as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "generating [{bar:40}] {pos}/{len} ({per_sec}, eta {eta}) {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let load_before = load();
    let gen_start = Instant::now();
    let mut writer = if reuse {
        None
    } else {
        Some(Writer::open(url).await?)
    };
    let batch = ROWS_PER_STATEMENT * STATEMENTS_PER_TX;
    let mut done = 0;
    while done < a.n {
        let k = batch.min(a.n - done);
        let rows: Vec<Row> = (done..done + k)
            .map(|i| {
                let jitter = rng.gen::<f64>();
                let ms = ((i as f64 + jitter) / a.n as f64 * span) as i64;
                let at = start + chrono::Duration::milliseconds(ms);
                // Busier touchpoints early in the journey, like real traffic.
                let p = ((rng.gen::<f64>().powf(1.3)) * fx.places.len() as f64) as usize;
                gen_row(
                    &mut rng,
                    &fx.places[p.min(fx.places.len() - 1)],
                    &fx.agents,
                    at,
                )
            })
            .collect();
        for r in &rows {
            tally
                .entry((r.touchpoint_id.to_string(), r.week.clone()))
                .or_default()
                .add(r);
            tally_topics(&mut topic_tally, r);
        }
        if let Some(w) = &mut writer {
            w.write(fx.org.0, &rows).await?;
        }
        done += k;
        bar.set_position(done as u64);
        if bar.is_hidden() && (done / batch).is_multiple_of(20) {
            tracing::info!(done, total = a.n, "generating");
        }
    }
    let sizes = match writer {
        Some(w) => w.finish().await?,
        None => None,
    };
    bar.finish_and_clear();
    let gen_time = gen_start.elapsed();
    tracing::info!(seconds = gen_time.as_secs_f64(), "generated");

    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "Rapport bench metrics: {} responses over 12 months, {} touchpoints ({} stages × {}), {}, {} cores",
        a.n,
        fx.places.len(),
        STAGES,
        PER_STAGE,
        backend,
        cores
    );
    if reuse {
        println!("Reused a kept database (rows regenerated in memory for the checks only).");
    } else {
        println!(
            "Generated in {:.1} s ({:.0} rows/s); load average before generation: {}",
            gen_time.as_secs_f64(),
            a.n as f64 / gen_time.as_secs_f64(),
            load_before
        );
    }
    if let Some(sizes) = sizes {
        println!("{sizes}");
    }
    let all: Tally = tally.values().fold(Tally::default(), |mut acc, t| {
        acc.responses += t.responses;
        acc.nps_n += t.nps_n;
        acc.promoters += t.promoters;
        acc.detractors += t.detractors;
        acc.csat_n += t.csat_n;
        acc.csat_satisfied += t.csat_satisfied;
        acc.sentiment_n += t.sentiment_n;
        acc.negative += t.negative;
        acc
    });
    println!(
        "Generated totals: responses={} nps_n={} promoters={} detractors={} csat_n={} csat_satisfied={} sentiment_n={} negative={}",
        all.responses, all.nps_n, all.promoters, all.detractors, all.csat_n, all.csat_satisfied, all.sentiment_n, all.negative
    );

    let store = store.as_ref();
    let org = fx.org;
    let whole_year = ResponseFilter::default();
    let journey_filter = ResponseFilter {
        journey: Some(fx.journey),
        ..Default::default()
    };
    let map = store.get_journey(org, fx.journey).await?;

    // Warm-up, and the exactness check against the generator's tally.
    let cells = store
        .response_sums_by_period(org, &whole_year, GroupBy::Touchpoint, GroupBy::Week)
        .await?;
    let got: BTreeMap<(String, String), &GroupSums> = cells
        .iter()
        .map(|(g, s)| ((g.clone(), s.key.clone()), s))
        .collect();
    let mismatched = tally
        .iter()
        .filter(|(k, t)| got.get(k).is_none_or(|s| !t.matches(s)))
        .count();
    anyhow::ensure!(
        mismatched == 0 && got.len() == tally.len(),
        "storage sums differ from the generator's tally in {mismatched} of {} cells ({} returned)",
        tally.len(),
        got.len()
    );
    println!(
        "Check: storage sums equal the generator's tally in all {} touchpoint × week cells.",
        tally.len()
    );
    let topics = store
        .topic_sums(org, &journey_filter, GroupBy::Touchpoint)
        .await?;
    let got: TopicTally = topics
        .iter()
        .map(|t| {
            (
                (t.key.clone(), t.topic.clone()),
                (t.responses, t.promoters, t.detractors, t.mentions),
            )
        })
        .collect();
    anyhow::ensure!(
        got == topic_tally,
        "topic sums differ from the generator's tally ({} rows returned, {} expected)",
        got.len(),
        topic_tally.len()
    );
    println!(
        "Check: topic sums equal the generator's tally in all {} touchpoint × topic cells.",
        topic_tally.len()
    );

    let mut stats: Vec<Stat> = [
        "NPS by touchpoint × week: response_sums_by_period(Touchpoint, Week), whole year",
        "journey map, whole page (all storage calls below, in order)",
        "  report(Touchpoint): response_sums(None) + response_sums(Touchpoint)",
        "  report(Stage): response_sums(None) + response_sums(Stage)",
        "  response_sums(Touchpoint) again, for the weakest-touchpoint rule",
        "  topic_sums(Touchpoint): every touchpoint's topics",
        "  representative_responses(200), every touchpoint in one call",
    ]
    .into_iter()
    .map(|l| Stat {
        label: l.to_string(),
        calls: 0,
        times: vec![],
    })
    .collect();
    let tps: Vec<TouchpointId> = map
        .stages
        .iter()
        .flat_map(|s| s.touchpoints.iter().map(|t| t.id))
        .collect();
    println!("Load average before the timed runs: {}", load());
    for rep in 0..=a.reps {
        let timed = rep > 0;
        let t = Instant::now();
        store
            .response_sums_by_period(org, &whole_year, GroupBy::Touchpoint, GroupBy::Week)
            .await?;
        let q0 = t.elapsed();

        // The journey map page (`web::insights::journey_map`), storage calls only.
        let page = Instant::now();
        let t = Instant::now();
        store
            .response_sums(org, &journey_filter, GroupBy::None)
            .await?;
        store
            .response_sums(org, &journey_filter, GroupBy::Touchpoint)
            .await?;
        let q2 = t.elapsed();
        let t = Instant::now();
        store
            .response_sums(org, &journey_filter, GroupBy::None)
            .await?;
        store
            .response_sums(org, &journey_filter, GroupBy::Stage)
            .await?;
        let q3 = t.elapsed();
        let t = Instant::now();
        store
            .response_sums(org, &journey_filter, GroupBy::Touchpoint)
            .await?;
        let q4 = t.elapsed();
        let t = Instant::now();
        std::hint::black_box(
            store
                .topic_sums(org, &journey_filter, GroupBy::Touchpoint)
                .await?,
        );
        let q5 = t.elapsed();
        let t = Instant::now();
        std::hint::black_box(
            store
                .representative_responses(org, &journey_filter, &tps, 200)
                .await?,
        );
        let q6 = t.elapsed();
        let q1 = page.elapsed();
        if timed {
            let calls = [1, 2 + 2 + 1 + 1 + 1, 2, 2, 1, 1, 1];
            for (i, d) in [q0, q1, q2, q3, q4, q5, q6].into_iter().enumerate() {
                stats[i].calls = calls[i];
                stats[i].times.push(d);
            }
        }
        tracing::debug!(rep, "repetition done");
    }
    println!("Load average after the timed runs: {}", load());
    println!();
    println!(
        "| query ({} responses, {backend}, {} reps after 1 warm-up) | storage calls | p50 ms | p95 ms | max ms | p50 < 150 ms |",
        a.n, a.reps
    );
    println!("|---|---|---|---|---|---|");
    for s in &mut stats {
        println!("{}", s.row());
    }
    Ok(())
}
