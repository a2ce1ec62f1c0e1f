//! PostgreSQL unreachable: requests fail fast with 503 JSON, `/readyz` says so while
//! `/healthz` stays 200, and the server recovers by itself when the database returns.
//!
//! The outage is made by a TCP proxy between the server and PostgreSQL (the shared server keeps
//! running): cutting it closes every connection and refuses new ones, as a stopped database does.
//! A partition (connections stay open, nothing moves) is tested the same way: requests caught
//! mid-query end at the request timeout, new ones fail at the connection wait.
//! Runs only when `RAPPORT_TEST_DATABASE_URL` is set; `RAPPORT_OUTAGE_SECS` lengthens the outage.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::TestApp;
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::{testing, Actor};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A TCP proxy to `upstream` on a fixed local port that can be cut and restored (a stopped
/// database), or stalled and resumed (a network partition: connections stay open, no bytes move).
struct Proxy {
    port: u16,
    upstream: String,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    stalled: Arc<watch::Sender<bool>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Proxy {
            port,
            upstream,
            tasks: Arc::default(),
            stalled: Arc::new(watch::channel(false).0),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let (upstream, tasks, stalled) = (
            self.upstream.clone(),
            self.tasks.clone(),
            self.stalled.clone(),
        );
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let mut flowing = stalled.subscribe();
                let pipe = tokio::spawn(async move {
                    if flowing.wait_for(|s| !*s).await.is_err() {
                        return;
                    }
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::join!(pump(cr, sw, flowing.clone()), pump(sr, cw, flowing));
                });
                tasks.lock().unwrap().push(pipe);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// Closes the listening socket (new connections are refused) and every open connection.
    fn cut(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    async fn restore(&self) {
        // Aborted tasks drop their sockets on their next poll; retry until the port is free.
        for _ in 0..100 {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => return self.serve(l),
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        panic!("cannot listen on 127.0.0.1:{} again", self.port);
    }

    fn stall(&self, stalled: bool) {
        self.stalled.send_replace(stalled);
    }
}

/// Copies bytes one way, holding them while the proxy is stalled.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut flowing: watch::Receiver<bool>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if flowing.wait_for(|s| !*s).await.is_err() || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Outage {
    /// PostgreSQL stopped: connections closed, new ones refused.
    Stopped,
    /// The network to PostgreSQL drops everything: connections hang.
    Partitioned,
}

/// `scheme://user@host:port/db?q` → (`host:port`, the URL with `127.0.0.1:{port}` instead).
fn via_proxy(url: &str, port: u16) -> (String, String) {
    let start = url.find("://").unwrap() + 3;
    let rest = &url[start..];
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host = &authority[host_start..];
    let upstream = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    };
    let proxied = format!(
        "{}{}127.0.0.1:{port}{}",
        &url[..start],
        &authority[..host_start],
        &rest[end..]
    );
    (upstream, proxied)
}

/// Status, JSON body and how long the request took.
async fn timed(req: reqwest::RequestBuilder) -> (u16, Value, Duration) {
    let t = Instant::now();
    let resp = req.send().await.expect("the server answers");
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body, t.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_stopped_fails_fast_and_recovers() {
    outage(Outage::Stopped).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_partitioned_fails_fast_and_recovers() {
    outage(Outage::Partitioned).await;
}

async fn outage(mode: Outage) {
    let Some(mut db) = testing::postgres().await else {
        eprintln!(
            "skipping the database outage test: {} is not set",
            testing::PG_ENV
        );
        return;
    };
    let (upstream, _) = via_proxy(&db.url, 0);
    let proxy = Proxy::start(upstream).await;
    db.url = via_proxy(&db.url, proxy.port).1;
    let acquire = Duration::from_millis(1000);
    let fast = acquire + Duration::from_millis(1500);
    let request_timeout = Duration::from_secs(3);
    let app = TestApp::spawn_on(db, |c| {
        c.db_acquire_timeout = acquire;
        c.request_timeout = request_timeout;
    })
    .await;

    let org = app.org("outage").await;
    let admin = app
        .caller(org.id, "admin@outage.test", Role::Admin, Locale::En, None)
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
    let client = TestApp::client();
    let (s, survey, _) = timed(
        client
            .post(app.url("/api/v1/surveys"))
            .bearer_auth(&admin.token)
            .json(&json!({"touchpoint_id": tp.id.0, "name": "Outage"})),
    )
    .await;
    assert_eq!(s, 201, "{survey}");
    let survey = survey["id"].as_i64().unwrap();
    let (s, _, _) = timed(
        client
            .post(app.url(&format!("/api/v1/surveys/{survey}/publish")))
            .bearer_auth(&admin.token),
    )
    .await;
    assert_eq!(s, 200);
    let submit = |key: &str| {
        client
            .post(app.url(&format!("/api/v1/surveys/{survey}/responses")))
            .bearer_auth(&admin.token)
            .header("Idempotency-Key", key)
            .json(&json!({"answers": {"nps": 9, "why_high": format!("kind words {key}")}}))
    };
    let (s, body, _) = timed(submit("before")).await;
    assert_eq!(s, 201, "{body}");
    let (s, _, _) = timed(client.get(app.url("/readyz"))).await;
    assert_eq!(s, 200);

    // The database goes away while submissions are in flight.
    let in_flight: Vec<_> = (0..20)
        .map(|i| tokio::spawn(timed(submit(&format!("in-flight-{i}")))))
        .collect();
    tokio::time::sleep(Duration::from_millis(5)).await;
    match mode {
        Outage::Stopped => proxy.cut(),
        Outage::Partitioned => proxy.stall(true),
    }
    let outage = Duration::from_secs(
        std::env::var("RAPPORT_OUTAGE_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5),
    );
    let cut_at = Instant::now();
    let mut rounds = 0;
    let mut slowest = Duration::ZERO;
    let mut in_flight_ok = vec![];
    let mut slowest_in_flight = Duration::ZERO;
    for (i, r) in in_flight.into_iter().enumerate() {
        let (s, body, took) = r.await.unwrap();
        // Stopped: their queries fail at once. Partitioned: they hang until the request
        // timeout, or fail at the connection wait if they had not got one yet.
        let code = &body["error"]["code"];
        assert!(
            s == 201 || (s == 503 && (code == "unavailable" || code == "timeout")),
            "a submission in flight at the cut: {s} {body}"
        );
        assert!(
            took < request_timeout + fast,
            "a submission in flight at the cut took {took:?}"
        );
        slowest_in_flight = slowest_in_flight.max(took);
        if s == 201 {
            in_flight_ok.push(i);
        }
    }
    while rounds == 0 || cut_at.elapsed() < outage {
        rounds += 1;
        // A burst of submissions, as from many clients at once: every one fails fast.
        let burst: Vec<_> = (0..20)
            .map(|i| tokio::spawn(timed(submit(&format!("during-{rounds}-{i}")))))
            .collect();
        for b in burst {
            let (s, body, took) = b.await.unwrap();
            assert_eq!(s, 503, "submission during the outage: {body}");
            assert_eq!(body["error"]["code"], "unavailable", "{body}");
            assert!(body["error"]["message"].is_string(), "{body}");
            assert!(took < fast, "a submission took {took:?} to fail");
            slowest = slowest.max(took);
        }
        for path in ["/api/v1/surveys", "/api/v1/responses"] {
            let (s, body, took) = timed(client.get(app.url(path)).bearer_auth(&admin.token)).await;
            assert_eq!(
                (s, &body["error"]["code"]),
                (503, &json!("unavailable")),
                "{path}: {body}"
            );
            assert!(took < fast, "{path} took {took:?} to fail");
            slowest = slowest.max(took);
        }
        let (s, body, took) = timed(client.get(app.url("/readyz"))).await;
        assert_eq!(s, 503, "{body}");
        assert_eq!(body["status"], "unavailable");
        assert!(took < fast, "/readyz took {took:?}");
        let (s, _, took) = timed(client.get(app.url("/healthz"))).await;
        assert_eq!(s, 200, "liveness does not depend on the database");
        assert!(took < Duration::from_millis(500));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The database comes back: the same server serves again, without a restart.
    match mode {
        Outage::Stopped => proxy.restore().await,
        Outage::Partitioned => proxy.stall(false),
    }
    let back = Instant::now();
    loop {
        let (s, _, _) = timed(client.get(app.url("/readyz"))).await;
        if s == 200 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "not ready again after 15 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "{mode:?} for {outage:?}: {} of 20 in flight stored, the others \
         answered 503 within {slowest_in_flight:?}; {rounds} rounds of requests \
         answered 503 in at most {slowest:?} (acquire timeout {acquire:?}); ready again {:?} \
         after the database returned",
        in_flight_ok.len(),
        back.elapsed()
    );
    let (s, body, _) = timed(submit("during-1-0")).await;
    assert_eq!(
        s, 201,
        "a submission refused during the outage is stored now: {body}"
    );
    let (s, body, _) = timed(submit("before")).await;
    assert_eq!((s, body["created"].clone()), (200, json!(false)), "{body}");
    // Clients retry what was refused: each is stored once, whether or not it had been
    // committed before its connection died.
    for i in 0..20 {
        let (s, body, _) = timed(submit(&format!("in-flight-{i}"))).await;
        if in_flight_ok.contains(&i) {
            assert_eq!((s, &body["created"]), (200, &json!(false)), "{body}");
        } else {
            assert!(s == 200 || s == 201, "{s} {body}");
        }
    }
    let (s, list, _) = timed(
        client
            .get(app.url(&format!("/api/v1/responses?survey_id={survey}")))
            .bearer_auth(&admin.token),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(list["total"], 22, "every submission stored once: {list}");
}

#[test]
fn proxy_urls() {
    assert_eq!(
        via_proxy("postgres://postgres@127.0.0.1:5432/rapport_t_1", 7000),
        (
            "127.0.0.1:5432".to_string(),
            "postgres://postgres@127.0.0.1:7000/rapport_t_1".to_string()
        )
    );
    assert_eq!(
        via_proxy("postgres://u:p@db/x?sslmode=disable", 7),
        (
            "db:5432".to_string(),
            "postgres://u:p@127.0.0.1:7/x?sslmode=disable".to_string()
        )
    );
}
