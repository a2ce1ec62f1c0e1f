//! E-mail delivery of survey invitations and their one reminder over SMTP.
//!
//! Both jobs re-check everything at send time (consent, suppression, whether the invitation
//! was answered or expired), because hours or days may pass between queueing and sending.
//! A job that decides not to send completes without error: nothing is wrong, there is just
//! nothing to do. SMTP failures are retried with the worker's back-off.

use chrono::{DateTime, Utc};
use fluent_bundle::FluentArgs;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use maud::{html, DOCTYPE};
use rapport_domain::model::Customer;
use rapport_domain::voc::Invitation;
use rapport_domain::Locale;
use rapport_storage::Job;

use super::JobError;
use crate::auth::secrets;
use crate::state::AppState;

/// The reminder that follows an invitation e-mail, queued when the invitation goes out.
pub const JOB_SEND_REMINDER: &str = "send_reminder";

/// Which of the two messages to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invitation,
    Reminder,
}

/// Sends one invitation e-mail, then queues its reminder.
pub async fn send_invitation(state: &AppState, job: &Job) -> Result<(), JobError> {
    deliver(state, job, Kind::Invitation).await
}

/// Sends the reminder, unless the invitation was answered or expired meanwhile.
pub async fn send_reminder(state: &AppState, job: &Job) -> Result<(), JobError> {
    deliver(state, job, Kind::Reminder).await
}

async fn deliver(state: &AppState, job: &Job, kind: Kind) -> Result<(), JobError> {
    let org = job
        .org_id
        .ok_or_else(|| JobError::Permanent("e-mail job without organisation".into()))?;
    let token = job.payload["token"]
        .as_str()
        .ok_or_else(|| JobError::Permanent("payload lacks token".into()))?
        .to_string();
    let Some((inv_org, invitation)) = state
        .store
        .find_invitation(&secrets::sha256_hex(&token))
        .await?
    else {
        return Err(JobError::Permanent("invitation no longer exists".into()));
    };
    if inv_org != org || job.payload["invitation_id"].as_i64() != Some(invitation.id.0) {
        return Err(JobError::Permanent(
            "token does not belong to this invitation".into(),
        ));
    }
    let now = Utc::now();
    let customer = state
        .store
        .get_customer(org, invitation.customer_id)
        .await?;
    if let Some(reason) = skip_reason(state, &invitation, &customer, kind, now).await? {
        tracing::info!(invitation = %invitation.id, reason, "not sending");
        return Ok(());
    }
    let Some(to) = customer.email.as_deref() else {
        return Ok(());
    };
    let smtp_url = state.config.smtp_url.as_deref().ok_or_else(|| {
        JobError::Permanent("e-mail delivery is not configured: set RAPPORT_SMTP_URL".into())
    })?;
    let org_name = state.store.get_organisation(org).await?.name;
    let link = format!("{}/i/{token}", public_base(state));
    let message = compose(
        state,
        kind,
        &Composed {
            org: &org_name,
            customer: &customer,
            to,
            link: &link,
            expires_at: invitation.expires_at,
        },
    )?;
    smtp_send(smtp_url, message).await?;
    // Sent: a failure from here on may send twice on retry, which beats not sending.
    state
        .store
        .mark_invitation_sent(invitation.id, kind == Kind::Reminder, Utc::now())
        .await?;
    tracing::info!(invitation = %invitation.id, ?kind, "e-mail sent");
    if kind == Kind::Invitation {
        state
            .store
            .enqueue_job(
                Some(org),
                JOB_SEND_REMINDER,
                &job.payload,
                Utc::now() + state.config.reminder_after,
            )
            .await?;
    }
    Ok(())
}

/// Why this message should not go out now, if it should not.
async fn skip_reason(
    state: &AppState,
    invitation: &Invitation,
    customer: &Customer,
    kind: Kind,
    now: DateTime<Utc>,
) -> Result<Option<&'static str>, JobError> {
    if let Some(why) = invitation.unusable(now) {
        return Ok(Some(why));
    }
    let already = match kind {
        Kind::Invitation => invitation.sent_at,
        Kind::Reminder => invitation.reminder_sent_at,
    };
    if already.is_some() {
        return Ok(Some("already sent"));
    }
    if customer.email.is_none() {
        return Ok(Some("the customer has no e-mail address"));
    }
    if !customer.consent.email {
        return Ok(Some("the customer has not agreed to e-mail"));
    }
    if kind == Kind::Invitation {
        let settings = state.store.org_settings(customer.org_id).await?;
        if let Some(last) = state
            .store
            .last_invited_at(customer.id, Some(invitation.id))
            .await?
        {
            if now - last < chrono::Duration::days(i64::from(settings.survey_cooldown_days)) {
                return Ok(Some("the customer was invited recently"));
            }
        }
    }
    Ok(None)
}

/// Absolute links need the address customers reach us at.
pub(crate) fn public_base(state: &AppState) -> String {
    match &state.config.public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            tracing::warn!("RAPPORT_PUBLIC_URL is not set: e-mail links use the listen address");
            format!("http://{}", state.config.addr)
        }
    }
}

struct Composed<'a> {
    org: &'a str,
    customer: &'a Customer,
    to: &'a str,
    link: &'a str,
    expires_at: DateTime<Utc>,
}

fn local_date(locale: Locale, at: DateTime<Utc>) -> String {
    match locale {
        Locale::En => at.format("%-d %B %Y").to_string(),
        Locale::He => at.format("%-d.%-m.%Y").to_string(),
        Locale::El => at.format("%-d/%-m/%Y").to_string(),
    }
}

/// A multipart (plain text + HTML) message in the customer's language.
fn compose(state: &AppState, kind: Kind, c: &Composed<'_>) -> Result<Message, JobError> {
    let locale = c.customer.locale;
    let mut args = FluentArgs::new();
    args.set("org", c.org.to_string());
    args.set("name", c.customer.name.clone());
    args.set("date", local_date(locale, c.expires_at));
    let t = |id: &str| state.i18n.format(locale, id, Some(&args));
    let (subject, body) = match kind {
        Kind::Invitation => (t("email-invitation-subject"), t("email-invitation-body")),
        Kind::Reminder => (t("email-reminder-subject"), t("email-reminder-body")),
    };
    let (greeting, button, note, footer) = (
        t("email-greeting"),
        t("email-button"),
        t("email-link-note"),
        t("email-footer"),
    );
    let text = format!(
        "{greeting}\n\n{body}\n\n{button}:\n{}\n\n{note}\n\n-- \n{footer}\n",
        c.link
    );
    let dir = locale.dir();
    let page = html! {
        (DOCTYPE)
        html lang=(locale.as_str()) dir=(dir) {
            head { meta charset="utf-8"; title { (subject) } }
            body style="font-family: sans-serif; line-height: 1.5; color: #1f2933;" {
                div dir=(dir) style="max-width: 36rem; margin: 0 auto; text-align: start;" {
                    p { (greeting) }
                    p { (body) }
                    p {
                        a href=(c.link) style="display: inline-block; padding: 0.6em 1.2em; background: #1d4ed8; color: #ffffff; text-decoration: none; border-radius: 6px;" { (button) }
                    }
                    p style="font-size: 0.9em;" { (note) br; bdi { (c.link) } }
                    hr;
                    p style="font-size: 0.8em; color: #52606d;" { (footer) }
                }
            }
        }
    };
    let to = recipient(&c.customer.name, c.to, "customer")?;
    two_part(state, to, subject, text, page.into_string())
}

/// `RAPPORT_MAIL_FROM` as a mailbox.
pub(crate) fn sender(state: &AppState) -> Result<Mailbox, JobError> {
    state
        .config
        .mail_from
        .parse()
        .map_err(|e| JobError::Permanent(format!("RAPPORT_MAIL_FROM: {e}")))
}

/// A named recipient; `whose` says in the error which address did not parse.
pub(crate) fn recipient(name: &str, address: &str, whose: &str) -> Result<Mailbox, JobError> {
    let address = address
        .parse()
        .map_err(|e| JobError::Permanent(format!("{whose} e-mail: {e}")))?;
    Ok(Mailbox::new(Some(name.to_string()), address))
}

/// A message from `RAPPORT_MAIL_FROM` with a plain-text and an HTML alternative.
pub(crate) fn two_part(
    state: &AppState,
    to: Mailbox,
    subject: String,
    text: String,
    html: String,
) -> Result<Message, JobError> {
    Message::builder()
        .from(sender(state)?)
        .to(to)
        .subject(subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )
        .map_err(|e| JobError::Permanent(format!("building the message: {e}")))
}

/// Sends one message through `smtp_url`: a bad URL is permanent, a refusal worth a retry.
pub(crate) async fn smtp_send(smtp_url: &str, message: Message) -> Result<(), JobError> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
        .map_err(|e| JobError::Permanent(format!("RAPPORT_SMTP_URL: {e}")))?
        .build()
        .send(message)
        .await
        .map_err(|e| JobError::Retry(format!("SMTP: {e}")))?;
    Ok(())
}
