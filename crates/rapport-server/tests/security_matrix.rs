//! The authorisation matrix: every API operation (from `/api/openapi.json`) and every web route
//! (from `web::route_table()`, the list the router is built from) × every role × the caller's
//! own team, another team of the same organisation, another organisation, and an id that does
//! not exist. Every cell checks the status, that the body carries no marker of a record the
//! caller may not see, and the secure headers. On SQLite and (when configured) PostgreSQL.
//!
//! The rules the cells encode:
//! - a role below the route's access level gets 403, whatever the id;
//! - a record of another organisation answers exactly as an id that does not exist (404, or
//!   the 403 of a missing role), so ids are never confirmed, and nothing is changed;
//! - per-agent records (conversations and their evaluations) follow `can_see_agent`: agents
//!   their own, team leads their team's, managers and admins all (docs/frontline.md);
//! - lists never carry another organisation's records, and a lead's or agent's per-agent lists
//!   never another team's.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Caller, TestApp};
use rapport_domain::model::*;
use rapport_domain::role::Access;
use rapport_domain::*;
use rapport_storage::Actor;
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(authorisation_matrix);

/// Each fixture's texts carry its scope's marker, so a body can be searched for records that
/// must not be in it.
const A1: &str = "zqmarkA1";
const A2: &str = "zqmarkA2";
const B: &str = "zqmarkB0";
/// An id no fixture has.
const MISSING: i64 = 987_654_321;

/// Ids of one scope's records: a team with a lead and an agent, and one record of every kind.
struct Scope {
    marker: &'static str,
    lead: Caller,
    agent: Caller,
    ids: BTreeMap<&'static str, i64>,
}

impl Scope {
    fn id(&self, kind: &str) -> i64 {
        *self
            .ids
            .get(kind)
            .unwrap_or_else(|| panic!("no fixture of kind {kind}"))
    }
}

/// A conversation whose external id and words carry `ext`, analysed as the job would.
async fn analysed_conversation(app: &TestApp, org: OrgId, ext: &str, agent: &str) -> i64 {
    let t = rapport_domain::conversation::parse_json(
        &json!({"id": ext, "channel": "phone", "agent": agent, "turns": [
            {"speaker": "customer", "text": format!("I have waited three days for {ext}.")},
            {"speaker": "agent", "text": format!("I'm sorry, I'll sort out {ext} now.")}
        ]})
        .to_string(),
    )
    .unwrap();
    let (cid, _) = app
        .store
        .store_conversation(Actor::system(org), &t, chrono::Utc::now())
        .await
        .unwrap();
    let (analysis, _) = rapport_server::frontline::analyse(
        &t,
        &rapport_server::frontline::Rubric::default_rubric(),
    );
    app.store
        .save_conversation_analysis(org, cid, &analysis, chrono::Utc::now())
        .await
        .unwrap();
    cid.0
}

fn name(s: &str) -> Name {
    Name::parse("name", s).unwrap()
}

/// One team with its lead and agent, and one record of every kind, all marked with `marker`.
async fn scope(app: &TestApp, org: OrgId, marker: &'static str, slug: &str) -> Scope {
    let a = Actor::system(org);
    let s = &app.store;
    let team = s
        .create_team(
            a,
            &NewTeam {
                name: name(&format!("Team {marker}")),
                lead_id: None,
            },
        )
        .await
        .unwrap();
    let lead = app
        .caller(
            org,
            &format!("lead-{marker}@{slug}.test"),
            Role::TeamLead,
            Locale::En,
            Some(team.id),
        )
        .await;
    let agent = app
        .caller(
            org,
            &format!("agent-{marker}@{slug}.test"),
            Role::Agent,
            Locale::En,
            Some(team.id),
        )
        .await;
    s.update_team(
        a,
        team.id,
        &NewTeam {
            name: name(&format!("Team {marker}")),
            lead_id: Some(lead.user.id),
        },
    )
    .await
    .unwrap();
    let customer = s
        .create_customer(
            a,
            &NewCustomer {
                external_id: name(&format!("C-{marker}")),
                name: name(&format!("Customer {marker}")),
                locale: Locale::En,
                email: None,
                phone: None,
                consent: Consent::default(),
            },
        )
        .await
        .unwrap();
    let journey = s
        .create_journey(
            a,
            &NewJourney {
                name: name(&format!("Journey {marker}")),
                description: Some(Text::parse("d", &format!("About {marker}")).unwrap()),
                locale: Locale::En,
            },
        )
        .await
        .unwrap();
    let stage = s
        .create_stage(
            a,
            journey.journey.id,
            &NewStage {
                name: name(&format!("Stage {marker}")),
                kind: StageKind::Custom,
                position: None,
            },
        )
        .await
        .unwrap();
    let tp = s
        .create_touchpoint(
            a,
            &NewTouchpoint {
                stage_id: stage.id,
                name: name(&format!("Touchpoint {marker}")),
                channel: Channel::Phone,
                owner_id: None,
                promise: Some(Text::parse("p", &format!("Promise {marker}")).unwrap()),
                position: None,
            },
        )
        .await
        .unwrap();
    // Surveys sit on a touchpoint of their own journey: touchpoints with surveys stay.
    let sj = s
        .create_journey(
            a,
            &NewJourney {
                name: name(&format!("Surveyed {marker}")),
                description: None,
                locale: Locale::En,
            },
        )
        .await
        .unwrap();
    let stp = s
        .create_touchpoint(
            a,
            &NewTouchpoint {
                stage_id: sj.stages[3].stage.id,
                name: name(&format!("Claims line {marker}")),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let survey = s
        .create_survey(
            a,
            stp.id,
            &name(&format!("Survey {marker}")),
            &rapport_domain::survey::default_definition(),
            &format!("pub{marker}"),
        )
        .await
        .unwrap();
    let survey = s
        .set_survey_status(a, survey.id, rapport_domain::voc::SurveyStatus::Published)
        .await
        .unwrap();
    let raw = BTreeMap::from([
        (
            "nps".to_string(),
            rapport_domain::survey::RawAnswer::Number(3.0),
        ),
        (
            "why_low".to_string(),
            rapport_domain::survey::RawAnswer::Text(format!("Nobody called back about {marker}")),
        ),
    ]);
    let (response, _) = s
        .insert_response(
            org,
            &rapport_domain::voc::NewResponse {
                survey_id: survey.id,
                version: survey.version,
                customer_id: Some(customer.id),
                agent_id: Some(agent.user.id),
                invitation_id: None,
                locale: Locale::En,
                source: rapport_domain::voc::ResponseSource::Api,
                idempotency_key: None,
                external_id: None,
                submitted_at: chrono::Utc::now(),
                answers: survey.definition.parse_answers(&raw).unwrap(),
            },
        )
        .await
        .unwrap();
    let (case, _) = s
        .open_case(
            a,
            &rapport_domain::cases::NewCase {
                title: format!("Case {marker}"),
                priority: rapport_domain::cases::Priority::Normal,
                source: rapport_domain::cases::CaseSource::Response,
                response_id: Some(response),
                source_ref: None,
                customer_id: Some(customer.id),
                touchpoint_id: Some(stp.id),
                agent_id: Some(agent.user.id),
                owner_id: Some(lead.user.id),
                triggers: vec![],
                original_nps: Some(3),
                opened_at: chrono::Utc::now(),
                notify_owner: false,
            },
        )
        .await
        .unwrap();
    s.add_case_note(
        a,
        case.id,
        rapport_domain::cases::NoteKind::CustomerSaid,
        &format!("Note {marker}"),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let mut rule = rapport_domain::alerts::default_rules()[0].clone();
    rule.name = format!("Rule {marker}");
    let rule = s.create_alert_rule(a, &rule).await.unwrap();
    s.set_followup_plan(
        a,
        &rapport_domain::followups::FollowupPlan {
            touchpoint_id: stp.id,
            after_days: 30,
            mode: rapport_domain::followups::FollowupMode::Call,
            survey_id: None,
        },
    )
    .await
    .unwrap();
    let followup = s
        .schedule_followup(org, stp.id, customer.id, chrono::Utc::now())
        .await
        .unwrap()
        .unwrap();
    let inbound = s
        .create_inbound_source(
            a,
            &format!("Source {marker}"),
            &format!("in-{marker}"),
            "whsec_test",
            &rapport_domain::webhooks::InboundMapping {
                event_pointer: "/type".into(),
                trigger_values: vec!["ticket.solved".into()],
                ticket_pointer: "/ticket/id".into(),
                customer_pointer: "/ticket/requester/id".into(),
                email_pointer: None,
                name_pointer: None,
                locale_pointer: None,
                survey_id: survey.id.0,
                new_customers_consent_to_email: false,
            },
        )
        .await
        .unwrap();
    // Nothing listens on the discard port: the delivery stays pending.
    let webhook = s
        .create_webhook(
            a,
            &rapport_domain::webhooks::WebhookSpec {
                url: format!("http://127.0.0.1:9/{marker}"),
                description: format!("Webhook {marker}"),
                events: vec!["case.updated".into()],
                active: true,
            },
            "whsec_fixture",
        )
        .await
        .unwrap();
    s.emit_event(
        org,
        "case.updated",
        &json!({"tag": marker}),
        None,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let delivery = s.list_deliveries(org, webhook.id, None, 1).await.unwrap()[0].id;
    let (_, prefix, hash) = rapport_server::auth::secrets::new_api_token();
    let token = s
        .create_api_token(
            a,
            lead.user.id,
            &name(&format!("Token {marker}")),
            &prefix,
            &hash,
        )
        .await
        .unwrap();
    let conversation =
        analysed_conversation(app, org, &format!("{marker}conv-agent"), &agent.user.email).await;
    let lead_conversation =
        analysed_conversation(app, org, &format!("{marker}conv-lead"), &lead.user.email).await;
    let story = s
        .create_story(
            Actor::user(org, lead.user.id),
            &rapport_domain::frontline::NewStory {
                agent_id: agent.user.id,
                title: format!("Story {marker}"),
                value: "ownership".into(),
                customer_words: format!("She did not let go of {marker}."),
                agent_did: "Stayed on the line.".into(),
                outcome: "Renewed.".into(),
                conversation_id: Some(ConversationId(conversation)),
                response_id: None,
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    s.create_coaching(
        Actor::user(org, lead.user.id),
        &rapport_domain::frontline::NewCoaching {
            agent_id: agent.user.id,
            focus: "empathy".into(),
            agreed: format!("{marker}coach: slow down at the start"),
            conversation_ids: vec![ConversationId(conversation)],
            follow_up_on: chrono::Utc::now().date_naive() + chrono::Duration::days(14),
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    s.give_kudos(
        Actor::user(org, lead.user.id),
        &rapport_domain::frontline::NewKudos {
            to_user: agent.user.id,
            message: format!("{marker}kudos for staying on"),
            public: false,
            conversation_id: None,
            response_id: None,
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    // Both members check in, so the team has a mood group.
    for who in [&lead, &agent] {
        s.check_in(
            org,
            who.user.id,
            team.id,
            chrono::Utc::now().date_naive(),
            3,
        )
        .await
        .unwrap();
    }
    let pulse = s
        .create_pulse(
            a,
            &format!("Pulse {marker}"),
            "2026-Q4",
            &rapport_domain::ambassadorship::default_pulse(),
        )
        .await
        .unwrap();
    let ids = BTreeMap::from([
        ("user", agent.user.id.0),
        ("team", team.id.0),
        ("customer", customer.id.0),
        ("journey", journey.journey.id.0),
        ("stage", stage.id.0),
        ("touchpoint", tp.id.0),
        ("survey_touchpoint", stp.id.0),
        ("survey", survey.id.0),
        ("response", response.0),
        ("case", case.id.0),
        ("rule", rule.id.0),
        ("followup", followup.0),
        ("inbound", inbound.id),
        ("webhook", webhook.id.0),
        ("delivery", delivery),
        ("token", token.id.0),
        ("conversation", conversation),
        ("lead_conversation", lead_conversation),
        ("story", story.id.0),
        ("pulse", pulse.id),
    ]);
    Scope {
        marker,
        lead,
        agent,
        ids,
    }
}

/// What an `{id}` in a route names.
fn kind_of(template: &str) -> &'static str {
    let t = template.trim_start_matches("/api/v1");
    let first = t.split('/').nth(1).unwrap_or_default();
    match first {
        "users" => "user",
        "teams" => "team",
        "customers" => "customer",
        "journeys" => "journey",
        "insights" => "journey",
        "stages" => "stage",
        "touchpoints" => "touchpoint",
        "surveys" => "survey",
        "responses" => "response",
        "cases" => "case",
        "alert-rules" => "rule",
        "followups" => "followup",
        "inbound-sources" => "inbound",
        "webhooks" => "webhook",
        "tokens" => "token",
        "conversations" => "conversation",
        "stories" | "wall" => "story",
        "pulses" => "pulse",
        "settings" => match t.split('/').nth(2).unwrap_or_default() {
            "alerts" => "rule",
            "webhooks" => "webhook",
            "inbound-sources" => "inbound",
            other => panic!("no kind for /settings/{other}"),
        },
        other => panic!("no kind for {other} in {template}"),
    }
}

/// Per-agent records: visible as `can_see_agent` says, not to the whole organisation.
fn per_agent(template: &str) -> bool {
    kind_of(template) == "conversation"
}

/// Fills a template's ids from a scope (`None`: an id that does not exist).
fn fill(template: &str, scope: Option<&Scope>, kind: &str) -> String {
    let first = scope.map_or(MISSING, |s| s.id(kind));
    let second = scope.map_or(MISSING, |s| s.id("delivery"));
    let mut n = 0;
    template
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                n += 1;
                if n == 1 { first } else { second }.to_string()
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The query a list needs to answer at all (required parameters).
fn with_query(template: &str) -> String {
    match template {
        "/api/v1/linkage" => format!("{template}?ex=ambassadorship&cx=nps"),
        "/api/v1/search/similar" => format!("{template}?text=waited"),
        _ => template.to_string(),
    }
}

/// A request an allowed caller could make to a route of the caller's own organisation; ids in
/// the body name records of `own`.
fn api_body(method: &str, template: &str, own: &Scope) -> Option<Value> {
    let t = template.trim_start_matches("/api/v1");
    let body = match (method, t) {
        ("POST", "/conversations/{id}/evaluation/review") => {
            json!({"overrides": [{"criterion": "empathy", "score": 80, "reason": "apologised at once"}]})
        }
        ("POST", "/conversations/{id}/evaluation/response") => json!({"response": "acknowledge"}),
        ("POST", "/customers/{id}/events") => {
            json!({"kind": "purchase", "occurred_at": "2026-01-05T10:00:00Z", "external_id": "ev-probe"})
        }
        ("POST", "/customers/{id}/events/batch") => {
            json!([{"kind": "referral", "occurred_at": "2026-01-06T10:00:00Z", "external_id": "ev-b-probe"}])
        }
        ("PUT", "/users/{id}") => {
            json!({"display_name": "T", "role": "agent", "team_id": own.id("team"), "locale": "el", "active": true})
        }
        ("PUT", "/teams/{id}") => json!({"name": "renamed", "lead_id": null}),
        ("PUT", "/customers/{id}") => {
            json!({"external_id": "C-renamed", "name": "Νίκος Π.", "locale": "el", "consent": {"email": true}})
        }
        ("PUT", "/journeys/{id}") => json!({"name": "J2", "locale": "en"}),
        ("POST", "/journeys/{id}/stages") => json!({"name": "Loyalty", "kind": "custom"}),
        ("PUT", "/stages/{id}") => json!({"name": "Extra", "kind": "custom", "position": 0}),
        ("PUT", "/touchpoints/{id}") => {
            json!({"stage_id": own.id("stage"), "name": "tp", "channel": "chat"})
        }
        ("PUT", "/surveys/{id}") => {
            json!({"name": "After the call", "definition": rapport_domain::survey::default_definition()})
        }
        ("POST", "/surveys/{id}/responses") => json!({"answers": {"nps": 10}}),
        ("POST", "/surveys/{id}/responses/batch") => {
            json!({"responses": [{"answers": {"nps": 4}}]})
        }
        ("POST", "/surveys/{id}/invitations") => json!({"customer_id": own.id("customer")}),
        ("POST", "/cases/{id}/transitions") => json!({"to": "contacted"}),
        ("POST", "/cases/{id}/notes") => {
            json!({"kind": "customer_said", "body": "Nobody called me back."})
        }
        ("PUT", "/cases/{id}/owner") => json!({"owner_id": own.lead.user.id}),
        ("PUT", "/cases/{id}/root_causes") => json!({"root_causes": ["billing"]}),
        ("PUT", "/alert-rules/{id}") => {
            json!({"name": "Detractor", "conditions": [{"kind": "nps_at_most", "value": 5}], "priority": "high"})
        }
        ("POST", "/followups/{id}/result") => {
            json!({"state": "done", "outcome": "Happy with the repair"})
        }
        ("PUT", "/webhooks/{id}") => {
            json!({"url": "http://127.0.0.1:9/hook", "events": ["case.updated", "case.closed"]})
        }
        _ => return None,
    };
    Some(body)
}

/// The fields a web form of the caller's own organisation would send (besides `csrf`).
fn web_form(template: &str, own: &Scope) -> Vec<(&'static str, String)> {
    let kind = if template.starts_with("/stages") || template.ends_with("/stages") {
        "custom"
    } else {
        "customer_said"
    };
    vec![
        (
            "definition",
            serde_json::to_string(&rapport_domain::survey::default_definition()).unwrap(),
        ),
        ("name", "Renamed".into()),
        ("display_name", "Renamed".into()),
        ("role", "agent".into()),
        ("locale", "en".into()),
        ("kind", kind.into()),
        ("body", "A note".into()),
        ("to", "contacted".into()),
        ("owner_id", own.lead.user.id.0.to_string()),
        ("stage_id", own.id("stage").to_string()),
        ("channel", "chat".into()),
        ("state", "done".into()),
        ("outcome", "Happy".into()),
        ("mood", "4".into()),
        ("response", "acknowledge".into()),
        ("minutes", "10".into()),
        ("customer_id", own.id("customer").to_string()),
    ]
}

/// The API table: method, path template (every parameter written `{id}`) and access level.
/// Must equal the operations of `/api/openapi.json`.
const API: &str = "
GET /api/v1/me Members
POST /api/v1/conversations Leads
POST /api/v1/conversations/batch Leads
GET /api/v1/conversations Frontline
GET /api/v1/conversations/{id} Frontline
GET /api/v1/conversations/{id}/evaluation Frontline
POST /api/v1/conversations/{id}/qa Leads
POST /api/v1/conversations/{id}/evaluation/review Leads
POST /api/v1/conversations/{id}/evaluation/response Frontline
GET /api/v1/qa/agreement Leads
GET /api/v1/qa/rubric Leads
PUT /api/v1/qa/rubric Managers
GET /api/v1/scorecards Frontline
GET /api/v1/coaching Frontline
POST /api/v1/coaching Leads
GET /api/v1/listening Leads
POST /api/v1/listening Leads
GET /api/v1/listening/next Leads
GET /api/v1/kudos Members
POST /api/v1/kudos Members
GET /api/v1/kudos/suggestions Leads
GET /api/v1/stories Members
POST /api/v1/stories Frontline
POST /api/v1/stories/{id}/approve Leads
POST /api/v1/me/checkin Frontline
GET /api/v1/checkins Leads
POST /api/v1/me/manager-rating Frontline
GET /api/v1/managers/ratings Leads
GET /api/v1/pulses Managers
POST /api/v1/pulses Managers
GET /api/v1/pulses/{id} Managers
POST /api/v1/pulses/{id}/open Managers
POST /api/v1/pulses/{id}/close Managers
GET /api/v1/pulse-results Members
GET /api/v1/pulse-schedule Managers
PUT /api/v1/pulse-schedule Managers
GET /api/v1/customers/{id}/events Frontline
POST /api/v1/customers/{id}/events Managers
POST /api/v1/customers/{id}/events/batch Managers
GET /api/v1/behaviour Leads
GET /api/v1/behaviour/touchpoints Leads
GET /api/v1/linkage Members
GET /api/v1/customers/{id}/brief Frontline
GET /api/v1/organisation Members
PUT /api/v1/organisation Admins
GET /api/v1/users Leads
POST /api/v1/users Admins
GET /api/v1/users/{id} Leads
PUT /api/v1/users/{id} Admins
GET /api/v1/teams Members
POST /api/v1/teams Admins
GET /api/v1/teams/{id} Members
PUT /api/v1/teams/{id} Admins
GET /api/v1/customers Frontline
POST /api/v1/customers Managers
GET /api/v1/customers/{id} Frontline
PUT /api/v1/customers/{id} Managers
GET /api/v1/journeys Members
POST /api/v1/journeys Managers
GET /api/v1/journeys/{id} Members
PUT /api/v1/journeys/{id} Managers
POST /api/v1/journeys/{id}/stages Managers
PUT /api/v1/stages/{id} Managers
POST /api/v1/touchpoints Managers
GET /api/v1/touchpoints/{id} Members
PUT /api/v1/touchpoints/{id} Managers
GET /api/v1/surveys Leads
POST /api/v1/surveys Managers
GET /api/v1/surveys/{id} Leads
PUT /api/v1/surveys/{id} Managers
POST /api/v1/surveys/{id}/publish Managers
POST /api/v1/surveys/{id}/responses Frontline
POST /api/v1/surveys/{id}/responses/batch Frontline
POST /api/v1/surveys/{id}/invitations Managers
GET /api/v1/responses Leads
GET /api/v1/metrics Members
GET /api/v1/search/similar Leads
GET /api/v1/responses/{id} Leads
POST /api/v1/surveys/{id}/close Managers
GET /api/v1/cases Leads
POST /api/v1/cases Leads
GET /api/v1/cases/metrics Managers
GET /api/v1/cases/{id} Leads
POST /api/v1/cases/{id}/transitions Leads
POST /api/v1/cases/{id}/notes Leads
PUT /api/v1/cases/{id}/owner Leads
PUT /api/v1/cases/{id}/root_causes Leads
GET /api/v1/alert-rules Managers
POST /api/v1/alert-rules Managers
GET /api/v1/alert-rules/{id} Managers
PUT /api/v1/alert-rules/{id} Managers
GET /api/v1/sla-policy Leads
PUT /api/v1/sla-policy Managers
GET /api/v1/followup-plans Leads
PUT /api/v1/followup-plans Managers
GET /api/v1/followups Leads
POST /api/v1/followups/{id}/result Leads
DELETE /api/v1/alert-rules/{id} Managers
GET /api/v1/me/digest Members
PUT /api/v1/me/digest Members
GET /api/v1/inbound-sources Admins
POST /api/v1/inbound-sources Admins
DELETE /api/v1/inbound-sources/{id} Admins
GET /api/v1/tokens Members
POST /api/v1/tokens Members
GET /api/v1/audit Admins
GET /api/v1/webhooks Admins
POST /api/v1/webhooks Admins
GET /api/v1/webhooks/{id} Admins
PUT /api/v1/webhooks/{id} Admins
GET /api/v1/webhooks/{id}/deliveries Admins
GET /api/v1/webhooks/{id}/deliveries/{id}/attempts Admins
POST /api/v1/webhooks/{id}/deliveries/{id}/redeliver Admins
DELETE /api/v1/webhooks/{id} Admins
DELETE /api/v1/tokens/{id} Members
DELETE /api/v1/touchpoints/{id} Managers
DELETE /api/v1/stages/{id} Managers
DELETE /api/v1/journeys/{id} Managers
DELETE /api/v1/customers/{id} Managers
DELETE /api/v1/teams/{id} Admins
DELETE /api/v1/users/{id} Admins
";

/// The web table: method, path as `web::route_table()` writes it, and access level
/// (`Public`: no sign-in; `Asset`: a stylesheet). Must equal `web::route_table()`.
const WEB: &str = "
GET / Members
GET /login Public
POST /login Public
POST /logout Public
POST /locale Public
GET /settings Members
POST /settings Admins
GET /users Leads
POST /users Admins
POST /users/{id} Admins
GET /teams Members
POST /teams Admins
POST /teams/{id} Admins
POST /teams/{id}/delete Admins
GET /customers Frontline
GET /tokens Members
POST /tokens Members
POST /tokens/{id}/revoke Members
GET /audit Admins
GET /journeys Members
POST /journeys Managers
GET /journeys/{id} Members
POST /journeys/{id} Managers
POST /journeys/{id}/delete Managers
POST /journeys/{id}/stages Managers
POST /stages/{id} Managers
POST /stages/{id}/delete Managers
POST /touchpoints Managers
POST /touchpoints/{id} Managers
POST /touchpoints/{id}/delete Managers
GET /assets/app.css Asset
GET /assets/surveys.css Asset
GET /assets/insights.css Asset
GET /assets/cases.css Asset
GET /assets/alerts.css Asset
GET /assets/webhooks.css Asset
GET /assets/frontline.css Asset
GET /assets/ambassadorship.css Asset
GET /settings/alerts Managers
POST /settings/alerts Managers
POST /settings/alerts/defaults Managers
POST /settings/alerts/{id}/toggle Managers
POST /settings/alerts/{id}/delete Managers
POST /settings/sla Managers
GET /pulses Managers
POST /pulses Managers
GET /pulses/{id} Managers
POST /pulses/{id}/open Managers
POST /pulses/{id}/close Managers
GET /pulse-results Members
GET /behaviour Leads
GET /linkage Members
GET /cases Leads
GET /cases/{id} Leads
POST /cases/{id}/notes Leads
POST /cases/{id}/transition Leads
POST /cases/{id}/assign Leads
POST /cases/{id}/root-causes Leads
GET /followups Leads
POST /followups/{id} Leads
GET /conversations Frontline
GET /conversations/{id} Frontline
POST /conversations/{id}/review Leads
POST /conversations/{id}/respond Frontline
POST /conversations/{id}/listened Leads
GET /scorecards Frontline
GET /coaching Leads
POST /coaching Leads
POST /coaching/listening Leads
GET /wall Members
POST /wall/kudos Members
POST /wall/stories Frontline
POST /wall/stories/{id}/approve Leads
GET /customers/{id}/brief Frontline
POST /customers/{id}/checkin Frontline
GET /me/lead-rating Frontline
POST /me/lead-rating Frontline
GET /lead-ratings Leads
GET /insights Members
GET /insights/journeys/{id} Members
GET /responses Leads
GET /responses/{id} Leads
GET /customers/{id} Leads
GET /pulse/{token} Public
POST /pulse/{token} Public
GET /s/{public_id} Public
POST /s/{public_id} Public
GET /i/{token} Public
POST /i/{token} Public
GET /surveys Leads
POST /surveys Managers
GET /surveys/{id} Leads
POST /surveys/{id} Managers
POST /surveys/{id}/publish Managers
POST /surveys/{id}/close Managers
GET /surveys/{id}/invitations Managers
POST /surveys/{id}/invitations Managers
GET /surveys/{id}/preview Leads
POST /surveys/{id}/preview Leads
GET /settings/webhooks Admins
POST /settings/webhooks Admins
GET /settings/webhooks/{id} Admins
POST /settings/webhooks/{id}/toggle Admins
POST /settings/webhooks/{id}/delete Admins
POST /settings/webhooks/{id}/deliveries/{delivery}/redeliver Admins
POST /settings/inbound-sources Admins
POST /settings/inbound-sources/{id}/delete Admins
GET /password/forgot Public
POST /password/forgot Public
GET /password/reset Public
POST /password/reset Public
POST /users/{id}/password-reset Admins
";

#[derive(Clone, Copy, PartialEq, Debug)]
enum Level {
    Role(Access),
    Public,
    Asset,
}

fn level(s: &str) -> Level {
    match s {
        "Members" => Level::Role(Access::Members),
        "Frontline" => Level::Role(Access::Frontline),
        "Leads" => Level::Role(Access::Leads),
        "Managers" => Level::Role(Access::Managers),
        "Admins" => Level::Role(Access::Admins),
        "Public" => Level::Public,
        "Asset" => Level::Asset,
        other => panic!("unknown level {other}"),
    }
}

fn table(src: &str) -> Vec<(String, String, Level)> {
    src.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut p = l.split_whitespace();
            let (m, t, a) = (p.next().unwrap(), p.next().unwrap(), p.next().unwrap());
            (m.to_string(), t.to_string(), level(a))
        })
        .collect()
}

/// Secure headers every response carries, API and page alike.
fn assert_secure_headers(h: &reqwest::header::HeaderMap, cell: &str) {
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{cell}: no CSP"))
        .to_str()
        .unwrap();
    assert!(
        !csp.contains("unsafe-inline"),
        "{cell}: CSP allows inline: {csp}"
    );
    assert!(
        !csp.contains("unsafe-eval"),
        "{cell}: CSP allows eval: {csp}"
    );
    assert!(
        csp.contains("frame-ancestors 'none'"),
        "{cell}: CSP without frame-ancestors: {csp}"
    );
    assert!(
        csp.contains("default-src 'self'"),
        "{cell}: CSP default-src: {csp}"
    );
    assert_eq!(
        h.get("x-content-type-options").map(|v| v.to_str().unwrap()),
        Some("nosniff"),
        "{cell}: nosniff"
    );
    assert!(
        h.get("referrer-policy").is_some(),
        "{cell}: no Referrer-Policy"
    );
    assert_eq!(
        h.get("x-frame-options").map(|v| v.to_str().unwrap()),
        Some("DENY"),
        "{cell}: X-Frame-Options"
    );
}

struct Reply {
    status: u16,
    body: String,
}

#[allow(clippy::too_many_arguments)]
async fn send(
    client: &reqwest::Client,
    app: &TestApp,
    method: &str,
    path: &str,
    auth: Option<&str>,
    json_body: Option<&Value>,
    form: Option<&[(&str, String)]>,
    cell: &str,
) -> Reply {
    let mut req = client.request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        app.url(path),
    );
    if let Some(t) = auth {
        req = req.bearer_auth(t);
    }
    if let Some(b) = json_body {
        req = req.json(b);
    }
    if let Some(f) = form {
        req = req.form(f);
    }
    let resp = req.send().await.unwrap();
    assert_secure_headers(resp.headers(), cell);
    Reply {
        status: resp.status().as_u16(),
        body: resp.text().await.unwrap(),
    }
}

fn assert_clean(fails: &mut Vec<String>, body: &str, forbidden: &[&str], cell: &str) {
    for m in forbidden {
        if body.contains(m) {
            let at = body.find(m).unwrap_or(0);
            let from = body.floor_char_boundary(at.saturating_sub(150));
            let to = body.ceil_char_boundary((at + 50).min(body.len()));
            fails.push(format!("{cell}: body shows {m}: …{}…", &body[from..to]));
        }
    }
}

fn short(body: &str) -> &str {
    &body[..body.floor_char_boundary(200)]
}

/// Records a failed cell and goes on, so one run reports the whole matrix.
macro_rules! check {
    ($fails:expr, $cond:expr, $($msg:tt)+) => {
        if !$cond {
            $fails.push(format!($($msg)+));
        }
    };
}

/// Every record of a scope that a GET with an id shows, as its organisation's admin sees it.
async fn snapshot(
    app: &TestApp,
    api: &[(String, String, Level)],
    admin: &Caller,
    scope: &Scope,
) -> BTreeMap<String, (u16, Value)> {
    let mut out = BTreeMap::new();
    for (m, t, _) in api {
        if m != "GET" || !t.contains("{id}") {
            continue;
        }
        let path = fill(t, Some(scope), kind_of(t));
        let reply = app.api(admin, Method::GET, &path, None).await;
        out.insert(path, reply);
    }
    out
}

/// Markers a list must not show the caller: never another organisation's; per-agent records
/// (conversations, coaching) only of the caller's scope; private kudos only to the two people.
fn list_forbidden(role: Role, in_a1: bool, template: &str) -> Vec<String> {
    let mut out = vec![B.to_string()];
    let per_agent_list = ["/conversations", "/coaching", "/listening/next"]
        .iter()
        .any(|p| template.ends_with(p));
    if per_agent_list {
        match role {
            Role::TeamLead => out.extend([format!("{A2}conv"), format!("{A2}coach")]),
            Role::Agent => out.extend([
                format!("{A2}conv"),
                format!("{A2}coach"),
                format!("{A1}conv-lead"),
            ]),
            _ => {}
        }
    }
    if template.ends_with("/kudos") || template == "/wall" {
        out.push(format!("{A2}kudos"));
        if !in_a1 {
            out.push(format!("{A1}kudos"));
        }
    }
    out
}

/// The expected status of an own-organisation GET: 403 below the access level, else 200, and
/// per-agent records only where `can_see_agent` allows.
/// May `role`, placed in scope `own` when it is a lead or an agent, see the per-agent records
/// of `target` (its agent's conversations)? Agents: their own; leads: their team's.
fn agent_visible(role: Role, target: &Scope, own: &Scope) -> bool {
    match role {
        Role::Admin | Role::CxManager => true,
        Role::TeamLead | Role::Agent => std::ptr::eq(target, own),
        Role::Viewer => false,
    }
}

/// May `role` make this write to `target`'s conversation? Reviews, QA runs and listening marks
/// follow `agent_visible`; the answer to an evaluation is the evaluated agent's own, nobody
/// else's (not even an admin's: a manager must not speak for the agent).
fn may_write(role: Role, access: Access, template: &str, target: &Scope, own: &Scope) -> bool {
    let agents_own = template.ends_with("/evaluation/response") || template.ends_with("/respond");
    if agents_own {
        role == Role::Agent && std::ptr::eq(target, own)
    } else {
        access.allows(role) && agent_visible(role, target, own)
    }
}

/// A write to a per-agent record: refused with 403 when the caller may not act on it; when it
/// may, anything but a refusal, a "not found" or a server error (a repeated review or response
/// may answer 409 or 422: the state moved on, the permission did not).
fn check_team_write(fails: &mut Vec<String>, r: &Reply, allowed: bool, cell: &str) {
    let ok = if allowed {
        !matches!(r.status, 403 | 404) && r.status < 500
    } else {
        r.status == 403
    };
    if !ok {
        fails.push(format!(
            "{cell}: got {} (allowed: {allowed}): {}",
            r.status,
            short(&r.body)
        ));
    }
}

fn expected_get(role: Role, access: Access, per_agent: bool, visible: bool) -> u16 {
    if !access.allows(role) || (per_agent && !visible) {
        403
    } else {
        200
    }
}

async fn authorisation_matrix(app: TestApp) {
    let mut fails: Vec<String> = vec![];
    let org_a = app.org("orga").await;
    let org_b = app.org("orgb").await;
    let admin = app
        .caller(org_a.id, "admin@orga.test", Role::Admin, Locale::En, None)
        .await;
    let manager = app
        .caller(
            org_a.id,
            "manager@orga.test",
            Role::CxManager,
            Locale::En,
            None,
        )
        .await;
    let viewer = app
        .caller(org_a.id, "viewer@orga.test", Role::Viewer, Locale::En, None)
        .await;
    let admin_b = app
        .caller(org_b.id, "admin@orgb.test", Role::Admin, Locale::En, None)
        .await;
    let a1 = scope(&app, org_a.id, A1, "orga").await;
    let a2 = scope(&app, org_a.id, A2, "orga").await;
    let b = scope(&app, org_b.id, B, "orgb").await;

    // ---- the tables equal what is served ----
    let doc: Value = TestApp::client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let path = path
                .split('/')
                .map(|seg| if seg.starts_with('{') { "{id}" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            documented.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let api = table(API);
    let tabled: BTreeSet<String> = api.iter().map(|(m, t, _)| format!("{m} {t}")).collect();
    check!(
        fails,
        tabled == documented,
        "API table and OpenAPI operations disagree: only tabled {:?}, only documented {:?}",
        tabled.difference(&documented).collect::<Vec<_>>(),
        documented.difference(&tabled).collect::<Vec<_>>()
    );
    let web = table(WEB);
    let served: BTreeSet<String> = rapport_server::web::route_table()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let tabled: BTreeSet<String> = web.iter().map(|(m, t, _)| format!("{m} {t}")).collect();
    check!(
        fails,
        tabled == served,
        "web table and web::route_table() disagree: only tabled {:?}, only served {:?}",
        tabled.difference(&served).collect::<Vec<_>>(),
        served.difference(&tabled).collect::<Vec<_>>()
    );

    // Other organisation's records, as its admin sees them, before any probe.
    // Background analysis fills in the response (and what shows it): wait for it first.
    let response = format!("/api/v1/responses/{}", b.id("response"));
    for _ in 0..120 {
        let (_, r) = app.api(&admin_b, Method::GET, &response, None).await;
        if !r["analysis"].is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let before = snapshot(&app, &api, &admin_b, &b).await;
    for (path, (status, _)) in &before {
        check!(fails, *status == 200, "org B's own admin reads {path}");
    }

    // The five roles of organisation A; the lead and the agent belong to team A1.
    let callers: Vec<&Caller> = vec![&admin, &manager, &a1.lead, &a1.agent, &viewer];
    let client = TestApp::client();
    let mut cells = 0usize;

    // ---- API ----
    for caller in &callers {
        let role = caller.user.role;
        let who = role.as_str();
        for (method, template, lvl) in &api {
            let Level::Role(access) = *lvl else {
                unreachable!()
            };
            if !template.contains("{id}") {
                if method != "GET" {
                    continue; // creation without an id: tests/api.rs checks every role
                }
                let cell = format!("{method} {template} as {who}");
                let r = send(
                    &client,
                    &app,
                    method,
                    &with_query(template),
                    Some(&caller.token),
                    None,
                    None,
                    &cell,
                )
                .await;
                check!(
                    fails,
                    r.status == expected_get(role, access, false, true),
                    "{cell}: got {} {}",
                    r.status,
                    short(&r.body)
                );
                let in_a1 = matches!(role, Role::TeamLead | Role::Agent);
                let forbidden = list_forbidden(role, in_a1, template);
                let forbidden: Vec<&str> = forbidden.iter().map(String::as_str).collect();
                assert_clean(&mut fails, &r.body, &forbidden, &cell);
                cells += 1;
                continue;
            }
            let kind = kind_of(template);
            let body = api_body(method, template, &a1);
            // Another organisation's record answers as a missing one, and stays as it was.
            let missing = fill(template, None, kind);
            let foreign = fill(template, Some(&b), kind);
            let cell = format!("{method} {template} as {who} (missing)");
            let rm = send(
                &client,
                &app,
                method,
                &missing,
                Some(&caller.token),
                body.as_ref(),
                None,
                &cell,
            )
            .await;
            let cell = format!("{method} {template} as {who} (other organisation)");
            let rf = send(
                &client,
                &app,
                method,
                &foreign,
                Some(&caller.token),
                body.as_ref(),
                None,
                &cell,
            )
            .await;
            check!(
                fails,
                rf.status == rm.status,
                "{cell}: {} unlike a missing id ({}): {}",
                rf.status,
                rm.status,
                short(&rf.body)
            );
            let expected = if access.allows(role) { 404 } else { 403 };
            check!(
                fails,
                rf.status == expected,
                "{cell}: got {} want {expected}: {}",
                rf.status,
                short(&rf.body)
            );
            assert_clean(&mut fails, &rf.body, &[B], &cell);
            cells += 2;
            if method != "GET" {
                // Writes to per-agent records are the team-scoped ones: another team's
                // conversation is refused and unchanged. Other own-organisation writes are
                // organisation-wide by design; tests/api.rs checks every role on them.
                if per_agent(template) {
                    for (target, label) in [(&a1, "own team"), (&a2, "other team")] {
                        let path = fill(template, Some(target), kind);
                        let cell = format!("{method} {template} as {who} ({label})");
                        let seen = format!("/api/v1/conversations/{}/evaluation", target.id(kind));
                        let before = app.api(&admin, Method::GET, &seen, None).await;
                        let r = send(
                            &client,
                            &app,
                            method,
                            &path,
                            Some(&caller.token),
                            body.as_ref(),
                            None,
                            &cell,
                        )
                        .await;
                        let allowed = may_write(role, access, template, target, &a1);
                        check_team_write(&mut fails, &r, allowed, &cell);
                        if !allowed {
                            let after = app.api(&admin, Method::GET, &seen, None).await;
                            check!(fails, before == after, "{cell}: refused, yet changed");
                        }
                        assert_clean(&mut fails, &r.body, &[B], &cell);
                        cells += 1;
                    }
                }
                continue;
            }
            for (target, label) in [(&a1, "own team"), (&a2, "other team")] {
                let path = fill(template, Some(target), kind);
                let cell = format!("{method} {template} as {who} ({label})");
                let r = send(
                    &client,
                    &app,
                    method,
                    &path,
                    Some(&caller.token),
                    None,
                    None,
                    &cell,
                )
                .await;
                let owner_visible = match role {
                    Role::Admin | Role::CxManager => true,
                    Role::TeamLead => std::ptr::eq(target, &a1),
                    Role::Agent => std::ptr::eq(target, &a1) && kind == "conversation",
                    Role::Viewer => false,
                };
                let want = expected_get(role, access, per_agent(template), owner_visible);
                check!(
                    fails,
                    r.status == want,
                    "{cell}: got {} want {want}: {}",
                    r.status,
                    short(&r.body)
                );
                let mut forbidden = vec![B];
                if want == 403 {
                    forbidden.push(target.marker);
                }
                assert_clean(&mut fails, &r.body, &forbidden, &cell);
                cells += 1;
            }
            // An agent's teammate's conversation is not the agent's.
            if per_agent(template) && role == Role::Agent {
                let path = fill(template, Some(&a1), "lead_conversation");
                let cell = format!("{method} {template} as agent (teammate's)");
                let r = send(
                    &client,
                    &app,
                    method,
                    &path,
                    Some(&caller.token),
                    None,
                    None,
                    &cell,
                )
                .await;
                check!(fails, r.status == 403, "{cell}: got {}", r.status);
                assert_clean(&mut fails, &r.body, &[A1, B], &cell);
                cells += 1;
            }
        }
    }

    // ---- per-agent and per-team lists hold only what the lead's team or the agent owns ----
    let team_a1 = a1.id("team");
    let a1_people = [a1.lead.user.id.0, a1.agent.user.id.0];
    for (caller, people) in [(&a1.lead, &a1_people[..]), (&a1.agent, &a1_people[1..])] {
        let who = caller.user.role.as_str();
        for (path, field) in [
            ("/api/v1/conversations", "agent_id"),
            ("/api/v1/coaching", "agent_id"),
            ("/api/v1/scorecards", "agent_id"),
            ("/api/v1/checkins", "team_id"),
        ] {
            let (status, body) = app.api(caller, Method::GET, path, None).await;
            if status == 403 {
                continue; // a list the role may not see at all (checked above)
            }
            let items = body.as_array().cloned().unwrap_or_default();
            check!(
                fails,
                !items.is_empty(),
                "{path} as {who}: empty, the check would prove nothing"
            );
            for item in &items {
                let id = item[field].as_i64().unwrap_or(-1);
                let ok = if field == "team_id" {
                    id == team_a1
                } else {
                    people.contains(&id)
                };
                check!(
                    fails,
                    ok,
                    "{path} as {who}: {field} {id} is outside the caller's scope"
                );
            }
            cells += 1;
        }
    }

    // Asking for the other team by filter does not widen the scope.
    let a2_agent = a2.agent.user.id.0;
    let a2_team = a2.id("team");
    for caller in [&a1.lead, &a1.agent] {
        let who = caller.user.role.as_str();
        for path in [
            format!("/api/v1/conversations?agent_id={a2_agent}"),
            format!("/api/v1/conversations?team_id={a2_team}"),
            format!("/api/v1/scorecards?agent_id={a2_agent}"),
            format!("/api/v1/scorecards?team_id={a2_team}"),
        ] {
            let cell = format!("GET {path} as {who}");
            let r = send(
                &client,
                &app,
                "GET",
                &path,
                Some(&caller.token),
                None,
                None,
                &cell,
            )
            .await;
            check!(
                fails,
                r.status == 403,
                "{cell}: got {} {}",
                r.status,
                short(&r.body)
            );
            let conv = format!("{A2}conv");
            assert_clean(
                &mut fails,
                &r.body,
                &[&conv, &format!("\"agent_id\":{a2_agent}")],
                &cell,
            );
            cells += 1;
        }
        let (browser, _) = app.browser_login(&caller.user.email).await;
        let path = format!("/conversations?agent={a2_agent}");
        let cell = format!("GET {path} as {who}");
        let r = send(&browser, &app, "GET", &path, None, None, None, &cell).await;
        check!(fails, r.status == 403, "{cell}: got {}", r.status);
        assert_clean(&mut fails, &r.body, &[&format!("{A2}conv")], &cell);
        cells += 1;
    }

    // ---- web ----
    for caller in &callers {
        let role = caller.user.role;
        let who = role.as_str();
        let (browser, csrf) = app.browser_login(&caller.user.email).await;
        for (method, template, lvl) in &web {
            let access = match lvl {
                Level::Role(a) => *a,
                Level::Asset => {
                    let cell = format!("{method} {template} as {who}");
                    let r = send(&browser, &app, method, template, None, None, None, &cell).await;
                    check!(fails, r.status == 200, "{cell}");
                    cells += 1;
                    continue;
                }
                Level::Public => continue, // checked below, signed out
            };
            let mut post: Vec<(&str, String)> = web_form(template, &a1);
            post.push(("csrf", csrf.clone()));
            let post = (method == "POST").then_some(post.as_slice());
            if !template.contains('{') {
                if method != "GET" {
                    continue; // creation without an id: the page tests check every role
                }
                let cell = format!("{method} {template} as {who}");
                let r = send(&browser, &app, method, template, None, None, None, &cell).await;
                check!(
                    fails,
                    r.status == expected_get(role, access, false, true),
                    "{cell}: got {}",
                    r.status
                );
                let in_a1 = matches!(role, Role::TeamLead | Role::Agent);
                let forbidden = list_forbidden(role, in_a1, template);
                let forbidden: Vec<&str> = forbidden.iter().map(String::as_str).collect();
                assert_clean(&mut fails, &r.body, &forbidden, &cell);
                cells += 1;
                continue;
            }
            let kind = kind_of(template);
            let missing = fill(template, None, kind);
            let foreign = fill(template, Some(&b), kind);
            let cell = format!("{method} {template} as {who} (missing)");
            let rm = send(&browser, &app, method, &missing, None, None, post, &cell).await;
            let cell = format!("{method} {template} as {who} (other organisation)");
            let rf = send(&browser, &app, method, &foreign, None, None, post, &cell).await;
            check!(
                fails,
                rf.status == rm.status,
                "{cell}: {} unlike a missing id ({})",
                rf.status,
                rm.status
            );
            let expected = if access.allows(role) { 404 } else { 403 };
            check!(
                fails,
                rf.status == expected,
                "{cell}: got {} want {expected}",
                rf.status
            );
            assert_clean(&mut fails, &rf.body, &[B], &cell);
            cells += 2;
            if method != "GET" {
                if per_agent(template) {
                    for (target, label) in [(&a1, "own team"), (&a2, "other team")] {
                        let path = fill(template, Some(target), kind);
                        let cell = format!("{method} {template} as {who} ({label})");
                        let seen = format!("/api/v1/conversations/{}/evaluation", target.id(kind));
                        let before = app.api(&admin, Method::GET, &seen, None).await;
                        let r = send(&browser, &app, method, &path, None, None, post, &cell).await;
                        let allowed = may_write(role, access, template, target, &a1);
                        check_team_write(&mut fails, &r, allowed, &cell);
                        if !allowed {
                            let after = app.api(&admin, Method::GET, &seen, None).await;
                            check!(fails, before == after, "{cell}: refused, yet changed");
                        }
                        assert_clean(&mut fails, &r.body, &[B], &cell);
                        cells += 1;
                    }
                }
                continue;
            }
            for (target, label) in [(&a1, "own team"), (&a2, "other team")] {
                let path = fill(template, Some(target), kind);
                let cell = format!("{method} {template} as {who} ({label})");
                let r = send(&browser, &app, method, &path, None, None, None, &cell).await;
                let owner_visible = match role {
                    Role::Admin | Role::CxManager => true,
                    Role::TeamLead => std::ptr::eq(target, &a1),
                    Role::Agent => std::ptr::eq(target, &a1) && kind == "conversation",
                    Role::Viewer => false,
                };
                let want = expected_get(role, access, per_agent(template), owner_visible);
                check!(
                    fails,
                    r.status == want,
                    "{cell}: got {} want {want}",
                    r.status
                );
                let mut forbidden = vec![B];
                if want == 403 {
                    forbidden.push(target.marker);
                }
                assert_clean(&mut fails, &r.body, &forbidden, &cell);
                cells += 1;
            }
            if per_agent(template) && role == Role::Agent {
                let path = fill(template, Some(&a1), "lead_conversation");
                let cell = format!("{method} {template} as agent (teammate's)");
                let r = send(&browser, &app, method, &path, None, None, None, &cell).await;
                check!(fails, r.status == 403, "{cell}: got {}", r.status);
                assert_clean(&mut fails, &r.body, &[A1, B], &cell);
                cells += 1;
            }
        }
    }

    // ---- every form post needs the session's CSRF token ----
    let (browser, _) = app.browser_login(&admin.user.email).await;
    for (method, template, _) in web.iter().filter(|(m, _, _)| m == "POST") {
        let path = if !template.contains('{') {
            template.clone()
        } else if template.contains("{token}") || template.contains("{public_id}") {
            template
                .replace("{token}", "nosuchtoken")
                .replace("{public_id}", &format!("pub{A1}"))
        } else {
            fill(template, Some(&a1), kind_of(template))
        };
        let form = web_form(template, &a1);
        let mut forged = form.clone();
        forged.push(("csrf", "0".repeat(64)));
        for (form, how) in [
            (form, "without CSRF"),
            (forged, "with another session's CSRF"),
        ] {
            let cell = format!("{method} {path} {how}");
            let r = send(
                &browser,
                &app,
                method,
                &path,
                None,
                None,
                Some(&form),
                &cell,
            )
            .await;
            check!(fails, r.status == 403, "{cell}: got {}", r.status);
            cells += 1;
        }
    }

    // ---- signed out: API 401, pages to the login form, public pages without data ----
    let anon = TestApp::client();
    for (method, template, _) in &api {
        let path = fill(
            template,
            Some(&a1),
            if template.contains('{') {
                kind_of(template)
            } else {
                "user"
            },
        );
        let cell = format!("{method} {template} signed out");
        let body = if method == "GET" || method == "DELETE" {
            None
        } else {
            Some(json!({}))
        };
        let r = send(&anon, &app, method, &path, None, body.as_ref(), None, &cell).await;
        check!(
            fails,
            r.status == 401,
            "{cell}: got {} {}",
            r.status,
            short(&r.body)
        );
        assert_clean(&mut fails, &r.body, &[A1, A2, B], &cell);
        cells += 1;
    }
    let login_page = anon
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let anon_csrf = common::extract_csrf(&login_page);
    for (method, template, lvl) in &web {
        let path = if template.contains('{') {
            match lvl {
                Level::Public => template
                    .replace("{token}", "nosuchtoken")
                    .replace("{public_id}", "nosuchsurvey"),
                _ => fill(template, Some(&a1), kind_of(template)),
            }
        } else {
            template.clone()
        };
        let cell = format!("{method} {path} signed out");
        let form = vec![("csrf", anon_csrf.clone())];
        let post = (method == "POST").then_some(form.as_slice());
        let r = send(&anon, &app, method, &path, None, None, post, &cell).await;
        match lvl {
            Level::Role(_) => check!(
                fails,
                r.status == 303,
                "{cell}: got {}, not the login form",
                r.status
            ),
            Level::Asset => assert_eq!(r.status, 200, "{cell}"),
            Level::Public => assert!(
                [200, 303, 400, 404, 410, 422].contains(&r.status),
                "{cell}: {}",
                r.status
            ),
        }
        assert_clean(&mut fails, &r.body, &[A1, A2, B], &cell);
        cells += 1;
    }
    // Public links of another organisation's survey and a missing one answer alike.
    let r1 = send(
        &anon,
        &app,
        "GET",
        &format!("/s/pub{B}"),
        None,
        None,
        None,
        "public survey",
    )
    .await;
    check!(
        fails,
        r1.status == 200,
        "a published survey's public link opens: {}",
        r1.status
    );
    assert!(
        !r1.body.contains("Customer zqmark"),
        "no customer data on a public survey page"
    );

    // Outside the role tables: probes, the OpenAPI document and the signed inbound route.
    for path in ["/healthz", "/readyz", "/metrics", "/api/openapi.json"] {
        send(&anon, &app, "GET", path, None, None, None, path).await;
    }
    let r = send(
        &anon,
        &app,
        "POST",
        &format!("/api/v1/inbound/in-{B}"),
        None,
        Some(&json!({"type": "ticket.solved"})),
        None,
        "inbound unsigned",
    )
    .await;
    check!(
        fails,
        r.status == 401,
        "an unsigned inbound body is refused: {}",
        r.body
    );
    assert_clean(&mut fails, &r.body, &[B], "inbound unsigned");

    // Nothing of organisation B changed under all those writes.
    let after = snapshot(&app, &api, &admin_b, &b).await;
    for (path, (status, body)) in &before {
        if path.contains("/deliveries") || path.contains("/webhooks/") {
            // Retries of the pending delivery run in the background; compare its record only.
            check!(fails, after[path].0 == *status, "{path}");
            continue;
        }
        check!(
            fails,
            after[path] == (*status, body.clone()),
            "org B's {path} changed: {} → {}",
            body,
            after[path].1
        );
    }
    let _ = &a2.agent;
    eprintln!("authorisation matrix: {cells} cells");
    assert!(
        fails.is_empty(),
        "{} of {cells} cells failed:\n{}",
        fails.len(),
        fails.join("\n")
    );
}
