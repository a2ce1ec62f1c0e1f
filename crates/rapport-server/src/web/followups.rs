//! Post-service follow-up calls (seed 002: service continues after the service ends): the calls
//! due, whose they are, and what the customer said when we called.

use std::collections::HashMap;

use super::Routes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use maud::{html, Markup};
use rapport_domain::followups::{FollowupResult, FollowupState, FollowupTask};
use rapport_domain::*;
use serde::Deserialize;

use super::layout::{csrf_input, field, page, ut};
use super::{CsrfForm, Ctx};
use crate::api::extract::{ApiPath, ApiQuery};
use crate::auth::{Auth, Leads};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub(super) fn router() -> Routes {
    Routes::new()
        .get("/followups", list)
        .post("/followups/{id}", record)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `mine` (the default) or `all`.
    who: Option<String>,
}

fn date(ctx: &Ctx, at: DateTime<Utc>) -> Markup {
    let f = match ctx.locale() {
        Locale::En => "%-d %b %Y",
        Locale::He => "%-d.%-m.%Y",
        Locale::El => "%-d/%-m/%Y",
    };
    html! { time datetime=(at.to_rfc3339()) { bdi { (at.format(f).to_string()) } } }
}

pub async fn list(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let all = match q.who.as_deref() {
        None | Some("") | Some("mine") => false,
        Some("all") => true,
        Some(_) => return Err(ApiError::invalid("who", "must be mine or all")),
    };
    let owner = (!all).then_some(auth.user.id);
    let now = Utc::now();
    let due = s
        .store
        .list_followups(
            org,
            owner,
            Some(FollowupState::Scheduled),
            Some(now + Duration::days(7)),
            200,
        )
        .await?;
    let mut recent: Vec<FollowupTask> = Vec::new();
    for state in [FollowupState::Done, FollowupState::Skipped] {
        recent.extend(
            s.store
                .list_followups(org, owner, Some(state), None, 20)
                .await?,
        );
    }
    recent.sort_by_key(|t| std::cmp::Reverse(t.completed_at));
    recent.truncate(20);
    let names = names(&s, org, due.iter().chain(&recent)).await?;
    let touchpoint = |id: TouchpointId| names.1.get(&id).cloned().unwrap_or_default();
    let customer = |id: CustomerId| {
        let name = names.0.get(&id).cloned().unwrap_or_else(|| id.to_string());
        html! { a href=(format!("/customers/{id}")) { (ut(&name)) } }
    };
    let body = html! {
        p.how { (ctx.t("followups-intro")) }
        nav.tabs aria-label=(ctx.t("followups-title")) {
            a href="/followups?who=mine" aria-current=[(!all).then_some("page")] { (ctx.t("followups-mine")) }
            " · "
            a href="/followups?who=all" aria-current=[all.then_some("page")] { (ctx.t("followups-all")) }
        }
        h2 { (ctx.t("followups-due")) }
        @if due.is_empty() {
            p.muted.empty { (ctx.t("followups-none")) }
        }
        @for t in &due {
            @let late = t.due_at < now;
            section.followup class=[late.then_some("late")] data-followup=(t.id.0) {
                h3 { (customer(t.customer_id)) " · " (ut(&touchpoint(t.touchpoint_id))) }
                p {
                    (ctx.t("followups-last")) " " (date(&ctx, t.last_interaction_at)) " · "
                    (ctx.t("followups-due-on")) " " (date(&ctx, t.due_at))
                    @if late { " " strong.late { span aria-hidden="true" { "⚠ " } (ctx.t("followups-late")) } }
                }
                form method="post" action=(format!("/followups/{}", t.id)) {
                    (csrf_input(&ctx))
                    (field(&format!("outcome-{}", t.id), &ctx.t("followups-outcome"), html! {
                        textarea id=(format!("outcome-{}", t.id)) name="outcome" rows="2" required {}
                    }))
                    button type="submit" name="state" value="done" { (ctx.t("followups-done")) }
                    " "
                    button.secondary type="submit" name="state" value="skipped" { (ctx.t("followups-skip")) }
                }
            }
        }
        h2 { (ctx.t("followups-recent")) }
        @if recent.is_empty() {
            p.muted { (ctx.t("followups-none-recent")) }
        } @else {
            ul.followups-recent {
                @for t in &recent {
                    li {
                        (customer(t.customer_id)) " · " (ut(&touchpoint(t.touchpoint_id))) " · "
                        (ctx.t(if t.state == FollowupState::Done { "followups-state-done" } else { "followups-state-skipped" }))
                        @if let Some(at) = t.completed_at { " · " (date(&ctx, at)) }
                        @if let Some(o) = &t.outcome { blockquote { (ut(o)) } }
                    }
                }
            }
        }
    };
    Ok(page(&ctx, &ctx.t("followups-title"), body))
}

type Names = (HashMap<CustomerId, String>, HashMap<TouchpointId, String>);

/// Customer and touchpoint names for the tasks shown, each looked up once.
async fn names(
    s: &AppState,
    org: OrgId,
    tasks: impl Iterator<Item = &FollowupTask>,
) -> ApiResult<Names> {
    let tasks: Vec<&FollowupTask> = tasks.collect();
    let mut customers = HashMap::new();
    for t in &tasks {
        if let std::collections::hash_map::Entry::Vacant(e) = customers.entry(t.customer_id) {
            e.insert(s.store.get_customer(org, t.customer_id).await?.name);
        }
    }
    let mut touchpoints = HashMap::new();
    for t in &tasks {
        if let std::collections::hash_map::Entry::Vacant(e) = touchpoints.entry(t.touchpoint_id) {
            e.insert(s.store.get_touchpoint(org, t.touchpoint_id).await?.name);
        }
    }
    Ok((customers, touchpoints))
}

#[derive(Debug, Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    outcome: String,
}

pub async fn record(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(f): CsrfForm<RecordForm>,
) -> ApiResult<Response> {
    let result = FollowupResult {
        state: FollowupState::parse("state", &f.state)?,
        outcome: f.outcome,
    };
    result.validate()?;
    s.store
        .complete_followup(auth.actor(), FollowupId(id), &result, Utc::now())
        .await?;
    Ok(Redirect::to("/followups").into_response())
}
