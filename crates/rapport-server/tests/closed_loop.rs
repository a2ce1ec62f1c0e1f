//! The closed loop end to end over real HTTP, the real worker and a local SMTP sink: a
//! detractor's answer opens a case for the right person, the case moves through its states,
//! resolving it sends "did we make it right?", and the answer becomes the recovery figure.
mod common;

use std::time::Duration;

use common::smtp::{spawn_sink, Inbox};
use common::{Caller, TestApp};
use rapport_domain::model::*;
use rapport_domain::voc::{NewResponse, ResponseSource};
use rapport_domain::*;
use rapport_server::auth::secrets;
use rapport_storage::{testing, Actor};
use reqwest::Method;
use serde_json::{json, Value};

on_both!(
    a_detractor_is_won_back_end_to_end,
    breaches_escalate_and_notify,
    a_solved_ticket_sends_one_survey
);

struct World {
    app: TestApp,
    config: rapport_server::Config,
    manager: Caller,
    lead: Caller,
    agent: UserId,
    agent_caller: Caller,
    customer: CustomerId,
    survey: i64,
    inbox: Inbox,
}

async fn world(db: testing::TestDb) -> World {
    let (port, inbox) = spawn_sink().await;
    let tweak = move |c: &mut rapport_server::Config| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.public_url = Some("http://feedback.example".into());
        c.reminder_after = chrono::Duration::days(7);
    };
    let mut config = rapport_server::Config::new(db.url.clone(), "127.0.0.1:0".parse().unwrap());
    tweak(&mut config);
    let app = TestApp::spawn_on(db, tweak).await;
    let org = app.org("loop").await;
    let a = Actor::system(org.id);
    let manager = app
        .caller(
            org.id,
            "manager@loop.test",
            Role::CxManager,
            Locale::En,
            None,
        )
        .await;
    let lead = app
        .caller(org.id, "lead@loop.test", Role::TeamLead, Locale::He, None)
        .await;
    let s = &app.store;
    let team = s
        .create_team(
            a,
            &NewTeam {
                name: Name::parse("n", "Claims").unwrap(),
                lead_id: Some(lead.user.id),
            },
        )
        .await
        .unwrap();
    let agent_caller = app
        .caller(
            org.id,
            "agent@loop.test",
            Role::Agent,
            Locale::He,
            Some(team.id),
        )
        .await;
    let agent = agent_caller.user.id;
    let j = s
        .create_journey(
            a,
            &NewJourney {
                name: Name::parse("n", "Claims").unwrap(),
                description: None,
                locale: Locale::En,
            },
        )
        .await
        .unwrap();
    let tp = s
        .create_touchpoint(
            a,
            &NewTouchpoint {
                stage_id: j.stages[3].stage.id,
                name: Name::parse("n", "Claims line").unwrap(),
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
            tp.id,
            &Name::parse("n", "After the call").unwrap(),
            &rapport_domain::survey::default_definition(),
            "loop-survey",
        )
        .await
        .unwrap();
    s.set_survey_status(a, survey.id, rapport_domain::voc::SurveyStatus::Published)
        .await
        .unwrap();
    let customer = s
        .create_customer(
            a,
            &NewCustomer {
                external_id: Name::parse("x", "C-77").unwrap(),
                name: Name::parse("n", "Dana Levi").unwrap(),
                locale: Locale::En,
                email: Some(Email::parse("e", "dana@example.com").unwrap()),
                phone: None,
                consent: Consent {
                    email: true,
                    sms: false,
                    research: false,
                },
            },
        )
        .await
        .unwrap();
    // A cool-down of 0 days so the follow-up survey may reach a customer who just answered.
    let mut settings = s.org_settings(org.id).await.unwrap();
    settings.survey_cooldown_days = 0;
    s.update_org_settings(a, &settings).await.unwrap();
    World {
        app,
        config,
        agent_caller,
        manager,
        lead,
        agent,
        customer: customer.id,
        survey: survey.id.0,
        inbox,
    }
}

/// Waits until `check` holds, polling (the worker runs in the background).
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn mail_to(inbox: &Inbox, to: &str, subject_part: &str) -> Option<String> {
    inbox
        .lock()
        .unwrap()
        .iter()
        .find(|m| m.to.iter().any(|t| t == to) && m.text().contains(subject_part))
        .map(|m| m.text())
}

async fn a_detractor_is_won_back_end_to_end(db: testing::TestDb) {
    let w = world(db).await;
    let app = &w.app;
    // The CX manager sets up the default rules through the API.
    for spec in rapport_domain::alerts::default_rules() {
        let (st, body) = app
            .api(
                &w.manager,
                Method::POST,
                "/api/v1/alert-rules",
                Some(json!(spec)),
            )
            .await;
        assert_eq!(st, 201, "{body}");
    }
    let (st, body) = app
        .api(
            &w.manager,
            Method::POST,
            "/api/v1/alert-rules",
            Some(json!({"name": "x", "conditions": [{"kind": "nps_at_most", "value": 12}]})),
        )
        .await;
    assert_eq!(st, 422);
    assert_eq!(body["error"]["field"], "conditions[0].value");

    // A detractor answers, in their own words.
    let comment = "I waited an hour on hold and nobody called me back. I am leaving.";
    let (st, body) = app
        .api(
            &w.manager,
            Method::POST,
            &format!("/api/v1/surveys/{}/responses", w.survey),
            Some(json!({"answers": {"nps": 2, "why_low": comment},
                        "customer_id": w.customer, "agent_id": w.agent})),
        )
        .await;
    assert_eq!(st, 201, "{body}");

    // The worker analyses it, the rules fire, one case opens for the agent's team lead.
    let case: Value = eventually("a case", async || {
        let (_, page) = app.api(&w.lead, Method::GET, "/api/v1/cases", None).await;
        page["items"].as_array().and_then(|i| i.first().cloned())
    })
    .await;
    let id = case["id"].as_i64().unwrap();
    assert_eq!(case["owner_id"], json!(w.lead.user.id));
    assert_eq!(case["original_nps"], 2);
    assert_eq!(case["state"], "new");
    assert_eq!(case["priority"], "urgent", "churn intent is urgent: {case}");
    assert_eq!(case["title"], comment);
    let rules: Vec<&str> = case["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["rule_name"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"Detractor (NPS 0–6)"), "{rules:?}");
    assert!(
        rules.contains(&"Public or legal escalation risk"),
        "{rules:?}"
    );
    assert_eq!(case["sla"]["first_contact_breached"], false);
    // The lead hears about it, in Hebrew (their language).
    let mail = eventually("the owner's e-mail", async || {
        mail_to(&w.inbox, "lead@loop.test", "/cases/")
    })
    .await;
    assert!(
        mail.contains(&format!("http://feedback.example/cases/{id}")),
        "{mail}"
    );
    assert!(
        mail.starts_with("פנייה חדשה עבורך"),
        "in the lead's language: {mail}"
    );

    // Illegal moves are refused with the field named; nothing changes.
    let path = format!("/api/v1/cases/{id}/transitions");
    let (st, body) = app
        .api(
            &w.lead,
            Method::POST,
            &path,
            Some(json!({"to": "resolved"})),
        )
        .await;
    assert_eq!(
        (st, body["error"]["field"].as_str()),
        (422, Some("outcome"))
    );
    let (st, body) = app
        .api(&w.lead, Method::POST, &path, Some(json!({"to": "new"})))
        .await;
    assert_eq!((st, body["error"]["field"].as_str()), (422, Some("to")));
    let (st, _) = app
        .api(
            &w.lead,
            Method::POST,
            &path,
            Some(json!({"to": "contacted"})),
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = app
        .api(
            &w.lead,
            Method::POST,
            &format!("/api/v1/cases/{id}/notes"),
            Some(json!({"kind": "we_promised", "body": "A call back on Thursday before noon."})),
        )
        .await;
    assert_eq!(st, 201);
    let (st, body) = app
        .api(
            &w.lead,
            Method::POST,
            &path,
            Some(json!({"to": "resolved", "outcome": "won_back"})),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["outcome"], "won_back");

    // Resolving sends "did we make it right?" to the customer.
    let mail = eventually("the follow-up survey", async || {
        mail_to(&w.inbox, "dana@example.com", "/i/")
    })
    .await;
    let token = mail
        .split("/i/")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>();
    let s = &app.store;
    let (org, invitation) = s
        .find_invitation(&secrets::sha256_hex(&token))
        .await
        .unwrap()
        .expect("the e-mailed link is a real invitation");
    let survey = s
        .get_survey(org, rapport_domain::voc::SurveyId(w.survey))
        .await
        .unwrap();
    let raw = std::collections::BTreeMap::from([(
        "nps".to_string(),
        rapport_domain::survey::RawAnswer::Number(9.0),
    )]);
    s.insert_response(
        org,
        &NewResponse {
            survey_id: survey.id,
            version: survey.version,
            customer_id: Some(w.customer),
            agent_id: None,
            invitation_id: Some(invitation.id),
            locale: Locale::En,
            source: ResponseSource::Invitation,
            idempotency_key: None,
            external_id: None,
            submitted_at: chrono::Utc::now(),
            answers: survey.definition.parse_answers(&raw).unwrap(),
        },
    )
    .await
    .unwrap();
    // The answer lands on the case, and no new case opens for it.
    let detail: Value = eventually("the follow-up answer on the case", async || {
        let (_, d) = app
            .api(&w.lead, Method::GET, &format!("/api/v1/cases/{id}"), None)
            .await;
        (d["followup_nps"] == 9).then_some(d)
    })
    .await;
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["opened", "transition", "note", "transition", "followup"]
    );
    let (_, page) = app.api(&w.lead, Method::GET, "/api/v1/cases", None).await;
    assert_eq!(page["total"], 1);
    // Recovery: the customer went from detractor (2) to promoter (9).
    let (st, m) = app
        .api(&w.manager, Method::GET, "/api/v1/cases/metrics", None)
        .await;
    assert_eq!(st, 200, "{m}");
    let g = &m["groups"][0];
    assert_eq!(
        (g["cases"].as_i64(), g["followups"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(g["recovery_rate"], 1.0);
    assert_eq!(
        (g["nps_original"].as_f64(), g["nps_followup"].as_f64()),
        (Some(-100.0), Some(100.0))
    );
    // A frontline agent cannot see the inbox.
    let (st, _) = app
        .api(&w.agent_caller, Method::GET, "/api/v1/cases", None)
        .await;
    assert_eq!(st, 403);
}

async fn breaches_escalate_and_notify(db: testing::TestDb) {
    let w = world(db).await;
    let s = &w.app.store;
    let org = w.lead.user.org_id;
    let opened = chrono::Utc::now() - chrono::Duration::hours(30);
    let (case, _) = s
        .open_case(
            Actor::user(org, w.manager.user.id),
            &rapport_domain::cases::NewCase {
                title: "Complaint by phone about a missed appointment".into(),
                priority: rapport_domain::cases::Priority::Normal,
                source: rapport_domain::cases::CaseSource::Manual,
                response_id: None,
                source_ref: None,
                customer_id: Some(w.customer),
                touchpoint_id: None,
                agent_id: Some(w.agent),
                owner_id: None,
                triggers: vec![],
                original_nps: None,
                opened_at: opened,
                notify_owner: false,
            },
        )
        .await
        .unwrap();
    // Normal priority: first contact within 24 h, so 30 h later it is breached.
    let (_, page) = w
        .app
        .api(&w.lead, Method::GET, "/api/v1/cases?breached=true", None)
        .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["sla"]["first_contact_breached"], true);
    // The worker's sweep escalates it to the lead's manager and e-mails both.
    let state = rapport_server::state::AppState {
        store: s.clone(),
        i18n: std::sync::Arc::new(rapport_server::i18n::I18n::load()),
        metrics: std::sync::Arc::new(rapport_server::metrics::Metrics::new("test")),
        config: std::sync::Arc::new(w.config.clone()),
        wake: std::sync::Arc::new(tokio::sync::Notify::new()),
        semantic: None,
    };
    rapport_server::jobs::cases::sweep(&state).await.unwrap();
    // The lead asked for a morning digest: the 08:00 sweep sends one, a second sweep does not.
    let (st, _) = w
        .app
        .api(
            &w.lead,
            Method::PUT,
            "/api/v1/me/digest",
            Some(json!({"daily_digest": true})),
        )
        .await;
    assert_eq!(st, 200);
    // The latest 08:00 UTC already past: a later one would queue the digest job in the future.
    let now = chrono::Utc::now();
    let mut morning = now.date_naive().and_hms_opt(8, 0, 0).unwrap().and_utc();
    if morning > now {
        morning -= chrono::Duration::days(1);
    }
    rapport_server::jobs::cases::sweep_at(&state, morning)
        .await
        .unwrap();
    rapport_server::jobs::cases::sweep_at(&state, morning)
        .await
        .unwrap();
    let digest = eventually("the digest", async || {
        mail_to(&w.inbox, "lead@loop.test", "Rapport: 1")
    })
    .await;
    assert!(
        digest.contains("! Complaint by phone about a missed appointment"),
        "{digest}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let digests = w
        .inbox
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.text().contains("Rapport: 1"))
        .count();
    assert_eq!(digests, 1, "one digest a day");
    let c = s.get_case(org, case.id).await.unwrap();
    assert_eq!(c.escalated_to, Some(w.manager.user.id));
    eventually("the breach e-mail to the manager", async || {
        mail_to(&w.inbox, "manager@loop.test", "/cases/")
    })
    .await;
    assert!(mail_to(&w.inbox, "lead@loop.test", "/cases/").is_some());
    let (_, page) = w
        .app
        .api(
            &w.lead,
            Method::GET,
            "/api/v1/cases?breached=true&open=true",
            None,
        )
        .await;
    assert_eq!(page["items"][0]["escalated_to"], json!(w.manager.user.id));
}

fn sign(secret: &str, t: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn a_solved_ticket_sends_one_survey(db: testing::TestDb) {
    let w = world(db).await;
    let admin = w
        .app
        .caller(
            w.lead.user.org_id,
            "admin@loop.test",
            Role::Admin,
            Locale::En,
            None,
        )
        .await;
    let mapping = json!({
        "event_pointer": "/type",
        "trigger_values": ["ticket.solved"],
        "ticket_pointer": "/ticket/id",
        "customer_pointer": "/ticket/requester/id",
        "email_pointer": "/ticket/requester/email",
        "name_pointer": "/ticket/requester/name",
        "locale_pointer": "/ticket/requester/locale",
        "survey_id": w.survey,
        "new_customers_consent_to_email": true
    });
    let (st, body) = w
        .app
        .api(
            &admin,
            Method::POST,
            "/api/v1/inbound-sources",
            Some(json!({"name": "Helpdesk", "mapping": {"event_pointer": "type"}})),
        )
        .await;
    assert_eq!(st, 422, "{body}");
    let (st, created) = w
        .app
        .api(
            &admin,
            Method::POST,
            "/api/v1/inbound-sources",
            Some(json!({"name": "Helpdesk", "mapping": mapping})),
        )
        .await;
    assert_eq!(st, 201, "{created}");
    let (path, secret) = (
        created["path"].as_str().unwrap(),
        created["secret"].as_str().unwrap(),
    );
    let (st, _) = w
        .app
        .api(&w.lead, Method::GET, "/api/v1/inbound-sources", None)
        .await;
    assert_eq!(st, 403, "admins only");

    let post = |body: String, signature: String| {
        let url = w.app.url(path);
        async move {
            let r = TestApp::client()
                .post(url)
                .header("content-type", "application/json")
                .header("rapport-signature", signature)
                .body(body)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let now = chrono::Utc::now().timestamp();
    let solved = json!({"type": "ticket.solved", "ticket": {"id": 4711, "requester":
        {"id": "ZD-99", "email": "yossi@example.com", "name": "יוסי כהן", "locale": "he"}}})
    .to_string();
    // Unsigned, mis-signed or replayed bodies are refused and change nothing.
    assert_eq!(post(solved.clone(), "t=1,v1=00".into()).await.0, 401);
    assert_eq!(
        post(solved.clone(), sign("whsec_wrong", now, &solved))
            .await
            .0,
        401
    );
    assert_eq!(
        post(solved.clone(), sign(secret, now - 3600, &solved))
            .await
            .0,
        401
    );
    let other = json!({"type": "ticket.created", "ticket": {"id": 1}}).to_string();
    assert_eq!(
        post(other.clone(), sign(secret, now, &other)).await.1["outcome"],
        "ignored"
    );
    let (st, body) = post(solved.clone(), sign(secret, now, &solved)).await;
    assert_eq!((st, body["outcome"].as_str()), (202, Some("invited")));
    let (st, body) = post(solved.clone(), sign(secret, now, &solved)).await;
    assert_eq!(
        (st, body["outcome"].as_str()),
        (200, Some("duplicate")),
        "one survey per ticket"
    );
    // The new customer gets the survey, in Hebrew.
    let mail = eventually("the survey e-mail", async || {
        mail_to(&w.inbox, "yossi@example.com", "/i/")
    })
    .await;
    assert!(mail.contains("יוסי כהן"), "{mail}");
    let c = w
        .app
        .store
        .customer_by_external_id(w.lead.user.org_id, "ZD-99")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.locale, Locale::He);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = w
        .inbox
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.to.iter().any(|t| t == "yossi@example.com"))
        .count();
    assert_eq!(sent, 1);
    let missing = TestApp::client()
        .post(w.app.url("/api/v1/inbound/nope"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
}
