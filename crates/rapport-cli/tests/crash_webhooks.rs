//! `kill -9` of `rapport serve` in the middle of webhook deliveries loses no queued event: the
//! queue lives in the database, a dead worker's claimed jobs come back after their lease, and
//! a receiver can recognise the resulting repeats by their delivery id.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rapport_domain::model::NewOrganisation;
use rapport_domain::webhooks::WebhookSpec;
use rapport_domain::{Locale, Name};
use rapport_storage::{testing, Actor};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Delivery id → times received.
type Seen = Arc<Mutex<HashMap<String, u32>>>;

/// A minimal HTTP/1.1 receiver that answers 200 after `delay_ms`, recording each delivery id.
async fn receiver(listener: TcpListener, seen: Seen, delay_ms: Arc<AtomicU64>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let (seen, delay_ms) = (seen.clone(), delay_ms.clone());
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut r = BufReader::new(r);
            loop {
                let (mut id, mut len) = (None, 0usize);
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let l = line.trim_end();
                    if l.is_empty() {
                        break;
                    }
                    let lower = l.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("rapport-delivery:") {
                        id = Some(v.trim().to_string());
                    } else if let Some(v) = lower.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                if r.read_exact(&mut body).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(delay_ms.load(Ordering::Relaxed))).await;
                if let Some(id) = id {
                    *seen.lock().unwrap().entry(id).or_default() += 1;
                }
                if w.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    }
}

fn serve(url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["serve", "--database-url", url, "--addr", "127.0.0.1:0"])
        .env("RAPPORT_JOB_LEASE_SECS", "2")
        .env("RAPPORT_WEBHOOK_RETRY_BASE_MS", "100")
        .env("RAPPORT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rapport serve")
}

async fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    for _ in 0..secs * 20 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out after {secs} s waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_delivery_loses_no_event_on_sqlite() {
    kill_9_mid_delivery_loses_no_event(testing::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_delivery_loses_no_event_on_postgres() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    kill_9_mid_delivery_loses_no_event(db).await;
}

async fn kill_9_mid_delivery_loses_no_event(db: testing::TestDb) {
    const EVENTS: usize = 300;
    let store = rapport_storage::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let org = store
        .create_organisation(&NewOrganisation {
            name: Name::parse("n", "Crash").unwrap(),
            slug: "crash".into(),
            default_locale: Locale::En,
        })
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let delay = Arc::new(AtomicU64::new(150));
    tokio::spawn(receiver(listener, seen.clone(), delay.clone()));
    let hook = store
        .create_webhook(
            Actor::system(org.id),
            &WebhookSpec {
                url: format!("http://127.0.0.1:{port}/hook"),
                description: "crash test".into(),
                events: vec!["*".into()],
                active: true,
            },
            "whsec_crash",
        )
        .await
        .unwrap();
    for i in 0..EVENTS {
        store
            .emit_event(
                org.id,
                "case.updated",
                &serde_json::json!({ "n": i }),
                None,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
    }
    let distinct = |s: &Seen| s.lock().unwrap().len();
    // Three times: let the server deliver a little, then kill it without warning.
    for round in 0..3 {
        let before = distinct(&seen);
        let mut server = serve(&db.url);
        wait_for(&format!("deliveries in round {round}"), 60, || {
            distinct(&seen) >= before + 10
        })
        .await;
        server.kill().expect("kill -9"); // SIGKILL on Unix: no shutdown code runs
        server.wait().unwrap();
    }
    assert!(distinct(&seen) < EVENTS, "the kills happened mid-way");
    // A last run delivers the rest, including the jobs the killed workers held.
    delay.store(0, Ordering::Relaxed);
    let mut server = serve(&db.url);
    wait_for("every event", 120, || distinct(&seen) == EVENTS).await;
    server.kill().unwrap();
    server.wait().unwrap();

    let deliveries = store
        .list_deliveries(org.id, hook.id, None, 1000)
        .await
        .unwrap();
    assert_eq!(deliveries.len(), EVENTS);
    let seen = seen.lock().unwrap();
    for d in &deliveries {
        assert!(
            seen.contains_key(&d.delivery_id),
            "{} never arrived",
            d.delivery_id
        );
    }
    // Repeats are possible (a delivery in flight when the server died) but carry the same id.
    assert_eq!(seen.len(), EVENTS);
}
