//! Handing claimed jobs back at shutdown (`release_jobs`), on both backends.

use chrono::{Duration, Utc};
use rapport_storage::testing;

#[tokio::test]
async fn released_jobs_are_queued_again_on_sqlite() {
    released_jobs_are_queued_again(testing::sqlite()).await;
}

#[tokio::test]
async fn released_jobs_are_queued_again_on_postgres() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    released_jobs_are_queued_again(db).await;
}

async fn released_jobs_are_queued_again(db: testing::TestDb) {
    let store = rapport_storage::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let now = Utc::now();
    let lease = Duration::seconds(120);
    for n in 0..3 {
        store
            .enqueue_job(None, "test_kind", &serde_json::json!({ "n": n }), now)
            .await
            .unwrap();
    }
    let claimed = store
        .claim_jobs("worker-a", now, lease, "test_kind", 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    assert!(claimed.iter().all(|j| j.attempts == 1));
    let ids: Vec<i64> = claimed.iter().map(|j| j.id).collect();

    // Another worker cannot hand back what it does not hold.
    store.release_jobs("worker-b", &ids, now).await.unwrap();
    assert_eq!(
        store.job_counts().await.unwrap(),
        vec![("running".to_string(), 3)]
    );

    store
        .release_jobs("worker-a", &ids[1..], now)
        .await
        .unwrap();
    assert_eq!(
        store.job_counts().await.unwrap(),
        vec![("queued".to_string(), 2), ("running".to_string(), 1)]
    );
    // Claimable at once by anyone (no lease to wait out), and the handed-back attempt did not
    // count.
    let again = store
        .claim_jobs("worker-b", Utc::now(), lease, "test_kind", 10)
        .await
        .unwrap();
    let mut again_ids: Vec<i64> = again.iter().map(|j| j.id).collect();
    again_ids.sort_unstable();
    assert_eq!(again_ids, ids[1..].to_vec());
    assert!(again.iter().all(|j| j.attempts == 1), "{again:?}");
    store.close().await;
}
