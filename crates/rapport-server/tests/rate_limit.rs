//! The per-address limit of the routes open without signing in, over real HTTP: a client
//! over the limit gets 429 with `Retry-After` (a page for browsers, JSON for the API), others
//! and signed-in traffic are not affected, and the client is let in again after the wait.
mod common;

use std::time::Duration;

use common::TestApp;
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_server::auth::secrets;
use rapport_server::rate_limit::RateLimit;
use rapport_storage::{testing, Actor};
use reqwest::Method;
use serde_json::json;

on_both!(
    a_client_over_the_limit_waits_and_others_go_on,
    zero_turns_the_limit_off
);

/// A published survey; returns its public id and a manager who can use the API.
async fn published_survey(app: &TestApp) -> (String, common::Caller, i64) {
    let (org, callers) = app.callers("rl").await;
    let a = Actor::system(org.id);
    let journey = app
        .store
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
    let tp = app
        .store
        .create_touchpoint(
            a,
            &NewTouchpoint {
                stage_id: journey.stages[0].stage.id,
                name: Name::parse("n", "Claims line").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let manager = callers[1].clone();
    let (s, survey) = app
        .api(
            &manager,
            Method::POST,
            "/api/v1/surveys",
            Some(json!({"touchpoint_id": tp.id.0, "name": "After the call"})),
        )
        .await;
    assert_eq!(s, 201, "{survey}");
    let id = survey["id"].as_i64().unwrap();
    let (s, survey) = app
        .api(
            &manager,
            Method::POST,
            &format!("/api/v1/surveys/{id}/publish"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{survey}");
    let public_id = survey["public_id"].as_str().unwrap().to_string();
    (public_id, manager, id)
}

fn from(ip: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", ip.parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap()
}

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds")
}

async fn a_client_over_the_limit_waits_and_others_go_on(db: testing::TestDb) {
    // Three requests per 15 s: a burst of three, then one every 5 s.
    let app = TestApp::spawn_on(db, |c| {
        c.trust_proxy = true;
        c.public_rate_limit = Some(RateLimit {
            requests: 3,
            per: Duration::from_secs(15),
        });
    })
    .await;
    let (public_id, manager, survey) = published_survey(&app).await;
    let page = format!("/s/{public_id}");
    let busy = from("203.0.113.7");
    for n in 1..=3 {
        let r = busy.get(app.url(&page)).send().await.unwrap();
        assert_eq!(r.status(), 200, "request {n} is within the limit");
    }
    // The fourth: a page in the visitor's language, with Retry-After.
    let r = busy
        .get(app.url(&page))
        .header("accept-language", "he")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait = retry_after(&r);
    assert!((1..=5).contains(&wait), "Retry-After {wait}");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""), "{html}");
    // Every public route shares the client's allowance: the anonymous API posts answer JSON.
    let r = busy
        .post(app.url("/api/v1/inbound/nosuchsource"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(retry_after(&r) >= 1);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    let r = busy.get(app.url("/password/forgot")).send().await.unwrap();
    assert_eq!(r.status(), 429);

    // Another client is unaffected.
    let other = from("198.51.100.20");
    assert_eq!(
        other.get(app.url(&page)).send().await.unwrap().status(),
        200
    );
    // Authenticated API traffic from the same address is not limited by this.
    for _ in 0..5 {
        let r = busy
            .post(app.url(&format!("/api/v1/surveys/{survey}/responses")))
            .bearer_auth(&manager.token)
            .json(&json!({"answers": {"nps": 9}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    // Nor are signed-in pages used from that address.
    let sid = secrets::random_hex(32);
    app.store
        .create_session(
            manager.user.id,
            &secrets::sha256_hex(&sid),
            &secrets::random_hex(32),
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    let r = busy
        .get(app.url("/settings"))
        .header("cookie", format!("rapport_session={sid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The refusals are counted for Prometheus.
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("rapport_rate_limited_total{route=\"/s/{public_id}\"} 1"),
        "{metrics}"
    );

    // After the wait, the client is let in again.
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(100)).await;
    assert_eq!(busy.get(app.url(&page)).send().await.unwrap().status(), 200);
}

async fn zero_turns_the_limit_off(db: testing::TestDb) {
    let app = TestApp::spawn_on(db, |c| {
        c.public_rate_limit = RateLimit::per_minute(0);
    })
    .await;
    let client = TestApp::client();
    for _ in 0..30 {
        let r = client
            .get(app.url("/password/forgot"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}
