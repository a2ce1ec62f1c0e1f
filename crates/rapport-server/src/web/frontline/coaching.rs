//! The lead's desk: coaching sessions and a form to record one, listening time against the
//! monthly target with the "listen next" queue, calibration of the auto-QA against reviewers,
//! and the teams' check-in mood (small groups hidden).

use axum::extract::State;
use axum::response::Response;
use chrono::{Datelike, Duration, Utc};
use maud::{html, Markup};
use rapport_domain::frontline::*;
use rapport_domain::model::User;
use rapport_domain::*;

use super::super::layout::{csrf_input, field, page, ut};
use super::super::{CsrfForm, Ctx};
use super::conversations::{listened_form, listening_from};
use super::*;
use crate::auth::{Auth, Leads};
use crate::frontline as svc;
use crate::known_examples::listen_next_for;

pub async fn show(auth: Auth<Leads>, ctx: Ctx, State(s): State<AppState>) -> ApiResult<Markup> {
    render(&s, &ctx, &auth.user, &Refused::default()).await
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

async fn render(s: &AppState, ctx: &Ctx, user: &User, r: &Refused) -> ApiResult<Markup> {
    let org = user.org_id;
    let (scope_agent, scope_team) = svc::scope(user);
    let sessions = s.store.list_coaching(org, scope_agent, scope_team).await?;
    let rubric = svc::rubric(s, org).await?;
    let people = People::load(s, org).await?;
    let agents: Vec<&User> = people
        .visible_agents(user)
        .into_iter()
        .filter(|u| u.id != user.id)
        .collect();
    let today = Utc::now().date_naive();
    let month_start = today.with_day(1).unwrap_or(today);
    let attainment = s
        .store
        .listening_attainment(org, month_start, today)
        .await?;
    let mine = s
        .store
        .listening_entries(org, user.id, month_start, today)
        .await?;
    let next = listen_next_for(s, user, 10).await?;
    let reviewed = s
        .store
        .reviewed_evaluations(org, Utc::now() - Duration::days(90))
        .await?;
    let calibration = agreement(&reviewed);
    let min_group = s.store.min_group_size(org).await?.max(FLOOR_MIN_GROUP_SIZE);
    let mood: Vec<MoodGroup> = s
        .store
        .mood_by_team(org, today - Duration::weeks(12))
        .await?
        .into_iter()
        .filter(|g| scope_team.is_none_or(|t| t == g.team_id))
        .collect();
    let form_sel = |name: &str| r.val("coaching", name).unwrap_or("").to_string();
    let body = html! {
        p.how { (ctx.t("fl-coaching-intro")) }
        p { a href="/lead-ratings" { (ctx.t("fl-ratings-title")) } }
        section.card #sessions aria-labelledby="co-h" {
            h2 #co-h { (ctx.t("fl-sessions")) }
            @if sessions.is_empty() {
                p.muted { (ctx.t("fl-sessions-none")) }
            } @else {
                table.coaching {
                    thead { tr {
                        th scope="col" { (ctx.t("fl-col-agent")) }
                        th scope="col" { (ctx.t("fl-focus")) }
                        th scope="col" { (ctx.t("fl-agreed")) }
                        th scope="col" { (ctx.t("fl-follow-up")) }
                        th scope="col" { (ctx.t("fl-before-after")) }
                    } }
                    tbody {
                        @for c in &sessions {
                            tr data-coaching=(c.id.0) {
                                td { (ut(&c.agent_name)) br; span.muted { (ctx.t("fl-with")) " " (ut(&c.manager_name)) " · " (when(ctx, c.created_at)) } }
                                td { (crit(ctx, &c.focus)) }
                                td { p.pre { (ut(&c.agreed)) }
                                    @if !c.conversation_ids.is_empty() {
                                        p { @for id in &c.conversation_ids { a href=(format!("/conversations/{}", id.0)) { bdi { "#" (id.0) } } " " } }
                                    }
                                }
                                td { (day(ctx, c.follow_up_on)) @if c.follow_up_on <= today { " " strong.due { (ctx.t("fl-due")) } } }
                                td {
                                    (from_to_plain(ctx, c.focus_before, c.focus_after))
                                    br; span.muted { (ctx.tr.ta("fl-after-n", &[("n", c.after_n.into())])) }
                                }
                            }
                        }
                    }
                }
            }
            h3 #new-h { (ctx.t("fl-new-session")) }
            form.fl-form method="post" action="/coaching" aria-labelledby="new-h" {
                (csrf_input(ctx))
                (error_box(ctx, r, "coaching"))
                @let (inv, desc) = r.invalid("coaching", "agent_id");
                @let a_sel = form_sel("agent_id");
                (field("co-agent", &ctx.t("fl-col-agent"), html! {
                    select #co-agent name="agent_id" required aria-invalid=[inv] aria-describedby=[desc.clone()] {
                        @for u in &agents { option value=(u.id.0) selected[a_sel == u.id.0.to_string()] { (u.display_name) } }
                    }
                }))
                @let (inv, desc) = r.invalid("coaching", "focus");
                @let f_sel = form_sel("focus");
                (field("co-focus", &ctx.t("fl-focus"), html! {
                    select #co-focus name="focus" required aria-invalid=[inv] aria-describedby=[desc] {
                        @for c in &rubric.criteria { option value=(c.name) selected[f_sel == c.name] { (crit(ctx, &c.name)) } }
                    }
                }))
                @let (inv, desc) = r.invalid("coaching", "agreed");
                (field("co-agreed", &ctx.t("fl-agreed"), html! {
                    textarea #co-agreed name="agreed" rows="3" maxlength="4000" required aria-invalid=[inv] aria-describedby=[desc] { (form_sel("agreed")) }
                }))
                @let (inv, desc) = r.invalid("coaching", "follow_up_on");
                @let fu = r.val("coaching", "follow_up_on").map(str::to_string).unwrap_or_else(|| (today + Duration::days(14)).format("%Y-%m-%d").to_string());
                (field("co-follow", &ctx.t("fl-follow-up"), html! {
                    input #co-follow type="date" name="follow_up_on" required min=(today.format("%Y-%m-%d")) value=(fu) aria-invalid=[inv] aria-describedby=[desc];
                }))
                @let (inv, desc) = r.invalid("coaching", "conversation_ids");
                (field("co-convs", &ctx.t("fl-conversation-ids"), html! {
                    input #co-convs name="conversation_ids" inputmode="numeric" value=(form_sel("conversation_ids")) aria-invalid=[inv] aria-describedby=[desc.or(Some("co-convs-help".into()))];
                }))
                p.muted #co-convs-help { (ctx.t("fl-conversation-ids-help")) }
                button.primary type="submit" { (ctx.t("fl-new-session-submit")) }
            }
        }
        section.card #listening aria-labelledby="ls-h" {
            h2 #ls-h { (ctx.t("fl-listening")) }
            p.muted { (ctx.t("fl-listening-how")) }
            table.listening {
                caption { (ctx.tr.ta("fl-listening-month", &[("month", month_start.format("%Y-%m").to_string().into())])) }
                thead { tr { th scope="col" { (ctx.t("fl-manager")) } th scope="col" { (ctx.t("fl-minutes-vs-target")) } } }
                tbody {
                    @for a in &attainment {
                        tr class=[(a.manager_id == user.id).then_some("mine")] {
                            th scope="row" { (ut(&a.manager_name)) " " span.muted { "(" (super::super::layout::role_name(&ctx.tr, a.role)) ")" } }
                            td { (bar(a.attainment, &ctx.tr.ta("fl-minutes-of", &[("minutes", a.minutes.into()), ("target", a.target_minutes.into()), ("pct", pct(a.attainment).into())]))) }
                        }
                    }
                }
            }
            div.grid2 {
                div {
                    h3 { (ctx.t("fl-my-entries")) }
                    @if mine.is_empty() { p.muted { (ctx.t("fl-my-entries-none")) } }
                    ul.entries {
                        @for e in &mine {
                            li {
                                (day(ctx, e.listened_on)) " · " (ctx.tr.ta("fl-n-minutes", &[("n", e.minutes.into())]))
                                @if let Some(c) = e.conversation_id { " · " a href=(format!("/conversations/{}", c.0)) { bdi { "#" (c.0) } } }
                                @if let Some(n) = &e.note { " · " (ut(n)) }
                            }
                        }
                    }
                    h3 { (ctx.t("fl-listened-submit")) }
                    (listened_form(ctx, "/coaching/listening", r))
                }
                div #listen-next {
                    h3 { (ctx.t("fl-listen-next")) }
                    p.muted { (ctx.t("fl-listen-next-how")) }
                    @if next.is_empty() { p.muted { (ctx.t("fl-listen-next-none")) } }
                    ol.listen-next {
                        @for n in &next {
                            li {
                                a href=(format!("/conversations/{}", n.conversation.id.0)) {
                                    (when(ctx, n.conversation.started_at))
                                    @if let Some(a) = &n.conversation.agent_name { " · " (ut(a)) }
                                }
                                " — " @for (i, reason) in n.reasons.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    (label(ctx, "fl-why", reason))
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card #calibration aria-labelledby="ca-h" {
            h2 #ca-h { (ctx.t("fl-calibration")) }
            p.muted { (ctx.t("fl-calibration-how")) }
            @if calibration.is_empty() {
                p.muted { (ctx.t("fl-calibration-none")) }
            } @else {
                table.calibration {
                    thead { tr {
                        th scope="col" { (ctx.t("fl-criterion")) }
                        th scope="col" { (ctx.t("fl-cal-n")) }
                        th scope="col" { (ctx.t("fl-cal-kept")) }
                        th scope="col" { (ctx.t("fl-cal-within")) }
                        th scope="col" { (ctx.t("fl-cal-diff")) }
                        th scope="col" { (ctx.t("fl-cal-bias")) }
                    } }
                    tbody {
                        @for a in &calibration {
                            tr data-criterion=(a.criterion) {
                                th scope="row" { (crit(ctx, &a.criterion)) }
                                td { bdi.num { (a.n) } }
                                td { bdi.num { (pct(a.kept)) } }
                                td { bdi.num { (pct(a.within_10)) } }
                                td { bdi.num { (format!("{:.1}", a.mean_abs_diff)) } }
                                td { bdi.num dir="ltr" { (signed(a.mean_bias, 1)) } " "
                                    span.muted { (ctx.t(if a.mean_bias > 2.0 { "fl-bias-harsh" } else if a.mean_bias < -2.0 { "fl-bias-lenient" } else { "fl-bias-none" })) } }
                            }
                        }
                    }
                }
            }
        }
        section.card #mood aria-labelledby="mo-h" {
            h2 #mo-h { (ctx.t("fl-mood")) }
            p.muted { (ctx.tr.ta("fl-mood-how", &[("n", min_group.into())])) }
            @if mood.is_empty() {
                p.muted { (ctx.t("fl-mood-none")) }
            } @else {
                table.mood {
                    thead { tr {
                        th scope="col" { (ctx.t("fl-team")) }
                        th scope="col" { (ctx.t("fl-week")) }
                        th scope="col" { (ctx.t("fl-mood-mean")) }
                    } }
                    tbody {
                        @for g in &mood {
                            tr class=[g.suppressed.then_some("suppressed")] {
                                th scope="row" { (ut(&g.team_name)) }
                                td { bdi { (g.week) } }
                                td {
                                    @match (g.suppressed, g.mean_mood, g.n) {
                                        (false, Some(m), Some(n)) => {
                                            (bar((m - 1.0) / 4.0, &format!("{m:.1} / 5")))
                                            " " span.muted { (ctx.tr.ta("fl-answers", &[("n", n.into())])) }
                                        }
                                        _ => span.hidden-group { (ctx.t("fl-mood-hidden")) },
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(ctx, &ctx.t("fl-coaching-title"), body))
}

/// Before → after without the plus sign (scores 0–100, not sentiment).
fn from_to_plain(ctx: &Ctx, a: Option<f64>, b: Option<f64>) -> Markup {
    html! {
        span.fromto {
            (fig(a, 0)) " " span.arrow aria-hidden="true" { "→" } " " (fig(b, 0))
            span.visually-hidden {
                (ctx.tr.ta("fl-from-to", &[
                    ("from", a.map(|v| format!("{v:.0}")).unwrap_or_else(|| "—".into()).into()),
                    ("to", b.map(|v| format!("{v:.0}")).unwrap_or_else(|| "—".into()).into()),
                ]))
            }
        }
    }
}

async fn settle(
    s: &AppState,
    ctx: &Ctx,
    user: &User,
    mut r: Refused,
    result: Result<(), ApiError>,
    anchor: &str,
) -> ApiResult<Response> {
    let Err(err) = result else {
        return Ok(see_other(&format!("/coaching#{anchor}")));
    };
    (r.field, r.message) = refusal(err)?;
    Ok(unprocessable(render(s, ctx, user, &r).await?))
}

pub async fn create(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let posted = Posted(f);
    let user = &auth.user;
    let result = async {
        let agent_id = UserId(parse_id("agent_id", posted.get("agent_id").unwrap_or(""))?);
        let follow_up_on = parse_day("follow_up_on", posted.get("follow_up_on").unwrap_or(""))?;
        let conversation_ids = posted
            .get("conversation_ids")
            .unwrap_or("")
            .split([',', ' '])
            .filter(|x| !x.trim().is_empty())
            .map(|x| {
                parse_id("conversation_ids", x.trim().trim_start_matches('#')).map(ConversationId)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let new = NewCoaching {
            agent_id,
            focus: posted.get("focus").unwrap_or("").to_string(),
            agreed: posted.get("agreed").unwrap_or("").to_string(),
            conversation_ids,
            follow_up_on,
        };
        let rubric = svc::rubric(&s, user.org_id).await?;
        let names: Vec<String> = rubric.criteria.iter().map(|c| c.name.clone()).collect();
        new.validate(&names, Utc::now().date_naive())?;
        let agent = s
            .store
            .get_user(user.org_id, new.agent_id)
            .await
            .map_err(|_| ApiError::invalid("agent_id", "no such colleague"))?;
        if svc::check_agent_visible(user, Some(agent.id), agent.team_id).is_err() {
            return Err(ApiError::invalid("agent_id", "is not in your team"));
        }
        s.store
            .create_coaching(auth.actor(), &new, Utc::now())
            .await?;
        Ok(())
    }
    .await;
    let r = Refused {
        form: "coaching",
        posted,
        ..Default::default()
    };
    settle(&s, &ctx, user, r, result, "sessions").await
}

pub async fn log_listening(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let posted = Posted(f);
    let result = async {
        let new = listening_from(&posted, None)?;
        s.store
            .log_listening(auth.actor(), &new, Utc::now())
            .await?;
        Ok(())
    }
    .await;
    let r = Refused {
        form: "listened",
        posted,
        ..Default::default()
    };
    settle(&s, &ctx, &auth.user, r, result, "listening").await
}
