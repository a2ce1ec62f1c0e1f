//! "In the Zone": what an agent reads before a contact (the customer's journey, scores and
//! words, open promises, how the last conversation went, what to be careful with and a first
//! sentence in the customer's language), with a moment to prepare and a private mood check-in.

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use maud::{html, Markup};
use rapport_domain::frontline::check_mood;
use rapport_domain::model::User;
use rapport_domain::*;
use serde::Deserialize;

use super::super::layout::{csrf_input, page, ut};
use super::super::{CsrfForm, Ctx};
use super::*;
use crate::api::extract::{ApiPath, ApiQuery};
use crate::auth::{Auth, Frontline};
use crate::frontline as svc;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BriefQuery {
    /// Set after a check-in: `1` recorded, `0` already checked in today.
    checked: Option<String>,
}

pub async fn show(
    auth: Auth<Frontline>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<BriefQuery>,
) -> ApiResult<Markup> {
    render(
        &s,
        &ctx,
        &auth.user,
        CustomerId(id),
        q.checked.as_deref(),
        &Refused::default(),
    )
    .await
}

async fn render(
    s: &AppState,
    ctx: &Ctx,
    user: &User,
    id: CustomerId,
    checked: Option<&str>,
    r: &Refused,
) -> ApiResult<Markup> {
    let b = svc::brief(s, user.org_id, id).await?;
    let lead = is_lead(user);
    let verbatims: Vec<&svc::BriefMoment> = b
        .journey
        .iter()
        .filter(|m| m.kind == "response" && m.text.as_deref().is_some_and(|t| !t.trim().is_empty()))
        .take(5)
        .collect();
    let mood_sel = r.val("checkin", "mood").unwrap_or("");
    let title = ctx
        .tr
        .ta("fl-brief-title", &[("name", b.name.clone().into())]);
    let body = html! {
        section.card.prepare aria-labelledby="prep-h" {
            h2 #prep-h { (ctx.t("fl-prepare")) }
            p.lead { (ctx.t("fl-prepare-text")) }
            div.opening {
                h3 { (ctx.t("fl-opening")) }
                p.opening-line lang=(b.locale.as_str()) dir=(b.locale.dir()) { (ut(&b.opening_line)) }
                p.muted { (ctx.tr.ta("fl-opening-lang", &[("lang", b.locale.native_name().into())])) }
            }
        }
        div.grid2 {
            section.card aria-labelledby="now-h" {
                h2 #now-h { (ctx.t("fl-brief-now")) }
                dl.figs {
                    div { dt { (ctx.t("fl-recent-nps")) } dd { (fig(b.recent_nps, 1)) } }
                    @if let Some(c) = &b.last_conversation {
                        div { dt { (ctx.t("fl-last-conversation")) } dd {
                            a href=(format!("/conversations/{}", c.id.0)) { (when(ctx, c.started_at)) }
                            @if let Some(a) = &c.agent_name { " · " (ut(a)) }
                        } }
                        div { dt { (ctx.t("fl-trajectory")) } dd {
                            (from_to(ctx, c.customer_start.map(f64::from), c.customer_end.map(f64::from)))
                            " · " (ctx.t("fl-lowest")) " " (fig_signed(c.customer_lowest.map(f64::from)))
                            " · " (ctx.t("fl-lift")) " " (fig_signed(c.emotional_lift.map(f64::from)))
                        } }
                    }
                }
                h3 { (ctx.t("fl-careful")) }
                @if b.careful_topics.is_empty() {
                    p.muted { (ctx.t("fl-careful-none")) }
                } @else {
                    p { @for t in &b.careful_topics { span.tag.careful { span aria-hidden="true" { "⚠ " } (ut(&t.replace('_', " "))) } " " } }
                }
                h3 { (ctx.t("fl-open-cases")) }
                @if b.open_cases.is_empty() {
                    p.muted { (ctx.t("fl-open-cases-none")) }
                }
                ul.open-cases {
                    @for c in &b.open_cases {
                        li {
                            @if lead { a href=(format!("/cases/{}", c.id)) { (ut(&c.title)) } } @else { (ut(&c.title)) }
                            " · " (ctx.t(&format!("cases-state-{}", c.state)))
                            @if !c.promises.is_empty() {
                                ul.promises {
                                    @for p in &c.promises { li { strong { (ctx.t("fl-we-promised")) } " " q dir="auto" { (ut(p)) } } }
                                }
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="words-h" {
                h2 #words-h { (ctx.t("fl-their-words")) }
                @if verbatims.is_empty() { p.muted { (ctx.t("fl-their-words-none")) } }
                @for m in &verbatims {
                    figure.verbatim {
                        blockquote lang=(b.locale.as_str()) dir="auto" { (ut(m.text.as_deref().unwrap_or(""))) }
                        figcaption.muted {
                            (when(ctx, m.at))
                            @if let Some(n) = m.nps { " · NPS " bdi.num { (n) } }
                            @if let Some(c) = m.csat { " · CSAT " bdi.num { (c) } }
                        }
                    }
                }
            }
        }
        section.card #journey aria-labelledby="jr-h" {
            h2 #jr-h { (ctx.t("fl-journey")) }
            p.muted { (ctx.t("fl-journey-how")) }
            @if b.journey.is_empty() { p.muted { (ctx.t("fl-journey-none")) } }
            ol.journey-list {
                @for m in &b.journey {
                    li data-kind=(m.kind) {
                        strong { (ctx.t(&format!("fl-moment-{}", m.kind))) } " · "
                        @if m.kind == "conversation" || lead { a href=(m.link) { (when(ctx, m.at)) } } @else { (when(ctx, m.at)) }
                        @if let Some(t) = &m.touchpoint { " · " (ut(t)) }
                        @if let Some(n) = m.nps { " · NPS " bdi.num { (n) } }
                        @if let Some(c) = m.csat { " · CSAT " bdi.num { (c) } }
                        @if let Some(v) = m.sentiment { " · " (ctx.t("fl-sentiment")) " " bdi.num dir="ltr" { (signed(f64::from(v), 2)) } }
                        @if let Some(t) = &m.text { p dir="auto" { (ut(t)) } }
                    }
                }
            }
        }
        section.card #checkin aria-labelledby="ci-h" {
            h2 #ci-h { (ctx.t("fl-checkin")) }
            p.muted { (ctx.t("fl-checkin-how")) }
            @match checked {
                Some("1") => p.flash role="status" { (ctx.t("fl-checkin-thanks")) },
                Some("0") => p.flash role="status" { (ctx.t("fl-checkin-already")) },
                _ => {},
            }
            form.fl-form method="post" action=(format!("/customers/{}/checkin", id.0)) {
                (csrf_input(ctx))
                (error_box(ctx, r, "checkin"))
                fieldset.mood-scale {
                    legend { (ctx.t("fl-checkin-question")) }
                    @for n in 1..=5 {
                        div.field.check {
                            input type="radio" name="mood" id=(format!("mood-{n}")) value=(n) checked[mood_sel == n.to_string()] required;
                            label for=(format!("mood-{n}")) { bdi.num { (n) } " — " (ctx.t(&format!("fl-mood-{n}"))) }
                        }
                    }
                }
                button.primary type="submit" { (ctx.t("fl-checkin-submit")) }
            }
        }
    };
    Ok(page(ctx, &title, body))
}

pub async fn check_in(
    auth: Auth<Frontline>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let posted = Posted(f);
    let user = &auth.user;
    // The page it returns to is this customer's brief: an unknown one (or another
    // organisation's) is a 404 before anything is recorded.
    s.store
        .get_customer(user.org_id, rapport_domain::CustomerId(id))
        .await?;
    let result = async {
        let mood = posted
            .get("mood")
            .and_then(|m| m.parse::<i32>().ok())
            .ok_or_else(|| ApiError::invalid("mood", "choose how you feel, 1 to 5"))?;
        let mood = check_mood(mood)?;
        let team = user.team_id.ok_or_else(|| {
            ApiError::invalid(
                "team",
                "check-ins are reported per team; you are not in one",
            )
        })?;
        Ok(s.store
            .check_in(user.org_id, user.id, team, Utc::now().date_naive(), mood)
            .await?)
    }
    .await;
    match result {
        Ok(recorded) => Ok(see_other(&format!(
            "/customers/{id}/brief?checked={}#checkin",
            u8::from(recorded)
        ))),
        Err(err) => {
            let (field, message) = refusal(err)?;
            let r = Refused {
                form: "checkin",
                field,
                message,
                posted,
            };
            Ok(unprocessable(
                render(&s, &ctx, user, CustomerId(id), None, &r).await?,
            ))
        }
    }
}
