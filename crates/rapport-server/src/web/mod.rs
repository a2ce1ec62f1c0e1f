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
mod password;
mod pulse;
mod surveys;
mod webhook_settings;

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::MethodRouter;
use axum::Router;
use rapport_domain::model::User;
use rapport_domain::Locale;
use serde::de::DeserializeOwned;

use crate::auth::{self, secrets, MaybeUser, SessionCsrf};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;

pub use layout::ut;

/// One route of the web UI: a method and a path in the router's syntax (`/cases/{id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WebRoute {
    pub method: &'static str,
    pub path: &'static str,
}

/// Builds the web router and, from the same calls, the list of its routes, so the list cannot
/// drift from what is served (axum cannot enumerate a router). Tests walk [`route_table`] to
/// check every route's access, escaping and headers.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<WebRoute>,
}

impl Routes {
    fn new() -> Self {
        Self {
            router: Router::new(),
            table: vec![],
        }
    }

    fn add(mut self, method: &'static str, path: &'static str, mr: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, mr);
        self.table.push(WebRoute { method, path });
        self
    }

    fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add("GET", path, axum::routing::get(handler))
    }

    fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add("POST", path, axum::routing::post(handler))
    }

    fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }
}

/// The web UI's routes, from the one list the router is built from.
pub fn router() -> Router<AppState> {
    routes().router
}

/// Every web route (method and path) the router serves.
pub fn route_table() -> Vec<WebRoute> {
    routes().table
}

fn routes() -> Routes {
    Routes::new()
        .get("/", pages::home)
        .get("/login", pages::login_page)
        .post("/login", pages::login)
        .post("/logout", pages::logout)
        .post("/locale", pages::set_locale)
        .get("/settings", pages::settings)
        .post("/settings", pages::save_settings)
        .get("/users", pages::users)
        .post("/users", pages::create_user)
        .post("/users/{id}", pages::update_user)
        .get("/teams", pages::teams)
        .post("/teams", pages::create_team)
        .post("/teams/{id}", pages::update_team)
        .post("/teams/{id}/delete", pages::delete_team)
        .get("/customers", pages::customers)
        .get("/tokens", pages::tokens)
        .post("/tokens", pages::create_token)
        .post("/tokens/{id}/revoke", pages::revoke_token)
        .get("/audit", pages::audit)
        .get("/journeys", journeys::list)
        .post("/journeys", journeys::create)
        .get("/journeys/{id}", journeys::show)
        .post("/journeys/{id}", journeys::update)
        .post("/journeys/{id}/delete", journeys::delete)
        .post("/journeys/{id}/stages", journeys::create_stage)
        .post("/stages/{id}", journeys::update_stage)
        .post("/stages/{id}/delete", journeys::delete_stage)
        .post("/touchpoints", journeys::create_touchpoint)
        .post("/touchpoints/{id}", journeys::update_touchpoint)
        .post("/touchpoints/{id}/delete", journeys::delete_touchpoint)
        .get("/assets/app.css", || {
            css(include_str!("../../assets/app.css"))
        })
        .get("/assets/surveys.css", || {
            css(include_str!("../../assets/surveys.css"))
        })
        .get("/assets/insights.css", || {
            css(include_str!("../../assets/insights.css"))
        })
        .get("/assets/cases.css", || {
            css(include_str!("../../assets/cases.css"))
        })
        .get("/assets/alerts.css", || {
            css(include_str!("../../assets/alerts.css"))
        })
        .get("/assets/webhooks.css", || {
            css(include_str!("../../assets/webhooks.css"))
        })
        .get("/assets/frontline.css", || {
            css(include_str!("../../assets/frontline.css"))
        })
        .get("/assets/ambassadorship.css", || {
            css(include_str!("../../assets/ambassadorship.css"))
        })
        .merge(surveys::router())
        .merge(insights::router())
        .merge(cases::router())
        .merge(followups::router())
        .merge(alert_settings::router())
        .merge(webhook_settings::router())
        .merge(pulse::router())
        .merge(frontline::router())
        .merge(ambassadorship::router())
        .merge(password::router())
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
        // PostgreSQL cannot store NUL in text: refuse it here rather than fail in a query.
        if let Some((k, _)) = form_urlencoded::parse(&bytes).find(|(_, v)| v.contains('\0')) {
            return Err(ApiError::invalid(k, "must not contain NUL characters"));
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
