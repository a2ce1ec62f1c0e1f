//! Customers: the people whose experience Rapport measures.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rapport_domain::model::*;
use rapport_domain::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::{PAGE_DEFAULT, PAGE_MAX};
use crate::auth::{Auth, Frontline, Managers};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    /// Matches name, external id or e-mail (case-insensitive, literal).
    pub search: Option<String>,
    pub locale: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerList {
    pub items: Vec<Customer>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])),
    params(CustomerQuery),
    responses((status = 200, body = CustomerList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_customers(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> ApiResult<Json<CustomerList>> {
    let limit = q.limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {PAGE_MAX}"),
        ));
    }
    let offset = q.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid("offset", "must not be negative"));
    }
    let filter = CustomerFilter {
        search: q.search.filter(|s| !s.trim().is_empty()),
        locale: q
            .locale
            .as_deref()
            .map(|l| Locale::parse("locale", l))
            .transpose()?,
        limit,
        offset,
    };
    let page = s.store.list_customers(auth.user.org_id, &filter).await?;
    Ok(Json(CustomerList {
        items: page.items,
        total: page.total,
        limit,
        offset,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// Your system's id for this customer; unique in the organisation.
    pub external_id: String,
    pub name: String,
    pub locale: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    #[serde(default)]
    pub consent: Consent,
}

impl CustomerInput {
    pub fn parse(self) -> Result<NewCustomer, DomainError> {
        Ok(NewCustomer {
            external_id: Name::parse("external_id", &self.external_id)?,
            name: Name::parse("name", &self.name)?,
            locale: Locale::parse("locale", &self.locale)?,
            email: self
                .email
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(|e| Email::parse("email", e))
                .transpose()?,
            phone: self
                .phone
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(|p| Phone::parse("phone", p))
                .transpose()?,
            consent: self.consent,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])),
    request_body = CustomerInput,
    responses((status = 201, body = Customer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_customer(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<CustomerInput>,
) -> ApiResult<(StatusCode, Json<Customer>)> {
    let new = input.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(s.store.create_customer(auth.actor(), &new).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody)))]
pub async fn get_customer(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Customer>> {
    Ok(Json(
        s.store
            .get_customer(auth.user.org_id, CustomerId(id))
            .await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CustomerInput,
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_customer(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CustomerInput>,
) -> ApiResult<Json<Customer>> {
    let upd = input.parse()?;
    Ok(Json(
        s.store
            .update_customer(auth.actor(), CustomerId(id), &upd)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_customer(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.store
        .delete_customer(auth.actor(), CustomerId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
