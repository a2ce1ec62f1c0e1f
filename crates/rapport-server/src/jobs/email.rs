//! E-mail delivery of survey invitations and reminders over SMTP.

use rapport_storage::Job;

use super::JobError;
use crate::state::AppState;

/// Sends one invitation e-mail (being built: issue 4, e-mail delivery).
pub async fn send_invitation(_state: &AppState, _job: &Job) -> Result<(), JobError> {
    Err(JobError::Retry(
        "e-mail delivery is not configured yet".into(),
    ))
}
