//! The anonymous employee pulse, answered from a personal link (`/pulse/{token}`): no sign-in,
//! no JavaScript, in the employee's language, right to left in Hebrew. The link admits one
//! answer and is then deleted, so nothing joins the answer to the person.

use std::collections::BTreeMap;

use super::Routes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use rapport_domain::ambassadorship::{PulseDefinition, PulseKind};
use rapport_domain::Locale;

use super::layout::{csrf_input, page};
use super::{CsrfForm, Ctx};
use crate::auth::secrets;
use crate::error::ApiResult;
use crate::i18n::Tr;
use crate::state::AppState;

pub(super) fn router() -> Routes {
    Routes::new()
        .get("/pulse/{token}", show)
        .post("/pulse/{token}", submit)
}

fn tr(s: &AppState, locale: Locale) -> Tr {
    Tr {
        i18n: s.i18n.clone(),
        locale,
    }
}

/// The page in the employee's own language, whatever the browser's session says.
fn localised(ctx: Ctx, s: &AppState, locale: Locale) -> Ctx {
    Ctx {
        tr: tr(s, locale),
        ..ctx
    }
}

fn gone(ctx: &Ctx) -> Response {
    (
        StatusCode::GONE,
        page(
            ctx,
            &ctx.t("pulse-title"),
            html! { p { (ctx.t("pulse-gone")) } },
        ),
    )
        .into_response()
}

fn form(
    ctx: &Ctx,
    token: &str,
    title: &str,
    def: &PulseDefinition,
    answers: &BTreeMap<String, i32>,
    error: Option<(&str, &str)>,
) -> Markup {
    let locale = ctx.locale();
    html! {
        p.lead { (ctx.t("pulse-intro")) }
        p.muted { (ctx.t("pulse-anonymity")) }
        @if let Some((field, message)) = error {
            p.error role="alert" { (ctx.t("pulse-fix")) " " span lang="en" dir="ltr" { (field) ": " (message) } }
        }
        form method="post" action=(format!("/pulse/{token}")) {
            (csrf_input(ctx))
            h2 { (super::ut(title)) }
            @for q in &def.questions {
                @let (lo, hi) = match q.kind { PulseKind::Enps => (0, 10), PulseKind::Agree7 => (1, 7) };
                @let name = format!("a.{}", q.key);
                fieldset.question.invalid[error.is_some_and(|(f, _)| f == q.key)] id=(format!("q-{}", q.key)) {
                    legend { (PulseDefinition::text(q, locale)) }
                    div.scale {
                        @for n in lo..=hi {
                            @let id = format!("{}-{n}", q.key);
                            label.opt for=(id) {
                                input type="radio" id=(id) name=(name) value=(n) required checked[answers.get(&q.key) == Some(&n)];
                                span { bdi { (n) } }
                            }
                        }
                    }
                    div.scale-ends {
                        @match q.kind {
                            PulseKind::Enps => {
                                span.low { (ctx.t("pulse-enps-low")) }
                                span.high { (ctx.t("pulse-enps-high")) }
                            }
                            PulseKind::Agree7 => {
                                span.low { (ctx.t("pulse-agree-low")) }
                                span.high { (ctx.t("pulse-agree-high")) }
                            }
                        }
                    }
                }
            }
            button type="submit" { (ctx.t("pulse-submit")) }
        }
    }
}

async fn show(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> ApiResult<Response> {
    let Some(ticket) = s.store.pulse_ticket(&secrets::sha256_hex(&token)).await? else {
        return Ok(gone(&ctx));
    };
    let ctx = localised(ctx, &s, ticket.locale);
    if ticket.pulse.status != "open" {
        return Ok(gone(&ctx));
    }
    let body = form(
        &ctx,
        &token,
        &ticket.pulse.title,
        &ticket.pulse.definition,
        &BTreeMap::new(),
        None,
    );
    Ok(page(&ctx, &ctx.t("pulse-title"), body).into_response())
}

async fn submit(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let hash = secrets::sha256_hex(&token);
    let Some(ticket) = s.store.pulse_ticket(&hash).await? else {
        return Ok(gone(&ctx));
    };
    let ctx = localised(ctx, &s, ticket.locale);
    let mut answers = BTreeMap::new();
    let mut bad: Option<String> = None;
    for (k, v) in &fields {
        if let Some(key) = k.strip_prefix("a.") {
            match v.trim().parse::<i32>() {
                Ok(n) => {
                    answers.insert(key.to_string(), n);
                }
                Err(_) => bad = Some(key.to_string()),
            }
        }
    }
    let def = &ticket.pulse.definition;
    let scored = match bad {
        Some(key) => Err(rapport_domain::DomainError::new(key, "must be a number")),
        None => def.score(&answers),
    };
    let scores = match scored {
        Ok(scores) => scores,
        Err(e) => {
            let body = form(
                &ctx,
                &token,
                &ticket.pulse.title,
                def,
                &answers,
                Some((&e.field, &e.reason)),
            );
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&ctx, &ctx.t("pulse-title"), body),
            )
                .into_response());
        }
    };
    if !s.store.submit_pulse(&hash, &scores).await? {
        return Ok(gone(&ctx));
    }
    Ok(page(
        &ctx,
        &ctx.t("pulse-title"),
        html! { p role="status" { (ctx.t("pulse-thanks")) } },
    )
    .into_response())
}
