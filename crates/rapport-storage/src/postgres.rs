//! PostgreSQL backend: for several stateless Rapport instances sharing one database.

use sqlx::postgres::{PgPool, PgPoolOptions};

pub struct PgStore {
    pool: PgPool,
    /// Group commit of single-response inserts.
    group: crate::sql_voc::ResponseGroup,
}

impl PgStore {
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
    const SKIP_LOCKED: &'static str = "FOR UPDATE SKIP LOCKED";
    const BEGIN: &'static str = "BEGIN";

    pub async fn connect(url: &str) -> crate::StorageResult<Self> {
        Self::connect_with(url, crate::PoolOptions::default()).await
    }

    pub async fn connect_with(url: &str, opts: crate::PoolOptions) -> crate::StorageResult<Self> {
        // A short acquire timeout makes requests fail fast (503) while the database is down.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(opts.acquire_timeout)
            .connect(url)
            .await?;
        Ok(Self {
            pool,
            group: Default::default(),
        })
    }
}

crate::sql_impl::storage_impl!(PgStore, sqlx::Postgres, Backend::Postgres);
crate::closed_loop::closed_loop_impl!(PgStore);
crate::frontline::frontline_impl!(PgStore);
crate::ambassadorship::ambassadorship_impl!(PgStore);
crate::semantic::semantic_impl!(PgStore);
crate::password_reset::password_reset_impl!(PgStore);
