//! Outbound webhooks end to end: the real server and worker deliver to a receiver running inside
//! the test, which fails, goes away and comes back; nothing is lost, every request is signed and
//! retries keep their delivery id so the receiver can de-duplicate.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use chrono::Utc;
use common::{Caller, TestApp};
use hmac::{Hmac, Mac};
use rapport_domain::OrgId;
use rapport_storage::testing;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::net::TcpListener;

/// One request as the receiver saw it, and what it answered.
#[derive(Debug, Clone)]
struct Received {
    delivery: String,
    event: String,
    signature: String,
    content_type: String,
    body: Vec<u8>,
    answered: u16,
}

#[derive(Default)]
struct Receiver {
    log: Mutex<Vec<Received>>,
    /// How many of the next requests get a 503.
    fail_next: AtomicUsize,
}

impl Receiver {
    fn log(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    fn for_delivery(&self, id: &str) -> Vec<Received> {
        self.log()
            .into_iter()
            .filter(|r| r.delivery == id)
            .collect()
    }
}

async fn hook(
    State(r): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> (
    StatusCode,
    [(header::HeaderName, &'static str); 1],
    &'static str,
) {
    let fail = r
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let status = if fail {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    r.log.lock().unwrap().push(Received {
        delivery: h("rapport-delivery"),
        event: h("rapport-event"),
        signature: h("rapport-signature"),
        content_type: h("content-type"),
        body: body.to_vec(),
        answered: status.as_u16(),
    });
    // `Connection: close`, so stopping the server really leaves nothing listening.
    (
        status,
        [(header::CONNECTION, "close")],
        if fail { "busy, try later" } else { "" },
    )
}

/// Serves the receiver on `port` (0 for any) until the returned task is aborted.
async fn serve(r: Arc<Receiver>, port: u16) -> (u16, tokio::task::JoinHandle<()>) {
    let started = Instant::now();
    let listener = loop {
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => break l,
            Err(e) if started.elapsed() < Duration::from_secs(10) => {
                eprintln!("rebinding {port}: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot bind the receiver: {e}"),
        }
    };
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(r);
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (port, task)
}

/// Takes the receiver off the network: connections are refused until it is served again.
async fn stop(task: tokio::task::JoinHandle<()>) {
    task.abort();
    let _ = task.await;
}

/// Polls `check` until it holds, or fails the test after `secs` seconds.
async fn wait_until<F, Fut>(what: &str, secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a receiver does: recompute the signature over the raw body with the shared secret.
fn verify(secret: &str, r: &Received) -> Result<(), String> {
    let mut t = None;
    let mut v1 = None;
    for part in r.signature.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = Some(x.to_string()),
            Some(("v1", x)) => v1 = Some(x.to_string()),
            _ => return Err(format!("unexpected part {part:?}")),
        }
    }
    let (t, v1) = (t.ok_or("no t=")?, v1.ok_or("no v1=")?);
    let age = Utc::now().timestamp() - t.parse::<i64>().map_err(|e| e.to_string())?;
    if !(0..300).contains(&age) {
        return Err(format!("timestamp {t} is {age} s old"));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&r.body);
    let expected = hex::encode(mac.finalize().into_bytes());
    if expected == v1 {
        Ok(())
    } else {
        Err(format!("v1={v1}, expected {expected}"))
    }
}

struct Hooked {
    app: TestApp,
    org: OrgId,
    admin: Caller,
    id: i64,
    secret: String,
}

impl Hooked {
    async fn emit(&self, event: &str, data: Value) -> u64 {
        self.emit_at(event, data, Utc::now()).await
    }

    async fn emit_at(&self, event: &str, data: Value, at: chrono::DateTime<Utc>) -> u64 {
        self.app
            .store
            .emit_event(self.org, event, &data, None, at)
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> Value {
        let (status, json) = self
            .app
            .api(
                &self.admin,
                Method::GET,
                &format!("/api/v1/webhooks/{}{path}", self.id),
                None,
            )
            .await;
        assert_eq!(status, 200, "{path}: {json}");
        json
    }

    async fn deliveries(&self, state: &str) -> Vec<Value> {
        let q = if state.is_empty() {
            String::new()
        } else {
            format!("?state={state}")
        };
        self.get(&format!("/deliveries{q}"))
            .await
            .as_array()
            .unwrap()
            .clone()
    }

    async fn attempts(&self, delivery: i64) -> Vec<Value> {
        self.get(&format!("/deliveries/{delivery}/attempts"))
            .await
            .as_array()
            .unwrap()
            .clone()
    }
}

/// A delivery by the `data.case_id` of its event.
fn by_case(deliveries: &[Value], case: i64) -> Option<Value> {
    deliveries
        .iter()
        .find(|d| d["payload"]["case_id"] == case)
        .cloned()
}

async fn receiver_failing_then_down_loses_nothing(db: testing::TestDb) {
    let app = TestApp::spawn_on(db, |c| {
        c.webhook_retry_base = chrono::Duration::milliseconds(100);
    })
    .await;
    let (org, callers) = app.callers("hooks").await;
    let admin = callers[0].clone();
    let receiver = Arc::new(Receiver::default());
    receiver.fail_next.store(2, Ordering::SeqCst);
    let (port, server) = serve(receiver.clone(), 0).await;

    let (status, created) = app
        .api(
            &admin,
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({
                "url": format!("http://127.0.0.1:{port}/hook"),
                "description": "CRM",
                "events": ["case.created", "case.closed"],
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 6 + 64,
        "{secret}"
    );
    assert_eq!(created["active"], true);
    let h = Hooked {
        org: org.id,
        admin,
        id: created["id"].as_i64().unwrap(),
        secret,
        app,
    };
    // The secret is shown once: never in reads.
    let (_, list) = h
        .app
        .api(&h.admin, Method::GET, "/api/v1/webhooks", None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&h.secret));
    assert!(!h.get("").await.to_string().contains(&h.secret));

    // 1. The receiver answers 503 twice, then accepts.
    assert_eq!(h.emit("case.created", json!({"case_id": 1})).await, 1);
    assert_eq!(
        h.emit("response.created", json!({"case_id": 99})).await,
        0,
        "not subscribed"
    );
    wait_until("the first event to be accepted", 30, || async {
        receiver.log().iter().any(|r| r.answered == 200)
    })
    .await;
    let first = by_case(&h.deliveries("").await, 1).unwrap();
    let first_id = first["delivery_id"].as_str().unwrap().to_string();
    let seen: Vec<u16> = receiver
        .for_delivery(&first_id)
        .iter()
        .map(|r| r.answered)
        .collect();
    assert_eq!(seen, [503, 503, 200], "retries reuse the delivery id");
    let first = by_case(&h.deliveries("delivered").await, 1).unwrap();
    assert_eq!(first["attempts"], 3);
    assert_eq!(first["last_status"], 200);
    let log = h.attempts(first["id"].as_i64().unwrap()).await;
    let statuses: Vec<&Value> = log.iter().map(|a| &a["status"]).collect();
    assert_eq!(statuses, [&json!(503), &json!(503), &json!(200)], "{log:?}");
    assert!(log[0]["error"]
        .as_str()
        .unwrap()
        .contains("busy, try later"));
    assert!(log[2]["error"].is_null());

    // 2. The receiver goes away; events keep coming and are retried.
    stop(server).await;
    assert_eq!(h.emit("case.created", json!({"case_id": 2})).await, 1);
    assert_eq!(h.emit("case.closed", json!({"case_id": 3})).await, 1);
    wait_until("two failed attempts of each event", 30, || async {
        let pending = h.deliveries("pending").await;
        pending.len() == 2 && pending.iter().all(|d| d["attempts"].as_i64() >= Some(2))
    })
    .await;
    let down = by_case(&h.deliveries("pending").await, 2).unwrap();
    assert!(down["last_status"].is_null());
    let log = h.attempts(down["id"].as_i64().unwrap()).await;
    assert!(log.len() >= 2);
    for a in &log {
        assert!(a["status"].is_null(), "{a}");
        assert!(
            a["error"].as_str().unwrap().contains("connect"),
            "the log says why: {a}"
        );
    }

    // 3. It comes back on the same address: everything queued arrives.
    let (_, server) = serve(receiver.clone(), port).await;
    wait_until("every event delivered", 60, || async {
        h.deliveries("delivered").await.len() == 3
    })
    .await;
    assert!(h.deliveries("pending").await.is_empty());

    let log = receiver.log();
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    let mut cases = BTreeSet::new();
    for r in &log {
        verify(&h.secret, r).unwrap_or_else(|e| panic!("bad signature on {r:?}: {e}"));
        assert_eq!(r.content_type, "application/json");
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["id"], r.delivery, "body and header carry one id");
        assert_eq!(body["event"], r.event);
        assert!(body["created_at"].is_string());
        if r.answered == 200 {
            *accepted.entry(r.delivery.clone()).or_default() += 1;
            cases.insert(body["data"]["case_id"].as_i64().unwrap());
        }
    }
    assert_eq!(cases, BTreeSet::from([1, 2, 3]), "every event arrived");
    assert_eq!(accepted.len(), 3, "one delivery id per event");
    assert!(accepted.values().all(|n| *n == 1), "{accepted:?}");
    let events: BTreeSet<String> = log.iter().map(|r| r.event.clone()).collect();
    assert_eq!(
        events,
        BTreeSet::from(["case.created".to_string(), "case.closed".to_string()])
    );

    // 4. A delivery past its give-up time goes to the dead-letter list on its first failure,
    //    and a manual redelivery sends it again under the same id.
    receiver.fail_next.store(1, Ordering::SeqCst);
    let long_ago = Utc::now() - chrono::Duration::hours(25);
    assert_eq!(
        h.emit_at("case.closed", json!({"case_id": 4}), long_ago)
            .await,
        1
    );
    wait_until("the late delivery to go dead", 30, || async {
        !h.deliveries("dead").await.is_empty()
    })
    .await;
    let dead = h.deliveries("dead").await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["payload"]["case_id"], 4);
    assert_eq!(dead[0]["attempts"], 1);
    assert_eq!(dead[0]["last_status"], 503);
    let dead_row = dead[0]["id"].as_i64().unwrap();
    let dead_id = dead[0]["delivery_id"].as_str().unwrap().to_string();
    let (status, again) = h
        .app
        .api(
            &h.admin,
            Method::POST,
            &format!("/api/v1/webhooks/{}/deliveries/{dead_row}/redeliver", h.id),
            None,
        )
        .await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["state"], "pending");
    assert_eq!(again["delivery_id"], dead_id.as_str());
    wait_until("the redelivery", 30, || async {
        h.deliveries("delivered").await.len() == 4
    })
    .await;
    assert!(h.deliveries("dead").await.is_empty());
    let tries = receiver.for_delivery(&dead_id);
    assert_eq!(
        tries.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [503, 200]
    );
    for r in &tries {
        verify(&h.secret, r).unwrap();
    }
    assert_eq!(h.attempts(dead_row).await.len(), 2);

    // 5. An endpoint deactivated while a delivery is being retried stops at once, logged.
    stop(server).await;
    assert_eq!(h.emit("case.created", json!({"case_id": 5})).await, 1);
    wait_until("a failed attempt", 30, || async {
        by_case(&h.deliveries("pending").await, 5)
            .is_some_and(|d| d["attempts"].as_i64() >= Some(1))
    })
    .await;
    let (status, updated) = h
        .app
        .api(
            &h.admin,
            Method::PUT,
            &format!("/api/v1/webhooks/{}", h.id),
            Some(json!({
                "url": format!("http://127.0.0.1:{port}/hook"),
                "events": ["case.created", "case.closed"],
                "active": false,
            })),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["active"], false);
    wait_until("the delivery to stop", 30, || async {
        by_case(&h.deliveries("dead").await, 5).is_some()
    })
    .await;
    let stopped = by_case(&h.deliveries("dead").await, 5).unwrap();
    assert_eq!(stopped["last_error"], "the endpoint is deactivated");
    assert_eq!(
        h.emit("case.created", json!({"case_id": 6})).await,
        0,
        "inactive endpoints get nothing new"
    );

    // 6. Deleting the endpoint takes its log with it.
    let path = format!("/api/v1/webhooks/{}", h.id);
    let (status, _) = h.app.api(&h.admin, Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let (status, _) = h.app.api(&h.admin, Method::GET, &path, None).await;
    assert_eq!(status, 404);
    let (status, _) = h
        .app
        .api(&h.admin, Method::GET, &format!("{path}/deliveries"), None)
        .await;
    assert_eq!(status, 404);
}

/// Like `both_backends!`, with retries 20 times faster than the default so the test is quick.
macro_rules! with_fast_retries {
    ($($name:ident),* $(,)?) => {
        mod fast_retries_sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(rapport_storage::testing::sqlite()).await })*
        }
        mod fast_retries_postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(db) = rapport_storage::testing::postgres().await else { return };
                super::$name(db).await
            })*
        }
    };
}

with_fast_retries!(receiver_failing_then_down_loses_nothing);

both_backends!(
    endpoints_are_validated_and_admin_only,
    deliveries_are_addressed_through_their_endpoint
);

async fn endpoints_are_validated_and_admin_only(app: TestApp) {
    let (_, callers) = app.callers("acme").await;
    let admin = &callers[0];
    let post = |body: Value| {
        let app = &app;
        async move {
            app.api(admin, Method::POST, "/api/v1/webhooks", Some(body))
                .await
        }
    };
    for (body, field) in [
        (
            json!({"url": "ftp://x.example/hook", "events": ["*"]}),
            "url",
        ),
        (json!({"url": "https:// x", "events": ["*"]}), "url"),
        (json!({"url": "hooks.example/x", "events": ["*"]}), "url"),
        (json!({"url": "https://x.example", "events": []}), "events"),
        (
            json!({"url": "https://x.example", "events": ["case.created", "case.deleted"]}),
            "events[1]",
        ),
        (
            json!({"url": "https://x.example", "events": ["*"], "secret": "mine"}),
            "secret",
        ),
        (
            json!({"url": "https://x.example", "events": ["*"], "description": "d".repeat(201)}),
            "description",
        ),
    ] {
        let (status, json) = post(body.clone()).await;
        assert_eq!(status, 422, "{body}: {json}");
        assert_eq!(json["error"]["field"], field, "{body}: {json}");
    }
    let (_, list) = app.api(admin, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!(list, json!([]), "nothing was written");

    let (status, hook) = post(json!({"url": "https://x.example/hook", "events": ["*"]})).await;
    assert_eq!(status, 201, "{hook}");
    let id = hook["id"].as_i64().unwrap();
    let (status, json) = app
        .api(
            admin,
            Method::PUT,
            &format!("/api/v1/webhooks/{id}"),
            Some(json!({"url": "https://x.example/hook", "events": ["case.opened"]})),
        )
        .await;
    assert_eq!(
        (status, &json["error"]["field"]),
        (422, &json!("events[0]"))
    );
    for (q, field) in [
        ("state=lost", "state"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
    ] {
        let (status, json) = app
            .api(
                admin,
                Method::GET,
                &format!("/api/v1/webhooks/{id}/deliveries?{q}"),
                None,
            )
            .await;
        assert_eq!(
            (status, &json["error"]["field"]),
            (422, &json!(field)),
            "{q}"
        );
    }

    // Everyone but administrators is refused, with nothing revealed.
    for other in &callers[1..] {
        for (method, path, body) in [
            (Method::GET, "/api/v1/webhooks".to_string(), None),
            (
                Method::POST,
                "/api/v1/webhooks".to_string(),
                Some(json!({"url": "https://evil.example", "events": ["*"]})),
            ),
            (
                Method::GET,
                format!("/api/v1/webhooks/{id}/deliveries"),
                None,
            ),
            (Method::DELETE, format!("/api/v1/webhooks/{id}"), None),
        ] {
            let (status, json) = app.api(other, method.clone(), &path, body).await;
            assert_eq!(status, 403, "{method} {path} as {}", other.user.role);
            assert_eq!(json["error"]["code"], "forbidden");
        }
    }
    let (_, list) = app.api(admin, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}

async fn deliveries_are_addressed_through_their_endpoint(app: TestApp) {
    let (org, callers) = app.callers("acme").await;
    let (_, others) = app.callers("other").await;
    let admin = &callers[0];
    let mut hooks = vec![];
    for n in 0..2 {
        let (status, hook) = app
            .api(
                admin,
                Method::POST,
                "/api/v1/webhooks",
                Some(json!({"url": format!("http://127.0.0.1:9/{n}"), "events": ["case.updated"]})),
            )
            .await;
        assert_eq!(status, 201);
        hooks.push(hook["id"].as_i64().unwrap());
    }
    let queued = app
        .store
        .emit_event(
            org.id,
            "case.updated",
            &json!({"case_id": 7}),
            None,
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(queued, 2);
    let (_, list) = app
        .api(
            admin,
            Method::GET,
            &format!("/api/v1/webhooks/{}/deliveries", hooks[0]),
            None,
        )
        .await;
    let delivery = list[0]["id"].as_i64().unwrap();
    let ok = format!(
        "/api/v1/webhooks/{}/deliveries/{delivery}/attempts",
        hooks[0]
    );
    let wrong = format!(
        "/api/v1/webhooks/{}/deliveries/{delivery}/attempts",
        hooks[1]
    );
    assert_eq!(app.api(admin, Method::GET, &ok, None).await.0, 200);
    assert_eq!(app.api(admin, Method::GET, &wrong, None).await.0, 404);
    let redeliver = format!(
        "/api/v1/webhooks/{}/deliveries/{delivery}/redeliver",
        hooks[1]
    );
    assert_eq!(app.api(admin, Method::POST, &redeliver, None).await.0, 404);
    // Another organisation's administrator sees nothing of it.
    for path in [
        ok.clone(),
        format!("/api/v1/webhooks/{}", hooks[0]),
        format!("/api/v1/webhooks/{}/deliveries", hooks[0]),
    ] {
        let (status, json) = app.api(&others[0], Method::GET, &path, None).await;
        assert_eq!(status, 404, "{path}: {json}");
    }
    let missing = format!("/api/v1/webhooks/{}/deliveries/99999999/attempts", hooks[0]);
    assert_eq!(app.api(admin, Method::GET, &missing, None).await.0, 404);
}
