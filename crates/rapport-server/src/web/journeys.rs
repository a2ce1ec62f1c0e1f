//! The journey editor: five stages across, touchpoints under each, the promise on every card.

use axum::extract::{Path, State};
use axum::response::Redirect;
use maud::{html, Markup};
use rapport_domain::model::*;
use rapport_domain::role::Access;
use rapport_domain::*;
use serde::Deserialize;

use super::layout::{csrf_input, field, num, page, ut};
use super::pages::EmptyForm;
use super::{CsrfForm, Ctx};
use crate::auth::{Auth, Managers, Members};
use crate::error::ApiResult;
use crate::state::AppState;

fn channel_select(ctx: &Ctx, id: &str, selected: Channel) -> Markup {
    html! {
        select id=(id) name="channel" {
            @for c in Channel::ALL { option value=(c.as_str()) selected[c == selected] { (ctx.t(&format!("channel-{}", c.as_str()))) } }
        }
    }
}

fn owner_select(ctx: &Ctx, id: &str, users: &[User], selected: Option<UserId>) -> Markup {
    html! {
        select id=(id) name="owner_id" {
            option value="" { (ctx.t("tp-no-owner")) }
            @for u in users.iter().filter(|u| u.active && u.role != Role::Viewer) {
                option value=(u.id.0) selected[Some(u.id) == selected] { (u.display_name) }
            }
        }
    }
}

fn kind_select(ctx: &Ctx, id: &str, selected: StageKind) -> Markup {
    html! {
        select id=(id) name="kind" {
            @for k in StageKind::DEFAULTS.into_iter().chain([StageKind::Custom]) {
                option value=(k.as_str()) selected[k == selected] { (ctx.t(&format!("stage-kind-{}", k.as_str()))) }
            }
        }
    }
}

pub async fn list(auth: Auth<Members>, ctx: Ctx, State(s): State<AppState>) -> ApiResult<Markup> {
    let journeys = s.store.list_journeys(auth.user.org_id).await?;
    let can_edit = Access::Managers.allows(auth.user.role);
    let body = html! {
        p { (ctx.t("journeys-intro")) }
        ul.cards {
            @for j in &journeys {
                li.card lang=(j.locale.as_str()) dir=(j.locale.dir()) {
                    h2 { a href=(format!("/journeys/{}", j.id)) { (ut(&j.name)) } }
                    @if let Some(d) = &j.description { p { (ut(d)) } }
                }
            }
        }
        @if can_edit {
            details.card {
                summary { (ctx.t("journeys-create")) }
                form method="post" action="/journeys" {
                    (csrf_input(&ctx))
                    (field("j-name", &ctx.t("journeys-name"), html! { input #j-name name="name" required maxlength="200"; }))
                    (field("j-desc", &ctx.t("journeys-description"), html! { textarea #j-desc name="description" rows="3" {} }))
                    (field("j-locale", &ctx.t("journeys-locale"), html! {
                        select #j-locale name="locale" { @for l in Locale::ALL { option value=(l.as_str()) selected[l == ctx.locale()] { (l.native_name()) } } }
                    }))
                    p.muted { (ctx.t("journeys-default-stages")) }
                    button.primary type="submit" { (ctx.t("journeys-create")) }
                }
            }
        }
    };
    Ok(page(&ctx, &ctx.t("journeys-title"), body))
}

#[derive(Deserialize)]
pub struct JourneyForm {
    name: String,
    description: Option<String>,
    locale: String,
}

impl JourneyForm {
    fn parse(&self) -> Result<NewJourney, DomainError> {
        Ok(NewJourney {
            name: Name::parse("name", &self.name)?,
            description: Text::parse_optional("description", self.description.as_deref())?,
            locale: Locale::parse("locale", &self.locale)?,
        })
    }
}

pub async fn create(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<JourneyForm>,
) -> ApiResult<Redirect> {
    let map = s.store.create_journey(auth.actor(), &f.parse()?).await?;
    Ok(Redirect::to(&format!("/journeys/{}", map.journey.id)))
}

pub async fn show(
    auth: Auth<Members>,
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Markup> {
    let map = s.store.get_journey(auth.user.org_id, JourneyId(id)).await?;
    let users = s.store.list_users(auth.user.org_id, None).await?;
    let edit = Access::Managers.allows(auth.user.role);
    let owner_name = |id: Option<UserId>| {
        id.and_then(|id| users.iter().find(|u| u.id == id))
            .map(|u| u.display_name.clone())
    };
    let j = &map.journey;
    let total: usize = map.stages.iter().map(|s| s.touchpoints.len()).sum();
    let body = html! {
        @if let Some(d) = &j.description { p lang=(j.locale.as_str()) { (ut(d)) } }
        p.muted { (ctx.tr.ta("journey-summary", &[("stages", (map.stages.len() as i64).into()), ("touchpoints", (total as i64).into())])) }
        div.journey lang=(j.locale.as_str()) dir=(j.locale.dir()) {
            @for (i, st) in map.stages.iter().enumerate() {
                section.stage aria-labelledby=(format!("stage-{}", st.stage.id)) {
                    h2 id=(format!("stage-{}", st.stage.id)) {
                        span.step { (num(i as i64 + 1)) }
                        (ut(&st.stage.name))
                    }
                    p.kind lang=(ctx.locale().as_str()) dir=(ctx.locale().dir()) { (ctx.t(&format!("stage-kind-{}", st.stage.kind.as_str()))) }
                    ol.touchpoints {
                        @for tp in &st.touchpoints {
                            li.tp {
                                h3 { (ut(&tp.name)) }
                                p.meta lang=(ctx.locale().as_str()) dir=(ctx.locale().dir()) {
                                    span.chip { (ctx.t(&format!("channel-{}", tp.channel.as_str()))) }
                                    " "
                                    @if let Some(o) = owner_name(tp.owner_id) { (ctx.t("tp-owner")) ": " (ut(&o)) }
                                }
                                @if let Some(p) = &tp.promise {
                                    blockquote.promise { span.label lang=(ctx.locale().as_str()) { (ctx.t("tp-promise")) } " " (ut(p)) }
                                }
                                @if edit {
                                    details lang=(ctx.locale().as_str()) dir=(ctx.locale().dir()) {
                                        summary { (ctx.t("common-edit")) }
                                        (touchpoint_form(&ctx, &map, &users, Some(tp), st.stage.id))
                                        form method="post" action=(format!("/touchpoints/{}/delete", tp.id)) {
                                            (csrf_input(&ctx))
                                            button.danger type="submit" { (ctx.t("tp-delete")) }
                                        }
                                    }
                                }
                            }
                        }
                        @if st.touchpoints.is_empty() { li.empty { (ctx.t("tp-none")) } }
                    }
                    @if edit {
                        details.add lang=(ctx.locale().as_str()) dir=(ctx.locale().dir()) {
                            summary { (ctx.t("tp-add")) }
                            (touchpoint_form(&ctx, &map, &users, None, st.stage.id))
                        }
                        details lang=(ctx.locale().as_str()) dir=(ctx.locale().dir()) {
                            summary { (ctx.t("stage-edit")) }
                            form method="post" action=(format!("/stages/{}", st.stage.id)) {
                                (csrf_input(&ctx))
                                @let p = format!("s{}", st.stage.id);
                                (field(&format!("{p}-name"), &ctx.t("stage-name"), html! { input id=(format!("{p}-name")) name="name" value=(st.stage.name) required; }))
                                (field(&format!("{p}-kind"), &ctx.t("stage-kind"), kind_select(&ctx, &format!("{p}-kind"), st.stage.kind)))
                                (field(&format!("{p}-pos"), &ctx.t("stage-position"), html! { input id=(format!("{p}-pos")) type="number" name="position" min="1" value=(st.stage.position + 1); }))
                                button type="submit" { (ctx.t("common-save")) }
                            }
                            form method="post" action=(format!("/stages/{}/delete", st.stage.id)) {
                                (csrf_input(&ctx))
                                input type="hidden" name="journey_id" value=(j.id.0);
                                button.danger type="submit" { (ctx.t("stage-delete")) }
                            }
                        }
                    }
                }
            }
        }
        @if edit {
            div.grid2 {
                details.card {
                    summary { (ctx.t("stage-add")) }
                    form method="post" action=(format!("/journeys/{}/stages", j.id)) {
                        (csrf_input(&ctx))
                        (field("ns-name", &ctx.t("stage-name"), html! { input #ns-name name="name" required; }))
                        (field("ns-kind", &ctx.t("stage-kind"), kind_select(&ctx, "ns-kind", StageKind::Custom)))
                        button type="submit" { (ctx.t("stage-add")) }
                    }
                }
                details.card {
                    summary { (ctx.t("journey-edit")) }
                    form method="post" action=(format!("/journeys/{}", j.id)) {
                        (csrf_input(&ctx))
                        (field("je-name", &ctx.t("journeys-name"), html! { input #je-name name="name" value=(j.name) required; }))
                        (field("je-desc", &ctx.t("journeys-description"), html! { textarea #je-desc name="description" rows="3" { (j.description.as_deref().unwrap_or("")) } }))
                        (field("je-locale", &ctx.t("journeys-locale"), html! {
                            select #je-locale name="locale" { @for l in Locale::ALL { option value=(l.as_str()) selected[l == j.locale] { (l.native_name()) } } }
                        }))
                        button type="submit" { (ctx.t("common-save")) }
                    }
                    form method="post" action=(format!("/journeys/{}/delete", j.id)) {
                        (csrf_input(&ctx))
                        button.danger type="submit" { (ctx.t("journey-delete")) }
                    }
                }
            }
        }
    };
    let title = j.name.clone();
    Ok(page(&ctx, &title, body))
}

fn touchpoint_form(
    ctx: &Ctx,
    map: &JourneyMap,
    users: &[User],
    tp: Option<&Touchpoint>,
    stage: StageId,
) -> Markup {
    let p = match tp {
        Some(t) => format!("tp{}", t.id),
        None => format!("new{}", stage),
    };
    let action = match tp {
        Some(t) => format!("/touchpoints/{}", t.id),
        None => "/touchpoints".to_string(),
    };
    html! {
        form method="post" action=(action) {
            (csrf_input(ctx))
            input type="hidden" name="journey_id" value=(map.journey.id.0);
            (field(&format!("{p}-name"), &ctx.t("tp-name"), html! { input id=(format!("{p}-name")) name="name" value=(tp.map(|t| t.name.as_str()).unwrap_or("")) required; }))
            (field(&format!("{p}-stage"), &ctx.t("tp-stage"), html! {
                select id=(format!("{p}-stage")) name="stage_id" {
                    @for st in &map.stages { option value=(st.stage.id.0) selected[st.stage.id == stage] { (st.stage.name) } }
                }
            }))
            (field(&format!("{p}-channel"), &ctx.t("tp-channel"), channel_select(ctx, &format!("{p}-channel"), tp.map(|t| t.channel).unwrap_or(Channel::Phone))))
            (field(&format!("{p}-owner"), &ctx.t("tp-owner"), owner_select(ctx, &format!("{p}-owner"), users, tp.and_then(|t| t.owner_id))))
            (field(&format!("{p}-promise"), &ctx.t("tp-promise"), html! { textarea id=(format!("{p}-promise")) name="promise" rows="2" { (tp.and_then(|t| t.promise.as_deref()).unwrap_or("")) } }))
            @if let Some(t) = tp {
                (field(&format!("{p}-pos"), &ctx.t("tp-position"), html! { input id=(format!("{p}-pos")) type="number" name="position" min="1" value=(t.position + 1); }))
            }
            button type="submit" { @if tp.is_some() { (ctx.t("common-save")) } @else { (ctx.t("tp-add")) } }
        }
    }
}

pub async fn update(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<JourneyForm>,
) -> ApiResult<Redirect> {
    s.store
        .update_journey(auth.actor(), JourneyId(id), &f.parse()?)
        .await?;
    Ok(Redirect::to(&format!("/journeys/{id}")))
}

pub async fn delete(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> ApiResult<Redirect> {
    s.store.delete_journey(auth.actor(), JourneyId(id)).await?;
    Ok(Redirect::to("/journeys"))
}

/// Positions are 1-based in forms (what people count) and 0-based in storage.
fn position(raw: &Option<String>) -> Result<Option<i64>, DomainError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(|n| Some((n - 1).max(0)))
            .map_err(|_| DomainError::new("position", "must be a number")),
    }
}

#[derive(Deserialize)]
pub struct StageForm {
    name: String,
    kind: String,
    position: Option<String>,
}

impl StageForm {
    fn parse(&self) -> Result<NewStage, DomainError> {
        Ok(NewStage {
            name: Name::parse("name", &self.name)?,
            kind: StageKind::parse("kind", &self.kind)?,
            position: position(&self.position)?,
        })
    }
}

pub async fn create_stage(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StageForm>,
) -> ApiResult<Redirect> {
    // An unknown journey (or another organisation's) is a 404, not a form error.
    s.store.get_journey(auth.user.org_id, JourneyId(id)).await?;
    s.store
        .create_stage(auth.actor(), JourneyId(id), &f.parse()?)
        .await?;
    Ok(Redirect::to(&format!("/journeys/{id}")))
}

pub async fn update_stage(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StageForm>,
) -> ApiResult<Redirect> {
    let st = s
        .store
        .update_stage(auth.actor(), StageId(id), &f.parse()?)
        .await?;
    Ok(Redirect::to(&format!("/journeys/{}", st.journey_id)))
}

pub async fn delete_stage(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<JourneyRef>,
) -> ApiResult<Redirect> {
    s.store.delete_stage(auth.actor(), StageId(id)).await?;
    Ok(back_to(f.journey_id))
}

#[derive(Deserialize)]
pub struct JourneyRef {
    journey_id: Option<i64>,
}

fn back_to(journey: Option<i64>) -> Redirect {
    match journey {
        Some(j) => Redirect::to(&format!("/journeys/{j}")),
        None => Redirect::to("/journeys"),
    }
}

#[derive(Deserialize)]
pub struct TouchpointForm {
    stage_id: String,
    name: String,
    channel: String,
    owner_id: Option<String>,
    promise: Option<String>,
    position: Option<String>,
}

impl TouchpointForm {
    fn parse(&self) -> Result<NewTouchpoint, DomainError> {
        let id = |s: &str, f: &str| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| DomainError::new(f, "must be a number"))
        };
        Ok(NewTouchpoint {
            stage_id: StageId(id(&self.stage_id, "stage_id")?),
            name: Name::parse("name", &self.name)?,
            channel: Channel::parse("channel", &self.channel)?,
            owner_id: match self.owner_id.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(v) => Some(UserId(id(v, "owner_id")?)),
            },
            promise: Text::parse_optional("promise", self.promise.as_deref())?,
            position: position(&self.position)?,
        })
    }
}

pub async fn create_touchpoint(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<TouchpointForm>,
) -> ApiResult<Redirect> {
    let tp = s.store.create_touchpoint(auth.actor(), &f.parse()?).await?;
    Ok(Redirect::to(&format!(
        "/journeys/{}#stage-{}",
        tp.journey_id, tp.stage_id
    )))
}

pub async fn update_touchpoint(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<TouchpointForm>,
) -> ApiResult<Redirect> {
    let tp = s
        .store
        .update_touchpoint(auth.actor(), TouchpointId(id), &f.parse()?)
        .await?;
    Ok(Redirect::to(&format!(
        "/journeys/{}#stage-{}",
        tp.journey_id, tp.stage_id
    )))
}

pub async fn delete_touchpoint(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> ApiResult<Redirect> {
    let tp = s
        .store
        .get_touchpoint(auth.user.org_id, TouchpointId(id))
        .await?;
    s.store.delete_touchpoint(auth.actor(), tp.id).await?;
    Ok(Redirect::to(&format!("/journeys/{}", tp.journey_id)))
}
