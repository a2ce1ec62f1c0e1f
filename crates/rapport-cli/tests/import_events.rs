//! `rapport import events` as a real process: row and column errors, nothing from a bad row,
//! idempotent re-runs, agents' teams recorded.

use std::process::{Command, Output};

use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::{testing, Actor};

async fn run(db: testing::TestDb) {
    let store = rapport_storage::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let org = store
        .create_organisation(&NewOrganisation {
            name: Name::parse("n", "Aurora").unwrap(),
            slug: "aurora".into(),
            default_locale: Locale::En,
        })
        .await
        .unwrap();
    let a = Actor::system(org.id);
    let team = store
        .create_team(
            a,
            &NewTeam {
                name: Name::parse("n", "Athens").unwrap(),
                lead_id: None,
            },
        )
        .await
        .unwrap();
    store
        .create_user(
            a,
            &NewUser {
                email: Email::parse("e", "eleni@aurora.example").unwrap(),
                display_name: Name::parse("n", "Ελένη").unwrap(),
                role: Role::Agent,
                team_id: Some(team.id),
                locale: Locale::El,
                password_hash: None,
            },
        )
        .await
        .unwrap();
    let customer = store
        .create_customer(
            a,
            &NewCustomer {
                external_id: Name::parse("e", "AUR-1").unwrap(),
                name: Name::parse("n", "Γιώργος").unwrap(),
                locale: Locale::El,
                email: None,
                phone: None,
                consent: Consent::default(),
            },
        )
        .await
        .unwrap();
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("rapport-events-{n:x}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("events.csv");
    std::fs::write(
        &file,
        "\u{feff}customer_external_id,kind,occurred_at,external_id,agent_email,amount,notes\n\
         AUR-1,purchase,2026-03-01T10:00:00Z,crm-1,eleni@aurora.example,120.50,first\n\
         AUR-1,teleport,2026-03-02T10:00:00Z,crm-2,,,bad kind\n\
         AUR-404,renewal,2026-03-03 09:00:00,crm-3,,,unknown customer\n\
         AUR-1,referral,2026-03-04 09:00:00,,,,no id: hashed\n\
         AUR-1,churn,yesterday,crm-5,,,bad date\n",
    )
    .unwrap();
    let import = || -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
            .args(["import", "events", "--org", "aurora", "--file"])
            .arg(&file)
            .args(["--database-url", &db.url])
            .env("RAPPORT_LOG", "warn")
            .output()
            .unwrap();
        eprintln!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let out = import();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ignoring columns: notes"), "{stderr}");
    assert!(stderr.contains("row 3, column kind:"), "{stderr}");
    assert!(
        stderr.contains("row 4, column customer_external_id:"),
        "{stderr}"
    );
    assert!(stderr.contains("row 6, column occurred_at:"), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 2, already present 0, rejected 3")
    );
    let events = store.customer_events(org.id, customer.id).await.unwrap();
    assert_eq!(events.len(), 2);
    let purchase = events.iter().find(|e| e.external_id == "crm-1").unwrap();
    assert_eq!(purchase.team_id, Some(team.id));
    assert_eq!(purchase.amount, Some(120.5));
    let out = import();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 0, already present 2, rejected 3")
    );
    assert_eq!(
        store
            .customer_events(org.id, customer.id)
            .await
            .unwrap()
            .len(),
        2
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_events_import_reports_rows_and_is_idempotent() {
    run(testing::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_events_import_reports_rows_and_is_idempotent() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    run(db).await;
}
