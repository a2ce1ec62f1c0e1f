//! Manager 360 (seed 003's service-leader traits): a team member rates their lead once a
//! quarter, anonymously (`/me/lead-rating`); leads see their own ratings and managers
//! everyone's (`/lead-ratings`), only for groups at the minimum size.

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use maud::{html, Markup};
use rapport_domain::frontline::{quarter_of, ManagerRating};
use rapport_domain::model::User;
use rapport_domain::Role;
use serde::Deserialize;

use super::{refusal, see_other, unprocessable, Posted, Refused};
use crate::api::extract::ApiQuery;
use crate::auth::{Auth, Frontline, Leads};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::web::layout::{csrf_input, num, page, ut};
use crate::web::{CsrfForm, Ctx};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatedQuery {
    /// 1 when the rating was stored, 0 when this quarter's was already given.
    rated: Option<u8>,
}

async fn lead_of(s: &AppState, user: &User) -> ApiResult<Option<User>> {
    let Some(team) = user.team_id else {
        return Ok(None);
    };
    let Some(lead) = s.store.get_team(user.org_id, team).await?.lead_id else {
        return Ok(None);
    };
    if lead == user.id {
        return Ok(None);
    }
    Ok(Some(s.store.get_user(user.org_id, lead).await?))
}

fn form(ctx: &Ctx, lead: &User, r: &Refused) -> Markup {
    html! {
        form method="post" action="/me/lead-rating" {
            (csrf_input(ctx))
            @if r.form == "rating" {
                p.error #rating-error role="alert" { (ctx.t("fl-rate-fix")) " " span lang="en" dir="ltr" { (r.field) ": " (r.message) } }
            }
            @for t in ManagerRating::TRAITS {
                fieldset.question id=(format!("trait-{t}")) {
                    legend { (ctx.t(&format!("fl-rate-{t}"))) }
                    p.muted { (ctx.t(&format!("fl-rate-{t}-hint"))) }
                    div.scale {
                        @for n in 1..=5 {
                            @let id = format!("{t}-{n}");
                            label.opt for=(id) {
                                input type="radio" id=(id) name=(t) value=(n) required checked[r.val("rating", t) == Some(n.to_string().as_str())];
                                span { bdi { (n) } }
                            }
                        }
                    }
                    div.scale-ends {
                        span.low { (ctx.t("fl-rate-low")) }
                        span.high { (ctx.t("fl-rate-high")) }
                    }
                }
            }
            button.primary type="submit" { (ctx.tr.ta("fl-rate-submit", &[("name", lead.display_name.clone().into())])) }
        }
    }
}

async fn render(
    s: &AppState,
    ctx: &Ctx,
    user: &User,
    rated: Option<u8>,
    r: &Refused,
) -> ApiResult<Markup> {
    let title = ctx.t("fl-rate-title");
    let lead = lead_of(s, user).await?;
    let min = s.store.min_group_size(user.org_id).await?;
    let body = html! {
        p.lead { (ctx.t("fl-rate-intro")) }
        p.muted { (ctx.tr.ta("fl-rate-anonymity", &[("min", min.into())])) }
        @match rated {
            Some(1) => p.flash role="status" { (ctx.t("fl-rate-thanks")) },
            Some(_) => p.flash role="status" { (ctx.t("fl-rate-already")) },
            None => {},
        }
        @match &lead {
            Some(lead) => {
                h2 { (ut(&lead.display_name)) " · " bdi { (quarter_of(Utc::now().date_naive())) } }
                (form(ctx, lead, r))
            }
            None => p { (ctx.t("fl-rate-no-lead")) },
        }
    };
    Ok(page(ctx, &title, body))
}

pub async fn show(
    auth: Auth<Frontline>,
    ctx: Ctx,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<RatedQuery>,
) -> ApiResult<Markup> {
    render(&s, &ctx, &auth.user, q.rated, &Refused::default()).await
}

pub async fn submit(
    auth: Auth<Frontline>,
    ctx: Ctx,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let posted = Posted(f);
    let user = &auth.user;
    let result = async {
        let value = |t: &str| -> Result<i32, ApiError> {
            posted
                .get(t)
                .and_then(|v| v.parse::<i32>().ok())
                .ok_or_else(|| ApiError::invalid(t, "choose 1 to 5"))
        };
        let rating = ManagerRating {
            authenticity: value("authenticity")?,
            humility: value("humility")?,
            connectedness: value("connectedness")?,
            care: value("care")?,
        };
        rating.validate()?;
        let lead = lead_of(&s, user)
            .await?
            .ok_or_else(|| ApiError::invalid("team", "you have no team lead to rate"))?;
        let period = quarter_of(Utc::now().date_naive());
        Ok(s.store
            .rate_manager(user.org_id, user.id, lead.id, &period, &rating)
            .await?)
    }
    .await;
    match result {
        Ok(recorded) => Ok(see_other(&format!(
            "/me/lead-rating?rated={}",
            u8::from(recorded)
        ))),
        Err(err) => {
            let (field, message) = refusal(err)?;
            let r = Refused {
                form: "rating",
                field,
                message,
                posted,
            };
            Ok(unprocessable(render(&s, &ctx, user, None, &r).await?))
        }
    }
}

/// Ratings per lead and quarter: a lead sees their own, managers everyone's.
pub async fn results(auth: Auth<Leads>, ctx: Ctx, State(s): State<AppState>) -> ApiResult<Markup> {
    let user = &auth.user;
    let only = (user.role == Role::TeamLead).then_some(user.id);
    let rows = s.store.manager_ratings(user.org_id, only).await?;
    let min = s.store.min_group_size(user.org_id).await?;
    let title = ctx.t("fl-ratings-title");
    let body = html! {
        p.lead { (ctx.t("fl-ratings-intro")) }
        @if rows.is_empty() {
            p { (ctx.t("fl-ratings-none")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("fl-ratings-lead")) }
                    th scope="col" { (ctx.t("fl-ratings-quarter")) }
                    th scope="col" { (ctx.t("fl-ratings-n")) }
                    @for t in ManagerRating::TRAITS { th scope="col" { (ctx.t(&format!("fl-rate-{t}"))) } }
                } }
                tbody {
                    @for r in &rows {
                        tr {
                            th scope="row" { (ut(&r.manager_name)) }
                            td { bdi { (r.period) } }
                            @match (&r.means, r.n) {
                                (Some(means), Some(n)) => {
                                    td { (num(n)) }
                                    @for m in means { td { bdi.num { (format!("{m:.1}")) } } }
                                }
                                _ => {
                                    td colspan="5" { span.muted { (ctx.tr.ta("fl-ratings-hidden", &[("min", min.into())])) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&ctx, &title, body))
}
