//! "Forgot password?": asking for a reset link, choosing a new password with it, and an
//! administrator sending a user the link. The link's rules (single use, expiry, hash only)
//! live in `auth::password_reset` and the storage layer; these handlers render and parse.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use maud::{html, Markup};
use rapport_domain::{Email, Password, UserId};
use rapport_storage::ResetTokenState;
use serde::Deserialize;

use super::layout::{csrf_input, field, page};
use super::pages::{client_ip, EmptyForm};
use super::{CsrfForm, Ctx, Routes};
use crate::auth::password_reset::{self, ResetToken};
use crate::auth::{self, password, Admins, Auth};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Reset links asked for per e-mail address, and per client address, within the window.
const MAX_REQUESTS_PER_EMAIL: i64 = 3;
const MAX_REQUESTS_PER_IP: i64 = 20;
const REQUEST_WINDOW_MINUTES: i64 = 60;

pub(super) fn router() -> Routes {
    Routes::new()
        .get("/password/forgot", forgot_page)
        .post("/password/forgot", forgot)
        .get("/password/reset", reset_page)
        .post("/password/reset", reset)
        .post("/users/{id}/password-reset", admin_send)
}

/// The reset pages carry the token in their address: keep them out of caches and referrers.
fn private(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

fn forgot_form(ctx: &Ctx, email: &str, error: Option<String>) -> Markup {
    let body = html! {
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.card.narrow method="post" action="/password/forgot" {
            (csrf_input(ctx))
            p { (ctx.t("pwreset-forgot-intro")) }
            (field("email", &ctx.t("login-email"), html! { input #email type="email" name="email" value=(email) autocomplete="username" required autofocus dir="ltr"; }))
            button.primary type="submit" { (ctx.t("pwreset-forgot-submit")) }
            p { a href="/login" { (ctx.t("pwreset-back-to-login")) } }
        }
    };
    page(ctx, &ctx.t("pwreset-forgot-title"), body)
}

pub async fn forgot_page(ctx: Ctx) -> Markup {
    forgot_form(&ctx, "", None)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
}

/// Answers the same whether or not the address belongs to an account; only the throttle
/// (which counts requests, not accounts) answers otherwise.
pub async fn forgot(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> ApiResult<Response> {
    let Ok(email) = Email::parse("email", &form.email) else {
        let mut resp =
            forgot_form(&ctx, &form.email, Some(ctx.t("pwreset-forgot-bad-email"))).into_response();
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(resp);
    };
    let ip = client_ip(&s, &headers, peer);
    let key = email.as_str().to_lowercase();
    let now = Utc::now();
    let (by_email, by_ip) = s
        .store
        .recent_password_reset_requests(&key, &ip, now - Duration::minutes(REQUEST_WINDOW_MINUTES))
        .await?;
    if by_email >= MAX_REQUESTS_PER_EMAIL || by_ip >= MAX_REQUESTS_PER_IP {
        tracing::warn!(%ip, "password reset requests throttled");
        let mut resp =
            forgot_form(&ctx, &form.email, Some(ctx.t("pwreset-forgot-throttled"))).into_response();
        *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(REQUEST_WINDOW_MINUTES * 60),
        );
        return Ok(resp);
    }
    s.store
        .record_password_reset_request(&key, &ip, now)
        .await?;
    if let Some((user, _)) = s.store.user_credentials(&email).await? {
        if user.active {
            password_reset::request(&s, &user, None).await?;
        }
    }
    let body = html! {
        div.card.narrow role="status" {
            p { (ctx.t("pwreset-forgot-sent")) }
            p { (ctx.tr.ta("pwreset-forgot-sent-ttl", &[("minutes", s.config.password_reset_ttl.num_minutes().into())])) }
            p { a href="/login" { (ctx.t("pwreset-back-to-login")) } }
        }
    };
    Ok(page(&ctx, &ctx.t("pwreset-forgot-title"), body).into_response())
}

/// Why a link cannot be used, as the page that says so.
fn refusal(ctx: &Ctx, status: StatusCode, key: &str) -> Response {
    let body = html! {
        p.error role="alert" { (ctx.t(key)) }
        p { a href="/password/forgot" { (ctx.t("pwreset-ask-again")) } }
    };
    private((status, page(ctx, &ctx.t("pwreset-title"), body)).into_response())
}

/// The link's token if it can be used now, else the page explaining why not.
async fn usable(
    s: &AppState,
    ctx: &Ctx,
    raw: Option<&str>,
) -> ApiResult<Result<ResetToken, Response>> {
    let Some(token) = raw.and_then(ResetToken::parse) else {
        return Ok(Err(refusal(
            ctx,
            StatusCode::BAD_REQUEST,
            "pwreset-invalid",
        )));
    };
    Ok(
        match s
            .store
            .password_reset_state(&token.hash(), Utc::now())
            .await?
        {
            Some(ResetTokenState::Usable { .. }) => Ok(token),
            Some(ResetTokenState::Used) => Err(refusal(ctx, StatusCode::GONE, "pwreset-used")),
            Some(ResetTokenState::Expired) => {
                Err(refusal(ctx, StatusCode::GONE, "pwreset-expired"))
            }
            Some(ResetTokenState::InactiveUser) | None => {
                Err(refusal(ctx, StatusCode::NOT_FOUND, "pwreset-invalid"))
            }
        },
    )
}

fn reset_form(ctx: &Ctx, token: &ResetToken, error: Option<String>) -> Markup {
    let body = html! {
        @if let Some(e) = &error { p.error #reset-error role="alert" { (e) } }
        form.card.narrow method="post" action="/password/reset" {
            (csrf_input(ctx))
            input type="hidden" name="token" value=(token.expose());
            p { (ctx.tr.ta("pwreset-rules", &[("min", (Password::MIN as i64).into())])) }
            (field("password", &ctx.t("pwreset-new-password"), html! {
                input #password type="password" name="password" autocomplete="new-password" required minlength=(Password::MIN) maxlength="1024" autofocus dir="ltr" aria-describedby=[error.as_ref().map(|_| "reset-error")];
            }))
            (field("confirm", &ctx.t("pwreset-confirm-password"), html! {
                input #confirm type="password" name="confirm" autocomplete="new-password" required minlength=(Password::MIN) maxlength="1024" dir="ltr";
            }))
            button.primary type="submit" { (ctx.t("pwreset-submit")) }
        }
    };
    page(ctx, &ctx.t("pwreset-title"), body)
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

pub async fn reset_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Response> {
    Ok(match usable(&s, &ctx, q.token.as_deref()).await? {
        Ok(token) => private(reset_form(&ctx, &token, None).into_response()),
        Err(page) => page,
    })
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: Option<String>,
    password: String,
    confirm: String,
}

pub async fn reset(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> ApiResult<Response> {
    let token = match usable(&s, &ctx, form.token.as_deref()).await? {
        Ok(token) => token,
        Err(page) => return Ok(page),
    };
    let problem = if Password::parse("password", &form.password).is_err() {
        Some(ctx.tr.ta(
            "pwreset-too-short",
            &[("min", (Password::MIN as i64).into())],
        ))
    } else if form.password != form.confirm {
        Some(ctx.t("pwreset-mismatch"))
    } else {
        None
    };
    if let Some(problem) = problem {
        let mut resp = private(reset_form(&ctx, &token, Some(problem)).into_response());
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(resp);
    }
    let hash = password::hash_async(form.password)
        .await
        .map_err(ApiError::Internal)?;
    let Some((_, user)) = s
        .store
        .reset_password(&token.hash(), &hash, Utc::now())
        .await?
    else {
        // Used (or expired) by another request since the check above.
        return Ok(match usable(&s, &ctx, Some(token.expose())).await? {
            Err(page) => page,
            Ok(_) => refusal(&ctx, StatusCode::GONE, "pwreset-used"),
        });
    };
    tracing::info!(user = %user, "password reset");
    let mut resp = Redirect::to("/login?reset=1").into_response();
    // Every session of the user ended with the reset; the browser may forget its cookie too.
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
            auth::SESSION_COOKIE
        ))
        .map_err(|e| ApiError::Internal(e.into()))?,
    );
    Ok(resp)
}

/// An administrator sends one of their organisation's users a reset link.
pub async fn admin_send(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> ApiResult<Redirect> {
    let user = s.store.get_user(auth.user.org_id, UserId(id)).await?;
    if !user.active {
        return Err(ApiError::invalid("user", "this account is inactive"));
    }
    if s.config.smtp_url.is_none() {
        return Err(ApiError::Conflict {
            field: "email".into(),
            message: "e-mail delivery is not configured: set RAPPORT_SMTP_URL".into(),
        });
    }
    password_reset::request(&s, &user, Some(auth.user.id)).await?;
    Ok(Redirect::to(&format!("/users?reset_sent={}", user.id)))
}
