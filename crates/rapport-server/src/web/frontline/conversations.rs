//! The conversation list and the transcript page: every turn with what the text engine saw in
//! it, the evaluation with its evidence pointing at the turns, and the forms that follow
//! (a lead's review, the agent's acknowledgement or dispute, "I listened to this").

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use maud::{html, Markup};
use rapport_domain::conversation::Speaker;
use rapport_domain::frontline::*;
use rapport_domain::model::User;
use rapport_domain::*;
use rapport_storage::{ConversationFilter, StorageError};
use serde::Deserialize;

use super::super::layout::{csrf_input, field, page, ut};
use super::super::{CsrfForm, Ctx};
use super::*;
use crate::api::extract::{ApiPath, ApiQuery};
use crate::auth::{Auth, Frontline, Leads};
use crate::frontline as svc;

const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    agent: Option<String>,
    analysed: Option<String>,
    page: Option<i64>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub(crate) fn flags(ctx: &Ctx, flags: &[String]) -> Markup {
    html! {
        @for f in flags {
            span class=(format!("tag flag flag-{f}")) { (label(ctx, "fl-flag", f)) } " "
        }
    }
}

pub async fn list(
    auth: Auth<Frontline>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Markup> {
    let user = &auth.user;
    let org = user.org_id;
    let page_no = q.page.unwrap_or(1);
    if page_no < 1 {
        return Err(ApiError::invalid("page", "must be 1 or more"));
    }
    let people = People::load(&s, org).await?;
    let (scope_agent, scope_team) = svc::scope(user);
    let agent = blank(&q.agent)
        .map(|a| parse_id("agent", a))
        .transpose()?
        .map(UserId);
    if let Some(a) = agent {
        let team = people.0.get(&a).and_then(|u| u.team_id);
        svc::check_agent_visible(user, Some(a), team)?;
    }
    let analysed = blank(&q.analysed).is_some();
    let filter = ConversationFilter {
        agent_id: scope_agent.or(agent),
        team_id: scope_team,
        analysed_only: analysed,
        limit: PAGE_SIZE + 1,
        offset: (page_no - 1) * PAGE_SIZE,
        ..Default::default()
    };
    let mut rows = s.store.list_conversations(org, &filter).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let mut qs = form_urlencoded::Serializer::new(String::new());
    if let Some(a) = agent {
        qs.append_pair("agent", &a.0.to_string());
    }
    if analysed {
        qs.append_pair("analysed", "1");
    }
    let qs = qs.finish();
    let link = |p: i64| {
        if qs.is_empty() {
            format!("/conversations?page={p}")
        } else {
            format!("/conversations?{qs}&page={p}")
        }
    };
    let choosable = people.visible_agents(user);
    let body = html! {
        p.how { (ctx.t(if user.role == Role::Agent { "fl-conv-intro-agent" } else { "fl-conv-intro" })) }
        form.search method="get" action="/conversations" {
            @if user.role != Role::Agent {
                (field("f-agent", &ctx.t("fl-col-agent"), html! {
                    select #f-agent name="agent" {
                        option value="" { (ctx.t("fl-f-all-agents")) }
                        @for u in &choosable {
                            option value=(u.id.0) selected[agent == Some(u.id)] { (u.display_name) }
                        }
                    }
                }))
            }
            div.field.check {
                input #f-analysed type="checkbox" name="analysed" value="1" checked[analysed];
                label for="f-analysed" { (ctx.t("fl-f-analysed")) }
            }
            button type="submit" { (ctx.t("common-apply")) }
        }
        @if rows.is_empty() {
            p.muted.empty { (ctx.t("fl-conv-none")) }
        } @else {
            table.conversations {
                caption.visually-hidden { (ctx.t("fl-conv-title")) }
                thead { tr {
                    th scope="col" { (ctx.t("fl-col-when")) }
                    th scope="col" { (ctx.t("fl-col-agent")) }
                    th scope="col" { (ctx.t("fl-col-channel")) }
                    th scope="col" { (ctx.t("fl-col-language")) }
                    th scope="col" { (ctx.t("fl-col-lift")) }
                    th scope="col" { (ctx.t("fl-col-anger")) }
                    th scope="col" { (ctx.t("fl-col-qa")) }
                    th scope="col" { (ctx.t("fl-col-flags")) }
                } }
                tbody {
                    @for c in &rows {
                        tr data-conversation=(c.id.0) {
                            td { a href=(format!("/conversations/{}", c.id.0)) { (when(&ctx, c.started_at)) } }
                            td { @match (&c.agent_name, c.agent_id) {
                                (Some(n), _) => (ut(n)),
                                (None, id) => (people.name(id)),
                            } }
                            td { (channel(&ctx, c.channel)) }
                            td { @match &c.language { Some(l) => bdi { (l) }, None => span.muted { "—" } } }
                            td {
                                @if c.analysed {
                                    (from_to(&ctx, c.customer_start.map(f64::from), c.customer_end.map(f64::from)))
                                    @if let Some(l) = c.emotional_lift { " " span.lift { "(" (ctx.t("fl-lift")) " " bdi.num dir="ltr" { (signed(f64::from(l), 2)) } ")" } }
                                } @else {
                                    span.muted { (ctx.t("fl-not-analysed")) }
                                }
                            }
                            td { (fig(c.peak_anger.map(f64::from), 2)) }
                            td { (fig(c.qa_overall.map(f64::from), 0)) }
                            td { (flags(&ctx, &c.flags)) }
                        }
                    }
                }
            }
        }
        nav.pager aria-label=(ctx.t("fl-pages")) {
            @if page_no > 1 { a rel="prev" href=(link(page_no - 1)) { (ctx.t("common-prev")) } " " }
            span { (ctx.tr.ta("fl-page", &[("page", page_no.into())])) }
            @if more { " " a rel="next" href=(link(page_no + 1)) { (ctx.t("common-next")) } }
        }
    };
    Ok(page(&ctx, &ctx.t("fl-conv-title"), body))
}

// ---- the transcript page ----

pub async fn show(
    auth: Auth<Frontline>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Markup> {
    render(
        &s,
        &ctx,
        &auth.user,
        ConversationId(id),
        &Refused::default(),
    )
    .await
}

fn sentiment_bar(ctx: &Ctx, v: f32) -> Markup {
    // −1…1 onto the track; the figure beside it is what counts.
    let share = (f64::from(v) + 1.0) / 2.0;
    let class = if v <= -0.2 {
        "neg"
    } else if v >= 0.2 {
        "pos"
    } else {
        "neu"
    };
    html! {
        span class=(format!("sentiment {class}")) {
            span.k { (ctx.t("fl-sentiment")) } " "
            (bar(share, &signed(f64::from(v), 2)))
        }
    }
}

fn metric_num(m: &serde_json::Value, key: &str) -> Option<f64> {
    m.get(key).and_then(|v| v.as_f64())
}

async fn render(
    s: &AppState,
    ctx: &Ctx,
    user: &User,
    id: ConversationId,
    refused: &Refused,
) -> ApiResult<Markup> {
    let org = user.org_id;
    let c = s.store.get_conversation(org, id).await?;
    svc::check_agent_visible(user, c.summary.agent_id, c.summary.team_id)?;
    let eval = match s.store.get_evaluation(org, id).await {
        Ok(e) => Some(e),
        Err(StorageError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let rubric = svc::rubric(s, org).await?;
    let people = People::load(s, org).await?;
    let sm = &c.summary;
    let own = sm.agent_id == Some(user.id);
    let may_review = is_lead(user) && !own;
    let base = format!("/conversations/{}", id.0);
    let lang = sm.language.clone();
    // Evidence per turn: which criterion, which way, and the cue.
    let mut marks: BTreeMap<usize, Vec<(&str, &EvidenceMark)>> = BTreeMap::new();
    if let Some(e) = &eval {
        for cr in &e.criteria {
            for m in &cr.evidence {
                marks.entry(m.turn).or_default().push((cr.name.as_str(), m));
            }
        }
    }
    let metrics = c.metrics.clone().unwrap_or(serde_json::Value::Null);
    let talk = metric_num(&metrics, "agent_talk_share");
    let basis = metrics
        .get("talk_basis")
        .and_then(|v| v.as_str())
        .unwrap_or("words")
        .to_string();
    let latency = metric_num(&metrics, "median_response_seconds");
    let overtalk = metrics.get("overtalk_count").and_then(|v| v.as_u64());
    let overtalk_s = metric_num(&metrics, "overtalk_seconds");
    let monologue = metrics.get("longest_customer_monologue").cloned();
    let title = ctx.tr.ta("fl-conv-page-title", &[("id", id.0.into())]);
    let body = html! {
        section.card.fl-summary aria-labelledby="sum-h" {
            h2.visually-hidden #sum-h { (ctx.t("fl-summary")) }
            dl.figs {
                div { dt { (ctx.t("fl-col-when")) } dd { (when(ctx, sm.started_at)) } }
                div { dt { (ctx.t("fl-col-agent")) } dd { @match &sm.agent_name { Some(n) => (ut(n)), None => (people.name(sm.agent_id)) } } }
                div { dt { (ctx.t("fl-col-channel")) } dd { (channel(ctx, sm.channel)) } }
                div { dt { (ctx.t("fl-col-language")) } dd { @match &sm.language { Some(l) => bdi { (l) }, None => "—" } } }
                div { dt { (ctx.t("fl-handle-time")) } dd { @match sm.handle_seconds { Some(h) => bdi.num { (duration(h)) }, None => span.muted { "—" } } } }
                div { dt { (ctx.t("fl-external-id")) } dd { (ut(&sm.external_id)) } }
                @if let Some(cu) = sm.customer_id {
                    div { dt { (ctx.t("fl-customer")) } dd { a href=(format!("/customers/{}/brief", cu.0)) { (ctx.t("fl-open-brief")) } } }
                }
            }
            @if !sm.flags.is_empty() { p { (ctx.t("fl-col-flags")) ": " (flags(ctx, &sm.flags)) } }
        }
        @if sm.analysed {
            section.card #trajectory aria-labelledby="traj-h" {
                h2 #traj-h { (ctx.t("fl-trajectory")) }
                p.muted { (ctx.t("fl-trajectory-how")) }
                dl.figs.trajectory {
                    div { dt { (ctx.t("fl-start")) } dd { (fig_signed(sm.customer_start.map(f64::from))) } }
                    div { dt { (ctx.t("fl-lowest")) } dd { (fig_signed(sm.customer_lowest.map(f64::from))) } }
                    div { dt { (ctx.t("fl-end")) } dd { (fig_signed(sm.customer_end.map(f64::from))) } }
                    div { dt { (ctx.t("fl-lift")) } dd { (fig_signed(sm.emotional_lift.map(f64::from))) } }
                    div { dt { (ctx.t("fl-peak-anger")) } dd { (fig(sm.peak_anger.map(f64::from), 2)) } }
                }
                dl.figs.talk {
                    div { dt { (ctx.t("fl-talk-share")) } dd {
                        @match talk {
                            Some(t) => { (bar(t, &format!("{:.0}%", t * 100.0))) " " span.muted { (ctx.t(&format!("fl-basis-{basis}"))) } }
                            None => span.muted { "—" },
                        }
                    } }
                    div { dt { (ctx.t("fl-latency")) } dd { @match latency { Some(l) => bdi.num { (format!("{l:.1}")) " s" }, None => span.muted { "—" } } } }
                    div { dt { (ctx.t("fl-overtalk")) } dd {
                        bdi.num { (overtalk.unwrap_or(0)) }
                        @if let Some(o) = overtalk_s { " · " bdi.num { (format!("{o:.1}")) " s" } }
                    } }
                    @if let Some(m) = &monologue {
                        @if let (Some(first), Some(n)) = (m.get("first_turn").and_then(|v| v.as_u64()), m.get("turns").and_then(|v| v.as_u64())) {
                            div { dt { (ctx.t("fl-monologue")) } dd {
                                a href=(format!("#turn-{}", first + 1)) { (ctx.tr.ta("fl-monologue-text", &[("turns", n.into()), ("first", (first + 1).into())])) }
                            } }
                        }
                    }
                }
            }
        } @else {
            p.card.muted { (ctx.t("fl-not-analysed-long")) }
        }
        section.card #transcript aria-labelledby="tr-h" {
            h2 #tr-h { (ctx.t("fl-transcript")) }
            p.muted { (ctx.t("fl-transcript-legend")) }
            ol.transcript {
                @for (i, t) in c.turns.iter().enumerate() {
                    @let ms = marks.get(&i).map(Vec::as_slice).unwrap_or(&[]);
                    @let raised = ms.iter().any(|(_, m)| m.effect == Effect::Raised);
                    @let lowered = ms.iter().any(|(_, m)| m.effect == Effect::Lowered);
                    li.turn.customer[t.speaker == Speaker::Customer].agent[t.speaker == Speaker::Agent].raised[raised].lowered[lowered]
                        id=(format!("turn-{}", i + 1)) data-speaker=(t.speaker.as_str()) {
                        div.bubble {
                            p.turn-head {
                                strong { (ctx.t(&format!("fl-speaker-{}", t.speaker.as_str()))) }
                                " · " (ctx.tr.ta("fl-turn-n", &[("n", (i + 1).into())]))
                                @if let Some(st) = t.start { " · " bdi.num { (duration(st)) } }
                            }
                            p.text dir="auto" lang=[lang.as_deref()] { (ut(&t.text)) }
                            @if let Some(ins) = &t.insight {
                                p.insight {
                                    @if let Some(v) = ins.sentiment { (sentiment_bar(ctx, v)) }
                                    @if let Some(e) = &ins.emotion {
                                        " " span.emotion { (ctx.t("fl-emotion")) ": " (label(ctx, "fl-emo", e)) " " bdi.num { "(" (format!("{:.2}", ins.emotion_score)) ")" } }
                                    }
                                    @for sig in &ins.signals { " " span.tag.signal { (label(ctx, "fl-signal", sig)) } }
                                }
                            }
                            @for (name, m) in ms {
                                @let up = m.effect == Effect::Raised;
                                p.mark.raised[up].lowered[!up] {
                                    span.sym aria-hidden="true" { (if up { "▲" } else { "▼" }) } " "
                                    strong { (ctx.t(if up { "fl-raised" } else { "fl-lowered" })) } " "
                                    a href=(format!("#crit-{name}")) { (crit(ctx, name)) }
                                    " · " (ctx.t("fl-cue")) " " q.cue dir="auto" { (ut(&m.cue)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card #evaluation aria-labelledby="ev-h" {
            h2 #ev-h { (ctx.t("fl-evaluation")) }
            @match &eval {
                None => p.muted { (ctx.t("fl-no-evaluation")) },
                Some(e) => {
                    p.how { (ctx.t("fl-evaluation-how")) }
                    dl.figs {
                        div { dt { (ctx.t("fl-overall")) } dd.big { (fig(e.overall().map(f64::from), 0)) } }
                        div { dt { (ctx.t("fl-auto-overall")) } dd { (fig(e.auto_overall().map(f64::from), 0)) } }
                        div { dt { (ctx.t("fl-status")) } dd data-status=(e.status.as_str()) { (ctx.t(&format!("fl-status-{}", e.status.as_str()))) } }
                        @if let Some(r) = e.reviewer_id { div { dt { (ctx.t("fl-reviewer")) } dd { (people.name(Some(r))) } } }
                    }
                    table.criteria {
                        caption.visually-hidden { (ctx.t("fl-evaluation")) }
                        thead { tr {
                            th scope="col" { (ctx.t("fl-criterion")) }
                            th scope="col" { (ctx.t("fl-auto-score")) }
                            th scope="col" { (ctx.t("fl-reviewer-score")) }
                            th scope="col" { (ctx.t("fl-evidence")) }
                        } }
                        tbody {
                            @for cr in &e.criteria {
                                @let guidance = rubric.criteria.iter().find(|r| r.name == cr.name).map(|r| r.guidance.clone());
                                tr id=(format!("crit-{}", cr.name)) data-criterion=(cr.name) {
                                    th scope="row" {
                                        (crit(ctx, &cr.name))
                                        @if let Some(g) = guidance { details { summary { (ctx.t("fl-guidance")) } p lang="en" dir="auto" { (ut(&g)) } } }
                                    }
                                    td { @match cr.auto_score { Some(v) => bdi.num { (v) }, None => span.muted { (ctx.t("fl-not-applicable")) } } }
                                    td {
                                        @match cr.human_score { Some(v) => bdi.num { (v) }, None => span.muted { "—" } }
                                        @if let Some(r) = &cr.override_reason { p.reason { (ctx.t("fl-reason")) ": " (ut(r)) } }
                                    }
                                    td {
                                        @if cr.evidence.is_empty() { span.muted { (ctx.t("fl-no-evidence")) } }
                                        ul.evidence {
                                            @for m in &cr.evidence {
                                                @let up = m.effect == Effect::Raised;
                                                li.raised[up].lowered[!up] {
                                                    a href=(format!("#turn-{}", m.turn + 1)) {
                                                        span aria-hidden="true" { (if up { "▲ " } else { "▼ " }) }
                                                        (ctx.t(if up { "fl-raised" } else { "fl-lowered" })) " · "
                                                        (ctx.tr.ta("fl-turn-n", &[("n", (m.turn + 1).into())]))
                                                    }
                                                    " " q.cue dir="auto" { (ut(&m.cue)) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if let Some(n) = &e.coaching_note { div.note { h3 { (ctx.t("fl-coaching-note")) } p.pre { (ut(n)) } } }
                    @if let Some(n) = &e.agent_comment { div.note { h3 { (ctx.t("fl-agent-comment")) } p.pre { (ut(n)) } } }
                    @if may_review { (review_form(ctx, &base, e, refused)) }
                    @if own { (respond_form(ctx, &base, refused)) }
                }
            }
        }
        @if is_lead(user) || (!own && sm.agent_id.is_some()) {
            div.grid2 {
                @if is_lead(user) {
                    section.card #listened aria-labelledby="li-h" {
                        h2 #li-h { (ctx.t("fl-listened")) }
                        p.muted { (ctx.t("fl-listened-how")) }
                        (listened_form(ctx, &format!("{base}/listened"), refused))
                    }
                }
                @if let (false, Some(a)) = (own, sm.agent_id) {
                    section.card aria-labelledby="ku-h" {
                        h2 #ku-h { (ctx.t("fl-kudos")) }
                        p { a.button href=(format!("/wall?to={}&conversation={}#give", a.0, id.0)) { (ctx.t("fl-give-kudos")) } }
                    }
                }
            }
        }
    };
    Ok(page(ctx, &title, body))
}

fn review_form(ctx: &Ctx, base: &str, e: &Evaluation, r: &Refused) -> Markup {
    html! {
        section #review aria-labelledby="rv-h" {
            h3 #rv-h { (ctx.t("fl-review")) }
            p.muted { (ctx.t("fl-review-how")) }
            form.fl-form method="post" action=(format!("{base}/review")) {
                (csrf_input(ctx))
                (error_box(ctx, r, "review"))
                @for cr in &e.criteria {
                    @let sf = format!("score.{}", cr.name);
                    @let rf = format!("reason.{}", cr.name);
                    @let current = cr.score().map(|v| v.to_string()).unwrap_or_default();
                    fieldset.criterion {
                        legend { (crit(ctx, &cr.name)) " · " (ctx.t("fl-auto-score")) " " bdi.num { @match cr.auto_score { Some(v) => (v), None => "—" } } }
                        @let (inv, desc) = r.invalid("review", &sf);
                        (field(&format!("rv-{sf}"), &ctx.t("fl-your-score"), html! {
                            input id=(format!("rv-{sf}")) type="number" name=(sf) min="0" max="100" step="1" inputmode="numeric"
                                value=(r.val("review", &sf).unwrap_or(&current)) aria-invalid=[inv] aria-describedby=[desc];
                        }))
                        @let (inv, desc) = r.invalid("review", &rf);
                        (field(&format!("rv-{rf}"), &ctx.t("fl-reason-if-changed"), html! {
                            textarea id=(format!("rv-{rf}")) name=(rf) rows="2" maxlength="2000" aria-invalid=[inv] aria-describedby=[desc] {
                                (r.val("review", &rf).or(cr.override_reason.as_deref()).unwrap_or(""))
                            }
                        }))
                    }
                }
                @let (inv, desc) = r.invalid("review", "coaching_note");
                (field("rv-note", &ctx.t("fl-coaching-note"), html! {
                    textarea #rv-note name="coaching_note" rows="4" maxlength="4000" aria-invalid=[inv] aria-describedby=[desc] {
                        (r.val("review", "coaching_note").or(e.coaching_note.as_deref()).unwrap_or(""))
                    }
                }))
                button.primary type="submit" { (ctx.t("fl-review-submit")) }
            }
        }
    }
}

fn respond_form(ctx: &Ctx, base: &str, r: &Refused) -> Markup {
    let sel = r.val("respond", "response").unwrap_or("acknowledge");
    let (inv, desc) = r.invalid("respond", "comment");
    html! {
        section #respond aria-labelledby="rs-h" {
            h3 #rs-h { (ctx.t("fl-respond")) }
            p.muted { (ctx.t("fl-respond-how")) }
            form.fl-form method="post" action=(format!("{base}/respond")) {
                (csrf_input(ctx))
                (error_box(ctx, r, "respond"))
                fieldset {
                    legend { (ctx.t("fl-respond-choice")) }
                    @for (v, k) in [("acknowledge", "fl-acknowledge"), ("dispute", "fl-dispute")] {
                        div.field.check {
                            input type="radio" name="response" id=(format!("rs-{v}")) value=(v) checked[sel == v] required;
                            label for=(format!("rs-{v}")) { (ctx.t(k)) }
                        }
                    }
                }
                (field("rs-comment", &ctx.t("fl-comment"), html! {
                    textarea #rs-comment name="comment" rows="3" maxlength="4000" aria-invalid=[inv] aria-describedby=[desc.or(Some("rs-help".into()))] {
                        (r.val("respond", "comment").unwrap_or(""))
                    }
                }))
                p.muted #rs-help { (ctx.t("fl-comment-help")) }
                button.primary type="submit" { (ctx.t("fl-respond-submit")) }
            }
        }
    }
}

/// "I listened to this": minutes, the day, a note. Shared with the coaching page.
pub(crate) fn listened_form(ctx: &Ctx, action: &str, r: &Refused) -> Markup {
    let today = Utc::now().date_naive().format("%Y-%m-%d").to_string();
    html! {
        form.fl-form method="post" action=(action) {
            (csrf_input(ctx))
            (error_box(ctx, r, "listened"))
            @let (inv, desc) = r.invalid("listened", "minutes");
            (field("li-minutes", &ctx.t("fl-minutes"), html! {
                input #li-minutes type="number" name="minutes" min="1" max="480" required inputmode="numeric"
                    value=(r.val("listened", "minutes").unwrap_or("")) aria-invalid=[inv] aria-describedby=[desc];
            }))
            @let (inv, desc) = r.invalid("listened", "listened_on");
            (field("li-day", &ctx.t("fl-listened-on"), html! {
                input #li-day type="date" name="listened_on" max=(today) value=(r.val("listened", "listened_on").unwrap_or(&today))
                    aria-invalid=[inv] aria-describedby=[desc];
            }))
            @let (inv, desc) = r.invalid("listened", "note");
            (field("li-note", &ctx.t("fl-note"), html! {
                textarea #li-note name="note" rows="2" maxlength="2000" aria-invalid=[inv] aria-describedby=[desc] {
                    (r.val("listened", "note").unwrap_or(""))
                }
            }))
            button.primary type="submit" { (ctx.t("fl-listened-submit")) }
        }
    }
}

/// Builds the review from the form: a score that differs from the engine's is an override.
fn review_from(e: &Evaluation, p: &Posted) -> Result<Review, ApiError> {
    let mut overrides = Vec::new();
    for c in &e.criteria {
        let sf = format!("score.{}", c.name);
        let Some(raw) = p.get(&sf) else { continue };
        let score = raw
            .parse::<u8>()
            .ok()
            .filter(|v| *v <= 100)
            .ok_or_else(|| ApiError::invalid(&sf, "must be a whole number from 0 to 100"))?;
        if Some(score) != c.auto_score {
            overrides.push(Override {
                criterion: c.name.clone(),
                score,
                reason: p
                    .get(&format!("reason.{}", c.name))
                    .unwrap_or("")
                    .to_string(),
            });
        }
    }
    Ok(Review {
        overrides,
        coaching_note: p.get("coaching_note").map(str::to_string),
    })
}

/// Names the form control behind a review error (`overrides[2].reason` → `reason.empathy`).
fn review_field(review: &Review, err: ApiError) -> ApiError {
    match err {
        ApiError::Invalid { field, message } if field.starts_with("overrides[") => {
            let idx = field["overrides[".len()..]
                .split(']')
                .next()
                .and_then(|i| i.parse::<usize>().ok());
            let part = field.rsplit('.').next().unwrap_or("score");
            let part = if part == "criterion" { "score" } else { part };
            match idx.and_then(|i| review.overrides.get(i)) {
                Some(o) => ApiError::Invalid {
                    field: format!("{part}.{}", o.criterion),
                    message,
                },
                None => ApiError::Invalid { field, message },
            }
        }
        other => other,
    }
}

async fn settle(
    s: &AppState,
    ctx: &Ctx,
    user: &User,
    id: ConversationId,
    mut r: Refused,
    result: Result<(), ApiError>,
) -> ApiResult<Response> {
    let Err(err) = result else {
        let anchor = if r.form == "listened" {
            "listened"
        } else {
            "evaluation"
        };
        return Ok(see_other(&format!("/conversations/{}#{anchor}", id.0)));
    };
    (r.field, r.message) = refusal(err)?;
    Ok(unprocessable(render(s, ctx, user, id, &r).await?))
}

async fn visible(s: &AppState, user: &User, id: ConversationId) -> ApiResult<ConversationDetail> {
    let c = s.store.get_conversation(user.org_id, id).await?;
    svc::check_agent_visible(user, c.summary.agent_id, c.summary.team_id)?;
    Ok(c)
}

pub async fn review(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let id = ConversationId(id);
    let c = visible(&s, &auth.user, id).await?;
    let posted = Posted(f);
    let result = async {
        if c.summary.agent_id == Some(auth.user.id) {
            return Err(ApiError::invalid(
                "conversation",
                "nobody reviews their own conversation",
            ));
        }
        let mut probe = s.store.get_evaluation(auth.user.org_id, id).await?;
        let review = review_from(&probe, &posted)?;
        review
            .apply(&mut probe.criteria)
            .map_err(|e| review_field(&review, e.into()))?;
        s.store
            .review_evaluation(auth.actor(), id, &review, Utc::now())
            .await?;
        Ok(())
    }
    .await;
    let r = Refused {
        form: "review",
        posted,
        ..Default::default()
    };
    settle(&s, &ctx, &auth.user, id, r, result).await
}

pub async fn respond(
    auth: Auth<Frontline>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let id = ConversationId(id);
    let c = visible(&s, &auth.user, id).await?;
    if c.summary.agent_id != Some(auth.user.id) {
        return Err(ApiError::Forbidden);
    }
    let posted = Posted(f);
    let result = async {
        let response = match posted.get("response") {
            Some("acknowledge") => AgentResponse::Acknowledge,
            Some("dispute") => AgentResponse::Dispute,
            _ => {
                return Err(ApiError::invalid(
                    "response",
                    "choose acknowledge or dispute",
                ))
            }
        };
        let comment = posted.get("comment");
        let status = response.check(comment)?;
        s.store
            .respond_to_evaluation(auth.actor(), id, status, comment)
            .await?;
        Ok(())
    }
    .await;
    let r = Refused {
        form: "respond",
        posted,
        ..Default::default()
    };
    settle(&s, &ctx, &auth.user, id, r, result).await
}

/// Parses the "I listened" form into the domain's input.
pub(crate) fn listening_from(
    p: &Posted,
    conversation: Option<ConversationId>,
) -> Result<NewListening, ApiError> {
    let minutes = p
        .get("minutes")
        .and_then(|m| m.parse::<i32>().ok())
        .ok_or_else(|| ApiError::invalid("minutes", "must be a whole number of minutes"))?;
    let listened_on = match p.get("listened_on") {
        Some(d) => parse_day("listened_on", d)?,
        None => Utc::now().date_naive(),
    };
    let new = NewListening {
        minutes,
        conversation_id: conversation,
        listened_on,
        note: p.get("note").map(str::to_string),
    };
    new.validate(Utc::now().date_naive())?;
    Ok(new)
}

pub async fn listened(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let id = ConversationId(id);
    visible(&s, &auth.user, id).await?;
    let posted = Posted(f);
    let result = async {
        let new = listening_from(&posted, Some(id))?;
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
    settle(&s, &ctx, &auth.user, id, r, result).await
}
