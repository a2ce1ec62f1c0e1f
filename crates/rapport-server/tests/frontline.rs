//! The frontline over real HTTP and the real worker: conversations imported, redacted,
//! analysed and scored with evidence; who may see whose evaluation and scorecard; reviews,
//! disputes and calibration; recognition, anonymous check-ins and the brief.
mod common;

use std::time::Duration;

use common::{Caller, TestApp};
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::Actor;
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(
    conversations_are_redacted_scored_and_seen_only_by_the_right_people,
    recognition_checkins_and_the_brief
);

struct World {
    admin: Caller,
    manager: Caller,
    lead: Caller,
    other_lead: Caller,
    agents: Vec<Caller>,
    viewer: Caller,
    customer: CustomerId,
}

async fn world(app: &TestApp, slug: &str) -> World {
    let org = app.org(slug).await;
    let a = Actor::system(org.id);
    let team = |name: &str| {
        let store = app.store.clone();
        let name = name.to_string();
        async move {
            store
                .create_team(
                    a,
                    &NewTeam {
                        name: Name::parse("n", &name).unwrap(),
                        lead_id: None,
                    },
                )
                .await
                .unwrap()
                .id
        }
    };
    let (t1, t2) = (team("Haifa").await, team("Athens").await);
    let manager = app
        .caller(
            org.id,
            &format!("manager@{slug}.test"),
            Role::CxManager,
            Locale::En,
            None,
        )
        .await;
    let admin = app
        .caller(
            org.id,
            &format!("admin@{slug}.test"),
            Role::Admin,
            Locale::En,
            None,
        )
        .await;
    let lead = app
        .caller(
            org.id,
            &format!("lead@{slug}.test"),
            Role::TeamLead,
            Locale::He,
            Some(t1),
        )
        .await;
    let other_lead = app
        .caller(
            org.id,
            &format!("lead2@{slug}.test"),
            Role::TeamLead,
            Locale::El,
            Some(t2),
        )
        .await;
    let viewer = app
        .caller(
            org.id,
            &format!("exec@{slug}.test"),
            Role::Viewer,
            Locale::En,
            None,
        )
        .await;
    let mut agents = Vec::new();
    for i in 0..6 {
        agents.push(
            app.caller(
                org.id,
                &format!("agent{i}@{slug}.test"),
                Role::Agent,
                Locale::He,
                Some(t1),
            )
            .await,
        );
    }
    let customer = app
        .store
        .create_customer(
            a,
            &NewCustomer {
                external_id: Name::parse("x", "C-77").unwrap(),
                name: Name::parse("n", "דנה כהן").unwrap(),
                locale: Locale::He,
                email: None,
                phone: None,
                consent: Consent::default(),
            },
        )
        .await
        .unwrap()
        .id;
    World {
        admin,
        manager,
        lead,
        other_lead,
        agents,
        viewer,
        customer,
    }
}

fn call(id: &str, agent: &str) -> Value {
    json!({
        "id": id, "channel": "phone", "agent": agent, "customer": "C-77", "language": "en",
        "turns": [
            {"speaker": "customer", "text": "This is the third time I'm calling, I'm furious. Call me back on +972 52 123 4567.", "start": 0.0, "end": 6.0},
            {"speaker": "agent", "text": "I'm so sorry, I completely understand how frustrating that is. I will take care of this personally.", "start": 6.5, "end": 12.0},
            {"speaker": "customer", "text": "Okay. Thank you, that really helps.", "start": 12.5, "end": 15.0}
        ]
    })
}

async fn analysed(app: &TestApp, who: &Caller, id: i64) -> Value {
    for _ in 0..200 {
        let (status, c) = app
            .api(
                who,
                Method::GET,
                &format!("/api/v1/conversations/{id}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{c}");
        if c["analysed"] == json!(true) {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("conversation {id} was never analysed");
}

fn forbidden(status: u16, body: &Value) {
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body,
        &json!({"error": {"code": "forbidden", "message": "your role does not allow this"}})
    );
}

async fn conversations_are_redacted_scored_and_seen_only_by_the_right_people(app: TestApp) {
    let w = world(&app, "fl").await;
    let agent = &w.agents[0];
    let body = call("call-1", &agent.user.email.to_string());
    let (status, created) = app
        .api(
            &w.manager,
            Method::POST,
            "/api/v1/conversations",
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, again) = app
        .api(
            &w.manager,
            Method::POST,
            "/api/v1/conversations",
            Some(body),
        )
        .await;
    assert_eq!(
        (status, again["id"].as_i64(), again["created"].clone()),
        (200, Some(id), json!(false))
    );

    // Bad input names the field and stores nothing.
    let mut bad = call("call-bad", "x@y.z");
    bad["turns"][1]["speaker"] = json!("robot");
    let (status, err) = app
        .api(&w.manager, Method::POST, "/api/v1/conversations", Some(bad))
        .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["field"], "turns[1].speaker");
    let (_, batch) = app
        .api(
            &w.manager,
            Method::POST,
            "/api/v1/conversations/batch",
            Some(json!([call("call-2", "nobody@else.test"), {"id": "broken"}])),
        )
        .await;
    assert_eq!(batch[0]["created"], true);
    assert_eq!(batch[1]["error"]["field"], "channel", "{batch}");
    let (_, list) = app
        .api(&w.manager, Method::GET, "/api/v1/conversations", None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 2);

    let c = analysed(&app, &w.manager, id).await;
    let first = c["turns"][0]["text"].as_str().unwrap();
    assert!(
        first.contains("[PHONE]") && !first.contains("123 4567"),
        "redacted before storage: {first}"
    );
    assert!(
        c["emotional_lift"].as_f64().unwrap() > 0.0,
        "the customer ended better: {c}"
    );
    assert!(c["peak_anger"].as_f64().unwrap() >= 0.5);
    assert_eq!(c["agent_id"], json!(agent.user.id.0));

    let (status, e) = app
        .api(
            agent,
            Method::GET,
            &format!("/api/v1/conversations/{id}/evaluation"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{e}");
    let empathy = e["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "empathy")
        .unwrap();
    assert!(empathy["auto_score"].as_u64().unwrap() >= 60, "{empathy}");
    assert!(
        empathy["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["turn"] == 1 && m["effect"] == "raised"),
        "the agent's acknowledgement is the evidence: {empathy}"
    );
    let ownership = e["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "ownership")
        .unwrap();
    assert!(
        ownership["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["turn"] == 1),
        "{ownership}"
    );

    // Another agent, a lead of another team and an executive cannot see it; the agent's lead can.
    for who in [&w.agents[1], &w.other_lead] {
        let (status, body) = app
            .api(
                who,
                Method::GET,
                &format!("/api/v1/conversations/{id}/evaluation"),
                None,
            )
            .await;
        forbidden(status, &body);
        let (status, body) = app
            .api(
                who,
                Method::GET,
                &format!("/api/v1/conversations/{id}"),
                None,
            )
            .await;
        forbidden(status, &body);
    }
    let (status, body) = app
        .api(
            &w.viewer,
            Method::GET,
            &format!("/api/v1/conversations/{id}"),
            None,
        )
        .await;
    forbidden(status, &body);
    let (status, _) = app
        .api(
            &w.lead,
            Method::GET,
            &format!("/api/v1/conversations/{id}/evaluation"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .api(
            &w.agents[1],
            Method::GET,
            &format!("/api/v1/scorecards?agent_id={}", agent.user.id.0),
            None,
        )
        .await;
    forbidden(status, &body);
    let (_, mine) = app
        .api(&w.agents[1], Method::GET, "/api/v1/scorecards", None)
        .await;
    assert!(mine
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["agent_id"] == json!(w.agents[1].user.id.0)));
    let (_, list) = app
        .api(&w.agents[1], Method::GET, "/api/v1/conversations", None)
        .await;
    assert_eq!(
        list.as_array().unwrap().len(),
        0,
        "an agent lists only their own conversations"
    );
    let (_, cards) = app
        .api(agent, Method::GET, "/api/v1/scorecards", None)
        .await;
    let card = &cards[0];
    assert_eq!(card["agent_id"], json!(agent.user.id.0));
    let period = &card["periods"][0];
    assert_eq!(period["conversations"], 1);
    assert!(
        period["emotional_labour_index"].as_f64().is_some(),
        "{card}"
    );
    assert!(
        period["handle_seconds"].as_f64().unwrap() > 14.0,
        "efficiency sits beside the craft"
    );

    // Review with a reason; the agent disputes with a comment.
    let (status, err) = app
        .api(
            &w.lead,
            Method::POST,
            &format!("/api/v1/conversations/{id}/evaluation/review"),
            Some(json!({"overrides": [{"criterion": "empathy", "score": 95, "reason": ""}]})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("overrides[0].reason"))
    );
    let (status, reviewed) = app
        .api(&w.lead, Method::POST, &format!("/api/v1/conversations/{id}/evaluation/review"), Some(json!({"overrides": [{"criterion": "empathy", "score": 95, "reason": "named the frustration at once"}], "coaching_note": "Keep it."})))
        .await;
    assert_eq!(status, 200, "{reviewed}");
    assert_eq!(reviewed["status"], "reviewed");
    let (status, body) = app
        .api(
            &w.agents[1],
            Method::POST,
            &format!("/api/v1/conversations/{id}/evaluation/response"),
            Some(json!({"response": "dispute", "comment": "not mine to dispute"})),
        )
        .await;
    forbidden(status, &body);
    let (status, err) = app
        .api(
            agent,
            Method::POST,
            &format!("/api/v1/conversations/{id}/evaluation/response"),
            Some(json!({"response": "dispute"})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("comment"))
    );
    let (status, disputed) = app
        .api(
            agent,
            Method::POST,
            &format!("/api/v1/conversations/{id}/evaluation/response"),
            Some(
                json!({"response": "dispute", "comment": "The callback was the customer's wish."}),
            ),
        )
        .await;
    assert_eq!(
        (status, disputed["status"].as_str()),
        (200, Some("disputed"))
    );
    let (_, agreement) = app
        .api(&w.manager, Method::GET, "/api/v1/qa/agreement", None)
        .await;
    let row = agreement
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["criterion"] == "empathy")
        .unwrap();
    assert_eq!(row["n"], 1);

    // On demand: the stable `rapport qa` shape.
    let (status, qa) = app
        .api(
            &w.manager,
            Method::POST,
            &format!("/api/v1/conversations/{id}/qa"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{qa}");
    assert_eq!(qa["id"], "call-1");
    for key in ["criteria", "overall", "customer", "flags"] {
        assert!(qa.get(key).is_some(), "{key} in {qa}");
    }
    assert!(qa["criteria"][0]["evidence"].is_array());
    // Re-scoring keeps the reviewer's score.
    let (_, e) = app
        .api(
            &w.lead,
            Method::GET,
            &format!("/api/v1/conversations/{id}/evaluation"),
            None,
        )
        .await;
    let empathy = e["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "empathy")
        .unwrap();
    assert_eq!(empathy["human_score"], 95);

    // A rubric with a bad weight is refused with its field; nothing changes.
    let (_, mut rubric) = app
        .api(&w.manager, Method::GET, "/api/v1/qa/rubric", None)
        .await;
    rubric["criteria"][0]["weight"] = json!(-1);
    let (status, err) = app
        .api(&w.manager, Method::PUT, "/api/v1/qa/rubric", Some(rubric))
        .await;
    assert_eq!(status, 422, "{err}");
    assert!(
        err["error"]["field"]
            .as_str()
            .unwrap()
            .starts_with("criteria[0]"),
        "{err}"
    );
}

async fn recognition_checkins_and_the_brief(app: TestApp) {
    let w = world(&app, "rc").await;
    // Four check-ins are fewer than the minimum group of five: nothing is shown.
    for a in &w.agents[..4] {
        let (status, r) = app
            .api(
                a,
                Method::POST,
                "/api/v1/me/checkin",
                Some(json!({"mood": 3})),
            )
            .await;
        assert_eq!((status, r["recorded"].clone()), (200, json!(true)));
    }
    let (_, r) = app
        .api(
            &w.agents[0],
            Method::POST,
            "/api/v1/me/checkin",
            Some(json!({"mood": 1})),
        )
        .await;
    assert_eq!(r["recorded"], false, "one check-in a day");
    let (status, err) = app
        .api(
            &w.agents[5],
            Method::POST,
            "/api/v1/me/checkin",
            Some(json!({"mood": 9})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("mood"))
    );
    let (_, groups) = app
        .api(&w.lead, Method::GET, "/api/v1/checkins", None)
        .await;
    assert_eq!(groups[0]["suppressed"], true, "{groups}");
    assert_eq!(groups[0]["mean_mood"], Value::Null);
    assert!(
        !groups.to_string().contains("\"n\":4"),
        "the group size does not leak either"
    );
    app.api(
        &w.agents[4],
        Method::POST,
        "/api/v1/me/checkin",
        Some(json!({"mood": 5})),
    )
    .await;
    let (_, groups) = app
        .api(&w.lead, Method::GET, "/api/v1/checkins", None)
        .await;
    assert_eq!(groups[0]["n"], 5);
    assert!((groups[0]["mean_mood"].as_f64().unwrap() - 3.4).abs() < 1e-9);
    let (_, other) = app
        .api(&w.other_lead, Method::GET, "/api/v1/checkins", None)
        .await;
    assert_eq!(
        other.as_array().unwrap().len(),
        0,
        "a lead sees their own team's mood only"
    );

    // Manager 360: the team rates its lead anonymously; four answers stay hidden, five show.
    let (_, team) = app
        .api(
            &w.manager,
            Method::GET,
            &format!("/api/v1/teams/{}", w.lead.user.team_id.unwrap().0),
            None,
        )
        .await;
    let mut t = team.clone();
    t["lead_id"] = json!(w.lead.user.id.0);
    let (status, _) = app
        .api(
            &w.admin,
            Method::PUT,
            &format!("/api/v1/teams/{}", team["id"]),
            Some(json!({"name": t["name"], "lead_id": t["lead_id"]})),
        )
        .await;
    assert_eq!(status, 200);
    let rating = json!({"authenticity": 4, "humility": 3, "connectedness": 5, "care": 4});
    for a in &w.agents[..4] {
        let (status, r) = app
            .api(
                a,
                Method::POST,
                "/api/v1/me/manager-rating",
                Some(rating.clone()),
            )
            .await;
        assert_eq!((status, r["recorded"].clone()), (200, json!(true)), "{r}");
    }
    let (_, again) = app
        .api(
            &w.agents[0],
            Method::POST,
            "/api/v1/me/manager-rating",
            Some(rating.clone()),
        )
        .await;
    assert_eq!(again["recorded"], false, "once a quarter");
    let (status, err) = app
        .api(
            &w.lead,
            Method::POST,
            "/api/v1/me/manager-rating",
            Some(rating.clone()),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("team")),
        "nobody rates themselves"
    );
    let (_, ratings) = app
        .api(&w.lead, Method::GET, "/api/v1/managers/ratings", None)
        .await;
    assert_eq!(ratings[0]["suppressed"], true, "{ratings}");
    assert_eq!(ratings[0]["means"], Value::Null);
    app.api(
        &w.agents[4],
        Method::POST,
        "/api/v1/me/manager-rating",
        Some(rating),
    )
    .await;
    let (_, ratings) = app
        .api(&w.lead, Method::GET, "/api/v1/managers/ratings", None)
        .await;
    assert_eq!(ratings[0]["means"], json!([4.0, 3.0, 5.0, 4.0]));
    let (_, others) = app
        .api(&w.other_lead, Method::GET, "/api/v1/managers/ratings", None)
        .await;
    assert_eq!(
        others.as_array().unwrap().len(),
        0,
        "a lead sees only their own ratings"
    );

    // Private kudos reach only the two people.
    let (status, k) = app
        .api(&w.lead, Method::POST, "/api/v1/kudos", Some(json!({"to_user": w.agents[1].user.id.0, "message": "תודה על הסבלנות עם הלקוח הכועס", "public": false})))
        .await;
    assert_eq!(status, 201, "{k}");
    let (_, seen) = app
        .api(&w.agents[1], Method::GET, "/api/v1/kudos", None)
        .await;
    assert_eq!(seen.as_array().unwrap().len(), 1);
    let (_, unseen) = app
        .api(&w.agents[2], Method::GET, "/api/v1/kudos", None)
        .await;
    assert_eq!(unseen.as_array().unwrap().len(), 0);
    let (status, err) = app
        .api(
            &w.agents[1],
            Method::POST,
            "/api/v1/kudos",
            Some(json!({"to_user": w.agents[1].user.id.0, "message": "me me me"})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("to_user"))
    );

    // The brief speaks the customer's language and knows the last conversation.
    let (status, c) = app
        .api(
            &w.manager,
            Method::POST,
            "/api/v1/conversations",
            Some(call("brief-1", &w.agents[0].user.email.to_string())),
        )
        .await;
    assert_eq!(status, 201);
    analysed(&app, &w.manager, c["id"].as_i64().unwrap()).await;
    let (status, brief) = app
        .api(
            &w.agents[3],
            Method::GET,
            &format!("/api/v1/customers/{}/brief", w.customer.0),
            None,
        )
        .await;
    assert_eq!(status, 200, "{brief}");
    assert_eq!(brief["locale"], "he");
    let line = brief["opening_line"].as_str().unwrap();
    assert!(line.starts_with("שלום דנה"), "{line}");
    assert_eq!(brief["last_conversation"]["id"], c["id"]);
    assert!(
        brief["last_conversation"]["emotional_lift"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert_eq!(brief["journey"][0]["kind"], "conversation");
    let (status, body) = app
        .api(
            &w.viewer,
            Method::GET,
            &format!("/api/v1/customers/{}/brief", w.customer.0),
            None,
        )
        .await;
    forbidden(status, &body);
}
