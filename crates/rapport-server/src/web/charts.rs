//! Server-rendered SVG charts: a line with its 95% band, and horizontal bars with whiskers.
//!
//! Direction: in right-to-left locales the whole chart is mirrored, so time runs from right
//! to left and bars grow the way the reader reads (the "start" of the scale is on the right),
//! as on the Hebrew survey scales. We mirror the coordinates ourselves and pin the SVG's own
//! `direction` to ltr, so text anchors mean the same in every locale. Every chart has a
//! `<title>`, an `aria-label`, and the same numbers as a table for screen readers and for
//! anyone who prefers figures to shapes. All text goes through maud, so it is escaped.

use maud::{html, Markup};

/// One point of a time series; `value` is `None` for a period without answers.
pub struct SeriesPoint {
    pub label: String,
    pub value: Option<f64>,
    /// The 95% interval around `value`.
    pub low: f64,
    pub high: f64,
    /// The figure as it should be read in the table, e.g. `34 ± 6 (n = 812)`.
    pub text: String,
    pub href: Option<String>,
}

/// One bar: a value on a shared scale with an optional interval.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
    pub text: String,
    pub href: Option<String>,
}

/// Labels for the accessible fallback table.
pub struct TableHeads<'a> {
    pub label: &'a str,
    pub value: &'a str,
}

const W: f64 = 640.0;

fn fmt(x: f64) -> String {
    format!("{x:.1}")
}

/// A horizontal coordinate, mirrored for right-to-left readers.
fn hx(x: f64, rtl: bool) -> f64 {
    if rtl {
        W - x
    } else {
        x
    }
}

fn table(
    caption: &str,
    heads: &TableHeads,
    rows: impl Iterator<Item = (String, String)>,
) -> Markup {
    html! {
        details.chart-data {
            summary { (caption) }
            table {
                thead { tr { th scope="col" { (heads.label) } th scope="col" { (heads.value) } } }
                tbody {
                    @for (l, v) in rows {
                        tr { th scope="row" { bdi { (l) } } td { bdi { (v) } } }
                    }
                }
            }
        }
    }
}

/// A line over time with its 95% band on a fixed `y` range (e.g. −100..100 for NPS).
pub fn line_with_band(
    title: &str,
    table_caption: &str,
    heads: &TableHeads,
    points: &[SeriesPoint],
    y_range: (f64, f64),
    rtl: bool,
) -> Markup {
    let (h, pad_x, pad_top, pad_bottom) = (240.0, 48.0, 12.0, 32.0);
    let (ymin, ymax) = y_range;
    let plot_h = h - pad_top - pad_bottom;
    let y = |v: f64| pad_top + (ymax - v.clamp(ymin, ymax)) / (ymax - ymin) * plot_h;
    let n = points.len();
    let x = |i: usize| {
        let t = if n > 1 {
            i as f64 / (n - 1) as f64
        } else {
            0.5
        };
        hx(pad_x + t * (W - 2.0 * pad_x), rtl)
    };
    let present: Vec<(usize, &SeriesPoint, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.value.map(|v| (i, p, v)))
        .collect();
    let line: Vec<String> = present
        .iter()
        .map(|(i, _, v)| format!("{},{}", fmt(x(*i)), fmt(y(*v))))
        .collect();
    let band: Vec<String> = present
        .iter()
        .map(|(i, p, _)| format!("{},{}", fmt(x(*i)), fmt(y(p.high))))
        .chain(
            present
                .iter()
                .rev()
                .map(|(i, p, _)| format!("{},{}", fmt(x(*i)), fmt(y(p.low)))),
        )
        .collect();
    let grid: Vec<f64> = (0..=4)
        .map(|k| ymin + (ymax - ymin) * k as f64 / 4.0)
        .collect();
    let ticks: Vec<usize> = match n {
        0 => vec![],
        1 => vec![0],
        _ => vec![0, n / 2, n - 1],
    };
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {W} {h}")) role="img" aria-label=(title) direction="ltr"
                xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet" {
                title { (title) }
                @for g in &grid {
                    line.grid x1=(fmt(pad_x)) x2=(fmt(W - pad_x)) y1=(fmt(y(*g))) y2=(fmt(y(*g))) {}
                    text.axis x=(fmt(hx(pad_x - 6.0, rtl))) y=(fmt(y(*g) + 4.0))
                        text-anchor=(if rtl { "start" } else { "end" }) { (format!("{g:.0}")) }
                }
                @if present.len() > 1 {
                    polygon.band points=(band.join(" ")) {}
                    polyline.line points=(line.join(" ")) {}
                }
                @for (i, p, v) in &present {
                    @if let Some(href) = &p.href {
                        a href=(href) {
                            circle.dot cx=(fmt(x(*i))) cy=(fmt(y(*v))) r="4" { title { (p.label) ": " (p.text) } }
                        }
                    } @else {
                        circle.dot cx=(fmt(x(*i))) cy=(fmt(y(*v))) r="4" { title { (p.label) ": " (p.text) } }
                    }
                }
                @for i in &ticks {
                    text.axis x=(fmt(x(*i))) y=(fmt(h - 10.0)) text-anchor="middle" { (points[*i].label) }
                }
            }
            (table(table_caption, heads, points.iter().map(|p| (p.label.clone(), p.text.clone()))))
        }
    }
}

/// Horizontal bars on a shared `range` that includes 0, with the interval as a whisker. Labels
/// sit at the start of the reading direction and the figures in their own column at the end,
/// so long figures never run into bars or whiskers.
pub fn bars(
    title: &str,
    table_caption: &str,
    heads: &TableHeads,
    items: &[Bar],
    range: (f64, f64),
    rtl: bool,
) -> Markup {
    let (row, label_w, pad) = (28.0, 180.0, 140.0);
    let h = row * items.len().max(1) as f64 + 8.0;
    let (lo, hi) = (range.0.min(0.0), range.1.max(0.0));
    let span = (hi - lo).max(1e-9);
    let px = |v: f64| {
        hx(
            label_w + (v.clamp(lo, hi) - lo) / span * (W - label_w - pad),
            rtl,
        )
    };
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {W} {h}")) role="img" aria-label=(title) direction="ltr"
                xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet" {
                title { (title) }
                line.zero x1=(fmt(px(0.0))) x2=(fmt(px(0.0))) y1="0" y2=(fmt(h)) {}
                @for (k, b) in items.iter().enumerate() {
                    @let top = 4.0 + k as f64 * row;
                    @let (a, z) = (px(0.0).min(px(b.value)), px(0.0).max(px(b.value)));
                    g {
                        text.label x=(fmt(hx(label_w - 8.0, rtl))) y=(fmt(top + row * 0.6))
                            text-anchor=(if rtl { "start" } else { "end" }) { (b.label) }
                        @if let Some(href) = &b.href {
                            a href=(href) {
                                rect.bar.neg[b.value < 0.0] x=(fmt(a)) y=(fmt(top + 4.0)) width=(fmt((z - a).max(1.0))) height=(fmt(row - 10.0)) {
                                    title { (b.label) ": " (b.text) }
                                }
                            }
                        } @else {
                            rect.bar.neg[b.value < 0.0] x=(fmt(a)) y=(fmt(top + 4.0)) width=(fmt((z - a).max(1.0))) height=(fmt(row - 10.0)) {
                                title { (b.label) ": " (b.text) }
                            }
                        }
                        @if let Some((l, u)) = b.interval {
                            line.whisker x1=(fmt(px(l))) x2=(fmt(px(u))) y1=(fmt(top + row / 2.0 - 1.0)) y2=(fmt(top + row / 2.0 - 1.0)) {}
                        }
                        text.value x=(fmt(hx(W - 4.0, rtl))) y=(fmt(top + row * 0.6))
                            text-anchor=(if rtl { "start" } else { "end" }) { (b.text) }
                    }
                }
            }
            (table(table_caption, heads, items.iter().map(|b| (b.label.clone(), b.text.clone()))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(label: &str, v: f64) -> SeriesPoint {
        SeriesPoint {
            label: label.into(),
            value: Some(v),
            low: v - 10.0,
            high: v + 10.0,
            text: format!("{v}"),
            href: None,
        }
    }

    #[test]
    fn time_runs_in_reading_direction() {
        let heads = TableHeads {
            label: "week",
            value: "NPS",
        };
        let pts = [point("W1", 0.0), point("W2", 50.0)];
        let ltr = line_with_band("t", "c", &heads, &pts, (-100.0, 100.0), false).into_string();
        let rtl = line_with_band("t", "c", &heads, &pts, (-100.0, 100.0), true).into_string();
        // The first period sits on the left for LTR readers and on the right for RTL readers.
        assert!(
            ltr.contains("polyline class=\"line\" points=\"48.0,110.0 592.0,61.0\""),
            "{ltr}"
        );
        assert!(rtl.contains("points=\"592.0,110.0 48.0,61.0\""), "{rtl}");
        assert!(ltr.contains("<title>t</title>") && ltr.contains("<table>"));
    }

    #[test]
    fn labels_are_escaped_and_bars_mirror() {
        let heads = TableHeads {
            label: "a",
            value: "b",
        };
        let items = [Bar {
            label: "<script>".into(),
            value: 50.0,
            interval: Some((40.0, 60.0)),
            text: "50".into(),
            href: Some("/responses?x=1&y=2".into()),
        }];
        let ltr = bars("t", "c", &heads, &items, (-100.0, 100.0), false).into_string();
        assert!(!ltr.contains("<script>") && ltr.contains("&lt;script&gt;"));
        assert!(ltr.contains("href=\"/responses?x=1&amp;y=2\""));
        let rtl = bars("t", "c", &heads, &items, (-100.0, 100.0), true).into_string();
        // The plot is 640 − 180 − 140 = 320 wide: zero at 340 (LTR) and 300 (RTL), and +50 a
        // quarter further, away from the labels.
        assert!(
            ltr.contains("rect class=\"bar\" x=\"340.0\" y=\"8.0\" width=\"80.0\""),
            "{ltr}"
        );
        assert!(
            rtl.contains("x=\"220.0\" y=\"8.0\" width=\"80.0\""),
            "{rtl}"
        );
    }
}
