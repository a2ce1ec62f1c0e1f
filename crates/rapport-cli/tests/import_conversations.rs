//! `rapport import conversations` as a real process: JSON Lines with a bad line, a re-run,
//! redaction before storage, inline analysis, and Hebrew plain text and WebVTT files.

use std::path::PathBuf;
use std::process::{Command, Output};

use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::{testing, Actor, ConversationFilter, Storage};

struct Fixture {
    _db: testing::TestDb,
    url: String,
    store: std::sync::Arc<dyn Storage>,
    org: OrgId,
    agent: UserId,
    dir: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn fixture(db: testing::TestDb) -> Fixture {
    let url = db.url.clone();
    let store = rapport_storage::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let org = store
        .create_organisation(&NewOrganisation {
            name: Name::parse("n", "Aurora").unwrap(),
            slug: "aurora".into(),
            default_locale: Locale::En,
        })
        .await
        .unwrap();
    let agent = store
        .create_user(
            Actor::system(org.id),
            &NewUser {
                email: Email::parse("e", "dana@aurora.example").unwrap(),
                display_name: Name::parse("n", "דנה").unwrap(),
                role: Role::Agent,
                team_id: None,
                locale: Locale::He,
                password_hash: None,
            },
        )
        .await
        .unwrap()
        .id;
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("rapport-conv-{n:x}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    Fixture {
        _db: db,
        url,
        store,
        org: org.id,
        agent,
        dir,
    }
}

impl Fixture {
    fn import(&self, name: &str, body: &str, extra: &[&str]) -> Output {
        let p = self.dir.join(name);
        std::fs::write(&p, body).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
            .args(["import", "conversations", "--org", "aurora", "--file"])
            .arg(&p)
            .args(["--database-url", &self.url])
            .args(extra)
            .env("RAPPORT_LOG", "warn")
            .output()
            .unwrap();
        eprintln!(
            "stdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    async fn conversations(&self) -> Vec<rapport_domain::frontline::ConversationSummary> {
        self.store
            .list_conversations(
                self.org,
                &ConversationFilter {
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
    }
}

const JSONL: &str = concat!(
    r#"{"id": "c1", "channel": "chat", "agent": "dana@aurora.example", "language": "en", "turns": [{"speaker": "customer", "text": "My card 4111 1111 1111 1111 was charged twice, I'm furious."}, {"speaker": "agent", "text": "I'm so sorry, I will refund it today."}]}"#,
    "\n",
    r#"{"id": "c2", "channel": "phone", "turns": [{"speaker": "robot", "text": "beep"}]}"#,
    "\n\n",
    r#"{"id": "c3", "channel": "email", "turns": [{"speaker": "customer", "text": "Thanks, all sorted."}]}"#,
    "\n",
);

async fn json_lines_report_bad_lines_and_rerun_adds_nothing(db: testing::TestDb) {
    let f = fixture(db).await;
    let out = f.import("calls.jsonl", JSONL, &["--analyze"]);
    assert!(
        !out.status.success(),
        "a rejected line makes the exit code non-zero"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2: turns[0].speaker:"), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 2, already present 0, rejected 1")
    );
    let convs = f.conversations().await;
    assert_eq!(convs.len(), 2);
    let c1 = convs.iter().find(|c| c.external_id == "c1").unwrap();
    assert_eq!(c1.agent_id, Some(f.agent));
    assert!(
        c1.analysed && c1.qa_overall.is_some(),
        "--analyze scored it here"
    );
    let detail = f.store.get_conversation(f.org, c1.id).await.unwrap();
    assert!(
        detail.turns[0].text.contains("[CARD]") && !detail.turns[0].text.contains("4111"),
        "redacted before storage: {}",
        detail.turns[0].text
    );

    let out = f.import("calls.jsonl", JSONL, &[]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 0, already present 2, rejected 1")
    );
    assert_eq!(f.conversations().await.len(), 2, "re-running adds nothing");
}

async fn text_and_webvtt_files_are_one_conversation_each(db: testing::TestDb) {
    let f = fixture(db).await;
    let text =
        "לקוח: שלום, הטכנאי לא הגיע בפעם השלישית.\nנציג: אני מצטערת מאוד, אני מטפלת בזה עכשיו.\n";
    let out = f.import(
        "call-42.txt",
        text,
        &["--agent", "dana@aurora.example", "--language", "he"],
    );
    assert!(out.status.success());
    let vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Customer>I've been waiting all week.\n\n00:00:04.500 --> 00:00:07.000\n<v Agent Dana>I'm sorry, let me fix that now.\n";
    let out = f.import("call-43.vtt", vtt, &["--channel", "phone"]);
    assert!(out.status.success());
    let bad = "WEBVTT\n\n00:00:05.000 --> 00:00:01.000\n<v Customer>backwards\n";
    let out = f.import("call-44.vtt", bad, &[]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 3"),
        "the line is named"
    );
    let convs = f.conversations().await;
    assert_eq!(convs.len(), 2, "the malformed file stored nothing");
    let he = convs.iter().find(|c| c.external_id == "call-42").unwrap();
    assert_eq!(he.language.as_deref(), Some("he"));
    assert_eq!(he.turn_count, 2);
    let vtt = convs.iter().find(|c| c.external_id == "call-43").unwrap();
    assert_eq!(vtt.handle_seconds, Some(6.0));
    assert!(!vtt.analysed, "left to the worker without --analyze");
}

macro_rules! on_both {
    ($($name:ident),*) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(rapport_storage::testing::sqlite()).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(db) = rapport_storage::testing::postgres().await else { return };
                super::$name(db).await
            })*
        }
    };
}

on_both!(
    json_lines_report_bad_lines_and_rerun_adds_nothing,
    text_and_webvtt_files_are_one_conversation_each
);
