//! The recognition wall: kudos (public, and private ones the viewer gave or got), approved
//! legacy stories, the forms to give kudos and propose a story, and for leads the drafts to
//! approve and the customer praise nobody has recognised yet.

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use maud::{html, Markup};
use rapport_domain::frontline::*;
use rapport_domain::model::User;
use rapport_domain::role::Access;
use rapport_domain::voc::ResponseId;
use rapport_domain::*;
use serde::Deserialize;

use super::super::layout::{csrf_input, field, page, ut};
use super::super::{CsrfForm, Ctx};
use super::*;
use crate::api::extract::{ApiPath, ApiQuery};
use crate::auth::{Auth, Frontline, Leads, Members};
use crate::frontline as svc;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallQuery {
    team: Option<String>,
    value: Option<String>,
    /// Prefills the kudos form (from a conversation page).
    to: Option<String>,
    conversation: Option<String>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub async fn show(
    auth: Auth<Members>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<WallQuery>,
) -> ApiResult<Markup> {
    render(&s, &ctx, &auth.user, &q, &Refused::default()).await
}

/// Whether the viewer may open a conversation about this person (so links never lead to 403).
fn may_open(viewer: &User, agent: UserId, team: Option<TeamId>) -> bool {
    can_see_agent(viewer.role, viewer.id, viewer.team_id, agent, team)
}

fn story_item(ctx: &Ctx, viewer: &User, st: &Story) -> Markup {
    html! {
        article.story data-story=(st.id.0) {
            h3 { (ut(&st.title)) }
            p.meta { (ut(&st.agent_name)) " · " span.tag { (ut(&st.value)) } " · " (when(ctx, st.created_at)) }
            dl.story-parts {
                div { dt { (ctx.t("fl-story-customer-words")) } dd { blockquote dir="auto" { (ut(&st.customer_words)) } } }
                div { dt { (ctx.t("fl-story-agent-did")) } dd.pre { (ut(&st.agent_did)) } }
                div { dt { (ctx.t("fl-story-outcome")) } dd.pre { (ut(&st.outcome)) } }
            }
            @if let Some(c) = st.conversation_id.filter(|_| may_open(viewer, st.agent_id, st.team_id)) {
                p { a href=(format!("/conversations/{}", c.0)) { (ctx.t("fl-open-conversation")) } }
            }
        }
    }
}

async fn render(
    s: &AppState,
    ctx: &Ctx,
    user: &User,
    q: &WallQuery,
    r: &Refused,
) -> ApiResult<Markup> {
    let org = user.org_id;
    let people = People::load(s, org).await?;
    let teams = s.store.list_teams(org).await?;
    let team = blank(&q.team)
        .map(|t| parse_id("team", t))
        .transpose()?
        .map(TeamId);
    let value = blank(&q.value);
    let kudos = s.store.list_kudos(org, user.id, None, 100).await?;
    let stories = s.store.list_stories(org, team, value, true).await?;
    let all_values: Vec<String> = {
        let mut v: Vec<String> = s
            .store
            .list_stories(org, None, None, true)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let lead = is_lead(user);
    let (_, scope_team) = svc::scope(user);
    let drafts: Vec<Story> = if lead {
        s.store
            .list_stories(org, scope_team, None, false)
            .await?
            .into_iter()
            .filter(|st| !st.approved && st.agent_id != user.id)
            .filter(|st| may_open(user, st.agent_id, st.team_id))
            .collect()
    } else {
        Vec::new()
    };
    let praise = if lead {
        crate::known_examples::praise_for(s, user, 20).await?
    } else {
        Vec::new()
    };
    let recipients: Vec<&User> = people
        .active()
        .into_iter()
        .filter(|u| u.id != user.id)
        .collect();
    let story_agents: Vec<&User> = people
        .active()
        .into_iter()
        .filter(|u| matches!(u.role, Role::Agent | Role::TeamLead))
        .collect();
    let kv = |name: &str| r.val("kudos", name).map(str::to_string);
    let to_sel = kv("to_user")
        .or_else(|| blank(&q.to).map(str::to_string))
        .unwrap_or_default();
    let conv_pre = kv("conversation_id")
        .or_else(|| blank(&q.conversation).map(str::to_string))
        .unwrap_or_default();
    let private = r.val("kudos", "visibility") == Some("private");
    let sv = |name: &str| r.val("story", name).unwrap_or("").to_string();
    let story_agent_sel = r
        .val("story", "agent_id")
        .map(str::to_string)
        .unwrap_or_else(|| user.id.0.to_string());
    let body = html! {
        p.how { (ctx.t("fl-wall-intro")) }
        @if rapport_domain::role::Access::Frontline.allows(user.role) {
            p { a href="/me/lead-rating" { (ctx.t("fl-rate-title")) } }
        }
        div.wall-grid {
            section.card #kudos aria-labelledby="ku-h" {
                h2 #ku-h { (ctx.t("fl-kudos")) }
                @if kudos.is_empty() { p.muted { (ctx.t("fl-kudos-none")) } }
                ul.kudos {
                    @for k in &kudos {
                        li.kudo.private[!k.public] data-kudos=(k.id.0) {
                            p.meta {
                                (ut(&k.from_name)) " " span.arrow aria-hidden="true" { "→" } " " span.visually-hidden { (ctx.t("fl-to")) } " " strong { (ut(&k.to_name)) }
                                " · " (when(ctx, k.created_at))
                                @if !k.public { " · " span.badge.private { span aria-hidden="true" { "🔒 " } (ctx.t("fl-private")) } }
                            }
                            p.message dir="auto" { (ut(&k.message)) }
                            @if let Some(c) = k.conversation_id.filter(|_| may_open(user, k.to_user, k.to_team)) {
                                p { a href=(format!("/conversations/{}", c.0)) { (ctx.t("fl-open-conversation")) } }
                            }
                        }
                    }
                }
            }
            section.card #give aria-labelledby="give-h" {
                h2 #give-h { (ctx.t("fl-give-kudos")) }
                form.fl-form method="post" action="/wall/kudos" {
                    (csrf_input(ctx))
                    (error_box(ctx, r, "kudos"))
                    @let (inv, desc) = r.invalid("kudos", "to_user");
                    (field("ku-to", &ctx.t("fl-to-whom"), html! {
                        select #ku-to name="to_user" required aria-invalid=[inv] aria-describedby=[desc] {
                            option value="" { (ctx.t("fl-choose")) }
                            @for u in &recipients { option value=(u.id.0) selected[to_sel == u.id.0.to_string()] { (u.display_name) } }
                        }
                    }))
                    @let (inv, desc) = r.invalid("kudos", "message");
                    (field("ku-msg", &ctx.t("fl-message"), html! {
                        textarea #ku-msg name="message" rows="3" maxlength="1000" required aria-invalid=[inv] aria-describedby=[desc] { (kv("message").unwrap_or_default()) }
                    }))
                    fieldset {
                        legend { (ctx.t("fl-visibility")) }
                        div.field.check {
                            input #ku-public type="radio" name="visibility" value="public" checked[!private];
                            label for="ku-public" { (ctx.t("fl-public-help")) }
                        }
                        div.field.check {
                            input #ku-private type="radio" name="visibility" value="private" checked[private];
                            label for="ku-private" { (ctx.t("fl-private-help")) }
                        }
                    }
                    @let (inv, desc) = r.invalid("kudos", "conversation_id");
                    (field("ku-conv", &ctx.t("fl-conversation-id"), html! {
                        input #ku-conv name="conversation_id" inputmode="numeric" value=(conv_pre) aria-invalid=[inv] aria-describedby=[desc];
                    }))
                    input type="hidden" name="response_id" value=(kv("response_id").unwrap_or_default());
                    button.primary type="submit" { (ctx.t("fl-give-kudos-submit")) }
                }
            }
        }
        @if lead {
            section.card #praise aria-labelledby="pr-h" {
                h2 #pr-h { (ctx.t("fl-praise")) }
                p.muted { (ctx.t("fl-praise-how")) }
                @if praise.is_empty() { p.muted { (ctx.t("fl-praise-none")) } }
                ul.praise {
                    @for (i, p) in praise.iter().enumerate() {
                        li {
                            p.meta {
                                strong { (ut(&p.agent_name)) } " · " (when(ctx, p.at))
                                @for reason in &p.reasons { " · " span.why { (label(ctx, "fl-why", reason)) } }
                            }
                            blockquote dir="auto" { (ut(&p.quote)) }
                            @if p.agent_id != user.id {
                                form.inline method="post" action="/wall/kudos" {
                                    (csrf_input(ctx))
                                    input type="hidden" name="to_user" value=(p.agent_id.0);
                                    input type="hidden" name="visibility" value="public";
                                    @if let Some(c) = p.conversation_id { input type="hidden" name="conversation_id" value=(c.0); }
                                    @if let Some(rid) = p.response_id { input type="hidden" name="response_id" value=(rid.0); }
                                    @let msg: String = ctx.tr.ta("fl-praise-message", &[("quote", p.quote.chars().take(900).collect::<String>().into())]);
                                    (field(&format!("pr-msg-{i}"), &ctx.t("fl-message"), html! {
                                        input id=(format!("pr-msg-{i}")) name="message" value=(msg) maxlength="1000";
                                    }))
                                    button type="submit" { (ctx.t("fl-give-kudos")) }
                                }
                            }
                        }
                    }
                }
            }
            section.card #drafts aria-labelledby="dr-h" {
                h2 #dr-h { (ctx.t("fl-drafts")) }
                @if drafts.is_empty() { p.muted { (ctx.t("fl-drafts-none")) } }
                @for st in &drafts {
                    (story_item(ctx, user, st))
                    form.inline method="post" action=(format!("/wall/stories/{}/approve", st.id.0)) {
                        (csrf_input(ctx))
                        button.primary type="submit" { (ctx.t("fl-approve")) }
                    }
                }
            }
        }
        section.card #stories aria-labelledby="st-h" {
            h2 #st-h { (ctx.t("fl-stories")) }
            p.muted { (ctx.t("fl-stories-how")) }
            form.search method="get" action="/wall" {
                (field("st-team", &ctx.t("fl-team"), html! {
                    select #st-team name="team" {
                        option value="" { (ctx.t("fl-all-teams")) }
                        @for t in &teams { option value=(t.id.0) selected[team == Some(t.id)] { (t.name) } }
                    }
                }))
                (field("st-value", &ctx.t("fl-value"), html! {
                    select #st-value name="value" {
                        option value="" { (ctx.t("fl-all-values")) }
                        @for v in &all_values { option value=(v) selected[value == Some(v.as_str())] { (v) } }
                    }
                }))
                button type="submit" { (ctx.t("common-apply")) }
            }
            @if stories.is_empty() { p.muted { (ctx.t("fl-stories-none")) } }
            @for st in &stories { (story_item(ctx, user, st)) }
        }
        @if Access::Frontline.allows(user.role) {
            section.card #propose aria-labelledby="ps-h" {
                h2 #ps-h { (ctx.t("fl-propose")) }
                p.muted { (ctx.t("fl-propose-how")) }
                form.fl-form method="post" action="/wall/stories" {
                    (csrf_input(ctx))
                    (error_box(ctx, r, "story"))
                    @let (inv, desc) = r.invalid("story", "agent_id");
                    (field("ps-agent", &ctx.t("fl-col-agent"), html! {
                        select #ps-agent name="agent_id" required aria-invalid=[inv] aria-describedby=[desc] {
                            @for u in &story_agents { option value=(u.id.0) selected[story_agent_sel == u.id.0.to_string()] { (u.display_name) } }
                        }
                    }))
                    @for (name, key, rows) in [("title", "fl-story-title", 0), ("value", "fl-value", 0), ("customer_words", "fl-story-customer-words", 3), ("agent_did", "fl-story-agent-did", 3), ("outcome", "fl-story-outcome", 3)] {
                        @let id = format!("ps-{name}");
                        @let (inv, desc) = r.invalid("story", name);
                        (field(&id, &ctx.t(key), html! {
                            @if rows == 0 {
                                input id=(id) name=(name) required value=(sv(name)) aria-invalid=[inv] aria-describedby=[desc];
                            } @else {
                                textarea id=(id) name=(name) rows=(rows) required aria-invalid=[inv] aria-describedby=[desc] { (sv(name)) }
                            }
                        }))
                    }
                    @let (inv, desc) = r.invalid("story", "conversation_id");
                    (field("ps-conv", &ctx.t("fl-conversation-id"), html! {
                        input #ps-conv name="conversation_id" inputmode="numeric" value=(sv("conversation_id")) aria-invalid=[inv] aria-describedby=[desc.or(Some("ps-link-help".into()))];
                    }))
                    @let (inv, desc) = r.invalid("story", "response_id");
                    (field("ps-resp", &ctx.t("fl-response-id"), html! {
                        input #ps-resp name="response_id" inputmode="numeric" value=(sv("response_id")) aria-invalid=[inv] aria-describedby=[desc.or(Some("ps-link-help".into()))];
                    }))
                    p.muted #ps-link-help { (ctx.t("fl-story-link-help")) }
                    button.primary type="submit" { (ctx.t("fl-propose-submit")) }
                }
            }
        }
    };
    Ok(page(ctx, &ctx.t("fl-wall-title"), body))
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
        return Ok(see_other(&format!("/wall#{anchor}")));
    };
    (r.field, r.message) = refusal(err)?;
    let q = WallQuery::default();
    Ok(unprocessable(render(s, ctx, user, &q, &r).await?))
}

pub async fn give_kudos(
    auth: Auth<Members>,
    ctx: Ctx,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let posted = Posted(f);
    let result = async {
        let new = NewKudos {
            to_user: UserId(parse_id("to_user", posted.get("to_user").unwrap_or(""))?),
            message: posted.get("message").unwrap_or("").to_string(),
            public: posted.get("visibility") != Some("private"),
            conversation_id: opt_id(&posted, "conversation_id")?.map(ConversationId),
            response_id: opt_id(&posted, "response_id")?.map(ResponseId),
        };
        new.validate(auth.user.id)?;
        s.store.give_kudos(auth.actor(), &new, Utc::now()).await?;
        Ok(())
    }
    .await;
    let r = Refused {
        form: "kudos",
        posted,
        ..Default::default()
    };
    settle(&s, &ctx, &auth.user, r, result, "kudos").await
}

pub async fn propose_story(
    auth: Auth<Frontline>,
    ctx: Ctx,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let posted = Posted(f);
    let result = async {
        let text = |k: &str| posted.get(k).unwrap_or("").to_string();
        let new = NewStory {
            agent_id: UserId(parse_id("agent_id", posted.get("agent_id").unwrap_or(""))?),
            title: text("title"),
            value: text("value"),
            customer_words: text("customer_words"),
            agent_did: text("agent_did"),
            outcome: text("outcome"),
            conversation_id: opt_id(&posted, "conversation_id")?.map(ConversationId),
            response_id: opt_id(&posted, "response_id")?.map(ResponseId),
        };
        new.validate()?;
        s.store.create_story(auth.actor(), &new, Utc::now()).await?;
        Ok(())
    }
    .await;
    let r = Refused {
        form: "story",
        posted,
        ..Default::default()
    };
    settle(&s, &ctx, &auth.user, r, result, "stories").await
}

pub async fn approve_story(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let story = s.store.get_story(auth.user.org_id, StoryId(id)).await?;
    svc::check_agent_visible(&auth.user, Some(story.agent_id), story.team_id)?;
    if story.agent_id == auth.user.id {
        return Err(ApiError::invalid(
            "id",
            "nobody approves a story about themselves",
        ));
    }
    s.store.approve_story(auth.actor(), story.id).await?;
    Ok(see_other("/wall#stories"))
}
