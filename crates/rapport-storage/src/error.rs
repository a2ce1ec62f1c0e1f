//! The storage layer's one error enum.

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// A uniqueness rule was broken, e.g. an e-mail already in use.
    #[error("{field}: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    /// A reference to something that does not exist in this organisation.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The database cannot be reached now; callers answer 503 and retry later.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored value no longer parses: a bug or a manual edit, never user input.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("configuration: {0}")]
    Config(String),
}

pub type StorageResult<T> = Result<T, StorageError>;

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                StorageError::Unavailable(e)
            }
            other => StorageError::Database(other),
        }
    }
}

impl From<rapport_domain::DomainError> for StorageError {
    fn from(e: rapport_domain::DomainError) -> Self {
        StorageError::Corrupt(e.to_string())
    }
}

/// Maps a unique-constraint violation to a `Conflict` on `field`, anything else as usual.
pub(crate) fn unique_as_conflict(
    field: &'static str,
    message: &'static str,
) -> impl FnOnce(sqlx::Error) -> StorageError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StorageError::Conflict {
            field,
            message: message.to_string(),
        },
        _ => StorageError::from(e),
    }
}
