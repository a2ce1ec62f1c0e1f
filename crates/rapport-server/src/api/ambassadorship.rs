//! The ambassadorship API: anonymous employee pulses and their results, customer behaviour
//! events and measures, and the EX→CX linkage.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use rapport_domain::ambassadorship::*;
use rapport_domain::*;
use rapport_storage::Pulse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::ambassadorship as svc;
use crate::auth::{Auth, Frontline, Leads, Managers, Members};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_pulses, create_pulse))
        .routes(routes!(get_pulse))
        .routes(routes!(open_pulse))
        .routes(routes!(close_pulse))
        .routes(routes!(pulse_results))
        .routes(routes!(get_pulse_schedule, set_pulse_schedule))
        .routes(routes!(list_events, record_event))
        .routes(routes!(record_events_batch))
        .routes(routes!(behaviour))
        .routes(routes!(behaviour_by_touchpoint))
        .routes(routes!(linkage))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PulseInput {
    pub title: String,
    /// `YYYY-Qn`; the current quarter when left out.
    pub period: Option<String>,
    /// The questions; the default eNPS + ambassadorship set when left out.
    pub definition: Option<PulseDefinition>,
}

/// Pulses, newest quarter first, with how many were invited and answered.
#[utoipa::path(get, path = "/api/v1/pulses", tag = "ambassadorship", security(("bearer" = [])),
    responses((status = 200, body = Vec<Pulse>)))]
pub async fn list_pulses(
    auth: Auth<Managers>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<Pulse>>> {
    Ok(Json(s.store.list_pulses(auth.user.org_id).await?))
}

/// Drafts a pulse (eNPS and the ambassadorship index by default, in en/he/el).
#[utoipa::path(post, path = "/api/v1/pulses", tag = "ambassadorship", security(("bearer" = [])),
    request_body = PulseInput,
    responses((status = 201, body = Pulse), (status = 422, body = ErrorBody)))]
pub async fn create_pulse(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<PulseInput>,
) -> ApiResult<(StatusCode, Json<Pulse>)> {
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ApiError::invalid("title", "1 to 200 characters"));
    }
    let period = match input.period.as_deref().map(str::trim) {
        Some(p) => {
            svc::quarter_bounds(p)
                .ok_or_else(|| ApiError::invalid("period", "must look like 2026-Q3"))?;
            p.to_string()
        }
        None => svc::quarter(Utc::now()),
    };
    let definition = input.definition.unwrap_or_else(default_pulse);
    definition
        .validate()
        .map_err(|e| ApiError::invalid(format!("definition.{}", e.field), e.reason))?;
    Ok((
        StatusCode::CREATED,
        Json(
            s.store
                .create_pulse(auth.actor(), title, &period, &definition)
                .await?,
        ),
    ))
}

#[utoipa::path(get, path = "/api/v1/pulses/{id}", tag = "ambassadorship", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Pulse), (status = 404, body = ErrorBody)))]
pub async fn get_pulse(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Pulse>> {
    Ok(Json(s.store.get_pulse(auth.user.org_id, id).await?))
}

/// Opens a pulse and e-mails a personal, single-use link to every agent and team lead not
/// yet invited (run it again to invite people who joined since).
#[utoipa::path(post, path = "/api/v1/pulses/{id}/open", tag = "ambassadorship", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Pulse), (status = 404, body = ErrorBody)))]
pub async fn open_pulse(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Pulse>> {
    s.store.set_pulse_status(auth.actor(), id, "open").await?;
    svc::invite_all(&s, auth.actor(), id).await?;
    Ok(Json(s.store.get_pulse(auth.user.org_id, id).await?))
}

#[utoipa::path(post, path = "/api/v1/pulses/{id}/close", tag = "ambassadorship", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Pulse), (status = 404, body = ErrorBody)))]
pub async fn close_pulse(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Pulse>> {
    Ok(Json(
        s.store.set_pulse_status(auth.actor(), id, "closed").await?,
    ))
}

/// eNPS and the ambassadorship index with its three sub-indices per team and quarter, and for
/// the organisation. Groups below the minimum size are suppressed — with a second group when
/// one hidden group could otherwise be worked out from the total.
#[utoipa::path(get, path = "/api/v1/pulse-results", tag = "ambassadorship", security(("bearer" = [])),
    responses((status = 200, body = Vec<PulseGroup>)))]
pub async fn pulse_results(
    auth: Auth<Members>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<PulseGroup>>> {
    Ok(Json(svc::pulse_groups(&s, auth.user.org_id).await?))
}

/// A customer's behaviour events, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/events", tag = "ambassadorship", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<CustomerEvent>), (status = 404, body = ErrorBody)))]
pub async fn list_events(
    auth: Auth<Frontline>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<CustomerEvent>>> {
    let org = auth.user.org_id;
    s.store.get_customer(org, CustomerId(id)).await?;
    Ok(Json(s.store.customer_events(org, CustomerId(id)).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recorded {
    pub id: i64,
    /// `false` when an event with this `external_id` was stored before.
    pub created: bool,
}

/// Records what a customer did (purchase, renewal, upgrade, churn, referral, complaint);
/// idempotent on `external_id`.
#[utoipa::path(post, path = "/api/v1/customers/{id}/events", tag = "ambassadorship", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewEvent,
    responses((status = 201, body = Recorded), (status = 200, body = Recorded), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_event(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NewEvent>,
) -> ApiResult<(StatusCode, Json<Recorded>)> {
    // An unknown customer (or another organisation's) is the path's 404, not the body's 422.
    s.store
        .get_customer(auth.user.org_id, CustomerId(id))
        .await?;
    input.validate(Utc::now())?;
    let done = s
        .store
        .record_events(auth.actor(), CustomerId(id), &[input])
        .await?;
    let (id, created) = done[0];
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(Recorded { id, created }),
    ))
}

/// Most events in one batch.
const EVENTS_MAX: usize = 1000;

/// Records up to 1,000 events of one customer, all or nothing: an invalid event names its
/// index (`events[3].occurred_at`) and nothing is stored.
#[utoipa::path(post, path = "/api/v1/customers/{id}/events/batch", tag = "ambassadorship", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Vec<NewEvent>,
    responses((status = 200, body = Vec<Recorded>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_events_batch(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<Vec<NewEvent>>,
) -> ApiResult<Json<Vec<Recorded>>> {
    s.store
        .get_customer(auth.user.org_id, CustomerId(id))
        .await?;
    if input.len() > EVENTS_MAX {
        return Err(ApiError::invalid(
            "events",
            format!("at most {EVENTS_MAX} per batch"),
        ));
    }
    let now = Utc::now();
    for (i, e) in input.iter().enumerate() {
        e.validate(now)
            .map_err(|d| ApiError::invalid(format!("events[{i}].{}", d.field), d.reason))?;
    }
    let done = s
        .store
        .record_events(auth.actor(), CustomerId(id), &input)
        .await?;
    Ok(Json(
        done.into_iter()
            .map(|(id, created)| Recorded { id, created })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuartersQuery {
    /// How many quarters back, including the current one (default 8, at most 16).
    pub quarters: Option<usize>,
}

/// Customer behaviour per team and quarter — retention, churn, repeat purchase, referral and
/// complaints within 90 days of the customers' last contact — beside the same customers' NPS.
#[utoipa::path(get, path = "/api/v1/behaviour", tag = "ambassadorship", security(("bearer" = [])),
    params(QuartersQuery), responses((status = 200, body = Vec<BehaviourGroup>)))]
pub async fn behaviour(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<QuartersQuery>,
) -> ApiResult<Json<Vec<BehaviourGroup>>> {
    let n = q.quarters.unwrap_or(8);
    if !(1..=16).contains(&n) {
        return Err(ApiError::invalid("quarters", "must be between 1 and 16"));
    }
    let qs = svc::recent_quarters(Utc::now(), n);
    Ok(Json(svc::behaviour(&s, auth.user.org_id, &qs).await?))
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LinkageQuery {
    /// ambassadorship, ambassadorship.company, ambassadorship.value_proposition,
    /// ambassadorship.customer, enps or emotional_labour.
    pub ex: String,
    /// nps, retention_90d, churn_90d, repeat_purchase_90d, referral_90d or complaint_90d.
    pub cx: String,
    /// Quarters between EX and CX (default 1: this quarter's EX against next quarter's CX).
    pub lag: Option<i32>,
    /// Quarters of history (default 8, at most 16).
    pub quarters: Option<usize>,
}

/// EX→CX linkage: one point per team and quarter, Pearson and Spearman with bootstrap 95%
/// intervals and n, customer NPS against the same outcome for comparison, a regression on the
/// three sub-indices, warnings, and a plain-language reading.
#[utoipa::path(get, path = "/api/v1/linkage", tag = "ambassadorship", security(("bearer" = [])),
    params(LinkageQuery), responses((status = 200, body = svc::Linkage), (status = 422, body = ErrorBody)))]
pub async fn linkage(
    auth: Auth<Members>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<LinkageQuery>,
) -> ApiResult<Json<svc::Linkage>> {
    let quarters = q.quarters.unwrap_or(8);
    if !(2..=16).contains(&quarters) {
        return Err(ApiError::invalid("quarters", "must be between 2 and 16"));
    }
    Ok(Json(
        svc::linkage(
            &s,
            auth.user.org_id,
            auth.user.locale,
            &q.ex,
            &q.cx,
            q.lag.unwrap_or(1),
            quarters,
        )
        .await?,
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PulseSchedule {
    /// Open a pulse (the latest questions) at the start of every quarter and invite everyone.
    pub quarterly: bool,
}

#[utoipa::path(get, path = "/api/v1/pulse-schedule", tag = "ambassadorship", security(("bearer" = [])),
    responses((status = 200, body = PulseSchedule)))]
pub async fn get_pulse_schedule(
    auth: Auth<Managers>,
    State(s): State<AppState>,
) -> ApiResult<Json<PulseSchedule>> {
    Ok(Json(PulseSchedule {
        quarterly: s.store.pulse_quarterly(auth.user.org_id).await?,
    }))
}

/// Turns quarterly pulses on or off; when on, the worker opens this quarter's pulse within a
/// minute if there is none.
#[utoipa::path(put, path = "/api/v1/pulse-schedule", tag = "ambassadorship", security(("bearer" = [])),
    request_body = PulseSchedule, responses((status = 200, body = PulseSchedule)))]
pub async fn set_pulse_schedule(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<PulseSchedule>,
) -> ApiResult<Json<PulseSchedule>> {
    s.store
        .set_pulse_quarterly(auth.actor(), input.quarterly)
        .await?;
    crate::jobs::notify_worker(&s);
    Ok(Json(input))
}

/// The same behaviour measures per touchpoint and quarter: of the customers served at each
/// touchpoint (survey answers, conversations, events recorded there).
#[utoipa::path(get, path = "/api/v1/behaviour/touchpoints", tag = "ambassadorship", security(("bearer" = [])),
    params(QuartersQuery), responses((status = 200, body = Vec<svc::TouchpointBehaviour>)))]
pub async fn behaviour_by_touchpoint(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<QuartersQuery>,
) -> ApiResult<Json<Vec<svc::TouchpointBehaviour>>> {
    let n = q.quarters.unwrap_or(8);
    if !(1..=16).contains(&n) {
        return Err(ApiError::invalid("quarters", "must be between 1 and 16"));
    }
    let qs = svc::recent_quarters(Utc::now(), n);
    Ok(Json(
        svc::behaviour_by_touchpoint(&s, auth.user.org_id, &qs).await?,
    ))
}
