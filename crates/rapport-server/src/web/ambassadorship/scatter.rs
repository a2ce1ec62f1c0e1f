//! A server-rendered SVG scatter plot, one point per team and quarter, in the manner of
//! `web/charts.rs`: mirrored for right-to-left readers (the x axis grows the way they read),
//! the SVG's own `direction` pinned to ltr so anchors mean the same everywhere, a `<title>` and
//! `<desc>`, a `<title>` on every point for hover, and the same points as a table.

use maud::{html, Markup};

/// One point: where it sits, what it is, and its figures as the reader reads them.
pub struct Point {
    pub team: String,
    pub quarter: String,
    pub x: f64,
    pub y: f64,
    pub x_text: String,
    pub y_text: String,
    /// Where the records behind the point are.
    pub href: Option<String>,
}

/// The words around the plot.
pub struct Labels<'a> {
    pub title: &'a str,
    pub desc: &'a str,
    pub x: &'a str,
    pub y: &'a str,
    pub table_caption: &'a str,
    pub team: &'a str,
    pub quarter: &'a str,
}

const W: f64 = 640.0;
const H: f64 = 400.0;
const START: f64 = 64.0;
const END: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 60.0;

fn fmt(x: f64) -> String {
    format!("{x:.1}")
}

fn hx(x: f64, rtl: bool) -> f64 {
    if rtl {
        W - x
    } else {
        x
    }
}

/// A round step (1, 2 or 5 × 10ᵏ) giving about four intervals over `span`.
fn nice_step(span: f64) -> f64 {
    let raw = (span / 4.0).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// The axis range, widened to round ticks; a single value gets room around it.
pub fn axis(values: impl Iterator<Item = f64>) -> (f64, f64, Vec<f64>) {
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        let pad = if lo.abs() < 1.0 {
            0.05
        } else {
            lo.abs() * 0.05
        };
        (lo, hi) = (lo - pad, hi + pad);
    }
    let step = nice_step(hi - lo);
    let (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
    let n = ((hi - lo) / step).round() as usize;
    let ticks = (0..=n).map(|k| lo + step * k as f64).collect();
    (lo, hi, ticks)
}

pub fn scatter(
    labels: &Labels,
    points: &[Point],
    fmt_x: &dyn Fn(f64) -> String,
    fmt_y: &dyn Fn(f64) -> String,
    rtl: bool,
) -> Markup {
    let (xlo, xhi, xticks) = axis(points.iter().map(|p| p.x));
    let (ylo, yhi, yticks) = axis(points.iter().map(|p| p.y));
    let px = |v: f64| hx(START + (v - xlo) / (xhi - xlo) * (W - START - END), rtl);
    let py = |v: f64| TOP + (yhi - v) / (yhi - ylo) * (H - TOP - BOTTOM);
    let (x0, x1) = (hx(START, rtl), hx(W - END, rtl));
    let (y0, y1) = (py(ylo), py(yhi));
    let mid_y = (y0 + y1) / 2.0;
    html! {
        figure.chart.scatter {
            svg viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(labels.title) direction="ltr"
                xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet" {
                title { (labels.title) }
                desc { (labels.desc) }
                @for t in &yticks {
                    line.grid x1=(fmt(x0)) x2=(fmt(x1)) y1=(fmt(py(*t))) y2=(fmt(py(*t))) {}
                    text.axis x=(fmt(hx(START - 6.0, rtl))) y=(fmt(py(*t) + 4.0))
                        text-anchor=(if rtl { "start" } else { "end" }) { (fmt_y(*t)) }
                }
                @for t in &xticks {
                    line.grid x1=(fmt(px(*t))) x2=(fmt(px(*t))) y1=(fmt(y0)) y2=(fmt(y1)) {}
                    text.axis x=(fmt(px(*t))) y=(fmt(y0 + 18.0)) text-anchor="middle" { (fmt_x(*t)) }
                }
                line.zero x1=(fmt(x0)) x2=(fmt(x1)) y1=(fmt(y0)) y2=(fmt(y0)) {}
                line.zero x1=(fmt(x0)) x2=(fmt(x0)) y1=(fmt(y0)) y2=(fmt(y1)) {}
                text.axis-title x=(fmt((x0 + x1) / 2.0)) y=(fmt(H - 10.0)) text-anchor="middle" { (labels.x) }
                text.axis-title text-anchor="middle"
                    transform=(format!("translate({},{}) rotate(-90)", fmt(hx(14.0, rtl)), fmt(mid_y))) { (labels.y) }
                @for p in points {
                    @if let Some(href) = &p.href {
                        a href=(href) {
                            circle.pt cx=(fmt(px(p.x))) cy=(fmt(py(p.y))) r="5" {
                                title { (p.team) " · " (p.quarter) ": " (p.x_text) ", " (p.y_text) }
                            }
                        }
                    } @else {
                        circle.pt cx=(fmt(px(p.x))) cy=(fmt(py(p.y))) r="5" {
                            title { (p.team) " · " (p.quarter) ": " (p.x_text) ", " (p.y_text) }
                        }
                    }
                }
            }
            details.chart-data {
                summary { (labels.table_caption) }
                table {
                    thead { tr {
                        th scope="col" { (labels.team) }
                        th scope="col" { (labels.quarter) }
                        th scope="col" { (labels.x) }
                        th scope="col" { (labels.y) }
                    } }
                    tbody {
                        @for p in points {
                            tr {
                                th scope="row" { bdi { (p.team) } }
                                td { bdi { (p.quarter) } }
                                td { bdi dir="ltr" { (p.x_text) } }
                                td { bdi dir="ltr" { (p.y_text) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts() -> Vec<Point> {
        [(40.0, 0.5), (80.0, 0.9)]
            .into_iter()
            .map(|(x, y)| Point {
                team: "<b>Haifa</b>".into(),
                quarter: "2026-Q1".into(),
                x,
                y,
                x_text: format!("{x:.0}"),
                y_text: format!("{:.0}%", y * 100.0),
                href: None,
            })
            .collect()
    }

    fn labels() -> Labels<'static> {
        Labels {
            title: "t",
            desc: "d",
            x: "ex",
            y: "cx",
            table_caption: "c",
            team: "team",
            quarter: "quarter",
        }
    }

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        let (lo, hi, ticks) = axis([41.0, 79.0].into_iter());
        assert!(lo <= 41.0 && hi >= 79.0);
        assert_eq!(ticks.first(), Some(&lo));
        assert!(ticks.len() >= 3 && ticks.len() <= 6, "{ticks:?}");
        let (lo, hi, _) = axis([0.5, 0.5].into_iter());
        assert!(lo < 0.5 && hi > 0.5);
    }

    #[test]
    fn points_mirror_for_rtl_and_text_is_escaped() {
        let f = |v: f64| format!("{v:.0}");
        let ltr = scatter(&labels(), &pts(), &f, &f, false).into_string();
        let rtl = scatter(&labels(), &pts(), &f, &f, true).into_string();
        assert_eq!(ltr.matches("<circle").count(), 2);
        assert!(!ltr.contains("<b>Haifa") && ltr.contains("&lt;b&gt;Haifa"));
        // The lowest x sits at the reading start: left in LTR, right in RTL.
        assert!(ltr.contains("cx=\"64.0\""), "{ltr}");
        assert!(rtl.contains("cx=\"576.0\""), "{rtl}");
        assert!(ltr.contains("<desc>d</desc>") && ltr.contains("<table>"));
    }
}
