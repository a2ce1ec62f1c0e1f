//! Customer behaviour for leads: what the customers each team served did in the 90 days after
//! — retention, churn, buying again, referrals, complaints — beside what they said (NPS).

use std::collections::BTreeMap;

use axum::extract::State;
use chrono::Utc;
use maud::{html, Markup};
use rapport_domain::ambassadorship::BehaviourGroup;

use super::super::frontline::signed;
use super::super::layout::{page, ut};
use super::super::Ctx;
use super::{pct, tabs};
use crate::ambassadorship as svc;
use crate::api::ambassadorship::QuartersQuery;
use crate::api::extract::ApiQuery;
use crate::auth::{Auth, Leads};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const CHOICES: [usize; 4] = [4, 8, 12, 16];

fn how(ctx: &Ctx) -> Markup {
    html! {
        section.card #how aria-labelledby="how-h" {
            h2 #how-h { (ctx.t("amb-how-title")) }
            dl.how {
                div { dt { (ctx.t("amb-col-served")) } dd { (ctx.t("amb-how-served")) } }
                div { dt { (ctx.t("amb-how-window-h")) } dd { (ctx.tr.ta("amb-how-window", &[("days", svc::BEHAVIOUR_WINDOW_DAYS.into())])) } }
                div { dt { (ctx.t("amb-col-nps")) } dd { (ctx.t("amb-how-nps")) } }
            }
        }
    }
}

fn row(ctx: &Ctx, b: &BehaviourGroup) -> Markup {
    html! {
        tr data-team=(b.team_id.0) {
            th scope="row" { (ut(&b.team_name)) }
            td { bdi.num { (b.customers) } }
            td.index { strong { (pct(b.retention_90d)) } }
            td { (pct(b.churn_90d)) }
            td { (pct(b.repeat_purchase_90d)) }
            td { (pct(b.referral_90d)) }
            td { (pct(b.complaint_90d)) }
            td {
                @match b.nps {
                    Some(v) => { bdi.num dir="ltr" { (signed(v, 0)) } " " span.muted { (ctx.tr.ta("amb-answers", &[("n", b.nps_n.into())])) } }
                    None => span.muted { "—" },
                }
            }
        }
    }
}

pub async fn show(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<QuartersQuery>,
) -> ApiResult<Markup> {
    let n = q.quarters.unwrap_or(8);
    if !(1..=16).contains(&n) {
        return Err(ApiError::invalid("quarters", "must be between 1 and 16"));
    }
    let qs = svc::recent_quarters(Utc::now(), n);
    let groups = svc::behaviour(&s, auth.user.org_id, &qs).await?;
    let mut by_quarter: BTreeMap<&str, Vec<&BehaviourGroup>> = BTreeMap::new();
    for g in &groups {
        by_quarter.entry(g.period.as_str()).or_default().push(g);
    }
    for gs in by_quarter.values_mut() {
        gs.sort_by(|a, b| a.team_name.cmp(&b.team_name));
    }
    let body = html! {
        (tabs(&ctx, &auth.user))
        p.how { (ctx.t("amb-behaviour-intro")) " " a href="#how" { (ctx.t("amb-how-title")) } }
        form.search method="get" action="/behaviour" {
            label for="bh-quarters" { (ctx.t("amb-field-quarters")) }
            select #bh-quarters name="quarters" {
                @for c in CHOICES {
                    option value=(c) selected[c == n] { (ctx.tr.ta("amb-quarters-option", &[("n", (c as i64).into())])) }
                }
            }
            button type="submit" { (ctx.t("amb-show")) }
        }
        @if by_quarter.is_empty() {
            p.muted.empty { (ctx.t("amb-behaviour-none")) }
        }
        @for (q, gs) in by_quarter.iter().rev() {
            section.card.quarter id=(format!("q-{q}")) aria-labelledby=(format!("q-{q}-h")) {
                h2 id=(format!("q-{q}-h")) { bdi { (q) } }
                div.table-wrap {
                    table.behaviour {
                        thead { tr {
                            th scope="col" { (ctx.t("amb-col-team")) }
                            th scope="col" { (ctx.t("amb-col-served")) }
                            th scope="col" { (ctx.t("linkage-m-retention_90d")) }
                            th scope="col" { (ctx.t("amb-col-churn")) }
                            th scope="col" { (ctx.t("amb-col-repeat")) }
                            th scope="col" { (ctx.t("amb-col-referral")) }
                            th scope="col" { (ctx.t("amb-col-complaint")) }
                            th scope="col" { (ctx.t("amb-col-nps")) }
                        } }
                        tbody { @for g in gs { (row(&ctx, g)) } }
                    }
                }
            }
        }
        (how(&ctx))
    };
    Ok(page(&ctx, &ctx.t("amb-behaviour-title"), body))
}
