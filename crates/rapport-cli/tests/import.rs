//! `rapport import responses` run as a real process against a database prepared with the
//! storage API: SQLite always, PostgreSQL when `RAPPORT_TEST_DATABASE_URL` is set.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rapport_domain::model::*;
use rapport_domain::voc::{ResponseFilter, ResponseSource, SurveyStatus};
use rapport_domain::*;
use rapport_storage::{testing, Actor, Storage};

struct Fixture {
    _db: testing::TestDb,
    url: String,
    store: std::sync::Arc<dyn Storage>,
    org: OrgId,
    survey: i64,
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
    let mut customers = vec![];
    for (ext, name, locale) in [
        ("AUR-1", "נועה כהן", Locale::He),
        ("AUR-2", "Γιώργος Παπαδόπουλος", Locale::El),
        // Shares a prefix with AUR-1: lookups must match exactly.
        ("AUR-10", "Sam Jones", Locale::En),
    ] {
        customers.push(NewCustomer {
            external_id: Name::parse("e", ext).unwrap(),
            name: Name::parse("n", name).unwrap(),
            locale,
            email: None,
            phone: None,
            consent: Consent {
                email: false,
                sms: false,
                research: false,
            },
        });
    }
    store.upsert_customers(a, &customers).await.unwrap();
    let j = store
        .create_journey(
            a,
            &NewJourney {
                name: Name::parse("n", "Claims").unwrap(),
                description: None,
                locale: Locale::He,
            },
        )
        .await
        .unwrap();
    let tp = store
        .create_touchpoint(
            a,
            &NewTouchpoint {
                stage_id: j.stages[3].stage.id,
                name: Name::parse("n", "claims line").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let survey = store
        .create_survey(
            a,
            tp.id,
            &Name::parse("n", "After the call").unwrap(),
            &rapport_domain::survey::default_definition(),
            "pub-import",
        )
        .await
        .unwrap();
    store
        .set_survey_status(a, survey.id, SurveyStatus::Published)
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("rapport-import-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    Fixture {
        _db: db,
        url,
        store,
        org: org.id,
        survey: survey.id.0,
        dir,
    }
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{n:x}-{}", std::process::id())
}

impl Fixture {
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn import(&self, file: &Path, extra: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
            .args(["import", "responses", "--org", "aurora", "--survey"])
            .arg(self.survey.to_string())
            .arg("--file")
            .arg(file)
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

    async fn responses(&self) -> Vec<rapport_domain::voc::Response> {
        let (items, _) = self
            .store
            .list_responses(self.org, &ResponseFilter::default(), 1000, 0)
            .await
            .unwrap();
        items
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

const UNICODE_CSV: &str = "response_id,customer_external_id,agent_email,submitted_at,nps,why_low,why_high,promise.expectation,promise.experience\n\
r1,AUR-1,,2025-03-02 10:15:00,3,\"השרברב הגיע אחרי ארבעה ימים.\nבינתיים המים חלחלו לשכנים.\",,7,2\n\
r2,AUR-2,eleni@aurora.example,2025-03-03T09:00:00+02:00,10,,\"Η κυρία Ελένη ήταν υπέροχη, ευχαριστώ!\",6,7\n\
r3,AUR-10,,2025-03-04 08:00:00,8,\"Fine, but slow.\",,,\n";

async fn unicode_with_and_without_bom_and_quoted_newlines(db: testing::TestDb) {
    let f = fixture(db).await;
    let plain = f.write("plain.csv", UNICODE_CSV.as_bytes());
    let out = f.import(&plain, &[]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("imported 3, already present 0, rejected 0"));
    let rs = f.responses().await;
    assert_eq!(rs.len(), 3);
    let noa = rs
        .iter()
        .find(|r| r.external_id.as_deref() == Some("r1"))
        .unwrap();
    assert_eq!(
        noa.comment.as_deref(),
        Some("השרברב הגיע אחרי ארבעה ימים.\nבינתיים המים חלחלו לשכנים.")
    );
    assert_eq!(noa.locale, Locale::He, "the customer's language by default");
    assert_eq!(
        (noa.nps, noa.expectation, noa.experience),
        (Some(3), Some(7), Some(2))
    );
    assert_eq!(noa.source, ResponseSource::Import);
    assert_eq!(noa.submitted_at.to_rfc3339(), "2025-03-02T10:15:00+00:00");
    let eleni = rs
        .iter()
        .find(|r| r.external_id.as_deref() == Some("r2"))
        .unwrap();
    assert!(eleni.agent_id.is_some() && eleni.team_id.is_some());
    assert_eq!(eleni.submitted_at.to_rfc3339(), "2025-03-03T07:00:00+00:00");
    assert_eq!(
        eleni.comment.as_deref(),
        Some("Η κυρία Ελένη ήταν υπέροχη, ευχαριστώ!")
    );
    let sam = rs
        .iter()
        .find(|r| r.external_id.as_deref() == Some("r3"))
        .unwrap();
    assert_eq!(sam.locale, Locale::En, "AUR-10, not AUR-1");

    // The same rows behind a byte-order mark are recognised as already imported.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(UNICODE_CSV.as_bytes());
    let with_bom = f.write("bom.csv", &bom);
    let out = f.import(&with_bom, &[]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("imported 0, already present 3, rejected 0"));
    assert_eq!(f.responses().await.len(), 3);
}

async fn bad_rows_are_reported_and_not_stored(db: testing::TestDb) {
    let f = fixture(db).await;
    let csv = "customer_external_id,nps,csat,why_low\n\
AUR-1,2,1,Κανείς δεν απάντησε\n\
AUR-1,11,3,out of range\n\
NOPE,5,2,unknown customer\n\
AUR-2,6,9,bad csat\n\
AUR-2,7,4,\"fine\"\n";
    let file = f.write("bad.csv", csv.as_bytes());
    let report = f.dir.join("errors.csv");
    let out = f.import(&file, &["--errors", report.to_str().unwrap()]);
    assert!(
        !out.status.success(),
        "rejections make the exit code non-zero"
    );
    assert!(stdout(&out).contains("imported 2, already present 0, rejected 3"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("row 3, column nps: must be a whole number from 0 to 10"),
        "{stderr}"
    );
    assert!(
        stderr.contains("row 4, column customer_external_id: no customer \"NOPE\""),
        "{stderr}"
    );
    assert!(stderr.contains("row 5, column csat:"), "{stderr}");
    let written = std::fs::read_to_string(&report).unwrap();
    let mut lines = written.lines();
    assert_eq!(lines.next(), Some("row,column,reason"));
    assert!(lines.next().unwrap().starts_with("3,nps,"));
    assert_eq!(written.lines().count(), 4);
    let rs = f.responses().await;
    assert_eq!(rs.len(), 2, "only the good rows are stored");
    assert!(rs.iter().all(|r| r.nps == Some(2) || r.nps == Some(7)));

    // Without ids, re-running finds every good row by its content hash.
    let out = f.import(&file, &[]);
    assert!(stdout(&out).contains("imported 0, already present 2, rejected 3"));
    assert_eq!(f.responses().await.len(), 2);
}

async fn columns_can_be_mapped(db: testing::TestDb) {
    let f = fixture(db).await;
    let csv = "ResponseId,StartDate,IPAddress,Q1,Q2_TEXT,Q3_TEXT\n\
R_1,2025-01-01 10:00:00,10.0.0.1,4,Slow claim,\n\
R_2,2025-01-02 10:00:00,10.0.0.2,9,,Great help\n";
    let file = f.write("qualtrics.csv", csv.as_bytes());
    // A target that is neither a question nor a known column is refused before anything is stored.
    let out = f.import(&file, &["--map", "Q1=score"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no question \"score\""));
    assert!(f.responses().await.is_empty());

    let out = f.import(
        &file,
        &[
            "--map",
            "ResponseId=response_id,StartDate=submitted_at,Q1=nps,Q2_TEXT=why_low",
            "--map",
            "Q3_TEXT=why_high",
        ],
    );
    assert!(out.status.success());
    assert!(stdout(&out).contains("imported 2, already present 0, rejected 0"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ignoring columns: IPAddress"));
    let rs = f.responses().await;
    let low = rs.iter().find(|r| r.nps == Some(4)).unwrap();
    assert_eq!(low.comment.as_deref(), Some("Slow claim"));
    assert_eq!(low.external_id.as_deref(), Some("R_1"));
    assert_eq!(low.submitted_at.to_rfc3339(), "2025-01-01T10:00:00+00:00");
    let high = rs.iter().find(|r| r.nps == Some(9)).unwrap();
    assert_eq!(high.comment.as_deref(), Some("Great help"));
}

#[test]
fn help_explains_the_columns() {
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["import", "responses", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--survey",
        "--file",
        "--map",
        "--errors",
        "customer_external_id",
        "submitted_at",
    ] {
        assert!(help.contains(needle), "{needle} in {help}");
    }
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
    unicode_with_and_without_bom_and_quoted_newlines,
    bad_rows_are_reported_and_not_stored,
    columns_can_be_mapped
);
