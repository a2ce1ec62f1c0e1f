//! Survey pages: the respondent's public and invitation pages, and survey management.

mod invitations;
mod manage;
mod respond;

use super::Routes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use rapport_domain::voc::{Invitation, NewResponse, ResponseSource, Survey, SurveyStatus};
use rapport_domain::{Locale, OrgId};
use rapport_storage::StorageError;
use serde::Deserialize;

use self::respond::{Form, Outcome, Posted};
use super::{CsrfForm, Ctx};
use crate::auth::secrets;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Tr;
use crate::state::AppState;

pub(super) fn router() -> Routes {
    Routes::new()
        .get("/s/{public_id}", public_get)
        .post("/s/{public_id}", public_post)
        .get("/i/{token}", invitation_get)
        .post("/i/{token}", invitation_post)
        .get("/surveys", manage::list)
        .post("/surveys", manage::create)
        .get("/surveys/{id}", manage::show)
        .post("/surveys/{id}", manage::update)
        .post("/surveys/{id}/publish", manage::publish)
        .post("/surveys/{id}/close", manage::close)
        .get("/surveys/{id}/invitations", invitations::list)
        .post("/surveys/{id}/invitations", invitations::create)
        .get("/surveys/{id}/preview", manage::preview_get)
        .post("/surveys/{id}/preview", manage::preview_post)
}

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

fn parse_lang(s: Option<&str>) -> Option<Locale> {
    s.and_then(|l| Locale::parse("lang", l).ok())
}

fn accepted(headers: &HeaderMap) -> Option<Locale> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language)
}

fn tr(s: &AppState, locale: Locale) -> Tr {
    Tr {
        i18n: s.i18n.clone(),
        locale,
    }
}

/// Who answers, which decides what is stored with the answers.
enum Target {
    Public,
    Invitation(OrgId, Invitation),
    /// Staff trying the survey: every step works, nothing is stored.
    Preview,
}

/// A page that is not a survey step, with the status it deserves.
type Refusal = (StatusCode, maud::Markup);

/// The published survey behind a public link, or the page explaining why it cannot be answered.
async fn public_survey(
    s: &AppState,
    public_id: &str,
    wanted: Option<Locale>,
) -> ApiResult<Result<Survey, Refusal>> {
    let plausible = !public_id.is_empty()
        && public_id.len() <= 64
        && public_id.chars().all(|c| c.is_ascii_alphanumeric());
    let found = if plausible {
        match s.store.survey_by_public_id(public_id).await {
            Ok(survey) => Some(survey),
            Err(StorageError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let Some(survey) = found else {
        let t = tr(s, wanted.unwrap_or(Locale::En));
        return Ok(Err(respond::unavailable(
            &t,
            StatusCode::NOT_FOUND,
            "respond-unknown",
        )));
    };
    let t = tr(s, respond::choose_locale(&survey.definition, &[wanted]));
    Ok(match survey.status {
        SurveyStatus::Published => Ok(survey),
        SurveyStatus::Closed => Err(respond::unavailable(&t, StatusCode::GONE, "respond-closed")),
        SurveyStatus::Draft => Err(respond::unavailable(
            &t,
            StatusCode::NOT_FOUND,
            "respond-not-open",
        )),
    })
}

/// The invitation behind a personal link, its survey and the customer's language, or the page
/// explaining why it cannot be answered (unknown, used, expired, survey closed).
async fn invited_survey(
    s: &AppState,
    token: &str,
    wanted: Option<Locale>,
    browser: Option<Locale>,
) -> ApiResult<Result<(OrgId, Invitation, Survey, Locale), Refusal>> {
    let plausible = !token.is_empty() && token.len() <= 128;
    let found = if plausible {
        s.store.find_invitation(&secrets::sha256_hex(token)).await?
    } else {
        None
    };
    let Some((org, inv)) = found else {
        let t = tr(s, wanted.or(browser).unwrap_or(Locale::En));
        return Ok(Err(respond::unavailable(
            &t,
            StatusCode::NOT_FOUND,
            "respond-invitation-unknown",
        )));
    };
    let survey = s.store.get_survey(org, inv.survey_id).await?;
    let customer_locale = s
        .store
        .get_customer(org, inv.customer_id)
        .await
        .ok()
        .map(|c| c.locale);
    let locale = respond::choose_locale(&survey.definition, &[wanted, customer_locale, browser]);
    let t = tr(s, locale);
    let refuse = |status, id| Ok(Err(respond::unavailable(&t, status, id)));
    if inv.used_at.is_some() {
        return refuse(StatusCode::GONE, "respond-invitation-used");
    }
    if inv.unusable(Utc::now()).is_some() {
        return refuse(StatusCode::GONE, "respond-invitation-expired");
    }
    match survey.status {
        SurveyStatus::Published => Ok(Ok((org, inv, survey, locale))),
        SurveyStatus::Closed => refuse(StatusCode::GONE, "respond-closed"),
        SurveyStatus::Draft => refuse(StatusCode::NOT_FOUND, "respond-not-open"),
    }
}

/// Step pages carry earlier answers and a personal link's token: keep them out of shared
/// caches and the back-forward history of a shared computer, and out of Referer headers.
fn private(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// The first step of a survey, freshly opened.
fn first_step(ctx: &Ctx, t: &Tr, survey: &Survey, action: String, preview: bool) -> Response {
    let form = Form {
        tr: t,
        survey,
        action,
        csrf: &ctx.csrf,
        nonce: secrets::random_hex(16),
        preview,
    };
    private(respond::step_page(&form, &Default::default(), 0, None).into_response())
}

/// Takes one POSTed step: shows the next (or the same, with its error), or stores the
/// complete response and thanks the respondent.
async fn take_step(
    s: &AppState,
    ctx: &Ctx,
    survey: &Survey,
    target: Target,
    locale: Locale,
    posted: Posted,
    action: String,
) -> ApiResult<Response> {
    let t = tr(s, locale);
    match respond::advance(&survey.definition, &posted) {
        Outcome::Step { step, error } => {
            let form = Form {
                tr: &t,
                survey,
                action,
                csrf: &ctx.csrf,
                nonce: posted
                    .nonce
                    .clone()
                    .unwrap_or_else(|| secrets::random_hex(16)),
                preview: matches!(target, Target::Preview),
            };
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            Ok(private(
                (
                    status,
                    respond::step_page(&form, &posted.raw, step, error.as_ref()),
                )
                    .into_response(),
            ))
        }
        Outcome::Complete(answers) => {
            let (org, customer, agent, invitation, source) = match &target {
                Target::Preview => {
                    return Ok(respond::thanks(&t, survey, true).into_response());
                }
                Target::Public => (survey.org_id, None, None, None, ResponseSource::PublicLink),
                Target::Invitation(org, inv) => (
                    *org,
                    Some(inv.customer_id),
                    inv.agent_id,
                    Some(inv.id),
                    ResponseSource::Invitation,
                ),
            };
            let new = NewResponse {
                survey_id: survey.id,
                version: survey.version,
                customer_id: customer,
                agent_id: agent,
                invitation_id: invitation,
                locale,
                source,
                idempotency_key: posted.idempotency_key(),
                external_id: None,
                submitted_at: Utc::now(),
                answers,
            };
            match s.store.insert_response(org, &new).await {
                Ok(_) => {}
                // Another tab used the invitation between our check and this insert.
                Err(StorageError::Conflict {
                    field: "invitation",
                    ..
                }) => {
                    return Ok(respond::unavailable(
                        &t,
                        StatusCode::GONE,
                        "respond-invitation-used",
                    )
                    .into_response());
                }
                Err(e) => return Err(ApiError::from(e)),
            }
            crate::jobs::notify_worker(s);
            Ok(private(respond::thanks(&t, survey, false).into_response()))
        }
    }
}

fn form_lang(fields: &[(String, String)]) -> Option<Locale> {
    parse_lang(
        fields
            .iter()
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.as_str()),
    )
}

async fn public_get(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(public_id): Path<String>,
    Query(q): Query<LangQuery>,
) -> ApiResult<Response> {
    let wanted = parse_lang(q.lang.as_deref()).or_else(|| accepted(&headers));
    let survey = match public_survey(&s, &public_id, wanted).await? {
        Ok(survey) => survey,
        Err(page) => return Ok(page.into_response()),
    };
    let t = tr(&s, respond::choose_locale(&survey.definition, &[wanted]));
    Ok(first_step(
        &ctx,
        &t,
        &survey,
        format!("/s/{public_id}"),
        false,
    ))
}

async fn public_post(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(public_id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let wanted = form_lang(&fields).or_else(|| accepted(&headers));
    let survey = match public_survey(&s, &public_id, wanted).await? {
        Ok(survey) => survey,
        Err(page) => return Ok(page.into_response()),
    };
    let locale = respond::choose_locale(&survey.definition, &[wanted]);
    let posted = Posted::parse(&survey.definition, fields);
    take_step(
        &s,
        &ctx,
        &survey,
        Target::Public,
        locale,
        posted,
        format!("/s/{public_id}"),
    )
    .await
}

async fn invitation_get(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
) -> ApiResult<Response> {
    let wanted = parse_lang(q.lang.as_deref());
    let (_, _, survey, locale) =
        match invited_survey(&s, &token, wanted, accepted(&headers)).await? {
            Ok(found) => found,
            Err(page) => return Ok(page.into_response()),
        };
    Ok(first_step(
        &ctx,
        &tr(&s, locale),
        &survey,
        format!("/i/{token}"),
        false,
    ))
}

async fn invitation_post(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(token): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let found = invited_survey(&s, &token, form_lang(&fields), accepted(&headers)).await?;
    let (org, inv, survey, locale) = match found {
        Ok(found) => found,
        Err(page) => return Ok(page.into_response()),
    };
    let posted = Posted::parse(&survey.definition, fields);
    take_step(
        &s,
        &ctx,
        &survey,
        Target::Invitation(org, inv),
        locale,
        posted,
        format!("/i/{token}"),
    )
    .await
}
