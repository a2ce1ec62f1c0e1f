//! A survey's personal invitations (`/surveys/{id}/invitations`, CX managers): who was invited,
//! whether the e-mail and its reminder went out, answered or expired; and a form to invite one
//! customer by e-mail (consent and cool-down respected by the worker) or by a link to hand over.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{html, Markup};
use rapport_domain::voc::{Invitation, SurveyId};
use serde::Deserialize;

use super::super::layout::{csrf_input, field, num, page, ut};
use super::super::{CsrfForm, Ctx};
use crate::api::surveys::{invite, InvitationInput};
use crate::auth::{Auth, Managers};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    page: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    agent: String,
    #[serde(default)]
    interaction_ref: String,
    #[serde(default)]
    expires_in_days: String,
    #[serde(default)]
    send_email: Option<String>,
}

fn status(ctx: &Ctx, i: &Invitation) -> String {
    let now = Utc::now();
    let key = if i.used_at.is_some() {
        "inv-answered"
    } else if i.expires_at <= now {
        "inv-expired"
    } else if i.reminder_sent_at.is_some() {
        "inv-reminded"
    } else if i.sent_at.is_some() {
        "inv-sent"
    } else if i.channel == "email" {
        "inv-queued"
    } else {
        "inv-link"
    };
    ctx.t(key)
}

async fn render(
    s: &AppState,
    ctx: &Ctx,
    org: rapport_domain::OrgId,
    id: i64,
    page_no: i64,
    form: &InviteForm,
    outcome: Option<Result<String, (String, String)>>,
) -> ApiResult<Markup> {
    let survey = s.store.get_survey(org, SurveyId(id)).await?;
    let (items, total) = s
        .store
        .list_invitations(org, survey.id, PAGE, (page_no - 1) * PAGE)
        .await?;
    let mut names = std::collections::HashMap::new();
    for i in &items {
        if let std::collections::hash_map::Entry::Vacant(e) = names.entry(i.customer_id) {
            if let Ok(c) = s.store.get_customer(org, i.customer_id).await {
                e.insert(c.name);
            }
        }
    }
    let title = ctx.t("inv-title");
    let body = html! {
        p { a href=(format!("/surveys/{id}")) { (ut(&survey.name)) } }
        p.how { (ctx.t("inv-intro")) }
        @match &outcome {
            Some(Ok(link)) => p.flash role="status" {
                (ctx.t("inv-created")) " " code dir="ltr" { (link) }
            },
            Some(Err((f, m))) => p.error #inv-error role="alert" {
                (ctx.t("inv-refused")) " " span lang="en" dir="ltr" { (f) ": " (m) }
            },
            None => {},
        }
        section.card aria-labelledby="inv-new" {
            h2 #inv-new { (ctx.t("inv-new")) }
            form method="post" action=(format!("/surveys/{id}/invitations")) {
                (csrf_input(ctx))
                (field("inv-customer", &ctx.t("inv-customer"), html! {
                    input #inv-customer name="customer" required value=(form.customer) dir="auto";
                }))
                (field("inv-agent", &ctx.t("inv-agent"), html! {
                    input #inv-agent name="agent" type="email" value=(form.agent) dir="ltr";
                }))
                (field("inv-ref", &ctx.t("inv-ref"), html! {
                    input #inv-ref name="interaction_ref" value=(form.interaction_ref) dir="auto";
                }))
                (field("inv-days", &ctx.t("inv-days"), html! {
                    input #inv-days name="expires_in_days" type="number" min="1" max="90"
                        value=(if form.expires_in_days.is_empty() { "14" } else { form.expires_in_days.as_str() });
                }))
                div.field {
                    label {
                        input type="checkbox" name="send_email" value="1" checked[form.send_email.is_some() || outcome.is_none()];
                        " " (ctx.t("inv-send-email"))
                    }
                }
                button.primary type="submit" { (ctx.t("inv-submit")) }
            }
        }
        h2 { (ctx.t("inv-list")) " " (num(total)) }
        @if items.is_empty() {
            p { (ctx.t("inv-none")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("inv-col-customer")) }
                    th scope="col" { (ctx.t("inv-col-status")) }
                    th scope="col" { (ctx.t("inv-col-created")) }
                    th scope="col" { (ctx.t("inv-col-expires")) }
                    th scope="col" { (ctx.t("inv-col-ref")) }
                } }
                tbody {
                    @for i in &items {
                        tr {
                            td { a href=(format!("/customers/{}", i.customer_id.0)) {
                                @match names.get(&i.customer_id) { Some(n) => (ut(n)), None => bdi { "#" (i.customer_id.0) } }
                            } }
                            td { (status(ctx, i)) }
                            td { time datetime=(i.created_at.to_rfc3339()) { bdi { (i.created_at.format("%Y-%m-%d %H:%M")) } } }
                            td { time datetime=(i.expires_at.to_rfc3339()) { bdi { (i.expires_at.format("%Y-%m-%d")) } } }
                            td { @if let Some(r) = &i.interaction_ref { (ut(r)) } }
                        }
                    }
                }
            }
            @if total > PAGE {
                nav aria-label=(ctx.t("inv-pages")) {
                    @if page_no > 1 { a href=(format!("?page={}", page_no - 1)) rel="prev" { (ctx.t("common-prev")) } " " }
                    @if page_no * PAGE < total { a href=(format!("?page={}", page_no + 1)) rel="next" { (ctx.t("common-next")) } }
                }
            }
        }
    };
    Ok(page(ctx, &title, body))
}

pub async fn list(
    auth: Auth<Managers>,
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Markup> {
    let page_no = q.page.unwrap_or(1);
    if page_no < 1 {
        return Err(ApiError::invalid("page", "must be 1 or more"));
    }
    render(
        &s,
        &ctx,
        auth.user.org_id,
        id,
        page_no,
        &InviteForm::default(),
        None,
    )
    .await
}

/// Parses the form into the API's input, resolving the customer by external id and the agent
/// by e-mail, so the page and the API share one path.
async fn input_of(
    s: &AppState,
    org: rapport_domain::OrgId,
    f: &InviteForm,
) -> Result<InvitationInput, ApiError> {
    let external = f.customer.trim();
    if external.is_empty() {
        return Err(ApiError::invalid("customer", "give the customer's id"));
    }
    let found = s
        .store
        .customer_by_external_id(org, external)
        .await?
        .ok_or_else(|| ApiError::invalid("customer", format!("no customer {external:?}")))?;
    let agent = match f.agent.trim() {
        "" => None,
        email => Some(
            s.store
                .list_users(org, None)
                .await?
                .into_iter()
                .find(|u| u.email.eq_ignore_ascii_case(email))
                .ok_or_else(|| ApiError::invalid("agent", format!("no colleague {email:?}")))?
                .id
                .0,
        ),
    };
    let days =
        match f.expires_in_days.trim() {
            "" => None,
            d => Some(d.parse::<i64>().map_err(|_| {
                ApiError::invalid("expires_in_days", "must be a whole number of days")
            })?),
        };
    Ok(InvitationInput {
        customer_id: found.id.0,
        agent_id: agent,
        interaction_ref: Some(f.interaction_ref.trim().to_string()).filter(|r| !r.is_empty()),
        expires_in_days: days,
        send_email: f.send_email.is_some(),
    })
}

pub async fn create(
    auth: Auth<Managers>,
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> ApiResult<Response> {
    let org = auth.user.org_id;
    let result = match input_of(&s, org, &form).await {
        Ok(input) => invite(&s, auth.actor(), id, input).await,
        Err(e) => Err(e),
    };
    match result {
        // Shown once and not redirected: the personal link is a secret that should not sit in a URL.
        Ok(created) => {
            let link = format!("{}{}", crate::jobs::email::public_base(&s), created.path);
            let markup =
                render(&s, &ctx, org, id, 1, &InviteForm::default(), Some(Ok(link))).await?;
            Ok((StatusCode::CREATED, markup).into_response())
        }
        Err(ApiError::Invalid { field, message } | ApiError::Conflict { field, message }) => {
            let markup = render(&s, &ctx, org, id, 1, &form, Some(Err((field, message)))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, markup).into_response())
        }
        Err(other) => Err(other),
    }
}
