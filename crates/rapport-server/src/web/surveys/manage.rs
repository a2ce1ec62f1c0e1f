//! Survey management for CX managers (team leads read): surveys per touchpoint, the definition
//! edited as JSON, preview in any language, publish and close.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use rapport_domain::model::{JourneyMap, Touchpoint};
use rapport_domain::role::Access;
use rapport_domain::survey::{default_definition, SurveyDefinition};
use rapport_domain::voc::{Survey, SurveyId, SurveyStatus};
use rapport_domain::{DomainError, Name, TouchpointId};
use serde::Deserialize;

use super::super::layout::{csrf_input, field, flash, num, page, ut};
use super::super::{CsrfForm, Ctx};
use super::respond::Posted;
use super::{first_step, parse_lang, take_step, tr, LangQuery, Target};
use crate::auth::{Auth, Leads, Managers};
use crate::error::ApiResult;
use crate::state::AppState;

fn status_chip(ctx: &Ctx, s: SurveyStatus) -> Markup {
    html! { span.chip.(format!("status-{}", s.as_str())) { (ctx.t(&format!("surveys-status-{}", s.as_str()))) } }
}

async fn journey_maps(s: &AppState, org: rapport_domain::OrgId) -> ApiResult<Vec<JourneyMap>> {
    let mut maps = vec![];
    for j in s.store.list_journeys(org).await? {
        maps.push(s.store.get_journey(org, j.id).await?);
    }
    Ok(maps)
}

fn public_link(survey: &Survey) -> String {
    format!("/s/{}", survey.public_id)
}

/// The link as respondents will receive it: absolute when the public address is configured.
fn shareable_link(s: &AppState, survey: &Survey) -> String {
    match &s.config.public_url {
        Some(base) => format!("{}{}", base.trim_end_matches('/'), public_link(survey)),
        None => public_link(survey),
    }
}

pub async fn list(auth: Auth<Leads>, ctx: Ctx, State(s): State<AppState>) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let surveys = s.store.list_surveys(org, None).await?;
    let maps = journey_maps(&s, org).await?;
    let can_edit = Access::Managers.allows(auth.user.role);
    let touchpoints: Vec<(&JourneyMap, &str, &Touchpoint)> = maps
        .iter()
        .flat_map(|m| {
            m.stages.iter().flat_map(move |st| {
                st.touchpoints
                    .iter()
                    .map(move |tp| (m, st.stage.name.as_str(), tp))
            })
        })
        .collect();
    let body = html! {
        p { (ctx.t("surveys-intro")) }
        @if surveys.is_empty() { p.muted { (ctx.t("surveys-none")) } }
        @for (journey, stage, tp) in &touchpoints {
            @let here: Vec<&Survey> = surveys.iter().filter(|x| x.touchpoint_id == tp.id).collect();
            @if !here.is_empty() {
                section.card.survey-group {
                    h2 { (ut(&tp.name)) }
                    p.muted { (ut(&journey.journey.name)) " › " (ut(stage)) }
                    table {
                        thead { tr {
                            th scope="col" { (ctx.t("surveys-name")) }
                            th scope="col" { (ctx.t("surveys-status")) }
                            th scope="col" { (ctx.t("surveys-version")) }
                            th scope="col" { (ctx.t("surveys-public-link")) }
                        } }
                        tbody {
                            @for x in here {
                                tr {
                                    td { a href=(format!("/surveys/{}", x.id)) { (ut(&x.name)) } }
                                    td { (status_chip(&ctx, x.status)) }
                                    td { (num(x.version)) }
                                    td {
                                        @if x.status == SurveyStatus::Published {
                                            a href=(public_link(x)) { code.small { (public_link(x)) } }
                                        } @else {
                                            span.muted { (ctx.t("surveys-not-published")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if can_edit {
            details.card open[surveys.is_empty()] {
                summary { (ctx.t("surveys-create")) }
                @if touchpoints.is_empty() {
                    p { (ctx.t("surveys-need-touchpoint")) " " a href="/journeys" { (ctx.t("nav-journeys")) } }
                } @else {
                    form method="post" action="/surveys" {
                        (csrf_input(&ctx))
                        (field("s-tp", &ctx.t("surveys-touchpoint"), html! {
                            select #s-tp name="touchpoint_id" required {
                                @for m in &maps {
                                    optgroup label=(m.journey.name) {
                                        @for st in &m.stages { @for tp in &st.touchpoints {
                                            option value=(tp.id.0) { (st.stage.name) " › " (tp.name) }
                                        } }
                                    }
                                }
                            }
                        }))
                        (field("s-name", &ctx.t("surveys-name"), html! { input #s-name name="name" required maxlength="200"; }))
                        p.muted { (ctx.t("surveys-standard-definition")) }
                        button.primary type="submit" { (ctx.t("surveys-create")) }
                    }
                }
            }
        }
    };
    Ok(page(&ctx, &ctx.t("surveys-title"), body))
}

#[derive(Deserialize)]
pub struct CreateForm {
    touchpoint_id: i64,
    name: String,
}

pub async fn create(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<CreateForm>,
) -> ApiResult<Redirect> {
    let name = Name::parse("name", &f.name)?;
    let tp = s
        .store
        .get_touchpoint(auth.user.org_id, TouchpointId(f.touchpoint_id))
        .await?;
    let def = default_definition();
    let survey = s
        .store
        .create_survey(
            auth.actor(),
            tp.id,
            &name,
            &def,
            &crate::auth::secrets::random_hex(12),
        )
        .await?;
    Ok(Redirect::to(&format!("/surveys/{}", survey.id)))
}

#[derive(Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
}

/// What the edit form shows: the stored survey, or what was just submitted and refused.
struct Draft<'a> {
    name: &'a str,
    definition: String,
    error: Option<DomainError>,
}

fn show_page(
    ctx: &Ctx,
    share: &str,
    survey: &Survey,
    tp: &Touchpoint,
    can_edit: bool,
    draft: Draft<'_>,
    saved: bool,
) -> Markup {
    let id = survey.id;
    let body = html! {
        (flash(saved.then(|| ctx.t("surveys-saved")).as_deref()))
        @if let Some(e) = &draft.error {
            div.error role="alert" id="edit-error" {
                p { (ctx.t("surveys-invalid")) }
                p { code lang="en" dir="ltr" { (e.field) } ": " span lang="en" dir="ltr" { (e.reason) } }
            }
        }
        dl.survey-facts {
            dt { (ctx.t("surveys-touchpoint")) } dd { (ut(&tp.name)) }
            @if let Some(p) = &tp.promise {
                dt { (ctx.t("surveys-promise")) } dd { blockquote.promise { (ut(p)) } }
            }
            dt { (ctx.t("surveys-status")) } dd { (status_chip(ctx, survey.status)) }
            dt { (ctx.t("surveys-version")) } dd { (num(survey.version)) }
            dt { (ctx.t("surveys-public-link")) }
            dd {
                a href=(public_link(survey)) { code.small { (share) } }
                @if survey.status != SurveyStatus::Published { " " span.muted { (ctx.t("surveys-not-published")) } }
            }
            dt { (ctx.t("surveys-preview")) }
            dd.preview-links {
                @for l in &survey.definition.locales {
                    a href=(format!("/surveys/{id}/preview?lang={}", l.as_str())) lang=(l.as_str()) hreflang=(l.as_str()) { (l.native_name()) }
                    " "
                }
            }
        }
        @if can_edit {
            div.survey-actions {
                @if survey.status != SurveyStatus::Published {
                    form method="post" action=(format!("/surveys/{id}/publish")) {
                        (csrf_input(ctx))
                        button.primary type="submit" { (ctx.t("surveys-publish")) }
                    }
                } @else {
                    form method="post" action=(format!("/surveys/{id}/close")) {
                        (csrf_input(ctx))
                        button.danger type="submit" { (ctx.t("surveys-close")) }
                    }
                }
            }
            form.card method="post" action=(format!("/surveys/{id}")) {
                (csrf_input(ctx))
                h2 { (ctx.t("surveys-edit")) }
                @if survey.status != SurveyStatus::Draft {
                    p.hint.card { (new_version_note(ctx, survey.version + 1)) }
                }
                (field("e-name", &ctx.t("surveys-name"), html! { input #e-name name="name" required maxlength="200" value=(draft.name); }))
                (field("e-def", &ctx.t("surveys-definition"), html! {
                    textarea #e-def.json name="definition" rows="24" spellcheck="false" dir="ltr" lang="en"
                        aria-invalid=[draft.error.as_ref().map(|_| "true")]
                        aria-describedby=[draft.error.as_ref().map(|_| "edit-error")] { (draft.definition) }
                }))
                p.muted { (ctx.t("surveys-definition-help")) }
                button.primary type="submit" { (ctx.t("common-save")) }
            }
        } @else {
            details.card {
                summary { (ctx.t("surveys-definition")) }
                pre.json dir="ltr" lang="en" { (draft.definition) }
            }
        }
        @if can_edit {
            p { a href=(format!("/surveys/{}/invitations", survey.id.0)) { (ctx.t("surveys-invitations")) } }
        }
        p { a href="/surveys" { (ctx.t("surveys-back-to-list")) } }
    };
    page(ctx, &survey.name, body)
}

fn new_version_note(ctx: &Ctx, next: i64) -> String {
    ctx.tr
        .ta("surveys-new-version", &[("version", next.into())])
}

fn pretty(def: &SurveyDefinition) -> String {
    serde_json::to_string_pretty(def).unwrap_or_default()
}

pub async fn show(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> ApiResult<Markup> {
    let org = auth.user.org_id;
    let survey = s.store.get_survey(org, SurveyId(id)).await?;
    let tp = s.store.get_touchpoint(org, survey.touchpoint_id).await?;
    let draft = Draft {
        name: &survey.name,
        definition: pretty(&survey.definition),
        error: None,
    };
    Ok(show_page(
        &ctx,
        &shareable_link(&s, &survey),
        &survey,
        &tp,
        Access::Managers.allows(auth.user.role),
        draft,
        q.saved.is_some(),
    ))
}

#[derive(Deserialize)]
pub struct EditForm {
    name: String,
    definition: String,
}

/// Reads the JSON a manager typed, naming the path of the first problem (`definition.questions[1].type`).
fn read_definition(text: &str) -> Result<SurveyDefinition, DomainError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let def: SurveyDefinition = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() {
            "definition".to_string()
        } else {
            format!("definition.{path}")
        };
        DomainError::new(field, e.inner().to_string())
    })?;
    def.validate()?;
    Ok(def)
}

pub async fn update(
    auth: Auth<Managers>,
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<EditForm>,
) -> ApiResult<Response> {
    let org = auth.user.org_id;
    let survey = s.store.get_survey(org, SurveyId(id)).await?;
    let parsed =
        Name::parse("name", &f.name).and_then(|n| Ok((n, read_definition(&f.definition)?)));
    match parsed {
        Ok((name, def)) => {
            s.store
                .update_survey(auth.actor(), survey.id, &name, &def)
                .await?;
            Ok(Redirect::to(&format!("/surveys/{id}?saved=1")).into_response())
        }
        Err(e) => {
            let tp = s.store.get_touchpoint(org, survey.touchpoint_id).await?;
            let draft = Draft {
                name: &f.name,
                definition: f.definition.clone(),
                error: Some(e),
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                show_page(
                    &ctx,
                    &shareable_link(&s, &survey),
                    &survey,
                    &tp,
                    true,
                    draft,
                    false,
                ),
            )
                .into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct EmptyForm {}

async fn set_status(
    auth: Auth<Managers>,
    s: AppState,
    id: i64,
    status: SurveyStatus,
) -> ApiResult<Redirect> {
    s.store
        .set_survey_status(auth.actor(), SurveyId(id), status)
        .await?;
    Ok(Redirect::to(&format!("/surveys/{id}")))
}

pub async fn publish(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> ApiResult<Redirect> {
    set_status(auth, s, id, SurveyStatus::Published).await
}

pub async fn close(
    auth: Auth<Managers>,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> ApiResult<Redirect> {
    set_status(auth, s, id, SurveyStatus::Closed).await
}

pub async fn preview_get(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
) -> ApiResult<Response> {
    let survey = s.store.get_survey(auth.user.org_id, SurveyId(id)).await?;
    let locale = super::respond::choose_locale(
        &survey.definition,
        &[parse_lang(q.lang.as_deref()), Some(ctx.locale())],
    );
    Ok(first_step(
        &ctx,
        &tr(&s, locale),
        &survey,
        format!("/surveys/{id}/preview"),
        true,
    ))
}

pub async fn preview_post(
    auth: Auth<Leads>,
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let survey = s.store.get_survey(auth.user.org_id, SurveyId(id)).await?;
    let locale = super::respond::choose_locale(
        &survey.definition,
        &[super::form_lang(&fields), Some(ctx.locale())],
    );
    let posted = Posted::parse(&survey.definition, fields);
    take_step(
        &s,
        &ctx,
        &survey,
        Target::Preview,
        locale,
        posted,
        format!("/surveys/{id}/preview"),
    )
    .await
}
