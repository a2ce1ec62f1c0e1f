//! Ambassadorship storage: anonymous employee pulses and customer behaviour events. A
//! supertrait of [`Storage`](crate::Storage), one SQL text for both backends via
//! [`ambassadorship_impl!`].
//!
//! Anonymity is structural: an answer row holds the pulse, team, quarter and scores; the
//! invitation that admitted it is deleted in the same transaction, and submissions are never
//! audited, so no table or log joins an answer to a person.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rapport_domain::ambassadorship::*;
use rapport_domain::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{Actor, StorageResult};

/// A pulse as managers see it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Pulse {
    pub id: i64,
    pub title: String,
    /// `YYYY-Qn`.
    pub period: String,
    pub definition: PulseDefinition,
    /// `draft`, `open` or `closed`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub invited: i64,
    pub answered: i64,
}

/// Where an unused invitation leads.
#[derive(Debug, Clone)]
pub struct PulseTicket {
    pub org_id: OrgId,
    pub pulse: Pulse,
    pub user_id: UserId,
    pub team_id: Option<TeamId>,
    pub locale: Locale,
}

/// A group's pulse sums: `team` is `None` for answers from people without a team.
#[derive(Debug, Clone)]
pub struct PulseSumsRow {
    pub team_id: Option<TeamId>,
    pub team_name: String,
    pub period: String,
    pub sums: PulseSums,
}

/// A customer a team served (a survey answer or a conversation) and when, for behaviour.
#[derive(Debug, Clone, Copy)]
pub struct Contact {
    /// `None` when the contact had no team (a survey answer without an agent).
    pub team_id: Option<TeamId>,
    pub touchpoint_id: Option<TouchpointId>,
    pub customer_id: CustomerId,
    pub at: DateTime<Utc>,
    pub nps: Option<i32>,
}

#[async_trait]
pub trait AmbassadorshipStore: Send + Sync {
    async fn create_pulse(
        &self,
        actor: Actor,
        title: &str,
        period: &str,
        definition: &PulseDefinition,
    ) -> StorageResult<Pulse>;
    async fn list_pulses(&self, org: OrgId) -> StorageResult<Vec<Pulse>>;
    async fn get_pulse(&self, org: OrgId, id: i64) -> StorageResult<Pulse>;
    async fn set_pulse_status(&self, actor: Actor, id: i64, status: &str) -> StorageResult<Pulse>;
    /// Creates an invitation per user not yet invited (token hashes given); returns the new
    /// invitation ids with their user.
    async fn invite_to_pulse(
        &self,
        actor: Actor,
        pulse: i64,
        invitations: &[(UserId, String)],
    ) -> StorageResult<Vec<(i64, UserId)>>;
    async fn pulse_ticket(&self, token_hash: &str) -> StorageResult<Option<PulseTicket>>;
    /// Stores an answer if the invitation is still unused and the pulse open, deleting the
    /// invitation in the same transaction; `false` when it was used or the pulse closed.
    async fn submit_pulse(&self, token_hash: &str, scores: &PulseScores) -> StorageResult<bool>;
    async fn mark_pulse_invitation_sent(&self, id: i64) -> StorageResult<()>;
    /// Sums per team and quarter (and `team: None` per quarter for the whole organisation).
    async fn pulse_sums(&self, org: OrgId) -> StorageResult<Vec<PulseSumsRow>>;
    /// Whether the worker opens a pulse every quarter.
    async fn pulse_quarterly(&self, org: OrgId) -> StorageResult<bool>;
    async fn set_pulse_quarterly(&self, actor: Actor, on: bool) -> StorageResult<()>;
    /// Organisations with quarterly pulses that have not had this quarter's yet, each claimed
    /// once: a second caller (another worker) gets an empty list.
    async fn claim_scheduled_pulses(&self, period: &str) -> StorageResult<Vec<OrgId>>;

    /// Stores behaviour events for a customer, once per external id: `(id, created)` each.
    async fn record_events(
        &self,
        actor: Actor,
        customer: CustomerId,
        events: &[NewEvent],
    ) -> StorageResult<Vec<(i64, bool)>>;
    async fn customer_events(
        &self,
        org: OrgId,
        customer: CustomerId,
    ) -> StorageResult<Vec<CustomerEvent>>;
    /// Every event between two instants (for behaviour measures).
    async fn events_between(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StorageResult<Vec<(CustomerId, EventKind, DateTime<Utc>)>>;
    /// Customers served between two instants, with the team and touchpoint that served them:
    /// survey answers, conversations, and events handled by an agent or at a touchpoint.
    async fn team_contacts(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StorageResult<Vec<Contact>>;
}

/// `Storage`-side SQL for [`AmbassadorshipStore`], expanded in each backend's module after
/// `storage_impl!` (whose helpers `audit`, `ensure_in_org` and `Tx` it uses).
macro_rules! ambassadorship_impl {
    ($store:ident) => {
        use rapport_domain::ambassadorship::*;
        use $crate::ambassadorship::*;

        type PulseRow = (i64, String, String, String, String, DateTime<Utc>, i64, i64);

        const PULSE_SQL: &str = "SELECT p.id, p.title, p.period, p.definition, p.status, p.created_at, \
            (SELECT COUNT(*) FROM pulse_invitations i WHERE i.pulse_id = p.id), \
            (SELECT COUNT(*) FROM pulse_responses r WHERE r.pulse_id = p.id) FROM pulses p";

        fn pulse_of(r: PulseRow) -> StorageResult<Pulse> {
            let (id, title, period, definition, status, created_at, pending, answered) = r;
            Ok(Pulse {
                id,
                title,
                period,
                definition: serde_json::from_str(&definition)
                    .map_err(|e| StorageError::Corrupt(format!("pulse {id}: {e}")))?,
                status,
                created_at,
                // Used invitations are deleted, so those invited are the pending plus the answered.
                invited: pending + answered,
                answered,
            })
        }

        #[async_trait]
        impl AmbassadorshipStore for $store {
            async fn create_pulse(&self, actor: Actor, title: &str, period: &str, definition: &PulseDefinition) -> StorageResult<Pulse> {
                let mut tx = self.begin().await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO pulses (org_id, title, period, definition, status, created_at) VALUES ($1, $2, $3, $4, 'draft', $5) RETURNING id",
                )
                .bind(actor.org_id.0)
                .bind(title)
                .bind(period)
                .bind(json!(definition).to_string())
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await?;
                audit(&mut tx, actor, "create", "pulse", id, json!({ "title": title, "period": period })).await?;
                tx.commit().await?;
                self.get_pulse(actor.org_id, id).await
            }

            async fn list_pulses(&self, org: OrgId) -> StorageResult<Vec<Pulse>> {
                let sql = format!("{PULSE_SQL} WHERE p.org_id = $1 ORDER BY p.period DESC, p.id DESC");
                sqlx::query_as::<_, PulseRow>(&sql).bind(org.0).fetch_all(&self.pool).await?.into_iter().map(pulse_of).collect()
            }

            async fn get_pulse(&self, org: OrgId, id: i64) -> StorageResult<Pulse> {
                let sql = format!("{PULSE_SQL} WHERE p.org_id = $1 AND p.id = $2");
                pulse_of(
                    sqlx::query_as::<_, PulseRow>(&sql)
                        .bind(org.0)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?
                        .ok_or(StorageError::NotFound { entity: "pulse" })?,
                )
            }

            async fn set_pulse_status(&self, actor: Actor, id: i64, status: &str) -> StorageResult<Pulse> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("UPDATE pulses SET status = $1 WHERE id = $2 AND org_id = $3")
                    .bind(status)
                    .bind(id)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "pulse" });
                }
                audit(&mut tx, actor, status, "pulse", id, json!({})).await?;
                tx.commit().await?;
                self.get_pulse(actor.org_id, id).await
            }

            async fn invite_to_pulse(&self, actor: Actor, pulse: i64, invitations: &[(UserId, String)]) -> StorageResult<Vec<(i64, UserId)>> {
                let mut tx = self.begin().await?;
                ensure_in_org(&mut tx, "pulses", "pulse", pulse, actor.org_id).await?;
                let mut out = Vec::new();
                for (user, hash) in invitations {
                    ensure_in_org(&mut tx, "users", "user_id", user.0, actor.org_id).await?;
                    let id: Option<(i64,)> = sqlx::query_as(
                        "INSERT INTO pulse_invitations (org_id, pulse_id, user_id, token_hash) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (pulse_id, user_id) DO NOTHING RETURNING id",
                    )
                    .bind(actor.org_id.0)
                    .bind(pulse)
                    .bind(user.0)
                    .bind(hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some((id,)) = id {
                        out.push((id, *user));
                    }
                }
                audit(&mut tx, actor, "invite", "pulse", pulse, json!({ "invited": out.len() })).await?;
                tx.commit().await?;
                Ok(out)
            }

            async fn pulse_ticket(&self, token_hash: &str) -> StorageResult<Option<PulseTicket>> {
                let row: Option<(i64, i64, i64, Option<i64>, String)> = sqlx::query_as(
                    "SELECT i.org_id, i.pulse_id, i.user_id, u.team_id, u.locale FROM pulse_invitations i JOIN users u ON u.id = i.user_id WHERE i.token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                let Some((org, pulse, user, team, locale)) = row else { return Ok(None) };
                Ok(Some(PulseTicket {
                    org_id: OrgId(org),
                    pulse: self.get_pulse(OrgId(org), pulse).await?,
                    user_id: UserId(user),
                    team_id: team.map(TeamId),
                    locale: Locale::parse("locale", &locale).unwrap_or(Locale::En),
                }))
            }

            async fn submit_pulse(&self, token_hash: &str, scores: &PulseScores) -> StorageResult<bool> {
                let mut tx = self.begin().await?;
                let row: Option<(i64, i64, Option<i64>, String)> = sqlx::query_as(
                    "SELECT i.org_id, i.pulse_id, u.team_id, p.period FROM pulse_invitations i JOIN users u ON u.id = i.user_id \
                     JOIN pulses p ON p.id = i.pulse_id WHERE i.token_hash = $1 AND p.status = 'open'",
                )
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((org, pulse, team, period)) = row else { return Ok(false) };
                let gone = sqlx::query("DELETE FROM pulse_invitations WHERE token_hash = $1").bind(token_hash).execute(&mut *tx).await?;
                if gone.rows_affected() == 0 {
                    return Ok(false);
                }
                sqlx::query(
                    "INSERT INTO pulse_responses (org_id, pulse_id, team_id, period, enps, company, value_proposition, customer) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(org)
                .bind(pulse)
                .bind(team)
                .bind(&period)
                .bind(scores.enps)
                .bind(scores.company)
                .bind(scores.value_proposition)
                .bind(scores.customer)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn mark_pulse_invitation_sent(&self, id: i64) -> StorageResult<()> {
                sqlx::query("UPDATE pulse_invitations SET sent = TRUE WHERE id = $1").bind(id).execute(&self.pool).await?;
                Ok(())
            }

            async fn pulse_sums(&self, org: OrgId) -> StorageResult<Vec<PulseSumsRow>> {
                #[allow(clippy::type_complexity)]
                let rows: Vec<(Option<i64>, Option<String>, String, i64, i64, i64, i64, Option<f64>, Option<f64>, Option<f64>)> = sqlx::query_as(
                    "SELECT r.team_id, t.name, r.period, COUNT(*), COUNT(r.enps), \
                     SUM(CASE WHEN r.enps >= 9 THEN 1 ELSE 0 END), SUM(CASE WHEN r.enps <= 6 THEN 1 ELSE 0 END), \
                     SUM(r.company), SUM(r.value_proposition), SUM(r.customer) \
                     FROM pulse_responses r LEFT JOIN teams t ON t.id = r.team_id WHERE r.org_id = $1 \
                     GROUP BY r.team_id, t.name, r.period ORDER BY r.period, t.name",
                )
                .bind(org.0)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(team, name, period, n, enps_n, p, d, c, v, u)| PulseSumsRow {
                        team_id: team.map(TeamId),
                        team_name: name.unwrap_or_default(),
                        period,
                        sums: PulseSums {
                            n,
                            enps_n,
                            promoters: p,
                            detractors: d,
                            company: c.unwrap_or(0.0),
                            value_proposition: v.unwrap_or(0.0),
                            customer: u.unwrap_or(0.0),
                        },
                    })
                    .collect())
            }

            async fn pulse_quarterly(&self, org: OrgId) -> StorageResult<bool> {
                let (on,): (bool,) = sqlx::query_as("SELECT pulse_quarterly FROM organisations WHERE id = $1")
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StorageError::NotFound { entity: "organisation" })?;
                Ok(on)
            }

            async fn set_pulse_quarterly(&self, actor: Actor, on: bool) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query("UPDATE organisations SET pulse_quarterly = $1 WHERE id = $2").bind(on).bind(actor.org_id.0).execute(&mut *tx).await?;
                audit(&mut tx, actor, "pulse_schedule", "organisation", actor.org_id, json!({ "quarterly": on })).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn claim_scheduled_pulses(&self, period: &str) -> StorageResult<Vec<OrgId>> {
                let orgs: Vec<(i64,)> = sqlx::query_as(
                    "SELECT o.id FROM organisations o WHERE o.pulse_quarterly = TRUE \
                     AND NOT EXISTS (SELECT 1 FROM pulse_schedule_runs r WHERE r.org_id = o.id AND r.period = $1) \
                     AND NOT EXISTS (SELECT 1 FROM pulses p WHERE p.org_id = o.id AND p.period = $1)",
                )
                .bind(period)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::new();
                for (org,) in orgs {
                    let claimed = sqlx::query("INSERT INTO pulse_schedule_runs (org_id, period) VALUES ($1, $2) ON CONFLICT (org_id, period) DO NOTHING")
                        .bind(org)
                        .bind(period)
                        .execute(&self.pool)
                        .await?;
                    if claimed.rows_affected() == 1 {
                        out.push(OrgId(org));
                    }
                }
                Ok(out)
            }

            async fn record_events(&self, actor: Actor, customer: CustomerId, events: &[NewEvent]) -> StorageResult<Vec<(i64, bool)>> {
                let mut tx = self.begin().await?;
                ensure_in_org(&mut tx, "customers", "customer", customer.0, actor.org_id).await?;
                let now = Utc::now();
                let mut out = Vec::with_capacity(events.len());
                for (i, e) in events.iter().enumerate() {
                    let team = match e.agent_id {
                        Some(a) => {
                            let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT team_id FROM users WHERE id = $1 AND org_id = $2")
                                .bind(a.0)
                                .bind(actor.org_id.0)
                                .fetch_optional(&mut *tx)
                                .await?;
                            match row {
                                Some((t,)) => t,
                                None => return Err(StorageError::Invalid { field: "agent_id", message: format!("event {i}: no such colleague in this organisation") }),
                            }
                        }
                        None => None,
                    };
                    if let Some(tp) = e.touchpoint_id {
                        ensure_in_org(&mut tx, "touchpoints", "touchpoint_id", tp.0, actor.org_id).await?;
                    }
                    let id: Option<(i64,)> = sqlx::query_as(
                        "INSERT INTO customer_events (org_id, customer_id, kind, occurred_at, external_id, agent_id, team_id, touchpoint_id, amount, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (org_id, external_id) DO NOTHING RETURNING id",
                    )
                    .bind(actor.org_id.0)
                    .bind(customer.0)
                    .bind(e.kind.as_str())
                    .bind(e.occurred_at)
                    .bind(e.external_id.trim())
                    .bind(e.agent_id.map(|a| a.0))
                    .bind(team)
                    .bind(e.touchpoint_id.map(|t| t.0))
                    .bind(e.amount)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match id {
                        Some((id,)) => out.push((id, true)),
                        None => {
                            let (id,): (i64,) = sqlx::query_as("SELECT id FROM customer_events WHERE org_id = $1 AND external_id = $2")
                                .bind(actor.org_id.0)
                                .bind(e.external_id.trim())
                                .fetch_one(&mut *tx)
                                .await?;
                            out.push((id, false));
                        }
                    }
                }
                tx.commit().await?;
                Ok(out)
            }

            async fn customer_events(&self, org: OrgId, customer: CustomerId) -> StorageResult<Vec<CustomerEvent>> {
                #[allow(clippy::type_complexity)]
                let rows: Vec<(i64, String, DateTime<Utc>, String, Option<i64>, Option<i64>, Option<i64>, Option<f64>)> = sqlx::query_as(
                    "SELECT id, kind, occurred_at, external_id, agent_id, team_id, touchpoint_id, amount FROM customer_events \
                     WHERE org_id = $1 AND customer_id = $2 ORDER BY occurred_at DESC, id DESC LIMIT 500",
                )
                .bind(org.0)
                .bind(customer.0)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, kind, at, ext, agent, team, tp, amount)| {
                        Ok(CustomerEvent {
                            id,
                            customer_id: customer,
                            kind: EventKind::parse("kind", &kind).map_err(|e| StorageError::Corrupt(e.to_string()))?,
                            occurred_at: at,
                            external_id: ext,
                            agent_id: agent.map(UserId),
                            team_id: team.map(TeamId),
                            touchpoint_id: tp.map(TouchpointId),
                            amount,
                        })
                    })
                    .collect()
            }

            async fn events_between(&self, org: OrgId, from: DateTime<Utc>, to: DateTime<Utc>) -> StorageResult<Vec<(CustomerId, EventKind, DateTime<Utc>)>> {
                let rows: Vec<(i64, String, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT customer_id, kind, occurred_at FROM customer_events WHERE org_id = $1 AND occurred_at >= $2 AND occurred_at < $3",
                )
                .bind(org.0)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(c, k, at)| Ok((CustomerId(c), EventKind::parse("kind", &k).map_err(|e| StorageError::Corrupt(e.to_string()))?, at)))
                    .collect()
            }

            async fn team_contacts(&self, org: OrgId, from: DateTime<Utc>, to: DateTime<Utc>) -> StorageResult<Vec<Contact>> {
                #[allow(clippy::type_complexity)]
                let rows: Vec<(Option<i64>, Option<i64>, i64, DateTime<Utc>, Option<i32>)> = sqlx::query_as(
                    "SELECT team_id, touchpoint_id, customer_id, submitted_at, nps FROM responses WHERE org_id = $1 \
                     AND customer_id IS NOT NULL AND submitted_at >= $2 AND submitted_at < $3 \
                     UNION ALL SELECT team_id, touchpoint_id, customer_id, started_at, NULL FROM conversations WHERE org_id = $1 \
                     AND (team_id IS NOT NULL OR touchpoint_id IS NOT NULL) AND customer_id IS NOT NULL AND started_at >= $2 AND started_at < $3 \
                     UNION ALL SELECT team_id, touchpoint_id, customer_id, occurred_at, NULL FROM customer_events WHERE org_id = $1 \
                     AND (team_id IS NOT NULL OR touchpoint_id IS NOT NULL) AND kind <> 'churn' AND occurred_at >= $2 AND occurred_at < $3",
                )
                .bind(org.0)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(t, tp, c, at, nps)| Contact {
                        team_id: t.map(TeamId),
                        touchpoint_id: tp.map(TouchpointId),
                        customer_id: CustomerId(c),
                        at,
                        nps,
                    })
                    .collect())
            }
        }
    };
}
pub(crate) use ambassadorship_impl;
