//! Surveys, responses, invitations, metrics sums and the job queue, on both backends.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, Utc};
use rapport_domain::model::*;
use rapport_domain::survey::{default_definition, RawAnswer};
use rapport_domain::voc::*;
use rapport_domain::*;
use rapport_storage::{testing, Actor, NewInvitation, Storage, StorageError};

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
    surveys_version_on_edit_after_publishing,
    responses_are_idempotent_and_invitations_single_use,
    sums_match_hand_computed_metrics,
    jobs_are_claimed_once_retried_and_reclaimed_after_a_lost_lease,
    concurrent_submissions_share_commits_and_keys_stay_unique,
    batch_claims_never_hand_a_job_to_two_workers,
);

async fn open(url: &str) -> Arc<dyn Storage> {
    let store = rapport_storage::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

struct World {
    actor: Actor,
    touchpoints: Vec<TouchpointId>,
    survey: Survey,
    customer: CustomerId,
    agent: UserId,
}

async fn world(store: &dyn Storage, slug: &str) -> World {
    let org = store
        .create_organisation(&NewOrganisation {
            name: Name::parse("n", slug).unwrap(),
            slug: slug.into(),
            default_locale: Locale::En,
        })
        .await
        .unwrap();
    let actor = Actor::system(org.id);
    let team = store
        .create_team(
            actor,
            &NewTeam {
                name: Name::parse("n", "T").unwrap(),
                lead_id: None,
            },
        )
        .await
        .unwrap();
    let agent = store
        .create_user(
            actor,
            &NewUser {
                email: Email::parse("e", &format!("agent@{slug}.test")).unwrap(),
                display_name: Name::parse("n", "Agent").unwrap(),
                role: Role::Agent,
                team_id: Some(team.id),
                locale: Locale::He,
                password_hash: None,
            },
        )
        .await
        .unwrap();
    let j = store
        .create_journey(
            actor,
            &NewJourney {
                name: Name::parse("n", "J").unwrap(),
                description: None,
                locale: Locale::En,
            },
        )
        .await
        .unwrap();
    let mut touchpoints = vec![];
    for (i, st) in j.stages.iter().take(2).enumerate() {
        let tp = store
            .create_touchpoint(
                actor,
                &NewTouchpoint {
                    stage_id: st.stage.id,
                    name: Name::parse("n", &format!("tp{i}")).unwrap(),
                    channel: if i == 0 { Channel::Phone } else { Channel::Web },
                    owner_id: None,
                    promise: None,
                    position: None,
                },
            )
            .await
            .unwrap();
        touchpoints.push(tp.id);
    }
    let survey = store
        .create_survey(
            actor,
            touchpoints[0],
            &Name::parse("n", "After the call").unwrap(),
            &default_definition(),
            &format!("pub-{slug}"),
        )
        .await
        .unwrap();
    let customer = store
        .create_customer(
            actor,
            &NewCustomer {
                external_id: Name::parse("x", "C1").unwrap(),
                name: Name::parse("n", "Dana").unwrap(),
                locale: Locale::He,
                email: Some(Email::parse("e", "dana@example.com").unwrap()),
                phone: None,
                consent: Consent {
                    email: true,
                    sms: false,
                    research: false,
                },
            },
        )
        .await
        .unwrap();
    World {
        actor,
        touchpoints,
        survey,
        customer: customer.id,
        agent: agent.id,
    }
}

fn response(
    w: &World,
    survey: &Survey,
    answers: &[(&str, RawAnswer)],
    key: Option<&str>,
) -> NewResponse {
    let raw: BTreeMap<String, RawAnswer> = answers
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    NewResponse {
        survey_id: survey.id,
        version: survey.version,
        customer_id: Some(w.customer),
        agent_id: Some(w.agent),
        invitation_id: None,
        locale: Locale::He,
        source: ResponseSource::Api,
        idempotency_key: key.map(str::to_string),
        external_id: None,
        submitted_at: Utc::now(),
        answers: survey.definition.parse_answers(&raw).unwrap(),
    }
}

async fn surveys_version_on_edit_after_publishing(store: Arc<dyn Storage>, _url: &str) {
    let w = world(&*store, "sv").await;
    let mut def = w.survey.definition.clone();
    def.title.0.insert("en".into(), "Draft edit".into());
    let s = store
        .update_survey(
            w.actor,
            w.survey.id,
            &Name::parse("n", "After the call").unwrap(),
            &def,
        )
        .await
        .unwrap();
    assert_eq!(s.version, 1, "drafts change in place");
    let s = store
        .set_survey_status(w.actor, s.id, SurveyStatus::Published)
        .await
        .unwrap();
    let r = store
        .insert_response(
            w.actor.org_id,
            &response(&w, &s, &[("nps", RawAnswer::Number(9.0))], None),
        )
        .await
        .unwrap();
    def.title.0.insert("en".into(), "Published edit".into());
    let s2 = store
        .update_survey(
            w.actor,
            s.id,
            &Name::parse("n", "After the call").unwrap(),
            &def,
        )
        .await
        .unwrap();
    assert_eq!(s2.version, 2);
    let old = store.get_response(w.actor.org_id, r.0).await.unwrap();
    assert_eq!(old.version, 1, "responses keep their version");
    assert_eq!(
        store.survey_definition(s.id, 1).await.unwrap().title.0["en"],
        "Draft edit"
    );
    assert_eq!(
        store
            .survey_by_public_id("pub-sv")
            .await
            .unwrap()
            .definition
            .title
            .0["en"],
        "Published edit"
    );
}

async fn responses_are_idempotent_and_invitations_single_use(store: Arc<dyn Storage>, _url: &str) {
    let w = world(&*store, "idem").await;
    let org = w.actor.org_id;
    let r = response(
        &w,
        &w.survey,
        &[
            ("nps", RawAnswer::Number(3.0)),
            ("why_low", RawAnswer::Text("חיכיתי שעה".into())),
        ],
        Some("key-1"),
    );
    let (a, created_a) = store.insert_response(org, &r).await.unwrap();
    let (b, created_b) = store.insert_response(org, &r).await.unwrap();
    assert!(created_a && !created_b);
    assert_eq!(a, b);
    let (list, total) = store
        .list_responses(org, &ResponseFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(list[0].comment.as_deref(), Some("חיכיתי שעה"));
    assert!(list[0].team_id.is_some(), "the agent's team is recorded");
    // Concurrent submissions of one key still store one row.
    let mut handles = vec![];
    for _ in 0..8 {
        let s = store.clone();
        let r = response(
            &w,
            &w.survey,
            &[("nps", RawAnswer::Number(10.0))],
            Some("key-race"),
        );
        handles.push(tokio::spawn(async move {
            s.insert_response(org, &r).await.unwrap()
        }));
    }
    let mut ids = vec![];
    for h in handles {
        ids.push(h.await.unwrap().0);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(
        store
            .list_responses(org, &ResponseFilter::default(), 10, 0)
            .await
            .unwrap()
            .1,
        2
    );

    let inv = store
        .create_invitation(
            w.actor,
            &NewInvitation {
                survey_id: w.survey.id,
                customer_id: w.customer,
                agent_id: Some(w.agent),
                interaction_ref: Some("call-77".into()),
                token_hash: "h-ok".into(),
                channel: "email".into(),
                expires_at: Utc::now() + Duration::days(7),
            },
        )
        .await
        .unwrap();
    let (found_org, found) = store.find_invitation("h-ok").await.unwrap().unwrap();
    assert_eq!((found_org, found.id), (org, inv.id));
    let mut with_inv = response(&w, &w.survey, &[("nps", RawAnswer::Number(8.0))], None);
    with_inv.invitation_id = Some(inv.id);
    store.insert_response(org, &with_inv).await.unwrap();
    let err = store.insert_response(org, &with_inv).await.unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Conflict {
                field: "invitation",
                ..
            }
        ),
        "{err:?}"
    );
    let expired = store
        .create_invitation(
            w.actor,
            &NewInvitation {
                survey_id: w.survey.id,
                customer_id: w.customer,
                agent_id: None,
                interaction_ref: None,
                token_hash: "h-old".into(),
                channel: "link".into(),
                expires_at: Utc::now() - Duration::minutes(1),
            },
        )
        .await
        .unwrap();
    let mut late = response(&w, &w.survey, &[("nps", RawAnswer::Number(8.0))], None);
    late.invitation_id = Some(expired.id);
    assert!(store.insert_response(org, &late).await.is_err());
    assert_eq!(
        store
            .list_responses(org, &ResponseFilter::default(), 10, 0)
            .await
            .unwrap()
            .1,
        3,
        "nothing stored for refused invitations"
    );
    // Another organisation cannot answer this survey.
    let other = world(&*store, "idem2").await;
    let err = store
        .insert_response(
            other.actor.org_id,
            &response(&w, &w.survey, &[("nps", RawAnswer::Number(1.0))], None),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::NotFound { .. } | StorageError::Invalid { .. }
        ),
        "{err:?}"
    );
}

async fn sums_match_hand_computed_metrics(store: Arc<dyn Storage>, _url: &str) {
    let w = world(&*store, "sums").await;
    let org = w.actor.org_id;
    let web = store
        .create_survey(
            w.actor,
            w.touchpoints[1],
            &Name::parse("n", "Web").unwrap(),
            &default_definition(),
            "pub-web",
        )
        .await
        .unwrap();
    // Phone touchpoint: NPS 10, 9, 7, 3 → 2 promoters, 1 detractor of 4 → +25.
    for (n, csat, gap) in [
        (10.0, 5.0, (5.0, 6.0)),
        (9.0, 4.0, (6.0, 6.0)),
        (7.0, 2.0, (7.0, 3.0)),
        (3.0, 1.0, (6.0, 2.0)),
    ] {
        let r = response(
            &w,
            &w.survey,
            &[
                ("nps", RawAnswer::Number(n)),
                ("csat", RawAnswer::Number(csat)),
                (
                    "promise",
                    RawAnswer::Pair {
                        expectation: gap.0,
                        experience: gap.1,
                    },
                ),
            ],
            None,
        );
        store.insert_response(org, &r).await.unwrap();
    }
    // Web touchpoint: NPS 0, 6 → −100.
    for n in [0.0, 6.0] {
        store
            .insert_response(
                org,
                &response(
                    &w,
                    &web,
                    &[
                        ("nps", RawAnswer::Number(n)),
                        ("ces", RawAnswer::Number(2.0)),
                    ],
                    None,
                ),
            )
            .await
            .unwrap();
    }
    let sums = store
        .response_sums(org, &ResponseFilter::default(), GroupBy::Touchpoint)
        .await
        .unwrap();
    let by: BTreeMap<String, GroupMetrics> = sums
        .iter()
        .map(|s| (s.key.clone(), GroupMetrics::from(s)))
        .collect();
    let phone = &by[&w.touchpoints[0].0.to_string()];
    assert_eq!(phone.responses, 4);
    assert!((phone.nps.unwrap().score - 25.0).abs() < 1e-9);
    // var = (0.5 + 0.25 − 0.0625)/4 = 0.171875 → 1.96·√·100 = 81.26
    assert!(
        (phone.nps.unwrap().margin - 81.257).abs() < 0.01,
        "{:?}",
        phone.nps
    );
    assert_eq!(phone.csat, Some(50.0));
    assert_eq!(phone.expectation_gap, Some((1.0 + 0.0 - 4.0 - 4.0) / 4.0));
    let web_m = &by[&w.touchpoints[1].0.to_string()];
    assert_eq!(web_m.nps.unwrap().score, -100.0);
    assert_eq!(web_m.ces, Some(2.0));
    let all = store
        .response_sums(org, &ResponseFilter::default(), GroupBy::None)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].responses, 6);
    let det = store
        .response_sums(
            org,
            &ResponseFilter {
                nps_group: Some(survey::NpsGroup::Detractor),
                ..Default::default()
            },
            GroupBy::Channel,
        )
        .await
        .unwrap();
    let channels: Vec<(&str, i64)> = det.iter().map(|s| (s.key.as_str(), s.responses)).collect();
    assert_eq!(channels, vec![("phone", 1), ("web", 2)]);
    let weeks = store
        .response_sums(org, &ResponseFilter::default(), GroupBy::Week)
        .await
        .unwrap();
    assert_eq!(weeks.len(), 1);
    assert!(weeks[0].key.contains("-W"));
    // Analysis is recorded next to the raw response and is filterable by topic.
    let (list, _) = store
        .list_responses(org, &ResponseFilter::default(), 1, 0)
        .await
        .unwrap();
    store
        .set_response_analysis(
            list[0].id,
            &ResponseAnalysis {
                language: "he".into(),
                sentiment_label: Some("negative".into()),
                sentiment_score: Some(-0.6),
                topics: vec!["waiting_time".into(), "staff_attitude".into()],
                redacted_comment: None,
                detail: serde_json::json!({"ok": true}),
            },
        )
        .await
        .unwrap();
    let waiting = store
        .list_responses(
            org,
            &ResponseFilter {
                topic: Some("waiting_time".into()),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(waiting.1, 1);
    assert_eq!(
        waiting.0[0].analysis.as_ref().unwrap().topics,
        vec!["waiting_time", "staff_attitude"]
    );
    let nt = store
        .nps_with_topics(org, &ResponseFilter::default())
        .await
        .unwrap();
    assert_eq!(
        nt.len(),
        1,
        "{nt:?} {:?}",
        store.get_response(org, list[0].id).await.unwrap()
    );
}

async fn jobs_are_claimed_once_retried_and_reclaimed_after_a_lost_lease(
    store: Arc<dyn Storage>,
    url: &str,
) {
    let now = Utc::now();
    // Clear the analysis jobs other tests queued in this database (none in a fresh one).
    let a = store
        .enqueue_job(None, "test", &serde_json::json!({"n": 1}), now)
        .await
        .unwrap();
    let b = store
        .enqueue_job(
            None,
            "test",
            &serde_json::json!({"n": 2}),
            now + Duration::hours(1),
        )
        .await
        .unwrap();
    let job = store
        .claim_job("w1", now, Duration::seconds(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.id, a);
    assert_eq!(job.attempts, 1);
    assert!(
        store
            .claim_job("w2", now, Duration::seconds(30))
            .await
            .unwrap()
            .is_none(),
        "b is not due, a is leased"
    );
    store
        .fail_job(a, "smtp down", Some(now + Duration::seconds(5)))
        .await
        .unwrap();
    assert!(store
        .claim_job("w2", now, Duration::seconds(30))
        .await
        .unwrap()
        .is_none());
    let again = store
        .claim_job("w2", now + Duration::seconds(6), Duration::seconds(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.id, again.attempts), (a, 2));
    // The worker dies: after its lease, another takes the job.
    let later = now + Duration::minutes(2);
    let stolen = store
        .claim_job("w3", later, Duration::seconds(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stolen.id, a);
    store.complete_job(a, later).await.unwrap();
    let next = store
        .claim_job("w3", now + Duration::hours(2), Duration::seconds(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.id, b);
    store.fail_job(b, "permanent", None).await.unwrap();
    let counts: BTreeMap<String, i64> = store.job_counts().await.unwrap().into_iter().collect();
    assert_eq!(counts.get("done"), Some(&1));
    assert_eq!(counts.get("failed"), Some(&1));

    // Two independent connections racing for 200 jobs never take the same one twice.
    let second = open(url).await;
    for i in 0..200 {
        store
            .enqueue_job(None, "race", &serde_json::json!({"i": i}), now)
            .await
            .unwrap();
    }
    let mut handles = vec![];
    for (n, s) in [store.clone(), second.clone(), store.clone(), second]
        .into_iter()
        .enumerate()
    {
        handles.push(tokio::spawn(async move {
            let mut got = vec![];
            while let Some(j) = s
                .claim_job(
                    &format!("w{n}"),
                    now + Duration::hours(3),
                    Duration::minutes(10),
                )
                .await
                .unwrap()
            {
                got.push(j.id);
                s.complete_job(j.id, now).await.unwrap();
            }
            got
        }));
    }
    let mut all = vec![];
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "a job was claimed twice");
    assert_eq!(n, 200);
}

/// Group commit: many concurrent single submissions, some repeating a key and one refused, on
/// two stores (two group writers, so two racing transactions) of the same database.
async fn concurrent_submissions_share_commits_and_keys_stay_unique(
    store: Arc<dyn Storage>,
    url: &str,
) {
    let w = Arc::new(world(&*store, "group").await);
    let org = w.actor.org_id;
    let second = open(url).await;
    let mut handles = vec![];
    for i in 0..120 {
        let s = if i % 2 == 0 {
            store.clone()
        } else {
            second.clone()
        };
        let w = w.clone();
        handles.push(tokio::spawn(async move {
            // Every fourth submission repeats one shared key; the rest have their own.
            let key = if i % 4 == 0 {
                "same".to_string()
            } else {
                format!("k-{i}")
            };
            let mut r = response(
                &w,
                &w.survey,
                &[("nps", RawAnswer::Number((i % 11) as f64))],
                Some(&key),
            );
            if i == 7 {
                r.agent_id = Some(UserId(987_654)); // refused alone, without failing its group
            }
            (i, s.insert_response(org, &r).await)
        }));
    }
    let mut same_ids = vec![];
    let mut created = 0;
    for h in handles {
        let (i, result) = h.await.unwrap();
        if i == 7 {
            assert!(
                matches!(
                    result,
                    Err(StorageError::Invalid {
                        field: "agent_id",
                        ..
                    })
                ),
                "{result:?}"
            );
            continue;
        }
        let (id, new) = result.unwrap();
        created += usize::from(new);
        if i % 4 == 0 {
            same_ids.push(id);
        }
    }
    same_ids.dedup();
    assert_eq!(same_ids.len(), 1, "one key, one response: {same_ids:?}");
    // 30 share one key, one was refused: 120 - 30 + 1 - 1 responses.
    assert_eq!(created, 90);
    let (_, total) = store
        .list_responses(org, &ResponseFilter::default(), 1, 0)
        .await
        .unwrap();
    assert_eq!(total, 90);
    // Each stored response has exactly one analysis job, committed with it.
    let jobs = store
        .claim_jobs(
            "w",
            Utc::now() + Duration::seconds(1),
            Duration::minutes(5),
            "analyze_response",
            1000,
        )
        .await
        .unwrap();
    let mut ids: Vec<i64> = jobs
        .iter()
        .map(|j| j.payload["response_id"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!((jobs.len(), ids.len()), (90, 90));

    // An external id is unique per survey too, whatever the idempotency keys say.
    let mut handles = vec![];
    for i in 0..6 {
        let s = store.clone();
        let w = w.clone();
        handles.push(tokio::spawn(async move {
            let mut r = response(
                &w,
                &w.survey,
                &[("nps", RawAnswer::Number(5.0))],
                Some(&format!("ext-key-{i}")),
            );
            r.external_id = Some("crm-1".into());
            s.insert_response(org, &r).await.unwrap()
        }));
    }
    let mut results = vec![];
    for h in handles {
        results.push(h.await.unwrap());
    }
    assert_eq!(results.iter().filter(|(_, new)| *new).count(), 1);
    assert!(results.iter().all(|(id, _)| *id == results[0].0));

    // The recent-survey cache forgets a survey this store publishes or closes.
    let draft = store.get_survey_recent(org, w.survey.id).await.unwrap();
    assert_eq!(draft.status, SurveyStatus::Draft);
    store
        .set_survey_status(w.actor, w.survey.id, SurveyStatus::Published)
        .await
        .unwrap();
    let open = store.get_survey_recent(org, w.survey.id).await.unwrap();
    assert_eq!(open.status, SurveyStatus::Published);
    store
        .set_survey_status(w.actor, w.survey.id, SurveyStatus::Closed)
        .await
        .unwrap();
    let closed = store.get_survey_recent(org, w.survey.id).await.unwrap();
    assert_eq!(closed.status, SurveyStatus::Closed);
}

async fn batch_claims_never_hand_a_job_to_two_workers(store: Arc<dyn Storage>, url: &str) {
    let now = Utc::now();
    let second = open(url).await;
    for i in 0..300 {
        store
            .enqueue_job(None, "batch-race", &serde_json::json!({"i": i}), now)
            .await
            .unwrap();
    }
    // Another kind and a job not yet due are left alone.
    let other = store
        .enqueue_job(None, "other", &serde_json::json!({}), now)
        .await
        .unwrap();
    let future = store
        .enqueue_job(
            None,
            "batch-race",
            &serde_json::json!({}),
            now + Duration::hours(1),
        )
        .await
        .unwrap();
    let mut handles = vec![];
    for (n, s) in [store.clone(), second.clone(), store.clone(), second]
        .into_iter()
        .enumerate()
    {
        handles.push(tokio::spawn(async move {
            let mut got = vec![];
            loop {
                let jobs = s
                    .claim_jobs(
                        &format!("w{n}"),
                        now + Duration::seconds(1),
                        Duration::minutes(10),
                        "batch-race",
                        7,
                    )
                    .await
                    .unwrap();
                if jobs.is_empty() {
                    break;
                }
                assert!(jobs.len() <= 7);
                assert!(jobs
                    .iter()
                    .all(|j| j.attempts == 1 && j.kind == "batch-race"));
                let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
                s.complete_jobs(&ids, now).await.unwrap();
                got.extend(ids);
            }
            got
        }));
    }
    let mut all = vec![];
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "a job was claimed twice");
    assert_eq!(n, 300);
    assert!(!all.contains(&other) && !all.contains(&future));
    let counts: BTreeMap<String, i64> = store.job_counts().await.unwrap().into_iter().collect();
    assert_eq!(counts.get("done"), Some(&300));
    assert_eq!(counts.get("queued"), Some(&2));
}
