//! Pulse results for everyone: eNPS and the ambassadorship index with its three sub-indices per
//! team and quarter and for the organisation. A hidden group shows words, never a number —
//! not even how many answered — and the page says how every figure is made.

use std::collections::BTreeMap;

use axum::extract::State;
use maud::{html, Markup};
use rapport_domain::ambassadorship::PulseGroup;
use rapport_domain::anonymity::effective_min;

use super::super::charts::{self, SeriesPoint, TableHeads};
use super::super::frontline::signed;
use super::super::layout::{page, ut};
use super::super::Ctx;
use super::tabs;
use crate::ambassadorship as svc;
use crate::auth::{Auth, Members};
use crate::error::ApiResult;
use crate::state::AppState;

fn score(v: Option<f64>) -> Markup {
    match v {
        Some(v) => html! { bdi.num dir="ltr" { (format!("{v:.0}")) } },
        None => html! { span.muted { "—" } },
    }
}

fn enps(v: Option<f64>) -> Markup {
    match v {
        Some(v) => html! { bdi.num dir="ltr" { (signed(v, 0)) } },
        None => html! { span.muted { "—" } },
    }
}

fn row(ctx: &Ctx, g: &PulseGroup, min: i64) -> Markup {
    let name = if g.team_id.is_none() {
        html! { (ctx.t("amb-org-row")) }
    } else {
        ut(&g.team_name)
    };
    html! {
        tr class=[g.suppressed.then_some("suppressed")] data-team=(g.team_id.map(|t| t.0.to_string()).unwrap_or_else(|| "org".into())) {
            th scope="row" { (name) }
            @if g.suppressed {
                td.hidden-group colspan="6" { (ctx.tr.ta("amb-hidden", &[("n", min.into())])) }
            } @else {
                td { @match g.n { Some(n) => bdi.num { (n) }, None => span.muted { "—" } } }
                td { (enps(g.enps)) }
                td.index { strong { (score(g.ambassadorship)) } }
                td { (score(g.company)) }
                td { (score(g.value_proposition)) }
                td { (score(g.customer)) }
            }
        }
    }
}

/// How the figures are made, and the anonymity rule.
fn how(ctx: &Ctx, min: i64) -> Markup {
    html! {
        section.card #how aria-labelledby="how-h" {
            h2 #how-h { (ctx.t("amb-how-title")) }
            dl.how {
                div { dt { (ctx.t("amb-col-enps")) } dd { (ctx.t("amb-how-enps")) } }
                div { dt { (ctx.t("amb-how-sub-h")) } dd { (ctx.t("amb-how-sub")) } }
                div { dt { (ctx.t("amb-col-index")) } dd { (ctx.t("amb-how-index")) } }
                div { dt { (ctx.t("amb-how-anon-h")) } dd { (ctx.tr.ta("amb-how-anon", &[("n", min.into())])) } }
            }
        }
    }
}

pub async fn show(auth: Auth<Members>, ctx: Ctx, State(s): State<AppState>) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let min = effective_min(s.store.min_group_size(org).await?);
    let groups = svc::pulse_groups(&s, org).await?;
    let mut by_quarter: BTreeMap<&str, Vec<&PulseGroup>> = BTreeMap::new();
    for g in &groups {
        by_quarter.entry(g.period.as_str()).or_default().push(g);
    }
    for gs in by_quarter.values_mut() {
        // Teams by name, the organisation last.
        gs.sort_by(|a, b| {
            (a.team_id.is_none(), &a.team_name).cmp(&(b.team_id.is_none(), &b.team_name))
        });
    }
    let org_rows: Vec<&PulseGroup> = by_quarter
        .values()
        .filter_map(|gs| gs.iter().find(|g| g.team_id.is_none()).copied())
        .collect();
    let latest = org_rows.last().filter(|g| !g.suppressed);
    let rtl = ctx.locale().dir() == "rtl";
    let points: Vec<SeriesPoint> = org_rows
        .iter()
        .map(|g| SeriesPoint {
            label: g.period.clone(),
            value: g.ambassadorship,
            low: g.ambassadorship.unwrap_or(0.0),
            high: g.ambassadorship.unwrap_or(0.0),
            text: g
                .ambassadorship
                .map(|v| format!("{v:.0}"))
                .unwrap_or_else(|| "—".into()),
            href: Some(format!("#q-{}", g.period)),
        })
        .collect();
    let heads = TableHeads {
        label: &ctx.t("amb-col-quarter"),
        value: &ctx.t("amb-col-index"),
    };
    let body = html! {
        (tabs(&ctx, &auth.user))
        p.how { (ctx.t("amb-results-intro")) " " a href="#how" { (ctx.t("amb-how-title")) } }
        @if let Some(g) = latest {
            ul.stats.amb-headline aria-label=(ctx.tr.ta("amb-latest", &[("quarter", g.period.clone().into())])) {
                li { span.big { (score(g.ambassadorship)) } (ctx.t("amb-col-index")) " · " bdi { (g.period) } }
                li { span.big { (enps(g.enps)) } (ctx.t("amb-col-enps")) }
                li { span.big { @match g.n { Some(n) => bdi.num { (n) }, None => "—" } } (ctx.t("amb-col-n")) }
            }
        }
        @if points.iter().filter(|p| p.value.is_some()).count() > 1 {
            (charts::line_with_band(&ctx.t("amb-trend-title"), &ctx.t("amb-chart-table"), &heads, &points, (0.0, 100.0), rtl))
        }
        @if by_quarter.is_empty() {
            p.muted.empty { (ctx.t("amb-results-none")) }
        }
        @for (q, gs) in by_quarter.iter().rev() {
            section.card.quarter id=(format!("q-{q}")) aria-labelledby=(format!("q-{q}-h")) {
                h2 id=(format!("q-{q}-h")) { bdi { (q) } }
                div.table-wrap {
                    table.results {
                        thead { tr {
                            th scope="col" { (ctx.t("amb-col-team")) }
                            th scope="col" { (ctx.t("amb-col-n")) }
                            th scope="col" { (ctx.t("amb-col-enps")) }
                            th scope="col" { (ctx.t("amb-col-index")) }
                            th scope="col" { (ctx.t("amb-col-company")) }
                            th scope="col" { (ctx.t("amb-col-value")) }
                            th scope="col" { (ctx.t("amb-col-customer")) }
                        } }
                        tbody {
                            @for g in gs { (row(&ctx, g, min)) }
                        }
                    }
                }
            }
        }
        (how(&ctx, min))
    };
    Ok(page(&ctx, &ctx.t("amb-results-title"), body))
}
