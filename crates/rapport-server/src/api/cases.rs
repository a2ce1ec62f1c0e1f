//! Cases, alert rules, service-level targets and post-service follow-ups: the closed loop.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Datelike, Utc};
use rapport_domain::alerts::{AlertRule, AlertRuleSpec};
use rapport_domain::cases::*;
use rapport_domain::followups::*;
use rapport_domain::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{Auth, Leads, Managers, Members};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// A case with where it stands against its deadlines now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    pub case: Case,
    pub sla: SlaStatus,
}

impl CaseView {
    fn new(case: Case) -> Self {
        let sla = case.sla(Utc::now());
        CaseView { case, sla }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseView>,
    pub total: i64,
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// new, contacted, in_dialogue, resolved or closed.
    pub state: Option<String>,
    /// Only cases not yet resolved or closed.
    pub open: Option<bool>,
    pub owner_id: Option<i64>,
    pub touchpoint_id: Option<i64>,
    pub team_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Only cases past a deadline they did not meet.
    pub breached: Option<bool>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl CaseQuery {
    fn filter(&self) -> Result<CaseFilter, ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::invalid("limit", "must be between 1 and 500"));
        }
        Ok(CaseFilter {
            state: self
                .state
                .as_deref()
                .map(|s| CaseState::parse("state", s))
                .transpose()?,
            open_only: self.open.unwrap_or(false),
            owner_id: self.owner_id.map(UserId),
            touchpoint_id: self.touchpoint_id.map(TouchpointId),
            team_id: self.team_id.map(TeamId),
            customer_id: self.customer_id.map(CustomerId),
            breached_at: self.breached.unwrap_or(false).then(Utc::now),
            opened_from: self.from,
            opened_to: self.to,
            limit,
            offset: self.offset.unwrap_or(0).max(0),
        })
    }
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])),
    params(CaseQuery), responses((status = 200, body = CasePage), (status = 422, body = ErrorBody)))]
pub async fn list_cases(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult<Json<CasePage>> {
    let (cases, total) = s.store.list_cases(auth.user.org_id, &q.filter()?).await?;
    Ok(Json(CasePage {
        items: cases.into_iter().map(CaseView::new).collect(),
        total,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    pub title: String,
    #[serde(default)]
    pub priority: Priority,
    pub customer_id: Option<i64>,
    pub touchpoint_id: Option<i64>,
    pub agent_id: Option<i64>,
    /// Defaults to the touchpoint owner, else the agent's team lead.
    pub owner_id: Option<i64>,
    /// The conversation or ticket this case is about, in your system's terms.
    pub source_ref: Option<String>,
}

/// Opens a case by hand (a complaint by phone, a conversation a manager listened to).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])),
    request_body = CaseInput,
    responses((status = 201, body = CaseView), (status = 422, body = ErrorBody)))]
pub async fn create_case(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<CaseInput>,
) -> ApiResult<(StatusCode, Json<CaseView>)> {
    let source_ref = input
        .source_ref
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if source_ref.as_ref().is_some_and(|r| r.chars().count() > 200) {
        return Err(ApiError::invalid("source_ref", "at most 200 characters"));
    }
    let new = NewCase {
        title: input.title,
        priority: input.priority,
        source: if source_ref.is_some() {
            CaseSource::Conversation
        } else {
            CaseSource::Manual
        },
        response_id: None,
        source_ref,
        customer_id: input.customer_id.map(CustomerId),
        touchpoint_id: input.touchpoint_id.map(TouchpointId),
        agent_id: input.agent_id.map(UserId),
        owner_id: input.owner_id.map(UserId),
        triggers: vec![],
        original_nps: None,
        opened_at: Utc::now(),
        notify_owner: true,
    };
    new.validate()?;
    let (case, _) = s.store.open_case(auth.actor(), &new).await?;
    crate::jobs::notify_worker(&s);
    Ok((StatusCode::CREATED, Json(CaseView::new(case))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: CaseView,
    /// Transitions, dialogue notes, assignments and escalations, oldest first.
    pub events: Vec<CaseEvent>,
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody)))]
pub async fn get_case(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CaseDetail>> {
    let org = auth.user.org_id;
    let case = s.store.get_case(org, CaseId(id)).await?;
    let events = s.store.case_events(org, case.id).await?;
    Ok(Json(CaseDetail {
        case: CaseView::new(case),
        events,
    }))
}

/// Moves a case: `{"to": "contacted"}`, `{"to": "resolved", "outcome": "won_back"}`,
/// `{"to": "closed", "reason": "…"}`. Illegal moves answer 422 naming the field.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transitions", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Transition,
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transition_case(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(t): ApiJson<Transition>,
) -> ApiResult<Json<CaseView>> {
    let case = s
        .store
        .transition_case(auth.actor(), CaseId(id), &t, Utc::now())
        .await?;
    crate::jobs::notify_worker(&s);
    Ok(Json(CaseView::new(case)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// customer_said, we_did, we_promised or internal.
    pub kind: NoteKind,
    pub body: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/notes", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NoteInput,
    responses((status = 201, body = CaseEvent), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_note(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NoteInput>,
) -> ApiResult<(StatusCode, Json<CaseEvent>)> {
    let ev = s
        .store
        .add_case_note(
            auth.actor(),
            CaseId(id),
            input.kind,
            &input.body,
            Utc::now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(ev)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerInput {
    pub owner_id: i64,
}

#[utoipa::path(put, path = "/api/v1/cases/{id}/owner", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = OwnerInput,
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign_case(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<OwnerInput>,
) -> ApiResult<Json<CaseView>> {
    let case = s
        .store
        .assign_case(auth.actor(), CaseId(id), UserId(input.owner_id), Utc::now())
        .await?;
    crate::jobs::notify_worker(&s);
    Ok(Json(CaseView::new(case)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RootCauseInput {
    /// Topic keys from the taxonomy (e.g. `waiting_time`) or your own words.
    pub root_causes: Vec<String>,
}

#[utoipa::path(put, path = "/api/v1/cases/{id}/root_causes", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RootCauseInput,
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_root_causes(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RootCauseInput>,
) -> ApiResult<Json<CaseView>> {
    let tags = parse_root_causes("root_causes", &input.root_causes)?;
    let case = s
        .store
        .set_case_root_causes(auth.actor(), CaseId(id), &tags, Utc::now())
        .await?;
    Ok(Json(CaseView::new(case)))
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseMetricsQuery {
    /// team, touchpoint, owner, week, month or none.
    pub group_by: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseMetricsReport {
    pub groups: Vec<CaseMetrics>,
    pub root_causes: Vec<RootCauseCount>,
}

/// Closed-loop metrics: time to first contact, SLA attainment, closure, recovery (follow-up
/// NPS against the original), repeat issues, and root causes ranked.
#[utoipa::path(get, path = "/api/v1/cases/metrics", tag = "cases", security(("bearer" = [])),
    params(CaseMetricsQuery), responses((status = 200, body = CaseMetricsReport), (status = 422, body = ErrorBody)))]
pub async fn case_metrics_report(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<CaseMetricsQuery>,
) -> ApiResult<Json<CaseMetricsReport>> {
    let group = q.group_by.as_deref().unwrap_or("none");
    let key: fn(&Case) -> String = match group {
        "none" => |_| "all".into(),
        "team" => |c| c.team_id.map(|t| t.to_string()).unwrap_or_default(),
        "touchpoint" => |c| c.touchpoint_id.map(|t| t.to_string()).unwrap_or_default(),
        "owner" => |c| c.owner_id.map(|t| t.to_string()).unwrap_or_default(),
        "week" => |c| {
            let w = c.created_at.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        },
        "month" => |c| c.created_at.format("%Y-%m").to_string(),
        _ => {
            return Err(ApiError::invalid(
                "group_by",
                "must be team, touchpoint, owner, week, month or none",
            ))
        }
    };
    // Repeat issues look back 90 days before the period, so read those cases too.
    let look_back = q
        .from
        .map(|f| f - chrono::Duration::days(REPEAT_WINDOW_DAYS));
    let filter = CaseFilter {
        opened_from: look_back,
        opened_to: q.to,
        limit: 10_000,
        ..Default::default()
    };
    let (all, _) = s.store.list_cases(auth.user.org_id, &filter).await?;
    let in_period = |c: &Case| q.from.is_none_or(|f| c.created_at >= f);
    // Cases before the period only serve the repeat-issue look-back: they get a key no group
    // has, and that group is dropped.
    const LOOK_BACK: &str = "\u{0}";
    let mut groups = case_metrics(&all, Utc::now(), |c| {
        if in_period(c) {
            key(c)
        } else {
            LOOK_BACK.to_string()
        }
    });
    groups.retain(|g| g.key != LOOK_BACK);
    let period: Vec<Case> = all.into_iter().filter(|c| in_period(c)).collect();
    Ok(Json(CaseMetricsReport {
        groups,
        root_causes: root_causes_ranked(&period),
    }))
}

#[utoipa::path(get, path = "/api/v1/alert-rules", tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = [AlertRule])))]
pub async fn list_rules(
    auth: Auth<Managers>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<AlertRule>>> {
    Ok(Json(s.store.list_alert_rules(auth.user.org_id).await?))
}

#[utoipa::path(post, path = "/api/v1/alert-rules", tag = "cases", security(("bearer" = [])),
    request_body = AlertRuleSpec,
    responses((status = 201, body = AlertRule), (status = 422, body = ErrorBody)))]
pub async fn create_rule(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiJson(spec): ApiJson<AlertRuleSpec>,
) -> ApiResult<(StatusCode, Json<AlertRule>)> {
    spec.validate()?;
    let rule = s.store.create_alert_rule(auth.actor(), &spec).await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

#[utoipa::path(get, path = "/api/v1/alert-rules/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = AlertRule), (status = 404, body = ErrorBody)))]
pub async fn get_rule(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AlertRule>> {
    Ok(Json(
        s.store
            .get_alert_rule(auth.user.org_id, AlertRuleId(id))
            .await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/alert-rules/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AlertRuleSpec,
    responses((status = 200, body = AlertRule), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_rule(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(spec): ApiJson<AlertRuleSpec>,
) -> ApiResult<Json<AlertRule>> {
    spec.validate()?;
    Ok(Json(
        s.store
            .update_alert_rule(auth.actor(), AlertRuleId(id), &spec)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/alert-rules/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_rule(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.store
        .delete_alert_rule(auth.actor(), AlertRuleId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/sla-policy", tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = SlaPolicy)))]
pub async fn get_sla(auth: Auth<Leads>, State(s): State<AppState>) -> ApiResult<Json<SlaPolicy>> {
    Ok(Json(s.store.sla_policy(auth.user.org_id).await?))
}

/// Service-level targets per priority; they apply to cases opened from now on.
#[utoipa::path(put, path = "/api/v1/sla-policy", tag = "cases", security(("bearer" = [])),
    request_body = SlaPolicy, responses((status = 200, body = SlaPolicy), (status = 422, body = ErrorBody)))]
pub async fn set_sla(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiJson(policy): ApiJson<SlaPolicy>,
) -> ApiResult<Json<SlaPolicy>> {
    policy.validate()?;
    s.store.set_sla_policy(auth.actor(), &policy).await?;
    Ok(Json(policy))
}

#[utoipa::path(get, path = "/api/v1/followup-plans", tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = [FollowupPlan])))]
pub async fn list_plans(
    auth: Auth<Leads>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<FollowupPlan>>> {
    Ok(Json(s.store.list_followup_plans(auth.user.org_id).await?))
}

/// Sets the touchpoint's follow-up plan (one per touchpoint; replaces the previous one).
#[utoipa::path(put, path = "/api/v1/followup-plans", tag = "cases", security(("bearer" = [])),
    request_body = FollowupPlan, responses((status = 200, body = FollowupPlan), (status = 422, body = ErrorBody)))]
pub async fn set_plan(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiJson(plan): ApiJson<FollowupPlan>,
) -> ApiResult<Json<FollowupPlan>> {
    plan.validate()?;
    s.store.set_followup_plan(auth.actor(), &plan).await?;
    Ok(Json(plan))
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FollowupQuery {
    /// Only mine (the caller's).
    pub mine: Option<bool>,
    /// scheduled, done, skipped or surveyed.
    pub state: Option<String>,
    /// Only those due before this instant (e.g. now, for today's calls).
    pub due_before: Option<DateTime<Utc>>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/followups", tag = "cases", security(("bearer" = [])),
    params(FollowupQuery), responses((status = 200, body = [FollowupTask]), (status = 422, body = ErrorBody)))]
pub async fn list_followups(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<FollowupQuery>,
) -> ApiResult<Json<Vec<FollowupTask>>> {
    let state = q
        .state
        .as_deref()
        .map(|st| FollowupState::parse("state", st))
        .transpose()?;
    let owner = q.mine.unwrap_or(false).then_some(auth.user.id);
    Ok(Json(
        s.store
            .list_followups(
                auth.user.org_id,
                owner,
                state,
                q.due_before,
                q.limit.unwrap_or(100),
            )
            .await?,
    ))
}

/// Records how a follow-up call went.
#[utoipa::path(post, path = "/api/v1/followups/{id}/result", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = FollowupResult,
    responses((status = 200, body = FollowupTask), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete_followup(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(result): ApiJson<FollowupResult>,
) -> ApiResult<Json<FollowupTask>> {
    result.validate()?;
    Ok(Json(
        s.store
            .complete_followup(auth.actor(), FollowupId(id), &result, Utc::now())
            .await?,
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DigestSetting {
    /// A morning e-mail with your open cases (late ones first) and today's follow-up calls.
    pub daily_digest: bool,
}

#[utoipa::path(get, path = "/api/v1/me/digest", tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = DigestSetting)))]
pub async fn get_digest(
    auth: Auth<Members>,
    State(s): State<AppState>,
) -> ApiResult<Json<DigestSetting>> {
    let daily_digest = s.store.daily_digest(auth.user.org_id, auth.user.id).await?;
    Ok(Json(DigestSetting { daily_digest }))
}

#[utoipa::path(put, path = "/api/v1/me/digest", tag = "cases", security(("bearer" = [])),
    request_body = DigestSetting, responses((status = 200, body = DigestSetting), (status = 422, body = ErrorBody)))]
pub async fn set_digest(
    auth: Auth<Members>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<DigestSetting>,
) -> ApiResult<Json<DigestSetting>> {
    s.store
        .set_daily_digest(auth.user.org_id, auth.user.id, input.daily_digest)
        .await?;
    Ok(Json(input))
}
