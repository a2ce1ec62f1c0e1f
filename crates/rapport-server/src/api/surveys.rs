//! Surveys, their responses and invitations.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use rapport_domain::survey::{default_definition, RawAnswer, SurveyDefinition};
use rapport_domain::voc::*;
use rapport_domain::*;
use rapport_storage::NewInvitation;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::{PAGE_DEFAULT, PAGE_MAX};
use crate::auth::{secrets, Auth, Frontline, Leads, Managers};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::jobs as voc;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_surveys, create_survey))
        .routes(routes!(get_survey, update_survey))
        .routes(routes!(publish_survey))
        .routes(routes!(close_survey))
        .routes(routes!(submit_response))
        .routes(routes!(submit_batch))
        .routes(routes!(create_invitation))
        .routes(routes!(list_responses))
        .routes(routes!(get_response))
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SurveyQuery {
    pub touchpoint_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/surveys", tag = "surveys", security(("bearer" = [])),
    params(SurveyQuery), responses((status = 200, body = [Survey]), (status = 403, body = ErrorBody)))]
pub async fn list_surveys(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<SurveyQuery>,
) -> ApiResult<Json<Vec<Survey>>> {
    Ok(Json(
        s.store
            .list_surveys(auth.user.org_id, q.touchpoint_id.map(TouchpointId))
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSurveyInput {
    /// The touchpoint this survey measures (and so its stage and channel).
    pub touchpoint_id: i64,
    pub name: String,
    /// Questions and texts; omitted, the standard NPS/CSAT/CES/promise-gap survey in en/he/el.
    pub definition: Option<SurveyDefinition>,
}

#[utoipa::path(post, path = "/api/v1/surveys", tag = "surveys", security(("bearer" = [])),
    request_body = NewSurveyInput,
    responses((status = 201, body = Survey), (status = 422, body = ErrorBody)))]
pub async fn create_survey(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<NewSurveyInput>,
) -> ApiResult<(StatusCode, Json<Survey>)> {
    let name = Name::parse("name", &input.name)?;
    let def = input.definition.unwrap_or_else(default_definition);
    def.validate()?;
    let survey = s
        .store
        .create_survey(
            auth.actor(),
            TouchpointId(input.touchpoint_id),
            &name,
            &def,
            &secrets::random_hex(12),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(survey)))
}

#[utoipa::path(get, path = "/api/v1/surveys/{id}", tag = "surveys", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Survey), (status = 404, body = ErrorBody)))]
pub async fn get_survey(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Survey>> {
    Ok(Json(
        s.store.get_survey(auth.user.org_id, SurveyId(id)).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyUpdateInput {
    pub name: String,
    pub definition: SurveyDefinition,
}

/// Drafts change in place; a published or closed survey gets a new version.
#[utoipa::path(put, path = "/api/v1/surveys/{id}", tag = "surveys", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = SurveyUpdateInput,
    responses((status = 200, body = Survey), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_survey(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SurveyUpdateInput>,
) -> ApiResult<Json<Survey>> {
    let name = Name::parse("name", &input.name)?;
    input.definition.validate()?;
    Ok(Json(
        s.store
            .update_survey(auth.actor(), SurveyId(id), &name, &input.definition)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/surveys/{id}/publish", tag = "surveys", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Survey), (status = 404, body = ErrorBody)))]
pub async fn publish_survey(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Survey>> {
    Ok(Json(
        s.store
            .set_survey_status(auth.actor(), SurveyId(id), SurveyStatus::Published)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/surveys/{id}/close", tag = "surveys", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Survey), (status = 404, body = ErrorBody)))]
pub async fn close_survey(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Survey>> {
    Ok(Json(
        s.store
            .set_survey_status(auth.actor(), SurveyId(id), SurveyStatus::Closed)
            .await?,
    ))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    /// Answers by question key: numbers, option keys, text, or `{"expectation", "experience"}`.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, RawAnswer>,
    /// The respondent's language; defaults to the customer's, else the survey's first.
    pub locale: Option<String>,
    pub customer_id: Option<i64>,
    pub agent_id: Option<i64>,
    /// When the customer answered (historical data); defaults to now.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Your system's id for this response; a second response with it is not stored.
    pub external_id: Option<String>,
    /// Per-item idempotency key, for the batch endpoint.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    pub id: ResponseId,
    /// False when an earlier request with the same key or external id stored it.
    pub created: bool,
}

fn parse_key(field: &str, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(k) if k.len() <= 200 && k.chars().all(|c| c.is_ascii_graphic()) => {
            Ok(Some(k.to_string()))
        }
        Some(_) => Err(ApiError::invalid(
            field,
            "must be 1–200 visible ASCII characters",
        )),
    }
}

/// Turns an API response into a storable one, naming fields under `prefix` on error.
async fn build_response(
    s: &AppState,
    org: OrgId,
    survey: &Survey,
    input: ResponseInput,
    key: Option<String>,
    prefix: &str,
) -> ApiResult<NewResponse> {
    let f = |name: &str| format!("{prefix}{name}");
    let answers = survey
        .definition
        .parse_answers(&input.answers)
        .map_err(|e| {
            let field = f(&e.field);
            e.in_field(field)
        })?;
    let customer = match input.customer_id {
        Some(c) => Some(
            s.store
                .get_customer(org, CustomerId(c))
                .await
                .map_err(|_| ApiError::invalid(f("customer_id"), "no such customer"))?,
        ),
        None => None,
    };
    let locale = match input.locale.as_deref() {
        Some(l) => Locale::parse(&f("locale"), l)?,
        None => customer
            .as_ref()
            .map(|c| c.locale)
            .unwrap_or(survey.definition.fallback_locale()),
    };
    let submitted_at = input.submitted_at.unwrap_or_else(Utc::now);
    if submitted_at > Utc::now() + Duration::minutes(5) {
        return Err(ApiError::invalid(
            f("submitted_at"),
            "must not be in the future",
        ));
    }
    Ok(NewResponse {
        survey_id: survey.id,
        version: survey.version,
        customer_id: customer.map(|c| c.id),
        agent_id: input.agent_id.map(UserId),
        invitation_id: None,
        locale,
        source: ResponseSource::Api,
        idempotency_key: key,
        external_id: parse_key(&f("external_id"), input.external_id.as_deref())?,
        submitted_at,
        answers,
    })
}

async fn open_survey(s: &AppState, org: OrgId, id: i64) -> ApiResult<Survey> {
    published(s.store.get_survey(org, SurveyId(id)).await?)
}

fn published(survey: Survey) -> ApiResult<Survey> {
    if survey.status != SurveyStatus::Published {
        return Err(ApiError::Conflict {
            field: "survey".into(),
            message: format!("the survey is {}, not published", survey.status.as_str()),
        });
    }
    Ok(survey)
}

/// Stores one response. Send an `Idempotency-Key` header: retrying with the same key returns the
/// first response (200) instead of creating another (201).
#[utoipa::path(post, path = "/api/v1/surveys/{id}/responses", tag = "surveys", security(("bearer" = [])),
    params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "retry-safe submission")),
    request_body = ResponseInput,
    responses((status = 201, body = Submitted), (status = 200, body = Submitted), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit_response(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ResponseInput>,
) -> ApiResult<(StatusCode, Json<Submitted>)> {
    let org = auth.user.org_id;
    // The hot path reads the survey from a one-second cache (cleared when this instance
    // closes or edits it); the response then waits for its group commit, never for a timer.
    let survey = published(s.store.get_survey_recent(org, SurveyId(id)).await?)?;
    let header = headers.get("idempotency-key").map(|v| {
        v.to_str()
            .map_err(|_| ApiError::invalid("Idempotency-Key", "must be ASCII"))
    });
    let key = parse_key("Idempotency-Key", header.transpose()?)?.or(parse_key(
        "idempotency_key",
        input.idempotency_key.as_deref(),
    )?);
    let new = build_response(&s, org, &survey, input, key, "").await?;
    let (rid, created) = s.store.insert_response(org, &new).await?;
    voc::notify_worker(&s);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(Submitted { id: rid, created })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    /// Up to 1,000 responses, stored all-or-nothing.
    pub responses: Vec<ResponseInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub results: Vec<Submitted>,
}

#[utoipa::path(post, path = "/api/v1/surveys/{id}/responses/batch", tag = "surveys", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = BatchInput,
    responses((status = 200, body = BatchResult), (status = 422, body = ErrorBody)))]
pub async fn submit_batch(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<BatchInput>,
) -> ApiResult<Json<BatchResult>> {
    let org = auth.user.org_id;
    if input.responses.is_empty() || input.responses.len() > 1000 {
        return Err(ApiError::invalid("responses", "send 1–1000 responses"));
    }
    let survey = open_survey(&s, org, id).await?;
    let mut batch = Vec::with_capacity(input.responses.len());
    for (i, r) in input.responses.into_iter().enumerate() {
        let prefix = format!("responses[{i}].");
        let key = parse_key(
            &format!("{prefix}idempotency_key"),
            r.idempotency_key.as_deref(),
        )?;
        batch.push(build_response(&s, org, &survey, r, key, &prefix).await?);
    }
    let stored = s.store.insert_responses(org, &batch).await?;
    voc::notify_worker(&s);
    Ok(Json(BatchResult {
        results: stored
            .into_iter()
            .map(|(id, created)| Submitted { id, created })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationInput {
    pub customer_id: i64,
    pub agent_id: Option<i64>,
    /// Your id of the interaction (call, ticket) this invitation follows.
    pub interaction_ref: Option<String>,
    /// Days until the link expires (1–90, default 14).
    pub expires_in_days: Option<i64>,
    /// Send the invitation (and one reminder) by e-mail, respecting consent and suppression.
    #[serde(default)]
    pub send_email: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedInvitation {
    #[serde(flatten)]
    pub invitation: Invitation,
    /// The personal link, shown once: `/i/{token}`.
    pub path: String,
}

#[utoipa::path(post, path = "/api/v1/surveys/{id}/invitations", tag = "surveys", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = InvitationInput,
    responses((status = 201, body = CreatedInvitation), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_invitation(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<InvitationInput>,
) -> ApiResult<(StatusCode, Json<CreatedInvitation>)> {
    Ok((
        StatusCode::CREATED,
        Json(invite(&s, auth.actor(), id, input).await?),
    ))
}

/// Creates a personal invitation to a published survey (and queues its e-mail when asked);
/// the API and the invitations page share it.
pub async fn invite(
    s: &AppState,
    actor: rapport_storage::Actor,
    survey_id: i64,
    input: InvitationInput,
) -> ApiResult<CreatedInvitation> {
    let org = actor.org_id;
    let survey = open_survey(s, org, survey_id).await?;
    let days = input.expires_in_days.unwrap_or(14);
    if !(1..=90).contains(&days) {
        return Err(ApiError::invalid(
            "expires_in_days",
            "must be between 1 and 90",
        ));
    }
    let token = secrets::random_hex(24);
    let invitation = s
        .store
        .create_invitation(
            actor,
            &NewInvitation {
                survey_id: survey.id,
                customer_id: CustomerId(input.customer_id),
                agent_id: input.agent_id.map(UserId),
                interaction_ref: input.interaction_ref.filter(|r| !r.trim().is_empty()),
                token_hash: secrets::sha256_hex(&token),
                channel: if input.send_email {
                    "email".into()
                } else {
                    "link".into()
                },
                expires_at: Utc::now() + Duration::days(days),
            },
        )
        .await?;
    if input.send_email {
        s.store
            .enqueue_job(
                Some(org),
                voc::JOB_SEND_INVITATION,
                &serde_json::json!({"invitation_id": invitation.id, "token": token}),
                Utc::now(),
            )
            .await?;
        voc::notify_worker(s);
    }
    Ok(CreatedInvitation {
        invitation,
        path: format!("/i/{token}"),
    })
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResponseQuery {
    pub survey_id: Option<i64>,
    pub journey_id: Option<i64>,
    pub stage_id: Option<i64>,
    pub touchpoint_id: Option<i64>,
    pub team_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub locale: Option<String>,
    pub channel: Option<String>,
    pub topic: Option<String>,
    /// detractor, passive or promoter.
    pub nps_group: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl ResponseQuery {
    pub fn filter(&self) -> Result<ResponseFilter, ApiError> {
        Ok(ResponseFilter {
            survey: self.survey_id.map(SurveyId),
            journey: self.journey_id.map(JourneyId),
            stage: self.stage_id.map(StageId),
            touchpoint: self.touchpoint_id.map(TouchpointId),
            team: self.team_id.map(TeamId),
            agent: self.agent_id.map(UserId),
            customer: self.customer_id.map(CustomerId),
            locale: self
                .locale
                .as_deref()
                .map(|l| Locale::parse("locale", l))
                .transpose()?,
            channel: self
                .channel
                .as_deref()
                .map(|c| Channel::parse("channel", c))
                .transpose()?,
            topic: self.topic.clone().filter(|t| !t.is_empty()),
            nps_group: match self.nps_group.as_deref() {
                None | Some("") => None,
                Some("detractor") => Some(survey::NpsGroup::Detractor),
                Some("passive") => Some(survey::NpsGroup::Passive),
                Some("promoter") => Some(survey::NpsGroup::Promoter),
                Some(_) => {
                    return Err(ApiError::invalid(
                        "nps_group",
                        "must be detractor, passive or promoter",
                    ))
                }
            },
            from: self.from,
            to: self.to,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseList {
    pub items: Vec<Response>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// Responses, newest first: the records behind every figure.
#[utoipa::path(get, path = "/api/v1/responses", tag = "surveys", security(("bearer" = [])),
    params(ResponseQuery), responses((status = 200, body = ResponseList), (status = 403, body = ErrorBody)))]
pub async fn list_responses(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ResponseQuery>,
) -> ApiResult<Json<ResponseList>> {
    let limit = q.limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {PAGE_MAX}"),
        ));
    }
    let offset = q.offset.unwrap_or(0).max(0);
    let (items, total) = s
        .store
        .list_responses(auth.user.org_id, &q.filter()?, limit, offset)
        .await?;
    Ok(Json(ResponseList {
        items,
        total,
        limit,
        offset,
    }))
}

#[utoipa::path(get, path = "/api/v1/responses/{id}", tag = "surveys", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Response), (status = 404, body = ErrorBody)))]
pub async fn get_response(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Response>> {
    Ok(Json(
        s.store
            .get_response(auth.user.org_id, ResponseId(id))
            .await?,
    ))
}
