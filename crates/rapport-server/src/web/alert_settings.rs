//! `/settings/alerts`: the organisation's alert rules and its service-level policy, for CX
//! managers and administrators. Works without JavaScript: every change is a form post with a
//! CSRF token that redirects on success; a refused change re-renders the page with status 422,
//! the field named and marked `aria-invalid`, and what the person typed kept.

use std::collections::HashMap;

use super::Routes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use rapport_domain::alerts::{default_rules, AlertRule, AlertRuleSpec, Condition, MatchMode};
use rapport_domain::cases::{Priority, SlaPolicy, SlaTarget};
use rapport_domain::model::User;
use rapport_domain::*;
use serde::Deserialize;

use super::layout::{csrf_input, field, flash, page, ut};
use super::{CsrfForm, Ctx};
use crate::api::extract::ApiPath;
use crate::auth::{Auth, Managers};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub(super) fn router() -> Routes {
    Routes::new()
        .get("/settings/alerts", show)
        .post("/settings/alerts", create_rule)
        .post("/settings/alerts/defaults", add_defaults)
        .post("/settings/alerts/{id}/toggle", toggle_rule)
        .post("/settings/alerts/{id}/delete", delete_rule)
        .post("/settings/sla", save_sla)
}

/// Up to this many conditions can be entered in the form.
const SLOTS: usize = 3;

/// Condition kinds, in the order the form offers them.
const KINDS: [&str; 9] = [
    "nps_at_most",
    "csat_at_most",
    "ces_at_most",
    "gap_at_most",
    "negative_sentiment",
    "escalation_risk",
    "churn_intent",
    "topic",
    "weekly_nps_drop",
];

/// The condition of a rule in words (the same sentences the case page uses for triggers).
fn condition_text(ctx: &Ctx, c: &Condition) -> String {
    let f = |x: f32| format!("{x:.2}");
    let int = |id: &str, v: i32| {
        ctx.tr.ta(
            id,
            &[("value", v.to_string().replace('-', "\u{2212}").into())],
        )
    };
    match c {
        Condition::NpsAtMost { value } => int("cases-cond-nps", *value),
        Condition::CsatAtMost { value } => int("cases-cond-csat", *value),
        Condition::CesAtMost { value } => int("cases-cond-ces", *value),
        Condition::GapAtMost { value } => int("cases-cond-gap", *value),
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

fn priority_name(ctx: &Ctx, p: Priority) -> String {
    ctx.t(&format!("cases-priority-{}", p.as_str()))
}

/// A stage with its label ("Journey › Stage") and its touchpoints.
type StageScope = (StageId, String, Vec<(TouchpointId, String)>);

/// Stages and touchpoints by id, for the scope select and the rule list.
#[derive(Default)]
struct Scopes {
    /// (stage id, "Journey › Stage", its touchpoints (id, name)).
    stages: Vec<StageScope>,
}

impl Scopes {
    async fn load(s: &AppState, org: OrgId) -> ApiResult<Scopes> {
        let mut out = Scopes::default();
        for j in s.store.list_journeys(org).await? {
            let map = s.store.get_journey(org, j.id).await?;
            for st in map.stages {
                out.stages.push((
                    st.stage.id,
                    format!("{} › {}", j.name, st.stage.name),
                    st.touchpoints.into_iter().map(|t| (t.id, t.name)).collect(),
                ));
            }
        }
        Ok(out)
    }

    fn stage(&self, id: StageId) -> Option<&str> {
        self.stages.iter().find(|s| s.0 == id).map(|s| s.1.as_str())
    }

    fn touchpoint(&self, id: TouchpointId) -> Option<&str> {
        self.stages
            .iter()
            .flat_map(|s| s.2.iter())
            .find(|t| t.0 == id)
            .map(|t| t.1.as_str())
    }

    fn describe(&self, ctx: &Ctx, spec: &AlertRuleSpec) -> Markup {
        let named = |id: &str, name: Option<&str>, raw: i64| {
            let (before, after) = split_arg(&ctx.tr.ta(id, &[("name", "\u{1}".into())]));
            html! {
                (before)
                @match name {
                    Some(n) => (ut(n)),
                    None => bdi { "#" (raw) },
                }
                (after)
            }
        };
        match (spec.touchpoint_id, spec.stage_id) {
            (Some(tp), _) => named("al-scope-touchpoint", self.touchpoint(tp), tp.0),
            (None, Some(st)) => named("al-scope-stage", self.stage(st), st.0),
            (None, None) => html! { (ctx.t("al-scope-all")) },
        }
    }
}

/// A translated message around a placeholder, split so user text can be isolated in between.
fn split_arg(text: &str) -> (String, String) {
    match text.split_once('\u{1}') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (text.to_string(), String::new()),
    }
}

// ---- what was typed, and what was refused ----

/// A refused form: which one, the field to blame, the reason, and the values as typed.
#[derive(Default)]
struct Refused {
    form: &'static str,
    field: String,
    message: String,
    values: HashMap<String, String>,
}

impl Refused {
    fn value(&self, form: &str, name: &str) -> Option<&str> {
        (self.form == form)
            .then(|| self.values.get(name).map(String::as_str))
            .flatten()
    }

    /// `aria-invalid` and `aria-describedby` for the control that carries `name`.
    fn invalid(&self, form: &str, name: &str) -> (Option<&'static str>, Option<String>) {
        if self.form == form && control_of(&self.field) == name {
            (Some("true"), Some(format!("{form}-error")))
        } else {
            (None, None)
        }
    }
}

/// The form control a domain field is reported against. Conditions are numbered from the
/// filled-in slots, so `conditions[1].value` is the second slot's threshold.
fn control_of(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("conditions[") {
        if let Some((i, tail)) = rest.split_once(']') {
            if let Ok(i) = i.parse::<usize>() {
                let what = if tail.is_empty() { "kind" } else { "value" };
                return format!("c{}_{what}", i + 1);
            }
        }
        return "c1_kind".into();
    }
    match field {
        "conditions" => "c1_kind".into(),
        "stage_id" | "touchpoint_id" => "scope".into(),
        f => f.to_string(),
    }
}

fn refusal_key(field: &str) -> &'static str {
    match field {
        "name" => "al-err-name",
        "conditions" => "al-err-conditions",
        "scope" | "stage_id" | "touchpoint_id" => "al-err-scope",
        "create_case" | "notify" => "al-err-actions",
        f if f.starts_with("conditions[") => "al-err-threshold",
        f if f.ends_with("_hours") => "al-err-sla",
        _ => "al-err-generic",
    }
}

fn error_box(ctx: &Ctx, r: &Refused, form: &str) -> Markup {
    html! {
        @if r.form == form {
            div.error role="alert" id=(format!("{form}-error")) {
                p { strong { (ctx.t("al-err-title")) } }
                @let (before, after) = split_arg(&ctx.tr.ta("al-err-field", &[("field", "\u{1}".into())]));
                p { (ctx.t(refusal_key(&r.field))) " " (before) code lang="en" dir="ltr" { (r.field) } (after) }
                @if !r.message.is_empty() { p.detail lang="en" dir="ltr" { (r.message) } }
            }
        }
    }
}

// ---- the page ----

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

async fn render(
    s: &AppState,
    ctx: &Ctx,
    user: &User,
    saved: Option<&str>,
    r: &Refused,
) -> ApiResult<Markup> {
    let org = user.org_id;
    let rules = s.store.list_alert_rules(org).await?;
    let sla = s.store.sla_policy(org).await?;
    let scopes = Scopes::load(s, org).await?;
    let saved_text = saved.and_then(|k| match k {
        "rule" => Some(ctx.t("al-saved-rule")),
        "toggle" => Some(ctx.t("al-saved-toggle")),
        "deleted" => Some(ctx.t("al-saved-deleted")),
        "defaults" => Some(ctx.t("al-saved-defaults")),
        "sla" => Some(ctx.t("al-saved-sla")),
        _ => None,
    });
    let body = html! {
        (flash(saved_text.as_deref()))
        p.how { (ctx.t("al-intro")) }
        section.card aria-labelledby="rules-h" {
            h2 #rules-h { (ctx.t("al-rules")) }
            @if rules.is_empty() {
                p.muted.empty { (ctx.t("al-none")) }
                form method="post" action="/settings/alerts/defaults" {
                    (csrf_input(ctx))
                    p.muted #defaults-help { (ctx.t("al-add-defaults-help")) }
                    button.primary type="submit" aria-describedby="defaults-help" { (ctx.t("al-add-defaults")) }
                }
            } @else {
                table.rules {
                    caption.visually-hidden { (ctx.t("al-rules")) }
                    thead { tr {
                        th scope="col" { (ctx.t("al-col-name")) }
                        th scope="col" { (ctx.t("al-col-scope")) }
                        th scope="col" { (ctx.t("al-col-conditions")) }
                        th scope="col" { (ctx.t("al-col-priority")) }
                        th scope="col" { (ctx.t("al-col-actions")) }
                        th scope="col" { (ctx.t("al-col-enabled")) }
                        th scope="col" { (ctx.t("al-col-manage")) }
                    } }
                    tbody {
                        @for rule in &rules { (rule_row(ctx, &scopes, rule)) }
                    }
                }
            }
        }
        (rule_form(ctx, &scopes, r))
        (sla_form(ctx, &sla, r))
    };
    Ok(page(ctx, &ctx.t("al-title"), body))
}

fn actions_text(ctx: &Ctx, spec: &AlertRuleSpec) -> String {
    let mut acts = vec![];
    if spec.create_case {
        acts.push(ctx.t("al-action-case"));
    }
    if spec.notify {
        acts.push(ctx.t("al-action-notify"));
    }
    acts.join(", ")
}

fn rule_row(ctx: &Ctx, scopes: &Scopes, rule: &AlertRule) -> Markup {
    let spec = &rule.spec;
    let base = format!("/settings/alerts/{}", rule.id.0);
    html! {
        tr data-rule=(rule.id.0) class=(if spec.enabled { "rule" } else { "rule off" }) {
            th scope="row" { (ut(&spec.name)) }
            td { (scopes.describe(ctx, spec)) }
            td {
                @if spec.conditions.len() > 1 {
                    (ctx.t(if spec.match_mode == MatchMode::All { "al-mode-all" } else { "al-mode-any" })) ":"
                }
                ul.conditions { @for c in &spec.conditions { li { (condition_text(ctx, c)) } } }
            }
            td { span class=(format!("prio prio-{}", spec.priority.as_str())) { (priority_name(ctx, spec.priority)) } }
            td { (actions_text(ctx, spec)) }
            td { (ctx.t(if spec.enabled { "al-on" } else { "al-off" })) }
            td.manage {
                form.inline method="post" action=(format!("{base}/toggle")) {
                    (csrf_input(ctx))
                    button type="submit" { (ctx.t(if spec.enabled { "al-disable" } else { "al-enable" })) }
                }
                " "
                form.inline method="post" action=(format!("{base}/delete")) {
                    (csrf_input(ctx))
                    button.danger type="submit" { (ctx.t("al-delete")) }
                }
            }
        }
    }
}

fn rule_form(ctx: &Ctx, scopes: &Scopes, r: &Refused) -> Markup {
    let v = |name: &str| r.value("rule", name);
    let fresh = r.form != "rule";
    let scope_sel = v("scope").unwrap_or("");
    let mode_sel = v("match_mode").unwrap_or("all");
    let prio_sel = v("priority").unwrap_or("normal");
    html! {
        section.card aria-labelledby="add-h" {
            h2 #add-h { (ctx.t("al-add")) }
            form.rule-form method="post" action="/settings/alerts" novalidate {
                (csrf_input(ctx))
                (error_box(ctx, r, "rule"))
                @let (inv, desc) = r.invalid("rule", "name");
                (field("rule-name", &ctx.t("al-name"), html! {
                    input #rule-name name="name" value=(v("name").unwrap_or("")) maxlength="120" required aria-invalid=[inv] aria-describedby=[desc];
                }))
                @let (inv, desc) = r.invalid("rule", "scope");
                (field("rule-scope", &ctx.t("al-scope"), html! {
                    select #rule-scope name="scope" aria-invalid=[inv] aria-describedby=[desc] {
                        option value="" { (ctx.t("al-scope-all")) }
                        @for (sid, sname, tps) in &scopes.stages {
                            @let sv = format!("stage:{}", sid.0);
                            optgroup label=(sname) {
                                option value=(sv) selected[scope_sel == sv] { (ctx.tr.ta("al-scope-stage", &[("name", sname.clone().into())])) }
                                @for (tid, tname) in tps {
                                    @let tv = format!("touchpoint:{}", tid.0);
                                    option value=(tv) selected[scope_sel == tv] { (tname) }
                                }
                            }
                        }
                    }
                }))
                (field("rule-match", &ctx.t("al-match"), html! {
                    select #rule-match name="match_mode" {
                        option value="all" selected[mode_sel == "all"] { (ctx.t("al-match-all")) }
                        option value="any" selected[mode_sel == "any"] { (ctx.t("al-match-any")) }
                    }
                }))
                p.muted #cond-help { (ctx.t("al-conditions-help")) }
                @for slot in 1..=SLOTS {
                    @let kname = format!("c{slot}_kind");
                    @let vname = format!("c{slot}_value");
                    @let ksel = v(&kname).unwrap_or(if fresh && slot == 1 { "nps_at_most" } else { "" });
                    @let vval = v(&vname).unwrap_or(if fresh && slot == 1 { "6" } else { "" });
                    fieldset.condition {
                        legend { (ctx.tr.ta("al-condition", &[("n", (slot as i64).into())])) }
                        @let (inv, desc) = r.invalid("rule", &kname);
                        (field(&format!("rule-{kname}"), &ctx.t("al-kind"), html! {
                            select id=(format!("rule-{kname}")) name=(kname) aria-invalid=[inv] aria-describedby=[desc.or(Some("cond-help".into()))] {
                                option value="" selected[ksel.is_empty()] { (ctx.t("al-kind-none")) }
                                @for k in KINDS {
                                    option value=(k) selected[ksel == k] { (ctx.t(&format!("al-kind-{k}"))) }
                                }
                            }
                        }))
                        @let (inv, desc) = r.invalid("rule", &vname);
                        (field(&format!("rule-{vname}"), &ctx.t("al-threshold"), html! {
                            input id=(format!("rule-{vname}")) name=(vname) value=(vval) maxlength="64" aria-invalid=[inv] aria-describedby=[desc];
                        }))
                    }
                }
                (field("rule-priority", &ctx.t("al-priority"), html! {
                    select #rule-priority name="priority" {
                        @for p in Priority::ALL {
                            option value=(p.as_str()) selected[prio_sel == p.as_str()] { (priority_name(ctx, p)) }
                        }
                    }
                }))
                @let (inv, desc) = r.invalid("rule", "create_case");
                div.field.check {
                    input #rule-case type="checkbox" name="create_case" value="1" checked[if fresh { true } else { v("create_case").is_some() }] aria-invalid=[inv] aria-describedby=[desc];
                    label for="rule-case" { (ctx.t("al-create-case")) }
                }
                div.field.check {
                    input #rule-notify type="checkbox" name="notify" value="1" checked[v("notify").is_some()];
                    label for="rule-notify" { (ctx.t("al-notify")) }
                }
                button.primary type="submit" { (ctx.t("al-add-submit")) }
            }
        }
    }
}

fn sla_form(ctx: &Ctx, sla: &SlaPolicy, r: &Refused) -> Markup {
    html! {
        section.card aria-labelledby="sla-h" #sla {
            h2 #sla-h { (ctx.t("al-sla")) }
            p.muted { (ctx.t("al-sla-intro")) }
            form.sla-form method="post" action="/settings/sla" novalidate {
                (csrf_input(ctx))
                (error_box(ctx, r, "sla"))
                table.sla {
                    thead { tr {
                        th scope="col" { (ctx.t("al-col-priority")) }
                        th scope="col" { (ctx.t("al-sla-first")) }
                        th scope="col" { (ctx.t("al-sla-resolution")) }
                    } }
                    tbody {
                        @for p in Priority::ALL.iter().rev() {
                            @let t = sla.target(*p);
                            tr {
                                th scope="row" { (priority_name(ctx, *p)) }
                                @for (what, label, current) in [("first_contact_hours", "al-sla-first", t.first_contact_hours), ("resolution_hours", "al-sla-resolution", t.resolution_hours)] {
                                    @let name = format!("{}.{what}", p.as_str());
                                    @let id = format!("sla-{}-{what}", p.as_str());
                                    @let (inv, desc) = r.invalid("sla", &name);
                                    @let value = r.value("sla", &name).map(str::to_string).unwrap_or_else(|| current.to_string());
                                    td {
                                        label.visually-hidden for=(id) { (priority_name(ctx, *p)) ": " (ctx.t(label)) }
                                        input id=(id) name=(name) value=(value) inputmode="numeric" size="6" aria-invalid=[inv] aria-describedby=[desc];
                                    }
                                }
                            }
                        }
                    }
                }
                button.primary type="submit" { (ctx.t("al-sla-submit")) }
            }
        }
    }
}

pub async fn show(
    auth: Auth<Managers>,
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<SavedQuery>,
) -> ApiResult<Markup> {
    render(
        &s,
        &ctx,
        &auth.user,
        q.saved.as_deref(),
        &Refused::default(),
    )
    .await
}

/// The page again with status 422 and the field named; other errors pass through.
async fn refuse(
    s: &AppState,
    ctx: &Ctx,
    user: &User,
    form: &'static str,
    err: ApiError,
    values: HashMap<String, String>,
) -> ApiResult<Response> {
    let (field, message) = match err {
        ApiError::Invalid { field, message } => (field, message),
        ApiError::Conflict { field, message } => (field, message),
        other => return Err(other),
    };
    let r = Refused {
        form,
        field,
        message,
        values,
    };
    let markup = render(s, ctx, user, None, &r).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, markup).into_response())
}

fn saved(what: &str, anchor: &str) -> Response {
    Redirect::to(&format!("/settings/alerts?saved={what}#{anchor}")).into_response()
}

fn text<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map(|s| s.trim()).unwrap_or("")
}

/// One condition from its kind and threshold; `field` is its place among the filled-in ones.
fn parse_condition(kind: &str, value: &str, field: &str) -> Result<Condition, DomainError> {
    let bad = |name: &str, why: &str| DomainError::new(format!("{field}.{name}"), why);
    // Accept a real minus sign and a decimal comma, as people type them.
    let value = value.replace('\u{2212}', "-").replace(',', ".");
    let int = || {
        value
            .parse::<i32>()
            .map_err(|_| bad("value", "must be a whole number"))
    };
    let unit = |name: &str| {
        value
            .parse::<f32>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad(name, "must be a number between 0 and 1"))
    };
    Ok(match kind {
        "nps_at_most" => Condition::NpsAtMost { value: int()? },
        "csat_at_most" => Condition::CsatAtMost { value: int()? },
        "ces_at_most" => Condition::CesAtMost { value: int()? },
        "gap_at_most" => Condition::GapAtMost { value: int()? },
        "negative_sentiment" => Condition::NegativeSentiment {
            min_anger: unit("min_anger")?,
        },
        "escalation_risk" => Condition::EscalationRisk { min: unit("min")? },
        "churn_intent" => Condition::ChurnIntent { min: unit("min")? },
        "topic" => Condition::Topic {
            topic: value.trim().to_string(),
        },
        "weekly_nps_drop" => Condition::WeeklyNpsDrop,
        _ => return Err(DomainError::new(field, "unknown condition kind")),
    })
}

fn parse_rule(f: &HashMap<String, String>, scopes: &Scopes) -> Result<AlertRuleSpec, DomainError> {
    let (stage_id, touchpoint_id) = match text(f, "scope") {
        "" => (None, None),
        s => {
            let (what, id) = s
                .split_once(':')
                .ok_or_else(|| DomainError::new("scope", "unknown scope"))?;
            let id: i64 = id
                .parse()
                .map_err(|_| DomainError::new("scope", "unknown scope"))?;
            match what {
                "stage" if scopes.stage(StageId(id)).is_some() => (Some(StageId(id)), None),
                "touchpoint" if scopes.touchpoint(TouchpointId(id)).is_some() => {
                    (None, Some(TouchpointId(id)))
                }
                _ => return Err(DomainError::new("scope", "unknown stage or touchpoint")),
            }
        }
    };
    let match_mode = match text(f, "match_mode") {
        "" | "all" => MatchMode::All,
        "any" => MatchMode::Any,
        _ => return Err(DomainError::new("match_mode", "must be all or any")),
    };
    let priority = match text(f, "priority") {
        "" => Priority::Normal,
        p => Priority::parse("priority", p)?,
    };
    let mut conditions = vec![];
    for slot in 1..=SLOTS {
        let kind = text(f, &format!("c{slot}_kind"));
        if kind.is_empty() {
            continue;
        }
        // Errors name the slot as typed, so the marked control is the one the person filled in.
        let field = format!("conditions[{}]", slot - 1);
        let value = text(f, &format!("c{slot}_value"));
        let c = parse_condition(kind, value, &field)?;
        c.clone_validate(&field)?;
        conditions.push(c);
    }
    let spec = AlertRuleSpec {
        name: text(f, "name").to_string(),
        stage_id,
        touchpoint_id,
        match_mode,
        conditions,
        create_case: f.contains_key("create_case"),
        notify: f.contains_key("notify"),
        priority,
        enabled: true,
    };
    spec.validate()?;
    Ok(spec)
}

/// `Condition::validate` is private to the domain; validating a one-condition rule gives the
/// same verdict, renamed to the slot the person filled in.
trait SlotValidate {
    fn clone_validate(&self, field: &str) -> Result<(), DomainError>;
}

impl SlotValidate for Condition {
    fn clone_validate(&self, field: &str) -> Result<(), DomainError> {
        let probe = AlertRuleSpec {
            name: "probe".into(),
            stage_id: None,
            touchpoint_id: None,
            match_mode: MatchMode::All,
            conditions: vec![self.clone()],
            create_case: true,
            notify: false,
            priority: Priority::Normal,
            enabled: true,
        };
        probe.validate().map_err(|e| DomainError {
            field: e.field.replacen("conditions[0]", field, 1),
            reason: e.reason,
        })
    }
}

pub async fn create_rule(
    auth: Auth<Managers>,
    ctx: Ctx,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> ApiResult<Response> {
    let scopes = Scopes::load(&s, auth.user.org_id).await?;
    let result = match parse_rule(&f, &scopes) {
        Err(e) => Err(ApiError::from(e)),
        Ok(spec) => s
            .store
            .create_alert_rule(auth.actor(), &spec)
            .await
            .map(|_| ())
            .map_err(ApiError::from),
    };
    match result {
        Ok(()) => Ok(saved("rule", "rules-h")),
        Err(e) => refuse(&s, &ctx, &auth.user, "rule", e, f).await,
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn toggle_rule(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> ApiResult<Response> {
    let id = AlertRuleId(id);
    let rule = s.store.get_alert_rule(auth.user.org_id, id).await?;
    let spec = AlertRuleSpec {
        enabled: !rule.spec.enabled,
        ..rule.spec
    };
    s.store.update_alert_rule(auth.actor(), id, &spec).await?;
    Ok(saved("toggle", "rules-h"))
}

pub async fn delete_rule(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> ApiResult<Response> {
    let id = AlertRuleId(id);
    s.store.get_alert_rule(auth.user.org_id, id).await?;
    s.store.delete_alert_rule(auth.actor(), id).await?;
    Ok(saved("deleted", "rules-h"))
}

pub async fn add_defaults(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    CsrfForm(_): CsrfForm<Empty>,
) -> ApiResult<Response> {
    // Only into an empty list: a second click (or a stale page) adds nothing twice.
    if s.store.list_alert_rules(auth.user.org_id).await?.is_empty() {
        for spec in default_rules() {
            s.store.create_alert_rule(auth.actor(), &spec).await?;
        }
    }
    Ok(saved("defaults", "rules-h"))
}

fn parse_sla(f: &HashMap<String, String>) -> Result<SlaPolicy, DomainError> {
    let target = |p: Priority| -> Result<SlaTarget, DomainError> {
        let hours = |what: &str| {
            let name = format!("{}.{what}", p.as_str());
            text(f, &name)
                .parse::<u32>()
                .map_err(|_| DomainError::new(name, "must be a whole number of hours"))
        };
        Ok(SlaTarget {
            first_contact_hours: hours("first_contact_hours")?,
            resolution_hours: hours("resolution_hours")?,
        })
    };
    let policy = SlaPolicy {
        low: target(Priority::Low)?,
        normal: target(Priority::Normal)?,
        high: target(Priority::High)?,
        urgent: target(Priority::Urgent)?,
    };
    policy.validate()?;
    Ok(policy)
}

pub async fn save_sla(
    auth: Auth<Managers>,
    ctx: Ctx,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> ApiResult<Response> {
    let result = match parse_sla(&f) {
        Err(e) => Err(ApiError::from(e)),
        Ok(p) => s
            .store
            .set_sla_policy(auth.actor(), &p)
            .await
            .map_err(ApiError::from),
    };
    match result {
        Ok(()) => Ok(saved("sla", "sla")),
        Err(e) => refuse(&s, &ctx, &auth.user, "sla", e, f).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_fields_map_to_form_controls() {
        assert_eq!(control_of("conditions[1].value"), "c2_value");
        assert_eq!(control_of("conditions[0].min_anger"), "c1_value");
        assert_eq!(control_of("conditions[2]"), "c3_kind");
        assert_eq!(control_of("conditions"), "c1_kind");
        assert_eq!(control_of("name"), "name");
        assert_eq!(
            control_of("high.first_contact_hours"),
            "high.first_contact_hours"
        );
    }

    #[test]
    fn thresholds_are_parsed_and_checked_per_slot() {
        let c = parse_condition("gap_at_most", "\u{2212}2", "conditions[0]").unwrap();
        assert_eq!(c, Condition::GapAtMost { value: -2 });
        let c = parse_condition("negative_sentiment", "0,5", "conditions[1]").unwrap();
        assert_eq!(c, Condition::NegativeSentiment { min_anger: 0.5 });
        let e = Condition::NpsAtMost { value: 11 }
            .clone_validate("conditions[2]")
            .unwrap_err();
        assert_eq!(e.field, "conditions[2].value");
        let e = parse_condition("nps_at_most", "six", "conditions[0]").unwrap_err();
        assert_eq!(e.field, "conditions[0].value");
    }
}
