//! The EX→CX linkage page: choose an employee measure, a customer outcome, a lag and how much
//! history; read the answer in one sentence, see the team-quarters as a scatter plot, and
//! check the statistics — beside the same for customer NPS, as seed 001 asks — with every
//! caveat in the reader's language.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use rapport_domain::linkage::{Correlation, Method, Regression, Warning};
use rapport_domain::model::User;

use super::super::frontline::{signed, unprocessable};
use super::super::layout::{field, page};
use super::super::Ctx;
use super::scatter::{self, Labels, Point};
use super::{error_box, measure, measure_value, tabs, Problem};
use crate::ambassadorship::{self as svc, LinkStats, Linkage};
use crate::auth::{Auth, Members};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const DEFAULT_EX: &str = "ambassadorship.customer";
const DEFAULT_CX: &str = "retention_90d";
const QUARTER_CHOICES: [usize; 4] = [4, 8, 12, 16];

/// What the form asked for, as typed (so a refused query keeps it).
struct Choice {
    ex: String,
    cx: String,
    lag: String,
    quarters: String,
}

impl Choice {
    fn from_query(q: Option<&str>) -> Choice {
        let mut c = Choice {
            ex: DEFAULT_EX.into(),
            cx: DEFAULT_CX.into(),
            lag: "1".into(),
            quarters: "8".into(),
        };
        for (k, v) in form_urlencoded::parse(q.unwrap_or("").as_bytes()) {
            let v = v.trim().to_string();
            match k.as_ref() {
                "ex" => c.ex = v,
                "cx" => c.cx = v,
                "lag" => c.lag = v,
                "quarters" => c.quarters = v,
                _ => {}
            }
        }
        c
    }

    /// The lag and the history, checked; the measures are checked by the service.
    fn parse(&self) -> Result<(i32, usize), ApiError> {
        let lag = self
            .lag
            .parse::<i32>()
            .ok()
            .filter(|l| (0..=4).contains(l))
            .ok_or_else(|| ApiError::invalid("lag", "must be between 0 and 4 quarters"))?;
        let quarters = self
            .quarters
            .parse::<usize>()
            .ok()
            .filter(|q| (4..=16).contains(q))
            .ok_or_else(|| ApiError::invalid("quarters", "must be between 4 and 16"))?;
        svc::check_measures(&self.ex, &self.cx, lag)?;
        Ok((lag, quarters))
    }
}

fn form(ctx: &Ctx, c: &Choice, problem: Option<&Problem>) -> Markup {
    let none = Problem::default();
    let p = problem.unwrap_or(&none);
    let select = |id: &str, name: &str, options: &[&str], chosen: &str| {
        let (inv, desc) = p.aria(name);
        html! {
            select id=(id) name=(name) aria-invalid=[inv] aria-describedby=[desc] {
                @for o in options {
                    option value=(o) selected[*o == chosen] { (measure(ctx, o)) }
                }
            }
        }
    };
    let (lag_inv, lag_desc) = p.aria("lag");
    let (q_inv, q_desc) = p.aria("quarters");
    html! {
        form.amb-query method="get" action="/linkage" aria-label=(ctx.t("amb-linkage-form")) {
            (error_box(ctx, problem))
            div.amb-fields {
                (field("lk-ex", &ctx.t("amb-field-ex"), select("lk-ex", "ex", &svc::EX_MEASURES, &c.ex)))
                (field("lk-cx", &ctx.t("amb-field-cx"), select("lk-cx", "cx", &svc::CX_MEASURES, &c.cx)))
                (field("lk-lag", &ctx.t("amb-field-lag"), html! {
                    select #lk-lag name="lag" aria-invalid=[lag_inv] aria-describedby=[lag_desc] {
                        @for l in 0..=4i64 {
                            option value=(l) selected[c.lag == l.to_string()] { (ctx.tr.ta("amb-lag-option", &[("lag", l.into())])) }
                        }
                    }
                }))
                (field("lk-quarters", &ctx.t("amb-field-quarters"), html! {
                    select #lk-quarters name="quarters" aria-invalid=[q_inv] aria-describedby=[q_desc] {
                        @for n in QUARTER_CHOICES {
                            option value=(n) selected[c.quarters == n.to_string()] { (ctx.tr.ta("amb-quarters-option", &[("n", (n as i64).into())])) }
                        }
                    }
                }))
            }
            button.primary type="submit" { (ctx.t("amb-apply")) }
        }
    }
}

/// A variable named in a warning: `x` and `y` are the two measures compared.
fn variable(ctx: &Ctx, v: &str, x: &str, y: &str) -> String {
    match v {
        "x" => measure(ctx, x),
        "y" => measure(ctx, y),
        other => measure(ctx, other),
    }
}

fn warning(ctx: &Ctx, w: &Warning, x: &str, y: &str) -> String {
    match w {
        Warning::TooFewPoints { n, recommended } => ctx.tr.ta(
            if *n < 3 {
                "amb-warn-too-few-none"
            } else {
                "amb-warn-too-few"
            },
            &[
                ("n", (*n as i64).into()),
                ("recommended", (*recommended as i64).into()),
            ],
        ),
        Warning::IntervalSpansZero { term: None } => ctx.t("amb-warn-zero"),
        Warning::IntervalSpansZero { term: Some(t) } => ctx
            .tr
            .ta("amb-warn-zero-term", &[("term", measure(ctx, t).into())]),
        Warning::Constant { variable: v } => ctx.tr.ta(
            "amb-warn-constant",
            &[("variable", variable(ctx, v, x, y).into())],
        ),
        Warning::Collinear { variable: v, vif } => ctx.tr.ta(
            "amb-warn-collinear",
            &[
                ("variable", variable(ctx, v, x, y).into()),
                ("vif", format!("{vif:.1}").into()),
            ],
        ),
    }
}

fn coef(v: Option<f64>) -> Markup {
    match v {
        Some(v) => html! { bdi.num dir="ltr" { (signed(v, 2)) } },
        None => html! { span.muted { "—" } },
    }
}

fn interval(lo: Option<f64>, hi: Option<f64>) -> Markup {
    match (lo, hi) {
        (Some(lo), Some(hi)) => {
            html! { bdi.num dir="ltr" { (signed(lo, 2)) " … " (signed(hi, 2)) } }
        }
        _ => html! { span.muted { "—" } },
    }
}

fn p_value(p: Option<f64>) -> Markup {
    match p {
        Some(p) if p < 0.001 => html! { bdi.num dir="ltr" { "< 0.001" } },
        Some(p) => html! { bdi.num dir="ltr" { (format!("{p:.3}")) } },
        None => html! { span.muted { "—" } },
    }
}

fn correlation_row(ctx: &Ctx, c: &Correlation, x: &str, y: &str) -> Markup {
    let method = match c.method {
        Method::Pearson => "amb-method-pearson",
        Method::Spearman => "amb-method-spearman",
    };
    html! {
        tr data-method=(if c.method == Method::Pearson { "pearson" } else { "spearman" }) {
            th scope="row" { (ctx.t(method)) }
            td.index { strong { (coef(c.coefficient)) } }
            td { (interval(c.ci_low, c.ci_high)) }
            td { (p_value(c.p_value)) }
            td { bdi.num { (c.n) } }
            td.caveats {
                @if c.warnings.is_empty() {
                    span.muted { "—" }
                } @else {
                    ul.warnings {
                        @for w in &c.warnings {
                            li data-kind=(warning_kind(w)) { (warning(ctx, w, x, y)) }
                        }
                    }
                }
            }
        }
    }
}

fn warning_kind(w: &Warning) -> &'static str {
    match w {
        Warning::TooFewPoints { .. } => "too_few_points",
        Warning::IntervalSpansZero { .. } => "interval_spans_zero",
        Warning::Constant { .. } => "constant",
        Warning::Collinear { .. } => "collinear",
    }
}

fn stats_table(ctx: &Ctx, id: &str, caption: &str, s: &LinkStats, cx: &str) -> Markup {
    html! {
        div.table-wrap {
            table.amb-stats id=(id) {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (ctx.t("amb-col-method")) }
                    th scope="col" { (ctx.t("amb-col-estimate")) }
                    th scope="col" { (ctx.t("amb-col-ci")) }
                    th scope="col" { (ctx.t("amb-col-p")) }
                    th scope="col" { abbr title=(ctx.t("amb-col-points-long")) { "n" } }
                    th scope="col" { (ctx.t("amb-col-caveats")) }
                } }
                tbody {
                    (correlation_row(ctx, &s.pearson, &s.x, cx))
                    (correlation_row(ctx, &s.spearman, &s.x, cx))
                }
            }
        }
    }
}

fn term(ctx: &Ctx, name: &str) -> String {
    if name == "intercept" {
        ctx.t("amb-term-intercept")
    } else {
        measure(ctx, name)
    }
}

fn regression_table(ctx: &Ctx, r: &Regression, cx: &str) -> Markup {
    // Shares read best in percentage points: "+0.3 pp of retention per point of commitment".
    let (scale, units) = if cx.ends_with("_90d") {
        (100.0, "amb-reg-units-pp")
    } else {
        (1.0, "amb-reg-units")
    };
    html! {
        div.table-wrap {
            table.amb-regression #regression-table {
                caption { (ctx.tr.ta("amb-reg-caption", &[("cx", measure(ctx, cx).into())])) }
                thead { tr {
                    th scope="col" { (ctx.t("amb-col-term")) }
                    th scope="col" { (ctx.t("amb-col-coef")) }
                    th scope="col" { (ctx.t("amb-col-ci")) }
                    th scope="col" { (ctx.t("amb-col-p")) }
                } }
                tbody {
                    @for c in &r.coefficients {
                        tr data-term=(c.name) {
                            th scope="row" { (term(ctx, &c.name)) }
                            td { bdi.num dir="ltr" { (signed(c.estimate * scale, 2)) } }
                            td { (interval(Some(c.ci_low * scale), Some(c.ci_high * scale))) }
                            td { (p_value(Some(c.p_value))) }
                        }
                    }
                }
            }
        }
        p.muted { (ctx.tr.ta(units, &[("cx", measure(ctx, cx).into())])) }
        dl.figs.amb-fit {
            div { dt { "R²" } dd { bdi.num dir="ltr" { (format!("{:.2}", r.r2)) } } }
            div { dt { (ctx.t("amb-adj-r2")) } dd { bdi.num dir="ltr" { (format!("{:.2}", r.adj_r2)) } } }
            div { dt { abbr title=(ctx.t("amb-col-points-long")) { "n" } } dd { bdi.num { (r.n) } } }
        }
        @if !r.warnings.is_empty() {
            ul.warnings {
                @for w in &r.warnings {
                    li data-kind=(warning_kind(w)) { (warning(ctx, w, "", cx)) }
                }
            }
        }
    }
}

/// The service's reason (an English `LinkageError` message) in the reader's language.
fn regression_reason(ctx: &Ctx, reason: &str) -> String {
    let first_number = |s: &str| -> i64 {
        s.split(|c: char| !c.is_ascii_digit())
            .find(|w| !w.is_empty())
            .and_then(|w| w.parse().ok())
            .unwrap_or(0)
    };
    let subject = reason.split(':').next().unwrap_or("").trim();
    if reason.contains("too few") {
        let needed = reason
            .rsplit("at least")
            .next()
            .map(first_number)
            .unwrap_or(0);
        ctx.tr.ta(
            "amb-reg-none-too-few",
            &[
                ("n", first_number(reason).into()),
                ("needed", needed.into()),
            ],
        )
    } else if reason.contains("collinear") {
        ctx.tr.ta(
            "amb-reg-none-collinear",
            &[("variable", variable(ctx, subject, "", "").into())],
        )
    } else if reason.contains("constant") {
        ctx.tr.ta(
            "amb-reg-none-constant",
            &[("variable", variable(ctx, subject, "", "").into())],
        )
    } else {
        ctx.t("amb-reg-none")
    }
}

fn results(ctx: &Ctx, l: &Linkage) -> Markup {
    let rtl = ctx.locale().dir() == "rtl";
    let (ex_name, cx_name) = (measure(ctx, &l.ex), measure(ctx, &l.cx));
    let lagtext = ctx
        .tr
        .ta("linkage-lag", &[("lag", i64::from(l.lag).into())]);
    let points: Vec<Point> = l
        .points
        .iter()
        .map(|p| Point {
            team: p.team.clone(),
            quarter: p.period.clone(),
            x: p.x,
            y: p.y,
            x_text: measure_value(&l.ex, p.x),
            y_text: measure_value(&l.cx, p.y),
            href: Some(format!("/pulse-results#q-{}", p.period)),
        })
        .collect();
    let title = ctx.tr.ta(
        "amb-chart-title",
        &[
            ("ex", ex_name.clone().into()),
            ("cx", cx_name.clone().into()),
        ],
    );
    let desc = ctx.tr.ta(
        "amb-chart-desc",
        &[
            ("ex", ex_name.clone().into()),
            ("cx", cx_name.clone().into()),
            ("lagtext", lagtext.clone().into()),
        ],
    );
    let x_axis = ex_name.clone();
    let y_axis = format!("{cx_name} ({lagtext})");
    let labels = Labels {
        title: &title,
        desc: &desc,
        x: &x_axis,
        y: &y_axis,
        table_caption: &ctx.t("amb-chart-table"),
        team: &ctx.t("amb-col-team"),
        quarter: &ctx.t("amb-col-quarter-ex"),
    };
    let (ex, cx) = (l.ex.clone(), l.cx.clone());
    let fx = move |v: f64| measure_value(&ex, v);
    let fy = move |v: f64| measure_value(&cx, v);
    html! {
        section.card.amb-reading #reading aria-labelledby="rd-h" {
            h2 #rd-h { (ctx.t("amb-reading-label")) }
            p.lead.reading { (l.reading) }
            p.muted { (ctx.t("amb-reading-caution")) }
        }
        section.card #scatter aria-labelledby="sc-h" {
            h2 #sc-h { (ctx.t("amb-points-title")) }
            @if points.is_empty() {
                p.muted.empty { (ctx.t("amb-no-points")) }
            } @else {
                (scatter::scatter(&labels, &points, &fx, &fy, rtl))
            }
        }
        div.grid2.amb-stats-grid {
            section.card #statistics aria-labelledby="st-h" {
                h2 #st-h { (ctx.t("amb-stats-title")) }
                p.muted { (ctx.t("amb-stats-intro")) }
                (stats_table(ctx, "stats-ex", &ctx.tr.ta("amb-stats-caption", &[("x", ex_name.clone().into()), ("cx", cx_name.clone().into())]), &l.stats, &l.cx))
            }
            section.card #nps-comparison aria-labelledby="np-h" {
                h2 #np-h { (ctx.t("amb-nps-title")) }
                @match &l.nps_comparison {
                    Some(s) => {
                        p.muted { (ctx.tr.ta("amb-nps-intro", &[("cx", cx_name.clone().into())])) }
                        (stats_table(ctx, "stats-nps", &ctx.tr.ta("amb-stats-caption", &[("x", measure(ctx, "nps").into()), ("cx", cx_name.clone().into())]), s, &l.cx))
                    }
                    None => p.muted { (ctx.t(if l.cx == "nps" { "amb-nps-same" } else { "amb-nps-none" })) },
                }
            }
        }
        section.card #regression aria-labelledby="rg-h" {
            h2 #rg-h { (ctx.t("amb-reg-title")) }
            p.muted { (ctx.tr.ta("amb-reg-intro", &[("cx", cx_name.clone().into())])) }
            @match (&l.regression, &l.regression_error) {
                (Some(r), _) => (regression_table(ctx, r, &l.cx)),
                (None, reason) => {
                    p.amb-reg-none { (regression_reason(ctx, reason.as_deref().unwrap_or(""))) }
                    @if let Some(reason) = reason {
                        p.detail.muted lang="en" dir="ltr" { (reason) }
                    }
                }
            }
        }
    }
}

fn render(
    ctx: &Ctx,
    user: &User,
    choice: &Choice,
    linkage: Option<&Linkage>,
    problem: Option<&Problem>,
) -> Markup {
    let body = html! {
        (tabs(ctx, user))
        p.how { (ctx.t("amb-linkage-intro")) }
        (form(ctx, choice, problem))
        @if let Some(l) = linkage { (results(ctx, l)) }
    };
    page(ctx, &ctx.t("amb-linkage-title"), body)
}

pub async fn show(
    auth: Auth<Members>,
    ctx: Ctx,
    State(s): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let choice = Choice::from_query(q.as_deref());
    let computed = match choice.parse() {
        Ok((lag, quarters)) => {
            svc::linkage(
                &s,
                auth.user.org_id,
                ctx.locale(),
                &choice.ex,
                &choice.cx,
                lag,
                quarters,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match computed {
        Ok(l) => Ok(render(&ctx, &auth.user, &choice, Some(&l), None).into_response()),
        Err(e) => {
            let problem = Problem::from_error(e)?;
            Ok(unprocessable(render(
                &ctx,
                &auth.user,
                &choice,
                None,
                Some(&problem),
            )))
        }
    }
}
