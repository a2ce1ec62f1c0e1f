//! Journeys, their stages and touchpoints, with the promise made at each touchpoint.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rapport_domain::model::*;
use rapport_domain::*;
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath};
use crate::auth::{Auth, Managers, Members};
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/journeys", tag = "journeys", security(("bearer" = [])),
    responses((status = 200, body = [Journey])))]
pub async fn list_journeys(
    auth: Auth<Members>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<Journey>>> {
    Ok(Json(s.store.list_journeys(auth.user.org_id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JourneyInput {
    pub name: String,
    pub description: Option<String>,
    /// The language the journey's stages and promises are written in: en, he or el.
    pub locale: String,
}

impl JourneyInput {
    pub fn parse(self) -> Result<NewJourney, DomainError> {
        Ok(NewJourney {
            name: Name::parse("name", &self.name)?,
            description: Text::parse_optional("description", self.description.as_deref())?,
            locale: Locale::parse("locale", &self.locale)?,
        })
    }
}

/// Creates a journey with the five default stages (marketing promise, first contact, sales,
/// service, after-service), named in the journey's language.
#[utoipa::path(post, path = "/api/v1/journeys", tag = "journeys", security(("bearer" = [])),
    request_body = JourneyInput,
    responses((status = 201, body = JourneyMap), (status = 422, body = ErrorBody)))]
pub async fn create_journey(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<JourneyInput>,
) -> ApiResult<(StatusCode, Json<JourneyMap>)> {
    let new = input.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(s.store.create_journey(auth.actor(), &new).await?),
    ))
}

/// The journey map: ordered stages, each with its ordered touchpoints.
#[utoipa::path(get, path = "/api/v1/journeys/{id}", tag = "journeys", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = JourneyMap), (status = 404, body = ErrorBody)))]
pub async fn get_journey(
    auth: Auth<Members>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<JourneyMap>> {
    Ok(Json(
        s.store.get_journey(auth.user.org_id, JourneyId(id)).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/journeys/{id}", tag = "journeys", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = JourneyInput,
    responses((status = 200, body = Journey), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_journey(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<JourneyInput>,
) -> ApiResult<Json<Journey>> {
    let upd = input.parse()?;
    Ok(Json(
        s.store
            .update_journey(auth.actor(), JourneyId(id), &upd)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/journeys/{id}", tag = "journeys", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_journey(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.store.delete_journey(auth.actor(), JourneyId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    pub name: String,
    /// marketing_promise, first_contact, sales, service, after_service or custom.
    #[serde(default = "custom")]
    pub kind: String,
    /// 0-based position; omitted appends (create) or keeps the current one (update).
    pub position: Option<i64>,
}

fn custom() -> String {
    "custom".into()
}

impl StageInput {
    pub fn parse(self) -> Result<NewStage, DomainError> {
        Ok(NewStage {
            name: Name::parse("name", &self.name)?,
            kind: StageKind::parse("kind", &self.kind)?,
            position: self.position,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/journeys/{id}/stages", tag = "journeys", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = StageInput,
    responses((status = 201, body = Stage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_stage(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<StageInput>,
) -> ApiResult<(StatusCode, Json<Stage>)> {
    // An unknown journey (or another organisation's) is the path's 404, not the body's 422.
    s.store.get_journey(auth.user.org_id, JourneyId(id)).await?;
    let new = input.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(
            s.store
                .create_stage(auth.actor(), JourneyId(id), &new)
                .await?,
        ),
    ))
}

#[utoipa::path(put, path = "/api/v1/stages/{id}", tag = "journeys", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = StageInput,
    responses((status = 200, body = Stage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_stage(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<StageInput>,
) -> ApiResult<Json<Stage>> {
    let upd = input.parse()?;
    Ok(Json(
        s.store
            .update_stage(auth.actor(), StageId(id), &upd)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/stages/{id}", tag = "journeys", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_stage(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.store.delete_stage(auth.actor(), StageId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TouchpointInput {
    pub stage_id: i64,
    pub name: String,
    /// advertising, web, app, phone, email, chat, sms, social, mail or in_person.
    pub channel: String,
    /// The user who owns this touchpoint (gets its closed-loop cases).
    pub owner_id: Option<i64>,
    /// The promise made to the customer here.
    pub promise: Option<String>,
    pub position: Option<i64>,
}

impl TouchpointInput {
    pub fn parse(self) -> Result<NewTouchpoint, DomainError> {
        Ok(NewTouchpoint {
            stage_id: StageId(self.stage_id),
            name: Name::parse("name", &self.name)?,
            channel: Channel::parse("channel", &self.channel)?,
            owner_id: self.owner_id.map(UserId),
            promise: Text::parse_optional("promise", self.promise.as_deref())?,
            position: self.position,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/touchpoints", tag = "journeys", security(("bearer" = [])),
    request_body = TouchpointInput,
    responses((status = 201, body = Touchpoint), (status = 422, body = ErrorBody)))]
pub async fn create_touchpoint(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<TouchpointInput>,
) -> ApiResult<(StatusCode, Json<Touchpoint>)> {
    let new = input.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(s.store.create_touchpoint(auth.actor(), &new).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/touchpoints/{id}", tag = "journeys", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Touchpoint), (status = 404, body = ErrorBody)))]
pub async fn get_touchpoint(
    auth: Auth<Members>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Touchpoint>> {
    Ok(Json(
        s.store
            .get_touchpoint(auth.user.org_id, TouchpointId(id))
            .await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/touchpoints/{id}", tag = "journeys", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = TouchpointInput,
    responses((status = 200, body = Touchpoint), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_touchpoint(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<TouchpointInput>,
) -> ApiResult<Json<Touchpoint>> {
    let upd = input.parse()?;
    Ok(Json(
        s.store
            .update_touchpoint(auth.actor(), TouchpointId(id), &upd)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/touchpoints/{id}", tag = "journeys", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_touchpoint(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.store
        .delete_touchpoint(auth.actor(), TouchpointId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
