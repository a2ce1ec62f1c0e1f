//! Sign-in, home, organisation settings, people, customers, tokens and the audit log.

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use maud::{html, Markup};
use rapport_domain::model::*;
use rapport_domain::*;
use serde::Deserialize;
use std::net::SocketAddr;

use super::layout::{csrf_input, field, flash, num, page, role_name, ut};
use super::{safe_next, CsrfForm, Ctx};
use crate::auth::{self, password, secrets, Admins, Auth, Frontline, Leads, Members};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Sessions last a working week; a new login is cheap, a stolen cookie should not live long.
const SESSION_DAYS: i64 = 7;
/// Failed logins allowed per e-mail address and per client address within the window.
const MAX_FAILS_PER_EMAIL: i64 = 5;
const MAX_FAILS_PER_IP: i64 = 30;
const FAIL_WINDOW_MINUTES: i64 = 15;

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    /// Set after a password reset, to say so.
    reset: Option<String>,
}

fn login_form(ctx: &Ctx, next: &str, email: &str, error: Option<String>) -> Markup {
    login_form_with(ctx, next, email, error, None)
}

fn login_form_with(
    ctx: &Ctx,
    next: &str,
    email: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Markup {
    let body = html! {
        (flash(notice.as_deref()))
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.card.narrow method="post" action="/login" {
            (csrf_input(ctx))
            input type="hidden" name="next" value=(next);
            (field("email", &ctx.t("login-email"), html! { input #email type="email" name="email" value=(email) autocomplete="username" required autofocus dir="ltr"; }))
            (field("password", &ctx.t("login-password"), html! { input #password type="password" name="password" autocomplete="current-password" required dir="ltr"; }))
            button.primary type="submit" { (ctx.t("login-submit")) }
            p { a href="/password/forgot" { (ctx.t("pwreset-forgot-link")) } }
        }
        @if ctx.demo {
            aside.card.narrow.hint {
                h2 { (ctx.t("login-demo-title")) }
                p { (ctx.t("login-demo-hint")) }
                ul {
                    @for (email, role) in [("admin@demo.test", Role::Admin), ("manager@demo.test", Role::CxManager), ("lead@demo.test", Role::TeamLead), ("agent@demo.test", Role::Agent)] {
                        li { code dir="ltr" { (email) } " — " (role_name(&ctx.tr, role)) }
                    }
                }
                p { (ctx.t("login-demo-password")) " " code dir="ltr" { "rapport-demo" } }
            }
        }
    };
    page(ctx, &ctx.t("login-title"), body)
}

pub async fn login_page(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    if ctx.user.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    let notice = q.reset.is_some().then(|| ctx.t("pwreset-done"));
    login_form_with(&ctx, &safe_next(q.next.as_deref()), "", None, notice).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub(super) fn client_ip(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> String {
    crate::rate_limit::client_ip(state.config.trust_proxy, headers, peer).to_string()
}

pub async fn login(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> ApiResult<Response> {
    let next = safe_next(form.next.as_deref());
    let ip = client_ip(&s, &headers, peer);
    let email_key = form.email.trim().to_lowercase();
    let now = Utc::now();
    let (by_email, by_ip) = s
        .store
        .recent_login_failures(
            &email_key,
            &ip,
            now - Duration::minutes(FAIL_WINDOW_MINUTES),
        )
        .await?;
    if by_email >= MAX_FAILS_PER_EMAIL || by_ip >= MAX_FAILS_PER_IP {
        tracing::warn!(%ip, "login throttled");
        let mut resp =
            login_form(&ctx, &next, &form.email, Some(ctx.t("login-rate-limited"))).into_response();
        *resp.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(FAIL_WINDOW_MINUTES * 60),
        );
        return Ok(resp);
    }
    let found = match Email::parse("email", &form.email) {
        Ok(e) => s.store.user_credentials(&e).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((u, h)) if u.active => (Some(u), h),
        _ => (None, None),
    };
    let ok = password::verify_async(form.password, hash).await && user.is_some();
    s.store
        .record_login_attempt(&email_key, &ip, ok, now)
        .await?;
    let Some(user) = user.filter(|_| ok) else {
        let mut resp =
            login_form(&ctx, &next, &form.email, Some(ctx.t("login-failed"))).into_response();
        *resp.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
        return Ok(resp);
    };
    // A session the browser brought along ends here, whoever's it was: an id planted before
    // login (session fixation) never becomes a signed-in session.
    if let Some(old) = auth::cookie(&headers, auth::SESSION_COOKIE) {
        s.store.delete_session(&secrets::sha256_hex(&old)).await?;
    }
    let sid = secrets::random_hex(32);
    let csrf = secrets::random_hex(32);
    s.store
        .create_session(
            user.id,
            &secrets::sha256_hex(&sid),
            &csrf,
            now + Duration::days(SESSION_DAYS),
        )
        .await?;
    tracing::info!(user_id = user.id.0, "login");
    let secure = s.config.secure_cookies()
        || (s.config.trust_proxy
            && headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v == "https"));
    let cookie = auth::set_cookie(auth::SESSION_COOKIE, &sid, SESSION_DAYS * 86_400, secure);
    let mut resp = Redirect::to(&next).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.into()))?,
    );
    Ok(resp)
}

#[derive(Deserialize)]
pub struct EmptyForm {}

pub async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> ApiResult<Response> {
    if let Some(sid) = auth::cookie(&headers, auth::SESSION_COOKIE) {
        s.store.delete_session(&secrets::sha256_hex(&sid)).await?;
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("rapport_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
    );
    Ok(resp)
}

#[derive(Deserialize)]
pub struct LocaleForm {
    locale: String,
    back: Option<String>,
}

/// Saves the language on the user (so it follows them) and in a cookie (for the login page).
pub async fn set_locale(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<LocaleForm>,
) -> ApiResult<Response> {
    let locale = Locale::parse("locale", &form.locale)?;
    if let Some(u) = &ctx.user {
        s.store.set_user_locale(u.org_id, u.id, locale).await?;
    }
    let mut resp = Redirect::to(&safe_next(form.back.as_deref())).into_response();
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        auth::LANG_COOKIE,
        locale.as_str()
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.into()))?,
    );
    Ok(resp)
}

pub async fn home(auth: Auth<Members>, ctx: Ctx, State(s): State<AppState>) -> ApiResult<Markup> {
    let org = s.store.get_organisation(auth.user.org_id).await?;
    let teams = s.store.list_teams(org.id).await?;
    let journeys = s.store.list_journeys(org.id).await?;
    let users = s.store.list_users(org.id, None).await?;
    let agents = users
        .iter()
        .filter(|u| u.active && u.role == Role::Agent)
        .count() as i64;
    let customers = s
        .store
        .list_customers(
            org.id,
            &CustomerFilter {
                search: None,
                locale: None,
                limit: 1,
                offset: 0,
            },
        )
        .await?
        .total;
    let mut touchpoints = 0i64;
    for j in &journeys {
        let map = s.store.get_journey(org.id, j.id).await?;
        touchpoints += map
            .stages
            .iter()
            .map(|st| st.touchpoints.len() as i64)
            .sum::<i64>();
    }
    let my_team = auth
        .user
        .team_id
        .and_then(|t| teams.iter().find(|x| x.id == t));
    let intro_key = format!("home-intro-{}", auth.user.role.as_str());
    let body = html! {
        p.lead { (ctx.tr.ta("home-welcome", &[("name", auth.user.display_name.clone().into())])) " " (ut(&org.name)) }
        p { (ctx.t(&intro_key)) }
        @if let Some(t) = my_team { p { (ctx.t("home-your-team")) " " a href="/teams" { (ut(&t.name)) } } }
        ul.stats {
            li { a href="/journeys" { span.big { (num(journeys.len() as i64)) } span { (ctx.t("home-stat-journeys")) } } }
            li { a href="/journeys" { span.big { (num(touchpoints)) } span { (ctx.t("home-stat-touchpoints")) } } }
            li { a href="/teams" { span.big { (num(teams.len() as i64)) } span { (ctx.t("home-stat-teams")) } } }
            li { span.big { (num(agents)) } span { (ctx.t("home-stat-agents")) } }
            @if rapport_domain::role::Access::Frontline.allows(auth.user.role) {
                li { a href="/customers" { span.big { (num(customers)) } span { (ctx.t("home-stat-customers")) } } }
            }
        }
    };
    Ok(page(&ctx, &ctx.t("home-title"), body))
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
    /// The user a password-reset e-mail was just queued for.
    reset_sent: Option<i64>,
}

pub async fn settings(
    auth: Auth<Members>,
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<SavedQuery>,
) -> ApiResult<Markup> {
    let org = s.store.get_organisation(auth.user.org_id).await?;
    let admin = auth.user.role == Role::Admin;
    let body = html! {
        (flash(q.saved.as_ref().map(|_| ctx.t("settings-saved")).as_deref()))
        @if admin {
            form.card method="post" action="/settings" {
                (csrf_input(&ctx))
                (field("org-name", &ctx.t("settings-name"), html! { input #org-name name="name" value=(org.name) required maxlength="200"; }))
                (field("org-locale", &ctx.t("settings-default-locale"), html! {
                    select #org-locale name="default_locale" {
                        @for l in Locale::ALL { option value=(l.as_str()) selected[l == org.default_locale] { (l.native_name()) } }
                    }
                }))
                button.primary type="submit" { (ctx.t("common-save")) }
            }
        } @else {
            dl.card {
                dt { (ctx.t("settings-name")) } dd { (ut(&org.name)) }
                dt { (ctx.t("settings-default-locale")) } dd { (org.default_locale.native_name()) }
            }
            p.muted { (ctx.t("settings-readonly")) }
        }
        @if rapport_domain::role::Access::Managers.allows(auth.user.role) {
            p { a href="/settings/alerts" { (ctx.t("al-settings-link")) } }
        }
        @if rapport_domain::role::Access::Admins.allows(auth.user.role) {
            p { a href="/settings/webhooks" { (ctx.t("wh-settings-link")) } }
        }
    };
    Ok(page(&ctx, &ctx.t("settings-title"), body))
}

#[derive(Deserialize)]
pub struct SettingsForm {
    name: String,
    default_locale: String,
}

pub async fn save_settings(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<SettingsForm>,
) -> ApiResult<Redirect> {
    let name = Name::parse("name", &f.name)?;
    let locale = Locale::parse("default_locale", &f.default_locale)?;
    s.store
        .update_organisation(auth.actor(), &name, locale)
        .await?;
    Ok(Redirect::to("/settings?saved=1"))
}

fn team_select(ctx: &Ctx, id: &str, teams: &[Team], selected: Option<TeamId>) -> Markup {
    html! {
        select id=(id) name="team_id" {
            option value="" { (ctx.t("users-no-team")) }
            @for t in teams { option value=(t.id.0) selected[Some(t.id) == selected] { (t.name) } }
        }
    }
}

fn role_select(ctx: &Ctx, id: &str, selected: Role) -> Markup {
    html! {
        select id=(id) name="role" {
            @for r in Role::ALL { option value=(r.as_str()) selected[r == selected] { (role_name(&ctx.tr, r)) } }
        }
    }
}

fn locale_select(id: &str, name: &str, selected: Locale) -> Markup {
    html! {
        select id=(id) name=(name) {
            @for l in Locale::ALL { option value=(l.as_str()) selected[l == selected] { (l.native_name()) } }
        }
    }
}

pub async fn users(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<SavedQuery>,
) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let users = s.store.list_users(org, None).await?;
    let teams = s.store.list_teams(org).await?;
    let admin = auth.user.role == Role::Admin;
    let team_name = |id: Option<TeamId>| {
        id.and_then(|id| teams.iter().find(|t| t.id == id))
            .map(|t| t.name.clone())
    };
    let reset_sent = q
        .reset_sent
        .and_then(|id| users.iter().find(|u| u.id.0 == id))
        .map(|u| {
            ctx.tr
                .ta("pwreset-admin-sent", &[("email", u.email.clone().into())])
        });
    let body = html! {
        (flash(q.saved.as_ref().map(|_| ctx.t("common-saved")).as_deref()))
        (flash(reset_sent.as_deref()))
        @if admin {
            details.card {
                summary { (ctx.t("users-create")) }
                form method="post" action="/users" {
                    (csrf_input(&ctx))
                    (field("new-email", &ctx.t("users-email"), html! { input #new-email type="email" name="email" required dir="ltr"; }))
                    (field("new-name", &ctx.t("users-name"), html! { input #new-name name="display_name" required maxlength="200"; }))
                    (field("new-role", &ctx.t("users-role"), role_select(&ctx, "new-role", Role::Agent)))
                    (field("new-team", &ctx.t("users-team"), team_select(&ctx, "new-team", &teams, None)))
                    (field("new-locale", &ctx.t("users-locale"), locale_select("new-locale", "locale", ctx.locale())))
                    (field("new-password", &ctx.t("users-password"), html! { input #new-password type="password" name="password" minlength="10" autocomplete="new-password" dir="ltr"; }))
                    button.primary type="submit" { (ctx.t("users-create")) }
                }
            }
        }
        p.muted { (ctx.tr.ta("users-count", &[("count", (users.len() as i64).into())])) }
        table {
            thead { tr {
                th scope="col" { (ctx.t("users-name")) } th scope="col" { (ctx.t("users-email")) }
                th scope="col" { (ctx.t("users-role")) } th scope="col" { (ctx.t("users-team")) }
                th scope="col" { (ctx.t("users-status")) }
                @if admin { th scope="col" { (ctx.t("common-edit")) } }
            } }
            tbody {
                @for u in &users {
                    tr {
                        td { (ut(&u.display_name)) }
                        td dir="ltr" { (u.email) }
                        td { (role_name(&ctx.tr, u.role)) }
                        td { @if let Some(n) = team_name(u.team_id) { (ut(&n)) } @else { "—" } }
                        td { @if u.active { (ctx.t("users-active")) } @else { (ctx.t("users-inactive")) } }
                        @if admin {
                            td {
                                details {
                                    summary { (ctx.t("common-edit")) }
                                    form.inline method="post" action=(format!("/users/{}", u.id)) {
                                        (csrf_input(&ctx))
                                        @let p = format!("u{}", u.id);
                                        (field(&format!("{p}-name"), &ctx.t("users-name"), html! { input id=(format!("{p}-name")) name="display_name" value=(u.display_name) required; }))
                                        (field(&format!("{p}-role"), &ctx.t("users-role"), role_select(&ctx, &format!("{p}-role"), u.role)))
                                        (field(&format!("{p}-team"), &ctx.t("users-team"), team_select(&ctx, &format!("{p}-team"), &teams, u.team_id)))
                                        (field(&format!("{p}-locale"), &ctx.t("users-locale"), locale_select(&format!("{p}-locale"), "locale", u.locale)))
                                        div.field.check {
                                            input type="checkbox" id=(format!("{p}-active")) name="active" value="on" checked[u.active];
                                            label for=(format!("{p}-active")) { (ctx.t("users-active")) }
                                        }
                                        button type="submit" { (ctx.t("common-save")) }
                                    }
                                    @if u.active {
                                        form.inline method="post" action=(format!("/users/{}/password-reset", u.id)) {
                                            (csrf_input(&ctx))
                                            button type="submit" { (ctx.t("pwreset-admin-send")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&ctx, &ctx.t("users-title"), body))
}

fn opt_id(s: &Option<String>, field: &str) -> Result<Option<i64>, DomainError> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| DomainError::new(field, "must be a number")),
    }
}

#[derive(Deserialize)]
pub struct NewUserForm {
    email: String,
    display_name: String,
    role: String,
    team_id: Option<String>,
    locale: String,
    password: Option<String>,
}

pub async fn create_user(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<NewUserForm>,
) -> ApiResult<Redirect> {
    let password = match f.password.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Some(
            password::hash_async(Password::parse("password", p)?.expose().to_string())
                .await
                .map_err(ApiError::Internal)?,
        ),
        None => None,
    };
    let new = NewUser {
        email: Email::parse("email", &f.email)?,
        display_name: Name::parse("display_name", &f.display_name)?,
        role: Role::parse(&f.role)?,
        team_id: opt_id(&f.team_id, "team_id")?.map(TeamId),
        locale: Locale::parse("locale", &f.locale)?,
        password_hash: password,
    };
    s.store.create_user(auth.actor(), &new).await?;
    Ok(Redirect::to("/users?saved=1"))
}

#[derive(Deserialize)]
pub struct UserForm {
    display_name: String,
    role: String,
    team_id: Option<String>,
    locale: String,
    active: Option<String>,
}

pub async fn update_user(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    CsrfForm(f): CsrfForm<UserForm>,
) -> ApiResult<Redirect> {
    let upd = UserUpdate {
        display_name: Name::parse("display_name", &f.display_name)?,
        role: Role::parse(&f.role)?,
        team_id: opt_id(&f.team_id, "team_id")?.map(TeamId),
        locale: Locale::parse("locale", &f.locale)?,
        active: f.active.is_some(),
    };
    if UserId(id) == auth.user.id && (upd.role != Role::Admin || !upd.active) {
        return Err(ApiError::invalid(
            "role",
            "you cannot remove your own administrator access",
        ));
    }
    s.store.update_user(auth.actor(), UserId(id), &upd).await?;
    Ok(Redirect::to("/users?saved=1"))
}

pub async fn teams(auth: Auth<Members>, ctx: Ctx, State(s): State<AppState>) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let teams = s.store.list_teams(org).await?;
    let users = s.store.list_users(org, None).await?;
    let admin = auth.user.role == Role::Admin;
    let leads: Vec<&User> = users
        .iter()
        .filter(|u| u.active && matches!(u.role, Role::TeamLead | Role::CxManager | Role::Admin))
        .collect();
    let name_of = |id: Option<UserId>| {
        id.and_then(|id| users.iter().find(|u| u.id == id))
            .map(|u| u.display_name.clone())
    };
    let lead_select = |id: &str, selected: Option<UserId>| {
        html! {
            select id=(id) name="lead_id" {
                option value="" { (ctx.t("teams-no-lead")) }
                @for u in &leads { option value=(u.id.0) selected[Some(u.id) == selected] { (u.display_name) } }
            }
        }
    };
    let body = html! {
        @if admin {
            details.card {
                summary { (ctx.t("teams-create")) }
                form method="post" action="/teams" {
                    (csrf_input(&ctx))
                    (field("team-name", &ctx.t("teams-name"), html! { input #team-name name="name" required maxlength="200"; }))
                    (field("team-lead", &ctx.t("teams-lead"), lead_select("team-lead", None)))
                    button.primary type="submit" { (ctx.t("teams-create")) }
                }
            }
        }
        ul.cards {
            @for t in &teams {
                li.card {
                    h2 { (ut(&t.name)) }
                    p { (ctx.t("teams-lead")) ": " @if let Some(n) = name_of(t.lead_id) { (ut(&n)) } @else { (ctx.t("teams-no-lead")) } }
                    p { (ctx.tr.ta("teams-members", &[("count", t.member_count.into())])) }
                    @if admin {
                        details {
                            summary { (ctx.t("common-edit")) }
                            form method="post" action=(format!("/teams/{}", t.id)) {
                                (csrf_input(&ctx))
                                @let p = format!("t{}", t.id);
                                (field(&format!("{p}-name"), &ctx.t("teams-name"), html! { input id=(format!("{p}-name")) name="name" value=(t.name) required; }))
                                (field(&format!("{p}-lead"), &ctx.t("teams-lead"), lead_select(&format!("{p}-lead"), t.lead_id)))
                                button type="submit" { (ctx.t("common-save")) }
                            }
                            form method="post" action=(format!("/teams/{}/delete", t.id)) {
                                (csrf_input(&ctx))
                                button.danger type="submit" { (ctx.t("teams-delete")) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&ctx, &ctx.t("teams-title"), body))
}

#[derive(Deserialize)]
pub struct TeamForm {
    name: String,
    lead_id: Option<String>,
}

impl TeamForm {
    fn parse(&self) -> Result<NewTeam, DomainError> {
        Ok(NewTeam {
            name: Name::parse("name", &self.name)?,
            lead_id: opt_id(&self.lead_id, "lead_id")?.map(UserId),
        })
    }
}

pub async fn create_team(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<TeamForm>,
) -> ApiResult<Redirect> {
    s.store.create_team(auth.actor(), &f.parse()?).await?;
    Ok(Redirect::to("/teams"))
}

pub async fn update_team(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    CsrfForm(f): CsrfForm<TeamForm>,
) -> ApiResult<Redirect> {
    s.store
        .update_team(auth.actor(), TeamId(id), &f.parse()?)
        .await?;
    Ok(Redirect::to("/teams"))
}

pub async fn delete_team(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> ApiResult<Redirect> {
    s.store.delete_team(auth.actor(), TeamId(id)).await?;
    Ok(Redirect::to("/teams"))
}

#[derive(Deserialize)]
pub struct CustomerQuery {
    q: Option<String>,
    page: Option<i64>,
}

pub async fn customers(
    auth: Auth<Frontline>,
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<CustomerQuery>,
) -> ApiResult<Markup> {
    const PER_PAGE: i64 = 50;
    let page_no = q.page.unwrap_or(1).max(1);
    let search = q.q.clone().filter(|s| !s.trim().is_empty());
    let result = s
        .store
        .list_customers(
            auth.user.org_id,
            &CustomerFilter {
                search: search.clone(),
                locale: None,
                limit: PER_PAGE,
                offset: (page_no - 1) * PER_PAGE,
            },
        )
        .await?;
    let pages = ((result.total + PER_PAGE - 1) / PER_PAGE).max(1);
    let qs = |p: i64| {
        let enc: String =
            form_urlencoded::byte_serialize(search.as_deref().unwrap_or("").as_bytes()).collect();
        format!("/customers?q={enc}&page={p}")
    };
    let consent_text = |c: &Customer| {
        let given: Vec<String> = [
            (c.consent.email, "consent-email"),
            (c.consent.sms, "consent-sms"),
            (c.consent.research, "consent-research"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, key)| ctx.t(key))
        .collect();
        if given.is_empty() {
            "—".to_string()
        } else {
            given.join(", ")
        }
    };
    let body = html! {
        form.search role="search" method="get" action="/customers" {
            label for="q" { (ctx.t("customers-search")) }
            input #q type="search" name="q" value=(search.as_deref().unwrap_or(""));
            button type="submit" { (ctx.t("customers-search-submit")) }
        }
        p.muted { (ctx.tr.ta("customers-total", &[("count", result.total.into())])) }
        table {
            thead { tr {
                th scope="col" { (ctx.t("customers-external-id")) } th scope="col" { (ctx.t("customers-name")) }
                th scope="col" { (ctx.t("customers-locale")) } th scope="col" { (ctx.t("customers-email")) }
                th scope="col" { (ctx.t("customers-phone")) } th scope="col" { (ctx.t("customers-consent")) }
            } }
            tbody {
                @for c in &result.items {
                    tr {
                        td dir="ltr" { (c.external_id) }
                        td lang=(c.locale.as_str()) { a href=(format!("/customers/{}/brief", c.id)) { (ut(&c.name)) } }
                        td { (c.locale.native_name()) }
                        td dir="ltr" { (c.email.as_deref().unwrap_or("—")) }
                        td dir="ltr" { (c.phone.as_deref().unwrap_or("—")) }
                        td { (consent_text(c)) }
                    }
                }
            }
        }
        nav.pager aria-label=(ctx.t("customers-pages")) {
            @if page_no > 1 { a rel="prev" href=(qs(page_no - 1)) { (ctx.t("common-prev")) } }
            span { (ctx.tr.ta("common-page-of", &[("page", page_no.into()), ("pages", pages.into())])) }
            @if page_no < pages { a rel="next" href=(qs(page_no + 1)) { (ctx.t("common-next")) } }
        }
    };
    Ok(page(&ctx, &ctx.t("customers-title"), body))
}

pub async fn tokens(auth: Auth<Members>, ctx: Ctx, State(s): State<AppState>) -> ApiResult<Markup> {
    let list = s
        .store
        .list_api_tokens(auth.user.org_id, auth.user.id)
        .await?;
    Ok(page(
        &ctx,
        &ctx.t("tokens-title"),
        tokens_body(&ctx, &list, None),
    ))
}

fn tokens_body(ctx: &Ctx, list: &[ApiToken], created: Option<&str>) -> Markup {
    html! {
        p { (ctx.t("tokens-intro")) }
        @if let Some(secret) = created {
            div.card.flash role="status" {
                p { (ctx.t("tokens-created-once")) }
                code.secret dir="ltr" { (secret) }
            }
        }
        form.card method="post" action="/tokens" {
            (csrf_input(ctx))
            (field("token-name", &ctx.t("tokens-name"), html! { input #token-name name="name" required maxlength="200"; }))
            button.primary type="submit" { (ctx.t("tokens-create")) }
        }
        table {
            thead { tr {
                th scope="col" { (ctx.t("tokens-name")) } th scope="col" { (ctx.t("tokens-prefix")) }
                th scope="col" { (ctx.t("tokens-last-used")) } th scope="col" { (ctx.t("users-status")) }
            } }
            tbody {
                @for t in list {
                    tr {
                        td { (ut(&t.name)) }
                        td dir="ltr" { code { (t.prefix) "…" } }
                        td dir="ltr" { @if let Some(at) = t.last_used_at { (at.format("%Y-%m-%d %H:%M")) } @else { (ctx.t("tokens-never")) } }
                        td {
                            @if t.revoked { (ctx.t("tokens-revoked")) } @else {
                                form method="post" action=(format!("/tokens/{}/revoke", t.id)) {
                                    (csrf_input(ctx))
                                    button.danger type="submit" { (ctx.t("tokens-revoke")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
}

pub async fn create_token(
    auth: Auth<Members>,
    ctx: Ctx,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<TokenForm>,
) -> ApiResult<Response> {
    let name = Name::parse("name", &f.name)?;
    let (secret, prefix, hash) = secrets::new_api_token();
    s.store
        .create_api_token(auth.actor(), auth.user.id, &name, &prefix, &hash)
        .await?;
    let list = s
        .store
        .list_api_tokens(auth.user.org_id, auth.user.id)
        .await?;
    // Rendered directly (not redirected) so the secret never appears in a URL or history.
    let mut resp = page(
        &ctx,
        &ctx.t("tokens-title"),
        tokens_body(&ctx, &list, Some(&secret)),
    )
    .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

pub async fn revoke_token(
    auth: Auth<Members>,
    State(s): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> ApiResult<Redirect> {
    s.store
        .revoke_api_token(auth.actor(), auth.user.id, TokenId(id))
        .await?;
    Ok(Redirect::to("/tokens"))
}

pub async fn audit(auth: Auth<Admins>, ctx: Ctx, State(s): State<AppState>) -> ApiResult<Markup> {
    let entries = s.store.list_audit(auth.user.org_id, 200).await?;
    let users = s.store.list_users(auth.user.org_id, None).await?;
    let who = |id: Option<UserId>| match id {
        Some(id) => users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| format!("#{id}")),
        None => ctx.t("audit-system"),
    };
    let body = html! {
        p { (ctx.t("audit-intro")) }
        table {
            thead { tr {
                th scope="col" { (ctx.t("audit-when")) } th scope="col" { (ctx.t("audit-who")) }
                th scope="col" { (ctx.t("audit-action")) } th scope="col" { (ctx.t("audit-entity")) }
                th scope="col" { (ctx.t("audit-detail")) }
            } }
            tbody {
                @for e in &entries {
                    tr {
                        td dir="ltr" { (e.at.format("%Y-%m-%d %H:%M:%S")) }
                        td { (ut(&who(e.actor_id))) }
                        td dir="ltr" { code { (e.action) } }
                        td dir="ltr" { code { (e.entity) " " (e.entity_id) } }
                        td dir="ltr" { code.small { (ut(&e.detail)) } }
                    }
                }
            }
        }
    };
    Ok(page(&ctx, &ctx.t("audit-title"), body))
}
