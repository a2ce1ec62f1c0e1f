//! Password reset by e-mail: a link with a 256-bit token that works once, for a limited time.
//!
//! The token exists in clear only in the worker's memory and in the e-mail: the request queues
//! a job naming the user, and the job makes the token, stores its SHA-256 and sends the link.
//! So neither the job queue nor the reset table holds anything that opens an account, and an
//! e-mail that could not be sent leaves no usable link behind.

use chrono::Utc;
use fluent_bundle::FluentArgs;
use lettre::Message;
use maud::{html, DOCTYPE};
use rapport_domain::model::User;
use rapport_domain::UserId;
use rapport_storage::{Actor, Job, StorageResult};
use serde_json::json;

use super::secrets;
use crate::jobs::{email, JobError};
use crate::state::AppState;

/// The job that makes a reset link and e-mails it.
pub const JOB_SEND_PASSWORD_RESET: &str = "send_password_reset";

/// A reset link's secret: 32 random bytes as 64 lowercase hex digits.
pub struct ResetToken(String);

impl ResetToken {
    pub fn generate() -> Self {
        Self(secrets::random_hex(32))
    }

    /// `None` for anything that is not 64 hex digits, before it reaches the database.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        (raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(raw.to_ascii_lowercase()))
    }

    /// What is stored: the token's SHA-256.
    pub fn hash(&self) -> String {
        secrets::sha256_hex(&self.0)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ResetToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetToken(<redacted>)")
    }
}

/// Queues the reset e-mail for an active user. `by` is the administrator who asked for it,
/// `None` when the user asked themselves.
pub async fn request(state: &AppState, user: &User, by: Option<UserId>) -> StorageResult<()> {
    state
        .store
        .enqueue_job(
            Some(user.org_id),
            JOB_SEND_PASSWORD_RESET,
            &json!({"user_id": user.id, "by": by}),
            Utc::now(),
        )
        .await?;
    crate::jobs::notify_worker(state);
    Ok(())
}

/// The job: make the link, store its hash, send it in the user's language.
pub async fn send(state: &AppState, job: &Job) -> Result<(), JobError> {
    let org = job
        .org_id
        .ok_or_else(|| JobError::Permanent("password reset without organisation".into()))?;
    let user_id = job.payload["user_id"]
        .as_i64()
        .map(UserId)
        .ok_or_else(|| JobError::Permanent("payload lacks user_id".into()))?;
    let actor = match job.payload["by"].as_i64() {
        Some(admin) => Actor::user(org, UserId(admin)),
        None => Actor::system(org),
    };
    let user = state.store.get_user(org, user_id).await?;
    if !user.active {
        tracing::info!(user = %user.id, "not sending a password reset: the account is inactive");
        return Ok(());
    }
    let smtp_url = state.config.smtp_url.as_deref().ok_or_else(|| {
        JobError::Permanent("e-mail delivery is not configured: set RAPPORT_SMTP_URL".into())
    })?;
    let token = ResetToken::generate();
    let ttl = state.config.password_reset_ttl;
    state
        .store
        .create_password_reset(actor, user.id, &token.hash(), Utc::now() + ttl)
        .await?;
    let link = format!(
        "{}/password/reset?token={}",
        crate::jobs::email::public_base(state),
        token.expose()
    );
    let sent = async {
        let message = compose(state, &user, &link, ttl.num_minutes())?;
        email::smtp_send(smtp_url, message).await
    }
    .await;
    if let Err(e) = sent {
        // Nobody received this link; the retry makes a new one.
        state.store.discard_password_reset(&token.hash()).await?;
        return Err(e);
    }
    tracing::info!(user = %user.id, %org, "password reset e-mail sent");
    Ok(())
}

/// A multipart (plain text + HTML) message in the user's language.
fn compose(state: &AppState, user: &User, link: &str, minutes: i64) -> Result<Message, JobError> {
    let locale = user.locale;
    // Fluent arguments are not `Send`: everything is formatted before anything awaits.
    let (subject, greeting, body, button, ignore) = {
        let mut args = FluentArgs::new();
        args.set("name", user.display_name.clone());
        args.set("email", user.email.clone());
        args.set("minutes", minutes);
        let t = |id: &str| state.i18n.format(locale, id, Some(&args));
        (
            t("pwreset-email-subject"),
            t("pwreset-email-greeting"),
            t("pwreset-email-body"),
            t("pwreset-email-button"),
            t("pwreset-email-ignore"),
        )
    };
    let text = format!("{greeting}\n\n{body}\n\n{button}:\n{link}\n\n{ignore}\n");
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
                        a href=(link) style="display: inline-block; padding: 0.6em 1.2em; background: #1d4ed8; color: #ffffff; text-decoration: none; border-radius: 6px;" { (button) }
                    }
                    p style="font-size: 0.9em;" { bdi { (link) } }
                    p style="font-size: 0.9em; color: #52606d;" { (ignore) }
                }
            }
        }
    };
    let to = email::recipient(&user.display_name, &user.email, "user")?;
    email::two_part(state, to, subject, text, page.into_string())
}

#[cfg(test)]
mod tests {
    use super::ResetToken;

    #[test]
    fn tokens_are_64_hex_digits_and_only_their_hash_is_kept() {
        let t = ResetToken::generate();
        assert_eq!(t.expose().len(), 64);
        let again = ResetToken::parse(&t.expose().to_uppercase()).unwrap();
        assert_eq!(again.hash(), t.hash());
        assert_ne!(t.hash(), t.expose());
        assert!(!format!("{t:?}").contains(t.expose()));
        for bad in ["", "abc", &"g".repeat(64), &"a".repeat(65), "' OR 1=1 --"] {
            assert!(ResetToken::parse(bad).is_none(), "{bad}");
        }
    }
}
