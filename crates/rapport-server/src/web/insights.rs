//! Insight pages: the headline NPS with its trend and breakdowns, the journey map with metrics
//! and promise gaps, and the drill-down from any figure to the responses and the one customer.
//!
//! Every figure comes from [`metrics::report`], the same code that answers `GET /api/v1/metrics`,
//! and links to `/responses` with the filters behind it (for those allowed to read verbatims).

use std::collections::{BTreeMap, HashMap};

use super::Routes;
use axum::extract::State;
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use rapport_domain::insights::{self, Driver, Weakness};
use rapport_domain::model::*;
use rapport_domain::role::Access;
use rapport_domain::survey::Answer;
use rapport_domain::voc::*;
use rapport_domain::*;
use serde::Deserialize;

use super::charts::{self, Bar, SeriesPoint, TableHeads};
use super::layout::{page, ut};
use super::Ctx;
use crate::api::extract::{ApiPath, ApiQuery};
use crate::api::metrics::{self, filter_query, MetricGroup, MetricsQuery, MetricsRequest};
use crate::auth::{Auth, Leads, Members};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub(super) fn router() -> Routes {
    Routes::new()
        .get("/insights", overview)
        .get("/insights/journeys/{id}", journey_map)
        .get("/responses", responses)
        .get("/responses/{id}", response)
        .get("/customers/{id}", customer)
}

/// Fewer answers than this and a touchpoint is neither ranked weakest nor a driver: one or two
/// unhappy customers should prompt reading, not a red flag.
const MIN_N: u64 = 5;
/// Periods shown in the trend: a year of weeks or of months.
const TREND_WEEKS: usize = 53;
const TREND_MONTHS: usize = 13;
const PAGE_SIZE: i64 = 50;

// ---- formatting ----

/// A whole number with a real minus sign (U+2212), which reads correctly in RTL text.
fn signed0(x: f64) -> String {
    let r = x.round();
    if r < 0.0 {
        format!("\u{2212}{}", -r as i64)
    } else {
        format!("{}", r as i64)
    }
}

/// One or two decimals, with a decimal comma in Greek.
fn dec(x: f64, digits: usize, locale: Locale) -> String {
    let s = format!("{:.*}", digits, x.abs());
    let s = if locale == Locale::El {
        s.replace('.', ",")
    } else {
        s
    };
    let zero = s.chars().all(|c| matches!(c, '0' | '.' | ','));
    if x < 0.0 && !zero {
        format!("\u{2212}{s}")
    } else {
        s
    }
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// The web drill-down for an API `responses_url`: same parameters, `/responses` page.
fn web_url(api_url: &Option<String>) -> Option<String> {
    api_url
        .as_deref()
        .map(|u| u.trim_start_matches("/api/v1").to_string())
}

/// A figure: a link to the responses behind it for those who may read them, else plain.
fn fig(href: Option<&str>, id: &str, text: String) -> Markup {
    match href {
        Some(h) => html! { a.fig href=(h) data-figure=(id) { bdi { (text) } } },
        None => html! { span.fig data-figure=(id) { bdi { (text) } } },
    }
}

struct View<'a> {
    ctx: &'a Ctx,
    drill: bool,
}

impl View<'_> {
    fn href(&self, g: &MetricGroup) -> Option<String> {
        if self.drill {
            web_url(&g.figures.responses_url)
        } else {
            None
        }
    }

    fn filter_href(&self, f: &ResponseFilter) -> Option<String> {
        self.drill
            .then(|| format!("/responses?{}", filter_query(f)))
    }

    fn nps_text(&self, g: &MetricGroup) -> Option<(String, String)> {
        let n = g.figures.nps.as_ref()?;
        Some((signed0(n.score?), signed0(n.margin?)))
    }

    /// `NPS ± margin` and `n`, each a link.
    fn nps(&self, g: &MetricGroup, id: &str) -> Markup {
        let href = self.href(g);
        html! {
            @if let Some((score, margin)) = self.nps_text(g) {
                // "27 ± 6" is a formula: kept left to right inside Hebrew text too.
                bdi.nps dir="ltr" {
                    (fig(href.as_deref(), &format!("nps-{id}"), score))
                    " ± " bdi.margin { (margin) }
                }
            } @else {
                span.muted { "—" }
            }
        }
    }

    /// `n = 812`, the count linked, kept left to right like the NPS.
    fn n(&self, g: &MetricGroup, id: &str) -> Markup {
        let count = fig(
            self.href(g).as_deref(),
            &format!("n-{id}"),
            g.figures.n.to_string(),
        );
        html! { bdi dir="ltr" { "n = " (count) } }
    }

    /// CSAT %, CES, gap and sentiment as a small definition list.
    fn secondary(&self, g: &MetricGroup, id: &str) -> Markup {
        let l = self.ctx.locale();
        let href = self.href(g);
        let f = &g.figures;
        let rows: Vec<(&str, &str, Option<String>)> = vec![
            (
                "ins-csat",
                "csat",
                f.csat
                    .as_ref()
                    .and_then(|c| c.value)
                    .map(|v| format!("{}%", signed0(v))),
            ),
            (
                "ins-ces",
                "ces",
                f.ces.as_ref().and_then(|c| c.value).map(|v| dec(v, 1, l)),
            ),
            (
                "ins-gap",
                "gap",
                f.gap.as_ref().and_then(|c| c.value).map(|v| dec(v, 1, l)),
            ),
            (
                "ins-sentiment",
                "sentiment",
                f.sentiment
                    .as_ref()
                    .and_then(|c| c.value)
                    .map(|v| dec(v, 2, l)),
            ),
        ];
        html! {
            dl.figs {
                @for (label, key, value) in rows {
                    div {
                        dt { (self.ctx.t(label)) }
                        dd {
                            @match value {
                                Some(v) => (fig(href.as_deref(), &format!("{key}-{id}"), v)),
                                None => span.muted { "—" },
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Names for ids, so breakdowns read as stages and teams rather than numbers.
#[derive(Default)]
struct Names {
    stages: HashMap<String, String>,
    touchpoints: HashMap<String, String>,
    teams: HashMap<String, String>,
    journeys: Vec<Journey>,
}

impl Names {
    async fn load(s: &AppState, org: OrgId) -> ApiResult<Names> {
        let mut names = Names {
            journeys: s.store.list_journeys(org).await?,
            ..Default::default()
        };
        for j in &names.journeys {
            let map = s.store.get_journey(org, j.id).await?;
            for st in map.stages {
                names
                    .stages
                    .insert(st.stage.id.0.to_string(), st.stage.name.clone());
                for tp in st.touchpoints {
                    names.touchpoints.insert(tp.id.0.to_string(), tp.name);
                }
            }
        }
        for t in s.store.list_teams(org).await? {
            names.teams.insert(t.id.0.to_string(), t.name);
        }
        Ok(names)
    }

    fn label(&self, ctx: &Ctx, by: GroupBy, key: &str) -> String {
        let found = match by {
            GroupBy::Stage => self.stages.get(key).cloned(),
            GroupBy::Touchpoint => self.touchpoints.get(key).cloned(),
            GroupBy::Team if key.is_empty() => Some(ctx.t("ins-no-team")),
            GroupBy::Team => self.teams.get(key).cloned(),
            GroupBy::Channel => Some(ctx.t(&format!("channel-{key}"))),
            GroupBy::Locale => Locale::parse("locale", key)
                .ok()
                .map(|l| l.native_name().to_string()),
            _ => None,
        };
        found.unwrap_or_else(|| key.to_string())
    }
}

fn request(
    q: &MetricsQuery,
    user: &User,
    group_by: GroupBy,
    period: Option<GroupBy>,
) -> Result<MetricsRequest, ApiError> {
    let mut req = q.parse(user)?;
    req.group_by = group_by;
    req.period = period;
    Ok(req)
}

fn nps_bars(v: &View, names: &Names, by: GroupBy, groups: &[MetricGroup]) -> Vec<Bar> {
    groups
        .iter()
        .filter_map(|g| {
            let n = g.figures.nps.as_ref()?;
            let (score, margin) = (n.score?, n.margin?);
            Some(Bar {
                label: names.label(v.ctx, by, &g.key),
                value: score,
                interval: Some(((score - margin).max(-100.0), (score + margin).min(100.0))),
                text: format!("{} ± {} (n = {})", signed0(score), signed0(margin), n.n),
                href: v.href(g),
            })
        })
        .collect()
}

fn drivers_table(
    v: &View,
    title: &str,
    key_head: &str,
    rows: &[(String, Option<String>, &Driver)],
) -> Markup {
    let ctx = v.ctx;
    html! {
        div.driver-list {
            h3 { (title) }
            @if rows.is_empty() {
                p.muted { (ctx.t("ins-no-drivers")) }
            } @else {
                table.drivers {
                    thead { tr {
                        th scope="col" { (key_head) }
                        th scope="col" { (ctx.t("ins-col-n")) }
                        th scope="col" { (ctx.t("ins-col-with")) }
                        th scope="col" { (ctx.t("ins-col-without")) }
                        th scope="col" { (ctx.t("ins-col-impact")) }
                    } }
                    tbody {
                        @for (label, href, d) in rows {
                            tr.neg[d.impact < 0.0] {
                                th scope="row" { (ut(label)) }
                                td { (fig(href.as_deref(), &format!("driver-n-{label}"), d.n.to_string())) " · " bdi { (signed0(d.share * 100.0)) "%" } }
                                td { bdi { (signed0(d.nps_with)) } }
                                td { bdi { (signed0(d.nps_without)) } }
                                td.impact { bdi { @if d.impact > 0.0 { "+" } (dec(d.impact, 1, ctx.locale())) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TrendQuery {
    /// `week` (default) or `month`.
    pub period: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// An optional time window for the journey map.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// `/insights`: the one number, its trend, the breakdowns and what drives it.
pub async fn overview(
    auth: Auth<Members>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiQuery(tq): ApiQuery<TrendQuery>,
) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let (period, keep) = match tq.period.as_deref() {
        None | Some("") | Some("week") => (GroupBy::Week, TREND_WEEKS),
        Some("month") => (GroupBy::Month, TREND_MONTHS),
        Some(_) => return Err(ApiError::invalid("period", "must be week or month")),
    };
    let q = MetricsQuery {
        from: tq.from,
        to: tq.to,
        ..Default::default()
    };
    // The period switch keeps the chosen window.
    let window = filter_query(&ResponseFilter {
        from: tq.from,
        to: tq.to,
        ..Default::default()
    });
    let period_href = |p: &str| {
        if window.is_empty() {
            format!("/insights?period={p}")
        } else {
            format!("/insights?period={p}&{window}")
        }
    };
    let v = View {
        ctx: &ctx,
        drill: Access::Leads.allows(auth.user.role),
    };
    let names = Names::load(&s, org).await?;
    let store = s.store.as_ref();
    let head = metrics::report(
        store,
        org,
        &request(&q, &auth.user, GroupBy::None, Some(period))?,
    )
    .await?;
    let o = &head.overall;
    let rtl = ctx.locale().dir() == "rtl";
    let series = o.series.clone().unwrap_or_default();
    let recent = &series[series.len().saturating_sub(keep)..];
    let points: Vec<SeriesPoint> = recent
        .iter()
        .map(|p| {
            let nps = p.figures.nps.as_ref();
            let score = nps.and_then(|n| n.score);
            let margin = nps.and_then(|n| n.margin).unwrap_or(0.0);
            SeriesPoint {
                label: p.period.clone(),
                value: score,
                low: score.map_or(0.0, |s| (s - margin).max(-100.0)),
                high: score.map_or(0.0, |s| (s + margin).min(100.0)),
                text: match score {
                    Some(sc) => format!(
                        "{} ± {} (n = {})",
                        signed0(sc),
                        signed0(margin),
                        nps.map_or(0, |n| n.n)
                    ),
                    None => "—".into(),
                },
                href: v.drill.then(|| web_url(&p.figures.responses_url)).flatten(),
            }
        })
        .collect();
    let heads = TableHeads {
        label: &ctx.t("ins-period"),
        value: &ctx.t("ins-nps"),
    };
    let trend_title = ctx.t(if period == GroupBy::Week {
        "ins-trend-week"
    } else {
        "ins-trend-month"
    });
    let mut breakdowns = vec![];
    for (by, title) in [
        (GroupBy::Stage, "ins-by-stage"),
        (GroupBy::Channel, "ins-by-channel"),
        (GroupBy::Team, "ins-by-team"),
        (GroupBy::Locale, "ins-by-locale"),
    ] {
        let r = metrics::report(store, org, &request(&q, &auth.user, by, None)?).await?;
        breakdowns.push((ctx.t(title), nps_bars(&v, &names, by, &r.groups)));
    }
    let base = q.parse(&auth.user)?.filter;
    let topic_sums = s.store.topic_sums(org, &base, GroupBy::None).await?;
    let topic_drivers = insights::topic_drivers_from_sums(&topic_sums, MIN_N);
    let tp_sums = s
        .store
        .response_sums(org, &base, GroupBy::Touchpoint)
        .await?;
    let tp_drivers = insights::group_drivers(&tp_sums, MIN_N);
    let topic_table: Vec<(String, Option<String>, &Driver)> = topic_drivers
        .iter()
        .take(10)
        .map(|d| {
            let f = ResponseFilter {
                topic: Some(d.key.clone()),
                ..base.clone()
            };
            (d.key.clone(), v.filter_href(&f), d)
        })
        .collect();
    let tp_table: Vec<(String, Option<String>, &Driver)> = tp_drivers
        .iter()
        .take(10)
        .map(|d| {
            let f = metrics::narrow(&base, GroupBy::Touchpoint, &d.key);
            (
                names.label(&ctx, GroupBy::Touchpoint, &d.key),
                f.as_ref().and_then(|f| v.filter_href(f)),
                d,
            )
        })
        .collect();
    let significant = o.nps_change_significant.flatten();
    let closed_loop = if Access::Managers.allows(auth.user.role) {
        Some(closed_loop_panel(&s, &ctx, org, tq.from, tq.to, &names).await?)
    } else {
        None
    };
    let body = html! {
        @if auth.user.role == Role::Agent {
            p.note { (ctx.t("ins-own-data")) }
        }
        section.headline aria-labelledby="h-nps" {
            h2 #h-nps { (ctx.t("ins-nps")) }
            @if o.figures.n == 0 {
                p { (ctx.t("ins-no-data")) }
            } @else {
                p.big { (v.nps(o, "all")) }
                p { (v.n(o, "all")) }
                p.muted.how { (ctx.t("ins-nps-how")) }
                (v.secondary(o, "all"))
            }
        }
        section aria-labelledby="h-trend" {
            h2 #h-trend { (trend_title) }
            nav.period aria-label=(ctx.t("ins-period")) {
                a href=(period_href("week")) aria-current=[(period == GroupBy::Week).then_some("page")] { (ctx.t("ins-weekly")) }
                " · "
                a href=(period_href("month")) aria-current=[(period == GroupBy::Month).then_some("page")] { (ctx.t("ins-monthly")) }
            }
            @if points.is_empty() {
                p.muted { (ctx.t("ins-no-data")) }
            } @else {
                (charts::line_with_band(&trend_title, &ctx.t("ins-chart-table"), &heads, &points, (-100.0, 100.0), rtl))
                @match significant {
                    Some(true) => p.signal role="status" { (ctx.t("ins-trend-significant")) },
                    Some(false) => p.muted { (ctx.t("ins-trend-noise")) },
                    None => {},
                }
            }
        }
        @if let Some(panel) = closed_loop { (panel) }
        section aria-labelledby="h-journeys" {
            h2 #h-journeys { (ctx.t("ins-journeys")) }
            ul.cards {
                @for j in &names.journeys {
                    li.card lang=(j.locale.as_str()) dir=(j.locale.dir()) {
                        a href=(format!("/insights/journeys/{}", j.id)) { (ut(&j.name)) }
                    }
                }
            }
        }
        section aria-labelledby="h-breakdown" {
            h2 #h-breakdown { (ctx.t("ins-breakdown")) }
            div.breakdowns {
                @for (title, bars) in &breakdowns {
                    @if !bars.is_empty() {
                        div.breakdown {
                            h3 { (title) }
                            (charts::bars(title, &ctx.t("ins-chart-table"), &TableHeads { label: title, value: &ctx.t("ins-nps") }, bars, (-100.0, 100.0), rtl))
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-drivers" {
            h2 #h-drivers { (ctx.t("ins-drivers")) }
            p.muted.how { (ctx.tr.ta("ins-drivers-how", &[("min", (MIN_N as i64).into())])) }
            div.drivers-grid {
                (drivers_table(&v, &ctx.t("ins-drivers-topics"), &ctx.t("ins-col-topic"), &topic_table))
                (drivers_table(&v, &ctx.t("ins-drivers-touchpoints"), &ctx.t("ins-col-touchpoint"), &tp_table))
            }
        }
    };
    Ok(page(&ctx, &ctx.t("ins-title"), body))
}

/// A message around `{ $n }` (passed as U+0001), the count isolated as `n = 12`.
fn with_n(text: &str, n: i64) -> Markup {
    match text.split_once('\u{1}') {
        Some((a, b)) => html! { (a) bdi.n dir="ltr" { "n = " (n) } (b) },
        None => html! { (text) },
    }
}

/// A share as a whole percentage, `—` when there is nothing to divide.
fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |v| format!("{}%", signed0(v * 100.0)))
}

/// The closed-loop panel for managers: how quickly and how well customers who told us
/// something went wrong were answered. Figures come from `rapport_domain::cases::case_metrics`,
/// the code behind `GET /api/v1/cases/metrics`.
async fn closed_loop_panel(
    s: &AppState,
    ctx: &Ctx,
    org: OrgId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    names: &Names,
) -> ApiResult<Markup> {
    use rapport_domain::cases::{
        case_metrics, root_causes_ranked, Case, CaseFilter, REPEAT_WINDOW_DAYS,
    };
    let now = Utc::now();
    let l = ctx.locale();
    // Repeat issues look back 90 days before the period, so read those cases too.
    let filter = CaseFilter {
        opened_from: from.map(|f| f - chrono::Duration::days(REPEAT_WINDOW_DAYS)),
        opened_to: to,
        limit: 10_000,
        ..Default::default()
    };
    let (all, _) = s.store.list_cases(org, &filter).await?;
    let in_period = |c: &Case| from.is_none_or(|f| c.created_at >= f);
    const LOOK_BACK: &str = "\u{0}";
    let overall = case_metrics(&all, now, |c| {
        if in_period(c) { "all" } else { LOOK_BACK }.to_string()
    })
    .into_iter()
    .find(|g| g.key == "all");
    let by_team = case_metrics(&all, now, |c| {
        if in_period(c) {
            c.team_id.map(|t| t.0.to_string()).unwrap_or_default()
        } else {
            LOOK_BACK.to_string()
        }
    });
    let period: Vec<Case> = all.into_iter().filter(|c| in_period(c)).collect();
    let detractors_followed = period
        .iter()
        .filter(|c| c.original_nps.is_some_and(|o| o <= 6) && c.followup_nps.is_some())
        .count() as i64;
    let roots = root_causes_ranked(&period);
    // "Now" figures count every case as it stands, so they match the inbox they link to.
    let count = |f: CaseFilter| CaseFilter { limit: 1, ..f };
    let open_now = s
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
    let breached_now = s
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
    let hours = |h: Option<f64>| h.map_or_else(|| "—".to_string(), |h| dec(h, 1, l));
    let stat = |id: &str, value: String, label: String, href: Option<&str>| {
        html! {
            li data-stat=(id) {
                @match href {
                    Some(h) => a href=(h) { span.big { bdi { (value) } } " " (label) },
                    None => { span.big { bdi { (value) } } " " (label) },
                }
            }
        }
    };
    Ok(html! {
        section.closed-loop aria-labelledby="h-closed-loop" {
            h2 #h-closed-loop { (ctx.t("cl-title")) }
            @match &overall {
                None => p.muted { (ctx.t("cl-none")) },
                Some(m) => {
                    div.headline {
                        @if m.recovery_rate.is_some() && detractors_followed > 0 {
                            p.big data-figure="recovery" { bdi { (pct(m.recovery_rate)) } " " (ctx.t("cl-lead")) }
                            p data-figure="recovery-n" { (with_n(&ctx.tr.ta("cl-lead-n", &[("n", "\u{1}".into())]), detractors_followed)) }
                        } @else {
                            p.muted data-figure="recovery" { (ctx.t("cl-no-followups")) }
                        }
                    }
                    ul.stats.closed-loop-stats {
                        (stat("opened", m.cases.to_string(), ctx.t("cl-opened"), None))
                        (stat("open-now", open_now.to_string(), ctx.t("cl-open-now"), Some("/cases")))
                        (stat("breached-now", breached_now.to_string(), ctx.t("cl-breached-now"), Some("/cases?breached=1")))
                        (stat("median-contact", hours(m.median_hours_to_first_contact), ctx.t("cl-median-contact"), None))
                        (stat("sla", pct(m.sla_attainment), ctx.t("cl-sla"), None))
                        (stat("closure", pct(m.closure_rate), ctx.t("cl-closure"), None))
                        (stat("won-back", m.won_back.to_string(), ctx.t("cl-won-back"), None))
                        (stat("repeat", pct(m.repeat_issue_rate), ctx.t("cl-repeat"), None))
                    }
                    @if let (Some(before), Some(after)) = (m.nps_original, m.nps_followup) {
                        p data-figure="nps-change" {
                            bdi dir="ltr" { (signed0(before)) " → " (signed0(after)) }
                            " · " (ctx.tr.ta("cl-nps-change", &[("n", (m.followups as i64).into())]))
                        }
                    }
                    div.grid2 {
                        div {
                            h3 { (ctx.t("cl-root-causes")) }
                            @if roots.is_empty() {
                                p.muted { (ctx.t("cl-no-root-causes")) }
                            } @else {
                                ol.root-causes {
                                    @for r in roots.iter().take(5) {
                                        li data-root=(r.tag) { code { (r.tag) } " · " (ctx.tr.ta("cl-root-cases", &[("count", (r.cases as i64).into())])) }
                                    }
                                }
                            }
                        }
                        div {
                            h3 { (ctx.t("cl-by-team")) }
                            table.drivers.cl-teams {
                                thead { tr {
                                    th scope="col" { (ctx.t("cl-col-team")) }
                                    th scope="col" { (ctx.t("cl-col-cases")) }
                                    th scope="col" { (ctx.t("cl-col-open")) }
                                    th scope="col" { (ctx.t("cl-col-sla")) }
                                    th scope="col" { (ctx.t("cl-col-contact")) }
                                    th scope="col" { (ctx.t("cl-col-recovery")) }
                                } }
                                tbody {
                                    @for g in by_team.iter().filter(|g| g.key != LOOK_BACK) {
                                        tr {
                                            th scope="row" {
                                                @if g.key.is_empty() { (ctx.t("cl-no-team")) }
                                                @else { @match names.teams.get(&g.key) { Some(n) => (ut(n)), None => bdi { "#" (g.key) } } }
                                            }
                                            td { bdi { (g.cases) } }
                                            td { bdi { (g.open) } }
                                            td { bdi { (pct(g.sla_attainment)) } }
                                            td { bdi { (hours(g.median_hours_to_first_contact)) } }
                                            td { bdi { (pct(g.recovery_rate)) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            details.how {
                summary { (ctx.t("cl-how-title")) }
                ul {
                    @for k in ["cl-how-recovery", "cl-how-sla", "cl-how-contact", "cl-how-closure", "cl-how-nps", "cl-how-repeat", "cl-how-now"] {
                        li { (ctx.t(k)) }
                    }
                }
            }
        }
    })
}

/// A touchpoint's top topics with counts, and its two representative verbatims.
type TouchpointExtras = (Vec<(String, usize)>, Vec<Response>);

fn comment_text(r: &Response) -> Option<&str> {
    r.analysis
        .as_ref()
        .and_then(|a| a.redacted_comment.as_deref())
        .or(r.comment.as_deref())
}

/// `/insights/journeys/{id}`: the five stages in reading order, each touchpoint with its
/// figures, promise, topics and two verbatims; the weakest highlighted with the reason.
pub async fn journey_map(
    auth: Auth<Members>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(range): ApiQuery<RangeQuery>,
) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let map = s.store.get_journey(org, JourneyId(id)).await?;
    let q = MetricsQuery {
        journey_id: Some(id),
        from: range.from,
        to: range.to,
        ..Default::default()
    };
    let v = View {
        ctx: &ctx,
        drill: Access::Leads.allows(auth.user.role),
    };
    let store = s.store.as_ref();
    let by_tp = metrics::report(
        store,
        org,
        &request(&q, &auth.user, GroupBy::Touchpoint, None)?,
    )
    .await?;
    let by_stage =
        metrics::report(store, org, &request(&q, &auth.user, GroupBy::Stage, None)?).await?;
    let overall = &by_tp.overall;
    let group_metrics: Vec<GroupMetrics> = s
        .store
        .response_sums(org, &q.parse(&auth.user)?.filter, GroupBy::Touchpoint)
        .await?
        .iter()
        .map(GroupMetrics::from)
        .collect();
    let overall_nps = overall.figures.nps.as_ref().and_then(|n| {
        rapport_domain::stats::Nps::from_counts(n.promoters, n.passives, n.detractors)
    });
    let weak = insights::weakest(&group_metrics, overall_nps.as_ref(), MIN_N);
    let mut reasons: BTreeMap<String, Vec<Weakness>> = BTreeMap::new();
    for (k, w) in &weak {
        reasons.entry(k.clone()).or_default().push(*w);
    }
    let tp_group: HashMap<&str, &MetricGroup> =
        by_tp.groups.iter().map(|g| (g.key.as_str(), g)).collect();
    let stage_group: HashMap<&str, &MetricGroup> = by_stage
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g))
        .collect();
    // Topics of every touchpoint in one grouped query, verbatims of every touchpoint in one
    // statement of indexed reads of its newest responses (tens of touchpoints, not thousands).
    let base = q.parse(&auth.user)?.filter;
    let mut topics: HashMap<String, Vec<TopicSums>> = HashMap::new();
    for t in s.store.topic_sums(org, &base, GroupBy::Touchpoint).await? {
        topics.entry(t.key.clone()).or_default().push(t);
    }
    let tps: Vec<TouchpointId> = map
        .stages
        .iter()
        .flat_map(|st| st.touchpoints.iter().map(|tp| tp.id))
        .collect();
    let mut extras: HashMap<i64, TouchpointExtras> = HashMap::new();
    for (tp, reps) in s
        .store
        .representative_responses(org, &base, &tps, 200)
        .await?
    {
        let top = topics
            .get(&tp.0.to_string())
            .map_or_else(Vec::new, |t| insights::top_topics(t, 3));
        extras.insert(tp.0, (top, reps));
    }
    let weakness_text = |w: Weakness, g: Option<&MetricGroup>| -> String {
        match w {
            Weakness::LowestNps => ctx.tr.ta(
                "ins-weak-lowest-nps",
                &[
                    ("min", (MIN_N as i64).into()),
                    (
                        "overall",
                        overall_nps
                            .map_or("—".to_string(), |n| signed0(n.score))
                            .into(),
                    ),
                ],
            ),
            Weakness::PromiseNotKept => ctx.tr.ta(
                "ins-weak-promise",
                &[(
                    "gap",
                    g.and_then(|g| g.figures.gap.as_ref())
                        .and_then(|x| x.value)
                        .map_or("—".to_string(), |x| dec(x, 1, ctx.locale()))
                        .into(),
                )],
            ),
        }
    };
    let names: HashMap<String, &str> = map
        .stages
        .iter()
        .flat_map(|st| st.touchpoints.iter())
        .map(|tp| (tp.id.0.to_string(), tp.name.as_str()))
        .collect();
    let body = html! {
        p.muted { (ctx.t("ins-journey-intro")) }
        section.headline {
            p.big { (ctx.t("ins-nps")) " " (v.nps(overall, "all")) }
            p { (v.n(overall, "all")) }
            p.muted.how { (ctx.t("ins-nps-how")) }
        }
        @if !weak.is_empty() {
            section.weakest aria-labelledby="h-weak" {
                h2 #h-weak { (ctx.t("ins-weakest")) }
                ul {
                    @for (key, w) in &weak {
                        li {
                            a href=(format!("#tp-{key}")) { (ut(names.get(key).copied().unwrap_or(key))) }
                            ": " (weakness_text(*w, tp_group.get(key.as_str()).copied()))
                        }
                    }
                }
            }
        }
        ol.jmap {
            @for st in &map.stages {
                @let sk = st.stage.id.0.to_string();
                li.stage {
                    h2 {
                        (ut(&st.stage.name))
                    }
                    p.kind { (ctx.t(&format!("stage-kind-{}", st.stage.kind.as_str()))) }
                    @if let Some(g) = stage_group.get(sk.as_str()) {
                        p.stage-nps { (ctx.t("ins-nps")) " " (v.nps(g, &format!("stage-{sk}"))) " · " (v.n(g, &format!("stage-{sk}"))) }
                    }
                    @if st.touchpoints.is_empty() {
                        p.muted { (ctx.t("ins-stage-empty")) }
                    }
                    @for tp in &st.touchpoints {
                        @let key = tp.id.0.to_string();
                        @let g = tp_group.get(key.as_str()).copied();
                        @let why = reasons.get(&key);
                        section id=(format!("tp-{key}")) class=(if why.is_some() { "tp weak" } else { "tp" }) {
                            h3 { (ut(&tp.name)) }
                            p.channel.muted { (ctx.t(&format!("channel-{}", tp.channel.as_str()))) }
                            @if let Some(p) = &tp.promise {
                                p.promise { strong { (ctx.t("ins-promise")) } " " (ut(p)) }
                            }
                            @if let Some(ws) = why {
                                ul.why {
                                    @for w in ws { li { (weakness_text(*w, g)) } }
                                }
                            }
                            @match g {
                                Some(g) => {
                                    p.tp-nps { (ctx.t("ins-nps")) " " (v.nps(g, &key)) " · " (v.n(g, &key)) }
                                    (v.secondary(g, &key))
                                }
                                None => p.muted { (ctx.t("ins-no-data")) },
                            }
                            @if let Some((top, reps)) = extras.get(&tp.id.0) {
                                @if !top.is_empty() {
                                    h4 { (ctx.t("ins-top-topics")) }
                                    ul.topics {
                                        @for (t, c) in top {
                                            @let f = ResponseFilter { touchpoint: Some(tp.id), topic: Some(t.clone()), ..base.clone() };
                                            li { (ut(t)) " " (fig(v.filter_href(&f).as_deref(), &format!("topic-{key}-{t}"), c.to_string())) }
                                        }
                                    }
                                }
                                @if !reps.is_empty() {
                                    h4 { (ctx.t("ins-verbatims")) }
                                    @for r in reps {
                                        figure.quote {
                                            blockquote lang=(r.locale.as_str()) dir=(r.locale.dir()) { (ut(comment_text(r).unwrap_or(""))) }
                                            figcaption {
                                                @if let Some(n) = r.nps { "NPS " bdi { (n) } " · " }
                                                @if v.drill { a href=(format!("/responses/{}", r.id)) { bdi { (date(r.submitted_at)) } } }
                                                @else { bdi { (date(r.submitted_at)) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { a href="/insights" { (ctx.t("ins-back")) } }
    };
    Ok(page(
        &ctx,
        &ctx.tr.ta(
            "ins-journey-title",
            &[("name", map.journey.name.clone().into())],
        ),
        body,
    ))
}

/// Filters of the response list, in the same names as the API's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponsesQuery {
    pub survey_id: Option<i64>,
    pub journey_id: Option<i64>,
    pub stage_id: Option<i64>,
    pub touchpoint_id: Option<i64>,
    pub team_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub locale: Option<String>,
    pub channel: Option<String>,
    pub topic: Option<String>,
    pub nps_group: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub page: Option<i64>,
}

impl ResponsesQuery {
    fn filter(&self, user: &User) -> Result<ResponseFilter, ApiError> {
        let mq = MetricsQuery {
            survey_id: self.survey_id,
            journey_id: self.journey_id,
            stage_id: self.stage_id,
            touchpoint_id: self.touchpoint_id,
            team_id: self.team_id,
            agent_id: self.agent_id,
            locale: self.locale.clone(),
            channel: self.channel.clone(),
            topic: self.topic.clone(),
            from: self.from,
            to: self.to,
            ..Default::default()
        };
        let mut f = mq.parse(user)?.filter;
        f.customer = match self.customer_id {
            Some(i) if i <= 0 => {
                return Err(ApiError::invalid("customer_id", "must be a positive id"))
            }
            c => c.map(CustomerId),
        };
        f.nps_group = match self.nps_group.as_deref() {
            None | Some("") => None,
            Some("detractor") => Some(survey::NpsGroup::Detractor),
            Some("passive") => Some(survey::NpsGroup::Passive),
            Some("promoter") => Some(survey::NpsGroup::Promoter),
            Some(_) => {
                return Err(ApiError::invalid(
                    "nps_group",
                    "must be detractor, passive or promoter",
                ))
            }
        };
        Ok(f)
    }
}

/// The active filters in words ("Touchpoint: Store pickup"), not as a query string.
fn filter_chips(ctx: &Ctx, names: &Names, f: &ResponseFilter) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut push = |label: &str, value: String| out.push((ctx.t(label), value));
    if let Some(v) = f.survey {
        push("ins-f-survey", format!("#{}", v.0));
    }
    if let Some(v) = f.journey {
        let name = names
            .journeys
            .iter()
            .find(|j| j.id == v)
            .map(|j| j.name.clone());
        push("ins-f-journey", name.unwrap_or_else(|| format!("#{}", v.0)));
    }
    if let Some(v) = f.stage {
        push(
            "ins-f-stage",
            names.label(ctx, GroupBy::Stage, &v.0.to_string()),
        );
    }
    if let Some(v) = f.touchpoint {
        push(
            "ins-col-touchpoint",
            names.label(ctx, GroupBy::Touchpoint, &v.0.to_string()),
        );
    }
    if let Some(v) = f.team {
        push(
            "ins-f-team",
            names.label(ctx, GroupBy::Team, &v.0.to_string()),
        );
    }
    if let Some(v) = f.agent {
        push("ins-f-agent", format!("#{}", v.0));
    }
    if let Some(v) = f.customer {
        push("ins-customer", format!("#{}", v.0));
    }
    if let Some(v) = f.locale {
        push("ins-language", v.native_name().to_string());
    }
    if let Some(v) = f.channel {
        push("ins-f-channel", ctx.t(&format!("channel-{}", v.as_str())));
    }
    if let Some(v) = &f.topic {
        push("ins-col-topic", v.clone());
    }
    if let Some(v) = f.nps_group {
        let key = match v {
            survey::NpsGroup::Promoter => "ins-f-promoters",
            survey::NpsGroup::Passive => "ins-f-passives",
            survey::NpsGroup::Detractor => "ins-f-detractors",
        };
        push("ins-nps", ctx.t(key));
    }
    if let Some(v) = f.from {
        push("ins-f-from", date(v));
    }
    if let Some(v) = f.to {
        push("ins-f-to", date(v));
    }
    out
}

fn sentiment_label(ctx: &Ctx, label: &str) -> String {
    match label {
        "positive" | "negative" | "neutral" => ctx.t(&format!("ins-sentiment-{label}")),
        other => other.to_string(),
    }
}

fn verbatim(ctx: &Ctx, names: &Names, r: &Response) -> Markup {
    html! {
        li.verbatim {
            p.meta {
                a href=(format!("/responses/{}", r.id)) { bdi { (date(r.submitted_at)) } }
                @if let Some(n) = r.nps { " · NPS " bdi.score { (n) } }
                @if let Some(c) = r.csat { " · " (ctx.t("ins-csat")) " " bdi { (c) } }
                " · " (ut(&names.label(ctx, GroupBy::Touchpoint, &r.touchpoint_id.0.to_string())))
                " · "
                @match r.customer_id {
                    Some(c) => a href=(format!("/customers/{c}")) { (ctx.t("ins-customer")) " " bdi { "#" (c.0) } },
                    None => span.muted { (ctx.t("ins-customer-anonymous")) },
                }
            }
            @if let Some(text) = comment_text(r) {
                blockquote lang=(r.locale.as_str()) dir=(r.locale.dir()) { (ut(text)) }
            }
            @if let Some(a) = &r.analysis {
                p.analysis.muted {
                    @if let Some(l) = &a.sentiment_label { (sentiment_label(ctx, l)) }
                    @if let Some(s) = a.sentiment_score { " " bdi { (dec(s, 2, ctx.locale())) } }
                    @for t in &a.topics { " " span.tag { (ut(t)) } }
                }
            }
        }
    }
}

/// `/responses`: the verbatims behind any figure, newest first.
pub async fn responses(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ResponsesQuery>,
) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let filter = q.filter(&auth.user)?;
    let page_no = q.page.unwrap_or(1);
    if page_no < 1 {
        return Err(ApiError::invalid("page", "must be 1 or more"));
    }
    let (items, total) = s
        .store
        .list_responses(org, &filter, PAGE_SIZE, (page_no - 1) * PAGE_SIZE)
        .await?;
    let names = Names::load(&s, org).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let qs = filter_query(&filter);
    let link = |p: i64| {
        if qs.is_empty() {
            format!("/responses?page={p}")
        } else {
            format!("/responses?{qs}&page={p}")
        }
    };
    let body = html! {
        p { (ctx.tr.ta("ins-responses-total", &[("count", total.into())])) }
        @if !qs.is_empty() {
            p.filters { (ctx.t("ins-filtered")) " "
                @for (label, value) in filter_chips(&ctx, &names, &filter) {
                    span.tag { (label) ": " (ut(&value)) } " "
                }
                a href="/responses" { (ctx.t("ins-clear-filters")) }
            }
        }
        ol.verbatims {
            @for r in &items { (verbatim(&ctx, &names, r)) }
        }
        nav.pager aria-label=(ctx.t("ins-pages")) {
            @if page_no > 1 { a rel="prev" href=(link(page_no - 1)) { (ctx.t("common-prev")) } " " }
            span { (ctx.tr.ta("common-page-of", &[("page", page_no.into()), ("pages", pages.into())])) }
            @if page_no < pages { " " a rel="next" href=(link(page_no + 1)) { (ctx.t("common-next")) } }
        }
    };
    Ok(page(&ctx, &ctx.t("ins-responses-title"), body))
}

fn answer_text(ctx: &Ctx, a: &Answer) -> Markup {
    match a {
        Answer::Number(n) => html! { bdi { (n) } },
        Answer::Choice(c) => html! { (ut(c)) },
        Answer::Choices(cs) => html! { (ut(&cs.join(", "))) },
        Answer::Text(t) => html! { (ut(t)) },
        Answer::Pair {
            expectation,
            experience,
        } => html! {
            (ctx.t("ins-expected")) " " bdi { (expectation) } " · " (ctx.t("ins-got")) " " bdi { (experience) }
        },
    }
}

/// `/responses/{id}`: the whole record, in the words of the survey version that was answered.
pub async fn response(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let r = s.store.get_response(org, ResponseId(id)).await?;
    let def = s.store.survey_definition(r.survey_id, r.version).await?;
    let names = Names::load(&s, org).await?;
    let l = ctx.locale();
    // Semantic tier: the verbatims nearest in meaning, in any language (none without the model).
    let mut similar: Vec<(Response, f32)> = Vec::new();
    if let (Some(sem), Some(text)) = (&s.semantic, comment_text(&r)) {
        let hits = sem
            .similar(
                s.store.as_ref(),
                org,
                text,
                crate::semantic::SearchScope::Responses,
                6,
            )
            .await?;
        for (t, score) in hits {
            if let rapport_storage::EmbeddedText::Response(other) = t {
                if other != r.id {
                    if let Ok(resp) = s.store.get_response(org, other).await {
                        similar.push((resp, score));
                    }
                }
            }
        }
        similar.truncate(5);
    }
    let body = html! {
        dl.record {
            div { dt { (ctx.t("ins-col-date")) } dd { bdi { (r.submitted_at.format("%Y-%m-%d %H:%M UTC")) } } }
            div { dt { (ctx.t("ins-col-touchpoint")) } dd { (ut(&names.label(&ctx, GroupBy::Touchpoint, &r.touchpoint_id.0.to_string()))) } }
            div { dt { (ctx.t("ins-customer")) } dd {
                @match r.customer_id {
                    Some(c) => a href=(format!("/customers/{c}")) { bdi { "#" (c.0) } },
                    None => (ctx.t("ins-customer-anonymous")),
                }
            } }
            div { dt { (ctx.t("ins-language")) } dd { (r.locale.native_name()) } }
            div { dt { (ctx.t("ins-survey-version")) } dd { bdi { (r.survey_id.0) " · v" (r.version) } } }
        }
        h2 { (ctx.t("ins-answers")) }
        dl.answers {
            @for q in &def.questions {
                @if let Some(a) = r.answers.get(&q.key) {
                    div {
                        dt { (ut(q.prompt.get(l, r.locale))) }
                        dd lang=(r.locale.as_str()) dir=(r.locale.dir()) { (answer_text(&ctx, a)) }
                    }
                }
            }
        }
        h2 { (ctx.t("ins-analysis")) }
        @match &r.analysis {
            None => p.muted { (ctx.t("ins-not-analysed")) },
            Some(a) => dl.record {
                div { dt { (ctx.t("ins-sentiment")) } dd {
                    @if let Some(lbl) = &a.sentiment_label { (sentiment_label(&ctx, lbl)) " " }
                    @if let Some(sc) = a.sentiment_score { bdi { (dec(sc, 2, l)) } }
                } }
                div { dt { (ctx.t("ins-topics")) } dd {
                    @if a.topics.is_empty() { span.muted { "—" } }
                    @for t in &a.topics { span.tag { (ut(t)) } " " }
                } }
                @if let Some(red) = &a.redacted_comment {
                    div { dt { (ctx.t("ins-redacted")) } dd { (ut(red)) } }
                }
            },
        }
        @if !similar.is_empty() {
            h2 { (ctx.t("ins-similar")) }
            ol.verbatims.similar {
                @for (other, _) in &similar {
                    (verbatim(&ctx, &names, other))
                }
            }
        }
    };
    Ok(page(
        &ctx,
        &ctx.tr.ta("ins-response-title", &[("id", id.into())]),
        body,
    ))
}

/// `/customers/{id}`: the one person behind the figures, with every answer they gave.
pub async fn customer(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let c = s.store.get_customer(org, CustomerId(id)).await?;
    let filter = ResponseFilter {
        customer: Some(c.id),
        ..Default::default()
    };
    let (items, total) = s.store.list_responses(org, &filter, 500, 0).await?;
    let names = Names::load(&s, org).await?;
    let yes_no = |b: bool| ctx.t(if b { "ins-yes" } else { "ins-no" });
    let body = html! {
        dl.record {
            div { dt { (ctx.t("ins-external-id")) } dd { bdi { (c.external_id) } } }
            div { dt { (ctx.t("ins-language")) } dd { (c.locale.native_name()) } }
            @if let Some(e) = &c.email { div { dt { (ctx.t("ins-email")) } dd { bdi { (e) } } } }
            @if let Some(p) = &c.phone { div { dt { (ctx.t("ins-phone")) } dd { bdi { (p) } } } }
            div { dt { (ctx.t("ins-consent-email")) } dd { (yes_no(c.consent.email)) } }
            div { dt { (ctx.t("ins-consent-sms")) } dd { (yes_no(c.consent.sms)) } }
            div { dt { (ctx.t("ins-consent-research")) } dd { (yes_no(c.consent.research)) } }
        }
        h2 { (ctx.tr.ta("ins-responses-total", &[("count", total.into())])) }
        ol.verbatims {
            @for r in &items { (verbatim(&ctx, &names, r)) }
        }
    };
    Ok(page(&ctx, &c.name, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_same_in_every_direction() {
        assert_eq!(signed0(-16.67), "\u{2212}17");
        assert_eq!(signed0(-0.4), "0");
        assert_eq!(signed0(27.3), "27");
        assert_eq!(dec(-2.6, 1, Locale::El), "\u{2212}2,6");
        assert_eq!(dec(-0.01, 1, Locale::En), "0.0");
        assert_eq!(dec(4.5, 1, Locale::He), "4.5");
    }
}
