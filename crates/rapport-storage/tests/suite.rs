//! One storage suite, two backends: every check runs on SQLite, and on PostgreSQL when
//! `RAPPORT_TEST_DATABASE_URL` is set.

use std::sync::Arc;

use chrono::{Duration, Utc};
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::{testing, Actor, Storage, StorageError};

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                let db = super::testing::sqlite();
                let store = super::open(&db.url).await;
                super::$name(store, &db.url).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                let Some(db) = super::testing::postgres().await else { return };
                let store = super::open(&db.url).await;
                super::$name(store, &db.url).await;
            })*
        }
    };
}

both_backends!(
    migrations_are_idempotent,
    users_teams_and_references_stay_in_their_organisation,
    journeys_start_with_five_stages_and_keep_order,
    customers_upsert_is_idempotent_and_search_escapes_wildcards,
    audit_log_is_append_only,
    sessions_and_tokens_expire_and_revoke,
);

async fn open(url: &str) -> Arc<dyn Storage> {
    let store = rapport_storage::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate from empty");
    store
}

async fn org(store: &dyn Storage, slug: &str) -> Actor {
    let o = store
        .create_organisation(&NewOrganisation {
            name: Name::parse("name", &format!("Org {slug}")).unwrap(),
            slug: slug.into(),
            default_locale: Locale::En,
        })
        .await
        .unwrap();
    Actor::system(o.id)
}

fn new_user(email: &str, role: Role, team: Option<TeamId>) -> NewUser {
    NewUser {
        email: Email::parse("email", email).unwrap(),
        display_name: Name::parse("display_name", "Dana Levi").unwrap(),
        role,
        team_id: team,
        locale: Locale::He,
        password_hash: None,
    }
}

async fn migrations_are_idempotent(store: Arc<dyn Storage>, _url: &str) {
    store.migrate().await.expect("second run is a no-op");
    store.ping().await.unwrap();
}

async fn users_teams_and_references_stay_in_their_organisation(
    store: Arc<dyn Storage>,
    _url: &str,
) {
    let a = org(&*store, "a").await;
    let b = org(&*store, "b").await;
    let team_a = store
        .create_team(
            a,
            &NewTeam {
                name: Name::parse("name", "צוות תביעות").unwrap(),
                lead_id: None,
            },
        )
        .await
        .unwrap();
    let u = store
        .create_user(a, &new_user("dana@a.test", Role::Agent, Some(team_a.id)))
        .await
        .unwrap();
    assert_eq!(u.team_id, Some(team_a.id));
    assert_eq!(
        store
            .get_team(a.org_id, team_a.id)
            .await
            .unwrap()
            .member_count,
        1
    );

    // Same e-mail twice is a conflict on `email`.
    let dup = store
        .create_user(b, &new_user("DANA@a.test", Role::Agent, None))
        .await
        .unwrap_err();
    assert!(
        matches!(dup, StorageError::Conflict { field: "email", .. }),
        "{dup:?}"
    );
    // Organisation B cannot see or reference A's rows.
    assert!(matches!(
        store.get_user(b.org_id, u.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_team(b.org_id, team_a.id).await,
        Err(StorageError::NotFound { .. })
    ));
    let err = store
        .create_user(b, &new_user("x@b.test", Role::Agent, Some(team_a.id)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Invalid {
                field: "team_id",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(store.list_users(b.org_id, None).await.unwrap().is_empty());
    let err = store
        .update_team(
            b,
            team_a.id,
            &NewTeam {
                name: Name::parse("n", "stolen").unwrap(),
                lead_id: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound { .. }));
    assert_eq!(
        store.get_team(a.org_id, team_a.id).await.unwrap().name,
        "צוות תביעות"
    );

    // Deleting a team keeps its members.
    store.delete_team(a, team_a.id).await.unwrap();
    assert_eq!(store.get_user(a.org_id, u.id).await.unwrap().team_id, None);

    let off = store.deactivate_user(a, u.id).await.unwrap();
    assert!(!off.active);
    let creds = store
        .user_credentials(&Email::parse("e", "dana@a.test").unwrap())
        .await
        .unwrap();
    assert!(creds.is_some());
}

async fn journeys_start_with_five_stages_and_keep_order(store: Arc<dyn Storage>, _url: &str) {
    let a = org(&*store, "j").await;
    let map = store
        .create_journey(
            a,
            &NewJourney {
                name: Name::parse("name", "תביעה").unwrap(),
                description: None,
                locale: Locale::He,
            },
        )
        .await
        .unwrap();
    let kinds: Vec<_> = map.stages.iter().map(|s| s.stage.kind).collect();
    assert_eq!(kinds, StageKind::DEFAULTS.to_vec());
    assert_eq!(map.stages[1].stage.name, "מגע ראשון");
    let service = map.stages[3].stage.id;
    let mut ids = vec![];
    for name in ["one", "two", "three"] {
        let t = store
            .create_touchpoint(
                a,
                &NewTouchpoint {
                    stage_id: service,
                    name: Name::parse("name", name).unwrap(),
                    channel: Channel::Phone,
                    owner_id: None,
                    promise: Some(Text::parse("promise", "We call back within 2 hours").unwrap()),
                    position: None,
                },
            )
            .await
            .unwrap();
        ids.push(t.id);
    }
    // Move "three" to the front.
    let three = store.get_touchpoint(a.org_id, ids[2]).await.unwrap();
    store
        .update_touchpoint(
            a,
            three.id,
            &NewTouchpoint {
                stage_id: service,
                name: Name::parse("name", "three").unwrap(),
                channel: Channel::Chat,
                owner_id: None,
                promise: None,
                position: Some(0),
            },
        )
        .await
        .unwrap();
    let map = store.get_journey(a.org_id, map.journey.id).await.unwrap();
    let names: Vec<_> = map.stages[3]
        .touchpoints
        .iter()
        .map(|t| (t.name.as_str(), t.position))
        .collect();
    assert_eq!(names, vec![("three", 0), ("one", 1), ("two", 2)]);
    // Moving to another stage closes the gap it leaves.
    let after = map.stages[4].stage.id;
    let one = &map.stages[3].touchpoints[1];
    store
        .update_touchpoint(
            a,
            one.id,
            &NewTouchpoint {
                stage_id: after,
                name: Name::parse("name", "one").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let map = store.get_journey(a.org_id, map.journey.id).await.unwrap();
    let names: Vec<_> = map.stages[3]
        .touchpoints
        .iter()
        .map(|t| (t.name.as_str(), t.position))
        .collect();
    assert_eq!(names, vec![("three", 0), ("two", 1)]);
    assert_eq!(map.stages[4].touchpoints[0].name, "one");
    // A stage from another organisation is invalid, not found.
    let b = org(&*store, "j2").await;
    let err = store
        .create_touchpoint(
            b,
            &NewTouchpoint {
                stage_id: service,
                name: Name::parse("name", "x").unwrap(),
                channel: Channel::Web,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Invalid {
                field: "stage_id",
                ..
            }
        ),
        "{err:?}"
    );
    store.delete_stage(a, map.stages[0].stage.id).await.unwrap();
    let map = store.get_journey(a.org_id, map.journey.id).await.unwrap();
    let positions: Vec<_> = map.stages.iter().map(|s| s.stage.position).collect();
    assert_eq!(positions, vec![0, 1, 2, 3]);
}

fn customer(ext: &str, name: &str) -> NewCustomer {
    NewCustomer {
        external_id: Name::parse("external_id", ext).unwrap(),
        name: Name::parse("name", name).unwrap(),
        locale: Locale::El,
        email: None,
        phone: Some(Phone::parse("phone", "+30 210 555 1234").unwrap()),
        consent: Consent {
            email: true,
            sms: false,
            research: false,
        },
    }
}

async fn customers_upsert_is_idempotent_and_search_escapes_wildcards(
    store: Arc<dyn Storage>,
    _url: &str,
) {
    let a = org(&*store, "c").await;
    let batch = vec![
        customer("C-1", "Γιώργος Παπαδόπουλος"),
        customer("C-2", "100% Maria"),
        customer("C-3", "Maria_B"),
    ];
    assert_eq!(store.upsert_customers(a, &batch).await.unwrap(), 3);
    assert_eq!(
        store.upsert_customers(a, &batch).await.unwrap(),
        0,
        "re-run inserts nothing"
    );
    let all = CustomerFilter {
        search: None,
        locale: None,
        limit: 50,
        offset: 0,
    };
    assert_eq!(store.list_customers(a.org_id, &all).await.unwrap().total, 3);
    let pct = CustomerFilter {
        search: Some("%".into()),
        ..all.clone()
    };
    let page = store.list_customers(a.org_id, &pct).await.unwrap();
    assert_eq!(page.total, 1, "% is a literal, not a wildcard");
    assert_eq!(page.items[0].name, "100% Maria");
    let us = CustomerFilter {
        search: Some("a_b".into()),
        ..all.clone()
    };
    assert_eq!(store.list_customers(a.org_id, &us).await.unwrap().total, 1);
    let err = store
        .create_customer(a, &customer("C-1", "dup"))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StorageError::Conflict {
            field: "external_id",
            ..
        }
    ));
    let b = org(&*store, "c2").await;
    assert_eq!(store.list_customers(b.org_id, &all).await.unwrap().total, 0);
}

async fn audit_log_is_append_only(store: Arc<dyn Storage>, url: &str) {
    let a = org(&*store, "audit").await;
    store
        .create_team(
            a,
            &NewTeam {
                name: Name::parse("n", "Ομάδα Αθήνας").unwrap(),
                lead_id: None,
            },
        )
        .await
        .unwrap();
    let entries = store.list_audit(a.org_id, 10).await.unwrap();
    assert_eq!(
        entries
            .iter()
            .map(|e| (e.action.as_str(), e.entity.as_str()))
            .collect::<Vec<_>>(),
        vec![("create", "team"), ("create", "organisation")]
    );
    // The database itself refuses edits, whatever the application does.
    assert!(
        raw_exec(url, "UPDATE audit_log SET action = 'forged'")
            .await
            .is_err(),
        "update must be refused"
    );
    assert!(
        raw_exec(url, "DELETE FROM audit_log").await.is_err(),
        "delete must be refused"
    );
    assert_eq!(store.list_audit(a.org_id, 10).await.unwrap().len(), 2);
}

/// Runs SQL over a separate connection, as someone with direct database access would.
async fn raw_exec(url: &str, sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await?;
        sqlx::query(sql).execute(&mut c).await.map(|_| ())
    } else {
        let mut c = sqlx::PgConnection::connect(url).await?;
        sqlx::query(sql).execute(&mut c).await.map(|_| ())
    }
}

async fn sessions_and_tokens_expire_and_revoke(store: Arc<dyn Storage>, _url: &str) {
    let a = org(&*store, "s").await;
    let u = store
        .create_user(a, &new_user("s@s.test", Role::Viewer, None))
        .await
        .unwrap();
    let now = Utc::now();
    store
        .create_session(u.id, "h1", "csrf1", now + Duration::hours(1))
        .await
        .unwrap();
    store
        .create_session(u.id, "h2", "csrf2", now - Duration::seconds(1))
        .await
        .unwrap();
    let s = store
        .find_session("h1", now)
        .await
        .unwrap()
        .expect("live session");
    assert_eq!(s.csrf_token, "csrf1");
    assert!(
        store.find_session("h2", now).await.unwrap().is_none(),
        "expired"
    );
    store.delete_session("h1").await.unwrap();
    assert!(store.find_session("h1", now).await.unwrap().is_none());

    let t = store
        .create_api_token(
            a,
            u.id,
            &Name::parse("n", "CI").unwrap(),
            "rpt_abcd",
            "hash1",
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .find_api_token("hash1", now)
            .await
            .unwrap()
            .unwrap()
            .id,
        u.id
    );
    store.revoke_api_token(a, u.id, t.id).await.unwrap();
    assert!(store.find_api_token("hash1", now).await.unwrap().is_none());
    assert!(store.list_api_tokens(a.org_id, u.id).await.unwrap()[0].revoked);

    store
        .record_login_attempt("s@s.test", "1.2.3.4", false, now)
        .await
        .unwrap();
    store
        .record_login_attempt("s@s.test", "1.2.3.4", false, now)
        .await
        .unwrap();
    store
        .record_login_attempt("other@s.test", "1.2.3.4", false, now)
        .await
        .unwrap();
    store
        .record_login_attempt("s@s.test", "1.2.3.4", true, now)
        .await
        .unwrap();
    let (by_email, by_ip) = store
        .recent_login_failures("s@s.test", "1.2.3.4", now - Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!((by_email, by_ip), (2, 3));
}
