//! The background worker: takes jobs from the durable queue in the database, runs them, and
//! retries failures with exponential back-off. Several Rapport instances can run workers on one
//! PostgreSQL database; the queue hands each job to one of them.

mod alerts;
mod analysis;
pub mod cases;
pub mod email;
pub mod webhooks;

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use rapport_storage::Job;
use tokio::sync::watch;
use tracing::Instrument;

use crate::state::AppState;

pub const JOB_ANALYZE_RESPONSE: &str = "analyze_response";
pub const JOB_SEND_INVITATION: &str = "send_invitation";

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (e.g. the SMTP server or database is down).
    #[error("{0}")]
    Retry(String),
    /// Worth trying again, at a time the job chose (e.g. a webhook's own back-off).
    #[error("{0}")]
    RetryAt(String, DateTime<Utc>),
    /// Will never succeed (e.g. the record is gone); recorded as failed.
    #[error("{0}")]
    Permanent(String),
}

impl From<rapport_storage::StorageError> for JobError {
    fn from(e: rapport_storage::StorageError) -> Self {
        match e {
            rapport_storage::StorageError::NotFound { entity } => {
                JobError::Permanent(format!("{entity} no longer exists"))
            }
            other => JobError::Retry(other.to_string()),
        }
    }
}

/// What the alert rules see of a response (for seeders that open cases themselves).
pub fn alerts_facts(r: &rapport_domain::voc::Response) -> rapport_domain::alerts::ResponseFacts {
    alerts::facts(r)
}

/// Wakes an idle worker now instead of at its next poll.
pub fn notify_worker(s: &AppState) {
    s.wake.notify_one();
}

/// Back-off before attempt `n + 1`: 2, 4, 8 … seconds, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    Duration::seconds(2i64.saturating_pow(attempts.clamp(1, 12) as u32).min(3600))
}

async fn run(state: &AppState, job: &Job) -> Result<(), JobError> {
    match job.kind.as_str() {
        JOB_ANALYZE_RESPONSE => analysis::analyze_response(state, job).await,
        webhooks::JOB_DELIVER_WEBHOOK => webhooks::deliver(state, job).await,
        JOB_SEND_INVITATION => email::send_invitation(state, job).await,
        crate::auth::password_reset::JOB_SEND_PASSWORD_RESET => {
            crate::auth::password_reset::send(state, job).await
        }
        email::JOB_SEND_REMINDER => email::send_reminder(state, job).await,
        alerts::JOB_NOTIFY_CASE => cases::notify_case(state, job).await,
        cases::JOB_CASE_FOLLOWUP => cases::case_followup(state, job).await,
        crate::frontline::JOB_ANALYZE_CONVERSATION => analyze_conversation(state, job).await,
        crate::ambassadorship::JOB_PULSE_INVITATION => send_pulse_invitation(state, job).await,
        other => Err(JobError::Permanent(format!("unknown job kind {other:?}"))),
    }
}

/// E-mails one pulse invitation, unless it was answered or the pulse closed meanwhile.
async fn send_pulse_invitation(state: &AppState, job: &Job) -> Result<(), JobError> {
    let org = job
        .org_id
        .ok_or_else(|| JobError::Permanent("pulse job without organisation".into()))?;
    let token = job.payload["token"]
        .as_str()
        .ok_or_else(|| JobError::Permanent("payload lacks token".into()))?;
    let Some(ticket) = state
        .store
        .pulse_ticket(&crate::auth::secrets::sha256_hex(token))
        .await?
    else {
        return Ok(());
    };
    if ticket.org_id != org || ticket.pulse.status != "open" {
        return Ok(());
    }
    let user = state.store.get_user(org, ticket.user_id).await?;
    let link = format!("{}/pulse/{token}", email::public_base(state));
    cases::send_with(state, &user, "pulse", &[], &ticket.pulse.title, &link).await?;
    if let Some(id) = job.payload["invitation"].as_i64() {
        state.store.mark_pulse_invitation_sent(id).await?;
    }
    Ok(())
}

/// Analyses a stored conversation and scores it against the organisation's rubric.
async fn analyze_conversation(state: &AppState, job: &Job) -> Result<(), JobError> {
    let org = job
        .org_id
        .ok_or_else(|| JobError::Permanent("conversation job without organisation".into()))?;
    let id = job.payload["conversation"]
        .as_i64()
        .ok_or_else(|| JobError::Permanent("payload lacks conversation".into()))?;
    crate::frontline::analyse_stored(state, org, rapport_domain::ConversationId(id)).await?;
    crate::semantic::embed_conversation(state, org, rapport_domain::ConversationId(id)).await?;
    Ok(())
}

/// How often each worker escalates breached cases and sends due follow-up surveys.
const SWEEP_EVERY: StdDuration = StdDuration::from_secs(30);

/// Most analysis jobs one worker claims, runs and completes as one batch.
const BATCH: i64 = 64;

/// Runs claimed jobs one after another and records their outcomes: the successes in one
/// transaction at the end, failures one by one. Once `shutdown` turns true, jobs not yet
/// started go back to the queue, and the running one gets `shutdown_grace` to finish before it
/// is stopped and handed back too (it runs again in full later: jobs are at-least-once). The
/// leases of the jobs in hand are renewed meanwhile.
async fn finish(
    state: &AppState,
    worker_id: &str,
    jobs: &[Job],
    shutdown: &mut watch::Receiver<bool>,
) {
    let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
    tokio::select! {
        () = run_all(state, worker_id, jobs, shutdown) => {}
        () = keep_leases(state, worker_id, &ids) => {}
    }
}

/// Renews the lease of the jobs in hand every third of a lease for as long as this worker runs
/// them: the lease only has to outlast a dead worker, never the longest job (a batch of
/// analyses, or a webhook receiver slow to answer, may take longer than a short lease).
async fn keep_leases(state: &AppState, worker_id: &str, ids: &[i64]) {
    let lease = state.config.job_lease;
    let every = (lease / 3)
        .to_std()
        .unwrap_or(StdDuration::from_secs(1))
        .max(StdDuration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = state
            .store
            .renew_jobs(worker_id, ids, Utc::now() + lease)
            .await
        {
            // Another worker may take the jobs over when the lease runs out: at-least-once.
            tracing::warn!(error = %e, jobs = ids.len(), "could not renew job leases");
        }
    }
}

async fn run_all(
    state: &AppState,
    worker_id: &str,
    jobs: &[Job],
    shutdown: &mut watch::Receiver<bool>,
) {
    let mut done = Vec::with_capacity(jobs.len());
    let grace = state.config.shutdown_grace;
    for (k, job) in jobs.iter().enumerate() {
        if *shutdown.borrow() {
            release(state, worker_id, &jobs[k..]).await;
            break;
        }
        // `instrument`, not `span.enter()`: a guard held across `.await` corrupts the span
        // stack of whichever task the runtime polls next.
        let span =
            tracing::info_span!("job", id = job.id, kind = %job.kind, attempt = job.attempts);
        let stopping = async {
            if shutdown.wait_for(|stop| *stop).await.is_err() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(grace).await;
        };
        let outcome = tokio::select! {
            outcome = run(state, job).instrument(span) => outcome,
            () = stopping => {
                tracing::warn!(job = job.id, kind = %job.kind, "job still running at the end of the shutdown grace; handing it back");
                release(state, worker_id, &jobs[k..]).await;
                break;
            }
        };
        let recorded = match &outcome {
            Ok(()) => {
                done.push(job.id);
                Ok(())
            }
            Err(JobError::Retry(e)) => {
                tracing::warn!(job = job.id, error = %e, "job failed; will retry");
                state
                    .store
                    .fail_job(job.id, e, Some(Utc::now() + backoff(job.attempts)))
                    .await
            }
            Err(JobError::RetryAt(e, at)) => {
                tracing::warn!(job = job.id, error = %e, retry_at = %at, "job failed; will retry");
                state.store.fail_job(job.id, e, Some(*at)).await
            }
            Err(JobError::Permanent(e)) => {
                tracing::error!(job = job.id, error = %e, "job failed permanently");
                state.store.fail_job(job.id, e, None).await
            }
        };
        if let Err(e) = recorded {
            // The lease will expire and the job will run again: at-least-once.
            tracing::warn!(error = %e, "could not record job outcome");
        }
    }
    if let Err(e) = state.store.complete_jobs(&done, Utc::now()).await {
        tracing::warn!(error = %e, jobs = done.len(), "could not record job outcomes");
    }
}

/// Hands claimed jobs back to the queue so another worker can take them now rather than when
/// this worker's lease runs out.
async fn release(state: &AppState, worker_id: &str, jobs: &[Job]) {
    let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
    match state.store.release_jobs(worker_id, &ids, Utc::now()).await {
        Ok(()) => tracing::info!(jobs = ids.len(), "shutting down: claimed jobs handed back"),
        // They come back when the lease runs out.
        Err(e) => tracing::warn!(error = %e, jobs = ids.len(), "could not hand jobs back"),
    }
}

/// Runs jobs until `shutdown` turns true; see [`finish`] for the jobs in hand then. Jobs are taken
/// oldest first; when the oldest is an analysis, up to `BATCH` analyses are taken with it, so
/// a burst of responses costs two queue writes per batch rather than two per response.
pub async fn run_worker(state: AppState, worker_id: String, mut shutdown: watch::Receiver<bool>) {
    tracing::info!(worker_id, "worker started");
    let mut last_sweep: Option<std::time::Instant> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        if last_sweep.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
            last_sweep = Some(std::time::Instant::now());
            if let Err(e) = cases::sweep(&state)
                .instrument(tracing::info_span!("sweep"))
                .await
            {
                tracing::warn!(error = %e, "case sweep failed; will try again");
            }
        }
        let lease = state.config.job_lease;
        match state.store.claim_job(&worker_id, Utc::now(), lease).await {
            Ok(Some(job)) => {
                let mut jobs = vec![job];
                if jobs[0].kind == JOB_ANALYZE_RESPONSE {
                    match state
                        .store
                        .claim_jobs(
                            &worker_id,
                            Utc::now(),
                            lease,
                            JOB_ANALYZE_RESPONSE,
                            BATCH - 1,
                        )
                        .await
                    {
                        Ok(more) => jobs.extend(more),
                        Err(e) => tracing::warn!(error = %e, "could not claim more jobs"),
                    }
                }
                finish(&state, &worker_id, &jobs, &mut shutdown).await;
            }
            Ok(None) => {
                tokio::select! {
                    _ = state.wake.notified() => {}
                    _ = tokio::time::sleep(StdDuration::from_secs(1)) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot reach the job queue");
                tokio::select! {
                    _ = tokio::time::sleep(StdDuration::from_secs(2)) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
    tracing::info!(worker_id, "worker stopped");
}
