//! Outbound webhook endpoints, their delivery log and the dead-letter list. Administrators only:
//! an endpoint receives the organisation's events, and its secret signs them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rapport_domain::webhooks::*;
use rapport_domain::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::{PAGE_DEFAULT, PAGE_MAX};
use crate::auth::{secrets, Admins, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(delivery_attempts))
        .routes(routes!(redeliver))
}

/// An endpoint as sent by the caller.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// `https://…`, or `http://…` for a receiver on the same network.
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Any of `response.created`, `case.created`, `case.updated`, `case.closed`, or `["*"]`.
    pub events: Vec<String>,
    /// Inactive endpoints receive nothing; defaults to active.
    pub active: Option<bool>,
}

impl WebhookInput {
    fn parse(self) -> Result<WebhookSpec, ApiError> {
        let spec = WebhookSpec {
            url: self.url.trim().to_string(),
            description: self.description.trim().to_string(),
            events: self.events,
            active: self.active.unwrap_or(true),
        };
        spec.validate()?;
        Ok(spec)
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// Signs every delivery (`Rapport-Signature`); shown this once.
    pub secret: String,
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = [Webhook]), (status = 403, body = ErrorBody)))]
pub async fn list_webhooks(
    auth: Auth<Admins>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(s.store.list_webhooks(auth.user.org_id).await?))
}

/// Registers an endpoint and returns its signing secret, which is never shown again.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = WebhookInput,
    responses((status = 201, body = CreatedWebhook), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_webhook(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<WebhookInput>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    let spec = input.parse()?;
    let secret = format!("whsec_{}", secrets::random_hex(32));
    let webhook = s.store.create_webhook(auth.actor(), &spec, &secret).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook { webhook, secret }),
    ))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Webhook), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_webhook(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(
        s.store.get_webhook(auth.user.org_id, WebhookId(id)).await?,
    ))
}

/// Replaces the endpoint's address, events and active flag; the secret stays.
#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = WebhookInput,
    responses((status = 200, body = Webhook), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_webhook(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<WebhookInput>,
) -> ApiResult<Json<Webhook>> {
    let spec = input.parse()?;
    Ok(Json(
        s.store
            .update_webhook(auth.actor(), WebhookId(id), &spec)
            .await?,
    ))
}

/// Deletes the endpoint with its delivery log; queued deliveries are dropped.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.store.delete_webhook(auth.actor(), WebhookId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `dead` (the dead-letter list).
    pub state: Option<String>,
    /// Newest first; default 50, at most 500.
    pub limit: Option<i64>,
}

/// The endpoint's deliveries, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    security(("bearer" = [])), params(("id" = i64, Path), DeliveryQuery),
    responses((status = 200, body = [Delivery]), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_deliveries(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<Vec<Delivery>>> {
    let state = q
        .state
        .as_deref()
        .map(|v| DeliveryState::parse("state", v))
        .transpose()?;
    let limit = q.limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {PAGE_MAX}"),
        ));
    }
    let org = auth.user.org_id;
    let hook = s.store.get_webhook(org, WebhookId(id)).await?;
    Ok(Json(
        s.store.list_deliveries(org, hook.id, state, limit).await?,
    ))
}

/// Every HTTP attempt of one delivery, oldest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries/{delivery}/attempts",
    tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path), ("delivery" = i64, Path)),
    responses((status = 200, body = [DeliveryAttempt]), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn delivery_attempts(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<Vec<DeliveryAttempt>>> {
    let org = auth.user.org_id;
    check_delivery(&s, org, WebhookId(id), delivery).await?;
    Ok(Json(s.store.delivery_attempts(org, delivery).await?))
}

/// Sends a delivery again, dead or not, under the same delivery id and for another 24 hours.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
    tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path), ("delivery" = i64, Path)),
    responses((status = 202, body = Delivery), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn redeliver(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
) -> ApiResult<(StatusCode, Json<Delivery>)> {
    check_delivery(&s, auth.user.org_id, WebhookId(id), delivery).await?;
    let queued = s
        .store
        .redeliver(auth.actor(), delivery, chrono::Utc::now())
        .await?;
    crate::jobs::notify_worker(&s);
    Ok((StatusCode::ACCEPTED, Json(queued)))
}

/// A delivery is addressed through its endpoint; one of another endpoint or organisation is
/// indistinguishable from one that does not exist.
async fn check_delivery(s: &AppState, org: OrgId, hook: WebhookId, delivery: i64) -> ApiResult<()> {
    let found = s.store.delivery_to_send(delivery).await?;
    if found.org_id != org || found.delivery.webhook_id != hook {
        return Err(ApiError::NotFound("delivery"));
    }
    Ok(())
}
