//! Organisation, users and teams.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rapport_domain::model::*;
use rapport_domain::*;
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{password, Admins, Auth, Leads, Members};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// The caller: who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "people", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
pub async fn me(auth: Auth<Members>) -> Json<User> {
    Json(auth.user)
}

#[utoipa::path(get, path = "/api/v1/organisation", tag = "people", security(("bearer" = [])),
    responses((status = 200, body = Organisation), (status = 401, body = ErrorBody)))]
pub async fn get_organisation(
    auth: Auth<Members>,
    State(s): State<AppState>,
) -> ApiResult<Json<Organisation>> {
    Ok(Json(s.store.get_organisation(auth.user.org_id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationInput {
    pub name: String,
    pub default_locale: String,
}

#[utoipa::path(put, path = "/api/v1/organisation", tag = "people", security(("bearer" = [])),
    request_body = OrganisationInput,
    responses((status = 200, body = Organisation), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_organisation(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<OrganisationInput>,
) -> ApiResult<Json<Organisation>> {
    let name = Name::parse("name", &input.name)?;
    let locale = Locale::parse("default_locale", &input.default_locale)?;
    Ok(Json(
        s.store
            .update_organisation(auth.actor(), &name, locale)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Only members of this team.
    pub team_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "people", security(("bearer" = [])),
    params(UserQuery),
    responses((status = 200, body = [User]), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(
        s.store
            .list_users(auth.user.org_id, q.team_id.map(TeamId))
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserInput {
    pub email: String,
    pub display_name: String,
    /// admin, cx_manager, team_lead, agent or viewer.
    pub role: String,
    pub team_id: Option<i64>,
    /// en, he or el; defaults to the organisation's language.
    pub locale: Option<String>,
    /// At least 10 characters. Without one, the user cannot log in until an admin sets it.
    pub password: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "people", security(("bearer" = [])),
    request_body = NewUserInput,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<NewUserInput>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let org = s.store.get_organisation(auth.user.org_id).await?;
    let password = input
        .password
        .as_deref()
        .map(|p| Password::parse("password", p))
        .transpose()?;
    let mut new = NewUser {
        email: Email::parse("email", &input.email)?,
        display_name: Name::parse("display_name", &input.display_name)?,
        role: Role::parse(&input.role)?,
        team_id: input.team_id.map(TeamId),
        locale: match input.locale.as_deref() {
            Some(l) => Locale::parse("locale", l)?,
            None => org.default_locale,
        },
        password_hash: None,
    };
    if let Some(p) = password {
        new.password_hash = Some(
            password::hash_async(p.expose().to_string())
                .await
                .map_err(ApiError::Internal)?,
        );
    }
    Ok((
        StatusCode::CREATED,
        Json(s.store.create_user(auth.actor(), &new).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<User>> {
    Ok(Json(s.store.get_user(auth.user.org_id, UserId(id)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdateInput {
    pub display_name: String,
    pub role: String,
    pub team_id: Option<i64>,
    pub locale: String,
    pub active: bool,
}

#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = UserUpdateInput,
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<UserUpdateInput>,
) -> ApiResult<Json<User>> {
    let upd = UserUpdate {
        display_name: Name::parse("display_name", &input.display_name)?,
        role: Role::parse(&input.role)?,
        team_id: input.team_id.map(TeamId),
        locale: Locale::parse("locale", &input.locale)?,
        active: input.active,
    };
    if UserId(id) == auth.user.id && (upd.role != Role::Admin || !upd.active) {
        return Err(ApiError::invalid(
            "role",
            "you cannot remove your own administrator access",
        ));
    }
    Ok(Json(
        s.store.update_user(auth.actor(), UserId(id), &upd).await?,
    ))
}

/// Deactivates the user (users are never deleted, so the audit log keeps its meaning).
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
pub async fn deactivate_user(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<User>> {
    if UserId(id) == auth.user.id {
        return Err(ApiError::invalid("id", "you cannot deactivate yourself"));
    }
    Ok(Json(
        s.store.deactivate_user(auth.actor(), UserId(id)).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/teams", tag = "people", security(("bearer" = [])),
    responses((status = 200, body = [Team])))]
pub async fn list_teams(
    auth: Auth<Members>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<Team>>> {
    Ok(Json(s.store.list_teams(auth.user.org_id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamInput {
    pub name: String,
    /// The team lead's user id.
    pub lead_id: Option<i64>,
}

impl TeamInput {
    fn parse(self) -> Result<NewTeam, DomainError> {
        Ok(NewTeam {
            name: Name::parse("name", &self.name)?,
            lead_id: self.lead_id.map(UserId),
        })
    }
}

#[utoipa::path(post, path = "/api/v1/teams", tag = "people", security(("bearer" = [])),
    request_body = TeamInput,
    responses((status = 201, body = Team), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_team(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<TeamInput>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    let new = input.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(s.store.create_team(auth.actor(), &new).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Team), (status = 404, body = ErrorBody)))]
pub async fn get_team(
    auth: Auth<Members>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Team>> {
    Ok(Json(s.store.get_team(auth.user.org_id, TeamId(id)).await?))
}

#[utoipa::path(put, path = "/api/v1/teams/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = TeamInput,
    responses((status = 200, body = Team), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_team(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<TeamInput>,
) -> ApiResult<Json<Team>> {
    let upd = input.parse()?;
    Ok(Json(
        s.store.update_team(auth.actor(), TeamId(id), &upd).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/teams/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_team(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.store.delete_team(auth.actor(), TeamId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
