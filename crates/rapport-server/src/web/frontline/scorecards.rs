//! Scorecards: the emotional-labour index and its five components side by side with
//! efficiency (never one in place of the other), a trend per agent, and how every number is made.

use axum::extract::State;
use maud::{html, Markup};
use rapport_domain::frontline::*;

use super::super::charts::{self, SeriesPoint, TableHeads};
use super::super::layout::page;
use super::super::Ctx;
use super::*;
use crate::auth::{Auth, Frontline};
use crate::frontline as svc;

/// The five components in the order the page shows them, with their values.
fn components(c: &LabourComponents) -> [(&'static str, Option<f64>); 5] {
    [
        ("lift", c.lift),
        ("empathy", c.empathy),
        ("ownership", c.ownership),
        ("calm_under_anger", c.calm_under_anger),
        ("praise", c.praise),
    ]
}

const MONTHS: i64 = 6;

fn card(ctx: &Ctx, sc: &Scorecard) -> Markup {
    let rtl = ctx.locale().dir() == "rtl";
    let points: Vec<SeriesPoint> = sc
        .periods
        .iter()
        .map(|p| {
            let v = p.emotional_labour_index;
            SeriesPoint {
                label: p.period.clone(),
                value: v,
                low: v.unwrap_or(0.0),
                high: v.unwrap_or(0.0),
                text: match v {
                    Some(v) => format!("{v:.0}"),
                    None => "—".into(),
                },
                href: None,
            }
        })
        .collect();
    let heads = TableHeads {
        label: &ctx.t("fl-month"),
        value: &ctx.t("fl-index"),
    };
    let trend_title = ctx
        .tr
        .ta("fl-trend-title", &[("name", sc.agent_name.clone().into())]);
    html! {
        section.card.scorecard aria-labelledby=(format!("sc-{}", sc.agent_id.0)) data-agent=(sc.agent_id.0) {
            h2 id=(format!("sc-{}", sc.agent_id.0)) { (ut_name(&sc.agent_name)) }
            @if !sc.improved.is_empty() {
                p.improved {
                    @for k in &sc.improved {
                        span.badge.improved { span aria-hidden="true" { "★ " } (ctx.tr.ta("fl-improved", &[("what", label(ctx, "fl-comp", k).into())])) } " "
                    }
                }
            }
            div.table-wrap {
                table.scorecard-table {
                    caption { (ctx.t("fl-scorecard-caption")) }
                    colgroup { col; }
                    colgroup.eff span="2" {}
                    colgroup.labour span="6" {}
                    thead {
                        tr {
                            td {}
                            th scope="colgroup" colspan="2" { (ctx.t("fl-efficiency")) }
                            th scope="colgroup" colspan="6" { (ctx.t("fl-emotional-labour")) }
                        }
                        tr {
                            th scope="col" { (ctx.t("fl-month")) }
                            th scope="col" { (ctx.t("fl-conversations")) }
                            th scope="col" { (ctx.t("fl-mean-handle")) }
                            th scope="col" { (ctx.t("fl-index")) }
                            @for (k, _) in components(&LabourComponents::default()) {
                                th scope="col" { (label(ctx, "fl-comp", k)) }
                            }
                        }
                    }
                    tbody {
                        @for p in &sc.periods {
                            tr {
                                th scope="row" { bdi { (p.period) } }
                                td { bdi.num { (p.conversations) } }
                                td { @match p.handle_seconds { Some(h) => bdi.num { (duration(h)) }, None => span.muted { "—" } } }
                                td.index { strong { (fig(p.emotional_labour_index, 0)) } }
                                @for (_, v) in components(&p.components) {
                                    td { (fig(v, 0)) }
                                }
                            }
                        }
                    }
                }
            }
            @if sc.periods.len() > 1 {
                (charts::line_with_band(&trend_title, &ctx.t("fl-chart-table"), &heads, &points, (0.0, 100.0), rtl))
            }
        }
    }
}

fn ut_name(n: &str) -> Markup {
    super::super::ut(n)
}

/// "How these numbers are made", from the definitions in `LabourComponents`.
pub(crate) fn how(ctx: &Ctx) -> Markup {
    html! {
        section.card #how aria-labelledby="how-h" {
            h2 #how-h { (ctx.t("fl-how-title")) }
            p { (ctx.t("fl-how-intro")) }
            dl.how {
                @for k in ["lift", "empathy", "ownership", "calm_under_anger", "praise"] {
                    div {
                        dt { (label(ctx, "fl-comp", k)) }
                        dd { (ctx.t(&format!("fl-how-{}", k.replace('_', "-")))) }
                    }
                }
                div { dt { (ctx.t("fl-index")) } dd { (ctx.t("fl-how-index")) } }
                div { dt { (ctx.t("fl-efficiency")) } dd { (ctx.t("fl-how-efficiency")) } }
                div { dt { (ctx.t("fl-improved-badge")) } dd { (ctx.t("fl-how-improved")) } }
            }
        }
    }
}

pub async fn show(auth: Auth<Frontline>, ctx: Ctx, State(s): State<AppState>) -> ApiResult<Markup> {
    let cards = svc::scorecards_for(&s, &auth.user, None, None, MONTHS).await?;
    let body = html! {
        p.how { (ctx.t("fl-scorecards-intro")) }
        p { a href="#how" { (ctx.t("fl-how-title")) } }
        @if cards.is_empty() {
            p.muted.empty { (ctx.t("fl-scorecards-none")) }
        }
        @for sc in &cards { (card(&ctx, sc)) }
        (how(&ctx))
    };
    Ok(page(&ctx, &ctx.t("fl-scorecards-title"), body))
}
