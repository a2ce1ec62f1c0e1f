//! Case jobs: owner e-mails (new case, assignment, SLA breach, notify-only alerts), the "did we
//! make it right?" survey after a case is resolved, and the periodic sweep that escalates
//! breached cases and sends due follow-up surveys.

use chrono::{Duration, Timelike, Utc};
use fluent_bundle::FluentArgs;
use lettre::message::header::ContentType;
use lettre::Message;
use rapport_domain::cases::{CaseFilter, CaseState};
use rapport_domain::followups::FollowupState;
use rapport_domain::model::User;
use rapport_domain::voc::{InvitationId, ResponseId, SurveyId};
use rapport_domain::{CaseId, CustomerId, OrgId, UserId};
use rapport_storage::{Actor, Job, NewInvitation};
use serde_json::json;

use super::{email, JobError};
use crate::auth::secrets;
use crate::state::AppState;

/// Sends the follow-up survey of a resolved case.
pub const JOB_CASE_FOLLOWUP: &str = "case_followup";

fn payload_i64(job: &Job, key: &str) -> Result<i64, JobError> {
    job.payload[key]
        .as_i64()
        .ok_or_else(|| JobError::Permanent(format!("payload lacks {key}")))
}

fn org_of(job: &Job) -> Result<OrgId, JobError> {
    job.org_id
        .ok_or_else(|| JobError::Permanent("case job without organisation".into()))
}

/// E-mails the people a case concerns, in their own language.
pub async fn notify_case(state: &AppState, job: &Job) -> Result<(), JobError> {
    let org = org_of(job)?;
    let reason = job.payload["reason"].as_str().unwrap_or("new").to_string();
    let base = super::email::public_base(state);
    let (title, link, recipients) = if reason == "digest" {
        (String::new(), String::new(), vec![])
    } else if reason == "alert" {
        // A notify-only rule: tell the touchpoint owner about the response.
        let r = state
            .store
            .get_response(org, ResponseId(payload_i64(job, "response_id")?))
            .await?;
        let tp = state.store.get_touchpoint(org, r.touchpoint_id).await?;
        let title = super::alerts::facts(&r)
            .nps
            .map(|n| format!("NPS {n} · {}", tp.name))
            .unwrap_or(tp.name);
        (
            title,
            format!("{base}/responses/{}", r.id),
            vec![tp.owner_id],
        )
    } else {
        let case = state
            .store
            .get_case(org, CaseId(payload_i64(job, "case_id")?))
            .await?;
        let mut to = vec![case.owner_id];
        if reason == "breach" {
            to.push(case.escalated_to);
        }
        (case.title, format!("{base}/cases/{}", case.id), to)
    };
    if reason == "digest" {
        return digest(state, org, UserId(payload_i64(job, "user_id")?)).await;
    }
    let mut sent = 0;
    for user in recipients.into_iter().flatten() {
        let user = state.store.get_user(org, user).await?;
        if !user.active {
            continue;
        }
        send(state, &user, &reason, &title, &link).await?;
        sent += 1;
    }
    tracing::info!(reason, sent, "case notification");
    Ok(())
}

/// The morning summary for one colleague: their open cases (late ones first) and the
/// follow-up calls due today. Nothing to say, nothing sent.
async fn digest(state: &AppState, org: OrgId, user: UserId) -> Result<(), JobError> {
    let now = Utc::now();
    let user = state.store.get_user(org, user).await?;
    let filter = CaseFilter {
        owner_id: Some(user.id),
        open_only: true,
        limit: 50,
        ..Default::default()
    };
    let (cases, open) = state.store.list_cases(org, &filter).await?;
    let calls = state
        .store
        .list_followups(
            org,
            Some(user.id),
            Some(FollowupState::Scheduled),
            Some(now + Duration::days(1)),
            50,
        )
        .await?;
    if open == 0 && calls.is_empty() {
        return Ok(());
    }
    let late = cases.iter().filter(|c| c.sla(now).breached()).count();
    let base = super::email::public_base(state);
    let mut lines: Vec<String> = cases
        .iter()
        .map(|c| {
            let mark = if c.sla(now).breached() { "! " } else { "- " };
            format!("{mark}{} — {base}/cases/{}", c.title, c.id)
        })
        .collect();
    lines.sort_by_key(|l| !l.starts_with('!'));
    let list = lines.join("\n");
    let counts = [
        ("open", open),
        ("late", late as i64),
        ("calls", calls.len() as i64),
    ];
    send_with(
        state,
        &user,
        "digest",
        &counts,
        &list,
        &format!("{base}/cases"),
    )
    .await
}

async fn send(
    state: &AppState,
    user: &User,
    reason: &str,
    title: &str,
    link: &str,
) -> Result<(), JobError> {
    send_with(state, user, reason, &[], title, link).await
}

/// One plain-text e-mail to a colleague in their language: `email-case-{reason}-subject` and
/// `-body`, with `$title` (or the digest's list) and numeric arguments.
pub(crate) async fn send_with(
    state: &AppState,
    user: &User,
    reason: &str,
    numbers: &[(&str, i64)],
    title: &str,
    link: &str,
) -> Result<(), JobError> {
    let Some(smtp_url) = state.config.smtp_url.as_deref() else {
        tracing::warn!("e-mail delivery is not configured: set RAPPORT_SMTP_URL");
        return Ok(());
    };
    // Fluent arguments are not `Send`: finish with them before the first await.
    let (subject, text) = {
        let mut args = FluentArgs::new();
        args.set("title", title.to_string());
        args.set("name", user.display_name.clone());
        for (k, v) in numbers {
            args.set(*k, *v);
        }
        let t = |id: &str| state.i18n.format(user.locale, id, Some(&args));
        let text = format!(
            "{}\n\n{}\n\n{}\n{link}\n",
            t("email-case-greeting"),
            t(&format!("email-case-{reason}-body")),
            t("email-case-open")
        );
        (t(&format!("email-case-{reason}-subject")), text)
    };
    let message = Message::builder()
        .from(email::sender(state)?)
        .to(email::recipient(&user.display_name, &user.email, "user")?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(text)
        .map_err(|e| JobError::Permanent(format!("building the message: {e}")))?;
    email::smtp_send(smtp_url, message).await
}

/// Creates a personal invitation and queues its e-mail; the e-mail job re-checks consent and
/// the survey cool-down when it sends.
pub async fn invite(
    state: &AppState,
    org: OrgId,
    survey: SurveyId,
    customer: CustomerId,
    agent: Option<UserId>,
    interaction_ref: String,
) -> Result<InvitationId, JobError> {
    let token = secrets::random_hex(24);
    let invitation = state
        .store
        .create_invitation(
            Actor::system(org),
            &NewInvitation {
                survey_id: survey,
                customer_id: customer,
                agent_id: agent,
                interaction_ref: Some(interaction_ref),
                token_hash: secrets::sha256_hex(&token),
                channel: "email".into(),
                expires_at: Utc::now() + Duration::days(14),
            },
        )
        .await?;
    state
        .store
        .enqueue_job(
            Some(org),
            super::JOB_SEND_INVITATION,
            &json!({"invitation_id": invitation.id, "token": token}),
            Utc::now(),
        )
        .await?;
    Ok(invitation.id)
}

/// "Did we make it right?": the survey that first reached the customer, sent again after the
/// case is resolved; its answer becomes the case's follow-up NPS.
pub async fn case_followup(state: &AppState, job: &Job) -> Result<(), JobError> {
    let org = org_of(job)?;
    let case = state
        .store
        .get_case(org, CaseId(payload_i64(job, "case_id")?))
        .await?;
    let (Some(customer), Some(response)) = (case.customer_id, case.response_id) else {
        return Ok(()); // Nobody to ask, or no survey to ask with.
    };
    if case.state != CaseState::Resolved || case.followup_nps.is_some() {
        return Ok(());
    }
    let survey = state.store.get_response(org, response).await?.survey_id;
    let invitation = invite(
        state,
        org,
        survey,
        customer,
        case.agent_id,
        format!("case:{}", case.id),
    )
    .await?;
    state
        .store
        .set_case_followup_invitation(org, case.id, invitation)
        .await?;
    Ok(())
}

/// Escalates breached cases and sends due follow-up surveys. Every worker runs it; the store
/// hands each case and follow-up to exactly one of them.
pub async fn sweep(state: &AppState) -> Result<(), JobError> {
    sweep_at(state, Utc::now()).await
}

/// [`sweep`] as of `now` (a parameter so tests control the clock).
pub async fn sweep_at(state: &AppState, now: chrono::DateTime<Utc>) -> Result<(), JobError> {
    crate::ambassadorship::open_scheduled_pulses(state, now).await?;
    let escalated = state.store.escalate_breached_cases(now).await?;
    for case in &escalated {
        tracing::info!(case = %case.id, to = ?case.escalated_to, "SLA breach escalated");
    }
    for due in state.store.take_due_survey_followups(now, 200).await? {
        invite(
            state,
            due.org_id,
            due.survey_id,
            due.task.customer_id,
            None,
            format!("followup:{}", due.task.id),
        )
        .await?;
    }
    // Digests go out from 07:00 UTC, once a day per person, whichever worker gets there first.
    if now.hour() >= 7 {
        for (org, user) in state
            .store
            .take_digests(&now.format("%Y-%m-%d").to_string())
            .await?
        {
            state
                .store
                .enqueue_job(
                    Some(org),
                    super::alerts::JOB_NOTIFY_CASE,
                    &json!({ "reason": "digest", "user_id": user }),
                    now,
                )
                .await?;
        }
    }
    if !escalated.is_empty() {
        super::notify_worker(state);
    }
    Ok(())
}
