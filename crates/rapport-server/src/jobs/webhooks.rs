//! Sends one queued webhook delivery: a signed JSON POST, retried with exponential back-off
//! until the delivery's give-up time, then left on the dead-letter list for manual redelivery.
//!
//! Receivers verify `Rapport-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
//! and de-duplicate on `Rapport-Delivery`, which stays the same across retries and redeliveries.

use std::sync::OnceLock;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use rapport_domain::webhooks::{Delivery, DeliveryAttempt, DeliveryState};
use rapport_storage::Job;
use sha2::Sha256;

use super::JobError;
use crate::state::AppState;

pub const JOB_DELIVER_WEBHOOK: &str = "deliver_webhook";

/// How long a receiver has to answer one attempt.
const TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// How much of a receiver's error answer is kept in the delivery log.
const ERROR_SNIPPET_CHARS: usize = 300;

/// One client for every delivery, so connections and TLS sessions are reused.
fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(StdDuration::from_secs(5))
            // A redirect could carry the signed body somewhere the administrator never named.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Rapport-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the webhook HTTP client builds with static settings")
    })
}

/// The request body: the same bytes are signed and sent.
pub fn body(d: &Delivery) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": d.delivery_id,
        "event": d.event,
        "created_at": d.created_at,
        "data": d.payload,
    }))
    .expect("JSON values always serialise")
}

/// The `Rapport-Signature` header value for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Wait before the next attempt: `base`, then twice as long each time, at most `max` (an hour
/// by default: `Config::webhook_retry_max`).
pub fn retry_delay(base: Duration, max: Duration, attempts: i32) -> Duration {
    let factor = 2i32.saturating_pow(attempts.clamp(1, 31) as u32 - 1);
    base.checked_mul(factor).unwrap_or(Duration::MAX).min(max)
}

/// What happened to one attempt.
enum Outcome {
    Delivered,
    Failed(String),
}

#[tracing::instrument(skip_all, fields(delivery))]
pub async fn deliver(state: &AppState, job: &Job) -> Result<(), JobError> {
    let id = job
        .payload
        .get("delivery")
        .and_then(|v| v.as_i64())
        .ok_or_else(|| JobError::Permanent("job payload names no delivery".into()))?;
    tracing::Span::current().record("delivery", id);
    // A deleted endpoint takes its deliveries with it: NotFound is a permanent failure.
    let to_send = state.store.delivery_to_send(id).await?;
    let d = &to_send.delivery;
    if d.state != DeliveryState::Pending {
        // A job left over from before a redelivery, or run again after its lease expired.
        tracing::info!(state = d.state.as_str(), "delivery already settled");
        return Ok(());
    }
    if !to_send.webhook_active {
        let attempt = DeliveryAttempt {
            at: Utc::now(),
            status: None,
            error: Some("the endpoint is deactivated".into()),
            duration_ms: 0,
        };
        state
            .store
            .record_delivery_attempt(id, &attempt, DeliveryState::Dead)
            .await?;
        return Err(JobError::Permanent(
            "webhook endpoint is deactivated".into(),
        ));
    }

    let body = body(d);
    let started = Instant::now();
    let at = Utc::now();
    let sent = client()
        .post(&to_send.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Rapport-Delivery", &d.delivery_id)
        .header("Rapport-Event", &d.event)
        .header(
            "Rapport-Signature",
            signature(&to_send.secret, at.timestamp(), &body),
        )
        .body(body)
        .send()
        .await;
    let (status, outcome) = match sent {
        Ok(resp) if resp.status().is_success() => {
            (Some(resp.status().as_u16()), Outcome::Delivered)
        }
        Ok(resp) => {
            let code = resp.status();
            let text = resp.text().await.unwrap_or_default();
            let snippet: String = text.trim().chars().take(ERROR_SNIPPET_CHARS).collect();
            let message = if snippet.is_empty() {
                format!("HTTP {code}")
            } else {
                format!("HTTP {code}: {snippet}")
            };
            (Some(code.as_u16()), Outcome::Failed(message))
        }
        Err(e) => (None, Outcome::Failed(describe(&e))),
    };
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);

    let now = Utc::now();
    let (new_state, error, result) = match outcome {
        Outcome::Delivered => (DeliveryState::Delivered, None, Ok(())),
        Outcome::Failed(message) => {
            let next = now
                + retry_delay(
                    state.config.webhook_retry_base,
                    state.config.webhook_retry_max,
                    job.attempts,
                );
            if now >= d.give_up_at || job.attempts >= job.max_attempts {
                let result = Err(JobError::Permanent(format!(
                    "{message}; gave up, the delivery is on the dead-letter list"
                )));
                (DeliveryState::Dead, Some(message), result)
            } else {
                // One last attempt exactly at the deadline rather than none after it.
                let retry_at = next.min(d.give_up_at);
                let result = Err(JobError::RetryAt(message.clone(), retry_at));
                (DeliveryState::Pending, Some(message), result)
            }
        }
    };
    let attempt = DeliveryAttempt {
        at,
        status: status.map(i32::from),
        error,
        duration_ms,
    };
    state
        .store
        .record_delivery_attempt(id, &attempt, new_state)
        .await?;
    tracing::info!(
        status = ?status,
        state = new_state.as_str(),
        duration_ms,
        "webhook attempt"
    );
    result
}

/// A transport error with its causes ("connection refused"), without the URL, which may hold
/// credentials in its query.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "could not connect".to_string()
    } else if e.is_redirect() {
        "redirects are not followed".to_string()
    } else {
        "request failed".to_string()
    };
    let mut causes = vec![];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = s.source();
    }
    if causes.is_empty() {
        what
    } else {
        format!("{what}: {}", causes.join(": "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_the_maximum() {
        let base = Duration::milliseconds(100);
        let hour = Duration::hours(1);
        assert_eq!(retry_delay(base, hour, 1), Duration::milliseconds(100));
        assert_eq!(retry_delay(base, hour, 2), Duration::milliseconds(200));
        assert_eq!(retry_delay(base, hour, 4), Duration::milliseconds(800));
        assert_eq!(retry_delay(Duration::seconds(2), hour, 30), hour);
        assert_eq!(retry_delay(Duration::seconds(2), hour, i32::MAX), hour);
        assert_eq!(
            retry_delay(Duration::seconds(2), hour, 0),
            Duration::seconds(2)
        );
        let max = Duration::seconds(2);
        assert_eq!(retry_delay(base, max, 5), Duration::milliseconds(1600));
        assert_eq!(retry_delay(base, max, 6), max);
    }

    #[test]
    fn signature_is_hmac_of_timestamp_dot_body() {
        // Independently computed: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        let sig = signature("whsec_test", 1_700_000_000, br#"{"a":1}"#);
        assert_eq!(
            sig,
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }
}
