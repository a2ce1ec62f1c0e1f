//! Surveys, responses and invitations over the API, and the worker's analysis, on both backends.

mod common;

use std::time::Duration;

use common::{Caller, TestApp};
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::Actor;
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(
    responses_are_idempotent_validated_and_versioned,
    batches_are_all_or_nothing,
    the_worker_analyses_and_redacts_comments,
    invitations_are_single_use_links,
    concurrent_submissions_share_commits_and_one_key_stores_one_response,
);

/// A published standard survey on a touchpoint, and a customer.
async fn setup(app: &TestApp, slug: &str) -> (Vec<Caller>, i64, i64) {
    let (org, callers) = app.callers(slug).await;
    let a = Actor::system(org.id);
    let j = app
        .store
        .create_journey(
            a,
            &NewJourney {
                name: Name::parse("n", "Claims").unwrap(),
                description: None,
                locale: Locale::He,
            },
        )
        .await
        .unwrap();
    let tp = app
        .store
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
    let customer = app
        .store
        .create_customer(
            a,
            &NewCustomer {
                external_id: Name::parse("x", "C-1").unwrap(),
                name: Name::parse("n", "נועה כהן").unwrap(),
                locale: Locale::He,
                email: Some(Email::parse("e", "noa@example.com").unwrap()),
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
    let manager = &callers[1];
    let (s, survey) = app
        .api(
            manager,
            Method::POST,
            "/api/v1/surveys",
            Some(json!({"touchpoint_id": tp.id.0, "name": "After the claim call"})),
        )
        .await;
    assert_eq!(s, 201, "{survey}");
    assert_eq!(survey["status"], "draft");
    let id = survey["id"].as_i64().unwrap();
    let (s, body) = app
        .api(
            manager,
            Method::POST,
            &format!("/api/v1/surveys/{id}/responses"),
            Some(json!({"answers": {"nps": 9}})),
        )
        .await;
    assert_eq!(
        (s, body["error"]["field"].as_str()),
        (409, Some("survey")),
        "drafts take no answers: {body}"
    );
    let (s, _) = app
        .api(
            manager,
            Method::POST,
            &format!("/api/v1/surveys/{id}/publish"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    (callers, id, customer.id.0)
}

async fn count(app: &TestApp, c: &Caller) -> i64 {
    app.api(c, Method::GET, "/api/v1/responses", None).await.1["total"]
        .as_i64()
        .unwrap()
}

async fn post_with_key(
    app: &TestApp,
    c: &Caller,
    path: &str,
    key: &str,
    body: Value,
) -> (u16, Value) {
    let r = TestApp::client()
        .post(app.url(path))
        .bearer_auth(&c.token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn responses_are_idempotent_validated_and_versioned(app: TestApp) {
    let (callers, survey, customer) = setup(&app, "r").await;
    let agent = &callers[3];
    let path = format!("/api/v1/surveys/{survey}/responses");
    let body = json!({"answers": {"nps": 3, "why_low": "חיכיתי שעה על הקו", "csat": 2}, "customer_id": customer});
    let (s1, first) = post_with_key(&app, agent, &path, "abc-123", body.clone()).await;
    let (s2, again) = post_with_key(&app, agent, &path, "abc-123", body.clone()).await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(first["id"], again["id"]);
    assert_eq!(again["created"], false);
    let (s, _) = app.api(agent, Method::GET, "/api/v1/responses", None).await;
    assert_eq!(s, 403, "agents cannot list responses");
    let lead = &callers[2];
    assert_eq!(count(&app, lead).await, 1);
    let (_, stored) = app
        .api(
            lead,
            Method::GET,
            &format!("/api/v1/responses/{}", first["id"]),
            None,
        )
        .await;
    assert_eq!(stored["locale"], "he", "the customer's language");
    assert_eq!(stored["nps"], 3);
    assert_eq!(stored["csat"], 2);
    assert_eq!(stored["version"], 1);

    for (answers, field) in [
        (json!({"nps": 11}), "answers.nps"),
        (json!({"nps": "ten"}), "answers.nps"),
        (json!({"csat": 4}), "answers.nps"),
        (json!({"nps": 8, "colour": "red"}), "answers.colour"),
        (
            json!({"nps": 8, "promise.expectation": 5}),
            "answers.promise",
        ),
    ] {
        let (s, e) = app
            .api(
                agent,
                Method::POST,
                &path,
                Some(json!({"answers": answers})),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some(field)),
            "{answers} → {e}"
        );
    }
    let (s, e) = app
        .api(
            agent,
            Method::POST,
            &path,
            Some(json!({"answers": {"nps": 5}, "customer_id": 999999})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("customer_id")),
        "{e}"
    );
    let (s, e) = app
        .api(
            agent,
            Method::POST,
            &path,
            Some(json!({"answers": {"nps": 5}, "submitted_at": "2999-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("submitted_at")),
        "{e}"
    );
    assert_eq!(
        count(&app, lead).await,
        1,
        "rejected requests store nothing"
    );

    // Editing a published survey creates version 2; the first response keeps version 1.
    let manager = &callers[1];
    let (_, current) = app
        .api(
            manager,
            Method::GET,
            &format!("/api/v1/surveys/{survey}"),
            None,
        )
        .await;
    let mut def = current["definition"].clone();
    def["title"]["en"] = json!("How was your claim call?");
    let (s, updated) = app
        .api(
            manager,
            Method::PUT,
            &format!("/api/v1/surveys/{survey}"),
            Some(json!({"name": "After the claim call", "definition": def})),
        )
        .await;
    assert_eq!(
        (s, updated["version"].as_i64()),
        (200, Some(2)),
        "{updated}"
    );
    let mut bad = def.clone();
    bad["questions"][0]["type"] = json!("telepathy");
    let (s, e) = app
        .api(
            manager,
            Method::PUT,
            &format!("/api/v1/surveys/{survey}"),
            Some(json!({"name": "x", "definition": bad})),
        )
        .await;
    assert!(s == 422 || s == 400, "{e}");
    let (s, second) = app
        .api(
            agent,
            Method::POST,
            &path,
            Some(json!({"answers": {"nps": 10}})),
        )
        .await;
    assert_eq!(s, 201);
    let (_, r2) = app
        .api(
            lead,
            Method::GET,
            &format!("/api/v1/responses/{}", second["id"]),
            None,
        )
        .await;
    assert_eq!(r2["version"], 2);
    let (_, r1) = app
        .api(
            lead,
            Method::GET,
            &format!("/api/v1/responses/{}", first["id"]),
            None,
        )
        .await;
    assert_eq!(r1["version"], 1);
    // Closed surveys take no more answers.
    app.api(
        manager,
        Method::POST,
        &format!("/api/v1/surveys/{survey}/close"),
        None,
    )
    .await;
    let (s, _) = app
        .api(
            agent,
            Method::POST,
            &path,
            Some(json!({"answers": {"nps": 10}})),
        )
        .await;
    assert_eq!(s, 409);
}

async fn batches_are_all_or_nothing(app: TestApp) {
    let (callers, survey, _) = setup(&app, "b").await;
    let agent = &callers[3];
    let path = format!("/api/v1/surveys/{survey}/responses/batch");
    let (s, e) = app
        .api(
            agent,
            Method::POST,
            &path,
            Some(json!({"responses": [{"answers": {"nps": 10}}, {"answers": {"nps": 42}}]})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("responses[1].answers.nps")),
        "{e}"
    );
    assert_eq!(count(&app, &callers[2]).await, 0);
    let items: Vec<Value> = (0..300)
        .map(|i| json!({"answers": {"nps": i % 11}, "idempotency_key": format!("k{i}")}))
        .collect();
    let (s, out) = app
        .api(
            agent,
            Method::POST,
            &path,
            Some(json!({"responses": items.clone()})),
        )
        .await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["results"].as_array().unwrap().len(), 300);
    let (_, again) = app
        .api(
            agent,
            Method::POST,
            &path,
            Some(json!({"responses": items})),
        )
        .await;
    assert!(again["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["created"] == false));
    assert_eq!(count(&app, &callers[2]).await, 300);
    let too_many: Vec<Value> = (0..1001).map(|_| json!({"answers": {"nps": 1}})).collect();
    let (s, e) = app
        .api(
            agent,
            Method::POST,
            &path,
            Some(json!({"responses": too_many})),
        )
        .await;
    assert!(s == 422 || s == 413, "{s} {e}");
}

async fn wait_for_analysis(app: &TestApp, c: &Caller, id: &Value) -> Value {
    for _ in 0..100 {
        let (_, r) = app
            .api(c, Method::GET, &format!("/api/v1/responses/{id}"), None)
            .await;
        if !r["analysis"].is_null() {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("response {id} was not analysed within 10 s");
}

async fn the_worker_analyses_and_redacts_comments(app: TestApp) {
    let (callers, survey, _) = setup(&app, "w").await;
    let path = format!("/api/v1/surveys/{survey}/responses");
    let (_, he) = app
        .api(&callers[3], Method::POST, &path, Some(json!({"answers": {"nps": 2, "why_low": "חיכיתי שעה וחצי על הקו ואף אחד לא חזר אליי. כתבו לי ל-noa@example.com"}})))
        .await;
    let r = wait_for_analysis(&app, &callers[2], &he["id"]).await;
    let a = &r["analysis"];
    assert_eq!(a["language"], "he", "{a}");
    assert_eq!(a["sentiment_label"], "negative", "{a}");
    assert!(
        a["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "waiting_time"),
        "{a}"
    );
    let comment = r["comment"].as_str().unwrap();
    assert!(
        !comment.contains("noa@example.com") && comment.contains("[EMAIL]"),
        "redacted by default: {comment}"
    );
    let (_, el) = app
        .api(&callers[3], Method::POST, &path, Some(json!({"answers": {"nps": 10, "why_high": "Η Μαρία ήταν υπέροχη, εξαιρετική εξυπηρέτηση!"}})))
        .await;
    let r = wait_for_analysis(&app, &callers[2], &el["id"]).await;
    assert_eq!(r["analysis"]["language"], "el");
    assert_eq!(
        r["analysis"]["sentiment_label"], "positive",
        "{}",
        r["analysis"]
    );
    let metrics = TestApp::client()
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("rapport_jobs{state=\"done\"}"),
        "{metrics}"
    );
}

async fn invitations_are_single_use_links(app: TestApp) {
    let (callers, survey, customer) = setup(&app, "i").await;
    let manager = &callers[1];
    let (s, inv) = app
        .api(
            manager,
            Method::POST,
            &format!("/api/v1/surveys/{survey}/invitations"),
            Some(json!({"customer_id": customer, "interaction_ref": "call-991"})),
        )
        .await;
    assert_eq!(s, 201, "{inv}");
    let path = inv["path"].as_str().unwrap();
    assert!(path.starts_with("/i/") && path.len() > 40, "{path}");
    assert_eq!(inv["channel"], "link");
    let (s, e) = app
        .api(
            manager,
            Method::POST,
            &format!("/api/v1/surveys/{survey}/invitations"),
            Some(json!({"customer_id": customer, "expires_in_days": 365})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("expires_in_days"))
    );
    let (s, e) = app
        .api(
            manager,
            Method::POST,
            &format!("/api/v1/surveys/{survey}/invitations"),
            Some(json!({"customer_id": 424242})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("customer_id")),
        "{e}"
    );
}

/// Concurrent submissions go through the group writer: one key stores one response however
/// many requests race with it, every 201 is readable at once, and the worker's batches analyse
/// them all.
async fn concurrent_submissions_share_commits_and_one_key_stores_one_response(app: TestApp) {
    let (callers, survey, _) = setup(&app, "g").await;
    let url = app.url(&format!("/api/v1/surveys/{survey}/responses"));
    let token = callers[3].token.clone();
    let mut handles = vec![];
    for i in 0..48 {
        let (url, token) = (url.clone(), token.clone());
        handles.push(tokio::spawn(async move {
            let key = if i % 2 == 0 {
                "shared".to_string()
            } else {
                format!("own-{i}")
            };
            let r = TestApp::client()
                .post(url)
                .bearer_auth(&token)
                .header("Idempotency-Key", &key)
                .json(&json!({"answers": {"nps": i % 9, "why_low": "The adjuster never called back."}}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            (i, status, body)
        }));
    }
    let (mut shared, mut created, mut ids) = (vec![], 0, vec![]);
    for h in handles {
        let (i, status, body) = h.await.unwrap();
        assert!(status == 201 || status == 200, "{status} {body}");
        assert_eq!(status == 201, body["created"] == true);
        created += usize::from(status == 201);
        if i % 2 == 0 {
            shared.push(body["id"].clone());
        }
        ids.push(body["id"].clone());
    }
    shared.dedup();
    assert_eq!(shared.len(), 1, "one key, one response: {shared:?}");
    assert_eq!(created, 25, "24 own keys and the shared one");
    let lead = &callers[2];
    assert_eq!(count(&app, lead).await, 25);
    ids.sort_by_key(|v| v.as_i64());
    ids.dedup();
    // The worker takes the analyses in batches; wait for the queue to empty (a debug build of
    // the text engine is slow), then every response has its analysis.
    let started = std::time::Instant::now();
    loop {
        let counts = app.store.job_counts().await.unwrap();
        let pending: i64 = counts
            .iter()
            .filter(|(state, _)| state == "queued" || state == "running")
            .map(|(_, n)| n)
            .sum();
        if pending == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "analysis queue not drained: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for id in &ids {
        let (_, r) = app
            .api(lead, Method::GET, &format!("/api/v1/responses/{id}"), None)
            .await;
        assert_eq!(r["analysis"]["language"], "en", "{r}");
    }
}
