//! Frontline pages: conversations with their evidence-based evaluation, emotional-labour
//! scorecards beside efficiency, coaching and listening for leads, the recognition wall and the
//! "In the Zone" brief. Handlers are thin: they call `crate::frontline` and the store, and the
//! role rules are the API's (`Auth<…>` extractors and `check_agent_visible`).
//!
//! Forms post `application/x-www-form-urlencoded` as name/value pairs; a refused form
//! re-renders its page with status 422, the field named and what the person typed kept.

mod brief;
mod coaching;
mod conversations;
mod lead_rating;
mod scorecards;
mod wall;

use std::collections::HashMap;

use super::Routes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use maud::{html, Markup};
use rapport_domain::model::User;
use rapport_domain::{Locale, Role, UserId};

use super::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub(super) fn router() -> Routes {
    Routes::new()
        .get("/conversations", conversations::list)
        .get("/conversations/{id}", conversations::show)
        .post("/conversations/{id}/review", conversations::review)
        .post("/conversations/{id}/respond", conversations::respond)
        .post("/conversations/{id}/listened", conversations::listened)
        .get("/scorecards", scorecards::show)
        .get("/coaching", coaching::show)
        .post("/coaching", coaching::create)
        .post("/coaching/listening", coaching::log_listening)
        .get("/wall", wall::show)
        .post("/wall/kudos", wall::give_kudos)
        .post("/wall/stories", wall::propose_story)
        .post("/wall/stories/{id}/approve", wall::approve_story)
        .get("/customers/{id}/brief", brief::show)
        .post("/customers/{id}/checkin", brief::check_in)
        .get("/me/lead-rating", lead_rating::show)
        .post("/me/lead-rating", lead_rating::submit)
        .get("/lead-ratings", lead_rating::results)
}

// ---- posted forms and refusals ----

/// A posted form as name/value pairs, in the order sent.
#[derive(Debug, Default, Clone)]
pub(crate) struct Posted(pub Vec<(String, String)>);

impl Posted {
    /// The value of a field, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The value as typed (for re-filling a form).
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A form that was refused: which one, the field to blame, and what was typed.
#[derive(Debug, Default)]
pub(crate) struct Refused {
    pub form: &'static str,
    pub field: String,
    pub message: String,
    pub posted: Posted,
}

impl Refused {
    pub fn on(&self, form: &str, field: &str) -> bool {
        self.form == form && self.field == field
    }

    /// What the person typed into `name` of `form`, when that form was refused.
    pub fn val<'a>(&'a self, form: &str, name: &str) -> Option<&'a str> {
        (self.form == form).then(|| self.posted.raw(name)).flatten()
    }

    /// Marks a control invalid and points it at the error text.
    pub fn invalid(&self, form: &str, field: &str) -> (Option<&'static str>, Option<String>) {
        if self.on(form, field) {
            (Some("true"), Some(format!("{form}-error")))
        } else {
            (None, None)
        }
    }
}

/// The outcome of a form post: a redirect when stored, the page again (422) when refused.
pub(crate) fn refusal(err: ApiError) -> Result<(String, String), ApiError> {
    match err {
        ApiError::Invalid { field, message } | ApiError::Conflict { field, message } => {
            Ok((field, message))
        }
        other => Err(other),
    }
}

pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

pub(crate) fn unprocessable(markup: Markup) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, markup).into_response()
}

/// The localised explanation of a refused field; the technical detail stays below in English.
fn refusal_key(field: &str) -> &'static str {
    let base = field.split('.').next().unwrap_or(field);
    match base {
        "score" => "fl-err-score",
        "reason" => "fl-err-reason",
        "comment" => "fl-err-comment",
        "response" => "fl-err-response",
        "minutes" => "fl-err-minutes",
        "listened_on" => "fl-err-listened-on",
        "note" | "coaching_note" => "fl-err-note",
        "agent_id" | "to_user" => "fl-err-person",
        "focus" => "fl-err-focus",
        "agreed" => "fl-err-agreed",
        "follow_up_on" => "fl-err-follow-up",
        "conversation_ids" | "conversation_id" | "response_id" => "fl-err-conversation",
        "message" => "fl-err-message",
        "title" | "value" | "customer_words" | "agent_did" | "outcome" => "fl-err-story",
        "mood" => "fl-err-mood",
        "team" => "fl-err-team",
        "conversation" => "fl-err-own",
        _ => "fl-err-generic",
    }
}

pub(crate) fn error_box(ctx: &Ctx, r: &Refused, form: &str) -> Markup {
    html! {
        @if r.form == form {
            div.error role="alert" id=(format!("{form}-error")) data-field=(r.field) {
                p { strong { (ctx.t(refusal_key(&r.field))) } }
                p.detail lang="en" dir="ltr" { code { (r.field) } ": " (r.message) }
            }
        }
    }
}

// ---- parsing form values ----

pub(crate) fn parse_id(field: &str, s: &str) -> Result<i64, ApiError> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| ApiError::invalid(field, "must be a positive id"))
}

pub(crate) fn opt_id(p: &Posted, field: &str) -> Result<Option<i64>, ApiError> {
    p.get(field).map(|v| parse_id(field, v)).transpose()
}

pub(crate) fn parse_day(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(field, "must be a date (YYYY-MM-DD)"))
}

// ---- formatting ----

/// A moment in the reader's conventions, always UTC.
pub(crate) fn when(ctx: &Ctx, at: DateTime<Utc>) -> Markup {
    let f = match ctx.locale() {
        Locale::En => "%-d %b %Y, %H:%M",
        Locale::He => "%-d.%-m.%Y, %H:%M",
        Locale::El => "%-d/%-m/%Y, %H:%M",
    };
    html! { time datetime=(at.to_rfc3339()) { bdi { (at.format(f)) } } }
}

pub(crate) fn day(ctx: &Ctx, d: NaiveDate) -> Markup {
    let f = match ctx.locale() {
        Locale::En => "%-d %b %Y",
        Locale::He => "%-d.%-m.%Y",
        Locale::El => "%-d/%-m/%Y",
    };
    html! { time datetime=(d.format("%Y-%m-%d")) { bdi { (d.format(f)) } } }
}

/// A signed figure with a true minus sign, so "−0.40" is not read as a dash.
pub(crate) fn signed(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("\u{2212}{s}")
    } else if x > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{s}")
    } else {
        s
    }
}

/// A figure or a dash, isolated and left to right so a minus sign stays in front in Hebrew.
pub(crate) fn fig(v: Option<f64>, decimals: usize) -> Markup {
    match v {
        Some(v) => html! { bdi.num dir="ltr" { (format!("{:.*}", decimals, v)) } },
        None => html! { span.muted { "—" } },
    }
}

pub(crate) fn fig_signed(v: Option<f64>) -> Markup {
    match v {
        Some(v) => html! { bdi.num dir="ltr" { (signed(v, 2)) } },
        None => html! { span.muted { "—" } },
    }
}

/// From one figure to another: the arrow points the way the reader reads (mirrored in RTL by
/// the stylesheet), and the words are there for screen readers.
pub(crate) fn from_to(ctx: &Ctx, a: Option<f64>, b: Option<f64>) -> Markup {
    html! {
        span.fromto {
            (fig_signed(a)) " " span.arrow aria-hidden="true" { "→" } " " (fig_signed(b))
            span.visually-hidden {
                (ctx.tr.ta("fl-from-to", &[
                    ("from", a.map(|v| signed(v, 2)).unwrap_or_else(|| "—".into()).into()),
                    ("to", b.map(|v| signed(v, 2)).unwrap_or_else(|| "—".into()).into()),
                ]))
            }
        }
    }
}

/// Seconds as "m:ss".
pub(crate) fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as i64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// A label from Fluent, falling back to the key made readable (custom rubrics, new flags).
pub(crate) fn label(ctx: &Ctx, prefix: &str, key: &str) -> String {
    let id = format!("{prefix}-{key}");
    let s = ctx.t(&id);
    if s == id {
        key.replace('_', " ")
    } else {
        s
    }
}

pub(crate) fn crit(ctx: &Ctx, name: &str) -> String {
    label(ctx, "fl-crit", name)
}

pub(crate) fn channel(ctx: &Ctx, c: rapport_domain::journey::Channel) -> String {
    ctx.t(&format!("channel-{}", c.as_str()))
}

/// A horizontal bar that fills in reading direction (the stylesheet mirrors it in RTL), with
/// the figure beside it in words.
pub(crate) fn bar(share: f64, text: &str) -> Markup {
    let pct = (share.clamp(0.0, 1.0) * 100.0).round();
    html! {
        span.fl-bar {
            // An SVG width, not an inline style: the CSP forbids inline styles.
            span.track aria-hidden="true" {
                svg viewBox="0 0 100 10" preserveAspectRatio="none" focusable="false" {
                    rect.fill x="0" y="0" width=(pct) height="10" {}
                }
            }
            " " bdi.bar-text dir=[text.chars().all(|c| !c.is_alphabetic()).then_some("ltr")] { (text) }
        }
    }
}

// ---- people ----

/// The organisation's people by id, for names in lists.
pub(crate) struct People(pub HashMap<UserId, User>);

impl People {
    pub async fn load(s: &AppState, org: rapport_domain::OrgId) -> ApiResult<People> {
        Ok(People(
            s.store
                .list_users(org, None)
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect(),
        ))
    }

    pub fn name(&self, id: Option<UserId>) -> Markup {
        match id.and_then(|i| self.0.get(&i)) {
            Some(u) => super::ut(&u.display_name),
            None => match id {
                Some(i) => html! { bdi { "#" (i.0) } },
                None => html! { span.muted { "—" } },
            },
        }
    }

    /// People whose data the viewer may see, who work with customers, sorted by name.
    pub fn visible_agents(&self, viewer: &User) -> Vec<&User> {
        let mut v: Vec<&User> = self
            .0
            .values()
            .filter(|u| u.active && matches!(u.role, Role::Agent | Role::TeamLead))
            .filter(|u| {
                rapport_domain::frontline::can_see_agent(
                    viewer.role,
                    viewer.id,
                    viewer.team_id,
                    u.id,
                    u.team_id,
                )
            })
            .collect();
        v.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        v
    }

    /// Everyone active, sorted by name.
    pub fn active(&self) -> Vec<&User> {
        let mut v: Vec<&User> = self.0.values().filter(|u| u.active).collect();
        v.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        v
    }
}

pub(crate) fn is_lead(u: &User) -> bool {
    rapport_domain::role::Access::Leads.allows(u.role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_figures_use_a_true_minus() {
        assert_eq!(signed(-0.4, 2), "\u{2212}0.40");
        assert_eq!(signed(0.25, 2), "+0.25");
        assert_eq!(signed(-0.001, 2), "0.00");
        assert_eq!(duration(125.4), "2:05");
    }

    #[test]
    fn posted_values_are_trimmed_and_blank_is_none() {
        let p = Posted(vec![("a".into(), "  x ".into()), ("b".into(), "  ".into())]);
        assert_eq!(p.get("a"), Some("x"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.raw("b"), Some("  "));
    }
}

#[cfg(test)]
mod bar_tests {
    #[test]
    fn bars_need_no_inline_style() {
        let out = super::bar(0.42, "42%").into_string();
        assert!(
            !out.contains("style="),
            "the CSP blocks inline styles: {out}"
        );
        assert!(out.contains(r#"width="42""#), "{out}");
    }
}
