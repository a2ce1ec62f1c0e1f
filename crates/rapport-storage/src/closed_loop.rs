//! Closed-loop storage: alert rules, cases and their history, outbound webhook deliveries and
//! post-service follow-ups. A supertrait of [`Storage`](crate::Storage), implemented for both
//! backends from one SQL text by [`closed_loop_impl!`]. Every case change, its history entry,
//! its audit row and the webhook deliveries it causes are written in one transaction, so an
//! acknowledged change can never lose its event.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rapport_domain::alerts::{AlertRule, AlertRuleSpec, Trigger};
use rapport_domain::cases::*;
use rapport_domain::followups::*;
use rapport_domain::voc::{InvitationId, ResponseId, SurveyId};
use rapport_domain::webhooks::*;
use rapport_domain::*;

use crate::{Actor, StorageError, StorageResult};

/// A delivery with what is needed to send it.
#[derive(Debug, Clone)]
pub struct DeliveryToSend {
    pub org_id: OrgId,
    pub delivery: Delivery,
    pub url: String,
    pub secret: String,
    pub webhook_active: bool,
}

/// A follow-up whose survey is due to be sent.
#[derive(Debug, Clone)]
pub struct DueSurveyFollowup {
    pub org_id: OrgId,
    pub task: FollowupTask,
    pub survey_id: SurveyId,
}

#[async_trait]
pub trait ClosedLoopStore: Send + Sync {
    // ---- service levels ----
    async fn sla_policy(&self, org: OrgId) -> StorageResult<SlaPolicy>;
    async fn set_sla_policy(&self, actor: Actor, policy: &SlaPolicy) -> StorageResult<()>;

    // ---- alert rules ----
    async fn list_alert_rules(&self, org: OrgId) -> StorageResult<Vec<AlertRule>>;
    async fn get_alert_rule(&self, org: OrgId, id: AlertRuleId) -> StorageResult<AlertRule>;
    async fn create_alert_rule(
        &self,
        actor: Actor,
        spec: &AlertRuleSpec,
    ) -> StorageResult<AlertRule>;
    async fn update_alert_rule(
        &self,
        actor: Actor,
        id: AlertRuleId,
        spec: &AlertRuleSpec,
    ) -> StorageResult<AlertRule>;
    async fn delete_alert_rule(&self, actor: Actor, id: AlertRuleId) -> StorageResult<()>;

    // ---- cases ----
    /// Opens a case; at most one per response (`false` when it existed already).
    async fn open_case(&self, actor: Actor, new: &NewCase) -> StorageResult<(Case, bool)>;
    async fn get_case(&self, org: OrgId, id: CaseId) -> StorageResult<Case>;
    /// A page of cases and the total that matched: open ones first, nearest deadline first.
    async fn list_cases(&self, org: OrgId, filter: &CaseFilter) -> StorageResult<(Vec<Case>, i64)>;
    async fn case_events(&self, org: OrgId, id: CaseId) -> StorageResult<Vec<CaseEvent>>;
    async fn transition_case(
        &self,
        actor: Actor,
        id: CaseId,
        t: &Transition,
        now: DateTime<Utc>,
    ) -> StorageResult<Case>;
    async fn add_case_note(
        &self,
        actor: Actor,
        id: CaseId,
        kind: NoteKind,
        body: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<CaseEvent>;
    async fn assign_case(
        &self,
        actor: Actor,
        id: CaseId,
        owner: UserId,
        now: DateTime<Utc>,
    ) -> StorageResult<Case>;
    async fn set_case_root_causes(
        &self,
        actor: Actor,
        id: CaseId,
        tags: &[String],
        now: DateTime<Utc>,
    ) -> StorageResult<Case>;
    /// Escalates every open case past a deadline and not yet escalated, in every organisation,
    /// to the owner's next manager. Safe to run from several workers at once: each case is
    /// escalated by exactly one of them.
    async fn escalate_breached_cases(&self, now: DateTime<Utc>) -> StorageResult<Vec<Case>>;
    async fn set_case_followup_invitation(
        &self,
        org: OrgId,
        id: CaseId,
        invitation: InvitationId,
    ) -> StorageResult<()>;
    /// When `response` answers a case's "did we make it right?" invitation, records its NPS on
    /// the case and returns the case.
    async fn record_case_followup(
        &self,
        org: OrgId,
        response: ResponseId,
    ) -> StorageResult<Option<CaseId>>;

    // ---- webhooks ----
    async fn create_webhook(
        &self,
        actor: Actor,
        spec: &WebhookSpec,
        secret: &str,
    ) -> StorageResult<Webhook>;
    async fn list_webhooks(&self, org: OrgId) -> StorageResult<Vec<Webhook>>;
    async fn get_webhook(&self, org: OrgId, id: WebhookId) -> StorageResult<Webhook>;
    async fn update_webhook(
        &self,
        actor: Actor,
        id: WebhookId,
        spec: &WebhookSpec,
    ) -> StorageResult<Webhook>;
    async fn delete_webhook(&self, actor: Actor, id: WebhookId) -> StorageResult<()>;
    /// Queues `event` for every active endpoint that subscribes to it; returns how many.
    /// With a `dedupe` key, an event already queued under that key is not queued again, so
    /// a retried job does not send it twice.
    async fn emit_event(
        &self,
        org: OrgId,
        event: &str,
        data: &serde_json::Value,
        dedupe: Option<&str>,
        now: DateTime<Utc>,
    ) -> StorageResult<u64>;
    async fn delivery_to_send(&self, id: i64) -> StorageResult<DeliveryToSend>;
    /// Logs one attempt and moves the delivery to `state`.
    async fn record_delivery_attempt(
        &self,
        id: i64,
        attempt: &DeliveryAttempt,
        state: DeliveryState,
    ) -> StorageResult<()>;
    async fn list_deliveries(
        &self,
        org: OrgId,
        webhook: WebhookId,
        state: Option<DeliveryState>,
        limit: i64,
    ) -> StorageResult<Vec<Delivery>>;
    async fn delivery_attempts(&self, org: OrgId, id: i64) -> StorageResult<Vec<DeliveryAttempt>>;
    /// Sends a delivery again (dead or not) with the same delivery id, for another 24 hours.
    async fn redeliver(&self, actor: Actor, id: i64, now: DateTime<Utc>)
        -> StorageResult<Delivery>;

    // ---- post-service follow-ups ----
    async fn set_followup_plan(&self, actor: Actor, plan: &FollowupPlan) -> StorageResult<()>;
    async fn delete_followup_plan(
        &self,
        actor: Actor,
        touchpoint: TouchpointId,
    ) -> StorageResult<()>;
    async fn list_followup_plans(&self, org: OrgId) -> StorageResult<Vec<FollowupPlan>>;
    /// Schedules (or moves later) the customer's follow-up after an interaction at `touchpoint`;
    /// `None` when the touchpoint has no plan.
    async fn schedule_followup(
        &self,
        org: OrgId,
        touchpoint: TouchpointId,
        customer: CustomerId,
        interaction_at: DateTime<Utc>,
    ) -> StorageResult<Option<FollowupId>>;
    async fn list_followups(
        &self,
        org: OrgId,
        owner: Option<UserId>,
        state: Option<FollowupState>,
        due_before: Option<DateTime<Utc>>,
        limit: i64,
    ) -> StorageResult<Vec<FollowupTask>>;
    async fn complete_followup(
        &self,
        actor: Actor,
        id: FollowupId,
        result: &FollowupResult,
        now: DateTime<Utc>,
    ) -> StorageResult<FollowupTask>;
    /// Claims due survey follow-ups (marks them surveyed) so each is sent once.
    async fn take_due_survey_followups(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StorageResult<Vec<DueSurveyFollowup>>;

    // ---- inbound helpdesk events ----
    async fn create_inbound_source(
        &self,
        actor: Actor,
        name: &str,
        public_id: &str,
        secret: &str,
        mapping: &InboundMapping,
    ) -> StorageResult<InboundSource>;
    async fn list_inbound_sources(&self, org: OrgId) -> StorageResult<Vec<InboundSource>>;
    async fn delete_inbound_source(&self, actor: Actor, id: i64) -> StorageResult<()>;
    /// The active source behind a public id, with its organisation and secret.
    async fn inbound_source_by_public_id(
        &self,
        public_id: &str,
    ) -> StorageResult<Option<(OrgId, InboundSource, String)>>;
    async fn customer_by_external_id(
        &self,
        org: OrgId,
        external_id: &str,
    ) -> StorageResult<Option<rapport_domain::model::Customer>>;
    async fn set_daily_digest(&self, org: OrgId, user: UserId, on: bool) -> StorageResult<()>;
    async fn daily_digest(&self, org: OrgId, user: UserId) -> StorageResult<bool>;
    /// Claims today's digest for every user who wants one and has not had it on `day`
    /// (`YYYY-MM-DD`); each user is returned to exactly one caller per day.
    async fn take_digests(&self, day: &str) -> StorageResult<Vec<(OrgId, UserId)>>;
    /// Records an event by the sender's id; `false` when it was seen before (do nothing again).
    async fn record_inbound_event(
        &self,
        source: i64,
        external_id: &str,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;
}

pub(crate) const CASE_COLS: &str = "id, org_id, title, state, outcome, priority, source, response_id, source_ref, \
    customer_id, touchpoint_id, agent_id, team_id, owner_id, triggers, root_causes, created_at, updated_at, \
    first_contact_at, first_contact_due, resolution_due, finished_at, close_reason, escalated_at, escalated_to, \
    original_nps, followup_nps";

#[derive(sqlx::FromRow)]
pub(crate) struct CaseRow {
    id: i64,
    org_id: i64,
    title: String,
    state: String,
    outcome: Option<String>,
    priority: String,
    source: String,
    response_id: Option<i64>,
    source_ref: Option<String>,
    customer_id: Option<i64>,
    touchpoint_id: Option<i64>,
    agent_id: Option<i64>,
    team_id: Option<i64>,
    owner_id: Option<i64>,
    triggers: String,
    root_causes: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    first_contact_at: Option<DateTime<Utc>>,
    first_contact_due: DateTime<Utc>,
    resolution_due: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    close_reason: Option<String>,
    escalated_at: Option<DateTime<Utc>>,
    escalated_to: Option<i64>,
    original_nps: Option<i32>,
    followup_nps: Option<i32>,
}

fn corrupt(what: &str) -> impl Fn(DomainError) -> StorageError + '_ {
    move |e| StorageError::Corrupt(format!("{what}: {e}"))
}

fn json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> StorageResult<T> {
    serde_json::from_str(s).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

impl CaseRow {
    pub fn into_domain(self) -> StorageResult<Case> {
        let triggers: Vec<Trigger> = json("case triggers", &self.triggers)?;
        Ok(Case {
            id: CaseId(self.id),
            org_id: OrgId(self.org_id),
            title: self.title,
            state: CaseState::parse("state", &self.state).map_err(corrupt("case"))?,
            outcome: self
                .outcome
                .map(|o| Outcome::parse("outcome", &o))
                .transpose()
                .map_err(corrupt("case"))?,
            priority: Priority::parse("priority", &self.priority).map_err(corrupt("case"))?,
            source: CaseSource::parse("source", &self.source).map_err(corrupt("case"))?,
            response_id: self.response_id.map(ResponseId),
            source_ref: self.source_ref,
            customer_id: self.customer_id.map(CustomerId),
            touchpoint_id: self.touchpoint_id.map(TouchpointId),
            agent_id: self.agent_id.map(UserId),
            team_id: self.team_id.map(TeamId),
            owner_id: self.owner_id.map(UserId),
            triggers,
            root_causes: json("case root causes", &self.root_causes)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            first_contact_at: self.first_contact_at,
            first_contact_due: self.first_contact_due,
            resolution_due: self.resolution_due,
            finished_at: self.finished_at,
            close_reason: self.close_reason,
            escalated_at: self.escalated_at,
            escalated_to: self.escalated_to.map(UserId),
            original_nps: self.original_nps,
            followup_nps: self.followup_nps,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: i64,
    case_id: i64,
    kind: String,
    from_state: Option<String>,
    to_state: Option<String>,
    note_kind: Option<String>,
    body: Option<String>,
    actor_id: Option<i64>,
    at: DateTime<Utc>,
}

impl EventRow {
    pub fn into_domain(self) -> StorageResult<CaseEvent> {
        let state = |s: Option<String>| {
            s.map(|s| CaseState::parse("state", &s))
                .transpose()
                .map_err(corrupt("case event"))
        };
        Ok(CaseEvent {
            id: self.id,
            case_id: CaseId(self.case_id),
            kind: self.kind,
            from_state: state(self.from_state)?,
            to_state: state(self.to_state)?,
            note_kind: self
                .note_kind
                .map(|k| NoteKind::parse("note_kind", &k))
                .transpose()
                .map_err(corrupt("case event"))?,
            body: self.body,
            actor_id: self.actor_id.map(UserId),
            at: self.at,
        })
    }
}

pub(crate) const DELIVERY_COLS: &str =
    "id, webhook_id, delivery_id, event, payload, state, attempts, last_status, \
    last_error, created_at, give_up_at, delivered_at";

#[derive(sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    id: i64,
    webhook_id: i64,
    delivery_id: String,
    event: String,
    payload: String,
    state: String,
    attempts: i32,
    last_status: Option<i32>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    give_up_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

impl DeliveryRow {
    pub fn into_domain(self) -> StorageResult<Delivery> {
        Ok(Delivery {
            id: self.id,
            webhook_id: WebhookId(self.webhook_id),
            delivery_id: self.delivery_id,
            event: self.event,
            payload: json("delivery payload", &self.payload)?,
            state: DeliveryState::parse("state", &self.state).map_err(corrupt("delivery"))?,
            attempts: self.attempts,
            last_status: self.last_status,
            last_error: self.last_error,
            created_at: self.created_at,
            give_up_at: self.give_up_at,
            delivered_at: self.delivered_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct WebhookRow {
    id: i64,
    org_id: i64,
    url: String,
    description: String,
    events: String,
    active: bool,
    created_at: DateTime<Utc>,
}

impl WebhookRow {
    pub fn into_domain(self) -> Webhook {
        Webhook {
            id: WebhookId(self.id),
            org_id: OrgId(self.org_id),
            spec: WebhookSpec {
                url: self.url,
                description: self.description,
                events: self
                    .events
                    .split(',')
                    .filter(|e| !e.is_empty())
                    .map(str::to_string)
                    .collect(),
                active: self.active,
            },
            created_at: self.created_at,
        }
    }
}

/// Events stored as `,a,b,` so one `LIKE '%,name,%'` finds subscribers on both backends.
pub(crate) fn events_column(events: &[String]) -> String {
    format!(",{},", events.join(","))
}

pub(crate) const FOLLOWUP_COLS: &str = "t.id, t.touchpoint_id, t.customer_id, t.owner_id, p.mode, \
    t.last_interaction_at, t.due_at, t.state, t.outcome, t.completed_at";

#[derive(sqlx::FromRow)]
pub(crate) struct FollowupRow {
    id: i64,
    touchpoint_id: i64,
    customer_id: i64,
    owner_id: Option<i64>,
    mode: String,
    last_interaction_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    state: String,
    outcome: Option<String>,
    completed_at: Option<DateTime<Utc>>,
}

impl FollowupRow {
    pub fn into_domain(self) -> StorageResult<FollowupTask> {
        Ok(FollowupTask {
            id: FollowupId(self.id),
            touchpoint_id: TouchpointId(self.touchpoint_id),
            customer_id: CustomerId(self.customer_id),
            owner_id: self.owner_id.map(UserId),
            mode: FollowupMode::parse("mode", &self.mode).map_err(corrupt("follow-up"))?,
            last_interaction_at: self.last_interaction_at,
            due_at: self.due_at,
            state: FollowupState::parse("state", &self.state).map_err(corrupt("follow-up"))?,
            outcome: self.outcome,
            completed_at: self.completed_at,
        })
    }
}

/// The role that handles an escalation from an owner with `role`, in order of preference.
pub(crate) fn escalation_roles(role: &str) -> &'static [&'static str] {
    match role {
        "agent" | "viewer" => &["team_lead", "cx_manager", "admin"],
        "team_lead" => &["cx_manager", "admin"],
        _ => &["admin"],
    }
}

/// `Storage`-side SQL for [`ClosedLoopStore`], expanded in each backend's module after
/// `storage_impl!` (whose helpers `audit`, `ensure_in_org` and `Tx` it uses).
macro_rules! closed_loop_impl {
    ($store:ident) => {
        use rapport_domain::alerts::{AlertRule, AlertRuleSpec};
        use rapport_domain::cases::*;
        use rapport_domain::followups::*;
        use rapport_domain::webhooks::*;
        use $crate::closed_loop::*;

        /// Reads a case inside a transaction, so events carry the state just written.
        async fn cl_case(tx: &mut Tx, org: OrgId, id: CaseId) -> StorageResult<Case> {
            let sql = format!("SELECT {CASE_COLS} FROM cases WHERE id = $1 AND org_id = $2");
            sqlx::query_as::<_, CaseRow>(&sql)
                .bind(id.0)
                .bind(org.0)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or(StorageError::NotFound { entity: "case" })?
                .into_domain()
        }

        /// Queues a webhook delivery (and the job that sends it) for every subscriber.
        async fn cl_emit(tx: &mut Tx, org: OrgId, event: &str, data: &serde_json::Value, dedupe: Option<&str>, now: DateTime<Utc>) -> StorageResult<u64> {
            let hooks: Vec<(i64,)> = sqlx::query_as(
                "SELECT id FROM webhooks WHERE org_id = $1 AND active = TRUE AND (events LIKE $2 OR events LIKE '%,*,%') ORDER BY id",
            )
            .bind(org.0)
            .bind(format!("%,{event},%"))
            .fetch_all(&mut **tx)
            .await?;
            let payload = data.to_string();
            let mut queued = 0;
            for (hook,) in &hooks {
                let inserted: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO webhook_deliveries (org_id, webhook_id, delivery_id, event, payload, state, attempts, created_at, give_up_at, dedupe_key) \
                     VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $8) ON CONFLICT (webhook_id, dedupe_key) DO NOTHING RETURNING id",
                )
                .bind(org.0)
                .bind(hook)
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(event)
                .bind(&payload)
                .bind(now)
                .bind(now + chrono::Duration::hours(RETRY_HOURS))
                .bind(dedupe)
                .fetch_optional(&mut **tx)
                .await?;
                if let Some((id,)) = inserted {
                    cl_job(tx, org, "deliver_webhook", json!({ "delivery": id }), now).await?;
                    queued += 1;
                }
            }
            Ok(queued)
        }

        async fn cl_job(tx: &mut Tx, org: OrgId, kind: &str, payload: serde_json::Value, now: DateTime<Utc>) -> StorageResult<()> {
            sqlx::query(
                "INSERT INTO jobs (org_id, kind, payload, state, attempts, max_attempts, run_at, created_at) \
                 VALUES ($1, $2, $3, 'queued', 0, 100, $4, $4)",
            )
            .bind(org.0)
            .bind(kind)
            .bind(payload.to_string())
            .bind(now)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        #[allow(clippy::too_many_arguments)]
        async fn cl_event(
            tx: &mut Tx,
            org: OrgId,
            case: CaseId,
            kind: &str,
            from: Option<CaseState>,
            to: Option<CaseState>,
            note: Option<NoteKind>,
            body: Option<&str>,
            actor: Option<UserId>,
            now: DateTime<Utc>,
        ) -> StorageResult<CaseEvent> {
            let sql = "INSERT INTO case_events (org_id, case_id, kind, from_state, to_state, note_kind, body, actor_id, at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                       RETURNING id, case_id, kind, from_state, to_state, note_kind, body, actor_id, at";
            sqlx::query_as::<_, EventRow>(sql)
                .bind(org.0)
                .bind(case.0)
                .bind(kind)
                .bind(from.map(|s| s.as_str()))
                .bind(to.map(|s| s.as_str()))
                .bind(note.map(|k| k.as_str()))
                .bind(body)
                .bind(actor.map(|u| u.0))
                .bind(now)
                .fetch_one(&mut **tx)
                .await?
                .into_domain()
        }

        /// Records a change to a case: history, audit, `updated_at`, and the webhook event.
        async fn cl_touch(tx: &mut Tx, actor: Actor, id: CaseId, action: &str, now: DateTime<Utc>) -> StorageResult<Case> {
            sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2").bind(now).bind(id.0).execute(&mut **tx).await?;
            let case = cl_case(tx, actor.org_id, id).await?;
            audit(tx, actor, action, "case", id, json!({ "state": case.state })).await?;
            let event = if case.state.is_open() || action != "transition" { "case.updated" } else { "case.closed" };
            cl_emit(tx, actor.org_id, event, &json!(case), None, now).await?;
            Ok(case)
        }

        async fn cl_next_manager(tx: &mut Tx, org: OrgId, owner: Option<UserId>) -> StorageResult<Option<UserId>> {
            let (role, lead): (String, Option<i64>) = match owner {
                Some(o) => sqlx::query_as(
                    "SELECT u.role, t.lead_id FROM users u LEFT JOIN teams t ON t.id = u.team_id WHERE u.id = $1 AND u.org_id = $2",
                )
                .bind(o.0)
                .bind(org.0)
                .fetch_optional(&mut **tx)
                .await?
                .unwrap_or(("agent".to_string(), None)),
                None => ("agent".to_string(), None),
            };
            for wanted in escalation_roles(&role) {
                if *wanted == "team_lead" {
                    if let Some(l) = lead.filter(|l| Some(UserId(*l)) != owner) {
                        return Ok(Some(UserId(l)));
                    }
                    continue;
                }
                let found: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM users WHERE org_id = $1 AND role = $2 AND active = TRUE AND id <> $3 ORDER BY id LIMIT 1",
                )
                .bind(org.0)
                .bind(*wanted)
                .bind(owner.map(|o| o.0).unwrap_or(0))
                .fetch_optional(&mut **tx)
                .await?;
                if let Some((id,)) = found {
                    return Ok(Some(UserId(id)));
                }
            }
            Ok(None)
        }

        #[async_trait]
        impl ClosedLoopStore for $store {
            async fn sla_policy(&self, org: OrgId) -> StorageResult<SlaPolicy> {
                let (p,): (Option<String>,) = sqlx::query_as("SELECT sla_policy FROM organisations WHERE id = $1")
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StorageError::NotFound { entity: "organisation" })?;
                match p {
                    Some(p) => serde_json::from_str(&p).map_err(|e| StorageError::Corrupt(format!("sla policy: {e}"))),
                    None => Ok(SlaPolicy::default()),
                }
            }

            async fn set_sla_policy(&self, actor: Actor, policy: &SlaPolicy) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query("UPDATE organisations SET sla_policy = $1 WHERE id = $2")
                    .bind(json!(policy).to_string())
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                audit(&mut tx, actor, "update_sla", "organisation", actor.org_id, json!(policy)).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_alert_rules(&self, org: OrgId) -> StorageResult<Vec<AlertRule>> {
                let rows: Vec<(i64, String, DateTime<Utc>)> =
                    sqlx::query_as("SELECT id, spec, created_at FROM alert_rules WHERE org_id = $1 ORDER BY id")
                        .bind(org.0)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map(|(id, spec, created_at)| {
                        Ok(AlertRule { id: AlertRuleId(id), org_id: org, spec: serde_json::from_str(&spec).map_err(|e| StorageError::Corrupt(format!("alert rule: {e}")))?, created_at })
                    })
                    .collect()
            }

            async fn get_alert_rule(&self, org: OrgId, id: AlertRuleId) -> StorageResult<AlertRule> {
                self.list_alert_rules(org).await?.into_iter().find(|r| r.id == id).ok_or(StorageError::NotFound { entity: "alert rule" })
            }

            async fn create_alert_rule(&self, actor: Actor, spec: &AlertRuleSpec) -> StorageResult<AlertRule> {
                let mut tx = self.begin().await?;
                for (field, id) in [("stage_id", spec.stage_id.map(|s| s.0)), ("touchpoint_id", spec.touchpoint_id.map(|t| t.0))] {
                    if let Some(id) = id {
                        ensure_in_org(&mut tx, if field == "stage_id" { "stages" } else { "touchpoints" }, field, id, actor.org_id).await?;
                    }
                }
                let now = Utc::now();
                let (id,): (i64,) = sqlx::query_as("INSERT INTO alert_rules (org_id, spec, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id")
                    .bind(actor.org_id.0)
                    .bind(json!(spec).to_string())
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                audit(&mut tx, actor, "create", "alert_rule", id, json!(spec)).await?;
                tx.commit().await?;
                self.get_alert_rule(actor.org_id, AlertRuleId(id)).await
            }

            async fn update_alert_rule(&self, actor: Actor, id: AlertRuleId, spec: &AlertRuleSpec) -> StorageResult<AlertRule> {
                let mut tx = self.begin().await?;
                for (field, fid) in [("stage_id", spec.stage_id.map(|s| s.0)), ("touchpoint_id", spec.touchpoint_id.map(|t| t.0))] {
                    if let Some(fid) = fid {
                        ensure_in_org(&mut tx, if field == "stage_id" { "stages" } else { "touchpoints" }, field, fid, actor.org_id).await?;
                    }
                }
                let done = sqlx::query("UPDATE alert_rules SET spec = $1, updated_at = $2 WHERE id = $3 AND org_id = $4")
                    .bind(json!(spec).to_string())
                    .bind(Utc::now())
                    .bind(id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "alert rule" });
                }
                audit(&mut tx, actor, "update", "alert_rule", id, json!(spec)).await?;
                tx.commit().await?;
                self.get_alert_rule(actor.org_id, id).await
            }

            async fn delete_alert_rule(&self, actor: Actor, id: AlertRuleId) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("DELETE FROM alert_rules WHERE id = $1 AND org_id = $2")
                    .bind(id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "alert rule" });
                }
                audit(&mut tx, actor, "delete", "alert_rule", id, json!({})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn open_case(&self, actor: Actor, new: &NewCase) -> StorageResult<(Case, bool)> {
                let org = actor.org_id;
                let mut tx = self.begin().await?;
                if let Some(r) = new.response_id {
                    let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM cases WHERE response_id = $1 AND org_id = $2")
                        .bind(r.0)
                        .bind(org.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if let Some((id,)) = found {
                        let case = cl_case(&mut tx, org, CaseId(id)).await?;
                        tx.commit().await?;
                        return Ok((case, false));
                    }
                    ensure_in_org(&mut tx, "responses", "response_id", r.0, org).await?;
                }
                for (table, field, id) in [
                    ("customers", "customer_id", new.customer_id.map(|c| c.0)),
                    ("touchpoints", "touchpoint_id", new.touchpoint_id.map(|t| t.0)),
                    ("users", "agent_id", new.agent_id.map(|u| u.0)),
                    ("users", "owner_id", new.owner_id.map(|u| u.0)),
                ] {
                    if let Some(id) = id {
                        ensure_in_org(&mut tx, table, field, id, org).await?;
                    }
                }
                let (team, lead): (Option<i64>, Option<i64>) = match new.agent_id {
                    Some(a) => sqlx::query_as("SELECT u.team_id, t.lead_id FROM users u LEFT JOIN teams t ON t.id = u.team_id WHERE u.id = $1")
                        .bind(a.0)
                        .fetch_one(&mut *tx)
                        .await?,
                    None => (None, None),
                };
                let tp_owner: Option<i64> = match new.touchpoint_id {
                    Some(t) => sqlx::query_as::<_, (Option<i64>,)>("SELECT owner_id FROM touchpoints WHERE id = $1")
                        .bind(t.0)
                        .fetch_one(&mut *tx)
                        .await?
                        .0,
                    None => None,
                };
                let owner = new.owner_id.map(|o| o.0).or(tp_owner).or(lead);
                let policy = {
                    let (p,): (Option<String>,) = sqlx::query_as("SELECT sla_policy FROM organisations WHERE id = $1")
                        .bind(org.0)
                        .fetch_one(&mut *tx)
                        .await?;
                    p.and_then(|p| serde_json::from_str::<SlaPolicy>(&p).ok()).unwrap_or_default()
                };
                let (fc_due, res_due) = policy.deadlines(new.priority, new.opened_at);
                let now = Utc::now();
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO cases (org_id, title, state, priority, source, response_id, source_ref, customer_id, touchpoint_id, \
                     agent_id, team_id, owner_id, triggers, root_causes, created_at, updated_at, first_contact_due, resolution_due, original_nps) \
                     VALUES ($1, $2, 'new', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '[]', $13, $13, $14, $15, $16) RETURNING id",
                )
                .bind(org.0)
                .bind(new.title.trim())
                .bind(new.priority.as_str())
                .bind(new.source.as_str())
                .bind(new.response_id.map(|r| r.0))
                .bind(new.source_ref.as_deref())
                .bind(new.customer_id.map(|c| c.0))
                .bind(new.touchpoint_id.map(|t| t.0))
                .bind(new.agent_id.map(|a| a.0))
                .bind(team)
                .bind(owner)
                .bind(json!(new.triggers).to_string())
                .bind(new.opened_at)
                .bind(fc_due)
                .bind(res_due)
                .bind(new.original_nps)
                .fetch_one(&mut *tx)
                .await?;
                let id = CaseId(id);
                cl_event(&mut tx, org, id, "opened", None, Some(CaseState::New), None, None, actor.user_id, now).await?;
                audit(&mut tx, actor, "create", "case", id, json!({ "source": new.source, "response_id": new.response_id })).await?;
                let case = cl_case(&mut tx, org, id).await?;
                cl_emit(&mut tx, org, "case.created", &json!(case), None, now).await?;
                if new.notify_owner && case.owner_id.is_some() {
                    cl_job(&mut tx, org, "notify_case", json!({ "case_id": id, "reason": "new" }), now).await?;
                }
                tx.commit().await?;
                Ok((case, true))
            }

            async fn get_case(&self, org: OrgId, id: CaseId) -> StorageResult<Case> {
                let sql = format!("SELECT {CASE_COLS} FROM cases WHERE id = $1 AND org_id = $2");
                sqlx::query_as::<_, CaseRow>(&sql)
                    .bind(id.0)
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StorageError::NotFound { entity: "case" })?
                    .into_domain()
            }

            async fn list_cases(&self, org: OrgId, f: &CaseFilter) -> StorageResult<(Vec<Case>, i64)> {
                use $crate::sql_voc::FilterValue as V;
                let mut cond = vec!["org_id = $1".to_string()];
                let mut vals: Vec<V> = Vec::new();
                let mut push = |sql: &str, v: V, cond: &mut Vec<String>| {
                    vals.push(v);
                    cond.push(sql.replace('?', &format!("${}", vals.len() + 1)));
                };
                if let Some(s) = f.state {
                    push("state = ?", V::Text(s.as_str().into()), &mut cond);
                }
                if f.open_only {
                    cond.push("finished_at IS NULL".into());
                }
                if let Some(o) = f.owner_id {
                    push("owner_id = ?", V::Int(o.0), &mut cond);
                }
                if let Some(t) = f.touchpoint_id {
                    push("touchpoint_id = ?", V::Int(t.0), &mut cond);
                }
                if let Some(t) = f.team_id {
                    push("team_id = ?", V::Int(t.0), &mut cond);
                }
                if let Some(c) = f.customer_id {
                    push("customer_id = ?", V::Int(c.0), &mut cond);
                }
                if let Some(t) = f.opened_from {
                    push("created_at >= ?", V::Time(t), &mut cond);
                }
                if let Some(t) = f.opened_to {
                    push("created_at < ?", V::Time(t), &mut cond);
                }
                if let Some(t) = f.breached_at {
                    // The same rule as `Case::sla`: one clock stops at first contact (or at
                    // closing without contact), the other at resolution.
                    vals.push(V::Time(t));
                    vals.push(V::Time(t));
                    let (a, b) = (vals.len(), vals.len() + 1);
                    cond.push(format!(
                        "(COALESCE(first_contact_at, finished_at, ${a}) > first_contact_due OR COALESCE(finished_at, ${b}) > resolution_due)"
                    ));
                }
                let where_sql = cond.join(" AND ");
                let count_sql = format!("SELECT COUNT(*) FROM cases WHERE {where_sql}");
                let (total,): (i64,) = $crate::sql_voc::bind_filter!(sqlx::query_as(&count_sql).bind(org.0), &vals)
                    .fetch_one(&self.pool)
                    .await?;
                let n = vals.len();
                let sql = format!(
                    "SELECT {CASE_COLS} FROM cases WHERE {where_sql} \
                     ORDER BY CASE WHEN finished_at IS NULL THEN 0 ELSE 1 END, \
                     CASE WHEN finished_at IS NULL THEN (CASE WHEN first_contact_at IS NULL THEN first_contact_due ELSE resolution_due END) END, \
                     id DESC LIMIT ${} OFFSET ${}",
                    n + 2,
                    n + 3
                );
                let rows: Vec<CaseRow> = $crate::sql_voc::bind_filter!(sqlx::query_as(&sql).bind(org.0), &vals)
                    .bind(f.limit.clamp(1, 10_000))
                    .bind(f.offset.max(0))
                    .fetch_all(&self.pool)
                    .await?;
                let cases = rows.into_iter().map(CaseRow::into_domain).collect::<StorageResult<Vec<_>>>()?;
                Ok((cases, total))
            }

            async fn case_events(&self, org: OrgId, id: CaseId) -> StorageResult<Vec<CaseEvent>> {
                let rows: Vec<EventRow> = sqlx::query_as(
                    "SELECT id, case_id, kind, from_state, to_state, note_kind, body, actor_id, at FROM case_events \
                     WHERE case_id = $1 AND org_id = $2 ORDER BY id",
                )
                .bind(id.0)
                .bind(org.0)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(EventRow::into_domain).collect()
            }

            async fn transition_case(&self, actor: Actor, id: CaseId, t: &Transition, now: DateTime<Utc>) -> StorageResult<Case> {
                let mut tx = self.begin().await?;
                let case = cl_case(&mut tx, actor.org_id, id).await?;
                t.check(case.state).map_err(|e| StorageError::Invalid {
                    field: match e.field.as_str() {
                        "outcome" => "outcome",
                        "reason" => "reason",
                        _ => "to",
                    },
                    message: e.reason,
                })?;
                let finished = !t.to.is_open();
                let reason = t.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
                // The state in the WHERE makes a concurrent change lose cleanly instead of
                // overwriting: PostgreSQL and SQLite both see the row as it is now.
                let done = sqlx::query(
                    "UPDATE cases SET state = $1, outcome = $2, close_reason = $3, \
                     first_contact_at = CASE WHEN $4 AND first_contact_at IS NULL THEN $5 ELSE first_contact_at END, \
                     finished_at = CASE WHEN $6 THEN $5 ELSE NULL END \
                     WHERE id = $7 AND org_id = $8 AND state = $9",
                )
                .bind(t.to.as_str())
                .bind(t.outcome.map(|o| o.as_str()))
                .bind(if t.to == CaseState::Closed { reason } else { None })
                .bind(t.is_contact())
                .bind(now)
                .bind(finished)
                .bind(id.0)
                .bind(actor.org_id.0)
                .bind(case.state.as_str())
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::Conflict { field: "to", message: "the case changed meanwhile; reload and try again".into() });
                }
                let body = match (t.outcome, reason) {
                    (Some(o), Some(r)) => Some(format!("{}: {r}", o.as_str())),
                    (Some(o), None) => Some(o.as_str().to_string()),
                    (None, r) => r.map(str::to_string),
                };
                cl_event(&mut tx, actor.org_id, id, "transition", Some(case.state), Some(t.to), None, body.as_deref(), actor.user_id, now).await?;
                if t.to == CaseState::Resolved {
                    // "Did we make it right?" goes out from a job, queued with the change.
                    cl_job(&mut tx, actor.org_id, "case_followup", json!({ "case_id": id }), now).await?;
                }
                let case = cl_touch(&mut tx, actor, id, "transition", now).await?;
                tx.commit().await?;
                Ok(case)
            }

            async fn add_case_note(&self, actor: Actor, id: CaseId, kind: NoteKind, body: &str, now: DateTime<Utc>) -> StorageResult<CaseEvent> {
                let body = body.trim();
                if body.is_empty() || body.chars().count() > 10_000 {
                    return Err(StorageError::Invalid { field: "body", message: "write 1 to 10,000 characters".into() });
                }
                let mut tx = self.begin().await?;
                cl_case(&mut tx, actor.org_id, id).await?;
                let ev = cl_event(&mut tx, actor.org_id, id, "note", None, None, Some(kind), Some(body), actor.user_id, now).await?;
                cl_touch(&mut tx, actor, id, "note", now).await?;
                tx.commit().await?;
                Ok(ev)
            }

            async fn assign_case(&self, actor: Actor, id: CaseId, owner: UserId, now: DateTime<Utc>) -> StorageResult<Case> {
                let mut tx = self.begin().await?;
                let case = cl_case(&mut tx, actor.org_id, id).await?;
                let ok: Option<(bool,)> = sqlx::query_as("SELECT active FROM users WHERE id = $1 AND org_id = $2")
                    .bind(owner.0)
                    .bind(actor.org_id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                if !matches!(ok, Some((true,))) {
                    return Err(StorageError::Invalid { field: "owner_id", message: "no such active user in this organisation".into() });
                }
                sqlx::query("UPDATE cases SET owner_id = $1 WHERE id = $2").bind(owner.0).bind(id.0).execute(&mut *tx).await?;
                let body = format!("{} → {}", case.owner_id.map(|o| o.to_string()).unwrap_or_else(|| "-".into()), owner);
                cl_event(&mut tx, actor.org_id, id, "assign", None, None, None, Some(&body), actor.user_id, now).await?;
                let case = cl_touch(&mut tx, actor, id, "assign", now).await?;
                if Some(owner) != actor.user_id {
                    cl_job(&mut tx, actor.org_id, "notify_case", json!({ "case_id": id, "reason": "assigned" }), now).await?;
                }
                tx.commit().await?;
                Ok(case)
            }

            async fn set_case_root_causes(&self, actor: Actor, id: CaseId, tags: &[String], now: DateTime<Utc>) -> StorageResult<Case> {
                let mut tx = self.begin().await?;
                cl_case(&mut tx, actor.org_id, id).await?;
                sqlx::query("UPDATE cases SET root_causes = $1 WHERE id = $2")
                    .bind(json!(tags).to_string())
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                cl_event(&mut tx, actor.org_id, id, "tag", None, None, None, Some(&tags.join(", ")), actor.user_id, now).await?;
                let case = cl_touch(&mut tx, actor, id, "tag", now).await?;
                tx.commit().await?;
                Ok(case)
            }

            async fn escalate_breached_cases(&self, now: DateTime<Utc>) -> StorageResult<Vec<Case>> {
                let due: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT id, org_id FROM cases WHERE finished_at IS NULL AND escalated_at IS NULL \
                     AND ((first_contact_at IS NULL AND first_contact_due < $1) OR resolution_due < $1) ORDER BY id LIMIT 500",
                )
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::new();
                for (id, org) in due {
                    let (org, id) = (OrgId(org), CaseId(id));
                    let mut tx = self.begin().await?;
                    let won = sqlx::query("UPDATE cases SET escalated_at = $1 WHERE id = $2 AND escalated_at IS NULL")
                        .bind(now)
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await?;
                    if won.rows_affected() == 0 {
                        continue; // another worker took it
                    }
                    let case = cl_case(&mut tx, org, id).await?;
                    let to = cl_next_manager(&mut tx, org, case.owner_id).await?;
                    sqlx::query("UPDATE cases SET escalated_to = $1 WHERE id = $2").bind(to.map(|u| u.0)).bind(id.0).execute(&mut *tx).await?;
                    let body = to.map(|u| u.to_string());
                    cl_event(&mut tx, org, id, "escalate", None, None, None, body.as_deref(), None, now).await?;
                    let case = cl_touch(&mut tx, Actor::system(org), id, "escalate", now).await?;
                    cl_job(&mut tx, org, "notify_case", json!({ "case_id": id, "reason": "breach" }), now).await?;
                    tx.commit().await?;
                    out.push(case);
                }
                Ok(out)
            }

            async fn set_case_followup_invitation(&self, org: OrgId, id: CaseId, invitation: InvitationId) -> StorageResult<()> {
                let done = sqlx::query("UPDATE cases SET followup_invitation_id = $1 WHERE id = $2 AND org_id = $3")
                    .bind(invitation.0)
                    .bind(id.0)
                    .bind(org.0)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "case" });
                }
                Ok(())
            }

            async fn record_case_followup(&self, org: OrgId, response: ResponseId) -> StorageResult<Option<CaseId>> {
                let mut tx = self.begin().await?;
                let found: Option<(i64, Option<i32>)> = sqlx::query_as(
                    "SELECT c.id, r.nps FROM responses r JOIN cases c ON c.followup_invitation_id = r.invitation_id \
                     WHERE r.id = $1 AND r.org_id = $2 AND c.org_id = $2",
                )
                .bind(response.0)
                .bind(org.0)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((id, nps)) = found else {
                    return Ok(None);
                };
                sqlx::query("UPDATE cases SET followup_nps = $1 WHERE id = $2").bind(nps).bind(id).execute(&mut *tx).await?;
                let now = Utc::now();
                let body = nps.map(|n| n.to_string());
                cl_event(&mut tx, org, CaseId(id), "followup", None, None, None, body.as_deref(), None, now).await?;
                cl_touch(&mut tx, Actor::system(org), CaseId(id), "followup", now).await?;
                tx.commit().await?;
                Ok(Some(CaseId(id)))
            }

            async fn create_webhook(&self, actor: Actor, spec: &WebhookSpec, secret: &str) -> StorageResult<Webhook> {
                let mut tx = self.begin().await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO webhooks (org_id, url, description, events, secret, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(actor.org_id.0)
                .bind(spec.url.trim())
                .bind(spec.description.trim())
                .bind(events_column(&spec.events))
                .bind(secret)
                .bind(spec.active)
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await?;
                audit(&mut tx, actor, "create", "webhook", id, json!({ "url": spec.url, "events": spec.events })).await?;
                tx.commit().await?;
                self.get_webhook(actor.org_id, WebhookId(id)).await
            }

            async fn list_webhooks(&self, org: OrgId) -> StorageResult<Vec<Webhook>> {
                let rows: Vec<WebhookRow> = sqlx::query_as(
                    "SELECT id, org_id, url, description, events, active, created_at FROM webhooks WHERE org_id = $1 ORDER BY id",
                )
                .bind(org.0)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(WebhookRow::into_domain).collect())
            }

            async fn get_webhook(&self, org: OrgId, id: WebhookId) -> StorageResult<Webhook> {
                self.list_webhooks(org).await?.into_iter().find(|w| w.id == id).ok_or(StorageError::NotFound { entity: "webhook" })
            }

            async fn update_webhook(&self, actor: Actor, id: WebhookId, spec: &WebhookSpec) -> StorageResult<Webhook> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("UPDATE webhooks SET url = $1, description = $2, events = $3, active = $4 WHERE id = $5 AND org_id = $6")
                    .bind(spec.url.trim())
                    .bind(spec.description.trim())
                    .bind(events_column(&spec.events))
                    .bind(spec.active)
                    .bind(id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "webhook" });
                }
                audit(&mut tx, actor, "update", "webhook", id, json!({ "url": spec.url, "events": spec.events, "active": spec.active })).await?;
                tx.commit().await?;
                self.get_webhook(actor.org_id, id).await
            }

            async fn delete_webhook(&self, actor: Actor, id: WebhookId) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND org_id = $2").bind(id.0).bind(actor.org_id.0).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "webhook" });
                }
                audit(&mut tx, actor, "delete", "webhook", id, json!({})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn emit_event(&self, org: OrgId, event: &str, data: &serde_json::Value, dedupe: Option<&str>, now: DateTime<Utc>) -> StorageResult<u64> {
                let mut tx = self.begin().await?;
                let n = cl_emit(&mut tx, org, event, data, dedupe, now).await?;
                tx.commit().await?;
                Ok(n)
            }

            async fn delivery_to_send(&self, id: i64) -> StorageResult<DeliveryToSend> {
                let sql = format!(
                    "SELECT d.org_id, w.url, w.secret, w.active, {} FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1",
                    DELIVERY_COLS.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ")
                );
                let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?.ok_or(StorageError::NotFound { entity: "delivery" })?;
                use sqlx::Row;
                let delivery = <DeliveryRow as sqlx::FromRow<_>>::from_row(&row)?.into_domain()?;
                Ok(DeliveryToSend {
                    org_id: OrgId(row.try_get("org_id")?),
                    url: row.try_get("url")?,
                    secret: row.try_get("secret")?,
                    webhook_active: row.try_get("active")?,
                    delivery,
                })
            }

            async fn record_delivery_attempt(&self, id: i64, a: &DeliveryAttempt, state: DeliveryState) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query("INSERT INTO webhook_attempts (delivery_id, at, status, error, duration_ms) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id)
                    .bind(a.at)
                    .bind(a.status)
                    .bind(a.error.as_deref())
                    .bind(a.duration_ms)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $1, last_error = $2, state = $3, \
                     delivered_at = CASE WHEN $3 = 'delivered' THEN $4 ELSE delivered_at END WHERE id = $5",
                )
                .bind(a.status)
                .bind(a.error.as_deref())
                .bind(state.as_str())
                .bind(a.at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_deliveries(&self, org: OrgId, webhook: WebhookId, state: Option<DeliveryState>, limit: i64) -> StorageResult<Vec<Delivery>> {
                let sql = format!(
                    "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE org_id = $1 AND webhook_id = $2 AND ($3 IS NULL OR state = $3) ORDER BY id DESC LIMIT $4"
                );
                let rows: Vec<DeliveryRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(webhook.0)
                    .bind(state.map(|s| s.as_str()))
                    .bind(limit.clamp(1, 1000))
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(DeliveryRow::into_domain).collect()
            }

            async fn delivery_attempts(&self, org: OrgId, id: i64) -> StorageResult<Vec<DeliveryAttempt>> {
                let rows: Vec<(DateTime<Utc>, Option<i32>, Option<String>, i64)> = sqlx::query_as(
                    "SELECT a.at, a.status, a.error, a.duration_ms FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
                     WHERE a.delivery_id = $1 AND d.org_id = $2 ORDER BY a.id",
                )
                .bind(id)
                .bind(org.0)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(at, status, error, duration_ms)| DeliveryAttempt { at, status, error, duration_ms }).collect())
            }

            async fn redeliver(&self, actor: Actor, id: i64, now: DateTime<Utc>) -> StorageResult<Delivery> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("UPDATE webhook_deliveries SET state = 'pending', give_up_at = $1 WHERE id = $2 AND org_id = $3")
                    .bind(now + chrono::Duration::hours(RETRY_HOURS))
                    .bind(id)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "delivery" });
                }
                cl_job(&mut tx, actor.org_id, "deliver_webhook", json!({ "delivery": id }), now).await?;
                audit(&mut tx, actor, "redeliver", "webhook_delivery", id, json!({})).await?;
                let sql = format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE id = $1");
                let d = sqlx::query_as::<_, DeliveryRow>(&sql).bind(id).fetch_one(&mut *tx).await?.into_domain()?;
                tx.commit().await?;
                Ok(d)
            }

            async fn set_followup_plan(&self, actor: Actor, plan: &FollowupPlan) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                ensure_in_org(&mut tx, "touchpoints", "touchpoint_id", plan.touchpoint_id.0, actor.org_id).await?;
                if let Some(s) = plan.survey_id {
                    ensure_in_org(&mut tx, "surveys", "survey_id", s.0, actor.org_id).await?;
                }
                // Update in place: replacing the row would cascade away its scheduled tasks.
                let updated = sqlx::query("UPDATE followup_plans SET after_days = $1, mode = $2, survey_id = $3 WHERE touchpoint_id = $4 AND org_id = $5")
                    .bind(plan.after_days)
                    .bind(plan.mode.as_str())
                    .bind(plan.survey_id.map(|s| s.0))
                    .bind(plan.touchpoint_id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if updated.rows_affected() == 0 {
                    sqlx::query("INSERT INTO followup_plans (org_id, touchpoint_id, after_days, mode, survey_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(actor.org_id.0)
                        .bind(plan.touchpoint_id.0)
                        .bind(plan.after_days)
                        .bind(plan.mode.as_str())
                        .bind(plan.survey_id.map(|s| s.0))
                        .bind(Utc::now())
                        .execute(&mut *tx)
                        .await?;
                }
                audit(&mut tx, actor, "set_followup_plan", "touchpoint", plan.touchpoint_id, json!(plan)).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn delete_followup_plan(&self, actor: Actor, touchpoint: TouchpointId) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("DELETE FROM followup_plans WHERE touchpoint_id = $1 AND org_id = $2")
                    .bind(touchpoint.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "follow-up plan" });
                }
                audit(&mut tx, actor, "delete_followup_plan", "touchpoint", touchpoint, json!({})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_followup_plans(&self, org: OrgId) -> StorageResult<Vec<FollowupPlan>> {
                let rows: Vec<(i64, i32, String, Option<i64>)> = sqlx::query_as(
                    "SELECT touchpoint_id, after_days, mode, survey_id FROM followup_plans WHERE org_id = $1 ORDER BY touchpoint_id",
                )
                .bind(org.0)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(t, d, m, s)| {
                        Ok(FollowupPlan {
                            touchpoint_id: TouchpointId(t),
                            after_days: d,
                            mode: FollowupMode::parse("mode", &m).map_err(|e| StorageError::Corrupt(e.to_string()))?,
                            survey_id: s.map(SurveyId),
                        })
                    })
                    .collect()
            }

            async fn schedule_followup(&self, org: OrgId, touchpoint: TouchpointId, customer: CustomerId, at: DateTime<Utc>) -> StorageResult<Option<FollowupId>> {
                let mut tx = self.begin().await?;
                let plan: Option<(i64, i32, Option<i64>)> = sqlx::query_as(
                    "SELECT p.id, p.after_days, t.owner_id FROM followup_plans p JOIN touchpoints t ON t.id = p.touchpoint_id \
                     WHERE p.touchpoint_id = $1 AND p.org_id = $2",
                )
                .bind(touchpoint.0)
                .bind(org.0)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((plan, days, owner)) = plan else {
                    return Ok(None);
                };
                let due = at + chrono::Duration::days(i64::from(days));
                let existing: Option<(i64,)> = sqlx::query_as("SELECT id FROM followup_tasks WHERE plan_id = $1 AND customer_id = $2 AND state = 'scheduled'")
                    .bind(plan)
                    .bind(customer.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                let id = match existing {
                    Some((id,)) => {
                        // A later interaction moves the follow-up; an older one (an import) does not.
                        sqlx::query("UPDATE followup_tasks SET last_interaction_at = $1, due_at = $2 WHERE id = $3 AND last_interaction_at < $1")
                            .bind(at)
                            .bind(due)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        id
                    }
                    None => {
                        let (id,): (i64,) = sqlx::query_as(
                            "INSERT INTO followup_tasks (org_id, plan_id, touchpoint_id, customer_id, owner_id, last_interaction_at, due_at, state, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, 'scheduled', $8) RETURNING id",
                        )
                        .bind(org.0)
                        .bind(plan)
                        .bind(touchpoint.0)
                        .bind(customer.0)
                        .bind(owner)
                        .bind(at)
                        .bind(due)
                        .bind(Utc::now())
                        .fetch_one(&mut *tx)
                        .await?;
                        id
                    }
                };
                tx.commit().await?;
                Ok(Some(FollowupId(id)))
            }

            async fn list_followups(&self, org: OrgId, owner: Option<UserId>, state: Option<FollowupState>, due_before: Option<DateTime<Utc>>, limit: i64) -> StorageResult<Vec<FollowupTask>> {
                let sql = format!(
                    "SELECT {FOLLOWUP_COLS} FROM followup_tasks t JOIN followup_plans p ON p.id = t.plan_id WHERE t.org_id = $1 \
                     AND ($2 IS NULL OR t.owner_id = $2) AND ($3 IS NULL OR t.state = $3) AND ($4 IS NULL OR t.due_at < $4) \
                     ORDER BY t.due_at, t.id LIMIT $5"
                );
                let rows: Vec<FollowupRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(owner.map(|o| o.0))
                    .bind(state.map(|s| s.as_str()))
                    .bind(due_before)
                    .bind(limit.clamp(1, 1000))
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(FollowupRow::into_domain).collect()
            }

            async fn complete_followup(&self, actor: Actor, id: FollowupId, r: &FollowupResult, now: DateTime<Utc>) -> StorageResult<FollowupTask> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE followup_tasks SET state = $1, outcome = $2, completed_at = $3, completed_by = $4 \
                     WHERE id = $5 AND org_id = $6 AND state = 'scheduled'",
                )
                .bind(r.state.as_str())
                .bind(r.outcome.trim())
                .bind(now)
                .bind(actor.user_id.map(|u| u.0))
                .bind(id.0)
                .bind(actor.org_id.0)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    ensure_in_org(&mut tx, "followup_tasks", "followup_id", id.0, actor.org_id).await.map_err(|_| StorageError::NotFound { entity: "follow-up" })?;
                    return Err(StorageError::Conflict { field: "state", message: "this follow-up is already finished".into() });
                }
                audit(&mut tx, actor, "complete", "followup", id, json!(r)).await?;
                let sql = format!("SELECT {FOLLOWUP_COLS} FROM followup_tasks t JOIN followup_plans p ON p.id = t.plan_id WHERE t.id = $1");
                let task = sqlx::query_as::<_, FollowupRow>(&sql).bind(id.0).fetch_one(&mut *tx).await?.into_domain()?;
                tx.commit().await?;
                Ok(task)
            }

            async fn take_due_survey_followups(&self, now: DateTime<Utc>, limit: i64) -> StorageResult<Vec<DueSurveyFollowup>> {
                let due: Vec<(i64, i64, i64)> = sqlx::query_as(
                    "SELECT t.id, t.org_id, p.survey_id FROM followup_tasks t JOIN followup_plans p ON p.id = t.plan_id \
                     WHERE t.state = 'scheduled' AND p.mode = 'survey' AND p.survey_id IS NOT NULL AND t.due_at <= $1 ORDER BY t.due_at LIMIT $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::new();
                for (id, org, survey) in due {
                    let won = sqlx::query("UPDATE followup_tasks SET state = 'surveyed', completed_at = $1 WHERE id = $2 AND state = 'scheduled'")
                        .bind(now)
                        .bind(id)
                        .execute(&self.pool)
                        .await?;
                    if won.rows_affected() == 0 {
                        continue;
                    }
                    let sql = format!("SELECT {FOLLOWUP_COLS} FROM followup_tasks t JOIN followup_plans p ON p.id = t.plan_id WHERE t.id = $1");
                    let task = sqlx::query_as::<_, FollowupRow>(&sql).bind(id).fetch_one(&self.pool).await?.into_domain()?;
                    out.push(DueSurveyFollowup { org_id: OrgId(org), task, survey_id: SurveyId(survey) });
                }
                Ok(out)
            }

            async fn create_inbound_source(&self, actor: Actor, name: &str, public_id: &str, secret: &str, mapping: &InboundMapping) -> StorageResult<InboundSource> {
                let mut tx = self.begin().await?;
                ensure_in_org(&mut tx, "surveys", "survey_id", mapping.survey_id, actor.org_id).await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO inbound_sources (org_id, name, public_id, secret, mapping, active, created_at) VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id",
                )
                .bind(actor.org_id.0)
                .bind(name.trim())
                .bind(public_id)
                .bind(secret)
                .bind(json!(mapping).to_string())
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await?;
                audit(&mut tx, actor, "create", "inbound_source", id, json!({ "name": name })).await?;
                tx.commit().await?;
                self.list_inbound_sources(actor.org_id).await?.into_iter().find(|s| s.id == id).ok_or(StorageError::NotFound { entity: "inbound source" })
            }

            async fn list_inbound_sources(&self, org: OrgId) -> StorageResult<Vec<InboundSource>> {
                let rows: Vec<(i64, String, String, String, bool, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT id, name, public_id, mapping, active, created_at FROM inbound_sources WHERE org_id = $1 ORDER BY id",
                )
                .bind(org.0)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, name, public_id, mapping, active, created_at)| {
                        Ok(InboundSource { id, name, public_id, mapping: serde_json::from_str(&mapping).map_err(|e| StorageError::Corrupt(format!("inbound mapping: {e}")))?, active, created_at })
                    })
                    .collect()
            }

            async fn delete_inbound_source(&self, actor: Actor, id: i64) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("DELETE FROM inbound_sources WHERE id = $1 AND org_id = $2").bind(id).bind(actor.org_id.0).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "inbound source" });
                }
                audit(&mut tx, actor, "delete", "inbound_source", id, json!({})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn inbound_source_by_public_id(&self, public_id: &str) -> StorageResult<Option<(OrgId, InboundSource, String)>> {
                let row: Option<(i64, i64, String, String, String, String, bool, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT id, org_id, name, public_id, secret, mapping, active, created_at FROM inbound_sources WHERE public_id = $1 AND active = TRUE",
                )
                .bind(public_id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|(id, org, name, public_id, secret, mapping, active, created_at)| {
                    let mapping = serde_json::from_str(&mapping).map_err(|e| StorageError::Corrupt(format!("inbound mapping: {e}")))?;
                    Ok((OrgId(org), InboundSource { id, name, public_id, mapping, active, created_at }, secret))
                })
                .transpose()
            }

            async fn customer_by_external_id(&self, org: OrgId, external_id: &str) -> StorageResult<Option<rapport_domain::model::Customer>> {
                let id: Option<(i64,)> = sqlx::query_as("SELECT id FROM customers WHERE org_id = $1 AND external_id = $2")
                    .bind(org.0)
                    .bind(external_id)
                    .fetch_optional(&self.pool)
                    .await?;
                match id {
                    Some((id,)) => Ok(Some(self.get_customer(org, CustomerId(id)).await?)),
                    None => Ok(None),
                }
            }

            async fn set_daily_digest(&self, org: OrgId, user: UserId, on: bool) -> StorageResult<()> {
                let done = sqlx::query("UPDATE users SET daily_digest = $1 WHERE id = $2 AND org_id = $3")
                    .bind(on)
                    .bind(user.0)
                    .bind(org.0)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "user" });
                }
                Ok(())
            }

            async fn daily_digest(&self, org: OrgId, user: UserId) -> StorageResult<bool> {
                let (on,): (bool,) = sqlx::query_as("SELECT daily_digest FROM users WHERE id = $1 AND org_id = $2")
                    .bind(user.0)
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StorageError::NotFound { entity: "user" })?;
                Ok(on)
            }

            async fn take_digests(&self, day: &str) -> StorageResult<Vec<(OrgId, UserId)>> {
                let rows: Vec<(i64, i64)> = sqlx::query_as(
                    "UPDATE users SET digest_sent_on = $1 WHERE daily_digest = TRUE AND active = TRUE \
                     AND (digest_sent_on IS NULL OR digest_sent_on <> $1) RETURNING org_id, id",
                )
                .bind(day)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(o, u)| (OrgId(o), UserId(u))).collect())
            }

            async fn record_inbound_event(&self, source: i64, external_id: &str, outcome: &str, now: DateTime<Utc>) -> StorageResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO inbound_events (source_id, external_id, received_at, outcome) VALUES ($1, $2, $3, $4) ON CONFLICT (source_id, external_id) DO NOTHING",
                )
                .bind(source)
                .bind(external_id)
                .bind(now)
                .bind(outcome)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
pub(crate) use closed_loop_impl;
