//! The server-rendered web UI. Works without JavaScript; every string comes from Fluent; every
//! form post carries a CSRF token; user-supplied text is escaped and bidi-isolated.

mod alert_settings;
mod ambassadorship;
mod cases;
mod charts;
mod followups;
mod frontline;
mod insights;
mod journeys;
mod layout;
mod pages;
mod pulse;
mod surveys;
mod webhook_settings;

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use rapport_domain::model::User;
use rapport_domain::Locale;
use serde::de::DeserializeOwned;

use crate::auth::{self, secrets, MaybeUser, SessionCsrf};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;

pub use layout::ut;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/locale", post(pages::set_locale))
        .route("/settings", get(pages::settings).post(pages::save_settings))
        .route("/users", get(pages::users).post(pages::create_user))
        .route("/users/{id}", post(pages::update_user))
        .route("/teams", get(pages::teams).post(pages::create_team))
        .route("/teams/{id}", post(pages::update_team))
        .route("/teams/{id}/delete", post(pages::delete_team))
        .route("/customers", get(pages::customers))
        .route("/tokens", get(pages::tokens).post(pages::create_token))
        .route("/tokens/{id}/revoke", post(pages::revoke_token))
        .route("/audit", get(pages::audit))
        .route("/journeys", get(journeys::list).post(journeys::create))
        .route("/journeys/{id}", get(journeys::show).post(journeys::update))
        .route("/journeys/{id}/delete", post(journeys::delete))
        .route("/journeys/{id}/stages", post(journeys::create_stage))
        .route("/stages/{id}", post(journeys::update_stage))
        .route("/stages/{id}/delete", post(journeys::delete_stage))
        .route("/touchpoints", post(journeys::create_touchpoint))
        .route("/touchpoints/{id}", post(journeys::update_touchpoint))
        .route(
            "/touchpoints/{id}/delete",
            post(journeys::delete_touchpoint),
        )
        .route(
            "/assets/app.css",
            get(|| css(include_str!("../../assets/app.css"))),
        )
        .route(
            "/assets/surveys.css",
            get(|| css(include_str!("../../assets/surveys.css"))),
        )
        .route(
            "/assets/insights.css",
            get(|| css(include_str!("../../assets/insights.css"))),
        )
        .route(
            "/assets/cases.css",
            get(|| css(include_str!("../../assets/cases.css"))),
        )
        .route(
            "/assets/alerts.css",
            get(|| css(include_str!("../../assets/alerts.css"))),
        )
        .route(
            "/assets/webhooks.css",
            get(|| css(include_str!("../../assets/webhooks.css"))),
        )
        .route(
            "/assets/frontline.css",
            get(|| css(include_str!("../../assets/frontline.css"))),
        )
        .route(
            "/assets/ambassadorship.css",
            get(|| css(include_str!("../../assets/ambassadorship.css"))),
        )
        .merge(surveys::router())
        .merge(insights::router())
        .merge(cases::router())
        .merge(followups::router())
        .merge(alert_settings::router())
        .merge(webhook_settings::router())
        .merge(pulse::router())
        .merge(frontline::router())
        .merge(ambassadorship::router())
}

async fn css(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

/// What every page needs: the translator, the viewer, and the token their forms must carry.
pub struct Ctx {
    pub tr: Tr,
    pub user: Option<User>,
    pub csrf: String,
    pub path: String,
    pub demo: bool,
}

impl Ctx {
    pub fn t(&self, id: &str) -> String {
        self.tr.t(id)
    }

    pub fn locale(&self) -> Locale {
        self.tr.locale
    }
}

/// The anonymous visitor's CSRF token, set by [`login_csrf_cookie`] before handlers run.
#[derive(Clone)]
struct LoginCsrf(String);

fn pick_locale(parts: &Parts, user: Option<&User>) -> Locale {
    if let Some(u) = user {
        return u.locale;
    }
    auth::cookie(&parts.headers, auth::LANG_COOKIE)
        .and_then(|c| Locale::parse("locale", &c).ok())
        .or_else(|| {
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or(Locale::En)
}

impl<S> FromRequestParts<S> for Ctx
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state).await?;
        let csrf = parts
            .extensions
            .get::<SessionCsrf>()
            .map(|c| c.0.clone())
            .or_else(|| parts.extensions.get::<LoginCsrf>().map(|c| c.0.clone()))
            .unwrap_or_default();
        Ok(Ctx {
            tr: Tr {
                i18n: app.i18n.clone(),
                locale: pick_locale(parts, user.as_ref()),
            },
            user,
            csrf,
            path: parts.uri.path().to_string(),
            demo: app.config.demo,
        })
    }
}

/// A form body whose `csrf` field matched the session's token (or, before login, the
/// double-submit cookie). Anything else is refused before the handler runs.
pub struct CsrfForm<T>(pub T);

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let _ = MaybeUser::from_request_parts(&mut parts, state).await?;
        let expected = parts
            .extensions
            .get::<SessionCsrf>()
            .map(|c| c.0.clone())
            .or_else(|| auth::cookie(&parts.headers, auth::LOGIN_CSRF_COOKIE));
        let req = Request::from_parts(parts, body);
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(AppState::from_ref(state).config.body_limit))?;
        let sent = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned());
        match (expected, sent) {
            (Some(e), Some(s)) if !e.is_empty() && secrets::same(&e, &s) => {}
            _ => return Err(ApiError::CsrfRejected),
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|e| ApiError::BadRequest {
                field: None,
                message: format!("unreadable form: {e}"),
            })
    }
}

/// Gives every anonymous browser a CSRF cookie before it sees a form.
pub async fn login_csrf_cookie(mut req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let existing = auth::cookie(req.headers(), auth::LOGIN_CSRF_COOKIE);
    let fresh = existing.is_none().then(|| secrets::random_hex(32));
    let token = existing.or_else(|| fresh.clone()).unwrap_or_default();
    req.extensions_mut().insert(LoginCsrf(token));
    let mut resp = next.run(req).await;
    if let Some(t) = fresh {
        if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(
            auth::LOGIN_CSRF_COOKIE,
            &t,
            60 * 60 * 24,
            false,
        )) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// Turns JSON errors on web routes into pages: 401 redirects to the login page, everything
/// else renders a localised error page. One mapping, so handlers just return `ApiError`.
pub async fn html_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/api/") || path == "/healthz" || path == "/readyz" || path == "/metrics" {
        return next.run(req).await;
    }
    let query = req.uri().query().map(str::to_string);
    let (parts, body) = req.into_parts();
    let locale = {
        let lang = auth::cookie(&parts.headers, auth::LANG_COOKIE);
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok().map(str::to_string));
        (lang, accept)
    };
    let resp = next.run(Request::from_parts(parts, body)).await;
    let status = resp.status();
    let retry_after = resp.headers().get(header::RETRY_AFTER).cloned();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.is_success() || status.is_redirection() || !is_json {
        return resp;
    }
    if status == StatusCode::UNAUTHORIZED {
        let next_url = match query {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        let enc: String = form_urlencoded::byte_serialize(next_url.as_bytes()).collect();
        return Redirect::to(&format!("/login?next={enc}")).into_response();
    }
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_default();
    let locale = locale
        .0
        .and_then(|c| Locale::parse("locale", &c).ok())
        .or_else(|| locale.1.as_deref().and_then(Locale::from_accept_language))
        .unwrap_or(Locale::En);
    let tr = Tr {
        i18n: state.i18n.clone(),
        locale,
    };
    let mut page = (status, layout::error_page(&tr, status, &message)).into_response();
    // The page keeps telling clients when to come back (429, 503).
    if let Some(v) = retry_after {
        page.headers_mut().insert(header::RETRY_AFTER, v);
    }
    page
}

/// Only same-site relative paths are followed after login, so `?next=` cannot redirect away.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}
