//! Graceful shutdown: a request in flight when the shutdown begins is finished (2xx), new
//! connections are refused, and the worker finishes its running job within the grace period or
//! hands it back to the queue, together with the jobs it had claimed but not started.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestApp;
use rapport_domain::model::*;
use rapport_domain::voc::*;
use rapport_domain::webhooks::WebhookSpec;
use rapport_domain::*;
use rapport_server::{Application, Config};
use rapport_storage::{testing, Actor};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

on_both!(
    in_flight_request_is_finished,
    stalled_request_does_not_hold_the_shutdown,
    running_job_finishes_within_the_grace,
    running_job_past_the_grace_is_handed_back
);

/// A published survey; returns its organisation, its id and an agent's token.
async fn survey(app: &TestApp) -> (OrgId, i64, String) {
    let org = app.org("shutdown").await;
    let agent = app
        .caller(org.id, "agent@shutdown.test", Role::Agent, Locale::En, None)
        .await;
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
                name: Name::parse("n", "Line").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let survey = app
        .store
        .create_survey(
            a,
            tp.id,
            &Name::parse("n", "Shutdown").unwrap(),
            &rapport_domain::survey::default_definition(),
            "shutdownpublic",
        )
        .await
        .unwrap();
    app.store
        .set_survey_status(a, survey.id, SurveyStatus::Published)
        .await
        .unwrap();
    (org.id, survey.id.0, agent.token)
}

async fn in_flight_request_is_finished(db: testing::TestDb) {
    let mut app = TestApp::spawn_on(db, |_| {}).await;
    let (org, survey, token) = survey(&app).await;
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let body = json!({"answers": {"nps": 10, "why_high": "slow but sure"}}).to_string();
    let (head, tail) = body.split_at(body.len() / 2);

    // A client that has sent its headers and half of its body when the shutdown begins.
    let mut conn = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "POST /api/v1/surveys/{survey}/responses HTTP/1.1\r\nHost: rapport\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Idempotency-Key: slow-client\r\nContent-Length: {}\r\n\r\n{head}",
        body.len()
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped = app.shut_down();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!stopped.is_finished(), "the server waits for the request");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "new connections are refused once the shutdown has begun"
    );

    conn.write_all(tail.as_bytes()).await.unwrap();
    let mut reader = BufReader::new(conn);
    let mut status = String::new();
    reader.read_line(&mut status).await.unwrap();
    assert!(
        status.starts_with("HTTP/1.1 201"),
        "the in-flight request is answered: {status:?}"
    );
    let mut rest = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), reader.read_to_string(&mut rest)).await;
    assert!(rest.contains("\"created\":true"), "{rest}");
    tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .expect("the server stops once the request is done")
        .unwrap()
        .unwrap();

    let store = rapport_storage::connect(&app.db_url).await.unwrap();
    let (rows, total) = store
        .list_responses(
            org,
            &ResponseFilter {
                survey: Some(SurveyId(survey)),
                ..ResponseFilter::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(total, 1, "{rows:?}");
}

async fn stalled_request_does_not_hold_the_shutdown(db: testing::TestDb) {
    let mut app = TestApp::spawn_on(db, |c| {
        c.shutdown_grace = Duration::from_millis(500);
    })
    .await;
    let (_, survey, token) = survey(&app).await;
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    // Headers and a promise of 100 bytes that never come.
    let mut conn = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "POST /api/v1/surveys/{survey}/responses HTTP/1.1\r\nHost: rapport\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"answers\""
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), app.shut_down())
        .await
        .expect("the shutdown does not wait for a stalled client")
        .unwrap()
        .unwrap();
    // (The connection's task itself ends when the process exits, as `rapport serve` does next.)
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

/// A webhook receiver that records each delivery as it arrives and answers after `delay`.
async fn receiver(delay: Duration) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let arrived = Arc::new(AtomicUsize::new(0));
    let seen = arrived.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.trim_end().to_ascii_lowercase();
                        if l.is_empty() {
                            break;
                        }
                        if let Some(v) = l.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; len];
                    if r.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    seen.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(delay).await;
                    let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                    if w.write_all(ok).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, arrived)
}

/// Three webhook events for `url`; the worker (polling every second) delivers them one job at
/// a time.
async fn three_deliveries(app: &TestApp, url: &str) -> OrgId {
    let org = app.org("hooks").await;
    app.store
        .create_webhook(
            Actor::system(org.id),
            &WebhookSpec {
                url: url.into(),
                description: "shutdown test".into(),
                events: vec!["*".into()],
                active: true,
            },
            "whsec_shutdown",
        )
        .await
        .unwrap();
    for n in 0..3 {
        app.store
            .emit_event(
                org.id,
                "case.updated",
                &json!({ "n": n }),
                None,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
    }
    org.id
}

async fn wait_until(what: &str, secs: u64, done: impl Fn() -> bool) {
    let t = Instant::now();
    while !done() {
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "waited {secs} s for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Jobs per state, read after the server has stopped (its own pool is closed by then).
async fn job_states(url: &str) -> Vec<(String, i64)> {
    let store = rapport_storage::connect(url).await.unwrap();
    let counts = store.job_counts().await.unwrap();
    store.close().await;
    counts
}

async fn running_job_finishes_within_the_grace(db: testing::TestDb) {
    let mut app = TestApp::spawn_on(db, |c| {
        c.shutdown_grace = Duration::from_secs(20);
    })
    .await;
    let (url, arrived) = receiver(Duration::from_millis(1500)).await;
    three_deliveries(&app, &url).await;
    wait_until("the first delivery", 20, || {
        arrived.load(Ordering::SeqCst) >= 1
    })
    .await;
    let t = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), app.shut_down())
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(800),
        "the shutdown waited for the delivery in flight ({:?})",
        t.elapsed()
    );
    assert_eq!(
        arrived.load(Ordering::SeqCst),
        1,
        "no job starts after the shutdown"
    );
    assert_eq!(
        job_states(&app.db_url).await,
        vec![("done".to_string(), 1), ("queued".to_string(), 2)],
        "the running job finished; the others wait in the queue, unclaimed"
    );
}

async fn running_job_past_the_grace_is_handed_back(db: testing::TestDb) {
    let mut app = TestApp::spawn_on(db, |c| {
        c.shutdown_grace = Duration::from_millis(300);
    })
    .await;
    // A receiver slower than the grace (and than nothing: the job lease is two minutes).
    let (url, arrived) = receiver(Duration::from_secs(60)).await;
    three_deliveries(&app, &url).await;
    wait_until("the first delivery", 20, || {
        arrived.load(Ordering::SeqCst) >= 1
    })
    .await;
    let t = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), app.shut_down())
        .await
        .expect("the server stops after the grace, not after the delivery")
        .unwrap()
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert_eq!(
        job_states(&app.db_url).await,
        vec![("queued".to_string(), 3)],
        "the stopped job is back in the queue, not held until its lease runs out"
    );

    // The next instance delivers all three at once, without waiting for a lease to expire.
    let (url2, arrived2) = receiver(Duration::ZERO).await;
    let store = rapport_storage::connect(&app.db_url).await.unwrap();
    let org = store.organisation_by_slug("hooks").await.unwrap();
    let hook = &store.list_webhooks(org.id).await.unwrap()[0];
    store
        .update_webhook(
            Actor::system(org.id),
            hook.id,
            &WebhookSpec {
                url: url2,
                description: "shutdown test".into(),
                events: vec!["*".into()],
                active: true,
            },
        )
        .await
        .unwrap();
    let mut config = Config::new(app.db_url.clone(), "127.0.0.1:0".parse().unwrap());
    config.webhook_retry_base = chrono::Duration::milliseconds(100);
    let next = Application::build(config).await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(next.run_until_stopped(async move {
        let _ = rx.await;
    }));
    wait_until("all three deliveries", 10, || {
        arrived2.load(Ordering::SeqCst) >= 3
    })
    .await;
    let _ = tx.send(());
    server.await.unwrap().unwrap();
    store.close().await;
}
