//! Two `rapport serve` processes (the real binary) on one PostgreSQL database, as behind a load
//! balancer: a session made on one instance is valid on the other (and ends on both at logout),
//! responses sent to both are stored once each, every background job — analysis and alert
//! rules, invitation e-mails, case e-mails, webhook deliveries — runs exactly once although
//! both instances run workers, and when one instance is killed mid-delivery the other takes
//! its jobs over once their lease runs out. The commands are those of docs/deploy.md
//! ("Several instances on PostgreSQL").
//!
//! PostgreSQL only (SQLite is one file on one machine): skipped with a note when
//! `RAPPORT_TEST_DATABASE_URL` is unset.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rapport_domain::model::{NewOrganisation, NewUser};
use rapport_domain::{Email, Locale, Name, Role};
use rapport_server::auth::{password, secrets};
use rapport_storage::{testing, Actor};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const ADMIN: &str = "owner@multi.test";
const PASSWORD: &str = "multi instance password";
const OWNER_NAME: &str = "Dana Multi-Instance";
/// Short, so a killed instance's jobs come back within the test; the production default is
/// 120 s.
const LEASE_SECS: &str = "2";

// ---------------------------------------------------------------- the webhook receiver

/// One request the receiver read: its delivery id and whether its signature was valid.
#[derive(Debug, Clone)]
struct Hit {
    delivery: String,
    event: String,
    body: Value,
    signed: bool,
}

#[derive(Default)]
struct Receiver {
    hits: Mutex<Vec<Hit>>,
    /// Requests read but not yet answered.
    in_flight: AtomicUsize,
    /// Delivery ids being answered right now.
    answering: Mutex<BTreeSet<String>>,
    /// How long each answer takes, in milliseconds.
    delay_ms: AtomicU64,
    /// The endpoint's signing secret, once known.
    secret: Mutex<String>,
}

impl Receiver {
    /// Delivery id → times received.
    fn counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for h in self.hits.lock().unwrap().iter() {
            *out.entry(h.delivery.clone()).or_default() += 1;
        }
        out
    }
}

/// HMAC-SHA256, written out here so the check does not use the code under test.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// `Rapport-Signature: t=<unix>,v1=<hex HMAC(secret, "<t>.<body>")>`.
fn signature_ok(secret: &str, header: &str, body: &[u8]) -> bool {
    let (mut t, mut v1) = (None, None);
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = Some(x),
            Some(("v1", x)) => v1 = Some(x),
            _ => return false,
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut msg = format!("{t}.").into_bytes();
    msg.extend_from_slice(body);
    hex::encode(hmac_sha256(secret.as_bytes(), &msg)) == v1
}

/// A minimal HTTP/1.1 receiver on a real socket: reads each request, records it, waits
/// `delay_ms`, answers 200.
async fn receive(listener: TcpListener, r: Arc<Receiver>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let r = r.clone();
        tokio::spawn(async move {
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
                let delivery = h("rapport-delivery");
                let secret = r.secret.lock().unwrap().clone();
                r.hits.lock().unwrap().push(Hit {
                    delivery: delivery.clone(),
                    event: h("rapport-event"),
                    body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                    signed: signature_ok(&secret, &h("rapport-signature"), &body),
                });
                r.in_flight.fetch_add(1, Ordering::SeqCst);
                r.answering.lock().unwrap().insert(delivery.clone());
                let delay = r.delay_ms.load(Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(delay)).await;
                r.answering.lock().unwrap().remove(&delivery);
                r.in_flight.fetch_sub(1, Ordering::SeqCst);
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

// ---------------------------------------------------------------- the SMTP sink

/// The server tests' sink: records each message with its recipients as it arrived on the wire.
#[path = "../../rapport-server/tests/common/smtp.rs"]
#[allow(dead_code)] // helpers of the server tests this test does not need
mod smtp;

// ---------------------------------------------------------------- the instances

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `rapport serve` process; killed (SIGKILL) when dropped.
struct Instance {
    name: &'static str,
    base: String,
    child: Child,
    log: PathBuf,
}

impl Instance {
    /// `rapport serve` with the settings every instance shares (docs/deploy.md) and its own
    /// address.
    fn start(name: &'static str, db: &str, smtp_port: u16, dir: &std::path::Path) -> Self {
        let port = free_port();
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_rapport"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("RAPPORT_DATABASE_URL", db)
            .env("RAPPORT_PUBLIC_URL", "https://rapport.example")
            .env("RAPPORT_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
            .env("RAPPORT_MAIL_FROM", "Rapport <rapport@multi.test>")
            .env("RAPPORT_JOB_LEASE_SECS", LEASE_SECS)
            .env("RAPPORT_WEBHOOK_RETRY_BASE_MS", "200")
            .env("RAPPORT_WEBHOOK_RETRY_MAX_SECS", "2")
            .env("RAPPORT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start rapport serve");
        Self {
            name,
            base: format!("http://127.0.0.1:{port}"),
            child,
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn wait_ready(&mut self, http: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "instance {} exited with {status}:\n{}",
                    self.name,
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            let ready = http.get(self.url("/readyz")).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("instance {} not ready after 90 s", self.name);
    }

    /// An API call with the bearer token: status and JSON body.
    async fn api(
        &self,
        http: &reqwest::Client,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = http.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn post(&self, http: &reqwest::Client, token: &str, path: &str, body: Value) -> Value {
        let (status, json) = self
            .api(http, token, reqwest::Method::POST, path, Some(body))
            .await;
        assert!(
            (200..300).contains(&status),
            "{} {path}: {status} {json}",
            self.name
        );
        json
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            eprintln!("-- instance {} log (last lines):", self.name);
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

/// Polls `done` every 100 ms; fails the test after `secs`.
async fn eventually<F, Fut>(what: &str, secs: u64, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn count(db: &mut sqlx::PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(db)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Jobs that are due or running: the queue is drained when this is 0 (reminders wait days).
const OPEN_JOBS: &str =
    "SELECT COUNT(*) FROM jobs WHERE state = 'running' OR (state = 'queued' AND run_at <= now())";

fn cookie_value(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

// ---------------------------------------------------------------- the test

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_postgres_database() {
    let Some(db) = testing::postgres().await else {
        eprintln!(
            "skipping the multi-instance test: it needs PostgreSQL ({})",
            testing::PG_ENV
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    let (smtp_port, inbox) = smtp::spawn_sink().await;
    let hooks = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_port = hooks.local_addr().unwrap().port();
    let receiver = Arc::new(Receiver::default());
    tokio::spawn(receive(hooks, receiver.clone()));

    // Both start at once on an empty database: migrations run once (PostgreSQL's advisory
    // lock), the second instance waits for the first.
    let mut a = Instance::start("A", &db.url, smtp_port, dir.path());
    let mut b = Instance::start("B", &db.url, smtp_port, dir.path());
    a.wait_ready(&http).await;
    b.wait_ready(&http).await;

    // An organisation, its admin (who owns the touchpoint and gets its cases) and an API token.
    let store = rapport_storage::connect(&db.url).await.unwrap();
    let org = store
        .create_organisation(&NewOrganisation {
            name: Name::parse("n", "Multi").unwrap(),
            slug: "multi".into(),
            default_locale: Locale::En,
        })
        .await
        .unwrap();
    let admin = store
        .create_user(
            Actor::system(org.id),
            &NewUser {
                email: Email::parse("e", ADMIN).unwrap(),
                display_name: Name::parse("n", OWNER_NAME).unwrap(),
                role: Role::Admin,
                team_id: None,
                locale: Locale::En,
                password_hash: Some(password::hash(PASSWORD).unwrap()),
            },
        )
        .await
        .unwrap();
    let (token, prefix, hash) = secrets::new_api_token();
    store
        .create_api_token(
            Actor::system(org.id),
            admin.id,
            &Name::parse("n", "multi").unwrap(),
            &prefix,
            &hash,
        )
        .await
        .unwrap();
    let t = token.as_str();

    // ---- 1. A session made on A is valid on B; logging out on B ends it on A.
    let login = http.get(a.url("/login")).send().await.unwrap();
    let login_csrf_cookie = cookie_value(&login, "rapport_login_csrf").expect("login csrf cookie");
    let form_csrf = csrf_of(&login.text().await.unwrap());
    let resp = http
        .post(a.url("/login"))
        .header("cookie", format!("rapport_login_csrf={login_csrf_cookie}"))
        .form(&[
            ("csrf", form_csrf.as_str()),
            ("email", ADMIN),
            ("password", PASSWORD),
            ("next", "/settings"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303, "signed in on A");
    let session = cookie_value(&resp, "rapport_session").expect("a session cookie from A");
    let cookie = format!("rapport_session={session}");
    let page = |inst: &Instance| {
        http.get(inst.url("/settings"))
            .header("cookie", cookie.clone())
            .send()
    };
    let on_b = page(&b).await.unwrap();
    assert_eq!(on_b.status().as_u16(), 200, "A's session is valid on B");
    let html = on_b.text().await.unwrap();
    assert!(html.contains(OWNER_NAME), "B knows who is signed in");
    let csrf = csrf_of(&html);
    assert_eq!(page(&a).await.unwrap().status().as_u16(), 200);
    let out = http
        .post(b.url("/logout"))
        .header("cookie", cookie.clone())
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 303, "signed out on B");
    for inst in [&a, &b] {
        let after = page(inst).await.unwrap();
        assert_eq!(
            after.status().as_u16(),
            303,
            "{}: the session is over",
            inst.name
        );
        let to = after.headers()["location"].to_str().unwrap();
        assert!(to.starts_with("/login"), "{}: {to}", inst.name);
    }

    // ---- 2. Set-up through both instances: a journey, a survey, the default alert rules
    //         (a detractor opens a case and e-mails its owner), a webhook endpoint.
    let journey = a
        .post(
            &http,
            t,
            "/api/v1/journeys",
            json!({"name": "Claims", "locale": "en"}),
        )
        .await;
    let stage = journey["stages"][0]["id"].as_i64().unwrap();
    let tp = b
        .post(
            &http,
            t,
            "/api/v1/touchpoints",
            json!({"stage_id": stage, "name": "Claims line", "channel": "phone", "owner_id": admin.id.0}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let survey = a
        .post(
            &http,
            t,
            "/api/v1/surveys",
            json!({"touchpoint_id": tp, "name": "After the call"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    b.post(
        &http,
        t,
        &format!("/api/v1/surveys/{survey}/publish"),
        json!({}),
    )
    .await;
    for rule in rapport_domain::alerts::default_rules() {
        a.post(&http, t, "/api/v1/alert-rules", json!(rule)).await;
    }
    let hook = b
        .post(
            &http,
            t,
            "/api/v1/webhooks",
            json!({"url": format!("http://127.0.0.1:{hook_port}/hook"),
                   "description": "CRM", "events": ["response.created", "case.created"]}),
        )
        .await;
    *receiver.secret.lock().unwrap() = hook["secret"].as_str().unwrap().to_string();

    // ---- 3. A burst of responses, half to each instance; every fifth one is sent again to
    //         the other instance with the same Idempotency-Key (a client retrying through the
    //         load balancer).
    const RESPONSES: usize = 120;
    let mut ids = BTreeMap::new();
    let mut detractors = 0;
    let mut sends = vec![];
    for i in 0..RESPONSES {
        let nps = (i % 11) as i64;
        detractors += usize::from(nps <= 6);
        let mut answers = json!({"nps": nps});
        if i % 4 == 0 {
            let key = if nps >= 9 { "why_high" } else { "why_low" };
            answers[key] = json!(format!(
                "Call number {i}: the adjuster was slow to call back."
            ));
        }
        let (first, second) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let send = |inst: &Instance| {
            http.post(inst.url(&format!("/api/v1/surveys/{survey}/responses")))
                .bearer_auth(t)
                .header("Idempotency-Key", format!("multi-{i:04}"))
                .json(&json!({"answers": answers}))
                .send()
        };
        sends.push((i, 201, send(first)));
        if i % 5 == 0 {
            sends.push((i, 0, send(second)));
        }
    }
    // Sent concurrently; a retry may arrive before or after the first request.
    let answered = futures_join(sends.into_iter().map(|(i, want, f)| async move {
        let r = f.await.unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        (i, want, status, body)
    }))
    .await;
    let mut created = 0;
    for (i, want, status, body) in answered {
        assert!(
            status == 201 || status == 200,
            "response {i} (first: {}): {status} {body}",
            want == 201
        );
        let id = body["id"].as_i64().unwrap();
        created += usize::from(status == 201);
        if want == 201 {
            ids.insert(i, id);
        }
        assert_eq!(
            ids.get(&i).copied().unwrap_or(id),
            id,
            "response {i}: one id on both instances"
        );
    }
    assert_eq!(
        created, RESPONSES,
        "one 201 per response; repeats answered 200"
    );

    // ---- 4. Invitation e-mails, asked for on both instances.
    const INVITED: usize = 12;
    for n in 0..INVITED {
        let inst = if n % 2 == 0 { &a } else { &b };
        let customer = inst
            .post(
                &http,
                t,
                "/api/v1/customers",
                json!({"external_id": format!("C-{n}"), "name": format!("Customer {n}"), "locale": "en",
                       "email": format!("customer{n}@multi.test"), "consent": {"email": true}}),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        inst.post(
            &http,
            t,
            &format!("/api/v1/surveys/{survey}/invitations"),
            json!({"customer_id": customer, "send_email": true}),
        )
        .await;
    }

    // ---- 5. Both workers drain the queue; each job ran once.
    let mut pg = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let cases = detractors as i64;
    let deliveries = RESPONSES + detractors;
    eventually("the queue to drain", 120, || {
        let r = receiver.clone();
        let url = db.url.clone();
        async move {
            let mut pg = sqlx::PgConnection::connect(&url).await.unwrap();
            count(&mut pg, OPEN_JOBS).await == 0
                && count(&mut pg, "SELECT COUNT(*) FROM cases").await == cases
                && r.counts().len() == deliveries
        }
    })
    .await;
    assert_eq!(
        count(&mut pg, "SELECT COUNT(*) FROM responses").await,
        RESPONSES as i64
    );
    assert_eq!(
        count(
            &mut pg,
            "SELECT COUNT(DISTINCT idempotency_key) FROM responses"
        )
        .await,
        RESPONSES as i64
    );
    assert_eq!(
        count(
            &mut pg,
            "SELECT COUNT(*) FROM responses WHERE comment IS NOT NULL AND analysed_at IS NULL"
        )
        .await,
        0,
        "every comment analysed"
    );
    assert_eq!(
        count(&mut pg, "SELECT COUNT(DISTINCT response_id) FROM cases").await,
        cases,
        "one case per detractor"
    );
    // Each job was claimed once (a second claim would count a second attempt) and finished.
    let jobs: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT kind, COUNT(*), MAX(attempts)::BIGINT, COUNT(*) FILTER (WHERE state <> 'done') \
         FROM jobs WHERE run_at <= now() GROUP BY kind ORDER BY kind",
    )
    .fetch_all(&mut pg)
    .await
    .unwrap();
    let by_kind: BTreeMap<&str, (i64, i64, i64)> = jobs
        .iter()
        .map(|(k, n, max, open)| (k.as_str(), (*n, *max, *open)))
        .collect();
    assert_eq!(by_kind["analyze_response"].0, RESPONSES as i64, "{jobs:?}");
    assert_eq!(by_kind["deliver_webhook"].0, deliveries as i64, "{jobs:?}");
    assert_eq!(by_kind["send_invitation"].0, INVITED as i64, "{jobs:?}");
    assert_eq!(by_kind["notify_case"].0, cases, "{jobs:?}");
    for (kind, (_, max_attempts, not_done)) in &by_kind {
        assert_eq!(*max_attempts, 1, "{kind}: claimed once each: {jobs:?}");
        assert_eq!(*not_done, 0, "{kind}: all done: {jobs:?}");
    }
    let workers = count(
        &mut pg,
        "SELECT COUNT(DISTINCT locked_by) FROM jobs WHERE state = 'done'",
    )
    .await;
    assert_eq!(workers, 2, "both instances' workers took jobs");

    // Webhooks: every event arrived once, signed.
    let counts = receiver.counts();
    assert_eq!(counts.len(), deliveries);
    assert!(
        counts.values().all(|n| *n == 1),
        "one request per delivery: {counts:?}"
    );
    let hits = receiver.hits.lock().unwrap().clone();
    assert!(
        hits.iter().all(|h| h.signed),
        "every request signed with the endpoint's secret"
    );
    let responses_heard: BTreeSet<i64> = hits
        .iter()
        .filter(|h| h.event == "response.created")
        .map(|h| h.body["data"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(responses_heard, ids.values().copied().collect());

    // E-mails: each invited customer got one invitation, the owner one e-mail per case.
    let mail = inbox.lock().unwrap().clone();
    for n in 0..INVITED {
        let to = format!("customer{n}@multi.test");
        let got: Vec<_> = mail.iter().filter(|m| m.to.contains(&to)).collect();
        assert_eq!(got.len(), 1, "{to}: {} e-mails", got.len());
        assert!(
            got[0].text().contains("/i/"),
            "{to}: no personal link in {}",
            got[0].text()
        );
    }
    let case_mails = mail
        .iter()
        .filter(|m| m.to.iter().any(|r| r == ADMIN))
        .count();
    assert_eq!(case_mails as i64, cases, "one e-mail per case to its owner");

    // ---- 6. kill -9 of instance A in the middle of deliveries: B takes A's job over when the
    //         lease runs out. Each answer takes longer than a lease, so the leases of running
    //         jobs must be renewed (else B would take over jobs A is still running).
    receiver.delay_ms.store(2500, Ordering::SeqCst);
    const MORE: usize = 6;
    for i in 0..MORE {
        let inst = if i % 2 == 0 { &a } else { &b };
        inst.post(
            &http,
            t,
            &format!("/api/v1/surveys/{survey}/responses"),
            json!({"answers": {"nps": 10}}),
        )
        .await;
    }
    eventually("both workers delivering at once", 60, || {
        let r = receiver.clone();
        async move { r.in_flight.load(Ordering::SeqCst) >= 2 }
    })
    .await;
    let in_flight_at_kill = receiver.answering.lock().unwrap().clone();
    let a_pid = a.child.id();
    a.child.kill().unwrap(); // SIGKILL: no shutdown code runs
    a.child.wait().unwrap();
    let killed_at = Instant::now();
    eventually("every delivery after the kill", 90, || {
        let r = receiver.clone();
        let url = db.url.clone();
        async move {
            let mut pg = sqlx::PgConnection::connect(&url).await.unwrap();
            r.counts().len() == deliveries + MORE && count(&mut pg, OPEN_JOBS).await == 0
        }
    })
    .await;
    let recovered = killed_at.elapsed();
    let counts = receiver.counts();
    let repeated: BTreeSet<&String> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    // Only the delivery A was sending when it died is sent again, under its own id.
    assert!(repeated.len() <= 1, "repeats: {repeated:?}");
    assert!(
        repeated.iter().all(|id| in_flight_at_kill.contains(*id)),
        "repeats {repeated:?} were in flight at the kill ({in_flight_at_kill:?})"
    );
    assert!(counts.values().all(|n| *n <= 2));
    assert!(receiver.hits.lock().unwrap().iter().all(|h| h.signed));
    // A's claimed jobs were taken over by B (a second attempt), and none is left running.
    let taken_over = count(
        &mut pg,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'deliver_webhook' AND attempts = 2 AND state = 'done'",
    )
    .await;
    assert_eq!(taken_over, 1, "A's delivery in flight was taken over");
    let a_jobs = count(
        &mut pg,
        &format!(
            "SELECT COUNT(*) FROM jobs WHERE state = 'running' AND locked_by LIKE '{a_pid}-%'"
        ),
    )
    .await;
    assert_eq!(a_jobs, 0);
    assert_eq!(
        count(
            &mut pg,
            "SELECT COUNT(*) FROM webhook_deliveries WHERE state <> 'delivered'"
        )
        .await,
        0
    );
    eprintln!(
        "multi-instance: {} deliveries, {} e-mails; after kill -9 of A the rest was delivered by B in {:.1} s (lease {LEASE_SECS} s)",
        counts.len(),
        mail.len(),
        recovered.as_secs_f64()
    );
    drop(b);
    pg.close().await.unwrap();
    store.close().await;
}

/// Runs futures concurrently and collects their outputs in order.
async fn futures_join<F>(fs: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
