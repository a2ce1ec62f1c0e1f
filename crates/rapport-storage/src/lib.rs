//! Storage: one [`Storage`] trait, two implementations.
//!
//! SQLite (WAL) is the embedded default; PostgreSQL serves deployments with several stateless
//! Rapport instances on one database. Both run the same SQL text (written once, in
//! [`sql_impl`]), with their own migrations, so behaviour cannot drift between backends.
//! Every write that changes organisation data appends to the audit log in the same transaction.
#![forbid(unsafe_code)]

pub mod ambassadorship;
pub mod closed_loop;
mod error;
pub mod frontline;
pub mod password_reset;
mod postgres;
mod rows;
pub mod semantic;
mod sql_impl;
mod sql_voc;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rapport_domain::model::*;
use rapport_domain::survey::SurveyDefinition;
use rapport_domain::voc::*;
use rapport_domain::*;

pub use ambassadorship::{AmbassadorshipStore, Contact, Pulse, PulseSumsRow, PulseTicket};
pub use closed_loop::{ClosedLoopStore, DeliveryToSend, DueSurveyFollowup};
pub use error::{StorageError, StorageResult};
pub use frontline::{ConversationAnalysis, ConversationFilter, FrontlineStore, StoredTranscript};
pub use password_reset::{PasswordResetStore, ResetTokenState};
pub use postgres::PgStore;
pub use semantic::{EmbeddedText, SemanticStore, StoredEmbedding};
pub use sqlite::SqliteStore;

/// Who is making a change, for the audit log. `user_id` is `None` for the CLI and the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub org_id: OrgId,
    pub user_id: Option<UserId>,
}

impl Actor {
    pub fn user(org_id: OrgId, user_id: UserId) -> Self {
        Self {
            org_id,
            user_id: Some(user_id),
        }
    }

    pub fn system(org_id: OrgId) -> Self {
        Self {
            org_id,
            user_id: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Connection-pool figures for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
}

/// A logged-in session, found by the hash of its cookie.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// A page of customers and the total that matched.
#[derive(Debug, Clone)]
pub struct CustomerPage {
    pub items: Vec<Customer>,
    pub total: i64,
}

#[async_trait]
pub trait Storage:
    ClosedLoopStore
    + FrontlineStore
    + AmbassadorshipStore
    + SemanticStore
    + PasswordResetStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;
    fn pool_stats(&self) -> PoolStats;
    /// Applies pending migrations; safe to call on every start and from several instances.
    async fn migrate(&self) -> StorageResult<()>;
    /// Cheap round-trip, for `/readyz`.
    async fn ping(&self) -> StorageResult<()>;
    async fn close(&self);

    // organisations
    async fn create_organisation(&self, new: &NewOrganisation) -> StorageResult<Organisation>;
    async fn get_organisation(&self, org: OrgId) -> StorageResult<Organisation>;
    async fn organisation_by_slug(&self, slug: &str) -> StorageResult<Organisation>;
    async fn update_organisation(
        &self,
        actor: Actor,
        name: &Name,
        default_locale: Locale,
    ) -> StorageResult<Organisation>;

    // users
    async fn create_user(&self, actor: Actor, new: &NewUser) -> StorageResult<User>;
    async fn get_user(&self, org: OrgId, id: UserId) -> StorageResult<User>;
    async fn list_users(&self, org: OrgId, team: Option<TeamId>) -> StorageResult<Vec<User>>;
    async fn update_user(&self, actor: Actor, id: UserId, upd: &UserUpdate) -> StorageResult<User>;
    /// Sets the user's own UI language; not audited (a preference, not organisation data).
    async fn set_user_locale(&self, org: OrgId, id: UserId, locale: Locale) -> StorageResult<()>;
    async fn set_password_hash(&self, actor: Actor, id: UserId, hash: &str) -> StorageResult<()>;
    /// Deactivates a user and ends their sessions and tokens. Users are never deleted, so the
    /// audit log keeps meaning.
    async fn deactivate_user(&self, actor: Actor, id: UserId) -> StorageResult<User>;
    /// The user with this e-mail (any organisation) and their password hash, for login.
    async fn user_credentials(
        &self,
        email: &Email,
    ) -> StorageResult<Option<(User, Option<String>)>>;

    // teams
    async fn create_team(&self, actor: Actor, new: &NewTeam) -> StorageResult<Team>;
    async fn get_team(&self, org: OrgId, id: TeamId) -> StorageResult<Team>;
    async fn list_teams(&self, org: OrgId) -> StorageResult<Vec<Team>>;
    async fn update_team(&self, actor: Actor, id: TeamId, upd: &NewTeam) -> StorageResult<Team>;
    async fn delete_team(&self, actor: Actor, id: TeamId) -> StorageResult<()>;

    // customers
    async fn create_customer(&self, actor: Actor, new: &NewCustomer) -> StorageResult<Customer>;
    /// Inserts or updates by external id, in one transaction; returns how many were new.
    async fn upsert_customers(&self, actor: Actor, batch: &[NewCustomer]) -> StorageResult<u64>;
    async fn get_customer(&self, org: OrgId, id: CustomerId) -> StorageResult<Customer>;
    async fn list_customers(
        &self,
        org: OrgId,
        filter: &CustomerFilter,
    ) -> StorageResult<CustomerPage>;
    async fn update_customer(
        &self,
        actor: Actor,
        id: CustomerId,
        upd: &NewCustomer,
    ) -> StorageResult<Customer>;
    async fn delete_customer(&self, actor: Actor, id: CustomerId) -> StorageResult<()>;

    // journeys
    /// Creates a journey with the five default stages in the journey's language.
    async fn create_journey(&self, actor: Actor, new: &NewJourney) -> StorageResult<JourneyMap>;
    async fn list_journeys(&self, org: OrgId) -> StorageResult<Vec<Journey>>;
    async fn get_journey(&self, org: OrgId, id: JourneyId) -> StorageResult<JourneyMap>;
    async fn update_journey(
        &self,
        actor: Actor,
        id: JourneyId,
        upd: &NewJourney,
    ) -> StorageResult<Journey>;
    async fn delete_journey(&self, actor: Actor, id: JourneyId) -> StorageResult<()>;
    async fn create_stage(
        &self,
        actor: Actor,
        journey: JourneyId,
        new: &NewStage,
    ) -> StorageResult<Stage>;
    async fn update_stage(&self, actor: Actor, id: StageId, upd: &NewStage)
        -> StorageResult<Stage>;
    async fn delete_stage(&self, actor: Actor, id: StageId) -> StorageResult<()>;
    async fn create_touchpoint(
        &self,
        actor: Actor,
        new: &NewTouchpoint,
    ) -> StorageResult<Touchpoint>;
    async fn get_touchpoint(&self, org: OrgId, id: TouchpointId) -> StorageResult<Touchpoint>;
    async fn update_touchpoint(
        &self,
        actor: Actor,
        id: TouchpointId,
        upd: &NewTouchpoint,
    ) -> StorageResult<Touchpoint>;
    async fn delete_touchpoint(&self, actor: Actor, id: TouchpointId) -> StorageResult<()>;

    // audit
    async fn list_audit(&self, org: OrgId, limit: i64) -> StorageResult<Vec<AuditEntry>>;

    // sessions
    async fn create_session(
        &self,
        user: UserId,
        token_hash: &str,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> StorageResult<()>;
    /// The active user behind a session, if the session exists and has not expired.
    async fn find_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<SessionInfo>>;
    async fn delete_session(&self, token_hash: &str) -> StorageResult<()>;

    // API tokens
    async fn create_api_token(
        &self,
        actor: Actor,
        user: UserId,
        name: &Name,
        prefix: &str,
        token_hash: &str,
    ) -> StorageResult<ApiToken>;
    /// The active user behind an unrevoked token; records its use.
    async fn find_api_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<User>>;
    async fn list_api_tokens(&self, org: OrgId, user: UserId) -> StorageResult<Vec<ApiToken>>;
    async fn revoke_api_token(&self, actor: Actor, user: UserId, id: TokenId) -> StorageResult<()>;

    // login throttling
    async fn record_login_attempt(
        &self,
        email: &str,
        ip: &str,
        success: bool,
        at: DateTime<Utc>,
    ) -> StorageResult<()>;
    /// Failed attempts since `since`, counted by e-mail and by client address.
    async fn recent_login_failures(
        &self,
        email: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> StorageResult<(i64, i64)>;

    // ---- voice of customer ----
    async fn org_settings(&self, org: OrgId) -> StorageResult<OrgSettings>;
    async fn update_org_settings(&self, actor: Actor, settings: &OrgSettings) -> StorageResult<()>;

    async fn create_survey(
        &self,
        actor: Actor,
        touchpoint: TouchpointId,
        name: &Name,
        definition: &SurveyDefinition,
        public_id: &str,
    ) -> StorageResult<Survey>;
    async fn get_survey(&self, org: OrgId, id: SurveyId) -> StorageResult<Survey>;
    async fn survey_by_public_id(&self, public_id: &str) -> StorageResult<Survey>;
    async fn list_surveys(
        &self,
        org: OrgId,
        touchpoint: Option<TouchpointId>,
    ) -> StorageResult<Vec<Survey>>;
    /// Drafts change in place; published or closed surveys get a new version, so responses
    /// keep the version they answered.
    async fn update_survey(
        &self,
        actor: Actor,
        id: SurveyId,
        name: &Name,
        definition: &SurveyDefinition,
    ) -> StorageResult<Survey>;
    async fn set_survey_status(
        &self,
        actor: Actor,
        id: SurveyId,
        status: SurveyStatus,
    ) -> StorageResult<Survey>;
    async fn survey_definition(
        &self,
        survey: SurveyId,
        version: i64,
    ) -> StorageResult<SurveyDefinition>;

    async fn create_invitation(
        &self,
        actor: Actor,
        new: &NewInvitation,
    ) -> StorageResult<Invitation>;
    /// The invitation behind a token hash, with its organisation.
    async fn find_invitation(&self, token_hash: &str)
        -> StorageResult<Option<(OrgId, Invitation)>>;
    /// A survey's invitations, newest first, and how many there are.
    async fn list_invitations(
        &self,
        org: OrgId,
        survey: SurveyId,
        limit: i64,
        offset: i64,
    ) -> StorageResult<(Vec<Invitation>, i64)>;
    async fn mark_invitation_sent(
        &self,
        id: InvitationId,
        reminder: bool,
        at: DateTime<Utc>,
    ) -> StorageResult<()>;
    /// When this customer was last invited to any survey, for suppression.
    async fn last_invited_at(
        &self,
        customer: CustomerId,
        except: Option<InvitationId>,
    ) -> StorageResult<Option<DateTime<Utc>>>;

    /// Stores a response exactly once per idempotency key (or external id); returns the id and
    /// whether it was new. An invitation is consumed in the same transaction, and an analysis
    /// job is queued with it.
    async fn insert_response(
        &self,
        org: OrgId,
        new: &NewResponse,
    ) -> StorageResult<(ResponseId, bool)>;
    /// Like `insert_response` for many, all-or-nothing.
    async fn insert_responses(
        &self,
        org: OrgId,
        batch: &[NewResponse],
    ) -> StorageResult<Vec<(ResponseId, bool)>>;
    async fn get_response(&self, org: OrgId, id: ResponseId) -> StorageResult<Response>;
    /// Newest first.
    async fn list_responses(
        &self,
        org: OrgId,
        filter: &ResponseFilter,
        limit: i64,
        offset: i64,
    ) -> StorageResult<(Vec<Response>, i64)>;
    async fn set_response_analysis(
        &self,
        id: ResponseId,
        analysis: &ResponseAnalysis,
    ) -> StorageResult<()>;
    /// Exact sums per group, from which NPS, CSAT, CES and the expectation gap are computed.
    async fn response_sums(
        &self,
        org: OrgId,
        filter: &ResponseFilter,
        group_by: GroupBy,
    ) -> StorageResult<Vec<GroupSums>>;
    /// (nps, topics) of analysed responses with an NPS answer, for driver analysis.
    async fn nps_with_topics(
        &self,
        org: OrgId,
        filter: &ResponseFilter,
    ) -> StorageResult<Vec<(i32, Vec<String>)>>;
    /// NPS answers of analysed responses per group and topic, for driver analysis and the
    /// journey map's top topics: one grouped query (over the topic roll-up when the filter and
    /// grouping allow), equal to summing `nps_with_topics` per group.
    async fn topic_sums(
        &self,
        org: OrgId,
        filter: &ResponseFilter,
        group_by: GroupBy,
    ) -> StorageResult<Vec<TopicSums>>;
    /// For each touchpoint, of its `recent` newest responses matching the filter, the analysed
    /// comment with the lowest sentiment score and the one with the highest, in that order (one
    /// when they are the same response): the journey map's two verbatims per touchpoint, read
    /// through the index on (organisation, touchpoint, time) in one statement for all of them.
    async fn representative_responses(
        &self,
        org: OrgId,
        filter: &ResponseFilter,
        touchpoints: &[TouchpointId],
        recent: i64,
    ) -> StorageResult<Vec<(TouchpointId, Vec<Response>)>>;

    // ---- durable jobs ----
    async fn enqueue_job(
        &self,
        org: Option<OrgId>,
        kind: &str,
        payload: &serde_json::Value,
        run_at: DateTime<Utc>,
    ) -> StorageResult<i64>;
    /// Takes the next due job (or one whose worker's lease ran out). On PostgreSQL, `FOR UPDATE
    /// SKIP LOCKED` lets several instances share the queue without taking the same job.
    async fn claim_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> StorageResult<Option<Job>>;
    async fn complete_job(&self, id: i64, now: DateTime<Utc>) -> StorageResult<()>;
    /// Re-queues at `retry_at`, or marks failed when attempts are used up or `retry_at` is None.
    async fn fail_job(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StorageResult<()>;
    /// Jobs per state, for `/metrics`.
    async fn job_counts(&self) -> StorageResult<Vec<(String, i64)>>;
    /// Exact sums per (group, period): `(group key, sums keyed by period)`, ordered by both,
    /// so a trend per group costs one query. `period` is `Day`, `Week` or `Month`.
    async fn response_sums_by_period(
        &self,
        org: OrgId,
        filter: &ResponseFilter,
        group_by: GroupBy,
        period: GroupBy,
    ) -> StorageResult<Vec<(String, GroupSums)>>;
    /// Marks every queued job of `kind` done; for seeders that did the work themselves.
    /// Returns how many.
    async fn complete_queued_jobs(&self, kind: &str, now: DateTime<Utc>) -> StorageResult<u64>;
    /// Takes up to `limit` due jobs of one `kind` at once (as [`Storage::claim_job`] does one),
    /// oldest first; no job is handed to two workers.
    async fn claim_jobs(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        kind: &str,
        limit: i64,
    ) -> StorageResult<Vec<Job>>;
    /// Marks many jobs done in one transaction.
    async fn complete_jobs(&self, ids: &[i64], now: DateTime<Utc>) -> StorageResult<()>;
    /// Hands jobs this worker claimed back to the queue, due now, without counting the attempt
    /// (a worker shutting down before or while running them). Jobs whose lease another worker
    /// has taken over since are left alone.
    async fn release_jobs(
        &self,
        worker: &str,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> StorageResult<()>;
    /// Extends the lease of jobs this worker still runs to `until`, so a job that takes longer
    /// than one lease is not taken over by another worker while this one is alive. Jobs whose
    /// lease another worker has taken over since, or that are no longer running, are left alone.
    async fn renew_jobs(
        &self,
        worker: &str,
        ids: &[i64],
        until: DateTime<Utc>,
    ) -> StorageResult<()>;
    /// `get_survey`, answered from memory when read less than a second ago (and not changed
    /// through this store since): for the hot submission path, where a survey closed by another
    /// instance may still take responses for up to that second.
    async fn get_survey_recent(&self, org: OrgId, id: SurveyId) -> StorageResult<Survey>;
}

/// Per-organisation settings for collecting feedback.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct OrgSettings {
    /// Replace personal data in comments with placeholders before storing the analysis.
    pub redact_pii: bool,
    /// Do not invite the same customer more than once in this many days.
    pub survey_cooldown_days: i32,
}

/// An invitation to create; the token itself is never stored, only its hash.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub survey_id: SurveyId,
    pub customer_id: CustomerId,
    pub agent_id: Option<UserId>,
    pub interaction_ref: Option<String>,
    pub token_hash: String,
    pub channel: String,
    pub expires_at: DateTime<Utc>,
}

/// A claimed background job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub org_id: Option<OrgId>,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub max_attempts: i32,
}

/// How the PostgreSQL connection pool waits. (SQLite's database is a local file that cannot
/// go away; its pool keeps a longer wait, for a busy writer.)
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// How long a caller waits for a connection before getting `Unavailable` (503): short,
    /// so requests fail fast while the database is down.
    pub acquire_timeout: std::time::Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            acquire_timeout: std::time::Duration::from_secs(2),
        }
    }
}

/// Opens the backend a URL names: `sqlite://PATH` (created if missing) or `postgres://…`.
pub async fn connect(url: &str) -> StorageResult<Arc<dyn Storage>> {
    connect_with(url, PoolOptions::default()).await
}

/// [`connect`] with pool options.
pub async fn connect_with(url: &str, opts: PoolOptions) -> StorageResult<Arc<dyn Storage>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PgStore::connect_with(url, opts).await?))
    } else {
        Err(StorageError::Config(
            "database URL must start with sqlite:// or postgres://".into(),
        ))
    }
}

pub mod testing {
    //! Fresh databases for tests: a temporary SQLite file always, and a new PostgreSQL
    //! database when `RAPPORT_TEST_DATABASE_URL` names a server.

    /// The environment variable naming a PostgreSQL server for tests.
    pub const PG_ENV: &str = "RAPPORT_TEST_DATABASE_URL";

    /// A database that exists for one test. SQLite files are removed on drop; PostgreSQL
    /// databases are left for the server's own clean-up (dropping needs every pool closed).
    pub struct TestDb {
        pub url: String,
        dir: Option<std::path::PathBuf>,
    }

    impl Drop for TestDb {
        fn drop(&mut self) {
            if let Some(dir) = &self.dir {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    pub fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("rapport-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TestDb {
            url: format!("sqlite://{}", dir.join("rapport.db").display()),
            dir: Some(dir),
        }
    }

    /// `None` (and a note on stderr) when no PostgreSQL server is configured.
    pub async fn postgres() -> Option<TestDb> {
        use sqlx::Connection;
        let Ok(base) = std::env::var(PG_ENV) else {
            eprintln!("skipping the PostgreSQL variant: {PG_ENV} is not set");
            return None;
        };
        let name = format!("rapport_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("{PG_ENV}={base}: cannot connect: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let url = with_database(&base, &name);
        Some(TestDb { url, dir: None })
    }

    /// Replaces the database name in a `postgres://user@host:port/db?opts` URL.
    fn with_database(base: &str, name: &str) -> String {
        let (base, query) = base.split_once('?').map_or((base, ""), |(b, q)| (b, q));
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

    #[cfg(test)]
    mod tests {
        #[test]
        fn database_name_is_replaced() {
            assert_eq!(
                super::with_database("postgres://u@h:5432/test", "x"),
                "postgres://u@h:5432/x"
            );
            assert_eq!(super::with_database("postgres://h", "x"), "postgres://h/x");
            assert_eq!(
                super::with_database("postgres://h/db?sslmode=disable", "x"),
                "postgres://h/x?sslmode=disable"
            );
        }
    }
}
