//! The `Auth<Level>` extractor: who is calling, and may they use this route?

use std::marker::PhantomData;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use chrono::Utc;
use rapport_domain::model::User;
use rapport_domain::role::Access;
use rapport_storage::Actor;

use super::{cookie, secrets, SESSION_COOKIE};
use crate::error::ApiError;
use crate::state::AppState;

/// An access level a route requires, as a type so it is checked at compile time.
pub trait AccessLevel: Send + Sync + 'static {
    const ACCESS: Access;
}

macro_rules! levels {
    ($($(#[$m:meta])* $name:ident => $access:expr),* $(,)?) => {$(
        $(#[$m])*
        pub struct $name;
        impl AccessLevel for $name {
            const ACCESS: Access = $access;
        }
    )*};
}

levels!(
    /// Any signed-in member of the organisation, read-only viewers included.
    Members => Access::Members,
    /// Agents, team leads, CX managers and administrators.
    Frontline => Access::Frontline,
    /// Team leads, CX managers and administrators.
    Leads => Access::Leads,
    /// CX managers and administrators.
    Managers => Access::Managers,
    /// Administrators.
    Admins => Access::Admins,
);

/// The CSRF token of the caller's browser session, if they came with one.
#[derive(Clone, Debug)]
pub struct SessionCsrf(pub String);

/// An authenticated caller allowed at level `L`.
pub struct Auth<L: AccessLevel> {
    pub user: User,
    /// The session's CSRF token for browser callers; `None` for API tokens.
    pub csrf: Option<String>,
    _level: PhantomData<L>,
}

impl<L: AccessLevel> Auth<L> {
    /// The audit-log actor for changes this caller makes.
    pub fn actor(&self) -> Actor {
        Actor::user(self.user.org_id, self.user.id)
    }
}

/// The caller, resolved once per request and cached in the request's extensions.
#[derive(Clone)]
struct Caller {
    user: User,
    csrf: Option<String>,
}

/// Finds who is calling: a bearer token on `/api/…`, a session cookie elsewhere.
async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
    if let Some(c) = parts.extensions.get::<Caller>() {
        return Ok(c.clone());
    }
    let now = Utc::now();
    let is_api = parts.uri.path().starts_with("/api/");
    let caller = if is_api {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthenticated)?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| t.starts_with(secrets::TOKEN_PREFIX))
            .ok_or(ApiError::Unauthenticated)?;
        let user = state
            .store
            .find_api_token(&secrets::sha256_hex(token), now)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Caller { user, csrf: None }
    } else {
        let sid = cookie(&parts.headers, SESSION_COOKIE).ok_or(ApiError::Unauthenticated)?;
        let session = state
            .store
            .find_session(&secrets::sha256_hex(&sid), now)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Caller {
            user: session.user,
            csrf: Some(session.csrf_token),
        }
    };
    if let Some(csrf) = &caller.csrf {
        parts.extensions.insert(SessionCsrf(csrf.clone()));
    }
    parts.extensions.insert(caller.clone());
    tracing::Span::current().record("user_id", caller.user.id.0);
    Ok(caller)
}

impl<S, L> FromRequestParts<S> for Auth<L>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    L: AccessLevel,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let caller = resolve(parts, &state).await?;
        if !L::ACCESS.allows(caller.user.role) {
            return Err(ApiError::Forbidden);
        }
        Ok(Auth {
            user: caller.user,
            csrf: caller.csrf,
            _level: PhantomData,
        })
    }
}

/// Optional variant for pages that show something to everyone (the login page, error pages).
pub struct MaybeUser(pub Option<User>);

impl<S> FromRequestParts<S> for MaybeUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        match resolve(parts, &state).await {
            Ok(c) => Ok(MaybeUser(Some(c.user))),
            Err(ApiError::Unauthenticated) => Ok(MaybeUser(None)),
            Err(e) => Err(e),
        }
    }
}
