//! A webhook receiver that goes down for 60 seconds in the middle of a burst of 200 responses
//! and comes back: every event is delivered, nothing twice under different delivery ids, every
//! request signed, and the request the receiver was holding when it died is sent again with its
//! own delivery id. The outage is real (a closed port for 60 s); only the retry schedule is
//! shortened (`webhook_retry_base` 200 ms, `webhook_retry_max` 5 s; production: 2 s and 1 h).
mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::TestApp;
use hmac::{Hmac, Mac};
use rapport_domain::webhooks::DeliveryState;
use rapport_domain::WebhookId;
use rapport_storage::testing;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

const RESPONSES: usize = 200;
const OUTAGE: Duration = Duration::from_secs(60);

/// One request the receiver read.
#[derive(Debug, Clone)]
struct Hit {
    delivery: String,
    response_id: i64,
    signed: bool,
    answered: bool,
}

#[derive(Default)]
struct Receiver {
    hits: Mutex<Vec<Hit>>,
    secret: Mutex<String>,
    /// The next request is read and then held without an answer until the receiver dies.
    hold_next: AtomicBool,
    held: Mutex<Option<String>>,
    accepted: AtomicUsize,
}

impl Receiver {
    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Delivery id → times answered 200: what a receiver de-duplicating on the id counts.
    fn accepted_by_id(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for h in self.hits().iter().filter(|h| h.answered) {
            *out.entry(h.delivery.clone()).or_default() += 1;
        }
        out
    }
}

fn signed(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut parts = header.split(',').filter_map(|p| p.split_once('='));
    let (Some(("t", t)), Some(("v1", v1))) = (parts.next(), parts.next()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes()) == v1
}

/// Serves one connection: HTTP/1.1 requests, each recorded and answered 200 after 20 ms.
async fn connection(stream: tokio::net::TcpStream, r: Arc<Receiver>) {
    let (rd, mut w) = stream.into_split();
    let mut rd = BufReader::new(rd);
    loop {
        let mut headers = HashMap::new();
        let mut line = String::new();
        loop {
            line.clear();
            if rd.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if rd.read_exact(&mut body).await.is_err() {
            return;
        }
        let h = |k: &str| headers.get(k).cloned().unwrap_or_default();
        let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let hit = Hit {
            delivery: h("rapport-delivery"),
            response_id: parsed["data"]["id"].as_i64().unwrap_or(-1),
            signed: signed(&r.secret.lock().unwrap(), &h("rapport-signature"), &body),
            answered: false,
        };
        if r.hold_next.swap(false, Ordering::SeqCst) {
            *r.held.lock().unwrap() = Some(hit.delivery.clone());
            r.hits.lock().unwrap().push(hit.clone());
            // Never answered: the receiver dies with this request in hand.
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        if w.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
        r.hits.lock().unwrap().push(Hit {
            answered: true,
            ..hit
        });
        r.accepted.fetch_add(1, Ordering::SeqCst);
    }
}

/// Listens on `port` (0: any) until the returned set is dropped: dropping it closes the
/// listener and every open connection, as a receiver that crashes does.
async fn up(r: Arc<Receiver>, port: u16) -> (u16, JoinSet<()>) {
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
    let conns = Arc::new(Mutex::new(JoinSet::new()));
    let mut set = JoinSet::new();
    let c = conns.clone();
    set.spawn(async move {
        // Owns the connection tasks: aborting this task drops them all.
        let _owner = ConnOwner(c.clone());
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            c.lock().unwrap().spawn(connection(stream, r.clone()));
        }
    });
    (port, set)
}

struct ConnOwner(Arc<Mutex<JoinSet<()>>>);

impl Drop for ConnOwner {
    fn drop(&mut self) {
        self.0.lock().unwrap().abort_all();
    }
}

async fn burst_survives_a_60_second_receiver_outage(db: testing::TestDb) {
    let app = TestApp::spawn_on(db, |c| {
        c.webhook_retry_base = chrono::Duration::milliseconds(200);
        c.webhook_retry_max = chrono::Duration::seconds(5);
    })
    .await;
    let (org, callers) = app.callers("outage").await;
    let admin = &callers[0];
    let post = |path: &'static str, body: Value| {
        let app = &app;
        async move {
            let (status, json) = app.api(admin, Method::POST, path, Some(body)).await;
            assert!((200..300).contains(&status), "{path}: {status} {json}");
            json
        }
    };
    let journey = post(
        "/api/v1/journeys",
        json!({"name": "Claims", "locale": "en"}),
    )
    .await;
    let stage = journey["stages"][0]["id"].as_i64().unwrap();
    let tp = post(
        "/api/v1/touchpoints",
        json!({"stage_id": stage, "name": "Claims line", "channel": "phone"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let survey = post(
        "/api/v1/surveys",
        json!({"touchpoint_id": tp, "name": "After the call"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (status, body) = app
        .api(
            admin,
            Method::POST,
            &format!("/api/v1/surveys/{survey}/publish"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let receiver = Arc::new(Receiver::default());
    let (port, server) = up(receiver.clone(), 0).await;
    let hook = post(
        "/api/v1/webhooks",
        json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["response.created"]}),
    )
    .await;
    let hook_id = WebhookId(hook["id"].as_i64().unwrap());
    *receiver.secret.lock().unwrap() = hook["secret"].as_str().unwrap().to_string();

    // The burst: 200 responses at once, each becoming one `response.created` event after the
    // worker has analysed it.
    let started = Instant::now();
    let mut sends = JoinSet::new();
    for i in 0..RESPONSES {
        let req = TestApp::client()
            .post(app.url(&format!("/api/v1/surveys/{survey}/responses")))
            .bearer_auth(&admin.token)
            .header("Idempotency-Key", format!("burst-{i}"))
            .json(&json!({"answers": {"nps": i % 11, "why_high": format!("Burst answer {i}")}}));
        sends.spawn(async move { req.send().await.unwrap().json::<Value>().await.unwrap() });
    }
    let mut response_ids = BTreeSet::new();
    while let Some(r) = sends.join_next().await {
        response_ids.insert(r.unwrap()["id"].as_i64().unwrap());
    }
    assert_eq!(response_ids.len(), RESPONSES);

    // Mid-burst, the receiver takes one more request, keeps it unanswered and dies.
    let wait = Instant::now();
    while receiver.accepted.load(Ordering::SeqCst) < 20 {
        assert!(
            wait.elapsed() < Duration::from_secs(60),
            "the burst never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    receiver.hold_next.store(true, Ordering::SeqCst);
    while receiver.held.lock().unwrap().is_none() {
        assert!(
            wait.elapsed() < Duration::from_secs(60),
            "no request to hold"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(server);
    let down_at = Instant::now();
    let held = receiver.held.lock().unwrap().clone().unwrap();
    let before = receiver.accepted_by_id().len();
    assert!(before < RESPONSES, "the outage starts mid-burst");

    // While it is down: retries keep failing and are logged as such, nothing is lost.
    tokio::time::sleep(OUTAGE - Duration::from_secs(5)).await;
    let pending = app
        .store
        .list_deliveries(org.id, hook_id, Some(DeliveryState::Pending), 1000)
        .await
        .unwrap();
    assert!(
        pending.len() >= RESPONSES - before,
        "{} pending, {before} delivered before the outage",
        pending.len()
    );
    assert_eq!(
        receiver.accepted_by_id().len(),
        before,
        "nothing arrives while the port is closed"
    );
    let most_attempts = pending.iter().map(|d| d.attempts).max().unwrap_or(0);
    assert!(
        most_attempts >= 8,
        "retried all through the outage: {most_attempts}"
    );
    let held_row = app
        .store
        .list_deliveries(org.id, hook_id, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.delivery_id == held)
        .expect("the held delivery is in the log");
    assert_eq!(held_row.state, DeliveryState::Pending);
    let tries = app
        .store
        .delivery_attempts(org.id, held_row.id)
        .await
        .unwrap();
    assert!(
        tries
            .iter()
            .all(|t| t.status.is_none() && t.error.is_some()),
        "{tries:?}"
    );
    while down_at.elapsed() < OUTAGE {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Back on the same port: the rest arrives within one retry interval or so.
    let (_, _server) = up(receiver.clone(), port).await;
    let back_at = Instant::now();
    while receiver.accepted_by_id().len() < RESPONSES {
        assert!(
            back_at.elapsed() < Duration::from_secs(30),
            "{} of {RESPONSES} delivered 30 s after the receiver came back",
            receiver.accepted_by_id().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let caught_up = back_at.elapsed();

    let hits = receiver.hits();
    assert!(
        hits.iter().all(|h| h.signed),
        "every request signed with the endpoint's secret"
    );
    // Every response's event arrived, under exactly one delivery id.
    let mut ids_by_response: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for h in &hits {
        ids_by_response
            .entry(h.response_id)
            .or_default()
            .insert(h.delivery.clone());
    }
    assert_eq!(
        ids_by_response.keys().copied().collect::<BTreeSet<_>>(),
        response_ids
    );
    assert!(
        ids_by_response.values().all(|ids| ids.len() == 1),
        "one delivery id per event"
    );
    let accepted = receiver.accepted_by_id();
    assert_eq!(accepted.len(), RESPONSES);
    let repeats: Vec<(&String, &usize)> = accepted.iter().filter(|(_, n)| **n > 1).collect();
    // The held request was sent again with its own id and accepted once.
    assert_eq!(accepted.get(&held), Some(&1), "{held} after the outage");
    assert!(
        hits.iter().any(|h| h.delivery == held && !h.answered),
        "the held attempt was seen"
    );
    // The worker records a delivery after the receiver's answer reaches it: wait for the last.
    let recorded_by = Instant::now() + Duration::from_secs(15);
    let delivered = loop {
        let delivered = app
            .store
            .list_deliveries(org.id, hook_id, Some(DeliveryState::Delivered), 1000)
            .await
            .unwrap();
        if delivered.len() >= RESPONSES || Instant::now() > recorded_by {
            break delivered;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(delivered.len(), RESPONSES);
    let attempts: i32 = delivered.iter().map(|d| d.attempts).sum();
    eprintln!(
        "webhook outage ({}): {RESPONSES} events, {before} delivered before the receiver died, \
         {:.1} s down, all delivered {:.1} s after it came back ({:.1} s in all); {attempts} \
         attempts, at most {most_attempts} for one delivery; {} requests received, {} ids \
         accepted twice",
        app.store.backend().as_str(),
        OUTAGE.as_secs_f64(),
        caught_up.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        hits.len(),
        repeats.len()
    );
    // A request answered just as the port closed may be sent again: only ever under its id
    // (checked above), and rarely.
    assert!(repeats.len() <= 2, "{repeats:?}");
}

on_both!(burst_survives_a_60_second_receiver_outage);
