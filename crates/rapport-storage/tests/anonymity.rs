//! Anonymity by construction: the tables that hold anonymous answers (pulse answers, shift
//! check-ins, manager ratings) have no column that could name or time-stamp a person, on both
//! backends. A schema change that adds one fails here.

use rapport_storage::testing;

const ANONYMOUS: [&str; 3] = ["pulse_responses", "checkins", "manager_ratings"];
const FORBIDDEN: [&str; 8] = [
    "user_id",
    "rater_id",
    "email",
    "invitation_id",
    "token_hash",
    "created_at",
    "submitted_at",
    "session_id",
];

fn check(table: &str, columns: &[String]) {
    assert!(!columns.is_empty(), "{table} exists");
    for c in columns {
        assert!(
            !FORBIDDEN.contains(&c.as_str()),
            "{table}.{c} could join an anonymous answer to a person"
        );
    }
}

#[tokio::test]
async fn sqlite_anonymous_tables_hold_no_person() {
    let db = testing::sqlite();
    let store = rapport_storage::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    for t in ANONYMOUS {
        let cols: Vec<(String,)> =
            sqlx::query_as(&format!("SELECT name FROM pragma_table_info('{t}')"))
                .fetch_all(&pool)
                .await
                .unwrap();
        check(t, &cols.into_iter().map(|(c,)| c).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn postgres_anonymous_tables_hold_no_person() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    let store = rapport_storage::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    for t in ANONYMOUS {
        let cols: Vec<(String,)> = sqlx::query_as(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1 AND table_schema = current_schema()",
        )
        .bind(t)
        .fetch_all(&pool)
        .await
        .unwrap();
        check(t, &cols.into_iter().map(|(c,)| c).collect::<Vec<_>>());
    }
}
