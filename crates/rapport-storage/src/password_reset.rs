//! Password-reset links: single-use, expiring, stored only as the SHA-256 of their token, and
//! the requests for them (for throttling). A supertrait of [`Storage`](crate::Storage), one
//! SQL text for both backends via [`password_reset_impl!`].
//!
//! Using a link is one transaction that starts with
//! `UPDATE … SET used_at WHERE used_at IS NULL AND expires_at > now RETURNING`: of two
//! concurrent uses, PostgreSQL makes the second wait for the row and then finds it used, and
//! SQLite runs them one after the other, so exactly one changes the password.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rapport_domain::{OrgId, UserId};

use crate::{Actor, StorageResult};

/// What a reset link's token is worth right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetTokenState {
    /// Unused, unexpired, and its user is active.
    Usable {
        org: OrgId,
        user: UserId,
    },
    Used,
    Expired,
    /// Its user was deactivated after the link was sent.
    InactiveUser,
}

#[async_trait]
pub trait PasswordResetStore: Send + Sync {
    /// Stores a new link's token hash for a user of `actor.org_id`, with an audit entry.
    async fn create_password_reset(
        &self,
        actor: Actor,
        user: UserId,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StorageResult<()>;
    /// Forgets a link whose e-mail could not be sent.
    async fn discard_password_reset(&self, token_hash: &str) -> StorageResult<()>;
    /// `None` when no link has this token hash.
    async fn password_reset_state(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<ResetTokenState>>;
    /// Uses a link, atomically: marks it used, sets the new password hash, marks the user's
    /// other links used, ends all their sessions and writes the audit entry. `None` (and
    /// nothing changed) when the link is unknown, used, expired or its user inactive.
    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<(OrgId, UserId)>>;
    /// Records one request for a reset link (whether or not the address is a user's).
    async fn record_password_reset_request(
        &self,
        email: &str,
        ip: &str,
        at: DateTime<Utc>,
    ) -> StorageResult<()>;
    /// Requests since `since`, counted by e-mail and by client address.
    async fn recent_password_reset_requests(
        &self,
        email: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> StorageResult<(i64, i64)>;
}

/// `Storage`-side SQL for [`PasswordResetStore`], expanded in each backend's module.
macro_rules! password_reset_impl {
    ($store:ident) => {
        #[async_trait]
        impl $crate::password_reset::PasswordResetStore for $store {
            async fn create_password_reset(
                &self,
                actor: Actor,
                user: UserId,
                token_hash: &str,
                expires_at: DateTime<Utc>,
            ) -> StorageResult<()> {
                let now = Utc::now();
                let mut tx = self.begin().await?;
                ensure_in_org(&mut tx, "users", "user_id", user.0, actor.org_id).await?;
                // Links long past their expiry are worth nothing; keep the table small.
                sqlx::query("DELETE FROM password_reset_tokens WHERE expires_at < $1")
                    .bind(now - chrono::Duration::days(1))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO password_reset_tokens (user_id, token_hash, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(user.0)
                .bind(token_hash)
                .bind(expires_at)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                audit(
                    &mut tx,
                    actor,
                    "issue_password_reset",
                    "user",
                    user,
                    json!({"expires_at": expires_at}),
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn discard_password_reset(&self, token_hash: &str) -> StorageResult<()> {
                sqlx::query("DELETE FROM password_reset_tokens WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn password_reset_state(
                &self,
                token_hash: &str,
                now: DateTime<Utc>,
            ) -> StorageResult<Option<$crate::password_reset::ResetTokenState>> {
                use $crate::password_reset::ResetTokenState;
                let row: Option<(i64, i64, bool, DateTime<Utc>, Option<DateTime<Utc>>)> =
                    sqlx::query_as(
                        "SELECT u.org_id, u.id, u.active, t.expires_at, t.used_at \
                         FROM password_reset_tokens t JOIN users u ON u.id = t.user_id \
                         WHERE t.token_hash = $1",
                    )
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(org, user, active, expires_at, used_at)| {
                    if used_at.is_some() {
                        ResetTokenState::Used
                    } else if expires_at <= now {
                        ResetTokenState::Expired
                    } else if !active {
                        ResetTokenState::InactiveUser
                    } else {
                        ResetTokenState::Usable {
                            org: OrgId(org),
                            user: UserId(user),
                        }
                    }
                }))
            }

            async fn reset_password(
                &self,
                token_hash: &str,
                password_hash: &str,
                now: DateTime<Utc>,
            ) -> StorageResult<Option<(OrgId, UserId)>> {
                let mut tx = self.begin().await?;
                let claimed: Option<(i64, i64)> = sqlx::query_as(
                    "UPDATE password_reset_tokens SET used_at = $1 \
                     WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                     AND user_id IN (SELECT id FROM users WHERE active = TRUE) \
                     RETURNING id, user_id",
                )
                .bind(now)
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((token_id, user)) = claimed else {
                    return Ok(None);
                };
                let (org,): (i64,) =
                    sqlx::query_as("UPDATE users SET password_hash = $1 WHERE id = $2 RETURNING org_id")
                        .bind(password_hash)
                        .bind(user)
                        .fetch_one(&mut *tx)
                        .await?;
                // Any other link that was sent is spent too: one reset per request.
                sqlx::query(
                    "UPDATE password_reset_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
                )
                .bind(now)
                .bind(user)
                .execute(&mut *tx)
                .await?;
                // Whoever knew the old password is signed out everywhere.
                let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                audit(
                    &mut tx,
                    Actor::user(OrgId(org), UserId(user)),
                    "reset_password",
                    "user",
                    user,
                    json!({"reset_token": token_id, "sessions_ended": ended}),
                )
                .await?;
                tx.commit().await?;
                Ok(Some((OrgId(org), UserId(user))))
            }

            async fn record_password_reset_request(
                &self,
                email: &str,
                ip: &str,
                at: DateTime<Utc>,
            ) -> StorageResult<()> {
                // Only the last day matters for throttling.
                sqlx::query("DELETE FROM password_reset_requests WHERE at < $1")
                    .bind(at - chrono::Duration::days(1))
                    .execute(&self.pool)
                    .await?;
                sqlx::query("INSERT INTO password_reset_requests (email, ip, at) VALUES ($1, $2, $3)")
                    .bind(email)
                    .bind(ip)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn recent_password_reset_requests(
                &self,
                email: &str,
                ip: &str,
                since: DateTime<Utc>,
            ) -> StorageResult<(i64, i64)> {
                Ok(sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM password_reset_requests WHERE email = $1 AND at > $3), \
                            (SELECT COUNT(*) FROM password_reset_requests WHERE ip = $2 AND at > $3)",
                )
                .bind(email)
                .bind(ip)
                .bind(since)
                .fetch_one(&self.pool)
                .await?)
            }
        }
    };
}
pub(crate) use password_reset_impl;
