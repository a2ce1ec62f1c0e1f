//! A job that runs longer than its lease is not taken over while its worker lives: the worker
//! renews the lease of the jobs in hand. (Before, a second instance could claim a webhook
//! delivery whose receiver was slow to answer and send it again, or re-run the finished head of
//! an analysis batch whose outcomes are recorded at the end.)
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::TestApp;
use rapport_domain::webhooks::WebhookSpec;
use rapport_storage::{testing, Actor};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Answers each request with 200 after `hold`; counts requests.
async fn slow_receiver(listener: TcpListener, hold: Duration, seen: Arc<AtomicUsize>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let seen = seen.clone();
        tokio::spawn(async move {
            let (rd, mut w) = stream.into_split();
            let mut rd = BufReader::new(rd);
            loop {
                let mut len = 0usize;
                let mut line = String::new();
                loop {
                    line.clear();
                    if rd.read_line(&mut line).await.unwrap_or(0) == 0 {
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
                if rd.read_exact(&mut body).await.is_err() {
                    return;
                }
                seen.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(hold).await;
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

async fn a_running_job_keeps_its_lease(db: testing::TestDb) {
    let lease = chrono::Duration::seconds(1);
    let app = TestApp::spawn_on(db, |c| c.job_lease = lease).await;
    let org = app.org("lease").await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let hold = Duration::from_millis(3500);
    tokio::spawn(slow_receiver(listener, hold, seen.clone()));
    app.store
        .create_webhook(
            Actor::system(org.id),
            &WebhookSpec {
                url: format!("http://127.0.0.1:{port}/hook"),
                description: "slow".into(),
                events: vec!["*".into()],
                active: true,
            },
            "whsec_lease",
        )
        .await
        .unwrap();
    app.store
        .emit_event(
            org.id,
            "case.updated",
            &serde_json::json!({"n": 1}),
            None,
            Utc::now(),
        )
        .await
        .unwrap();

    let started = Instant::now();
    while seen.load(Ordering::SeqCst) == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "never sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The delivery is in flight for 3.5 s, more than three leases. Another worker (here: a
    // claim made directly on the store) finds nothing to take over meanwhile.
    let sent_at = Instant::now();
    while sent_at.elapsed() < hold - Duration::from_millis(300) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let stolen = app
            .store
            .claim_job("another-instance", Utc::now(), lease)
            .await
            .unwrap();
        assert!(
            stolen.is_none(),
            "{:?} after {:.1} s: taken over from a live worker",
            stolen,
            sent_at.elapsed().as_secs_f64()
        );
    }
    let done = Instant::now();
    loop {
        let counts = app.store.job_counts().await.unwrap();
        if counts == vec![("done".to_string(), 1)] {
            break;
        }
        assert!(done.elapsed() < Duration::from_secs(10), "{counts:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.load(Ordering::SeqCst), 1, "sent once");
}

on_both!(a_running_job_keeps_its_lease);
