//! Case pages: the inbox for team leads (filters, SLA countdown, paging) and the case page
//! with the customer's history, the dialogue log and the forms that move the loop along.
//!
//! Every form posts with a CSRF token and redirects on success; a refused change re-renders
//! the case page with the field named, keeping what the person typed.

use std::collections::HashMap;

use super::Routes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use rapport_domain::alerts::{Condition, Trigger};
use rapport_domain::cases::*;
use rapport_domain::model::*;
use rapport_domain::survey::Answer;
use rapport_domain::voc::{Response as VocResponse, ResponseFilter};
use rapport_domain::*;
use serde::Deserialize;

use super::layout::{csrf_input, field, page, ut};
use super::{CsrfForm, Ctx};
use crate::api::extract::{ApiPath, ApiQuery};
use crate::auth::{Auth, Leads};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub(super) fn router() -> Routes {
    Routes::new()
        .get("/cases", inbox)
        .get("/cases/{id}", show)
        .post("/cases/{id}/notes", add_note)
        .post("/cases/{id}/transition", transition)
        .post("/cases/{id}/assign", assign)
        .post("/cases/{id}/root-causes", root_causes)
}

const PAGE_SIZE: i64 = 50;
const HISTORY: i64 = 20;

// ---- formatting ----

/// A moment in the reader's conventions (day before month outside English), always UTC.
fn when_text(locale: Locale, at: DateTime<Utc>) -> String {
    let f = match locale {
        Locale::En => "%-d %b %Y, %H:%M UTC",
        Locale::He => "%-d.%-m.%Y, %H:%M UTC",
        Locale::El => "%-d/%-m/%Y, %H:%M UTC",
    };
    at.format(f).to_string()
}

fn when(ctx: &Ctx, at: DateTime<Utc>) -> Markup {
    html! { time datetime=(at.to_rfc3339()) { bdi { (when_text(ctx.locale(), at)) } } }
}

/// A message with one number in it, the number isolated so it keeps its place in RTL text.
fn with_num(text: &str, n: i64) -> Markup {
    let digits = n.to_string();
    match text.find(&digits) {
        Some(i) => html! { (&text[..i]) bdi { (digits) } (&text[i + digits.len()..]) },
        None => html! { (text) },
    }
}

/// A span of time in the largest unit that reads naturally: minutes, hours, then days.
fn span(ctx: &Ctx, secs: i64) -> (String, i64) {
    let mins = (secs.max(0) + 59) / 60;
    if mins < 60 {
        (ctx.tr.ta("cases-dur-min", &[("n", mins.into())]), mins)
    } else if mins < 48 * 60 {
        let h = mins / 60;
        (ctx.tr.ta("cases-dur-hours", &[("n", h.into())]), h)
    } else {
        let d = mins / (60 * 24);
        (ctx.tr.ta("cases-dur-days", &[("n", d.into())]), d)
    }
}

/// "due in 3 h" or "overdue by 2 h", in a `<time>` naming the deadline.
fn countdown(ctx: &Ctx, due: DateTime<Utc>, now: DateTime<Utc>) -> Markup {
    let secs = (due - now).num_seconds();
    let (dur, n) = span(ctx, secs.abs());
    let text = if secs >= 0 {
        ctx.tr.ta("cases-due-in", &[("dur", dur.into())])
    } else {
        ctx.tr.ta("cases-overdue-by", &[("dur", dur.into())])
    };
    html! {
        time datetime=(due.to_rfc3339()) title=(when_text(ctx.locale(), due)) { (with_num(&text, n)) }
    }
}

/// Where a case stands against its service levels, in words, with a flag that is not colour.
fn sla_cell(ctx: &Ctx, c: &Case, now: DateTime<Utc>) -> Markup {
    let s = c.sla(now);
    html! {
        @if s.breached() {
            strong.breach { span aria-hidden="true" { "⚠ " } (ctx.t("cases-breached")) }
            " "
        }
        @match s.next_due {
            Some(due) => (countdown(ctx, due, now)),
            None => span.muted { (ctx.t(if s.breached() { "cases-sla-missed" } else { "cases-sla-met" })) },
        }
    }
}

fn state_name(ctx: &Ctx, s: CaseState) -> String {
    ctx.t(&format!("cases-state-{}", s.as_str()))
}

fn priority_badge(ctx: &Ctx, p: Priority) -> Markup {
    html! { span class=(format!("prio prio-{}", p.as_str())) { (ctx.t(&format!("cases-priority-{}", p.as_str()))) } }
}

fn note_label(ctx: &Ctx, k: NoteKind) -> String {
    ctx.t(&format!("cases-note-{}", k.as_str()))
}

/// The condition of a rule in words.
fn condition_text(ctx: &Ctx, c: &Condition) -> String {
    let f = |x: f32| format!("{x:.2}");
    match c {
        Condition::NpsAtMost { value } => {
            ctx.tr.ta("cases-cond-nps", &[("value", (*value).into())])
        }
        Condition::CsatAtMost { value } => {
            ctx.tr.ta("cases-cond-csat", &[("value", (*value).into())])
        }
        Condition::CesAtMost { value } => {
            ctx.tr.ta("cases-cond-ces", &[("value", (*value).into())])
        }
        Condition::GapAtMost { value } => ctx.tr.ta(
            "cases-cond-gap",
            &[("value", value.to_string().replace('-', "\u{2212}").into())],
        ),
        Condition::NegativeSentiment { min_anger } => ctx
            .tr
            .ta("cases-cond-negative", &[("value", f(*min_anger).into())]),
        Condition::EscalationRisk { min } => ctx
            .tr
            .ta("cases-cond-escalation", &[("value", f(*min).into())]),
        Condition::ChurnIntent { min } => {
            ctx.tr.ta("cases-cond-churn", &[("value", f(*min).into())])
        }
        Condition::Topic { topic } => ctx
            .tr
            .ta("cases-cond-topic", &[("value", topic.clone().into())]),
        Condition::WeeklyNpsDrop => ctx.t("cases-cond-weekly-drop"),
    }
}

/// Names for the ids a case refers to.
#[derive(Default)]
struct Names {
    users: Vec<User>,
    touchpoints: HashMap<TouchpointId, String>,
}

impl Names {
    async fn load(s: &AppState, org: OrgId) -> ApiResult<Names> {
        let mut names = Names {
            users: s.store.list_users(org, None).await?,
            ..Default::default()
        };
        for j in s.store.list_journeys(org).await? {
            for st in s.store.get_journey(org, j.id).await?.stages {
                for tp in st.touchpoints {
                    names.touchpoints.insert(tp.id, tp.name);
                }
            }
        }
        Ok(names)
    }

    fn user(&self, id: UserId) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    fn user_name(&self, ctx: &Ctx, id: Option<UserId>) -> Markup {
        match id {
            Some(id) => match self.user(id) {
                Some(u) => ut(&u.display_name),
                None => html! { bdi { "#" (id.0) } },
            },
            None => html! { span.muted { (ctx.t("cases-unassigned")) } },
        }
    }

    fn touchpoint(&self, id: Option<TouchpointId>) -> Markup {
        match id {
            Some(id) => match self.touchpoints.get(&id) {
                Some(n) => ut(n),
                None => html! { bdi { "#" (id.0) } },
            },
            None => html! { span.muted { "—" } },
        }
    }

    /// Who may own a case: active people who work with customers.
    fn assignable(&self) -> impl Iterator<Item = &User> {
        self.users
            .iter()
            .filter(|u| u.active && u.role != Role::Viewer)
    }
}

async fn customer_names(
    s: &AppState,
    org: OrgId,
    ids: impl Iterator<Item = CustomerId>,
) -> ApiResult<HashMap<CustomerId, String>> {
    let mut out = HashMap::new();
    for id in ids {
        if let std::collections::hash_map::Entry::Vacant(e) = out.entry(id) {
            match s.store.get_customer(org, id).await {
                Ok(c) => {
                    e.insert(c.name);
                }
                Err(rapport_storage::StorageError::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
    }
    Ok(out)
}

fn customer_link(ctx: &Ctx, names: &HashMap<CustomerId, String>, id: Option<CustomerId>) -> Markup {
    match id {
        Some(c) => html! {
            a href=(format!("/customers/{c}")) {
                @match names.get(&c) {
                    Some(n) => (ut(n)),
                    None => bdi { "#" (c.0) },
                }
            }
        },
        None => html! { span.muted { (ctx.t("cases-no-customer")) } },
    }
}

// ---- the inbox ----

/// Inbox filters. Empty values (an untouched select) mean "no filter".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// `open` (default), `any`, or one state.
    state: Option<String>,
    /// `me`, empty for anyone, or a user id.
    owner: Option<String>,
    touchpoint: Option<String>,
    breached: Option<String>,
    page: Option<i64>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn positive_id(field: &str, s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| ApiError::invalid(field, "must be a positive id"))
}

impl InboxQuery {
    fn filter(&self, me: UserId, now: DateTime<Utc>) -> Result<CaseFilter, ApiError> {
        let mut f = CaseFilter::default();
        match blank(&self.state) {
            None | Some("open") => f.open_only = true,
            Some("any") => {}
            Some(s) => f.state = Some(CaseState::parse("state", s)?),
        }
        f.owner_id = match blank(&self.owner) {
            None | Some("anyone") => None,
            Some("me") => Some(me),
            Some(s) => Some(UserId(positive_id("owner", s)?)),
        };
        f.touchpoint_id = blank(&self.touchpoint)
            .map(|s| positive_id("touchpoint", s).map(TouchpointId))
            .transpose()?;
        if blank(&self.breached).is_some() {
            f.breached_at = Some(now);
        }
        Ok(f)
    }

    /// The query string of these filters (without the page), for pager and count links.
    fn query(&self) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("state", &self.state),
            ("owner", &self.owner),
            ("touchpoint", &self.touchpoint),
            ("breached", &self.breached),
        ] {
            if let Some(v) = blank(v) {
                ser.append_pair(k, v);
            }
        }
        ser.finish()
    }
}

pub async fn inbox(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let now = Utc::now();
    let page_no = q.page.unwrap_or(1);
    if page_no < 1 {
        return Err(ApiError::invalid("page", "must be 1 or more"));
    }
    let mut filter = q.filter(auth.user.id, now)?;
    filter.limit = PAGE_SIZE;
    filter.offset = (page_no - 1) * PAGE_SIZE;
    let (cases, total) = s.store.list_cases(org, &filter).await?;
    let count = |f: CaseFilter| CaseFilter { limit: 1, ..f };
    let open = s
        .store
        .list_cases(
            org,
            &count(CaseFilter {
                open_only: true,
                ..Default::default()
            }),
        )
        .await?
        .1;
    let breached = s
        .store
        .list_cases(
            org,
            &count(CaseFilter {
                open_only: true,
                breached_at: Some(now),
                ..Default::default()
            }),
        )
        .await?
        .1;
    let mine = s
        .store
        .list_cases(
            org,
            &count(CaseFilter {
                open_only: true,
                owner_id: Some(auth.user.id),
                ..Default::default()
            }),
        )
        .await?
        .1;
    // Follow-up calls of mine due within a day, so they are not forgotten behind the cases.
    let calls = s
        .store
        .list_followups(
            org,
            Some(auth.user.id),
            Some(rapport_domain::followups::FollowupState::Scheduled),
            Some(now + chrono::Duration::days(1)),
            1000,
        )
        .await?
        .len();
    let names = Names::load(&s, org).await?;
    let customers = customer_names(&s, org, cases.iter().filter_map(|c| c.customer_id)).await?;
    let mut touchpoints: Vec<(&TouchpointId, &String)> = names.touchpoints.iter().collect();
    touchpoints.sort_by(|a, b| a.1.cmp(b.1));
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let qs = q.query();
    let link = |p: i64| {
        if qs.is_empty() {
            format!("/cases?page={p}")
        } else {
            format!("/cases?{qs}&page={p}")
        }
    };
    let state_sel = blank(&q.state).unwrap_or("open");
    let owner_sel = blank(&q.owner).unwrap_or("");
    let tp_sel = blank(&q.touchpoint).unwrap_or("");
    let body = html! {
        p.how { (ctx.t("cases-inbox-intro")) }
        ul.stats.case-counts {
            li { a href="/cases" data-count="open" { span.big { bdi { (open) } } (ctx.t("cases-count-open")) } }
            li.breach-count { a href="/cases?breached=1" data-count="breached" {
                span.big { bdi { (breached) } } span aria-hidden="true" { "⚠ " } (ctx.t("cases-count-breached"))
            } }
            li { a href="/cases?owner=me" data-count="mine" { span.big { bdi { (mine) } } (ctx.t("cases-count-mine")) } }
            li { a href="/followups" data-count="followups" { span.big { bdi { (calls) } } (ctx.t("cases-count-followups")) } }
        }
        form.search.case-filters method="get" action="/cases" {
            (field("f-state", &ctx.t("cases-f-state"), html! {
                select #f-state name="state" {
                    option value="open" selected[state_sel == "open"] { (ctx.t("cases-f-open")) }
                    option value="any" selected[state_sel == "any"] { (ctx.t("cases-f-any")) }
                    @for st in CaseState::ALL {
                        option value=(st.as_str()) selected[state_sel == st.as_str()] { (state_name(&ctx, st)) }
                    }
                }
            }))
            (field("f-owner", &ctx.t("cases-f-owner"), html! {
                select #f-owner name="owner" {
                    option value="" selected[owner_sel.is_empty() || owner_sel == "anyone"] { (ctx.t("cases-f-anyone")) }
                    option value="me" selected[owner_sel == "me"] { (ctx.t("cases-f-me")) }
                    @for u in names.assignable() {
                        option value=(u.id.0) selected[owner_sel == u.id.0.to_string()] { (u.display_name) }
                    }
                }
            }))
            (field("f-touchpoint", &ctx.t("cases-f-touchpoint"), html! {
                select #f-touchpoint name="touchpoint" {
                    option value="" { (ctx.t("cases-f-all-touchpoints")) }
                    @for (id, name) in &touchpoints {
                        option value=(id.0) selected[tp_sel == id.0.to_string()] { (name) }
                    }
                }
            }))
            div.field.check {
                input #f-breached type="checkbox" name="breached" value="1" checked[blank(&q.breached).is_some()];
                label for="f-breached" { (ctx.t("cases-f-breached")) }
            }
            button type="submit" { (ctx.t("common-apply")) }
        }
        p { (ctx.tr.ta("cases-total", &[("count", total.into())])) }
        @if cases.is_empty() {
            p.muted.empty { (ctx.t("cases-none")) }
        } @else {
            table.cases {
                caption.visually-hidden { (ctx.t("cases-title")) }
                thead { tr {
                    th scope="col" { (ctx.t("cases-col-priority")) }
                    th scope="col" { (ctx.t("cases-col-title")) }
                    th scope="col" { (ctx.t("cases-col-customer")) }
                    th scope="col" { (ctx.t("cases-col-touchpoint")) }
                    th scope="col" { (ctx.t("cases-col-owner")) }
                    th scope="col" { (ctx.t("cases-col-state")) }
                    th scope="col" { (ctx.t("cases-col-sla")) }
                    th scope="col" { (ctx.t("cases-col-age")) }
                } }
                tbody {
                    @for c in &cases {
                        @let breached = c.sla(now).breached();
                        @let (age, age_n) = span(&ctx, (now - c.created_at).num_seconds());
                        tr class=(if breached { "case breached" } else { "case" }) data-case=(c.id.0) {
                            td { (priority_badge(&ctx, c.priority)) }
                            td { a href=(format!("/cases/{}", c.id)) { (ut(&c.title)) } }
                            td { (customer_link(&ctx, &customers, c.customer_id)) }
                            td { (names.touchpoint(c.touchpoint_id)) }
                            td { (names.user_name(&ctx, c.owner_id)) }
                            td { (state_name(&ctx, c.state)) }
                            td.sla { (sla_cell(&ctx, c, now)) }
                            td { time datetime=(c.created_at.to_rfc3339()) title=(when_text(ctx.locale(), c.created_at)) { (with_num(&age, age_n)) } }
                        }
                    }
                }
            }
        }
        nav.pager aria-label=(ctx.t("cases-pages")) {
            @if page_no > 1 { a rel="prev" href=(link(page_no - 1)) { (ctx.t("common-prev")) } " " }
            span { (ctx.tr.ta("common-page-of", &[("page", page_no.into()), ("pages", pages.into())])) }
            @if page_no < pages { " " a rel="next" href=(link(page_no + 1)) { (ctx.t("common-next")) } }
        }
    };
    Ok(page(&ctx, &ctx.t("cases-title"), body))
}

// ---- the case page ----

/// A change that was refused: which form, which field, and what the person had typed.
#[derive(Default)]
struct Refused {
    form: &'static str,
    field: String,
    message: String,
    note_kind: Option<String>,
    note_body: Option<String>,
    to: Option<String>,
    outcome: Option<String>,
    reason: Option<String>,
    root_causes: Option<String>,
}

impl Refused {
    fn on(&self, form: &str, field: &str) -> bool {
        self.form == form && self.field == field
    }
}

/// The localised explanation of a refused field; the technical detail stays in English below it.
fn refusal_key(field: &str) -> &'static str {
    match field {
        "to" => "cases-err-to",
        "outcome" => "cases-err-outcome",
        "reason" => "cases-err-reason",
        "body" => "cases-err-body",
        "kind" => "cases-err-kind",
        "owner_id" => "cases-err-owner",
        f if f.starts_with("root_causes") => "cases-err-root-causes",
        _ => "cases-err-generic",
    }
}

fn error_box(ctx: &Ctx, r: &Refused, form: &str) -> Markup {
    html! {
        @if r.form == form {
            div.error role="alert" id=(format!("{form}-error")) {
                p { strong { (ctx.t(refusal_key(&r.field))) } }
                @if !r.message.is_empty() { p.detail lang="en" dir="ltr" { (r.message) } }
            }
        }
    }
}

/// Marks a control invalid and points it at the error text.
fn invalid(r: &Refused, form: &str, field: &str) -> (Option<&'static str>, Option<String>) {
    if r.on(form, field) {
        (Some("true"), Some(format!("{form}-error")))
    } else {
        (None, None)
    }
}

/// The topic keys of the built-in taxonomy, offered as root-cause suggestions.
fn taxonomy_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = rapport_text::BUILTIN_TAXONOMY
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').next())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

fn answer_text(ctx: &Ctx, a: &Answer) -> Markup {
    match a {
        Answer::Number(n) => html! { bdi { (n) } },
        Answer::Choice(c) => ut(c),
        Answer::Choices(cs) => ut(&cs.join(", ")),
        Answer::Text(t) => ut(t),
        Answer::Pair {
            expectation,
            experience,
        } => html! {
            (ctx.t("cases-expected")) " " bdi { (expectation) } " · " (ctx.t("cases-got")) " " bdi { (experience) }
        },
    }
}

fn trigger_item(ctx: &Ctx, t: &Trigger) -> Markup {
    html! {
        li {
            strong { (ut(&t.rule_name)) } ": "
            (condition_text(ctx, &t.condition)) " · "
            (ctx.t("cases-observed")) " " bdi.num { (t.observed.replace('-', "\u{2212}")) }
        }
    }
}

/// One entry of the history, each kind of note labelled in words and set apart by its frame.
fn event_item(ctx: &Ctx, names: &Names, e: &CaseEvent) -> Markup {
    let who = match e.actor_id {
        Some(a) => names.user_name(ctx, Some(a)),
        None => html! { (ctx.t("cases-by-system")) },
    };
    let (class, label) = match (e.kind.as_str(), e.note_kind) {
        ("note", Some(k)) => (
            format!("event note note-{}", k.as_str()),
            note_label(ctx, k),
        ),
        ("transition", _) => ("event transition".to_string(), ctx.t("cases-ev-transition")),
        ("assign", _) => ("event assign".to_string(), ctx.t("cases-ev-assign")),
        ("escalate", _) => ("event escalate".to_string(), ctx.t("cases-ev-escalate")),
        ("tag", _) => ("event tag".to_string(), ctx.t("cases-ev-tag")),
        ("followup", _) => ("event followup".to_string(), ctx.t("cases-ev-followup")),
        (other, _) => (format!("event {other}"), other.to_string()),
    };
    let user_ref = |s: &str| -> Markup {
        match s.trim().parse::<i64>() {
            Ok(id) => names.user_name(ctx, Some(UserId(id))),
            Err(_) => html! { span.muted { "—" } },
        }
    };
    html! {
        li class=(class) data-event=(e.kind) {
            p.event-head {
                strong.event-kind { (label) }
                " · " (who) " · " (when(ctx, e.at))
            }
            @match e.kind.as_str() {
                "transition" => {
                    p {
                        @if let Some(f) = e.from_state { (state_name(ctx, f)) }
                        " → "
                        @if let Some(t) = e.to_state { strong { (state_name(ctx, t)) } }
                    }
                    @if let Some(b) = &e.body { p.event-body { (ut(b)) } }
                }
                "assign" => {
                    @if let Some(b) = &e.body {
                        @let mut parts = b.splitn(2, '→');
                        @let from = parts.next().unwrap_or("");
                        @let to = parts.next().unwrap_or("");
                        p { (user_ref(from)) " → " strong { (user_ref(to)) } }
                    }
                }
                "escalate" => {
                    p { (ctx.t("cases-escalated-to")) " "
                        @match &e.body { Some(b) => (user_ref(b)), None => span.muted { "—" } }
                    }
                }
                _ => {
                    @if let Some(b) = &e.body { div.event-body { (ut(b)) } }
                }
            }
        }
    }
}

fn response_summary(ctx: &Ctx, names: &Names, r: &VocResponse) -> Markup {
    html! {
        li.verbatim {
            p.meta {
                a href=(format!("/responses/{}", r.id)) { (when(ctx, r.submitted_at)) }
                @if let Some(n) = r.nps { " · NPS " bdi.score { (n) } }
                @if let Some(c) = r.csat { " · CSAT " bdi { (c) } }
                " · " (names.touchpoint(Some(r.touchpoint_id)))
            }
            @if let Some(text) = r.comment.as_deref().filter(|c| !c.trim().is_empty()) {
                blockquote lang=(r.locale.as_str()) dir=(r.locale.dir()) { (ut(text)) }
            }
        }
    }
}

async fn render_case(
    s: &AppState,
    ctx: &Ctx,
    user: &User,
    id: CaseId,
    refused: &Refused,
) -> ApiResult<Markup> {
    let org = user.org_id;
    let now = Utc::now();
    let c = s.store.get_case(org, id).await?;
    let events = s.store.case_events(org, id).await?;
    let names = Names::load(s, org).await?;
    let original = match c.response_id {
        Some(rid) => match s.store.get_response(org, rid).await {
            Ok(r) => {
                let def = s.store.survey_definition(r.survey_id, r.version).await.ok();
                Some((r, def))
            }
            Err(rapport_storage::StorageError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let (customer, other_responses, earlier_cases) = match c.customer_id {
        Some(cid) => {
            let customer = s.store.get_customer(org, cid).await.ok();
            let (rs, _) = s
                .store
                .list_responses(
                    org,
                    &ResponseFilter {
                        customer: Some(cid),
                        ..Default::default()
                    },
                    HISTORY + 1,
                    0,
                )
                .await?;
            let rs: Vec<VocResponse> = rs
                .into_iter()
                .filter(|r| Some(r.id) != c.response_id)
                .take(HISTORY as usize)
                .collect();
            let (cs, _) = s
                .store
                .list_cases(
                    org,
                    &CaseFilter {
                        customer_id: Some(cid),
                        limit: HISTORY + 1,
                        ..Default::default()
                    },
                )
                .await?;
            let cs: Vec<Case> = cs
                .into_iter()
                .filter(|o| o.id != c.id)
                .take(HISTORY as usize)
                .collect();
            (customer, rs, cs)
        }
        None => (None, vec![], vec![]),
    };
    let sla = c.sla(now);
    let l = ctx.locale();
    let base = format!("/cases/{}", c.id);
    let next = c.state.next();
    let keys = taxonomy_keys();
    let body = html! {
        section.case-head.card aria-labelledby="case-state-h" {
            h2.visually-hidden #case-state-h { (ctx.t("cases-summary")) }
            dl.figs.case-figs {
                div { dt { (ctx.t("cases-col-state")) } dd data-state=(c.state.as_str()) { (state_name(ctx, c.state)) } }
                @if let Some(o) = c.outcome {
                    div { dt { (ctx.t("cases-outcome")) } dd { (ctx.t(&format!("cases-outcome-{}", o.as_str()))) } }
                }
                div { dt { (ctx.t("cases-col-priority")) } dd { (priority_badge(ctx, c.priority)) } }
                div { dt { (ctx.t("cases-col-owner")) } dd { (names.user_name(ctx, c.owner_id)) } }
                div { dt { (ctx.t("cases-col-sla")) } dd.sla { (sla_cell(ctx, &c, now)) } }
            }
            dl.figs.case-figs {
                div { dt { (ctx.t("cases-first-contact")) } dd {
                    @match c.first_contact_at {
                        Some(t) => { (when(ctx, t)) @if sla.first_contact_breached { " · " strong.breach { (ctx.t("cases-late")) } } }
                        None => { (ctx.t("cases-due")) " " (when(ctx, c.first_contact_due)) }
                    }
                } }
                div { dt { (ctx.t("cases-resolution")) } dd {
                    @match c.finished_at {
                        Some(t) => { (when(ctx, t)) @if sla.resolution_breached { " · " strong.breach { (ctx.t("cases-late")) } } }
                        None => { (ctx.t("cases-due")) " " (when(ctx, c.resolution_due)) }
                    }
                } }
                div { dt { (ctx.t("cases-opened")) } dd { (when(ctx, c.created_at)) } }
                div { dt { (ctx.t("cases-col-touchpoint")) } dd { (names.touchpoint(c.touchpoint_id)) } }
                @if let Some(a) = c.agent_id {
                    div { dt { (ctx.t("cases-agent")) } dd { (names.user_name(ctx, Some(a))) } }
                }
                div { dt { (ctx.t("cases-source")) } dd { (ctx.t(&format!("cases-source-{}", c.source.as_str())))
                    @if let Some(r) = &c.source_ref { " · " (ut(r)) } } }
                @if let Some(e) = c.escalated_at {
                    div { dt { (ctx.t("cases-escalated")) } dd { (when(ctx, e)) " → " (names.user_name(ctx, c.escalated_to)) } }
                }
                @if let Some(r) = &c.close_reason {
                    div { dt { (ctx.t("cases-close-reason")) } dd { (ut(r)) } }
                }
                @if !c.root_causes.is_empty() {
                    div { dt { (ctx.t("cases-root-causes")) } dd { @for t in &c.root_causes { span.tag { (ut(t)) } " " } } }
                }
                @if let (Some(o), Some(f)) = (c.original_nps, c.followup_nps) {
                    div { dt { (ctx.t("cases-recovery")) } dd { "NPS " bdi { (o) } " → " bdi { (f) } } }
                }
            }
        }
        div.case-grid {
            div.case-main {
                section.card aria-labelledby="why-h" {
                    h2 #why-h { (ctx.t("cases-why")) }
                    @if c.triggers.is_empty() {
                        p.muted { (ctx.t(&format!("cases-why-{}", c.source.as_str()))) }
                    } @else {
                        ul.triggers { @for t in &c.triggers { (trigger_item(ctx, t)) } }
                    }
                }
                section.card aria-labelledby="said-h" {
                    h2 #said-h { (ctx.t("cases-original")) }
                    @match &original {
                        None => p.muted { (ctx.t("cases-no-response")) },
                        Some((r, def)) => {
                            p.meta { a href=(format!("/responses/{}", r.id)) { (when(ctx, r.submitted_at)) } }
                            dl.answers {
                                @if let Some(def) = def {
                                    @for q in &def.questions {
                                        @if let Some(a) = r.answers.get(&q.key) {
                                            div {
                                                dt { (ut(q.prompt.get(l, r.locale))) }
                                                dd lang=(r.locale.as_str()) dir=(r.locale.dir()) { (answer_text(ctx, a)) }
                                            }
                                        }
                                    }
                                } @else {
                                    @for (k, a) in &r.answers {
                                        div { dt { (ut(k)) } dd lang=(r.locale.as_str()) dir=(r.locale.dir()) { (answer_text(ctx, a)) } }
                                    }
                                }
                            }
                            @if let Some(text) = r.comment.as_deref().filter(|t| !t.trim().is_empty()) {
                                blockquote.comment lang=(r.locale.as_str()) dir=(r.locale.dir()) { (ut(text)) }
                            }
                        }
                    }
                }
                section.card #log aria-labelledby="log-h" {
                    h2 #log-h { (ctx.t("cases-log")) }
                    p.muted { (ctx.t("cases-log-intro")) }
                    @if events.is_empty() {
                        p.muted { (ctx.t("cases-log-empty")) }
                    } @else {
                        ol.case-log { @for e in &events { (event_item(ctx, &names, e)) } }
                    }
                    h3 #note-h { (ctx.t("cases-add-note")) }
                    form.case-form method="post" action=(format!("{base}/notes")) aria-labelledby="note-h" {
                        (csrf_input(ctx))
                        (error_box(ctx, refused, "note"))
                        @let kind_sel = refused.note_kind.as_deref().unwrap_or("customer_said");
                        fieldset {
                            legend { (ctx.t("cases-note-kind")) }
                            @for k in NoteKind::ALL {
                                div.field.check {
                                    input type="radio" name="kind" id=(format!("nk-{}", k.as_str())) value=(k.as_str()) checked[kind_sel == k.as_str()] required;
                                    label for=(format!("nk-{}", k.as_str())) { (note_label(ctx, k)) }
                                }
                            }
                        }
                        @let (inv, desc) = invalid(refused, "note", "body");
                        (field("note-body", &ctx.t("cases-note-body"), html! {
                            textarea #note-body name="body" rows="4" maxlength="10000" required aria-invalid=[inv] aria-describedby=[desc] {
                                (refused.note_body.as_deref().unwrap_or(""))
                            }
                        }))
                        button.primary type="submit" { (ctx.t("cases-add-note-submit")) }
                    }
                }
            }
            aside.case-side {
                section.card aria-labelledby="move-h" {
                    h2 #move-h { (ctx.t("cases-move")) }
                    form.case-form method="post" action=(format!("{base}/transition")) {
                        (csrf_input(ctx))
                        (error_box(ctx, refused, "transition"))
                        @let (inv, desc) = invalid(refused, "transition", "to");
                        @let to_sel = refused.to.as_deref().unwrap_or("");
                        (field("move-to", &ctx.t("cases-move-to"), html! {
                            select #move-to name="to" required aria-invalid=[inv] aria-describedby=[desc] {
                                @for st in next {
                                    option value=(st.as_str()) selected[to_sel == st.as_str()] { (state_name(ctx, *st)) }
                                }
                            }
                        }))
                        @if next.contains(&CaseState::Resolved) {
                            @let (inv, desc) = invalid(refused, "transition", "outcome");
                            @let out_sel = refused.outcome.as_deref().unwrap_or("");
                            (field("move-outcome", &ctx.t("cases-move-outcome"), html! {
                                select #move-outcome name="outcome" aria-invalid=[inv] aria-describedby=[desc] {
                                    option value="" { (ctx.t("cases-move-outcome-none")) }
                                    @for o in [Outcome::WonBack, Outcome::NotRecovered] {
                                        option value=(o.as_str()) selected[out_sel == o.as_str()] { (ctx.t(&format!("cases-outcome-{}", o.as_str()))) }
                                    }
                                }
                            }))
                        }
                        @let (inv, desc) = invalid(refused, "transition", "reason");
                        (field("move-reason", &ctx.t("cases-move-reason"), html! {
                            textarea #move-reason name="reason" rows="3" maxlength="2000" aria-invalid=[inv] aria-describedby=[desc] {
                                (refused.reason.as_deref().unwrap_or(""))
                            }
                        }))
                        p.muted.hint-text { (ctx.t("cases-move-hint")) }
                        button.primary type="submit" { (ctx.t("cases-move-submit")) }
                    }
                }
                section.card aria-labelledby="assign-h" {
                    h2 #assign-h { (ctx.t("cases-assign")) }
                    form.case-form method="post" action=(format!("{base}/assign")) {
                        (csrf_input(ctx))
                        (error_box(ctx, refused, "assign"))
                        @let (inv, desc) = invalid(refused, "assign", "owner_id");
                        (field("assign-owner", &ctx.t("cases-col-owner"), html! {
                            select #assign-owner name="owner_id" required aria-invalid=[inv] aria-describedby=[desc] {
                                @for u in names.assignable() {
                                    option value=(u.id.0) selected[Some(u.id) == c.owner_id] { (u.display_name) }
                                }
                            }
                        }))
                        button type="submit" { (ctx.t("cases-assign-submit")) }
                    }
                }
                section.card aria-labelledby="rc-h" {
                    h2 #rc-h { (ctx.t("cases-root-causes")) }
                    form.case-form method="post" action=(format!("{base}/root-causes")) {
                        (csrf_input(ctx))
                        (error_box(ctx, refused, "root_causes"))
                        @let (inv, desc) = if refused.form == "root_causes" { (Some("true"), Some("root_causes-error".to_string())) } else { (None, None) };
                        @let current = refused.root_causes.clone().unwrap_or_else(|| c.root_causes.join(", "));
                        (field("rc-tags", &ctx.t("cases-root-causes-label"), html! {
                            input #rc-tags name="root_causes" value=(current) list="rc-suggestions" maxlength="1400" aria-invalid=[inv] aria-describedby=[desc.or(Some("rc-help".to_string()))];
                        }))
                        p.muted #rc-help { (ctx.t("cases-root-causes-help")) }
                        datalist #rc-suggestions { @for k in &keys { option value=(k) {} } }
                        details {
                            summary { (ctx.t("cases-root-causes-known")) }
                            p { @for k in &keys { code { (k) } " " } }
                        }
                        button type="submit" { (ctx.t("common-save")) }
                    }
                }
            }
        }
        section.card.customer-history aria-labelledby="hist-h" {
            h2 #hist-h { (ctx.t("cases-history")) }
            @match (&customer, c.customer_id) {
                (_, None) => p.muted { (ctx.t("cases-no-customer")) },
                (Some(cu), _) => p { a href=(format!("/customers/{}", cu.id)) { (ut(&cu.name)) } " · " bdi { (cu.external_id) } },
                (None, Some(cid)) => p { a href=(format!("/customers/{cid}")) { bdi { "#" (cid.0) } } },
            }
            @if c.customer_id.is_some() {
                div.grid2 {
                    div {
                        h3 { (ctx.t("cases-other-responses")) }
                        @if other_responses.is_empty() {
                            p.muted { (ctx.t("cases-no-other-responses")) }
                        } @else {
                            ol.verbatims { @for r in &other_responses { (response_summary(ctx, &names, r)) } }
                        }
                    }
                    div {
                        h3 { (ctx.t("cases-earlier")) }
                        @if earlier_cases.is_empty() {
                            p.muted { (ctx.t("cases-no-earlier")) }
                        } @else {
                            ul.earlier-cases {
                                @for o in &earlier_cases {
                                    li {
                                        a href=(format!("/cases/{}", o.id)) { (ut(&o.title)) }
                                        " · " (state_name(ctx, o.state))
                                        @if let Some(out) = o.outcome { " (" (ctx.t(&format!("cases-outcome-{}", out.as_str()))) ")" }
                                        " · " (when(ctx, o.created_at))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = ctx.tr.ta("cases-case-title", &[("id", c.id.0.into())]);
    Ok(page(
        ctx,
        &title,
        html! {
            p.case-title { (ut(&c.title)) }
            (body)
        },
    ))
}

pub async fn show(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Markup> {
    render_case(&s, &ctx, &auth.user, CaseId(id), &Refused::default()).await
}

/// After a refused change: the case page again, status 422, the field named.
/// After a form post: back to the log when the change was stored, else the case page again
/// with the refusal explained (`r` says which form and what was typed).
async fn settle(
    s: &AppState,
    ctx: &Ctx,
    user: &User,
    id: CaseId,
    result: Result<(), ApiError>,
    mut r: Refused,
) -> ApiResult<Response> {
    let Err(err) = result else {
        return Ok(back(id, "log"));
    };
    let (field, message) = match err {
        ApiError::Invalid { field, message } => (field, message),
        ApiError::Conflict { field, message } => (field, message),
        other => return Err(other),
    };
    r.field = field;
    r.message = message;
    let markup = render_case(s, ctx, user, id, &r).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, markup).into_response())
}

fn back(id: CaseId, anchor: &str) -> Response {
    Redirect::to(&format!("/cases/{id}#{anchor}")).into_response()
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    body: String,
}

pub async fn add_note(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(f): CsrfForm<NoteForm>,
) -> ApiResult<Response> {
    let id = CaseId(id);
    s.store.get_case(auth.user.org_id, id).await?;
    let body = f.body.trim();
    let result = match NoteKind::parse("kind", &f.kind) {
        Err(e) => Err(ApiError::from(e)),
        Ok(kind) => s
            .store
            .add_case_note(auth.actor(), id, kind, body, Utc::now())
            .await
            .map(|_| ())
            .map_err(ApiError::from),
    };
    let r = Refused {
        form: "note",
        note_kind: Some(f.kind),
        note_body: Some(f.body),
        ..Default::default()
    };
    settle(&s, &ctx, &auth.user, id, result, r).await
}

#[derive(Deserialize)]
pub struct TransitionForm {
    #[serde(default)]
    to: String,
    outcome: Option<String>,
    reason: Option<String>,
}

impl TransitionForm {
    fn parse(&self) -> Result<Transition, DomainError> {
        Ok(Transition {
            to: CaseState::parse("to", self.to.trim())?,
            outcome: blank(&self.outcome)
                .map(|o| Outcome::parse("outcome", o))
                .transpose()?,
            reason: blank(&self.reason).map(str::to_string),
        })
    }
}

pub async fn transition(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(f): CsrfForm<TransitionForm>,
) -> ApiResult<Response> {
    let id = CaseId(id);
    let case = s.store.get_case(auth.user.org_id, id).await?;
    let checked = f.parse().and_then(|t| {
        // A move away from "resolved" carries no outcome: ignore one left selected.
        let t = if t.to == CaseState::Resolved {
            t
        } else {
            Transition { outcome: None, ..t }
        };
        t.check(case.state).map(|()| t)
    });
    let result = match checked {
        Err(e) => Err(ApiError::from(e)),
        Ok(t) => s
            .store
            .transition_case(auth.actor(), id, &t, Utc::now())
            .await
            .map(|_| ())
            .map_err(ApiError::from),
    };
    let r = Refused {
        form: "transition",
        to: Some(f.to),
        outcome: f.outcome,
        reason: f.reason,
        ..Default::default()
    };
    settle(&s, &ctx, &auth.user, id, result, r).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    owner_id: String,
}

pub async fn assign(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(f): CsrfForm<AssignForm>,
) -> ApiResult<Response> {
    let id = CaseId(id);
    s.store.get_case(auth.user.org_id, id).await?;
    let result = match positive_id("owner_id", f.owner_id.trim()) {
        Err(e) => Err(e),
        Ok(owner) => s
            .store
            .assign_case(auth.actor(), id, UserId(owner), Utc::now())
            .await
            .map(|_| ())
            .map_err(ApiError::from),
    };
    let r = Refused {
        form: "assign",
        ..Default::default()
    };
    settle(&s, &ctx, &auth.user, id, result, r).await
}

#[derive(Deserialize)]
pub struct RootCauseForm {
    #[serde(default)]
    root_causes: String,
}

pub async fn root_causes(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(f): CsrfForm<RootCauseForm>,
) -> ApiResult<Response> {
    let id = CaseId(id);
    s.store.get_case(auth.user.org_id, id).await?;
    let raw: Vec<String> = f
        .root_causes
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let result = match parse_root_causes("root_causes", &raw) {
        Err(e) => Err(ApiError::from(e)),
        Ok(tags) => s
            .store
            .set_case_root_causes(auth.actor(), id, &tags, Utc::now())
            .await
            .map(|_| ())
            .map_err(ApiError::from),
    };
    let r = Refused {
        form: "root_causes",
        root_causes: Some(f.root_causes),
        ..Default::default()
    };
    settle(&s, &ctx, &auth.user, id, result, r).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_isolated_inside_messages() {
        let m = with_num("באיחור של 12 שעות", 12).into_string();
        assert_eq!(m, "באיחור של <bdi>12</bdi> שעות");
        let m = with_num("<b> 3", 3).into_string();
        assert_eq!(m, "&lt;b&gt; <bdi>3</bdi>");
    }

    #[test]
    fn taxonomy_offers_topic_keys() {
        let keys = taxonomy_keys();
        assert!(keys.contains(&"waiting_time"), "{keys:?}");
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }
}
