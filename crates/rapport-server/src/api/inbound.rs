//! Inbound helpdesk and contact-centre events: "ticket solved" from any system that can POST
//! JSON sends the customer a survey. Each source has an unguessable address and a secret that
//! signs every body (`Rapport-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`, the
//! same scheme as our outbound webhooks); a ticket id is acted on once, however often it is sent.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::Utc;
use rapport_domain::model::{Consent, NewCustomer};
use rapport_domain::voc::SurveyId;
use rapport_domain::webhooks::{signature_timestamp, InboundEvent, InboundMapping, InboundSource};
use rapport_domain::Name;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath};
use crate::auth::{secrets, Admins, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// How far a signature's timestamp may be from now: replayed bodies older than this fail.
const SIGNATURE_TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundInput {
    pub name: String,
    pub mapping: InboundMapping,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedInbound {
    #[serde(flatten)]
    pub source: InboundSource,
    /// The signing secret, shown this once.
    pub secret: String,
    /// Where the sender POSTs its events.
    pub path: String,
}

#[utoipa::path(get, path = "/api/v1/inbound-sources", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = [InboundSource])))]
pub async fn list_sources(
    auth: Auth<Admins>,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<InboundSource>>> {
    Ok(Json(s.store.list_inbound_sources(auth.user.org_id).await?))
}

#[utoipa::path(post, path = "/api/v1/inbound-sources", tag = "webhooks", security(("bearer" = [])),
    request_body = InboundInput,
    responses((status = 201, body = CreatedInbound), (status = 422, body = ErrorBody)))]
pub async fn create_source(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<InboundInput>,
) -> ApiResult<(StatusCode, Json<CreatedInbound>)> {
    let name = Name::parse("name", &input.name)?;
    input.mapping.validate()?;
    let public_id = secrets::random_hex(16);
    let secret = format!("whsec_{}", secrets::random_hex(32));
    let source = s
        .store
        .create_inbound_source(
            auth.actor(),
            name.as_str(),
            &public_id,
            &secret,
            &input.mapping,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedInbound {
            path: format!("/api/v1/inbound/{public_id}"),
            source,
            secret,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/inbound-sources/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_source(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.store.delete_inbound_source(auth.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize)]
pub struct Received {
    /// `invited`, `ignored` (not a trigger event) or `duplicate` (this ticket was seen before).
    pub outcome: &'static str,
}

fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let unauthorised = || ApiError::Unauthenticated;
    let header = headers
        .get("rapport-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unauthorised)?;
    let t = signature_timestamp(header).ok_or_else(unauthorised)?;
    if (Utc::now().timestamp() - t).abs() > SIGNATURE_TOLERANCE_SECS {
        return Err(unauthorised());
    }
    let expected = crate::jobs::webhooks::signature(secret, t, body);
    // Constant-time comparison: the time taken must not reveal how much of it matched.
    let (a, b) = (expected.as_bytes(), header.as_bytes());
    let same = a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
    if same {
        Ok(())
    } else {
        Err(unauthorised())
    }
}

/// Receives one event. Not in the OpenAPI document: it is called by other systems, with a
/// signature instead of a bearer token.
pub async fn receive(
    State(s): State<AppState>,
    Path(public_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Received>)> {
    let Some((org, source, secret)) = s.store.inbound_source_by_public_id(&public_id).await? else {
        return Err(ApiError::NotFound("inbound source"));
    };
    verify(&secret, &headers, &body)?;
    let m = &source.mapping;
    let invite = match m.parse_event(&body)? {
        InboundEvent::Ignored { .. } => {
            return Ok((StatusCode::ACCEPTED, Json(Received { outcome: "ignored" })))
        }
        InboundEvent::Invite(i) => i,
    };
    let ticket = invite.ticket;
    // Everything is parsed: from here on, record the ticket so a resend does nothing.
    if !s
        .store
        .record_inbound_event(source.id, &ticket, "invited", Utc::now())
        .await?
    {
        return Ok((
            StatusCode::OK,
            Json(Received {
                outcome: "duplicate",
            }),
        ));
    }
    let customer = match s
        .store
        .customer_by_external_id(org, invite.customer.as_str())
        .await?
    {
        Some(c) => c.id,
        None => {
            let default_locale = s.store.get_organisation(org).await?.default_locale;
            s.store
                .create_customer(
                    rapport_storage::Actor::system(org),
                    &NewCustomer {
                        name: invite.name.unwrap_or_else(|| invite.customer.clone()),
                        external_id: invite.customer,
                        locale: invite.locale.unwrap_or(default_locale),
                        email: invite.email,
                        phone: None,
                        consent: Consent {
                            email: m.new_customers_consent_to_email,
                            sms: false,
                            research: false,
                        },
                    },
                )
                .await?
                .id
        }
    };
    crate::jobs::cases::invite(
        &s,
        org,
        SurveyId(m.survey_id),
        customer,
        None,
        format!("ticket:{ticket}"),
    )
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("inviting: {e}")))?;
    crate::jobs::notify_worker(&s);
    tracing::info!(source = source.id, ticket, "inbound event: survey queued");
    Ok((StatusCode::ACCEPTED, Json(Received { outcome: "invited" })))
}
