//! SQLite backend: the embedded default. WAL lets readers proceed while one writer commits.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub struct SqliteStore {
    pool: SqlitePool,
    /// Group commit of single-response inserts.
    group: crate::sql_voc::ResponseGroup,
}

impl SqliteStore {
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
    /// SQLite has one writer at a time, so a plain UPDATE … RETURNING claims atomically.
    const SKIP_LOCKED: &'static str = "";
    /// Take the write lock up front: a read-then-write transaction would otherwise fail with
    /// SQLITE_BUSY_SNAPSHOT when another writer commits in between.
    const BEGIN: &'static str = "BEGIN IMMEDIATE";

    pub async fn connect(url: &str) -> crate::StorageResult<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| crate::StorageError::Config(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Self {
            pool,
            group: Default::default(),
        })
    }
}

crate::sql_impl::storage_impl!(SqliteStore, sqlx::Sqlite, Backend::Sqlite);
crate::closed_loop::closed_loop_impl!(SqliteStore);
crate::frontline::frontline_impl!(SqliteStore);
crate::ambassadorship::ambassadorship_impl!(SqliteStore);
crate::semantic::semantic_impl!(SqliteStore);
crate::password_reset::password_reset_impl!(SqliteStore);
