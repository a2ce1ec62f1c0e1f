//! Authentication and authorisation.
//!
//! Browsers authenticate with a session cookie (HttpOnly, SameSite=Lax, Secure behind https)
//! and prove every form post with the session's CSRF token. Integrations send
//! `Authorization: Bearer <token>` to `/api/…`; the API accepts nothing else, so a browser's
//! cookie can never be used for a cross-site API write. Roles are checked by the [`Auth`]
//! extractor: a handler that takes `Auth<Managers>` cannot run for anyone else.

mod extract;
pub mod password;
pub mod password_reset;
pub mod secrets;

pub use extract::{
    AccessLevel, Admins, Auth, Frontline, Leads, Managers, MaybeUser, Members, SessionCsrf,
};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "rapport_session";
/// Name of the pre-login CSRF cookie (double-submit, since there is no session yet).
pub const LOGIN_CSRF_COOKIE: &str = "rapport_login_csrf";
/// Name of the cookie remembering an anonymous visitor's language.
pub const LANG_COOKIE: &str = "rapport_lang";

/// Reads one cookie from the request headers.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Builds a `Set-Cookie` value with Rapport's defaults.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}
