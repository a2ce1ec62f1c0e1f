//! `rapport backup` / `restore` round trip on SQLite, and `export-customer` / `purge-customer`
//! on both backends: everything about one customer out, then gone, others untouched.

use std::process::{Command, Output};

use rapport_domain::ambassadorship::{EventKind, NewEvent};
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::{testing, Actor, Storage};

fn rapport(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(args)
        .env("RAPPORT_LOG", "warn")
        .output()
        .unwrap();
    eprintln!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn tmpdir() -> std::path::PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let d = std::env::temp_dir().join(format!("rapport-data-{n:x}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn seed(store: &dyn Storage) -> (OrgId, CustomerId, CustomerId) {
    let org = store
        .create_organisation(&NewOrganisation {
            name: Name::parse("n", "Aurora").unwrap(),
            slug: "aurora".into(),
            default_locale: Locale::En,
        })
        .await
        .unwrap();
    let a = Actor::system(org.id);
    let mut ids = vec![];
    for (ext, name) in [("AUR-1", "Νίκος Π."), ("AUR-2", "דנה כהן")] {
        let c = store
            .create_customer(
                a,
                &NewCustomer {
                    external_id: Name::parse("e", ext).unwrap(),
                    name: Name::parse("n", name).unwrap(),
                    locale: Locale::El,
                    email: None,
                    phone: None,
                    consent: Consent::default(),
                },
            )
            .await
            .unwrap();
        let t = rapport_domain::conversation::parse_json(
            &serde_json::json!({"id": format!("call-{ext}"), "channel": "phone", "customer": ext,
                "turns": [{"speaker": "customer", "text": "Η ασφάλεια δεν πλήρωσε ακόμα."}]})
            .to_string(),
        )
        .unwrap();
        store
            .store_conversation(a, &t, chrono::Utc::now())
            .await
            .unwrap();
        store
            .record_events(
                a,
                c.id,
                &[NewEvent {
                    kind: EventKind::Renewal,
                    occurred_at: chrono::Utc::now(),
                    external_id: format!("ev-{ext}"),
                    agent_id: None,
                    touchpoint_id: None,
                    amount: Some(300.0),
                }],
            )
            .await
            .unwrap();
        ids.push(c.id);
    }
    (org.id, ids[0], ids[1])
}

async fn export_and_purge(db: testing::TestDb) {
    let store = rapport_storage::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let (org, one, two) = seed(&*store).await;
    let dir = tmpdir();
    let file = dir.join("aur-1.json");
    let out = rapport(&[
        "export-customer",
        "--database-url",
        &db.url,
        "--org",
        "aurora",
        "--customer",
        "AUR-1",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(doc["customer"]["name"], "Νίκος Π.");
    assert_eq!(doc["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(doc["events"].as_array().unwrap().len(), 1);

    let out = rapport(&[
        "purge-customer",
        "--database-url",
        &db.url,
        "--org",
        "aurora",
        "--customer",
        "AUR-1",
    ]);
    assert!(!out.status.success(), "purging needs --yes");
    assert!(store.get_customer(org, one).await.is_ok());
    let out = rapport(&[
        "purge-customer",
        "--database-url",
        &db.url,
        "--org",
        "aurora",
        "--customer",
        "AUR-1",
        "--yes",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 conversations, 0 cases, 1 events"));
    assert!(store.get_customer(org, one).await.is_err());
    assert!(store.customer_events(org, one).await.unwrap().is_empty());
    assert_eq!(
        store
            .conversation_id_by_external(org, "call-AUR-1")
            .await
            .unwrap(),
        None
    );
    // The other customer is untouched.
    assert!(store.get_customer(org, two).await.is_ok());
    assert!(store
        .conversation_id_by_external(org, "call-AUR-2")
        .await
        .unwrap()
        .is_some());
    let out = rapport(&[
        "export-customer",
        "--database-url",
        &db.url,
        "--org",
        "aurora",
        "--customer",
        "AUR-1",
    ]);
    assert!(!out.status.success(), "nothing left to export");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_export_and_purge_a_customer() {
    export_and_purge(testing::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_export_and_purge_a_customer() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    export_and_purge(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_restores_round_trip() {
    let dir = tmpdir();
    let live = dir.join("live.db");
    let url = format!("sqlite://{}", live.display());
    let store = rapport_storage::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let (org, one, _) = seed(&*store).await;
    let backup = dir.join("backup.db");
    let out = rapport(&[
        "backup",
        "--database-url",
        &url,
        "--to",
        backup.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let out = rapport(&[
        "backup",
        "--database-url",
        &url,
        "--to",
        backup.to_str().unwrap(),
    ]);
    assert!(
        !out.status.success(),
        "an existing backup is never overwritten"
    );
    // Something happens after the backup: it is lost on restore, as it should be.
    store
        .delete_customer(Actor::system(org), one)
        .await
        .unwrap();
    drop(store);
    let out = rapport(&[
        "restore",
        "--from",
        backup.to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    assert!(!out.status.success(), "an existing database needs --force");
    let out = rapport(&[
        "restore",
        "--from",
        backup.to_str().unwrap(),
        "--database-url",
        &url,
        "--force",
    ]);
    assert!(out.status.success());
    let store = rapport_storage::connect(&url).await.unwrap();
    assert!(
        store.get_customer(org, one).await.is_ok(),
        "the backup's state is back"
    );
    assert_eq!(store.customer_events(org, one).await.unwrap().len(), 1);
    let not_db = dir.join("notes.txt");
    std::fs::write(&not_db, "hello").unwrap();
    let out = rapport(&[
        "restore",
        "--from",
        not_db.to_str().unwrap(),
        "--database-url",
        &url,
        "--force",
    ]);
    assert!(
        !out.status.success(),
        "a file that is not a Rapport backup is refused"
    );
    assert!(
        store.get_customer(org, one).await.is_ok(),
        "and nothing was replaced"
    );
    let out = rapport(&[
        "backup",
        "--database-url",
        "postgres://x@127.0.0.1/y",
        "--to",
        "/tmp/x.db",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    let _ = std::fs::remove_dir_all(&dir);
}
