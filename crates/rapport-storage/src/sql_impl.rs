//! The one implementation of [`Storage`](crate::Storage), expanded once per backend.
//!
//! Both backends accept `$n` placeholders, `RETURNING`, `TRUE`/`FALSE` and the column types used
//! here, so the SQL text is shared; only connection set-up and migrations differ. A macro (rather
//! than generics over `sqlx::Database`) keeps each expansion concrete and the bounds readable.

macro_rules! storage_impl {
    ($store:ident, $db:ty, $backend:expr) => {
        $crate::sql_voc::with_voc_methods!($store, $db, $backend);
    };
}

macro_rules! storage_impl_inner {
    ($store:ident, $db:ty, $backend:expr, { $($voc:tt)* }) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use rapport_domain::model::*;
        use rapport_domain::voc::*;
        use rapport_domain::*;
        use serde_json::json;

        use $crate::error::unique_as_conflict;
        use $crate::rows::*;
        use $crate::{
            Actor, Backend, CustomerPage, OrgSettings, PoolStats, SessionInfo, Storage, StorageError,
            StorageResult,
        };

        type Tx = sqlx::Transaction<'static, $db>;

        async fn audit(
            tx: &mut Tx,
            actor: Actor,
            action: &str,
            entity: &str,
            entity_id: impl ToString,
            detail: serde_json::Value,
        ) -> StorageResult<()> {
            sqlx::query(
                "INSERT INTO audit_log (org_id, actor_id, action, entity, entity_id, detail, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(actor.org_id.0)
            .bind(actor.user_id.map(|u| u.0))
            .bind(action)
            .bind(entity)
            .bind(entity_id.to_string())
            .bind(detail.to_string())
            .bind(Utc::now())
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        /// Rejects references to rows of another organisation as if they did not exist.
        async fn ensure_in_org(
            tx: &mut Tx,
            table: &'static str,
            field: &'static str,
            id: i64,
            org: OrgId,
        ) -> StorageResult<()> {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE id = $1 AND org_id = $2");
            let (n,): (i64,) = sqlx::query_as(&sql)
                .bind(id)
                .bind(org.0)
                .fetch_one(&mut **tx)
                .await?;
            if n == 0 {
                return Err(StorageError::Invalid {
                    field,
                    message: format!("no such {} in this organisation", field.trim_end_matches("_id")),
                });
            }
            Ok(())
        }

        /// Moves a row of an ordered list (stages in a journey, touchpoints in a stage) to
        /// `new_pos` under `new_parent`, closing the gap it leaves and clamping the position.
        #[allow(clippy::too_many_arguments)]
        async fn place(
            tx: &mut Tx,
            table: &'static str,
            parent_col: &'static str,
            id: i64,
            old: Option<(i64, i64)>,
            new_parent: i64,
            new_pos: Option<i64>,
        ) -> StorageResult<i64> {
            if let Some((old_parent, old_pos)) = old {
                sqlx::query(&format!(
                    "UPDATE {table} SET position = position - 1 WHERE {parent_col} = $1 AND position > $2"
                ))
                .bind(old_parent)
                .bind(old_pos)
                .execute(&mut **tx)
                .await?;
            }
            let (count,): (i64,) = sqlx::query_as(&format!(
                "SELECT COUNT(*) FROM {table} WHERE {parent_col} = $1 AND id <> $2"
            ))
            .bind(new_parent)
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
            let pos = new_pos.unwrap_or(count).clamp(0, count);
            sqlx::query(&format!(
                "UPDATE {table} SET position = position + 1 WHERE {parent_col} = $1 AND position >= $2 AND id <> $3"
            ))
            .bind(new_parent)
            .bind(pos)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            sqlx::query(&format!("UPDATE {table} SET {parent_col} = $1, position = $2 WHERE id = $3"))
                .bind(new_parent)
                .bind(pos)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            Ok(pos)
        }

        $crate::sql_voc::voc_helpers!();

/// Touchpoints with surveys keep their history: deleting them (or their stage or journey)
        /// is refused rather than orphaning responses.
        async fn refuse_if_surveyed(tx: &mut Tx, col: &'static str, id: i64) -> StorageResult<()> {
            let sql = format!(
                "SELECT COUNT(*) FROM surveys s JOIN touchpoints t ON t.id = s.touchpoint_id WHERE t.{col} = $1"
            );
            let (n,): (i64,) = sqlx::query_as(&sql).bind(id).fetch_one(&mut **tx).await?;
            if n > 0 {
                return Err(StorageError::Conflict {
                    field: "id",
                    message: format!("{n} survey(s) measure this; close them instead of deleting"),
                });
            }
            Ok(())
        }

                fn not_found(entity: &'static str) -> impl FnOnce() -> StorageError {
            move || StorageError::NotFound { entity }
        }

        impl $store {
            async fn begin(&self) -> StorageResult<Tx> {
                Ok(self.pool.begin_with(Self::BEGIN).await?)
            }

            async fn fetch_user(&self, org: OrgId, id: UserId) -> StorageResult<User> {
                let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1 AND u.org_id = $2");
                sqlx::query_as::<_, UserRow>(&sql)
                    .bind(id.0)
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(not_found("user"))?
                    .into_domain()
            }

            async fn fetch_stage(&self, org: OrgId, id: StageId) -> StorageResult<Stage> {
                sqlx::query_as::<_, StageRow>(
                    "SELECT id, journey_id, kind, name, position FROM stages WHERE id = $1 AND org_id = $2",
                )
                .bind(id.0)
                .bind(org.0)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(not_found("stage"))?
                .into_domain()
            }

            async fn fetch_journey(&self, org: OrgId, id: JourneyId) -> StorageResult<Journey> {
                sqlx::query_as::<_, JourneyRow>(
                    "SELECT id, org_id, name, description, locale, created_at FROM journeys WHERE id = $1 AND org_id = $2",
                )
                .bind(id.0)
                .bind(org.0)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(not_found("journey"))?
                .into_domain()
            }
        }

        #[async_trait]
        impl Storage for $store {
            fn backend(&self) -> Backend {
                $backend
            }

            fn pool_stats(&self) -> PoolStats {
                PoolStats {
                    size: self.pool.size(),
                    idle: self.pool.num_idle() as u32,
                }
            }

            async fn migrate(&self) -> StorageResult<()> {
                Self::MIGRATOR.run(&self.pool).await?;
                Ok(())
            }

            async fn ping(&self) -> StorageResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await
            }

            // ---- organisations ----

            async fn create_organisation(&self, new: &NewOrganisation) -> StorageResult<Organisation> {
                let mut tx = self.begin().await?;
                let row: OrgRow = sqlx::query_as(
                    "INSERT INTO organisations (name, slug, default_locale, created_at) VALUES ($1, $2, $3, $4) \
                     RETURNING id, name, slug, default_locale, created_at",
                )
                .bind(new.name.as_str())
                .bind(&new.slug)
                .bind(new.default_locale.as_str())
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await
                .map_err(unique_as_conflict("slug", "an organisation with this slug exists"))?;
                let org = row.into_domain()?;
                audit(&mut tx, Actor::system(org.id), "create", "organisation", org.id, json!({"name": org.name})).await?;
                tx.commit().await?;
                Ok(org)
            }

            async fn get_organisation(&self, org: OrgId) -> StorageResult<Organisation> {
                sqlx::query_as::<_, OrgRow>(
                    "SELECT id, name, slug, default_locale, created_at FROM organisations WHERE id = $1",
                )
                .bind(org.0)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(not_found("organisation"))?
                .into_domain()
            }

            async fn organisation_by_slug(&self, slug: &str) -> StorageResult<Organisation> {
                sqlx::query_as::<_, OrgRow>(
                    "SELECT id, name, slug, default_locale, created_at FROM organisations WHERE slug = $1",
                )
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(not_found("organisation"))?
                .into_domain()
            }

            async fn update_organisation(&self, actor: Actor, name: &Name, default_locale: Locale) -> StorageResult<Organisation> {
                let mut tx = self.begin().await?;
                let row: OrgRow = sqlx::query_as(
                    "UPDATE organisations SET name = $1, default_locale = $2 WHERE id = $3 \
                     RETURNING id, name, slug, default_locale, created_at",
                )
                .bind(name.as_str())
                .bind(default_locale.as_str())
                .bind(actor.org_id.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(not_found("organisation"))?;
                audit(&mut tx, actor, "update", "organisation", actor.org_id,
                    json!({"name": name.as_str(), "default_locale": default_locale})).await?;
                tx.commit().await?;
                row.into_domain()
            }

            // ---- users ----

            async fn create_user(&self, actor: Actor, new: &NewUser) -> StorageResult<User> {
                let mut tx = self.begin().await?;
                if let Some(team) = new.team_id {
                    ensure_in_org(&mut tx, "teams", "team_id", team.0, actor.org_id).await?;
                }
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO users (org_id, email, display_name, role, team_id, locale, password_hash, active, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8) RETURNING id",
                )
                .bind(actor.org_id.0)
                .bind(new.email.as_str())
                .bind(new.display_name.as_str())
                .bind(new.role.as_str())
                .bind(new.team_id.map(|t| t.0))
                .bind(new.locale.as_str())
                .bind(new.password_hash.as_deref())
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await
                .map_err(unique_as_conflict("email", "a user with this e-mail already exists"))?;
                audit(&mut tx, actor, "create", "user", id,
                    json!({"email": new.email.as_str(), "role": new.role, "team_id": new.team_id})).await?;
                tx.commit().await?;
                self.fetch_user(actor.org_id, UserId(id)).await
            }

            async fn get_user(&self, org: OrgId, id: UserId) -> StorageResult<User> {
                self.fetch_user(org, id).await
            }

            async fn list_users(&self, org: OrgId, team: Option<TeamId>) -> StorageResult<Vec<User>> {
                let sql = format!(
                    "SELECT {USER_COLS} FROM users u WHERE u.org_id = $1 AND ($2 IS NULL OR u.team_id = $2) \
                     ORDER BY u.display_name, u.id"
                );
                sqlx::query_as::<_, UserRow>(&sql)
                    .bind(org.0)
                    .bind(team.map(|t| t.0))
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(UserRow::into_domain)
                    .collect()
            }

            async fn update_user(&self, actor: Actor, id: UserId, upd: &UserUpdate) -> StorageResult<User> {
                let mut tx = self.begin().await?;
                if let Some(team) = upd.team_id {
                    ensure_in_org(&mut tx, "teams", "team_id", team.0, actor.org_id).await?;
                }
                let done = sqlx::query(
                    "UPDATE users SET display_name = $1, role = $2, team_id = $3, locale = $4, active = $5 \
                     WHERE id = $6 AND org_id = $7",
                )
                .bind(upd.display_name.as_str())
                .bind(upd.role.as_str())
                .bind(upd.team_id.map(|t| t.0))
                .bind(upd.locale.as_str())
                .bind(upd.active)
                .bind(id.0)
                .bind(actor.org_id.0)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "user" });
                }
                if !upd.active {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.0).execute(&mut *tx).await?;
                }
                audit(&mut tx, actor, "update", "user", id,
                    json!({"role": upd.role, "team_id": upd.team_id, "active": upd.active})).await?;
                tx.commit().await?;
                self.fetch_user(actor.org_id, id).await
            }

            async fn set_user_locale(&self, org: OrgId, id: UserId, locale: Locale) -> StorageResult<()> {
                sqlx::query("UPDATE users SET locale = $1 WHERE id = $2 AND org_id = $3")
                    .bind(locale.as_str())
                    .bind(id.0)
                    .bind(org.0)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn set_password_hash(&self, actor: Actor, id: UserId, hash: &str) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND org_id = $3")
                    .bind(hash)
                    .bind(id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "user" });
                }
                // A new password ends every other session.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.0).execute(&mut *tx).await?;
                audit(&mut tx, actor, "set_password", "user", id, json!({})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn deactivate_user(&self, actor: Actor, id: UserId) -> StorageResult<User> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("UPDATE users SET active = FALSE WHERE id = $1 AND org_id = $2")
                    .bind(id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "user" });
                }
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.0).execute(&mut *tx).await?;
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(Utc::now())
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                audit(&mut tx, actor, "deactivate", "user", id, json!({})).await?;
                tx.commit().await?;
                self.fetch_user(actor.org_id, id).await
            }

            async fn user_credentials(&self, email: &Email) -> StorageResult<Option<(User, Option<String>)>> {
                let sql = format!("SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.email = $1");
                let row: Option<UserCredRow> = sqlx::query_as(&sql)
                    .bind(email.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok((r.user.into_domain()?, r.password_hash))).transpose()
            }

            // ---- teams ----

            async fn create_team(&self, actor: Actor, new: &NewTeam) -> StorageResult<Team> {
                let mut tx = self.begin().await?;
                if let Some(lead) = new.lead_id {
                    ensure_in_org(&mut tx, "users", "lead_id", lead.0, actor.org_id).await?;
                }
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO teams (org_id, name, lead_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(actor.org_id.0)
                .bind(new.name.as_str())
                .bind(new.lead_id.map(|u| u.0))
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await
                .map_err(unique_as_conflict("name", "a team with this name already exists"))?;
                audit(&mut tx, actor, "create", "team", id, json!({"name": new.name.as_str(), "lead_id": new.lead_id})).await?;
                tx.commit().await?;
                self.get_team(actor.org_id, TeamId(id)).await
            }

            async fn get_team(&self, org: OrgId, id: TeamId) -> StorageResult<Team> {
                let sql = format!("SELECT {TEAM_COLS} FROM teams t WHERE t.id = $1 AND t.org_id = $2");
                Ok(sqlx::query_as::<_, TeamRow>(&sql)
                    .bind(id.0)
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(not_found("team"))?
                    .into_domain())
            }

            async fn list_teams(&self, org: OrgId) -> StorageResult<Vec<Team>> {
                let sql = format!("SELECT {TEAM_COLS} FROM teams t WHERE t.org_id = $1 ORDER BY t.name, t.id");
                Ok(sqlx::query_as::<_, TeamRow>(&sql)
                    .bind(org.0)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(TeamRow::into_domain)
                    .collect())
            }

            async fn update_team(&self, actor: Actor, id: TeamId, upd: &NewTeam) -> StorageResult<Team> {
                let mut tx = self.begin().await?;
                if let Some(lead) = upd.lead_id {
                    ensure_in_org(&mut tx, "users", "lead_id", lead.0, actor.org_id).await?;
                }
                let done = sqlx::query("UPDATE teams SET name = $1, lead_id = $2 WHERE id = $3 AND org_id = $4")
                    .bind(upd.name.as_str())
                    .bind(upd.lead_id.map(|u| u.0))
                    .bind(id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(unique_as_conflict("name", "a team with this name already exists"))?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "team" });
                }
                audit(&mut tx, actor, "update", "team", id, json!({"name": upd.name.as_str(), "lead_id": upd.lead_id})).await?;
                tx.commit().await?;
                self.get_team(actor.org_id, id).await
            }

            async fn delete_team(&self, actor: Actor, id: TeamId) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                // Members stay; they simply have no team until reassigned.
                sqlx::query("UPDATE users SET team_id = NULL WHERE team_id = $1 AND org_id = $2")
                    .bind(id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query("DELETE FROM teams WHERE id = $1 AND org_id = $2")
                    .bind(id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "team" });
                }
                audit(&mut tx, actor, "delete", "team", id, json!({})).await?;
                tx.commit().await?;
                Ok(())
            }

            // ---- customers ----

            async fn create_customer(&self, actor: Actor, new: &NewCustomer) -> StorageResult<Customer> {
                let mut tx = self.begin().await?;
                let now = Utc::now();
                let sql = format!(
                    "INSERT INTO customers (org_id, external_id, name, locale, email, phone, consent_email, \
                     consent_sms, consent_research, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {CUSTOMER_COLS}"
                );
                let row: CustomerRow = sqlx::query_as(&sql)
                    .bind(actor.org_id.0)
                    .bind(new.external_id.as_str())
                    .bind(new.name.as_str())
                    .bind(new.locale.as_str())
                    .bind(new.email.as_ref().map(Email::as_str))
                    .bind(new.phone.as_ref().map(Phone::as_str))
                    .bind(new.consent.email)
                    .bind(new.consent.sms)
                    .bind(new.consent.research)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(unique_as_conflict("external_id", "a customer with this external id already exists"))?;
                // Ids only: the audit log must not become a second copy of personal data.
                audit(&mut tx, actor, "create", "customer", row.id, json!({"external_id": new.external_id.as_str()})).await?;
                tx.commit().await?;
                row.into_domain()
            }

            async fn upsert_customers(&self, actor: Actor, batch: &[NewCustomer]) -> StorageResult<u64> {
                let mut tx = self.begin().await?;
                let now = Utc::now();
                let mut inserted = 0u64;
                for c in batch {
                    let existing: Option<(i64,)> =
                        sqlx::query_as("SELECT id FROM customers WHERE org_id = $1 AND external_id = $2")
                            .bind(actor.org_id.0)
                            .bind(c.external_id.as_str())
                            .fetch_optional(&mut *tx)
                            .await?;
                    let q = if let Some((id,)) = existing {
                        sqlx::query(
                            "UPDATE customers SET name = $2, locale = $3, email = $4, phone = $5, consent_email = $6, \
                             consent_sms = $7, consent_research = $8, updated_at = $9 WHERE id = $1",
                        )
                        .bind(id)
                    } else {
                        inserted += 1;
                        sqlx::query(
                            "INSERT INTO customers (org_id, external_id, name, locale, email, phone, consent_email, \
                             consent_sms, consent_research, created_at, updated_at) \
                             VALUES ($10, $1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
                        )
                        .bind(c.external_id.as_str())
                    };
                    let q = q
                        .bind(c.name.as_str())
                        .bind(c.locale.as_str())
                        .bind(c.email.as_ref().map(Email::as_str))
                        .bind(c.phone.as_ref().map(Phone::as_str))
                        .bind(c.consent.email)
                        .bind(c.consent.sms)
                        .bind(c.consent.research)
                        .bind(now);
                    let q = if existing.is_some() { q } else { q.bind(actor.org_id.0) };
                    q.execute(&mut *tx).await?;
                }
                audit(&mut tx, actor, "import", "customer", "*",
                    json!({"rows": batch.len(), "inserted": inserted})).await?;
                tx.commit().await?;
                Ok(inserted)
            }

            async fn get_customer(&self, org: OrgId, id: CustomerId) -> StorageResult<Customer> {
                let sql = format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id = $1 AND org_id = $2");
                sqlx::query_as::<_, CustomerRow>(&sql)
                    .bind(id.0)
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(not_found("customer"))?
                    .into_domain()
            }

            async fn list_customers(&self, org: OrgId, filter: &CustomerFilter) -> StorageResult<CustomerPage> {
                let pattern = filter.search.as_deref().map(|s| {
                    let escaped = s.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                    format!("%{escaped}%")
                });
                let cond = "org_id = $1 AND ($2 IS NULL OR LOWER(name) LIKE $2 ESCAPE '\\' \
                            OR LOWER(external_id) LIKE $2 ESCAPE '\\' OR LOWER(COALESCE(email, '')) LIKE $2 ESCAPE '\\') \
                            AND ($3 IS NULL OR locale = $3)";
                let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM customers WHERE {cond}"))
                    .bind(org.0)
                    .bind(pattern.as_deref())
                    .bind(filter.locale.map(Locale::as_str))
                    .fetch_one(&self.pool)
                    .await?;
                let sql = format!(
                    "SELECT {CUSTOMER_COLS} FROM customers WHERE {cond} ORDER BY name, id LIMIT $4 OFFSET $5"
                );
                let items = sqlx::query_as::<_, CustomerRow>(&sql)
                    .bind(org.0)
                    .bind(pattern.as_deref())
                    .bind(filter.locale.map(Locale::as_str))
                    .bind(filter.limit)
                    .bind(filter.offset)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(CustomerRow::into_domain)
                    .collect::<StorageResult<Vec<_>>>()?;
                Ok(CustomerPage { items, total })
            }

            async fn update_customer(&self, actor: Actor, id: CustomerId, upd: &NewCustomer) -> StorageResult<Customer> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE customers SET external_id = $1, name = $2, locale = $3, email = $4, phone = $5, \
                     consent_email = $6, consent_sms = $7, consent_research = $8, updated_at = $9 \
                     WHERE id = $10 AND org_id = $11",
                )
                .bind(upd.external_id.as_str())
                .bind(upd.name.as_str())
                .bind(upd.locale.as_str())
                .bind(upd.email.as_ref().map(Email::as_str))
                .bind(upd.phone.as_ref().map(Phone::as_str))
                .bind(upd.consent.email)
                .bind(upd.consent.sms)
                .bind(upd.consent.research)
                .bind(Utc::now())
                .bind(id.0)
                .bind(actor.org_id.0)
                .execute(&mut *tx)
                .await
                .map_err(unique_as_conflict("external_id", "a customer with this external id already exists"))?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "customer" });
                }
                audit(&mut tx, actor, "update", "customer", id, json!({"consent": upd.consent})).await?;
                tx.commit().await?;
                self.get_customer(actor.org_id, id).await
            }

            async fn delete_customer(&self, actor: Actor, id: CustomerId) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query("DELETE FROM customers WHERE id = $1 AND org_id = $2")
                    .bind(id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "customer" });
                }
                audit(&mut tx, actor, "delete", "customer", id, json!({})).await?;
                tx.commit().await?;
                Ok(())
            }

            // ---- journeys ----

            async fn create_journey(&self, actor: Actor, new: &NewJourney) -> StorageResult<JourneyMap> {
                let mut tx = self.begin().await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO journeys (org_id, name, description, locale, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(actor.org_id.0)
                .bind(new.name.as_str())
                .bind(new.description.as_ref().map(Text::as_str))
                .bind(new.locale.as_str())
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await?;
                for (pos, kind) in StageKind::DEFAULTS.into_iter().enumerate() {
                    sqlx::query("INSERT INTO stages (org_id, journey_id, kind, name, position) VALUES ($1, $2, $3, $4, $5)")
                        .bind(actor.org_id.0)
                        .bind(id)
                        .bind(kind.as_str())
                        .bind(kind.default_name(new.locale))
                        .bind(pos as i64)
                        .execute(&mut *tx)
                        .await?;
                }
                audit(&mut tx, actor, "create", "journey", id, json!({"name": new.name.as_str()})).await?;
                tx.commit().await?;
                self.get_journey(actor.org_id, JourneyId(id)).await
            }

            async fn list_journeys(&self, org: OrgId) -> StorageResult<Vec<Journey>> {
                sqlx::query_as::<_, JourneyRow>(
                    "SELECT id, org_id, name, description, locale, created_at FROM journeys WHERE org_id = $1 ORDER BY name, id",
                )
                .bind(org.0)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(JourneyRow::into_domain)
                .collect()
            }

            async fn get_journey(&self, org: OrgId, id: JourneyId) -> StorageResult<JourneyMap> {
                let journey = self.fetch_journey(org, id).await?;
                let stages = sqlx::query_as::<_, StageRow>(
                    "SELECT id, journey_id, kind, name, position FROM stages WHERE journey_id = $1 ORDER BY position, id",
                )
                .bind(id.0)
                .fetch_all(&self.pool)
                .await?;
                let sql = format!(
                    "SELECT {TOUCHPOINT_COLS} FROM touchpoints WHERE journey_id = $1 ORDER BY stage_id, position, id"
                );
                let mut touchpoints = sqlx::query_as::<_, TouchpointRow>(&sql)
                    .bind(id.0)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(TouchpointRow::into_domain)
                    .collect::<StorageResult<Vec<_>>>()?;
                let mut out = Vec::with_capacity(stages.len());
                for s in stages {
                    let stage = s.into_domain()?;
                    let (mine, rest): (Vec<_>, Vec<_>) =
                        touchpoints.into_iter().partition(|t| t.stage_id == stage.id);
                    touchpoints = rest;
                    out.push(StageWithTouchpoints { stage, touchpoints: mine });
                }
                Ok(JourneyMap { journey, stages: out })
            }

            async fn update_journey(&self, actor: Actor, id: JourneyId, upd: &NewJourney) -> StorageResult<Journey> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE journeys SET name = $1, description = $2, locale = $3 WHERE id = $4 AND org_id = $5",
                )
                .bind(upd.name.as_str())
                .bind(upd.description.as_ref().map(Text::as_str))
                .bind(upd.locale.as_str())
                .bind(id.0)
                .bind(actor.org_id.0)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "journey" });
                }
                audit(&mut tx, actor, "update", "journey", id, json!({"name": upd.name.as_str()})).await?;
                tx.commit().await?;
                self.fetch_journey(actor.org_id, id).await
            }

            async fn delete_journey(&self, actor: Actor, id: JourneyId) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                refuse_if_surveyed(&mut tx, "journey_id", id.0).await?;
                for table in ["touchpoints", "stages"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE journey_id = $1 AND org_id = $2"))
                        .bind(id.0)
                        .bind(actor.org_id.0)
                        .execute(&mut *tx)
                        .await?;
                }
                let done = sqlx::query("DELETE FROM journeys WHERE id = $1 AND org_id = $2")
                    .bind(id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "journey" });
                }
                audit(&mut tx, actor, "delete", "journey", id, json!({})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_stage(&self, actor: Actor, journey: JourneyId, new: &NewStage) -> StorageResult<Stage> {
                let mut tx = self.begin().await?;
                ensure_in_org(&mut tx, "journeys", "journey_id", journey.0, actor.org_id).await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO stages (org_id, journey_id, kind, name, position) VALUES ($1, $2, $3, $4, -1) RETURNING id",
                )
                .bind(actor.org_id.0)
                .bind(journey.0)
                .bind(new.kind.as_str())
                .bind(new.name.as_str())
                .fetch_one(&mut *tx)
                .await?;
                place(&mut tx, "stages", "journey_id", id, None, journey.0, new.position).await?;
                audit(&mut tx, actor, "create", "stage", id, json!({"journey_id": journey, "name": new.name.as_str()})).await?;
                tx.commit().await?;
                self.fetch_stage(actor.org_id, StageId(id)).await
            }

            async fn update_stage(&self, actor: Actor, id: StageId, upd: &NewStage) -> StorageResult<Stage> {
                let current = self.fetch_stage(actor.org_id, id).await?;
                let mut tx = self.begin().await?;
                sqlx::query("UPDATE stages SET name = $1, kind = $2 WHERE id = $3 AND org_id = $4")
                    .bind(upd.name.as_str())
                    .bind(upd.kind.as_str())
                    .bind(id.0)
                    .bind(actor.org_id.0)
                    .execute(&mut *tx)
                    .await?;
                let j = current.journey_id.0;
                place(&mut tx, "stages", "journey_id", id.0, Some((j, current.position)), j,
                    Some(upd.position.unwrap_or(current.position))).await?;
                audit(&mut tx, actor, "update", "stage", id, json!({"name": upd.name.as_str(), "position": upd.position})).await?;
                tx.commit().await?;
                self.fetch_stage(actor.org_id, id).await
            }

            async fn delete_stage(&self, actor: Actor, id: StageId) -> StorageResult<()> {
                let current = self.fetch_stage(actor.org_id, id).await?;
                let mut tx = self.begin().await?;
                refuse_if_surveyed(&mut tx, "stage_id", id.0).await?;
                sqlx::query("DELETE FROM touchpoints WHERE stage_id = $1").bind(id.0).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM stages WHERE id = $1").bind(id.0).execute(&mut *tx).await?;
                sqlx::query("UPDATE stages SET position = position - 1 WHERE journey_id = $1 AND position > $2")
                    .bind(current.journey_id.0)
                    .bind(current.position)
                    .execute(&mut *tx)
                    .await?;
                audit(&mut tx, actor, "delete", "stage", id, json!({"journey_id": current.journey_id})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_touchpoint(&self, actor: Actor, new: &NewTouchpoint) -> StorageResult<Touchpoint> {
                let stage = self.fetch_stage(actor.org_id, new.stage_id).await.map_err(|e| match e {
                    StorageError::NotFound { .. } => StorageError::Invalid {
                        field: "stage_id",
                        message: "no such stage in this organisation".into(),
                    },
                    other => other,
                })?;
                let mut tx = self.begin().await?;
                if let Some(owner) = new.owner_id {
                    ensure_in_org(&mut tx, "users", "owner_id", owner.0, actor.org_id).await?;
                }
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO touchpoints (org_id, journey_id, stage_id, name, channel, owner_id, promise, position) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, -1) RETURNING id",
                )
                .bind(actor.org_id.0)
                .bind(stage.journey_id.0)
                .bind(stage.id.0)
                .bind(new.name.as_str())
                .bind(new.channel.as_str())
                .bind(new.owner_id.map(|u| u.0))
                .bind(new.promise.as_ref().map(Text::as_str))
                .fetch_one(&mut *tx)
                .await?;
                place(&mut tx, "touchpoints", "stage_id", id, None, stage.id.0, new.position).await?;
                audit(&mut tx, actor, "create", "touchpoint", id,
                    json!({"stage_id": stage.id, "name": new.name.as_str(), "channel": new.channel})).await?;
                tx.commit().await?;
                self.get_touchpoint(actor.org_id, TouchpointId(id)).await
            }

            async fn get_touchpoint(&self, org: OrgId, id: TouchpointId) -> StorageResult<Touchpoint> {
                let sql = format!("SELECT {TOUCHPOINT_COLS} FROM touchpoints WHERE id = $1 AND org_id = $2");
                sqlx::query_as::<_, TouchpointRow>(&sql)
                    .bind(id.0)
                    .bind(org.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(not_found("touchpoint"))?
                    .into_domain()
            }

            async fn update_touchpoint(&self, actor: Actor, id: TouchpointId, upd: &NewTouchpoint) -> StorageResult<Touchpoint> {
                let current = self.get_touchpoint(actor.org_id, id).await?;
                let target = self.fetch_stage(actor.org_id, upd.stage_id).await.map_err(|e| match e {
                    StorageError::NotFound { .. } => StorageError::Invalid {
                        field: "stage_id",
                        message: "no such stage in this organisation".into(),
                    },
                    other => other,
                })?;
                if target.journey_id != current.journey_id {
                    return Err(StorageError::Invalid {
                        field: "stage_id",
                        message: "a touchpoint can move only between stages of its own journey".into(),
                    });
                }
                let mut tx = self.begin().await?;
                if let Some(owner) = upd.owner_id {
                    ensure_in_org(&mut tx, "users", "owner_id", owner.0, actor.org_id).await?;
                }
                sqlx::query("UPDATE touchpoints SET name = $1, channel = $2, owner_id = $3, promise = $4 WHERE id = $5")
                    .bind(upd.name.as_str())
                    .bind(upd.channel.as_str())
                    .bind(upd.owner_id.map(|u| u.0))
                    .bind(upd.promise.as_ref().map(Text::as_str))
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                let keep = if target.id == current.stage_id { Some(current.position) } else { None };
                place(&mut tx, "touchpoints", "stage_id", id.0, Some((current.stage_id.0, current.position)),
                    target.id.0, upd.position.or(keep)).await?;
                audit(&mut tx, actor, "update", "touchpoint", id,
                    json!({"stage_id": target.id, "name": upd.name.as_str(), "promise": upd.promise.as_ref().map(Text::as_str)})).await?;
                tx.commit().await?;
                self.get_touchpoint(actor.org_id, id).await
            }

            async fn delete_touchpoint(&self, actor: Actor, id: TouchpointId) -> StorageResult<()> {
                let current = self.get_touchpoint(actor.org_id, id).await?;
                let mut tx = self.begin().await?;
                refuse_if_surveyed(&mut tx, "id", id.0).await?;
                sqlx::query("DELETE FROM touchpoints WHERE id = $1").bind(id.0).execute(&mut *tx).await?;
                sqlx::query("UPDATE touchpoints SET position = position - 1 WHERE stage_id = $1 AND position > $2")
                    .bind(current.stage_id.0)
                    .bind(current.position)
                    .execute(&mut *tx)
                    .await?;
                audit(&mut tx, actor, "delete", "touchpoint", id, json!({"stage_id": current.stage_id})).await?;
                tx.commit().await?;
                Ok(())
            }

            // ---- audit ----

            async fn list_audit(&self, org: OrgId, limit: i64) -> StorageResult<Vec<AuditEntry>> {
                Ok(sqlx::query_as::<_, AuditRow>(
                    "SELECT id, actor_id, action, entity, entity_id, detail, at FROM audit_log \
                     WHERE org_id = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(org.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(AuditRow::into_domain)
                .collect())
            }

            // ---- sessions ----

            async fn create_session(&self, user: UserId, token_hash: &str, csrf_token: &str, expires_at: DateTime<Utc>) -> StorageResult<()> {
                let now = Utc::now();
                // Opportunistic clean-up keeps the table small without a separate job.
                sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
                sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(token_hash)
                    .bind(user.0)
                    .bind(csrf_token)
                    .bind(now)
                    .bind(expires_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn find_session(&self, token_hash: &str, now: DateTime<Utc>) -> StorageResult<Option<SessionInfo>> {
                let sql = format!(
                    "SELECT {USER_COLS}, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = TRUE"
                );
                let row: Option<SessionRow> = sqlx::query_as(&sql)
                    .bind(token_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    Ok(SessionInfo { user: r.user.into_domain()?, csrf_token: r.csrf_token, expires_at: r.expires_at })
                })
                .transpose()
            }

            async fn delete_session(&self, token_hash: &str) -> StorageResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
                Ok(())
            }

            // ---- API tokens ----

            async fn create_api_token(&self, actor: Actor, user: UserId, name: &Name, prefix: &str, token_hash: &str) -> StorageResult<ApiToken> {
                let mut tx = self.begin().await?;
                ensure_in_org(&mut tx, "users", "user_id", user.0, actor.org_id).await?;
                let row: TokenRow = sqlx::query_as(
                    "INSERT INTO api_tokens (org_id, user_id, name, prefix, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     RETURNING id, user_id, name, prefix, created_at, last_used_at, revoked_at",
                )
                .bind(actor.org_id.0)
                .bind(user.0)
                .bind(name.as_str())
                .bind(prefix)
                .bind(token_hash)
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await?;
                audit(&mut tx, actor, "create", "api_token", row.id, json!({"user_id": user, "name": name.as_str()})).await?;
                tx.commit().await?;
                Ok(row.into_domain())
            }

            async fn find_api_token(&self, token_hash: &str, now: DateTime<Utc>) -> StorageResult<Option<User>> {
                #[derive(sqlx::FromRow)]
                struct TokenUser {
                    #[sqlx(flatten)]
                    user: UserRow,
                    stale: bool,
                }
                // `stale` says whether last_used_at needs a write, so the usual request does none
                // (an UPDATE that changes nothing still takes SQLite's one write lock).
                let sql = format!(
                    "SELECT {USER_COLS}, (k.last_used_at IS NULL OR k.last_used_at < $2) AS stale \
                     FROM api_tokens k JOIN users u ON u.id = k.user_id \
                     WHERE k.token_hash = $1 AND k.revoked_at IS NULL AND u.active = TRUE"
                );
                let found: Option<TokenUser> = sqlx::query_as(&sql)
                    .bind(token_hash)
                    .bind(now - chrono::Duration::seconds(60))
                    .fetch_optional(&self.pool)
                    .await?;
                let stale = found.as_ref().is_some_and(|f| f.stale);
                let row = found.map(|f| f.user);
                if stale {
                    // At most one write a minute per token, so busy integrations do not serialise on it.
                    sqlx::query(
                        "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
                    )
                    .bind(now)
                    .bind(token_hash)
                    .bind(now - chrono::Duration::seconds(60))
                    .execute(&self.pool)
                    .await?;
                }
                row.map(UserRow::into_domain).transpose()
            }

            async fn list_api_tokens(&self, org: OrgId, user: UserId) -> StorageResult<Vec<ApiToken>> {
                Ok(sqlx::query_as::<_, TokenRow>(
                    "SELECT id, user_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens \
                     WHERE org_id = $1 AND user_id = $2 ORDER BY id",
                )
                .bind(org.0)
                .bind(user.0)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(TokenRow::into_domain)
                .collect())
            }

            async fn revoke_api_token(&self, actor: Actor, user: UserId, id: TokenId) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND org_id = $4 AND revoked_at IS NULL",
                )
                .bind(Utc::now())
                .bind(id.0)
                .bind(user.0)
                .bind(actor.org_id.0)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "api_token" });
                }
                audit(&mut tx, actor, "revoke", "api_token", id, json!({})).await?;
                tx.commit().await?;
                Ok(())
            }

            $($voc)*

            // ---- login throttling ----

            async fn record_login_attempt(&self, email: &str, ip: &str, success: bool, at: DateTime<Utc>) -> StorageResult<()> {
                sqlx::query("INSERT INTO login_attempts (email, ip, success, at) VALUES ($1, $2, $3, $4)")
                    .bind(email)
                    .bind(ip)
                    .bind(success)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn recent_login_failures(&self, email: &str, ip: &str, since: DateTime<Utc>) -> StorageResult<(i64, i64)> {
                Ok(sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM login_attempts WHERE email = $1 AND success = FALSE AND at > $3), \
                            (SELECT COUNT(*) FROM login_attempts WHERE ip = $2 AND success = FALSE AND at > $3)",
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

pub(crate) use storage_impl;
pub(crate) use storage_impl_inner;
