//! Page chrome: `<html lang dir>`, navigation by role, language picker, error pages.

use axum::http::StatusCode;
use maud::{html, Markup, DOCTYPE};
use rapport_domain::role::Access;
use rapport_domain::values::is_bidi_control;
use rapport_domain::{Locale, Role};

use super::Ctx;
use crate::i18n::Tr;

/// User-supplied text: HTML-escaped by maud, bidi controls neutralised (they could reorder
/// what the reader sees), and isolated with `<bdi>` so Hebrew inside English (or the reverse)
/// cannot scramble the surrounding layout.
pub fn ut(s: &str) -> Markup {
    let clean: String = s
        .chars()
        .map(|c| if is_bidi_control(c) { '\u{FFFD}' } else { c })
        .collect();
    html! { bdi { (clean) } }
}

pub fn role_name(tr: &Tr, role: Role) -> String {
    tr.t(&format!("role-{}", role.as_str()))
}

struct NavItem {
    href: &'static str,
    key: &'static str,
    access: Access,
}

const NAV: [NavItem; 18] = [
    NavItem {
        href: "/",
        key: "nav-home",
        access: Access::Members,
    },
    NavItem {
        href: "/insights",
        key: "nav-insights",
        access: Access::Members,
    },
    NavItem {
        href: "/journeys",
        key: "nav-journeys",
        access: Access::Members,
    },
    NavItem {
        href: "/surveys",
        key: "nav-surveys",
        access: Access::Leads,
    },
    NavItem {
        href: "/responses",
        key: "nav-responses",
        access: Access::Leads,
    },
    NavItem {
        href: "/cases",
        key: "nav-cases",
        access: Access::Leads,
    },
    NavItem {
        href: "/customers",
        key: "nav-customers",
        access: Access::Frontline,
    },
    NavItem {
        href: "/conversations",
        key: "nav-conversations",
        access: Access::Frontline,
    },
    NavItem {
        href: "/scorecards",
        key: "nav-scorecards",
        access: Access::Frontline,
    },
    NavItem {
        href: "/coaching",
        key: "nav-coaching",
        access: Access::Leads,
    },
    NavItem {
        href: "/wall",
        key: "nav-wall",
        access: Access::Members,
    },
    NavItem {
        href: "/pulses",
        key: "nav-pulses",
        access: Access::Managers,
    },
    NavItem {
        href: "/linkage",
        key: "nav-linkage",
        access: Access::Members,
    },
    NavItem {
        href: "/teams",
        key: "nav-teams",
        access: Access::Members,
    },
    NavItem {
        href: "/users",
        key: "nav-users",
        access: Access::Leads,
    },
    NavItem {
        href: "/settings",
        key: "nav-settings",
        access: Access::Members,
    },
    NavItem {
        href: "/tokens",
        key: "nav-tokens",
        access: Access::Members,
    },
    NavItem {
        href: "/audit",
        key: "nav-audit",
        access: Access::Admins,
    },
];

fn head(tr: &Tr, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · " (tr.t("app-name")) }
            link rel="stylesheet" href="/assets/app.css";
            link rel="stylesheet" href="/assets/surveys.css";
            link rel="stylesheet" href="/assets/insights.css";
            link rel="stylesheet" href="/assets/cases.css";
            link rel="stylesheet" href="/assets/alerts.css";
            link rel="stylesheet" href="/assets/webhooks.css";
            link rel="stylesheet" href="/assets/frontline.css";
            link rel="stylesheet" href="/assets/ambassadorship.css";
        }
    }
}

fn language_form(ctx: &Ctx) -> Markup {
    html! {
        form.lang method="post" action="/locale" {
            input type="hidden" name="csrf" value=(ctx.csrf);
            input type="hidden" name="back" value=(ctx.path);
            label for="lang-select" { (ctx.t("nav-language")) }
            select #lang-select name="locale" {
                @for l in Locale::ALL {
                    option value=(l.as_str()) lang=(l.as_str()) selected[l == ctx.locale()] { (l.native_name()) }
                }
            }
            button type="submit" { (ctx.t("common-apply")) }
        }
    }
}

/// A full page for a signed-in (or anonymous) viewer.
pub fn page(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let locale = ctx.locale();
    html! {
        (DOCTYPE)
        html lang=(locale.as_str()) dir=(locale.dir()) {
            (head(&ctx.tr, title))
            body {
                a.skip href="#main" { (ctx.t("nav-skip")) }
                header.top {
                    a.brand href="/" { (ctx.t("app-name")) }
                    @if let Some(user) = &ctx.user {
                        nav aria-label=(ctx.t("nav-label")) {
                            ul {
                                @for item in NAV.iter().filter(|i| i.access.allows(user.role)) {
                                    @let current = item.href == ctx.path || (item.href != "/" && ctx.path.starts_with(item.href));
                                    li { a href=(item.href) aria-current=[current.then_some("page")] { (ctx.t(item.key)) } }
                                }
                            }
                        }
                        div.who {
                            span { (ut(&user.display_name)) " · " (role_name(&ctx.tr, user.role)) }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(ctx.csrf);
                                button.link type="submit" { (ctx.t("nav-logout")) }
                            }
                        }
                    }
                    (language_form(ctx))
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer { (ctx.t("footer-text")) }
            }
        }
    }
}

/// The page shown for an error on a web route.
pub fn error_page(tr: &Tr, status: StatusCode, message: &str) -> Markup {
    let locale = tr.locale;
    let key = match status.as_u16() {
        403 => "error-403",
        404 => "error-404",
        413 => "error-413",
        422 | 400 | 409 => "error-422",
        429 => "error-429",
        503 => "error-503",
        _ => "error-generic",
    };
    let title = tr.t("error-title");
    html! {
        (DOCTYPE)
        html lang=(locale.as_str()) dir=(locale.dir()) {
            (head(tr, &title))
            body {
                main #main {
                    h1 { (title) " " bdi { (status.as_u16()) } }
                    p { (tr.t(key)) }
                    @if !message.is_empty() && status != StatusCode::INTERNAL_SERVER_ERROR {
                        // The message may quote the request (a parameter's name or value).
                        p.detail lang="en" dir="ltr" { (ut(message)) }
                    }
                    p { a href="/" { (tr.t("error-back")) } }
                }
            }
        }
    }
}

/// A labelled form field; labels are always present for screen readers.
pub fn field(id: &str, label: &str, control: Markup) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            (control)
        }
    }
}

pub fn csrf_input(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf); }
}

/// A number in the reader's locale, isolated so digits keep their order inside RTL text.
pub fn num(n: i64) -> Markup {
    html! { bdi.num { (n) } }
}

pub fn flash(msg: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = msg {
            p.flash role="status" { (m) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ut;

    #[test]
    fn user_text_is_escaped_and_bidi_neutralised() {
        let out = ut("<script>alert(1)</script>\u{202E}gnp.exe").into_string();
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;"));
        assert!(!out.contains('\u{202E}'));
        assert!(out.starts_with("<bdi>"));
    }
}
