//! Employee ambassadorship and the EX→CX linkage (seed 001): pulses for managers, results for
//! everyone (aggregates only, small groups hidden), customer behaviour for leads, and the
//! linkage with its scatter plot, statistics and plain-language reading. Handlers are thin:
//! the numbers come from `crate::ambassadorship`, the role rules are the API's.

mod behaviour;
mod linkage;
mod pulses;
mod results;
mod scatter;

use super::Routes;
use maud::{html, Markup};
use rapport_domain::model::User;
use rapport_domain::role::Access;

use super::Ctx;
use crate::error::ApiError;

pub(super) fn router() -> Routes {
    Routes::new()
        .get("/pulses", pulses::list)
        .post("/pulses", pulses::create)
        .get("/pulses/{id}", pulses::show)
        .post("/pulses/{id}/open", pulses::open)
        .post("/pulses/{id}/close", pulses::close)
        .get("/pulse-results", results::show)
        .get("/behaviour", behaviour::show)
        .get("/linkage", linkage::show)
}

/// The four ambassadorship pages, as far as the viewer may open them.
fn tabs(ctx: &Ctx, user: &User) -> Markup {
    let items = [
        ("/pulses", "amb-tab-pulses", Access::Managers),
        ("/pulse-results", "amb-tab-results", Access::Members),
        ("/behaviour", "amb-tab-behaviour", Access::Leads),
        ("/linkage", "amb-tab-linkage", Access::Members),
    ];
    html! {
        nav.amb-tabs aria-label=(ctx.t("amb-tabs-label")) {
            ul {
                @for (href, key, access) in items {
                    @if access.allows(user.role) {
                        @let current = ctx.path == href || ctx.path.starts_with(&format!("{href}/"));
                        li { a href=(href) aria-current=[current.then_some("page")] { (ctx.t(key)) } }
                    }
                }
            }
        }
    }
}

/// The name of a measure (`ambassadorship.customer`, `retention_90d`…) in the reader's language.
fn measure(ctx: &Ctx, name: &str) -> String {
    let id = format!("linkage-m-{}", name.replace('.', "-"));
    let s = ctx.t(&id);
    if s == id {
        name.replace(['_', '.'], " ")
    } else {
        s
    }
}

/// A value of a measure as people read it: shares as percentages, NPS-like scores signed.
fn measure_value(name: &str, v: f64) -> String {
    if name.ends_with("_90d") {
        format!("{:.0}%", v * 100.0)
    } else if name == "enps" || name == "nps" {
        super::frontline::signed(v, 0)
    } else {
        format!("{v:.0}")
    }
}

/// A share (0–1) as a percentage, isolated and left to right.
fn pct(v: Option<f64>) -> Markup {
    match v {
        Some(v) => html! { bdi.num dir="ltr" { (format!("{:.0}%", v * 100.0)) } },
        None => html! { span.muted { "—" } },
    }
}

/// The localised explanation of a refused field; the technical detail stays below in English.
fn refusal_key(field: &str) -> &'static str {
    match field {
        "title" => "amb-err-title",
        "period" => "amb-err-period",
        "ex" => "amb-err-ex",
        "cx" => "amb-err-cx",
        "lag" => "amb-err-lag",
        "quarters" => "amb-err-quarters",
        _ => "amb-err-generic",
    }
}

/// A refused form or query: the field to blame and why.
#[derive(Debug, Default)]
struct Problem {
    field: String,
    message: String,
}

impl Problem {
    /// A refusal a person can fix becomes a [`Problem`]; anything else stays an error.
    fn from_error(err: ApiError) -> Result<Problem, ApiError> {
        super::frontline::refusal(err).map(|(field, message)| Problem { field, message })
    }

    fn on(&self, field: &str) -> bool {
        self.field == field
    }

    /// `aria-invalid` and `aria-describedby` for a control.
    fn aria(&self, field: &str) -> (Option<&'static str>, Option<&'static str>) {
        if self.on(field) {
            (Some("true"), Some("amb-error"))
        } else {
            (None, None)
        }
    }
}

fn error_box(ctx: &Ctx, p: Option<&Problem>) -> Markup {
    html! {
        @if let Some(p) = p {
            div.error role="alert" #amb-error data-field=(p.field) {
                p { strong { (ctx.t(refusal_key(&p.field))) } }
                p.detail lang="en" dir="ltr" { code { (p.field) } ": " (p.message) }
            }
        }
    }
}
