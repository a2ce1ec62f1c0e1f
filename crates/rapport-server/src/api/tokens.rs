//! The caller's own API tokens, and the organisation's audit log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rapport_domain::model::*;
use rapport_domain::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{secrets, Admins, Auth, Members};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])),
    responses((status = 200, body = [ApiToken])))]
pub async fn list_tokens(
    auth: Auth<Members>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(
        s.store
            .list_api_tokens(auth.user.org_id, auth.user.id)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// What the token is for, e.g. "helpdesk sync".
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret, shown this once; only its hash is stored.
    pub secret: String,
}

/// Creates a token acting as the caller, with the caller's role.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])),
    request_body = TokenInput,
    responses((status = 201, body = CreatedToken), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    auth: Auth<Members>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<TokenInput>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let name = Name::parse("name", &input.name)?;
    let (secret, prefix, hash) = secrets::new_api_token();
    let token = s
        .store
        .create_api_token(auth.actor(), auth.user.id, &name, &prefix, &hash)
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    auth: Auth<Members>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.store
        .revoke_api_token(auth.actor(), auth.user.id, TokenId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Newest first; at most 1000.
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "tokens", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = [AuditEntry]), (status = 403, body = ErrorBody)))]
pub async fn list_audit(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    Ok(Json(s.store.list_audit(auth.user.org_id, limit).await?))
}
