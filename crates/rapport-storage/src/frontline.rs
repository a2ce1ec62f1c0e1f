//! Frontline storage: conversations and their analysis, QA evaluations and reviews, coaching,
//! listening time, recognition, legacy stories and anonymous check-ins. A supertrait of
//! [`Storage`](crate::Storage), one SQL text for both backends via [`frontline_impl!`].

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::conversation::Transcript;
use rapport_domain::frontline::*;
use rapport_domain::*;

use crate::{Actor, StorageError, StorageResult};

/// What the analysis job writes back for one conversation.
#[derive(Debug, Clone)]
pub struct ConversationAnalysis {
    pub insights: Vec<Option<TurnInsight>>,
    pub metrics: serde_json::Value,
    pub customer_start: Option<f32>,
    pub customer_lowest: Option<f32>,
    pub customer_end: Option<f32>,
    pub emotional_lift: Option<f32>,
    pub peak_anger: Option<f32>,
    pub flags: Vec<String>,
    pub topics: Vec<String>,
    /// The customer's words praising the agent, when they did.
    pub praise_quote: Option<String>,
    pub rubric: String,
    /// The engine's scores; reviewers' scores of same-named criteria are kept on re-runs.
    pub criteria: Vec<CriterionResult>,
}

/// Which conversations a list shows.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub agent_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub customer_id: Option<CustomerId>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub analysed_only: bool,
    pub limit: i64,
    pub offset: i64,
}

/// A stored conversation's transcript, as the analysis job reads it.
#[derive(Debug, Clone)]
pub struct StoredTranscript {
    pub summary: ConversationSummary,
    pub transcript: Transcript,
}

#[async_trait]
pub trait FrontlineStore: Send + Sync {
    // ---- conversations ----
    /// Stores a (redacted) transcript and queues its analysis, once per external id:
    /// `false` when it was there already (nothing changes). The agent is matched by e-mail
    /// and the customer by external id within the organisation; unknown ones are kept as
    /// references only. A touchpoint of another organisation is refused.
    async fn store_conversation(
        &self,
        actor: Actor,
        t: &Transcript,
        now: DateTime<Utc>,
    ) -> StorageResult<(ConversationId, bool)>;
    async fn stored_transcript(
        &self,
        org: OrgId,
        id: ConversationId,
    ) -> StorageResult<StoredTranscript>;
    async fn save_conversation_analysis(
        &self,
        org: OrgId,
        id: ConversationId,
        a: &ConversationAnalysis,
        now: DateTime<Utc>,
    ) -> StorageResult<Evaluation>;
    async fn get_conversation(
        &self,
        org: OrgId,
        id: ConversationId,
    ) -> StorageResult<ConversationDetail>;
    async fn list_conversations(
        &self,
        org: OrgId,
        filter: &ConversationFilter,
    ) -> StorageResult<Vec<ConversationSummary>>;
    async fn conversation_id_by_external(
        &self,
        org: OrgId,
        external_id: &str,
    ) -> StorageResult<Option<ConversationId>>;

    // ---- evaluations ----
    async fn get_evaluation(
        &self,
        org: OrgId,
        conversation: ConversationId,
    ) -> StorageResult<Evaluation>;
    async fn review_evaluation(
        &self,
        actor: Actor,
        conversation: ConversationId,
        review: &Review,
        now: DateTime<Utc>,
    ) -> StorageResult<Evaluation>;
    async fn respond_to_evaluation(
        &self,
        actor: Actor,
        conversation: ConversationId,
        status: EvaluationStatus,
        comment: Option<&str>,
    ) -> StorageResult<Evaluation>;
    /// Evaluations a manager reviewed since a time, for calibration.
    async fn reviewed_evaluations(
        &self,
        org: OrgId,
        since: DateTime<Utc>,
    ) -> StorageResult<Vec<Evaluation>>;
    /// Analysed conversations with an agent, for scorecards and coaching progress.
    async fn scored_conversations(
        &self,
        org: OrgId,
        agent: Option<UserId>,
        team: Option<TeamId>,
        since: DateTime<Utc>,
    ) -> StorageResult<Vec<ScoredConversation>>;

    // ---- coaching and listening ----
    async fn create_coaching(
        &self,
        actor: Actor,
        new: &NewCoaching,
        now: DateTime<Utc>,
    ) -> StorageResult<Coaching>;
    async fn list_coaching(
        &self,
        org: OrgId,
        agent: Option<UserId>,
        team: Option<TeamId>,
    ) -> StorageResult<Vec<Coaching>>;
    async fn log_listening(
        &self,
        actor: Actor,
        new: &NewListening,
        now: DateTime<Utc>,
    ) -> StorageResult<ListeningEntry>;
    async fn listening_entries(
        &self,
        org: OrgId,
        manager: UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StorageResult<Vec<ListeningEntry>>;
    /// Every manager's (admin, CX manager, team lead) minutes between two days, inclusive.
    async fn listening_attainment(
        &self,
        org: OrgId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StorageResult<Vec<ListeningAttainment>>;
    /// Sets the organisation's monthly target, or one manager's when `user` is given.
    async fn set_listening_target(
        &self,
        actor: Actor,
        user: Option<UserId>,
        minutes: i32,
    ) -> StorageResult<()>;

    // ---- recognition ----
    async fn give_kudos(
        &self,
        actor: Actor,
        new: &NewKudos,
        now: DateTime<Utc>,
    ) -> StorageResult<Kudos>;
    /// Kudos `viewer` may see: public ones, and private ones they gave or got.
    async fn list_kudos(
        &self,
        org: OrgId,
        viewer: UserId,
        team: Option<TeamId>,
        limit: i64,
    ) -> StorageResult<Vec<Kudos>>;
    /// Customer praise of an agent (conversations and survey comments) not yet recognised.
    async fn praise_suggestions(
        &self,
        org: OrgId,
        team: Option<TeamId>,
        limit: i64,
    ) -> StorageResult<Vec<PraiseSuggestion>>;
    async fn create_story(
        &self,
        actor: Actor,
        new: &NewStory,
        now: DateTime<Utc>,
    ) -> StorageResult<Story>;
    async fn approve_story(&self, actor: Actor, id: StoryId) -> StorageResult<Story>;
    async fn get_story(&self, org: OrgId, id: StoryId) -> StorageResult<Story>;
    async fn list_stories(
        &self,
        org: OrgId,
        team: Option<TeamId>,
        value: Option<&str>,
        approved_only: bool,
    ) -> StorageResult<Vec<Story>>;

    // ---- anonymous check-in ----
    /// Records a mood for the user's team today; `false` when they already checked in today.
    /// The stored answer carries no reference to the person.
    async fn check_in(
        &self,
        org: OrgId,
        user: UserId,
        team: TeamId,
        day: NaiveDate,
        mood: i32,
    ) -> StorageResult<bool>;
    /// Weekly mood per team since a day, small groups suppressed.
    async fn mood_by_team(&self, org: OrgId, since: NaiveDate) -> StorageResult<Vec<MoodGroup>>;
    async fn min_group_size(&self, org: OrgId) -> StorageResult<i64>;

    // ---- manager 360 ----
    /// Records an anonymous rating of `manager` for `period`; `false` when this person already
    /// rated them this period. The rating keeps no reference to the rater.
    async fn rate_manager(
        &self,
        org: OrgId,
        rater: UserId,
        manager: UserId,
        period: &str,
        rating: &ManagerRating,
    ) -> StorageResult<bool>;
    /// Ratings per manager and period (all managers, or one), small groups suppressed.
    async fn manager_ratings(
        &self,
        org: OrgId,
        manager: Option<UserId>,
    ) -> StorageResult<Vec<ManagerRatingSummary>>;

    // ---- QA rubric ----
    /// The organisation's rubric JSON, `None` for the built-in one.
    async fn qa_rubric(&self, org: OrgId) -> StorageResult<Option<String>>;
    /// Stores a (validated) rubric; `None` returns to the built-in one.
    async fn set_qa_rubric(&self, actor: Actor, rubric: Option<&str>) -> StorageResult<()>;
}

pub(crate) const CONV_COLS: &str = "c.id, c.external_id, c.channel, c.agent_id, u.display_name AS agent_name, \
    c.team_id, c.customer_id, c.touchpoint_id, c.started_at, c.language, c.turn_count, c.handle_seconds, \
    c.analysed_at, c.customer_start, c.customer_lowest, c.customer_end, c.emotional_lift, c.peak_anger, \
    c.qa_overall, c.flags, c.topics";

#[derive(sqlx::FromRow)]
pub(crate) struct ConvRow {
    id: i64,
    external_id: String,
    channel: String,
    agent_id: Option<i64>,
    agent_name: Option<String>,
    team_id: Option<i64>,
    customer_id: Option<i64>,
    touchpoint_id: Option<i64>,
    started_at: DateTime<Utc>,
    language: Option<String>,
    turn_count: i32,
    handle_seconds: Option<f64>,
    analysed_at: Option<DateTime<Utc>>,
    customer_start: Option<f64>,
    customer_lowest: Option<f64>,
    customer_end: Option<f64>,
    emotional_lift: Option<f64>,
    peak_anger: Option<f64>,
    qa_overall: Option<i32>,
    flags: String,
    topics: String,
}

pub(crate) fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

impl ConvRow {
    pub(crate) fn into_domain(self) -> StorageResult<ConversationSummary> {
        Ok(ConversationSummary {
            id: ConversationId(self.id),
            external_id: self.external_id,
            channel: Channel::parse("channel", &self.channel)
                .map_err(|e| StorageError::Corrupt(e.to_string()))?,
            agent_id: self.agent_id.map(UserId),
            agent_name: self.agent_name,
            team_id: self.team_id.map(TeamId),
            customer_id: self.customer_id.map(CustomerId),
            touchpoint_id: self.touchpoint_id.map(TouchpointId),
            started_at: self.started_at,
            language: self.language,
            turn_count: self.turn_count,
            handle_seconds: self.handle_seconds,
            analysed: self.analysed_at.is_some(),
            customer_start: self.customer_start.map(|v| v as f32),
            customer_lowest: self.customer_lowest.map(|v| v as f32),
            customer_end: self.customer_end.map(|v| v as f32),
            emotional_lift: self.emotional_lift.map(|v| v as f32),
            peak_anger: self.peak_anger.map(|v| v as f32),
            qa_overall: self.qa_overall,
            flags: json_list(&self.flags),
            topics: json_list(&self.topics),
        })
    }
}

pub(crate) const EVAL_COLS: &str =
    "id, conversation_id, agent_id, rubric, criteria, flags, status, reviewer_id, \
    reviewed_at, coaching_note, agent_comment, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct EvalRow {
    id: i64,
    conversation_id: i64,
    agent_id: Option<i64>,
    rubric: String,
    criteria: String,
    flags: String,
    status: String,
    reviewer_id: Option<i64>,
    reviewed_at: Option<DateTime<Utc>>,
    coaching_note: Option<String>,
    agent_comment: Option<String>,
    created_at: DateTime<Utc>,
}

impl EvalRow {
    pub(crate) fn into_domain(self) -> StorageResult<Evaluation> {
        Ok(Evaluation {
            id: EvaluationId(self.id),
            conversation_id: ConversationId(self.conversation_id),
            agent_id: self.agent_id.map(UserId),
            rubric: self.rubric,
            criteria: serde_json::from_str(&self.criteria)
                .map_err(|e| StorageError::Corrupt(format!("evaluation criteria: {e}")))?,
            flags: json_list(&self.flags),
            status: EvaluationStatus::parse(&self.status)
                .map_err(|e| StorageError::Corrupt(e.to_string()))?,
            reviewer_id: self.reviewer_id.map(UserId),
            reviewed_at: self.reviewed_at,
            coaching_note: self.coaching_note,
            agent_comment: self.agent_comment,
            created_at: self.created_at,
        })
    }
}

pub(crate) const STORY_COLS: &str = "s.id, s.agent_id, u.display_name AS agent_name, s.team_id, s.title, s.value, \
    s.customer_words, s.agent_did, s.outcome, s.conversation_id, s.response_id, s.approved, s.created_by, \
    s.approved_by, s.created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct StoryRow {
    id: i64,
    agent_id: i64,
    agent_name: String,
    team_id: Option<i64>,
    title: String,
    value: String,
    customer_words: String,
    agent_did: String,
    outcome: String,
    conversation_id: Option<i64>,
    response_id: Option<i64>,
    approved: bool,
    created_by: i64,
    approved_by: Option<i64>,
    created_at: DateTime<Utc>,
}

impl From<StoryRow> for Story {
    fn from(r: StoryRow) -> Self {
        Story {
            id: StoryId(r.id),
            agent_id: UserId(r.agent_id),
            agent_name: r.agent_name,
            team_id: r.team_id.map(TeamId),
            title: r.title,
            value: r.value,
            customer_words: r.customer_words,
            agent_did: r.agent_did,
            outcome: r.outcome,
            conversation_id: r.conversation_id.map(ConversationId),
            response_id: r.response_id.map(rapport_domain::voc::ResponseId),
            approved: r.approved,
            created_by: UserId(r.created_by),
            approved_by: r.approved_by.map(UserId),
            created_at: r.created_at,
        }
    }
}

pub(crate) const KUDOS_COLS: &str =
    "k.id, k.from_user, f.display_name AS from_name, k.to_user, t.display_name AS to_name, \
    t.team_id AS to_team, k.message, k.public, k.conversation_id, k.response_id, k.created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct KudosRow {
    id: i64,
    from_user: i64,
    from_name: String,
    to_user: i64,
    to_name: String,
    to_team: Option<i64>,
    message: String,
    public: bool,
    conversation_id: Option<i64>,
    response_id: Option<i64>,
    created_at: DateTime<Utc>,
}

impl From<KudosRow> for Kudos {
    fn from(r: KudosRow) -> Self {
        Kudos {
            id: KudosId(r.id),
            from_user: UserId(r.from_user),
            from_name: r.from_name,
            to_user: UserId(r.to_user),
            to_name: r.to_name,
            to_team: r.to_team.map(TeamId),
            message: r.message,
            public: r.public,
            conversation_id: r.conversation_id.map(ConversationId),
            response_id: r.response_id.map(rapport_domain::voc::ResponseId),
            created_at: r.created_at,
        }
    }
}

pub(crate) fn parse_day(s: &str) -> StorageResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StorageError::Corrupt(format!("date {s}: {e}")))
}

/// Monday of a day's ISO week, as `YYYY-MM-DD`.
pub(crate) fn week_of(day: NaiveDate) -> String {
    use chrono::Datelike;
    let monday = day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()));
    monday.format("%Y-%m-%d").to_string()
}

/// `Storage`-side SQL for [`FrontlineStore`], expanded in each backend's module after
/// `storage_impl!` (whose helpers `audit`, `ensure_in_org` and `Tx` it uses).
macro_rules! frontline_impl {
    ($store:ident) => {
        use chrono::NaiveDate;
        use rapport_domain::conversation::Transcript;
        use rapport_domain::frontline::*;
        use $crate::frontline::*;

        async fn fl_job(tx: &mut Tx, org: OrgId, kind: &str, payload: serde_json::Value, now: DateTime<Utc>) -> StorageResult<()> {
            sqlx::query(
                "INSERT INTO jobs (org_id, kind, payload, state, attempts, max_attempts, run_at, created_at) \
                 VALUES ($1, $2, $3, 'queued', 0, 10, $4, $4)",
            )
            .bind(org.0)
            .bind(kind)
            .bind(payload.to_string())
            .bind(now)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        async fn fl_user_team(tx: &mut Tx, org: OrgId, user: UserId, field: &'static str) -> StorageResult<Option<TeamId>> {
            let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT team_id FROM users WHERE id = $1 AND org_id = $2")
                .bind(user.0)
                .bind(org.0)
                .fetch_optional(&mut **tx)
                .await?;
            match row {
                Some((team,)) => Ok(team.map(TeamId)),
                None => Err(StorageError::Invalid { field, message: "no such colleague in this organisation".into() }),
            }
        }

        async fn fl_conversation_in_org(tx: &mut Tx, org: OrgId, id: Option<ConversationId>, field: &'static str) -> StorageResult<()> {
            if let Some(id) = id {
                ensure_in_org(tx, "conversations", field, id.0, org).await?;
            }
            Ok(())
        }

        async fn fl_response_in_org(tx: &mut Tx, org: OrgId, id: Option<rapport_domain::voc::ResponseId>) -> StorageResult<()> {
            if let Some(id) = id {
                ensure_in_org(tx, "responses", "response_id", id.0, org).await?;
            }
            Ok(())
        }

        async fn fl_summary(store: &$store, org: OrgId, id: ConversationId) -> StorageResult<ConversationSummary> {
            let sql = format!("SELECT {CONV_COLS} FROM conversations c LEFT JOIN users u ON u.id = c.agent_id WHERE c.id = $1 AND c.org_id = $2");
            sqlx::query_as::<_, ConvRow>(&sql)
                .bind(id.0)
                .bind(org.0)
                .fetch_optional(&store.pool)
                .await?
                .ok_or(StorageError::NotFound { entity: "conversation" })?
                .into_domain()
        }

        /// Keeps the conversation's effective scores in step with its evaluation.
        async fn fl_sync_scores(tx: &mut Tx, e: &Evaluation) -> StorageResult<()> {
            sqlx::query("UPDATE conversations SET qa_overall = $1, qa_scores = $2 WHERE id = $3")
                .bind(e.overall().map(i32::from))
                .bind(json!(e.scores()).to_string())
                .bind(e.conversation_id.0)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        /// Takes the conversation's row lock first, in the order the analysis job takes its locks
        /// (conversation, then evaluation): a review racing a re-analysis then waits instead of
        /// deadlocking on PostgreSQL, and neither overwrites the other's criteria unseen.
        async fn fl_lock_conversation(tx: &mut Tx, org: OrgId, conversation: ConversationId) -> StorageResult<()> {
            let locked = sqlx::query("UPDATE conversations SET id = id WHERE id = $1 AND org_id = $2")
                .bind(conversation.0)
                .bind(org.0)
                .execute(&mut **tx)
                .await?
                .rows_affected();
            if locked == 0 {
                return Err(StorageError::NotFound { entity: "evaluation" });
            }
            Ok(())
        }

        async fn fl_eval(tx: &mut Tx, org: OrgId, conversation: ConversationId) -> StorageResult<Evaluation> {
            let sql = format!("SELECT {EVAL_COLS} FROM qa_evaluations WHERE conversation_id = $1 AND org_id = $2");
            sqlx::query_as::<_, EvalRow>(&sql)
                .bind(conversation.0)
                .bind(org.0)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or(StorageError::NotFound { entity: "evaluation" })?
                .into_domain()
        }

        #[async_trait]
        impl FrontlineStore for $store {
            async fn store_conversation(&self, actor: Actor, t: &Transcript, now: DateTime<Utc>) -> StorageResult<(ConversationId, bool)> {
                let org = actor.org_id;
                if let Some(id) = self.conversation_id_by_external(org, t.external_id()).await? {
                    return Ok((id, false));
                }
                let mut tx = self.begin().await?;
                let (agent_id, team_id) = match t.agent() {
                    Some(a) => sqlx::query_as::<_, (i64, Option<i64>)>("SELECT id, team_id FROM users WHERE org_id = $1 AND lower(email) = lower($2)")
                        .bind(org.0)
                        .bind(a)
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(|(u, t)| (Some(u), t))
                        .unwrap_or((None, None)),
                    None => (None, None),
                };
                let customer_id = match t.customer() {
                    Some(c) => sqlx::query_as::<_, (i64,)>("SELECT id FROM customers WHERE org_id = $1 AND external_id = $2")
                        .bind(org.0)
                        .bind(c)
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(|(c,)| c),
                    None => None,
                };
                if let Some(tp) = t.touchpoint() {
                    ensure_in_org(&mut tx, "touchpoints", "touchpoint", tp, org).await?;
                }
                let turns = t.turns();
                let handle = match (turns.first().and_then(|f| f.start()), turns.iter().filter_map(|x| x.end()).reduce(f64::max)) {
                    (Some(a), Some(b)) if b >= a => Some(b - a),
                    _ => None,
                };
                let body = t.to_json();
                let inserted: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO conversations (org_id, external_id, channel, agent_id, agent_ref, team_id, customer_id, customer_ref, \
                     touchpoint_id, started_at, language, turn_count, handle_seconds, turns, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                     ON CONFLICT (org_id, external_id) DO NOTHING RETURNING id",
                )
                .bind(org.0)
                .bind(t.external_id())
                .bind(t.channel().as_str())
                .bind(agent_id)
                .bind(t.agent())
                .bind(team_id)
                .bind(customer_id)
                .bind(t.customer())
                .bind(t.touchpoint())
                .bind(t.started_at().unwrap_or(now))
                .bind(t.language().map(|l| l.as_str()))
                .bind(turns.len() as i32)
                .bind(handle)
                .bind(body.to_string())
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((id,)) = inserted else {
                    drop(tx);
                    let id = self.conversation_id_by_external(org, t.external_id()).await?.ok_or(StorageError::NotFound { entity: "conversation" })?;
                    return Ok((id, false));
                };
                fl_job(&mut tx, org, "analyze_conversation", json!({ "conversation": id }), now).await?;
                audit(&mut tx, actor, "import", "conversation", id, json!({ "external_id": t.external_id() })).await?;
                tx.commit().await?;
                Ok((ConversationId(id), true))
            }

            async fn conversation_id_by_external(&self, org: OrgId, external_id: &str) -> StorageResult<Option<ConversationId>> {
                let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM conversations WHERE org_id = $1 AND external_id = $2")
                    .bind(org.0)
                    .bind(external_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(i,)| ConversationId(i)))
            }

            async fn stored_transcript(&self, org: OrgId, id: ConversationId) -> StorageResult<StoredTranscript> {
                let summary = fl_summary(self, org, id).await?;
                let (body,): (String,) = sqlx::query_as("SELECT turns FROM conversations WHERE id = $1")
                    .bind(id.0)
                    .fetch_one(&self.pool)
                    .await?;
                let transcript = rapport_domain::conversation::parse_json(&body)
                    .map_err(|e| StorageError::Corrupt(format!("conversation {id}: {e}")))?;
                Ok(StoredTranscript { summary, transcript })
            }

            async fn save_conversation_analysis(&self, org: OrgId, id: ConversationId, a: &ConversationAnalysis, now: DateTime<Utc>) -> StorageResult<Evaluation> {
                let mut tx = self.begin().await?;
                let agent: Option<(Option<i64>,)> = sqlx::query_as("SELECT agent_id FROM conversations WHERE id = $1 AND org_id = $2")
                    .bind(id.0)
                    .bind(org.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((agent,)) = agent else {
                    return Err(StorageError::NotFound { entity: "conversation" });
                };
                sqlx::query(
                    "UPDATE conversations SET insights = $1, metrics = $2, analysed_at = $3, customer_start = $4, customer_lowest = $5, \
                     customer_end = $6, emotional_lift = $7, peak_anger = $8, flags = $9, topics = $10, praised = $11, praise_quote = $12 WHERE id = $13",
                )
                .bind(json!(a.insights).to_string())
                .bind(a.metrics.to_string())
                .bind(now)
                .bind(a.customer_start.map(f64::from))
                .bind(a.customer_lowest.map(f64::from))
                .bind(a.customer_end.map(f64::from))
                .bind(a.emotional_lift.map(f64::from))
                .bind(a.peak_anger.map(f64::from))
                .bind(json!(a.flags).to_string())
                .bind(json!(a.topics).to_string())
                .bind(a.praise_quote.is_some())
                .bind(a.praise_quote.as_deref())
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                let mut criteria = a.criteria.clone();
                let existing = fl_eval(&mut tx, org, id).await;
                let evaluation = match existing {
                    Ok(old) => {
                        for c in criteria.iter_mut() {
                            if let Some(prev) = old.criteria.iter().find(|p| p.name == c.name) {
                                c.human_score = prev.human_score;
                                c.override_reason = prev.override_reason.clone();
                            }
                        }
                        sqlx::query("UPDATE qa_evaluations SET rubric = $1, criteria = $2, flags = $3 WHERE id = $4")
                            .bind(&a.rubric)
                            .bind(json!(criteria).to_string())
                            .bind(json!(a.flags).to_string())
                            .bind(old.id.0)
                            .execute(&mut *tx)
                            .await?;
                        fl_eval(&mut tx, org, id).await?
                    }
                    Err(StorageError::NotFound { .. }) => {
                        sqlx::query(
                            "INSERT INTO qa_evaluations (org_id, conversation_id, agent_id, rubric, criteria, flags, status, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, 'auto', $7)",
                        )
                        .bind(org.0)
                        .bind(id.0)
                        .bind(agent)
                        .bind(&a.rubric)
                        .bind(json!(criteria).to_string())
                        .bind(json!(a.flags).to_string())
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        fl_eval(&mut tx, org, id).await?
                    }
                    Err(e) => return Err(e),
                };
                fl_sync_scores(&mut tx, &evaluation).await?;
                tx.commit().await?;
                Ok(evaluation)
            }

            async fn get_conversation(&self, org: OrgId, id: ConversationId) -> StorageResult<ConversationDetail> {
                let summary = fl_summary(self, org, id).await?;
                let (body, insights, metrics): (String, Option<String>, Option<String>) =
                    sqlx::query_as("SELECT turns, insights, metrics FROM conversations WHERE id = $1")
                        .bind(id.0)
                        .fetch_one(&self.pool)
                        .await?;
                let transcript = rapport_domain::conversation::parse_json(&body)
                    .map_err(|e| StorageError::Corrupt(format!("conversation {id}: {e}")))?;
                let insights: Vec<Option<TurnInsight>> = match insights {
                    Some(i) => serde_json::from_str(&i).map_err(|e| StorageError::Corrupt(format!("insights: {e}")))?,
                    None => Vec::new(),
                };
                let turns = transcript
                    .turns()
                    .iter()
                    .enumerate()
                    .map(|(i, t)| TurnView {
                        speaker: t.speaker(),
                        text: t.text().to_string(),
                        start: t.start(),
                        end: t.end(),
                        insight: insights.get(i).cloned().flatten(),
                    })
                    .collect();
                let metrics = metrics.map(|m| serde_json::from_str(&m)).transpose().map_err(|e| StorageError::Corrupt(format!("metrics: {e}")))?;
                Ok(ConversationDetail { summary, turns, metrics })
            }

            async fn list_conversations(&self, org: OrgId, f: &ConversationFilter) -> StorageResult<Vec<ConversationSummary>> {
                let sql = format!(
                    "SELECT {CONV_COLS} FROM conversations c LEFT JOIN users u ON u.id = c.agent_id WHERE c.org_id = $1 \
                     AND ($2 IS NULL OR c.agent_id = $2) AND ($3 IS NULL OR c.team_id = $3) AND ($4 IS NULL OR c.customer_id = $4) \
                     AND ($5 IS NULL OR c.started_at >= $5) AND ($6 IS NULL OR c.started_at < $6) AND ($7 = FALSE OR c.analysed_at IS NOT NULL) \
                     ORDER BY c.started_at DESC, c.id DESC LIMIT $8 OFFSET $9"
                );
                let rows = sqlx::query_as::<_, ConvRow>(&sql)
                    .bind(org.0)
                    .bind(f.agent_id.map(|a| a.0))
                    .bind(f.team_id.map(|t| t.0))
                    .bind(f.customer_id.map(|c| c.0))
                    .bind(f.since)
                    .bind(f.until)
                    .bind(f.analysed_only)
                    .bind(f.limit.clamp(1, 5000))
                    .bind(f.offset.max(0))
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(ConvRow::into_domain).collect()
            }

            async fn get_evaluation(&self, org: OrgId, conversation: ConversationId) -> StorageResult<Evaluation> {
                let mut tx = self.begin().await?;
                let e = fl_eval(&mut tx, org, conversation).await?;
                tx.commit().await?;
                Ok(e)
            }

            async fn review_evaluation(&self, actor: Actor, conversation: ConversationId, review: &Review, now: DateTime<Utc>) -> StorageResult<Evaluation> {
                let mut tx = self.begin().await?;
                fl_lock_conversation(&mut tx, actor.org_id, conversation).await?;
                let mut e = fl_eval(&mut tx, actor.org_id, conversation).await?;
                review.apply(&mut e.criteria).map_err(|d| StorageError::Invalid { field: "review", message: format!("{}: {}", d.field, d.reason) })?;
                sqlx::query("UPDATE qa_evaluations SET criteria = $1, status = 'reviewed', reviewer_id = $2, reviewed_at = $3, coaching_note = COALESCE($4, coaching_note) WHERE id = $5")
                    .bind(json!(e.criteria).to_string())
                    .bind(actor.user_id.map(|u| u.0))
                    .bind(now)
                    .bind(review.coaching_note.as_deref())
                    .bind(e.id.0)
                    .execute(&mut *tx)
                    .await?;
                let e = fl_eval(&mut tx, actor.org_id, conversation).await?;
                fl_sync_scores(&mut tx, &e).await?;
                audit(&mut tx, actor, "review", "evaluation", e.id, json!(review)).await?;
                tx.commit().await?;
                Ok(e)
            }

            async fn respond_to_evaluation(&self, actor: Actor, conversation: ConversationId, status: EvaluationStatus, comment: Option<&str>) -> StorageResult<Evaluation> {
                let mut tx = self.begin().await?;
                fl_lock_conversation(&mut tx, actor.org_id, conversation).await?;
                let e = fl_eval(&mut tx, actor.org_id, conversation).await?;
                sqlx::query("UPDATE qa_evaluations SET status = $1, agent_comment = $2 WHERE id = $3")
                    .bind(status.as_str())
                    .bind(comment)
                    .bind(e.id.0)
                    .execute(&mut *tx)
                    .await?;
                audit(&mut tx, actor, status.as_str(), "evaluation", e.id, json!({ "comment": comment })).await?;
                let e = fl_eval(&mut tx, actor.org_id, conversation).await?;
                tx.commit().await?;
                Ok(e)
            }

            async fn reviewed_evaluations(&self, org: OrgId, since: DateTime<Utc>) -> StorageResult<Vec<Evaluation>> {
                let sql = format!("SELECT {EVAL_COLS} FROM qa_evaluations WHERE org_id = $1 AND reviewer_id IS NOT NULL AND reviewed_at >= $2 ORDER BY id");
                sqlx::query_as::<_, EvalRow>(&sql)
                    .bind(org.0)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(EvalRow::into_domain)
                    .collect()
            }

            async fn scored_conversations(&self, org: OrgId, agent: Option<UserId>, team: Option<TeamId>, since: DateTime<Utc>) -> StorageResult<Vec<ScoredConversation>> {
                #[allow(clippy::type_complexity)]
                let rows: Vec<(i64, DateTime<Utc>, Option<f64>, Option<f64>, Option<f64>, Option<String>, bool)> = sqlx::query_as(
                    "SELECT agent_id, started_at, handle_seconds, emotional_lift, peak_anger, qa_scores, praised FROM conversations \
                     WHERE org_id = $1 AND agent_id IS NOT NULL AND analysed_at IS NOT NULL AND started_at >= $2 \
                     AND ($3 IS NULL OR agent_id = $3) AND ($4 IS NULL OR team_id = $4) ORDER BY started_at",
                )
                .bind(org.0)
                .bind(since)
                .bind(agent.map(|a| a.0))
                .bind(team.map(|t| t.0))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(agent, started_at, handle, lift, anger, scores, praised)| ScoredConversation {
                        agent_id: UserId(agent),
                        started_at,
                        handle_seconds: handle,
                        lift: lift.map(|v| v as f32),
                        peak_anger: anger.map(|v| v as f32),
                        scores: scores.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
                        praised,
                    })
                    .collect())
            }

            async fn create_coaching(&self, actor: Actor, new: &NewCoaching, now: DateTime<Utc>) -> StorageResult<Coaching> {
                let mut tx = self.begin().await?;
                fl_user_team(&mut tx, actor.org_id, new.agent_id, "agent_id").await?;
                for c in &new.conversation_ids {
                    fl_conversation_in_org(&mut tx, actor.org_id, Some(*c), "conversation_ids").await?;
                }
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO coaching_sessions (org_id, agent_id, manager_id, focus, agreed, conversation_ids, follow_up_on, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(actor.org_id.0)
                .bind(new.agent_id.0)
                .bind(actor.user_id.map(|u| u.0))
                .bind(&new.focus)
                .bind(new.agreed.trim())
                .bind(json!(new.conversation_ids).to_string())
                .bind(new.follow_up_on.format("%Y-%m-%d").to_string())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                audit(&mut tx, actor, "create", "coaching", id, json!(new)).await?;
                tx.commit().await?;
                self.list_coaching(actor.org_id, Some(new.agent_id), None)
                    .await?
                    .into_iter()
                    .find(|c| c.id == CoachingId(id))
                    .ok_or(StorageError::NotFound { entity: "coaching session" })
            }

            async fn list_coaching(&self, org: OrgId, agent: Option<UserId>, team: Option<TeamId>) -> StorageResult<Vec<Coaching>> {
                #[allow(clippy::type_complexity)]
                let rows: Vec<(i64, i64, String, i64, String, String, String, String, String, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT s.id, s.agent_id, a.display_name, s.manager_id, m.display_name, s.focus, s.agreed, s.conversation_ids, s.follow_up_on, s.created_at \
                     FROM coaching_sessions s JOIN users a ON a.id = s.agent_id JOIN users m ON m.id = s.manager_id \
                     WHERE s.org_id = $1 AND ($2 IS NULL OR s.agent_id = $2) AND ($3 IS NULL OR a.team_id = $3) ORDER BY s.created_at DESC, s.id DESC",
                )
                .bind(org.0)
                .bind(agent.map(|a| a.0))
                .bind(team.map(|t| t.0))
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for (id, agent_id, agent_name, manager_id, manager_name, focus, agreed, convs, follow, created_at) in rows {
                    let scored = self
                        .scored_conversations(org, Some(UserId(agent_id)), None, created_at - chrono::Duration::days(30))
                        .await?;
                    let focus_score = |after: bool| -> (Option<f64>, usize) {
                        let v: Vec<f64> = scored
                            .iter()
                            .filter(|s| (s.started_at >= created_at) == after)
                            .filter_map(|s| s.scores.get(&focus).map(|x| f64::from(*x)))
                            .collect();
                        ((!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64), v.len())
                    };
                    let (before, _) = focus_score(false);
                    let (after, after_n) = focus_score(true);
                    out.push(Coaching {
                        id: CoachingId(id),
                        agent_id: UserId(agent_id),
                        agent_name,
                        manager_id: UserId(manager_id),
                        manager_name,
                        focus,
                        agreed,
                        conversation_ids: serde_json::from_str(&convs).unwrap_or_default(),
                        follow_up_on: parse_day(&follow)?,
                        created_at,
                        focus_before: before,
                        focus_after: after,
                        after_n,
                    });
                }
                Ok(out)
            }

            async fn log_listening(&self, actor: Actor, new: &NewListening, now: DateTime<Utc>) -> StorageResult<ListeningEntry> {
                let manager = actor.user_id.ok_or(StorageError::Invalid { field: "manager", message: "a person logs listening time".into() })?;
                let mut tx = self.begin().await?;
                fl_conversation_in_org(&mut tx, actor.org_id, new.conversation_id, "conversation_id").await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO listening_log (org_id, manager_id, conversation_id, minutes, listened_on, note, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(actor.org_id.0)
                .bind(manager.0)
                .bind(new.conversation_id.map(|c| c.0))
                .bind(new.minutes)
                .bind(new.listened_on.format("%Y-%m-%d").to_string())
                .bind(new.note.as_deref())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                audit(&mut tx, actor, "log", "listening", id, json!(new)).await?;
                tx.commit().await?;
                Ok(ListeningEntry {
                    id: ListeningId(id),
                    manager_id: manager,
                    minutes: new.minutes,
                    conversation_id: new.conversation_id,
                    listened_on: new.listened_on,
                    note: new.note.clone(),
                })
            }

            async fn listening_entries(&self, org: OrgId, manager: UserId, from: NaiveDate, to: NaiveDate) -> StorageResult<Vec<ListeningEntry>> {
                let rows: Vec<(i64, Option<i64>, i32, String, Option<String>)> = sqlx::query_as(
                    "SELECT id, conversation_id, minutes, listened_on, note FROM listening_log \
                     WHERE org_id = $1 AND manager_id = $2 AND listened_on >= $3 AND listened_on <= $4 ORDER BY listened_on DESC, id DESC",
                )
                .bind(org.0)
                .bind(manager.0)
                .bind(from.format("%Y-%m-%d").to_string())
                .bind(to.format("%Y-%m-%d").to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, c, minutes, day, note)| {
                        Ok(ListeningEntry { id: ListeningId(id), manager_id: manager, minutes, conversation_id: c.map(ConversationId), listened_on: parse_day(&day)?, note })
                    })
                    .collect()
            }

            async fn listening_attainment(&self, org: OrgId, from: NaiveDate, to: NaiveDate) -> StorageResult<Vec<ListeningAttainment>> {
                let rows: Vec<(i64, String, String, i32, i64)> = sqlx::query_as(
                    "SELECT u.id, u.display_name, u.role, COALESCE(u.listening_target_minutes, o.listening_target_minutes), \
                     COALESCE((SELECT SUM(l.minutes) FROM listening_log l WHERE l.manager_id = u.id AND l.listened_on >= $2 AND l.listened_on <= $3), 0) \
                     FROM users u JOIN organisations o ON o.id = u.org_id \
                     WHERE u.org_id = $1 AND u.active = TRUE AND u.role IN ('admin', 'cx_manager', 'team_lead') ORDER BY u.display_name, u.id",
                )
                .bind(org.0)
                .bind(from.format("%Y-%m-%d").to_string())
                .bind(to.format("%Y-%m-%d").to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, name, role, target, minutes)| {
                        Ok(ListeningAttainment {
                            manager_id: UserId(id),
                            manager_name: name,
                            role: Role::parse(&role).map_err(|e| StorageError::Corrupt(e.to_string()))?,
                            target_minutes: target,
                            minutes,
                            attainment: if target > 0 { minutes as f64 / f64::from(target) } else { 1.0 },
                        })
                    })
                    .collect()
            }

            async fn set_listening_target(&self, actor: Actor, user: Option<UserId>, minutes: i32) -> StorageResult<()> {
                if !(0..=6000).contains(&minutes) {
                    return Err(StorageError::Invalid { field: "minutes", message: "must be between 0 and 6000".into() });
                }
                let mut tx = self.begin().await?;
                match user {
                    Some(u) => {
                        fl_user_team(&mut tx, actor.org_id, u, "user_id").await?;
                        sqlx::query("UPDATE users SET listening_target_minutes = $1 WHERE id = $2").bind(minutes).bind(u.0).execute(&mut *tx).await?;
                    }
                    None => {
                        sqlx::query("UPDATE organisations SET listening_target_minutes = $1 WHERE id = $2").bind(minutes).bind(actor.org_id.0).execute(&mut *tx).await?;
                    }
                }
                audit(&mut tx, actor, "listening_target", "organisation", actor.org_id, json!({ "user": user, "minutes": minutes })).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn give_kudos(&self, actor: Actor, new: &NewKudos, now: DateTime<Utc>) -> StorageResult<Kudos> {
                let from = actor.user_id.ok_or(StorageError::Invalid { field: "from_user", message: "kudos come from a person".into() })?;
                let mut tx = self.begin().await?;
                fl_user_team(&mut tx, actor.org_id, new.to_user, "to_user").await?;
                fl_conversation_in_org(&mut tx, actor.org_id, new.conversation_id, "conversation_id").await?;
                fl_response_in_org(&mut tx, actor.org_id, new.response_id).await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO kudos (org_id, from_user, to_user, message, public, conversation_id, response_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(actor.org_id.0)
                .bind(from.0)
                .bind(new.to_user.0)
                .bind(new.message.trim())
                .bind(new.public)
                .bind(new.conversation_id.map(|c| c.0))
                .bind(new.response_id.map(|r| r.0))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                audit(&mut tx, actor, "give", "kudos", id, json!({ "to": new.to_user, "public": new.public })).await?;
                tx.commit().await?;
                let sql = format!("SELECT {KUDOS_COLS} FROM kudos k JOIN users f ON f.id = k.from_user JOIN users t ON t.id = k.to_user WHERE k.id = $1");
                Ok(sqlx::query_as::<_, KudosRow>(&sql).bind(id).fetch_one(&self.pool).await?.into())
            }

            async fn list_kudos(&self, org: OrgId, viewer: UserId, team: Option<TeamId>, limit: i64) -> StorageResult<Vec<Kudos>> {
                let sql = format!(
                    "SELECT {KUDOS_COLS} FROM kudos k JOIN users f ON f.id = k.from_user JOIN users t ON t.id = k.to_user \
                     WHERE k.org_id = $1 AND (k.public = TRUE OR k.from_user = $2 OR k.to_user = $2) AND ($3 IS NULL OR t.team_id = $3) \
                     ORDER BY k.created_at DESC, k.id DESC LIMIT $4"
                );
                Ok(sqlx::query_as::<_, KudosRow>(&sql)
                    .bind(org.0)
                    .bind(viewer.0)
                    .bind(team.map(|t| t.0))
                    .bind(limit.clamp(1, 500))
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(Kudos::from)
                    .collect())
            }

            async fn praise_suggestions(&self, org: OrgId, team: Option<TeamId>, limit: i64) -> StorageResult<Vec<PraiseSuggestion>> {
                let limit = limit.clamp(1, 200);
                #[allow(clippy::type_complexity)]
                let convs: Vec<(i64, String, i64, Option<String>, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT c.agent_id, u.display_name, c.id, c.praise_quote, c.started_at FROM conversations c JOIN users u ON u.id = c.agent_id \
                     WHERE c.org_id = $1 AND c.praised = TRUE AND ($2 IS NULL OR c.team_id = $2) \
                     AND NOT EXISTS (SELECT 1 FROM kudos k WHERE k.conversation_id = c.id) \
                     AND NOT EXISTS (SELECT 1 FROM stories s WHERE s.conversation_id = c.id) \
                     ORDER BY c.started_at DESC LIMIT $3",
                )
                .bind(org.0)
                .bind(team.map(|t| t.0))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                // Survey comments that thank a named agent: positive, linked to the agent, and
                // mentioning the agent's first name.
                #[allow(clippy::type_complexity)]
                let responses: Vec<(i64, String, i64, Option<String>, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT r.agent_id, u.display_name, r.id, r.comment, r.submitted_at FROM responses r JOIN users u ON u.id = r.agent_id \
                     WHERE r.org_id = $1 AND r.comment IS NOT NULL AND r.sentiment_score >= 0.5 AND ($2 IS NULL OR u.team_id = $2) \
                     AND NOT EXISTS (SELECT 1 FROM kudos k WHERE k.response_id = r.id) \
                     AND NOT EXISTS (SELECT 1 FROM stories s WHERE s.response_id = r.id) \
                     ORDER BY r.submitted_at DESC LIMIT $3",
                )
                .bind(org.0)
                .bind(team.map(|t| t.0))
                .bind(limit * 20)
                .fetch_all(&self.pool)
                .await?;
                let mut out: Vec<PraiseSuggestion> = convs
                    .into_iter()
                    .map(|(agent, name, id, quote, at)| PraiseSuggestion {
                        agent_id: UserId(agent),
                        agent_name: name,
                        conversation_id: Some(ConversationId(id)),
                        response_id: None,
                        quote: quote.unwrap_or_default(),
                        at,
                        reasons: Vec::new(),
                    })
                    .collect();
                out.extend(responses.into_iter().filter_map(|(agent, name, id, comment, at)| {
                    let comment = comment?;
                    let first = name.split_whitespace().next()?.to_lowercase();
                    comment.to_lowercase().contains(&first).then(|| PraiseSuggestion {
                        agent_id: UserId(agent),
                        agent_name: name,
                        conversation_id: None,
                        response_id: Some(rapport_domain::voc::ResponseId(id)),
                        quote: comment,
                        at,
                        reasons: Vec::new(),
                    })
                }));
                out.sort_by_key(|s| std::cmp::Reverse(s.at));
                out.truncate(limit as usize);
                Ok(out)
            }

            async fn create_story(&self, actor: Actor, new: &NewStory, now: DateTime<Utc>) -> StorageResult<Story> {
                let author = actor.user_id.ok_or(StorageError::Invalid { field: "created_by", message: "a person writes a story".into() })?;
                let mut tx = self.begin().await?;
                let team = fl_user_team(&mut tx, actor.org_id, new.agent_id, "agent_id").await?;
                fl_conversation_in_org(&mut tx, actor.org_id, new.conversation_id, "conversation_id").await?;
                fl_response_in_org(&mut tx, actor.org_id, new.response_id).await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO stories (org_id, agent_id, team_id, title, value, customer_words, agent_did, outcome, conversation_id, response_id, approved, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, FALSE, $11, $12) RETURNING id",
                )
                .bind(actor.org_id.0)
                .bind(new.agent_id.0)
                .bind(team.map(|t| t.0))
                .bind(new.title.trim())
                .bind(new.value.trim())
                .bind(new.customer_words.trim())
                .bind(new.agent_did.trim())
                .bind(new.outcome.trim())
                .bind(new.conversation_id.map(|c| c.0))
                .bind(new.response_id.map(|r| r.0))
                .bind(author.0)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                audit(&mut tx, actor, "create", "story", id, json!({ "agent": new.agent_id, "title": new.title })).await?;
                tx.commit().await?;
                self.get_story(actor.org_id, StoryId(id)).await
            }

            async fn approve_story(&self, actor: Actor, id: StoryId) -> StorageResult<Story> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("UPDATE stories SET approved = TRUE, approved_by = $1 WHERE id = $2 AND org_id = $3")
                    .bind(actor.user_id.map(|u| u.0))
                    .bind(id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "story" });
                }
                audit(&mut tx, actor, "approve", "story", id, json!({})).await?;
                tx.commit().await?;
                self.get_story(actor.org_id, id).await
            }

            async fn get_story(&self, org: OrgId, id: StoryId) -> StorageResult<Story> {
                let sql = format!("SELECT {STORY_COLS} FROM stories s JOIN users u ON u.id = s.agent_id WHERE s.id = $1 AND s.org_id = $2");
                Ok(sqlx::query_as::<_, StoryRow>(&sql)
                    .bind(id.0)
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StorageError::NotFound { entity: "story" })?
                    .into())
            }

            async fn list_stories(&self, org: OrgId, team: Option<TeamId>, value: Option<&str>, approved_only: bool) -> StorageResult<Vec<Story>> {
                let sql = format!(
                    "SELECT {STORY_COLS} FROM stories s JOIN users u ON u.id = s.agent_id WHERE s.org_id = $1 \
                     AND ($2 IS NULL OR s.team_id = $2) AND ($3 IS NULL OR s.value = $3) AND ($4 = FALSE OR s.approved = TRUE) \
                     ORDER BY s.created_at DESC, s.id DESC LIMIT 500"
                );
                Ok(sqlx::query_as::<_, StoryRow>(&sql)
                    .bind(org.0)
                    .bind(team.map(|t| t.0))
                    .bind(value)
                    .bind(approved_only)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(Story::from)
                    .collect())
            }

            async fn check_in(&self, org: OrgId, user: UserId, team: TeamId, day: NaiveDate, mood: i32) -> StorageResult<bool> {
                let day = day.format("%Y-%m-%d").to_string();
                let mut tx = self.begin().await?;
                let marked = sqlx::query("INSERT INTO checkin_marks (user_id, day) VALUES ($1, $2) ON CONFLICT (user_id, day) DO NOTHING")
                    .bind(user.0)
                    .bind(&day)
                    .execute(&mut *tx)
                    .await?;
                if marked.rows_affected() == 0 {
                    return Ok(false);
                }
                sqlx::query("INSERT INTO checkins (org_id, team_id, day, mood) VALUES ($1, $2, $3, $4)")
                    .bind(org.0)
                    .bind(team.0)
                    .bind(&day)
                    .bind(mood)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn mood_by_team(&self, org: OrgId, since: NaiveDate) -> StorageResult<Vec<MoodGroup>> {
                let min = self.min_group_size(org).await?;
                let rows: Vec<(i64, String, String, i32)> = sqlx::query_as(
                    "SELECT c.team_id, t.name, c.day, c.mood FROM checkins c JOIN teams t ON t.id = c.team_id WHERE c.org_id = $1 AND c.day >= $2",
                )
                .bind(org.0)
                .bind(since.format("%Y-%m-%d").to_string())
                .fetch_all(&self.pool)
                .await?;
                let mut groups: std::collections::BTreeMap<(String, i64), (String, i64, i64)> = Default::default();
                for (team, name, day, mood) in rows {
                    let g = groups.entry((week_of(parse_day(&day)?), team)).or_insert((name, 0, 0));
                    g.1 += 1;
                    g.2 += i64::from(mood);
                }
                Ok(groups
                    .into_iter()
                    .map(|((week, team), (name, n, sum))| suppress_small(TeamId(team), name, week, n, sum, min))
                    .collect())
            }

            async fn rate_manager(&self, org: OrgId, rater: UserId, manager: UserId, period: &str, rating: &ManagerRating) -> StorageResult<bool> {
                let mut tx = self.begin().await?;
                ensure_in_org(&mut tx, "users", "manager", manager.0, org).await?;
                let marked = sqlx::query("INSERT INTO manager_rating_marks (user_id, manager_id, period) VALUES ($1, $2, $3) ON CONFLICT (user_id, manager_id, period) DO NOTHING")
                    .bind(rater.0)
                    .bind(manager.0)
                    .bind(period)
                    .execute(&mut *tx)
                    .await?;
                if marked.rows_affected() == 0 {
                    return Ok(false);
                }
                sqlx::query("INSERT INTO manager_ratings (org_id, manager_id, period, authenticity, humility, connectedness, care) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(org.0)
                    .bind(manager.0)
                    .bind(period)
                    .bind(rating.authenticity)
                    .bind(rating.humility)
                    .bind(rating.connectedness)
                    .bind(rating.care)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn manager_ratings(&self, org: OrgId, manager: Option<UserId>) -> StorageResult<Vec<ManagerRatingSummary>> {
                let min = self.min_group_size(org).await?;
                #[allow(clippy::type_complexity)]
                let rows: Vec<(i64, String, String, i64, i64, i64, i64, i64)> = sqlx::query_as(
                    "SELECT r.manager_id, u.display_name, r.period, COUNT(*), SUM(r.authenticity), SUM(r.humility), SUM(r.connectedness), SUM(r.care) \
                     FROM manager_ratings r JOIN users u ON u.id = r.manager_id WHERE r.org_id = $1 AND ($2 IS NULL OR r.manager_id = $2) \
                     GROUP BY r.manager_id, u.display_name, r.period ORDER BY r.period DESC, u.display_name",
                )
                .bind(org.0)
                .bind(manager.map(|m| m.0))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(m, name, period, n, a, h, c, k)| summarise_ratings(UserId(m), name, period, n, [a, h, c, k], min))
                    .collect())
            }

            async fn qa_rubric(&self, org: OrgId) -> StorageResult<Option<String>> {
                let (r,): (Option<String>,) = sqlx::query_as("SELECT qa_rubric FROM organisations WHERE id = $1")
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StorageError::NotFound { entity: "organisation" })?;
                Ok(r)
            }

            async fn set_qa_rubric(&self, actor: Actor, rubric: Option<&str>) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query("UPDATE organisations SET qa_rubric = $1 WHERE id = $2")
                    .bind(rubric)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                audit(&mut tx, actor, "qa_rubric", "organisation", actor.org_id, json!({ "custom": rubric.is_some() })).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn min_group_size(&self, org: OrgId) -> StorageResult<i64> {
                let (n,): (i32,) = sqlx::query_as("SELECT min_group_size FROM organisations WHERE id = $1")
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StorageError::NotFound { entity: "organisation" })?;
                Ok(i64::from(n).max(FLOOR_MIN_GROUP_SIZE))
            }
        }
    };
}
pub(crate) use frontline_impl;
