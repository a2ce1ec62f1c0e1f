//! Pulses for managers: the list with a form to draft one (the default question set), and one
//! pulse with its questions in the reader's language and the buttons to open and close it.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::{html, Markup};
use rapport_domain::ambassadorship::{default_pulse, PulseDefinition, PulseKind};
use rapport_domain::model::User;
use rapport_storage::Pulse;
use serde::Deserialize;

use super::super::layout::{csrf_input, field, flash, page, ut};
use super::super::{CsrfForm, Ctx};
use super::{error_box, tabs, Problem};
use crate::ambassadorship as svc;
use crate::api::extract::{ApiPath, ApiQuery};
use crate::auth::{Auth, Managers};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct NewPulseForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    period: String,
}

/// The title and quarter of a new pulse, checked as the API checks them.
fn parse_new(f: &NewPulseForm) -> Result<(String, String), ApiError> {
    let title = f.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ApiError::invalid("title", "1 to 200 characters"));
    }
    let period = match f.period.trim() {
        "" => svc::quarter(Utc::now()),
        p => {
            svc::quarter_bounds(p)
                .ok_or_else(|| ApiError::invalid("period", "must look like 2026-Q3"))?;
            p.to_string()
        }
    };
    Ok((title.to_string(), period))
}

fn status_label(ctx: &Ctx, status: &str) -> Markup {
    let key = match status {
        "open" => "amb-status-open",
        "closed" => "amb-status-closed",
        _ => "amb-status-draft",
    };
    html! { span class=(format!("status status-{status}")) { (ctx.t(key)) } }
}

fn list_page(
    ctx: &Ctx,
    user: &User,
    pulses: &[Pulse],
    form: &NewPulseForm,
    problem: Option<&Problem>,
) -> Markup {
    let none = Problem::default();
    let p = problem.unwrap_or(&none);
    let current = svc::quarter(Utc::now());
    let period = if form.period.is_empty() && problem.is_none() {
        current.clone()
    } else {
        form.period.clone()
    };
    let body = html! {
        (tabs(ctx, user))
        p.how { (ctx.t("amb-pulses-intro")) }
        section.card #pulses aria-labelledby="pl-h" {
            h2 #pl-h { (ctx.t("amb-pulses-list")) }
            @if pulses.is_empty() {
                p.muted.empty { (ctx.t("amb-pulses-none")) }
            } @else {
                div.table-wrap {
                    table.pulses {
                        thead { tr {
                            th scope="col" { (ctx.t("amb-col-title")) }
                            th scope="col" { (ctx.t("amb-col-quarter")) }
                            th scope="col" { (ctx.t("amb-col-status")) }
                            th scope="col" { (ctx.t("amb-col-invited")) }
                            th scope="col" { (ctx.t("amb-col-answered")) }
                        } }
                        tbody {
                            @for pl in pulses {
                                tr data-pulse=(pl.id) {
                                    th scope="row" { a href=(format!("/pulses/{}", pl.id)) { (ut(&pl.title)) } }
                                    td { bdi { (pl.period) } }
                                    td { (status_label(ctx, &pl.status)) }
                                    td { bdi.num { (pl.invited) } }
                                    td { bdi.num { (pl.answered) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card #new aria-labelledby="np-h" {
            h2 #np-h { (ctx.t("amb-new-pulse")) }
            p.muted { (ctx.t("amb-new-pulse-help")) }
            form.amb-form method="post" action="/pulses" aria-labelledby="np-h" {
                (csrf_input(ctx))
                (error_box(ctx, problem))
                @let (inv, desc) = p.aria("title");
                (field("np-title", &ctx.t("amb-field-title"), html! {
                    input #np-title name="title" required maxlength="200" value=(form.title)
                        aria-invalid=[inv] aria-describedby=[desc];
                }))
                @let (inv, desc) = p.aria("period");
                (field("np-period", &ctx.t("amb-field-quarter"), html! {
                    input #np-period name="period" required pattern="[0-9]{4}-Q[1-4]" dir="ltr" value=(period)
                        aria-invalid=[inv] aria-describedby=(desc.unwrap_or("np-period-help"));
                }))
                p.muted #np-period-help { (ctx.tr.ta("amb-field-quarter-help", &[("quarter", current.into())])) }
                button.primary type="submit" { (ctx.t("amb-create")) }
            }
        }
    };
    page(ctx, &ctx.t("amb-pulses-title"), body)
}

pub async fn list(auth: Auth<Managers>, ctx: Ctx, State(s): State<AppState>) -> ApiResult<Markup> {
    let pulses = s.store.list_pulses(auth.user.org_id).await?;
    Ok(list_page(
        &ctx,
        &auth.user,
        &pulses,
        &NewPulseForm::default(),
        None,
    ))
}

pub async fn create(
    auth: Auth<Managers>,
    ctx: Ctx,
    State(s): State<AppState>,
    CsrfForm(form): CsrfForm<NewPulseForm>,
) -> ApiResult<Response> {
    let created = match parse_new(&form) {
        Ok((title, period)) => s
            .store
            .create_pulse(auth.actor(), &title, &period, &default_pulse())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match created {
        Ok(p) => Ok(Redirect::to(&format!("/pulses/{}", p.id)).into_response()),
        Err(e) => {
            let problem = Problem::from_error(e)?;
            let pulses = s.store.list_pulses(auth.user.org_id).await?;
            Ok(super::super::frontline::unprocessable(list_page(
                &ctx,
                &auth.user,
                &pulses,
                &form,
                Some(&problem),
            )))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    invited: Option<usize>,
    closed: Option<u8>,
}

fn scale(ctx: &Ctx, kind: PulseKind) -> String {
    match kind {
        PulseKind::Enps => ctx.t("amb-scale-enps"),
        PulseKind::Agree7 => ctx.t("amb-scale-agree"),
    }
}

pub async fn show(
    auth: Auth<Managers>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(done): ApiQuery<Done>,
) -> ApiResult<Markup> {
    let p = s.store.get_pulse(auth.user.org_id, id).await?;
    let locale = ctx.locale();
    let message = match (done.invited, done.closed) {
        (Some(n), _) => Some(ctx.tr.ta("amb-invited-flash", &[("n", (n as i64).into())])),
        (None, Some(_)) => Some(ctx.t("amb-closed-flash")),
        _ => None,
    };
    let body = html! {
        (tabs(&ctx, &auth.user))
        p { a href="/pulses" { (ctx.t("amb-back-pulses")) } }
        (flash(message.as_deref()))
        section.card #pulse aria-labelledby="pu-h" {
            h2 #pu-h { (ut(&p.title)) }
            dl.figs {
                div { dt { (ctx.t("amb-col-quarter")) } dd { bdi { (p.period) } } }
                div { dt { (ctx.t("amb-col-status")) } dd { (status_label(&ctx, &p.status)) } }
                div { dt { (ctx.t("amb-col-invited")) } dd { bdi.num { (p.invited) } } }
                div { dt { (ctx.t("amb-col-answered")) } dd { bdi.num { (p.answered) } } }
            }
            div.amb-actions {
                form method="post" action=(format!("/pulses/{}/open", p.id)) {
                    (csrf_input(&ctx))
                    button.primary type="submit" {
                        (ctx.t(match p.status.as_str() {
                            "open" => "amb-open-again",
                            "closed" => "amb-reopen",
                            _ => "amb-open",
                        }))
                    }
                }
                @if p.status == "open" {
                    form method="post" action=(format!("/pulses/{}/close", p.id)) {
                        (csrf_input(&ctx))
                        button.danger type="submit" { (ctx.t("amb-close")) }
                    }
                }
            }
            @if p.answered > 0 {
                p { a href=(format!("/pulse-results#q-{}", p.period)) { (ctx.t("amb-see-results")) } }
            }
            p.muted { (ctx.t("amb-open-help")) }
            @if p.status == "open" { p.muted { (ctx.t("amb-close-help")) } }
        }
        section.card #questions aria-labelledby="qs-h" {
            h2 #qs-h { (ctx.t("amb-pulse-questions")) }
            ol.amb-questions {
                @for q in &p.definition.questions {
                    li data-key=(q.key) {
                        p.q { (PulseDefinition::text(q, locale)) }
                        p.muted {
                            (scale(&ctx, q.kind)) " · "
                            @match q.dimension {
                                Some(d) => (ctx.tr.ta("amb-feeds", &[("index", ctx.t(&format!("amb-dim-{}", d.as_str())).into())])),
                                None => (ctx.t("amb-feeds-enps")),
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&ctx, &ctx.t("amb-pulse-title"), body))
}

pub async fn open(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    s.store.set_pulse_status(auth.actor(), id, "open").await?;
    let n = svc::invite_all(&s, auth.actor(), id).await?;
    Ok(Redirect::to(&format!("/pulses/{id}?invited={n}")).into_response())
}

pub async fn close(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    s.store.set_pulse_status(auth.actor(), id, "closed").await?;
    Ok(Redirect::to(&format!("/pulses/{id}?closed=1")).into_response())
}
