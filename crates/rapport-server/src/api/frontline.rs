//! The frontline API: conversations and their auto-QA, reviews and agent responses,
//! scorecards, coaching, listening time, recognition, legacy stories, check-ins and the
//! "In the Zone" brief. Who may see an agent's data is decided in `crate::frontline`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Datelike, Duration, Utc};
use rapport_domain::conversation::{from_json_value, ConversationError};
use rapport_domain::frontline::*;
use rapport_domain::*;
use rapport_storage::ConversationFilter;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{Auth, Frontline, Leads, Managers, Members};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::frontline as svc;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_conversations, import_conversation))
        .routes(routes!(import_batch))
        .routes(routes!(get_conversation))
        .routes(routes!(get_evaluation))
        .routes(routes!(run_qa))
        .routes(routes!(review))
        .routes(routes!(respond))
        .routes(routes!(qa_agreement))
        .routes(routes!(get_rubric, set_rubric))
        .routes(routes!(list_scorecards))
        .routes(routes!(list_coaching, create_coaching))
        .routes(routes!(listening_attainment, log_listening))
        .routes(routes!(listen_next_queue))
        .routes(routes!(list_kudos, give_kudos))
        .routes(routes!(praise_suggestions))
        .routes(routes!(list_stories, create_story))
        .routes(routes!(approve_story))
        .routes(routes!(check_in))
        .routes(routes!(mood))
        .routes(routes!(customer_brief))
        .routes(routes!(rate_my_lead))
        .routes(routes!(manager_ratings))
}

fn conversation_error(e: ConversationError) -> ApiError {
    match e {
        ConversationError::JsonSyntax { .. } => ApiError::BadRequest {
            field: None,
            message: e.to_string(),
        },
        ConversationError::Json { path, reason } => ApiError::invalid(path, reason),
        other => ApiError::invalid(other.location(), other.to_string()),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    pub id: ConversationId,
    /// `false` when a conversation with this id was stored before (nothing changed).
    pub created: bool,
}

/// Stores one transcript (the JSON import format) and queues its analysis and auto-QA.
/// Idempotent on the transcript's `id`.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "frontline", security(("bearer" = [])),
    request_body = Object,
    responses((status = 201, body = Imported), (status = 200, body = Imported), (status = 422, body = ErrorBody)))]
pub async fn import_conversation(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<(StatusCode, Json<Imported>)> {
    let t = from_json_value(&body).map_err(conversation_error)?;
    let (id, created) = svc::import(&s, auth.actor(), t).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(Imported { id, created })))
}

/// Most transcripts in one batch request.
const BATCH_MAX: usize = 500;

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItem {
    pub index: usize,
    pub id: Option<ConversationId>,
    pub created: bool,
    pub error: Option<crate::error::ErrorDetail>,
}

/// Stores up to 500 transcripts; each is checked and stored on its own, and the answer says
/// per item what happened (a bad item never blocks the good ones).
#[utoipa::path(post, path = "/api/v1/conversations/batch", tag = "frontline", security(("bearer" = [])),
    request_body = Vec<Object>,
    responses((status = 200, body = Vec<BatchItem>), (status = 422, body = ErrorBody)))]
pub async fn import_batch(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiJson(items): ApiJson<Vec<serde_json::Value>>,
) -> ApiResult<Json<Vec<BatchItem>>> {
    if items.len() > BATCH_MAX {
        return Err(ApiError::invalid(
            "items",
            format!("at most {BATCH_MAX} conversations per batch"),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let result = match from_json_value(item) {
            Ok(t) => svc::import(&s, auth.actor(), t)
                .await
                .map_err(ApiError::from),
            Err(e) => Err(conversation_error(e)),
        };
        out.push(match result {
            Ok((id, created)) => BatchItem {
                index,
                id: Some(id),
                created,
                error: None,
            },
            Err(ApiError::Unavailable) => return Err(ApiError::Unavailable),
            Err(e) => BatchItem {
                index,
                id: None,
                created: false,
                error: Some(e.detail()),
            },
        });
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConversationQuery {
    pub agent_id: Option<i64>,
    pub team_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only conversations the analysis has run on.
    pub analysed: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Conversations, newest first. Agents see their own, team leads their team's.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "frontline", security(("bearer" = [])),
    params(ConversationQuery),
    responses((status = 200, body = Vec<ConversationSummary>), (status = 403, body = ErrorBody)))]
pub async fn list_conversations(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ConversationQuery>,
) -> ApiResult<Json<Vec<ConversationSummary>>> {
    let limit = q.limit.unwrap_or(super::PAGE_DEFAULT);
    if !(1..=super::PAGE_MAX).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 500"));
    }
    let (scope_agent, scope_team) = svc::scope(&auth.user);
    let agent = q.agent_id.map(UserId);
    let team = q.team_id.map(TeamId);
    svc::check_filters(&s, &auth.user, agent, team).await?;
    let filter = ConversationFilter {
        agent_id: scope_agent.or(agent),
        team_id: scope_team.or(team),
        customer_id: q.customer_id.map(CustomerId),
        since: q.from,
        until: q.to,
        analysed_only: q.analysed.unwrap_or(false),
        limit,
        offset: q.offset.unwrap_or(0).max(0),
    };
    Ok(Json(
        s.store
            .list_conversations(auth.user.org_id, &filter)
            .await?,
    ))
}

async fn visible(
    s: &AppState,
    user: &model::User,
    id: i64,
) -> Result<ConversationDetail, ApiError> {
    let c = s
        .store
        .get_conversation(user.org_id, ConversationId(id))
        .await?;
    svc::check_agent_visible(user, c.summary.agent_id, c.summary.team_id)?;
    Ok(c)
}

/// One conversation with its turns, per-turn analysis and metrics.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "frontline", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ConversationDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_conversation(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ConversationDetail>> {
    Ok(Json(visible(&s, &auth.user, id).await?))
}

/// The evaluation with every criterion's evidence (the turns that raised or lowered it).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/evaluation", tag = "frontline", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Evaluation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_evaluation(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Evaluation>> {
    visible(&s, &auth.user, id).await?;
    Ok(Json(
        s.store
            .get_evaluation(auth.user.org_id, ConversationId(id))
            .await?,
    ))
}

/// Runs the organisation's rubric on a stored conversation now, stores the result and answers
/// in the `rapport qa` format: `{"id", "criteria": [{"name", "score", "evidence"}], "overall",
/// "customer": {"start", "end", "lift"}, "flags"}`.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/qa", tag = "frontline", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn run_qa(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    visible(&s, &auth.user, id).await?;
    let (_, eval) = svc::analyse_stored(&s, auth.user.org_id, ConversationId(id)).await?;
    Ok(Json(
        serde_json::to_value(&eval).map_err(|e| ApiError::Internal(e.into()))?,
    ))
}

/// A manager's review: changed scores with reasons (calibration) and a coaching note.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/evaluation/review", tag = "frontline", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Review,
    responses((status = 200, body = Evaluation), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<Review>,
) -> ApiResult<Json<Evaluation>> {
    let c = visible(&s, &auth.user, id).await?;
    if c.summary.agent_id == Some(auth.user.id) {
        return Err(ApiError::invalid(
            "conversation",
            "nobody reviews their own conversation",
        ));
    }
    let mut probe = s
        .store
        .get_evaluation(auth.user.org_id, ConversationId(id))
        .await?;
    input.apply(&mut probe.criteria)?;
    Ok(Json(
        s.store
            .review_evaluation(auth.actor(), ConversationId(id), &input, Utc::now())
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    pub response: AgentResponse,
    pub comment: Option<String>,
}

/// The agent acknowledges or disputes their own evaluation.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/evaluation/response", tag = "frontline", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ResponseInput,
    responses((status = 200, body = Evaluation), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn respond(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ResponseInput>,
) -> ApiResult<Json<Evaluation>> {
    let c = visible(&s, &auth.user, id).await?;
    if c.summary.agent_id != Some(auth.user.id) {
        return Err(ApiError::Forbidden);
    }
    let comment = input
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let status = input.response.check(comment)?;
    Ok(Json(
        s.store
            .respond_to_evaluation(auth.actor(), ConversationId(id), status, comment)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DaysQuery {
    /// How far back, in days (default 90).
    pub days: Option<i64>,
}

/// Agreement between auto-QA and reviewers per criterion, over the reviewed evaluations.
#[utoipa::path(get, path = "/api/v1/qa/agreement", tag = "frontline", security(("bearer" = [])),
    params(DaysQuery), responses((status = 200, body = Vec<CriterionAgreement>)))]
pub async fn qa_agreement(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> ApiResult<Json<Vec<CriterionAgreement>>> {
    let days = q.days.unwrap_or(90).clamp(1, 3650);
    let reviewed = s
        .store
        .reviewed_evaluations(auth.user.org_id, Utc::now() - Duration::days(days))
        .await?;
    Ok(Json(agreement(&reviewed)))
}

/// The QA rubric in force: criteria, weights, guidance and cue lists per language.
#[utoipa::path(get, path = "/api/v1/qa/rubric", tag = "frontline", security(("bearer" = [])),
    responses((status = 200, body = Object)))]
pub async fn get_rubric(
    auth: Auth<Leads>,
    State(s): State<AppState>,
) -> ApiResult<Json<serde_json::Value>> {
    get_rubric_value(&s, auth.user.org_id).await
}

/// Replaces the organisation's rubric (same format as GET); `null` restores the built-in one.
/// New conversations are scored with it; `POST …/qa` re-scores an old one.
#[utoipa::path(put, path = "/api/v1/qa/rubric", tag = "frontline", security(("bearer" = [])),
    request_body = Object,
    responses((status = 200, body = Object), (status = 422, body = ErrorBody)))]
pub async fn set_rubric(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<serde_json::Value>> {
    let stored = if body.is_null() {
        None
    } else {
        let text = body.to_string();
        rapport_qa::Rubric::from_json(&text).map_err(|e| match e {
            rapport_qa::QaError::Invalid { field, reason } => ApiError::invalid(field, reason),
            other => ApiError::invalid("rubric", other.to_string()),
        })?;
        Some(text)
    };
    s.store
        .set_qa_rubric(auth.actor(), stored.as_deref())
        .await?;
    get_rubric_value(&s, auth.user.org_id).await
}

/// The rubric as its JSON document: the organisation's own, or the built-in one.
async fn get_rubric_value(s: &AppState, org: OrgId) -> ApiResult<Json<serde_json::Value>> {
    let text = s.store.qa_rubric(org).await?;
    let text = text.as_deref().unwrap_or(rapport_qa::DEFAULT_RUBRIC);
    Ok(Json(
        serde_json::from_str(text).map_err(|e| ApiError::Internal(e.into()))?,
    ))
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ScorecardQuery {
    pub agent_id: Option<i64>,
    pub team_id: Option<i64>,
    /// Months of history (default 6, at most 24).
    pub months: Option<i64>,
}

/// Emotional-labour scorecards beside efficiency, per agent and month. Agents get only their
/// own; team leads their team's; how each number is made is in `LabourComponents`.
#[utoipa::path(get, path = "/api/v1/scorecards", tag = "frontline", security(("bearer" = [])),
    params(ScorecardQuery),
    responses((status = 200, body = Vec<Scorecard>), (status = 403, body = ErrorBody)))]
pub async fn list_scorecards(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ScorecardQuery>,
) -> ApiResult<Json<Vec<Scorecard>>> {
    Ok(Json(
        svc::scorecards_for(
            &s,
            &auth.user,
            q.agent_id.map(UserId),
            q.team_id.map(TeamId),
            q.months.unwrap_or(6),
        )
        .await?,
    ))
}

/// Coaching sessions: agents see their own, team leads their team's.
#[utoipa::path(get, path = "/api/v1/coaching", tag = "frontline", security(("bearer" = [])),
    responses((status = 200, body = Vec<Coaching>)))]
pub async fn list_coaching(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<Coaching>>> {
    let (agent, team) = svc::scope(&auth.user);
    Ok(Json(
        s.store.list_coaching(auth.user.org_id, agent, team).await?,
    ))
}

/// Records a coaching session with an agent of the caller's scope.
#[utoipa::path(post, path = "/api/v1/coaching", tag = "frontline", security(("bearer" = [])),
    request_body = NewCoaching,
    responses((status = 201, body = Coaching), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_coaching(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<NewCoaching>,
) -> ApiResult<(StatusCode, Json<Coaching>)> {
    let rubric = svc::rubric(&s, auth.user.org_id).await?;
    let names: Vec<String> = rubric.criteria.iter().map(|c| c.name.clone()).collect();
    input.validate(&names, Utc::now().date_naive())?;
    let agent = s
        .store
        .get_user(auth.user.org_id, input.agent_id)
        .await
        .map_err(|_| ApiError::invalid("agent_id", "no such colleague"))?;
    svc::check_agent_visible(&auth.user, Some(agent.id), agent.team_id)?;
    Ok((
        StatusCode::CREATED,
        Json(
            s.store
                .create_coaching(auth.actor(), &input, Utc::now())
                .await?,
        ),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Listening {
    /// `YYYY-MM`.
    pub month: String,
    pub managers: Vec<ListeningAttainment>,
    /// The caller's own entries this month.
    pub mine: Vec<ListeningEntry>,
}

fn month_bounds() -> (chrono::NaiveDate, chrono::NaiveDate) {
    let today = Utc::now().date_naive();
    (today.with_day(1).unwrap_or(today), today)
}

/// This month's listening time of every manager against their target.
#[utoipa::path(get, path = "/api/v1/listening", tag = "frontline", security(("bearer" = [])),
    responses((status = 200, body = Listening)))]
pub async fn listening_attainment(
    auth: Auth<Leads>,
    State(s): State<AppState>,
) -> ApiResult<Json<Listening>> {
    let (from, to) = month_bounds();
    let org = auth.user.org_id;
    Ok(Json(Listening {
        month: from.format("%Y-%m").to_string(),
        managers: s.store.listening_attainment(org, from, to).await?,
        mine: s
            .store
            .listening_entries(org, auth.user.id, from, to)
            .await?,
    }))
}

/// Logs time spent listening to or reading real customer conversations.
#[utoipa::path(post, path = "/api/v1/listening", tag = "frontline", security(("bearer" = [])),
    request_body = NewListening,
    responses((status = 201, body = ListeningEntry), (status = 422, body = ErrorBody)))]
pub async fn log_listening(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<NewListening>,
) -> ApiResult<(StatusCode, Json<ListeningEntry>)> {
    input.validate(Utc::now().date_naive())?;
    if let Some(c) = input.conversation_id {
        visible(&s, &auth.user, c.0).await?;
    }
    Ok((
        StatusCode::CREATED,
        Json(
            s.store
                .log_listening(auth.actor(), &input, Utc::now())
                .await?,
        ),
    ))
}

#[utoipa::path(get, path = "/api/v1/listening/next", tag = "frontline", security(("bearer" = [])),
    responses((status = 200, body = Vec<ListenSuggestion>)))]
pub async fn listen_next_queue(
    auth: Auth<Leads>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<ListenSuggestion>>> {
    Ok(Json(
        crate::known_examples::listen_next_for(&s, &auth.user, 20).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TeamQuery {
    pub team_id: Option<i64>,
}

/// The recognition wall: public kudos, and private ones the caller gave or received.
#[utoipa::path(get, path = "/api/v1/kudos", tag = "frontline", security(("bearer" = [])),
    params(TeamQuery), responses((status = 200, body = Vec<Kudos>)))]
pub async fn list_kudos(
    auth: Auth<Members>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<TeamQuery>,
) -> ApiResult<Json<Vec<Kudos>>> {
    Ok(Json(
        s.store
            .list_kudos(auth.user.org_id, auth.user.id, q.team_id.map(TeamId), 200)
            .await?,
    ))
}

/// Kudos from anyone to anyone, public or private, optionally tied to a conversation or a
/// survey response.
#[utoipa::path(post, path = "/api/v1/kudos", tag = "frontline", security(("bearer" = [])),
    request_body = NewKudos,
    responses((status = 201, body = Kudos), (status = 422, body = ErrorBody)))]
pub async fn give_kudos(
    auth: Auth<Members>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<NewKudos>,
) -> ApiResult<(StatusCode, Json<Kudos>)> {
    input.validate(auth.user.id)?;
    Ok((
        StatusCode::CREATED,
        Json(s.store.give_kudos(auth.actor(), &input, Utc::now()).await?),
    ))
}

/// Customer praise of an agent, in conversations and survey comments, not yet recognised;
/// with the semantic tier, moments resembling ones already celebrated first.
#[utoipa::path(get, path = "/api/v1/kudos/suggestions", tag = "frontline", security(("bearer" = [])),
    responses((status = 200, body = Vec<PraiseSuggestion>)))]
pub async fn praise_suggestions(
    auth: Auth<Leads>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<PraiseSuggestion>>> {
    Ok(Json(
        crate::known_examples::praise_for(&s, &auth.user, 50).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StoryQuery {
    pub team_id: Option<i64>,
    pub value: Option<String>,
    /// Include stories waiting for approval (team leads and managers only).
    pub drafts: Option<bool>,
}

/// The legacy-story wall: approved stories, browsable by team and value.
#[utoipa::path(get, path = "/api/v1/stories", tag = "frontline", security(("bearer" = [])),
    params(StoryQuery), responses((status = 200, body = Vec<Story>), (status = 403, body = ErrorBody)))]
pub async fn list_stories(
    auth: Auth<Members>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<StoryQuery>,
) -> ApiResult<Json<Vec<Story>>> {
    let drafts = q.drafts.unwrap_or(false);
    if drafts && !rapport_domain::role::Access::Leads.allows(auth.user.role) {
        return Err(ApiError::Forbidden);
    }
    Ok(Json(
        s.store
            .list_stories(
                auth.user.org_id,
                q.team_id.map(TeamId),
                q.value.as_deref().map(str::trim).filter(|v| !v.is_empty()),
                !drafts,
            )
            .await?,
    ))
}

/// Proposes a legacy story from a real interaction; it reaches the wall once a manager
/// approves it.
#[utoipa::path(post, path = "/api/v1/stories", tag = "frontline", security(("bearer" = [])),
    request_body = NewStory,
    responses((status = 201, body = Story), (status = 422, body = ErrorBody)))]
pub async fn create_story(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<NewStory>,
) -> ApiResult<(StatusCode, Json<Story>)> {
    input.validate()?;
    Ok((
        StatusCode::CREATED,
        Json(
            s.store
                .create_story(auth.actor(), &input, Utc::now())
                .await?,
        ),
    ))
}

#[utoipa::path(post, path = "/api/v1/stories/{id}/approve", tag = "frontline", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Story), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn approve_story(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Story>> {
    let story = s.store.get_story(auth.user.org_id, StoryId(id)).await?;
    svc::check_agent_visible(&auth.user, Some(story.agent_id), story.team_id)?;
    if story.agent_id == auth.user.id {
        return Err(ApiError::invalid(
            "id",
            "nobody approves a story about themselves",
        ));
    }
    Ok(Json(s.store.approve_story(auth.actor(), story.id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInInput {
    /// 1 (drained) … 5 (ready).
    pub mood: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckedIn {
    /// `false` when you had already checked in today (the first answer stands).
    pub recorded: bool,
}

/// A private mood check-in before a shift. Stored with the team and day only, never the person,
/// and reported only for groups at or above the minimum group size.
#[utoipa::path(post, path = "/api/v1/me/checkin", tag = "frontline", security(("bearer" = [])),
    request_body = CheckInInput,
    responses((status = 200, body = CheckedIn), (status = 422, body = ErrorBody)))]
pub async fn check_in(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<CheckInInput>,
) -> ApiResult<Json<CheckedIn>> {
    let mood = check_mood(input.mood)?;
    let team = auth.user.team_id.ok_or_else(|| {
        ApiError::invalid(
            "team",
            "check-ins are reported per team; you are not in one",
        )
    })?;
    let recorded = s
        .store
        .check_in(
            auth.user.org_id,
            auth.user.id,
            team,
            Utc::now().date_naive(),
            mood,
        )
        .await?;
    Ok(Json(CheckedIn { recorded }))
}

/// Weekly check-in mood per team over the last 12 weeks; groups below the minimum group size
/// are suppressed.
#[utoipa::path(get, path = "/api/v1/checkins", tag = "frontline", security(("bearer" = [])),
    responses((status = 200, body = Vec<MoodGroup>)))]
pub async fn mood(auth: Auth<Leads>, State(s): State<AppState>) -> ApiResult<Json<Vec<MoodGroup>>> {
    let since = Utc::now().date_naive() - Duration::weeks(12);
    let (_, team) = svc::scope(&auth.user);
    let groups = s
        .store
        .mood_by_team(auth.user.org_id, since)
        .await?
        .into_iter()
        .filter(|g| team.is_none_or(|t| t == g.team_id))
        .collect();
    Ok(Json(groups))
}

/// The "In the Zone" brief to read before a contact with this customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}/brief", tag = "frontline", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = svc::Brief), (status = 404, body = ErrorBody)))]
pub async fn customer_brief(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<svc::Brief>> {
    Ok(Json(
        svc::brief(&s, auth.user.org_id, CustomerId(id)).await?,
    ))
}

/// Rates the caller's team lead on the four service-leader traits, anonymously, once a quarter.
#[utoipa::path(post, path = "/api/v1/me/manager-rating", tag = "frontline", security(("bearer" = [])),
    request_body = ManagerRating,
    responses((status = 200, body = CheckedIn), (status = 422, body = ErrorBody)))]
pub async fn rate_my_lead(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<ManagerRating>,
) -> ApiResult<Json<CheckedIn>> {
    input.validate()?;
    let org = auth.user.org_id;
    let no_lead = || ApiError::invalid("team", "you have no team lead to rate");
    let team = auth.user.team_id.ok_or_else(no_lead)?;
    let lead = s
        .store
        .get_team(org, team)
        .await?
        .lead_id
        .filter(|l| *l != auth.user.id)
        .ok_or_else(no_lead)?;
    let period = quarter_of(Utc::now().date_naive());
    let recorded = s
        .store
        .rate_manager(org, auth.user.id, lead, &period, &input)
        .await?;
    Ok(Json(CheckedIn { recorded }))
}

/// Team ratings of managers per quarter; groups below the minimum size are suppressed. Team
/// leads see their own; CX managers and administrators everyone's.
#[utoipa::path(get, path = "/api/v1/managers/ratings", tag = "frontline", security(("bearer" = [])),
    responses((status = 200, body = Vec<ManagerRatingSummary>)))]
pub async fn manager_ratings(
    auth: Auth<Leads>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<ManagerRatingSummary>>> {
    let only = (auth.user.role == Role::TeamLead).then_some(auth.user.id);
    Ok(Json(s.store.manager_ratings(auth.user.org_id, only).await?))
}
