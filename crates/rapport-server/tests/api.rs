//! The JSON API against the real server, on SQLite and (when configured) PostgreSQL.

mod common;

use common::{Caller, TestApp};
use rapport_domain::model::*;
use rapport_domain::role::Access;
use rapport_domain::*;
use rapport_storage::Actor;
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(
    health_ready_metrics_and_openapi_answer,
    every_route_enforces_its_role,
    organisations_never_see_each_other,
    bad_input_is_rejected_with_the_field_named_and_nothing_written,
    journeys_start_with_five_stages_and_touchpoints_keep_their_promise,
    tokens_are_shown_once_and_revocable,
);

async fn health_ready_metrics_and_openapi_answer(app: TestApp) {
    let c = TestApp::client();
    let r = c.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "ok");
    let r = c.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["database"], "ok");
    let r = c.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "unauthenticated"
    );
    let r = c
        .get(app.url("/api/v1/me"))
        .bearer_auth("rpt_0000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a bad token is 401");
    assert_eq!(r.headers()["content-type"], "application/json");
    let metrics = c
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "rapport_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"401\"}"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("rapport_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("rapport_db_pool_connections{state=\"open\"}"));
    let doc: Value = c
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/journeys/{id}"]["get"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// A conversation with an auto evaluation, as the worker would leave it.
async fn analysed_conversation(
    s: &std::sync::Arc<dyn rapport_storage::Storage>,
    org: OrgId,
    id: &str,
    agent: Option<String>,
) -> rapport_domain::ConversationId {
    let t = rapport_domain::conversation::parse_json(
        &json!({"id": id, "channel": "phone", "agent": agent, "turns": [
            {"speaker": "customer", "text": "I have waited three days."},
            {"speaker": "agent", "text": "I'm sorry, I'll sort it out now."}
        ]})
        .to_string(),
    )
    .unwrap();
    let (cid, _) = s
        .store_conversation(Actor::system(org), &t, chrono::Utc::now())
        .await
        .unwrap();
    let (analysis, _) = rapport_server::frontline::analyse(
        &t,
        &rapport_server::frontline::Rubric::default_rubric(),
    );
    s.save_conversation_analysis(org, cid, &analysis, chrono::Utc::now())
        .await
        .unwrap();
    cid
}

/// Ids of records in the caller's organisation that routes can act on.
struct Fixture {
    pulse: i64,
    own_conversation: i64,
    team_conversation: i64,
    story: i64,
    webhook: i64,
    delivery: i64,
    survey: i64,
    survey_touchpoint: i64,
    response: i64,
    user: i64,
    team: i64,
    customer: i64,
    journey: i64,
    stage: i64,
    touchpoint: i64,
    token: i64,
    case: i64,
    rule: i64,
    followup: i64,
    inbound: i64,
}

async fn fixture(app: &TestApp, org: OrgId, caller: &Caller, tag: &str) -> Fixture {
    let a = Actor::system(org);
    let s = &app.store;
    // Nothing listens on the discard port: the delivery stays pending, retried in the background.
    let webhook = s
        .create_webhook(
            a,
            &rapport_domain::webhooks::WebhookSpec {
                url: "http://127.0.0.1:9/hook".into(),
                description: format!("webhook {tag}"),
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
        &json!({"tag": tag}),
        None,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let delivery = s.list_deliveries(org, webhook.id, None, 1).await.unwrap()[0].id;
    let team = s
        .create_team(
            a,
            &NewTeam {
                name: Name::parse("n", &format!("team {tag}")).unwrap(),
                lead_id: None,
            },
        )
        .await
        .unwrap();
    let user = s
        .create_user(
            a,
            &NewUser {
                email: Email::parse("e", &format!("target-{tag}@x.test")).unwrap(),
                display_name: Name::parse("n", "Target").unwrap(),
                role: Role::Agent,
                team_id: Some(team.id),
                locale: Locale::He,
                password_hash: None,
            },
        )
        .await
        .unwrap();
    let customer = s
        .create_customer(
            a,
            &NewCustomer {
                external_id: Name::parse("x", &format!("C-{tag}")).unwrap(),
                name: Name::parse("n", "Νίκος").unwrap(),
                locale: Locale::El,
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
                name: Name::parse("n", "J").unwrap(),
                description: None,
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
                name: Name::parse("n", "extra").unwrap(),
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
                name: Name::parse("n", "tp").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let (_, prefix, hash) = rapport_server::auth::secrets::new_api_token();
    let token = s
        .create_api_token(
            a,
            caller.user.id,
            &Name::parse("n", "extra").unwrap(),
            &prefix,
            &hash,
        )
        .await
        .unwrap();
    // Surveys live on their own journey: touchpoints with surveys cannot be deleted.
    let sj = s
        .create_journey(
            a,
            &NewJourney {
                name: Name::parse("n", "Surveyed").unwrap(),
                description: None,
                locale: Locale::He,
            },
        )
        .await
        .unwrap();
    let stp = s
        .create_touchpoint(
            a,
            &NewTouchpoint {
                stage_id: sj.stages[3].stage.id,
                name: Name::parse("n", "claims line").unwrap(),
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
            &Name::parse("n", "After the call").unwrap(),
            &rapport_domain::survey::default_definition(),
            &format!("pub-{tag}"),
        )
        .await
        .unwrap();
    let survey = s
        .set_survey_status(a, survey.id, rapport_domain::voc::SurveyStatus::Published)
        .await
        .unwrap();
    let raw = std::collections::BTreeMap::from([(
        "nps".to_string(),
        rapport_domain::survey::RawAnswer::Number(9.0),
    )]);
    let (response, _) = s
        .insert_response(
            org,
            &rapport_domain::voc::NewResponse {
                survey_id: survey.id,
                version: survey.version,
                customer_id: Some(customer.id),
                agent_id: None,
                invitation_id: None,
                locale: Locale::El,
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
                title: "Detractor".into(),
                priority: rapport_domain::cases::Priority::Normal,
                source: rapport_domain::cases::CaseSource::Response,
                response_id: Some(response),
                source_ref: None,
                customer_id: Some(customer.id),
                touchpoint_id: Some(stp.id),
                agent_id: None,
                owner_id: None,
                triggers: vec![],
                original_nps: Some(9),
                opened_at: chrono::Utc::now(),
                notify_owner: false,
            },
        )
        .await
        .unwrap();
    let rule = s
        .create_alert_rule(a, &rapport_domain::alerts::default_rules()[0])
        .await
        .unwrap();
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
            "helpdesk",
            &format!("in-{tag}"),
            "whsec_test",
            &inbound_mapping(survey.id.0),
        )
        .await
        .unwrap();
    // The target leads the fixture's team, so its members have a lead to rate.
    s.update_team(
        a,
        team.id,
        &NewTeam {
            name: Name::parse("n", &format!("team {tag}")).unwrap(),
            lead_id: Some(user.id),
        },
    )
    .await
    .unwrap();
    // The caller joins the fixture's team, so team leads see its agent and everyone can check in.
    s.update_user(
        a,
        caller.user.id,
        &UserUpdate {
            display_name: Name::parse("n", &caller.user.display_name).unwrap(),
            role: caller.user.role,
            team_id: Some(team.id),
            locale: caller.user.locale,
            active: true,
        },
    )
    .await
    .unwrap();
    let own_conversation = analysed_conversation(
        s,
        org,
        &format!("own-{tag}"),
        Some(caller.user.email.to_string()),
    )
    .await;
    let team_conversation = analysed_conversation(
        s,
        org,
        &format!("team-{tag}"),
        Some(format!("target-{tag}@x.test")),
    )
    .await;
    let story = s
        .create_story(
            Actor::user(org, caller.user.id),
            &rapport_domain::frontline::NewStory {
                agent_id: user.id,
                title: "Stayed on the line".into(),
                value: "ownership".into(),
                customer_words: "She did not let go until it worked.".into(),
                agent_did: "Stayed on the line.".into(),
                outcome: "Renewed.".into(),
                conversation_id: Some(team_conversation),
                response_id: None,
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let pulse = s
        .create_pulse(
            a,
            &format!("pulse {tag}"),
            "2026-Q4",
            &rapport_domain::ambassadorship::default_pulse(),
        )
        .await
        .unwrap();
    Fixture {
        pulse: pulse.id,
        own_conversation: own_conversation.0,
        team_conversation: team_conversation.0,
        story: story.id.0,
        inbound: inbound.id,
        case: case.id.0,
        rule: rule.id.0,
        followup: followup.0,
        survey: survey.id.0,
        survey_touchpoint: stp.id.0,
        response: response.0,
        user: user.id.0,
        team: team.id.0,
        customer: customer.id.0,
        journey: journey.journey.id.0,
        stage: stage.id.0,
        touchpoint: tp.id.0,
        token: token.id.0,
        webhook: webhook.id.0,
        delivery,
    }
}

fn inbound_mapping(survey: i64) -> rapport_domain::webhooks::InboundMapping {
    rapport_domain::webhooks::InboundMapping {
        event_pointer: "/type".into(),
        trigger_values: vec!["ticket.solved".into()],
        ticket_pointer: "/ticket/id".into(),
        customer_pointer: "/ticket/requester/id".into(),
        email_pointer: None,
        name_pointer: None,
        locale_pointer: None,
        survey_id: survey,
        new_customers_consent_to_email: false,
    }
}

/// Every API operation, the access level it requires and a valid request for it. Deletes come
/// last (children before parents) so earlier rows still exist.
fn routes(f: &Fixture, tag: &str) -> Vec<(Method, String, Access, Option<Value>)> {
    use Access::*;
    let m = |s: &str| Method::from_bytes(s.as_bytes()).unwrap();
    vec![
        (m("GET"), "/api/v1/me".into(), Members, None),
        (
            m("POST"),
            "/api/v1/conversations".into(),
            Leads,
            Some(
                json!({"id": format!("api-{tag}"), "channel": "chat", "turns": [{"speaker": "customer", "text": "Hello"}]}),
            ),
        ),
        (
            m("POST"),
            "/api/v1/conversations/batch".into(),
            Leads,
            Some(
                json!([{"id": format!("batch-{tag}"), "channel": "chat", "turns": [{"speaker": "agent", "text": "Hi"}]}]),
            ),
        ),
        (m("GET"), "/api/v1/conversations".into(), Frontline, None),
        (
            m("GET"),
            format!("/api/v1/conversations/{}", f.own_conversation),
            Frontline,
            None,
        ),
        (
            m("GET"),
            format!("/api/v1/conversations/{}/evaluation", f.own_conversation),
            Frontline,
            None,
        ),
        (
            m("POST"),
            format!("/api/v1/conversations/{}/qa", f.team_conversation),
            Leads,
            None,
        ),
        (
            m("POST"),
            format!(
                "/api/v1/conversations/{}/evaluation/review",
                f.team_conversation
            ),
            Leads,
            Some(
                json!({"overrides": [{"criterion": "empathy", "score": 80, "reason": "apologised at once"}]}),
            ),
        ),
        (
            m("POST"),
            format!(
                "/api/v1/conversations/{}/evaluation/response",
                f.own_conversation
            ),
            Frontline,
            Some(json!({"response": "acknowledge"})),
        ),
        (m("GET"), "/api/v1/qa/agreement".into(), Leads, None),
        (m("GET"), "/api/v1/qa/rubric".into(), Leads, None),
        (
            m("PUT"),
            "/api/v1/qa/rubric".into(),
            Managers,
            Some(Value::Null),
        ),
        (m("GET"), "/api/v1/scorecards".into(), Frontline, None),
        (m("GET"), "/api/v1/coaching".into(), Frontline, None),
        (
            m("POST"),
            "/api/v1/coaching".into(),
            Leads,
            Some(
                json!({"agent_id": f.user, "focus": "empathy", "agreed": "Name the feeling first.", "follow_up_on": "2099-01-01"}),
            ),
        ),
        (m("GET"), "/api/v1/listening".into(), Leads, None),
        (
            m("POST"),
            "/api/v1/listening".into(),
            Leads,
            Some(
                json!({"minutes": 25, "conversation_id": f.team_conversation, "listened_on": "2026-01-05"}),
            ),
        ),
        (m("GET"), "/api/v1/listening/next".into(), Leads, None),
        (m("GET"), "/api/v1/kudos".into(), Members, None),
        (
            m("POST"),
            "/api/v1/kudos".into(),
            Members,
            Some(json!({"to_user": f.user, "message": "Thank you for the calm on that call."})),
        ),
        (m("GET"), "/api/v1/kudos/suggestions".into(), Leads, None),
        (m("GET"), "/api/v1/stories".into(), Members, None),
        (
            m("POST"),
            "/api/v1/stories".into(),
            Frontline,
            Some(
                json!({"agent_id": f.user, "title": "T", "value": "care", "customer_words": "w", "agent_did": "d", "outcome": "o", "conversation_id": f.team_conversation}),
            ),
        ),
        (
            m("POST"),
            format!("/api/v1/stories/{}/approve", f.story),
            Leads,
            None,
        ),
        (
            m("POST"),
            "/api/v1/me/checkin".into(),
            Frontline,
            Some(json!({"mood": 4})),
        ),
        (m("GET"), "/api/v1/checkins".into(), Leads, None),
        (
            m("POST"),
            "/api/v1/me/manager-rating".into(),
            Frontline,
            Some(json!({"authenticity": 4, "humility": 5, "connectedness": 3, "care": 4})),
        ),
        (m("GET"), "/api/v1/managers/ratings".into(), Leads, None),
        (m("GET"), "/api/v1/pulses".into(), Managers, None),
        (
            m("POST"),
            "/api/v1/pulses".into(),
            Managers,
            Some(json!({"title": format!("Pulse {tag}")})),
        ),
        (
            m("GET"),
            format!("/api/v1/pulses/{}", f.pulse),
            Managers,
            None,
        ),
        (
            m("POST"),
            format!("/api/v1/pulses/{}/open", f.pulse),
            Managers,
            None,
        ),
        (
            m("POST"),
            format!("/api/v1/pulses/{}/close", f.pulse),
            Managers,
            None,
        ),
        (m("GET"), "/api/v1/pulse-results".into(), Members, None),
        (m("GET"), "/api/v1/pulse-schedule".into(), Managers, None),
        (
            m("PUT"),
            "/api/v1/pulse-schedule".into(),
            Managers,
            Some(json!({"quarterly": false})),
        ),
        (
            m("GET"),
            format!("/api/v1/customers/{}/events", f.customer),
            Frontline,
            None,
        ),
        (
            m("POST"),
            format!("/api/v1/customers/{}/events", f.customer),
            Managers,
            Some(
                json!({"kind": "purchase", "occurred_at": "2026-01-05T10:00:00Z", "external_id": format!("ev-{tag}")}),
            ),
        ),
        (
            m("POST"),
            format!("/api/v1/customers/{}/events/batch", f.customer),
            Managers,
            Some(
                json!([{"kind": "referral", "occurred_at": "2026-01-06T10:00:00Z", "external_id": format!("ev-b-{tag}")}]),
            ),
        ),
        (m("GET"), "/api/v1/behaviour".into(), Leads, None),
        (
            m("GET"),
            "/api/v1/behaviour/touchpoints".into(),
            Leads,
            None,
        ),
        (
            m("GET"),
            "/api/v1/linkage?ex=ambassadorship.customer&cx=retention_90d&lag=1".into(),
            Members,
            None,
        ),
        (
            m("GET"),
            format!("/api/v1/customers/{}/brief", f.customer),
            Frontline,
            None,
        ),
        (m("GET"), "/api/v1/organisation".into(), Members, None),
        (
            m("PUT"),
            "/api/v1/organisation".into(),
            Admins,
            Some(json!({"name": "Renamed", "default_locale": "he"})),
        ),
        (m("GET"), "/api/v1/users".into(), Leads, None),
        (
            m("POST"),
            "/api/v1/users".into(),
            Admins,
            Some(
                json!({"email": format!("new-{tag}@x.test"), "display_name": "New", "role": "agent"}),
            ),
        ),
        (m("GET"), format!("/api/v1/users/{}", f.user), Leads, None),
        (
            m("PUT"),
            format!("/api/v1/users/{}", f.user),
            Admins,
            Some(
                json!({"display_name": "T", "role": "agent", "team_id": f.team, "locale": "el", "active": true}),
            ),
        ),
        (m("GET"), "/api/v1/teams".into(), Members, None),
        (
            m("POST"),
            "/api/v1/teams".into(),
            Admins,
            Some(json!({"name": format!("new team {tag}")})),
        ),
        (m("GET"), format!("/api/v1/teams/{}", f.team), Members, None),
        (
            m("PUT"),
            format!("/api/v1/teams/{}", f.team),
            Admins,
            Some(json!({"name": format!("renamed {tag}"), "lead_id": null})),
        ),
        (m("GET"), "/api/v1/customers".into(), Frontline, None),
        (
            m("POST"),
            "/api/v1/customers".into(),
            Managers,
            Some(json!({"external_id": format!("N-{tag}"), "name": "דנה", "locale": "he"})),
        ),
        (
            m("GET"),
            format!("/api/v1/customers/{}", f.customer),
            Frontline,
            None,
        ),
        (
            m("PUT"),
            format!("/api/v1/customers/{}", f.customer),
            Managers,
            Some(
                json!({"external_id": format!("C-{tag}"), "name": "Νίκος Π.", "locale": "el", "consent": {"email": true}}),
            ),
        ),
        (m("GET"), "/api/v1/journeys".into(), Members, None),
        (
            m("POST"),
            "/api/v1/journeys".into(),
            Managers,
            Some(json!({"name": "New journey", "locale": "he"})),
        ),
        (
            m("GET"),
            format!("/api/v1/journeys/{}", f.journey),
            Members,
            None,
        ),
        (
            m("PUT"),
            format!("/api/v1/journeys/{}", f.journey),
            Managers,
            Some(json!({"name": "J2", "locale": "en"})),
        ),
        (
            m("POST"),
            format!("/api/v1/journeys/{}/stages", f.journey),
            Managers,
            Some(json!({"name": "Loyalty", "kind": "custom"})),
        ),
        (
            m("PUT"),
            format!("/api/v1/stages/{}", f.stage),
            Managers,
            Some(json!({"name": "Extra", "kind": "custom", "position": 0})),
        ),
        (
            m("POST"),
            "/api/v1/touchpoints".into(),
            Managers,
            Some(
                json!({"stage_id": f.stage, "name": "Callback", "channel": "phone", "promise": "Within 2 hours"}),
            ),
        ),
        (
            m("GET"),
            format!("/api/v1/touchpoints/{}", f.touchpoint),
            Members,
            None,
        ),
        (
            m("PUT"),
            format!("/api/v1/touchpoints/{}", f.touchpoint),
            Managers,
            Some(json!({"stage_id": f.stage, "name": "tp", "channel": "chat"})),
        ),
        (m("GET"), "/api/v1/surveys".into(), Leads, None),
        (
            m("POST"),
            "/api/v1/surveys".into(),
            Managers,
            Some(json!({"touchpoint_id": f.survey_touchpoint, "name": "New survey"})),
        ),
        (
            m("GET"),
            format!("/api/v1/surveys/{}", f.survey),
            Leads,
            None,
        ),
        (
            m("PUT"),
            format!("/api/v1/surveys/{}", f.survey),
            Managers,
            Some(
                json!({"name": "After the call", "definition": rapport_domain::survey::default_definition()}),
            ),
        ),
        (
            m("POST"),
            format!("/api/v1/surveys/{}/publish", f.survey),
            Managers,
            None,
        ),
        (
            m("POST"),
            format!("/api/v1/surveys/{}/responses", f.survey),
            Frontline,
            Some(json!({"answers": {"nps": 10}})),
        ),
        (
            m("POST"),
            format!("/api/v1/surveys/{}/responses/batch", f.survey),
            Frontline,
            Some(json!({"responses": [{"answers": {"nps": 4}}]})),
        ),
        (
            m("POST"),
            format!("/api/v1/surveys/{}/invitations", f.survey),
            Managers,
            Some(json!({"customer_id": f.customer})),
        ),
        (m("GET"), "/api/v1/responses".into(), Leads, None),
        (m("GET"), "/api/v1/metrics".into(), Members, None),
        (
            m("GET"),
            "/api/v1/search/similar?text=waited%20an%20hour".into(),
            Leads,
            None,
        ),
        (
            m("GET"),
            format!("/api/v1/responses/{}", f.response),
            Leads,
            None,
        ),
        (
            m("POST"),
            format!("/api/v1/surveys/{}/close", f.survey),
            Managers,
            None,
        ),
        (m("GET"), "/api/v1/cases".into(), Leads, None),
        (
            m("POST"),
            "/api/v1/cases".into(),
            Leads,
            Some(json!({"title": "Called about a late refund", "customer_id": f.customer})),
        ),
        (m("GET"), "/api/v1/cases/metrics".into(), Managers, None),
        (m("GET"), format!("/api/v1/cases/{}", f.case), Leads, None),
        (
            m("POST"),
            format!("/api/v1/cases/{}/transitions", f.case),
            Leads,
            Some(json!({"to": "contacted"})),
        ),
        (
            m("POST"),
            format!("/api/v1/cases/{}/notes", f.case),
            Leads,
            Some(json!({"kind": "customer_said", "body": "Nobody called me back."})),
        ),
        (
            m("PUT"),
            format!("/api/v1/cases/{}/owner", f.case),
            Leads,
            Some(json!({"owner_id": f.user})),
        ),
        (
            m("PUT"),
            format!("/api/v1/cases/{}/root_causes", f.case),
            Leads,
            Some(json!({"root_causes": ["billing"]})),
        ),
        (m("GET"), "/api/v1/alert-rules".into(), Managers, None),
        (
            m("POST"),
            "/api/v1/alert-rules".into(),
            Managers,
            Some(
                json!({"name": "Angry", "conditions": [{"kind": "negative_sentiment", "min_anger": 0.5}]}),
            ),
        ),
        (
            m("GET"),
            format!("/api/v1/alert-rules/{}", f.rule),
            Managers,
            None,
        ),
        (
            m("PUT"),
            format!("/api/v1/alert-rules/{}", f.rule),
            Managers,
            Some(
                json!({"name": "Detractor", "conditions": [{"kind": "nps_at_most", "value": 5}], "priority": "high"}),
            ),
        ),
        (m("GET"), "/api/v1/sla-policy".into(), Leads, None),
        (
            m("PUT"),
            "/api/v1/sla-policy".into(),
            Managers,
            Some(json!(rapport_domain::cases::SlaPolicy::default())),
        ),
        (m("GET"), "/api/v1/followup-plans".into(), Leads, None),
        (
            m("PUT"),
            "/api/v1/followup-plans".into(),
            Managers,
            Some(json!({"touchpoint_id": f.survey_touchpoint, "after_days": 14, "mode": "call"})),
        ),
        (m("GET"), "/api/v1/followups".into(), Leads, None),
        (
            m("POST"),
            format!("/api/v1/followups/{}/result", f.followup),
            Leads,
            Some(json!({"state": "done", "outcome": "Happy with the repair"})),
        ),
        (
            m("DELETE"),
            format!("/api/v1/alert-rules/{}", f.rule),
            Managers,
            None,
        ),
        (m("GET"), "/api/v1/me/digest".into(), Members, None),
        (
            m("PUT"),
            "/api/v1/me/digest".into(),
            Members,
            Some(json!({"daily_digest": true})),
        ),
        (m("GET"), "/api/v1/inbound-sources".into(), Admins, None),
        (
            m("POST"),
            "/api/v1/inbound-sources".into(),
            Admins,
            Some(json!({"name": "Zendesk", "mapping": inbound_mapping(f.survey)})),
        ),
        (
            m("DELETE"),
            format!("/api/v1/inbound-sources/{}", f.inbound),
            Admins,
            None,
        ),
        (m("GET"), "/api/v1/tokens".into(), Members, None),
        (
            m("POST"),
            "/api/v1/tokens".into(),
            Members,
            Some(json!({"name": "integration"})),
        ),
        (m("GET"), "/api/v1/audit".into(), Admins, None),
        (m("GET"), "/api/v1/webhooks".into(), Admins, None),
        (
            m("POST"),
            "/api/v1/webhooks".into(),
            Admins,
            Some(json!({"url": "https://hooks.example.invalid/rapport", "events": ["*"]})),
        ),
        (
            m("GET"),
            format!("/api/v1/webhooks/{}", f.webhook),
            Admins,
            None,
        ),
        (
            m("PUT"),
            format!("/api/v1/webhooks/{}", f.webhook),
            Admins,
            Some(
                json!({"url": "http://127.0.0.1:9/hook", "events": ["case.updated", "case.closed"]}),
            ),
        ),
        (
            m("GET"),
            format!("/api/v1/webhooks/{}/deliveries?state=pending", f.webhook),
            Admins,
            None,
        ),
        (
            m("GET"),
            format!(
                "/api/v1/webhooks/{}/deliveries/{}/attempts",
                f.webhook, f.delivery
            ),
            Admins,
            None,
        ),
        (
            m("POST"),
            format!(
                "/api/v1/webhooks/{}/deliveries/{}/redeliver",
                f.webhook, f.delivery
            ),
            Admins,
            None,
        ),
        (
            m("DELETE"),
            format!("/api/v1/webhooks/{}", f.webhook),
            Admins,
            None,
        ),
        (
            m("DELETE"),
            format!("/api/v1/tokens/{}", f.token),
            Members,
            None,
        ),
        (
            m("DELETE"),
            format!("/api/v1/touchpoints/{}", f.touchpoint),
            Managers,
            None,
        ),
        (
            m("DELETE"),
            format!("/api/v1/stages/{}", f.stage),
            Managers,
            None,
        ),
        (
            m("DELETE"),
            format!("/api/v1/journeys/{}", f.journey),
            Managers,
            None,
        ),
        (
            m("DELETE"),
            format!("/api/v1/customers/{}", f.customer),
            Managers,
            None,
        ),
        (
            m("DELETE"),
            format!("/api/v1/teams/{}", f.team),
            Admins,
            None,
        ),
        (
            m("DELETE"),
            format!("/api/v1/users/{}", f.user),
            Admins,
            None,
        ),
    ]
}

/// Replaces concrete ids with `{id}` to compare with the OpenAPI paths.
fn template(path: &str) -> String {
    path.split('?')
        .next()
        .unwrap_or_default()
        .split('/')
        .map(|seg| {
            if seg.chars().all(|c| c.is_ascii_digit()) && !seg.is_empty() {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn every_route_enforces_its_role(app: TestApp) {
    let (org, callers) = app.callers("acme").await;
    // The table must cover every operation the router documents, and nothing else.
    let doc: Value = TestApp::client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented: Vec<String> = vec![];
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            // Nested paths name each parameter (`{delivery}`); the table writes them all `{id}`.
            let path = path
                .split('/')
                .map(|seg| if seg.starts_with('{') { "{id}" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            documented.push(format!("{} {}", method.to_uppercase(), path));
        }
    }
    let probe = fixture(&app, org.id, &callers[0], "probe").await;
    let mut tabled: Vec<String> = routes(&probe, "probe")
        .iter()
        .map(|(m, p, _, _)| format!("{m} {}", template(p)))
        .collect();
    documented.sort();
    tabled.sort();
    assert_eq!(tabled, documented, "role table and router disagree");

    let mut cells = 0usize;
    for caller in &callers {
        let tag = caller.user.role.as_str();
        let f = fixture(&app, org.id, caller, tag).await;
        for (method, path, access, body) in routes(&f, tag) {
            let (status, json) = app.api(caller, method.clone(), &path, body).await;
            let cell = format!("{method} {path} as {tag}");
            if access.allows(caller.user.role) {
                assert!(
                    (200..300).contains(&status),
                    "{cell}: expected success, got {status} {json}"
                );
            } else {
                assert_eq!(status, 403, "{cell}: expected 403, got {status} {json}");
                assert_eq!(
                    json,
                    json!({"error": {"code": "forbidden", "message": "your role does not allow this"}}),
                    "{cell}: body leaks data"
                );
            }
            cells += 1;
        }
    }
    assert_eq!(cells, routes(&probe, "probe").len() * 5);
}

async fn organisations_never_see_each_other(app: TestApp) {
    let (org_a, a) = app.callers("a").await;
    let (_org_b, b) = app.callers("b").await;
    let f = fixture(&app, org_a.id, &a[0], "iso").await;
    let admin_b = &b[0];
    for (method, path, _, body) in routes(&f, "iso") {
        let has_id = path
            .split('/')
            .any(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
        if !has_id {
            continue;
        }
        let (status, json) = app.api(admin_b, method.clone(), &path, body).await;
        // Another organisation's record is indistinguishable from one that does not exist.
        // (Creating a stage or touchpoint under A's journey names A's id in the path or body.)
        assert!(
            status == 404 || status == 422,
            "{method} {path} from org B: {status} {json}"
        );
        assert!(json.get("error").is_some(), "{json}");
    }
    // Lists show only B's own rows.
    let (_, users) = app.api(admin_b, Method::GET, "/api/v1/users", None).await;
    assert!(users
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["org_id"] == json!(admin_b.user.org_id.0)));
    let (_, customers) = app
        .api(admin_b, Method::GET, "/api/v1/customers", None)
        .await;
    assert_eq!(customers["total"], 0);
    let (_, journeys) = app
        .api(admin_b, Method::GET, "/api/v1/journeys", None)
        .await;
    assert_eq!(journeys.as_array().unwrap().len(), 0);
    // A's rows are untouched after B's attempts.
    let (_, journey) = app
        .api(
            &a[0],
            Method::GET,
            &format!("/api/v1/journeys/{}", f.journey),
            None,
        )
        .await;
    assert_eq!(journey["name"], "J");
    // Creating with a reference to A's team from B is a 422 naming the field.
    let (status, json) = app
        .api(admin_b, Method::POST, "/api/v1/users", Some(json!({"email": "sneaky@b.test", "display_name": "S", "role": "agent", "team_id": f.team})))
        .await;
    assert_eq!(
        (status, json["error"]["field"].as_str()),
        (422, Some("team_id")),
        "{json}"
    );
}

/// Counts of everything an input could have written, to prove a rejected request wrote nothing.
async fn snapshot(app: &TestApp, c: &Caller) -> Value {
    let (_, users) = app.api(c, Method::GET, "/api/v1/users", None).await;
    let (_, customers) = app.api(c, Method::GET, "/api/v1/customers", None).await;
    let (_, journeys) = app.api(c, Method::GET, "/api/v1/journeys", None).await;
    let (_, teams) = app.api(c, Method::GET, "/api/v1/teams", None).await;
    let (_, audit) = app
        .api(c, Method::GET, "/api/v1/audit?limit=1000", None)
        .await;
    json!([
        users,
        customers,
        journeys,
        teams,
        audit.as_array().unwrap().len()
    ])
}

async fn bad_input_is_rejected_with_the_field_named_and_nothing_written(app: TestApp) {
    let (_, callers) = app.callers("bad").await;
    let admin = &callers[0];
    let before = snapshot(&app, admin).await;
    let raw = |body: &'static str, ct: &'static str| {
        let client = TestApp::client();
        let url = app.url("/api/v1/customers");
        let token = admin.token.clone();
        async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, j) = raw("{\"external_id\": \"X\", \"name\": ", "application/json").await;
    assert_eq!(
        (s, j["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{j}"
    );
    let (s, j) = raw("external_id=X", "application/x-www-form-urlencoded").await;
    assert_eq!(s, 415, "{j}");
    let cases = [
        (
            json!({"external_id": "X", "name": "N", "locale": "he", "colour": "red"}),
            "colour",
        ),
        (
            json!({"external_id": 5, "name": "N", "locale": "he"}),
            "external_id",
        ),
        (
            json!({"external_id": "X", "name": "N", "locale": "fr"}),
            "locale",
        ),
        (
            json!({"external_id": "X", "name": "  ", "locale": "he"}),
            "name",
        ),
        (
            json!({"external_id": "X", "name": "N", "locale": "he", "email": "not-an-email"}),
            "email",
        ),
        (
            json!({"external_id": "X", "name": "N", "locale": "he", "phone": "call me"}),
            "phone",
        ),
        (
            json!({"external_id": "X", "name": "N\u{202E}evil", "locale": "he"}),
            "name",
        ),
        (
            json!({"external_id": "X", "name": "N", "locale": "he", "consent": {"email": "yes"}}),
            "consent.email",
        ),
        (
            json!({"external_id": "X", "name": "N", "locale": "he", "consent": {"fax": true}}),
            "consent.fax",
        ),
    ];
    for (body, field) in cases {
        let (s, j) = app
            .api(admin, Method::POST, "/api/v1/customers", Some(body.clone()))
            .await;
        assert_eq!(s, 422, "{body} → {j}");
        assert_eq!(j["error"]["field"], field, "{body} → {j}");
        assert_eq!(j["error"]["code"], "invalid");
    }
    let (s, j) = app
        .api(
            admin,
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "N", "locale": "he"})),
        )
        .await;
    assert!(s == 400 || s == 422, "missing field: {s} {j}");
    assert!(
        j["error"]["message"]
            .as_str()
            .unwrap()
            .contains("external_id"),
        "{j}"
    );
    // Oversize body (limit is 64 KiB in tests).
    let big = json!({"external_id": "X", "name": "N".repeat(100_000), "locale": "he"});
    let (s, j) = app
        .api(admin, Method::POST, "/api/v1/customers", Some(big))
        .await;
    assert_eq!(s, 413, "{j}");
    assert_eq!(j["error"]["code"], "payload_too_large");
    // Bad path and query parameters.
    let (s, j) = app
        .api(admin, Method::GET, "/api/v1/customers/abc", None)
        .await;
    assert_eq!((s, j["error"]["field"].as_str()), (400, Some("id")), "{j}");
    let (s, j) = app
        .api(admin, Method::GET, "/api/v1/customers?limit=many", None)
        .await;
    assert_eq!(
        (s, j["error"]["field"].as_str()),
        (400, Some("limit")),
        "{j}"
    );
    let (s, j) = app
        .api(admin, Method::GET, "/api/v1/customers?limit=100000", None)
        .await;
    assert_eq!(
        (s, j["error"]["field"].as_str()),
        (422, Some("limit")),
        "{j}"
    );
    // Duplicates are conflicts, and the first record survives.
    let ok = json!({"external_id": "DUP", "name": "First", "locale": "en"});
    assert_eq!(
        app.api(admin, Method::POST, "/api/v1/customers", Some(ok))
            .await
            .0,
        201
    );
    let after_first = snapshot(&app, admin).await;
    let (s, j) = app
        .api(
            admin,
            Method::POST,
            "/api/v1/customers",
            Some(json!({"external_id": "DUP", "name": "Second", "locale": "en"})),
        )
        .await;
    assert_eq!(
        (s, j["error"]["field"].as_str()),
        (409, Some("external_id")),
        "{j}"
    );
    assert_eq!(
        snapshot(&app, admin).await,
        after_first,
        "a conflict must not write"
    );
    assert_ne!(before, after_first);
    // Unknown routes are JSON 404s too.
    let (s, j) = app
        .api(admin, Method::GET, "/api/v1/nothing-here", None)
        .await;
    assert_eq!((s, j["error"]["code"].as_str()), (404, Some("not_found")));
}

async fn journeys_start_with_five_stages_and_touchpoints_keep_their_promise(app: TestApp) {
    let (_, callers) = app.callers("j").await;
    let manager = &callers[1];
    let (s, j) = app
        .api(
            manager,
            Method::POST,
            "/api/v1/journeys",
            Some(json!({"name": "תביעת ביטוח", "locale": "he"})),
        )
        .await;
    assert_eq!(s, 201, "{j}");
    let kinds: Vec<&str> = j["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "marketing_promise",
            "first_contact",
            "sales",
            "service",
            "after_service"
        ]
    );
    assert_eq!(j["stages"][0]["name"], "שיווק ופרסום: ההבטחה");
    let service = j["stages"][3]["id"].as_i64().unwrap();
    let (s, tp) = app
        .api(manager, Method::POST, "/api/v1/touchpoints", Some(json!({"stage_id": service, "name": "שמאי", "channel": "in_person", "owner_id": callers[2].user.id.0, "promise": "שמאי יגיע תוך 48 שעות"})))
        .await;
    assert_eq!(s, 201, "{tp}");
    let (_, map) = app
        .api(
            &callers[4],
            Method::GET,
            &format!("/api/v1/journeys/{}", j["id"]),
            None,
        )
        .await;
    assert_eq!(
        map["stages"][3]["touchpoints"][0]["promise"],
        "שמאי יגיע תוך 48 שעות"
    );
    assert_eq!(
        map["stages"][3]["touchpoints"][0]["owner_id"],
        callers[2].user.id.0
    );
    let (s, e) = app
        .api(
            manager,
            Method::POST,
            "/api/v1/touchpoints",
            Some(json!({"stage_id": service, "name": "x", "channel": "pigeon"})),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("channel")));
    // The audit log recorded who did it.
    let (_, audit) = app
        .api(&callers[0], Method::GET, "/api/v1/audit", None)
        .await;
    let entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entity"] == "touchpoint")
        .unwrap();
    assert_eq!(entry["actor_id"], manager.user.id.0);
}

async fn tokens_are_shown_once_and_revocable(app: TestApp) {
    let (_, callers) = app.callers("t").await;
    let agent = &callers[3];
    let (s, created) = app
        .api(
            agent,
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "my script"})),
        )
        .await;
    assert_eq!(s, 201);
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("rpt_") && secret.len() > 60);
    let (_, list) = app.api(agent, Method::GET, "/api/v1/tokens", None).await;
    assert!(
        !list.to_string().contains(&secret),
        "secrets are never listed"
    );
    let second = Caller {
        user: agent.user.clone(),
        token: secret,
    };
    assert_eq!(
        app.api(&second, Method::GET, "/api/v1/me", None).await.0,
        200
    );
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        app.api(agent, Method::DELETE, &format!("/api/v1/tokens/{id}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        app.api(&second, Method::GET, "/api/v1/me", None).await.0,
        401
    );
    // Someone else's token cannot be revoked.
    let (s, _) = app
        .api(
            &callers[0],
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            None,
        )
        .await;
    assert_eq!(s, 404);
}
