//! `/settings/webhooks`: outbound webhook endpoints with their delivery logs, and inbound
//! helpdesk sources, for administrators. Works without JavaScript: every change is a form post
//! with a CSRF token. Changes redirect; creating an endpoint or a source renders the page
//! directly (201) so its signing secret is shown once and is never put in a URL or a cookie.
//! A refused form re-renders with 422, the field named and what was typed kept.

use super::Routes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use rapport_domain::model::User;
use rapport_domain::values::is_bidi_control;
use rapport_domain::voc::Survey;
use rapport_domain::webhooks::{
    Delivery, DeliveryAttempt, DeliveryState, InboundMapping, InboundSource, Webhook, WebhookSpec,
    EVENTS,
};
use rapport_domain::*;
use serde::Deserialize;

use super::layout::{csrf_input, field, flash, num, page, ut};
use super::{CsrfForm, Ctx};
use crate::api::extract::ApiPath;
use crate::auth::{secrets, Admins, Auth};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub(super) fn router() -> Routes {
    Routes::new()
        .get("/settings/webhooks", show)
        .post("/settings/webhooks", create_webhook)
        .get("/settings/webhooks/{id}", deliveries)
        .post("/settings/webhooks/{id}/toggle", toggle_webhook)
        .post("/settings/webhooks/{id}/delete", delete_webhook)
        .post(
            "/settings/webhooks/{id}/deliveries/{delivery}/redeliver",
            redeliver,
        )
        .post("/settings/inbound-sources", create_source)
        .post("/settings/inbound-sources/{id}/delete", delete_source)
}

/// How many deliveries the log shows, newest first.
const LOG_LIMIT: i64 = 100;

/// Text that must read left to right whatever the page direction (URLs, ids, secrets, JSON
/// pointers): escaped by maud, bidi controls neutralised, isolated.
fn ltr(s: &str) -> Markup {
    let clean: String = s
        .chars()
        .map(|c| if is_bidi_control(c) { '\u{FFFD}' } else { c })
        .collect();
    html! { bdi dir="ltr" { (clean) } }
}

fn time(t: DateTime<Utc>) -> Markup {
    html! { bdi dir="ltr" { time datetime=(t.to_rfc3339()) { (t.format("%Y-%m-%d %H:%M UTC")) } } }
}

/// A translated message around a placeholder, split so markup can go in between.
fn split_arg(text: &str) -> (String, String) {
    match text.split_once('\u{1}') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (text.to_string(), String::new()),
    }
}

// ---- what was typed, and what was refused ----

#[derive(Default)]
struct Refused {
    form: &'static str,
    field: String,
    message: String,
    values: Vec<(String, String)>,
}

impl Refused {
    fn value(&self, form: &str, name: &str) -> Option<&str> {
        if self.form != form {
            return None;
        }
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn has(&self, form: &str, name: &str, value: &str) -> bool {
        self.form == form && self.values.iter().any(|(k, v)| k == name && v == value)
    }

    fn invalid(&self, form: &str, name: &str) -> (Option<&'static str>, Option<String>) {
        if self.form == form && control_of(&self.field) == name {
            (Some("true"), Some(format!("{form}-error")))
        } else {
            (None, None)
        }
    }
}

/// The form control a domain field is reported against.
fn control_of(field: &str) -> &str {
    if field.starts_with("events") {
        "events"
    } else {
        field
    }
}

fn error_box(ctx: &Ctx, r: &Refused, form: &str) -> Markup {
    html! {
        @if r.form == form {
            div.error role="alert" id=(format!("{form}-error")) {
                p { strong { (ctx.t("wh-err-title")) } }
                @let (before, after) = split_arg(&ctx.tr.ta("wh-err-field", &[("field", "\u{1}".into())]));
                p { (before) code lang="en" dir="ltr" { (r.field) } (after) }
                @if !r.message.is_empty() { p.detail lang="en" dir="ltr" { (r.message) } }
            }
        }
    }
}

/// A secret just created, shown this once.
struct Created {
    what: &'static str,
    secret: String,
    path: Option<String>,
}

// ---- the settings page ----

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
    state: Option<String>,
}

async fn render(
    s: &AppState,
    ctx: &Ctx,
    user: &User,
    saved: Option<&str>,
    r: &Refused,
    created: Option<&Created>,
) -> ApiResult<Markup> {
    let org = user.org_id;
    let hooks = s.store.list_webhooks(org).await?;
    let sources = s.store.list_inbound_sources(org).await?;
    let surveys = s.store.list_surveys(org, None).await?;
    let saved_text = saved.and_then(|k| match k {
        "toggle" => Some(ctx.t("wh-saved-toggle")),
        "deleted" => Some(ctx.t("wh-saved-deleted")),
        "source-deleted" => Some(ctx.t("wh-saved-source-deleted")),
        _ => None,
    });
    let body = html! {
        (flash(saved_text.as_deref()))
        @if let Some(c) = created { (secret_box(ctx, c)) }
        p.how { (ctx.t("wh-intro")) }
        section.card aria-labelledby="hooks-h" {
            h2 #hooks-h { (ctx.t("wh-endpoints")) }
            @if hooks.is_empty() {
                p.muted.empty { (ctx.t("wh-none")) }
            } @else {
                table.hooks {
                    caption.visually-hidden { (ctx.t("wh-endpoints")) }
                    thead { tr {
                        th scope="col" { (ctx.t("wh-col-url")) }
                        th scope="col" { (ctx.t("wh-col-description")) }
                        th scope="col" { (ctx.t("wh-col-events")) }
                        th scope="col" { (ctx.t("wh-col-active")) }
                        th scope="col" { (ctx.t("wh-col-manage")) }
                    } }
                    tbody { @for h in &hooks { (hook_row(ctx, h)) } }
                }
            }
        }
        (hook_form(ctx, r))
        section.card aria-labelledby="sources-h" #sources {
            h2 #sources-h { (ctx.t("wh-sources")) }
            p.muted { (ctx.t("wh-sources-intro")) }
            @if sources.is_empty() {
                p.muted.empty { (ctx.t("wh-sources-none")) }
            } @else {
                table.sources {
                    caption.visually-hidden { (ctx.t("wh-sources")) }
                    thead { tr {
                        th scope="col" { (ctx.t("wh-col-name")) }
                        th scope="col" { (ctx.t("wh-col-path")) }
                        th scope="col" { (ctx.t("wh-col-survey")) }
                        th scope="col" { (ctx.t("wh-col-manage")) }
                    } }
                    tbody { @for src in &sources { (source_row(ctx, src, &surveys)) } }
                }
            }
        }
        (source_form(ctx, r, &surveys))
    };
    Ok(page(ctx, &ctx.t("wh-title"), body))
}

fn secret_box(ctx: &Ctx, c: &Created) -> Markup {
    html! {
        section.card.secret role="status" aria-labelledby="secret-h" {
            h2 #secret-h { (ctx.t(c.what)) }
            @if let Some(p) = &c.path {
                p { (ctx.t("wh-secret-path")) " " code #new-path { (ltr(p)) } }
            }
            p { (ctx.t("wh-secret-label")) " " code #new-secret { (ltr(&c.secret)) } }
            p.warning { strong { (ctx.t("wh-secret-once")) } }
        }
    }
}

fn events_text(ctx: &Ctx, spec: &WebhookSpec) -> Markup {
    html! {
        @if spec.events.iter().any(|e| e == "*") {
            (ctx.t("wh-events-all"))
        } @else {
            ul.events { @for e in &spec.events { li { code { (ltr(e)) } } } }
        }
    }
}

fn hook_row(ctx: &Ctx, h: &Webhook) -> Markup {
    let base = format!("/settings/webhooks/{}", h.id.0);
    let spec = &h.spec;
    html! {
        tr data-webhook=(h.id.0) class=(if spec.active { "hook" } else { "hook off" }) {
            th scope="row" { a href=(base) { (ltr(&spec.url)) } }
            td { @if !spec.description.is_empty() { (ut(&spec.description)) } }
            td { (events_text(ctx, spec)) }
            td { (ctx.t(if spec.active { "wh-on" } else { "wh-off" })) }
            td.manage {
                a href=(base) { (ctx.t("wh-view-deliveries")) }
                " "
                form.inline method="post" action=(format!("{base}/toggle")) {
                    (csrf_input(ctx))
                    button type="submit" { (ctx.t(if spec.active { "wh-disable" } else { "wh-enable" })) }
                }
                " "
                form.inline method="post" action=(format!("{base}/delete")) {
                    (csrf_input(ctx))
                    button.danger type="submit" { (ctx.t("wh-delete")) }
                }
            }
        }
    }
}

fn hook_form(ctx: &Ctx, r: &Refused) -> Markup {
    let v = |name: &str| r.value("hook", name);
    let fresh = r.form != "hook";
    html! {
        section.card aria-labelledby="add-h" {
            h2 #add-h { (ctx.t("wh-add")) }
            form.hook-form method="post" action="/settings/webhooks" novalidate {
                (csrf_input(ctx))
                (error_box(ctx, r, "hook"))
                @let (inv, desc) = r.invalid("hook", "url");
                (field("hook-url", &ctx.t("wh-url"), html! {
                    input #hook-url type="url" name="url" dir="ltr" value=(v("url").unwrap_or("")) maxlength="2000" required placeholder="https://" aria-invalid=[inv] aria-describedby=[desc];
                }))
                @let (inv, desc) = r.invalid("hook", "description");
                (field("hook-description", &ctx.t("wh-description"), html! {
                    input #hook-description name="description" value=(v("description").unwrap_or("")) maxlength="200" aria-invalid=[inv] aria-describedby=[desc];
                }))
                @let (inv, desc) = r.invalid("hook", "events");
                fieldset.events aria-invalid=[inv] aria-describedby=[desc] {
                    legend { (ctx.t("wh-events")) }
                    div.field.check {
                        input #hook-ev-all type="checkbox" name="events" value="*" checked[fresh || r.has("hook", "events", "*")];
                        label for="hook-ev-all" { (ctx.t("wh-events-all")) }
                    }
                    @for (i, e) in EVENTS.iter().enumerate() {
                        div.field.check {
                            input id=(format!("hook-ev-{i}")) type="checkbox" name="events" value=(e) checked[r.has("hook", "events", e)];
                            label for=(format!("hook-ev-{i}")) { code { (ltr(e)) } " " (ctx.t(&format!("wh-event-{}", e.replace('.', "-")))) }
                        }
                    }
                }
                button.primary type="submit" { (ctx.t("wh-add-submit")) }
            }
        }
    }
}

fn survey_name(surveys: &[Survey], id: i64) -> Markup {
    match surveys.iter().find(|s| s.id.0 == id) {
        Some(s) => ut(&s.name),
        None => html! { bdi { "#" (id) } },
    }
}

fn source_row(ctx: &Ctx, src: &InboundSource, surveys: &[Survey]) -> Markup {
    html! {
        tr data-source=(src.id) {
            th scope="row" { (ut(&src.name)) }
            td { code { (ltr(&format!("/api/v1/inbound/{}", src.public_id))) } }
            td { (survey_name(surveys, src.mapping.survey_id)) }
            td.manage {
                form.inline method="post" action=(format!("/settings/inbound-sources/{}/delete", src.id)) {
                    (csrf_input(ctx))
                    button.danger type="submit" { (ctx.t("wh-source-delete")) }
                }
            }
        }
    }
}

/// The mapping fields of the inbound form: (name, label id, default, required).
const POINTERS: [(&str, &str, &str, bool); 6] = [
    ("event_pointer", "wh-event-pointer", "/type", true),
    ("ticket_pointer", "wh-ticket-pointer", "/ticket/id", true),
    (
        "customer_pointer",
        "wh-customer-pointer",
        "/ticket/requester/id",
        true,
    ),
    ("email_pointer", "wh-email-pointer", "", false),
    ("name_pointer", "wh-name-pointer", "", false),
    ("locale_pointer", "wh-locale-pointer", "", false),
];

fn source_form(ctx: &Ctx, r: &Refused, surveys: &[Survey]) -> Markup {
    let v = |name: &str| r.value("source", name);
    let fresh = r.form != "source";
    let survey_sel = v("survey_id").unwrap_or("");
    html! {
        section.card aria-labelledby="add-source-h" {
            h2 #add-source-h { (ctx.t("wh-source-add")) }
            @if surveys.is_empty() {
                p.muted { (ctx.t("wh-source-no-surveys")) }
            } @else {
                form.source-form method="post" action="/settings/inbound-sources" novalidate {
                    (csrf_input(ctx))
                    (error_box(ctx, r, "source"))
                    @let (inv, desc) = r.invalid("source", "name");
                    (field("src-name", &ctx.t("wh-source-name"), html! {
                        input #src-name name="name" value=(v("name").unwrap_or("")) maxlength="200" required aria-invalid=[inv] aria-describedby=[desc];
                    }))
                    @let (inv, desc) = r.invalid("source", "survey_id");
                    (field("src-survey", &ctx.t("wh-source-survey"), html! {
                        select #src-survey name="survey_id" aria-invalid=[inv] aria-describedby=[desc] {
                            @for sv in surveys {
                                @let id = sv.id.0.to_string();
                                option value=(id) selected[survey_sel == id] { (sv.name) }
                            }
                        }
                    }))
                    p.muted #pointer-help { (ctx.t("wh-pointer-help")) }
                    @for (name, label, default, required) in POINTERS {
                        @let (inv, desc) = r.invalid("source", name);
                        @let id = format!("src-{name}");
                        @let value = v(name).unwrap_or(if fresh { default } else { "" });
                        (field(&id, &ctx.t(label), html! {
                            input id=(id) name=(name) dir="ltr" value=(value) maxlength="200" required[required] aria-invalid=[inv] aria-describedby=[desc.or(Some("pointer-help".into()))];
                        }))
                    }
                    @let (inv, desc) = r.invalid("source", "trigger_values");
                    (field("src-triggers", &ctx.t("wh-trigger-values"), html! {
                        input #src-triggers name="trigger_values" dir="ltr" value=(v("trigger_values").unwrap_or(if fresh { "ticket.solved" } else { "" })) maxlength="500" aria-invalid=[inv] aria-describedby=[desc];
                    }))
                    div.field.check {
                        input #src-consent type="checkbox" name="new_customers_consent_to_email" value="1" checked[v("new_customers_consent_to_email").is_some()];
                        label for="src-consent" { (ctx.t("wh-consent")) }
                    }
                    button.primary type="submit" { (ctx.t("wh-source-submit")) }
                }
            }
        }
    }
}

pub async fn show(
    auth: Auth<Admins>,
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
        None,
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
    values: Vec<(String, String)>,
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
    let markup = render(s, ctx, user, None, &r, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, markup).into_response())
}

type FormPairs = Vec<(String, String)>;

fn text<'a>(f: &'a FormPairs, name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn parse_hook(f: &FormPairs) -> Result<WebhookSpec, DomainError> {
    let mut events: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "events")
        .map(|(_, v)| v.trim().to_string())
        .collect();
    if events.iter().any(|e| e == "*") {
        events = vec!["*".into()];
    }
    let spec = WebhookSpec {
        url: text(f, "url").to_string(),
        description: text(f, "description").to_string(),
        events,
        active: true,
    };
    spec.validate()?;
    Ok(spec)
}

pub async fn create_webhook(
    auth: Auth<Admins>,
    ctx: Ctx,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<FormPairs>,
) -> ApiResult<Response> {
    let spec = match parse_hook(&f) {
        Ok(spec) => spec,
        Err(e) => return refuse(&s, &ctx, &auth.user, "hook", e.into(), f).await,
    };
    let secret = format!("whsec_{}", secrets::random_hex(32));
    if let Err(e) = s.store.create_webhook(auth.actor(), &spec, &secret).await {
        return refuse(&s, &ctx, &auth.user, "hook", e.into(), f).await;
    }
    let created = Created {
        what: "wh-created-hook",
        secret,
        path: None,
    };
    let markup = render(
        &s,
        &ctx,
        &auth.user,
        None,
        &Refused::default(),
        Some(&created),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        markup,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn toggle_webhook(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> ApiResult<Response> {
    let hook = s.store.get_webhook(auth.user.org_id, WebhookId(id)).await?;
    let spec = WebhookSpec {
        active: !hook.spec.active,
        ..hook.spec
    };
    s.store.update_webhook(auth.actor(), hook.id, &spec).await?;
    Ok(Redirect::to("/settings/webhooks?saved=toggle#hooks-h").into_response())
}

pub async fn delete_webhook(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> ApiResult<Response> {
    let hook = s.store.get_webhook(auth.user.org_id, WebhookId(id)).await?;
    s.store.delete_webhook(auth.actor(), hook.id).await?;
    Ok(Redirect::to("/settings/webhooks?saved=deleted#hooks-h").into_response())
}

fn parse_source(f: &FormPairs, surveys: &[Survey]) -> Result<(Name, InboundMapping), DomainError> {
    let name = Name::parse("name", text(f, "name"))?;
    let survey_id = text(f, "survey_id")
        .parse::<i64>()
        .ok()
        .filter(|id| surveys.iter().any(|s| s.id.0 == *id))
        .ok_or_else(|| DomainError::new("survey_id", "choose one of your surveys"))?;
    let optional = |name: &str| Some(text(f, name).to_string()).filter(|v| !v.is_empty());
    let mapping = InboundMapping {
        event_pointer: text(f, "event_pointer").to_string(),
        trigger_values: text(f, "trigger_values")
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect(),
        ticket_pointer: text(f, "ticket_pointer").to_string(),
        customer_pointer: text(f, "customer_pointer").to_string(),
        email_pointer: optional("email_pointer"),
        name_pointer: optional("name_pointer"),
        locale_pointer: optional("locale_pointer"),
        survey_id,
        new_customers_consent_to_email: f
            .iter()
            .any(|(k, _)| k == "new_customers_consent_to_email"),
    };
    mapping.validate()?;
    Ok((name, mapping))
}

pub async fn create_source(
    auth: Auth<Admins>,
    ctx: Ctx,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<FormPairs>,
) -> ApiResult<Response> {
    let surveys = s.store.list_surveys(auth.user.org_id, None).await?;
    let (name, mapping) = match parse_source(&f, &surveys) {
        Ok(x) => x,
        Err(e) => return refuse(&s, &ctx, &auth.user, "source", e.into(), f).await,
    };
    let public_id = secrets::random_hex(16);
    let secret = format!("whsec_{}", secrets::random_hex(32));
    if let Err(e) = s
        .store
        .create_inbound_source(auth.actor(), name.as_str(), &public_id, &secret, &mapping)
        .await
    {
        return refuse(&s, &ctx, &auth.user, "source", e.into(), f).await;
    }
    let created = Created {
        what: "wh-created-source",
        secret,
        path: Some(format!("/api/v1/inbound/{public_id}")),
    };
    let markup = render(
        &s,
        &ctx,
        &auth.user,
        None,
        &Refused::default(),
        Some(&created),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        markup,
    )
        .into_response())
}

pub async fn delete_source(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> ApiResult<Response> {
    s.store.delete_inbound_source(auth.actor(), id).await?;
    Ok(Redirect::to("/settings/webhooks?saved=source-deleted#sources-h").into_response())
}

// ---- one endpoint's deliveries ----

fn state_name(ctx: &Ctx, st: DeliveryState) -> String {
    ctx.t(&format!("wh-state-{}", st.as_str()))
}

/// Dead, or still pending after a failed attempt.
fn failed(d: &Delivery) -> bool {
    d.state == DeliveryState::Dead
        || (d.state == DeliveryState::Pending
            && (d.last_error.is_some() || d.last_status.is_some_and(|c| !(200..300).contains(&c))))
}

fn status_cell(ctx: &Ctx, status: Option<i32>, error: Option<&str>) -> Markup {
    html! {
        @if let Some(c) = status { (num(c.into())) }
        @if let Some(e) = error { " " span.error-text lang="en" dir="ltr" { (ltr(e)) } }
        @if status.is_none() && error.is_none() { span.muted { (ctx.t("wh-none-yet")) } }
    }
}

fn attempt_log(ctx: &Ctx, attempts: &[DeliveryAttempt]) -> Markup {
    html! {
        @if attempts.is_empty() {
            p.muted { (ctx.t("wh-no-attempts")) }
        } @else {
            details {
                summary { (ctx.tr.ta("wh-attempt-log", &[("count", (attempts.len() as i64).into())])) }
                ol.attempts {
                    @for a in attempts {
                        li { (time(a.at)) " · " (status_cell(ctx, a.status, a.error.as_deref())) " · " (ctx.tr.ta("wh-duration", &[("ms", a.duration_ms.into())])) }
                    }
                }
            }
        }
    }
}

pub async fn deliveries(
    auth: Auth<Admins>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    Query(q): Query<SavedQuery>,
) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let hook = s.store.get_webhook(org, WebhookId(id)).await?;
    let state = match q.state.as_deref() {
        None | Some("") => None,
        Some(v) => Some(DeliveryState::parse("state", v)?),
    };
    let list = s
        .store
        .list_deliveries(org, hook.id, state, LOG_LIMIT)
        .await?;
    let mut logs = Vec::with_capacity(list.len());
    for d in &list {
        logs.push(s.store.delivery_attempts(org, d.id).await?);
    }
    let base = format!("/settings/webhooks/{}", hook.id.0);
    let saved = (q.saved.as_deref() == Some("redelivered")).then(|| ctx.t("wh-saved-redelivered"));
    let filters = [
        (None, ctx.t("wh-state-all")),
        (
            Some(DeliveryState::Pending),
            state_name(&ctx, DeliveryState::Pending),
        ),
        (
            Some(DeliveryState::Delivered),
            state_name(&ctx, DeliveryState::Delivered),
        ),
        (
            Some(DeliveryState::Dead),
            state_name(&ctx, DeliveryState::Dead),
        ),
    ];
    let body = html! {
        (flash(saved.as_deref()))
        p { a href="/settings/webhooks" { (ctx.t("wh-back")) } }
        dl.card.hook-summary {
            dt { (ctx.t("wh-col-url")) } dd { (ltr(&hook.spec.url)) }
            @if !hook.spec.description.is_empty() {
                dt { (ctx.t("wh-col-description")) } dd { (ut(&hook.spec.description)) }
            }
            dt { (ctx.t("wh-col-events")) } dd { (events_text(&ctx, &hook.spec)) }
            dt { (ctx.t("wh-col-active")) } dd { (ctx.t(if hook.spec.active { "wh-on" } else { "wh-off" })) }
        }
        nav.state-filter aria-label=(ctx.t("wh-filter")) {
            ul {
                @for (st, label) in &filters {
                    @let href = match st { Some(st) => format!("{base}?state={}", st.as_str()), None => base.clone() };
                    li { a href=(href) aria-current=[(*st == state).then_some("page")] { (label) } }
                }
            }
        }
        section.card aria-labelledby="deliveries-h" {
            h2 #deliveries-h { (ctx.t("wh-deliveries")) }
            @if list.is_empty() {
                p.muted.empty { (ctx.t("wh-no-deliveries")) }
            } @else {
                table.deliveries {
                    caption.visually-hidden { (ctx.t("wh-deliveries")) }
                    thead { tr {
                        th scope="col" { (ctx.t("wh-col-event")) }
                        th scope="col" { (ctx.t("wh-col-delivery-id")) }
                        th scope="col" { (ctx.t("wh-col-state")) }
                        th scope="col" { (ctx.t("wh-col-attempts")) }
                        th scope="col" { (ctx.t("wh-col-last")) }
                        th scope="col" { (ctx.t("wh-col-times")) }
                        th scope="col" { (ctx.t("wh-col-manage")) }
                    } }
                    tbody {
                        @for (d, attempts) in list.iter().zip(&logs) {
                            tr data-delivery=(d.id) class=(format!("delivery {}", d.state.as_str())) {
                                th scope="row" { code { (ltr(&d.event)) } }
                                td { code { (ltr(&d.delivery_id)) } }
                                td { span class=(format!("state state-{}", d.state.as_str())) { (state_name(&ctx, d.state)) } }
                                td { (num(d.attempts.into())) }
                                td { (status_cell(&ctx, d.last_status, d.last_error.as_deref())) }
                                td {
                                    dl.times {
                                        dt { (ctx.t("wh-created-at")) } dd { (time(d.created_at)) }
                                        @if let Some(t) = d.delivered_at {
                                            dt { (ctx.t("wh-delivered-at")) } dd { (time(t)) }
                                        } @else {
                                            dt { (ctx.t("wh-give-up-at")) } dd { (time(d.give_up_at)) }
                                        }
                                    }
                                    (attempt_log(&ctx, attempts))
                                }
                                td.manage {
                                    @if failed(d) {
                                        form.inline method="post" action=(format!("{base}/deliveries/{}/redeliver", d.id)) {
                                            (csrf_input(&ctx))
                                            button type="submit" { (ctx.t("wh-redeliver")) }
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
    Ok(page(&ctx, &ctx.t("wh-deliveries-title"), body))
}

pub async fn redeliver(
    auth: Auth<Admins>,
    State(s): State<AppState>,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> ApiResult<Response> {
    let org = auth.user.org_id;
    let hook = s.store.get_webhook(org, WebhookId(id)).await?;
    let found = s.store.delivery_to_send(delivery).await?;
    if found.org_id != org || found.delivery.webhook_id != hook.id {
        return Err(ApiError::NotFound("delivery"));
    }
    s.store
        .redeliver(auth.actor(), delivery, Utc::now())
        .await?;
    crate::jobs::notify_worker(&s);
    Ok(Redirect::to(&format!(
        "/settings/webhooks/{}?saved=redelivered#deliveries-h",
        hook.id.0
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> FormPairs {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn all_events_wins_over_single_ones() {
        let spec = parse_hook(&pairs(&[
            ("url", " https://example.org/h "),
            ("events", "case.created"),
            ("events", "*"),
        ]))
        .unwrap();
        assert_eq!(spec.events, vec!["*".to_string()]);
        assert_eq!(spec.url, "https://example.org/h");
        let e = parse_hook(&pairs(&[("url", "https://x")])).unwrap_err();
        assert_eq!(control_of(&e.field), "events");
    }
}
