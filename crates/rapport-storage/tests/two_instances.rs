//! Two stores on one PostgreSQL database (two Rapport instances) storing the same responses at
//! once, in opposite orders — a client whose retries go through the other instance while the
//! first request is still being stored: every submission is answered with the one stored row,
//! created once. The two stores' group commits wait on each other's keys; when PostgreSQL
//! breaks a deadlock between them, the loser is stored one by one and tried again (this test
//! did not provoke the deadlock the multi-instance test in rapport-cli met twice in a dozen
//! runs, but guards the idempotency across stores it relies on).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use rapport_domain::model::*;
use rapport_domain::survey::{default_definition, RawAnswer};
use rapport_domain::voc::*;
use rapport_domain::*;
use rapport_storage::{testing, Actor, Storage};

const KEYS: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crossing_submissions_from_two_instances_are_stored_once() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    let a: Arc<dyn Storage> = rapport_storage::connect(&db.url).await.unwrap();
    a.migrate().await.unwrap();
    let b: Arc<dyn Storage> = rapport_storage::connect(&db.url).await.unwrap();
    let org = a
        .create_organisation(&NewOrganisation {
            name: Name::parse("n", "Two").unwrap(),
            slug: "two".into(),
            default_locale: Locale::En,
        })
        .await
        .unwrap();
    let actor = Actor::system(org.id);
    let j = a
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
    let tp = a
        .create_touchpoint(
            actor,
            &NewTouchpoint {
                stage_id: j.stages[0].stage.id,
                name: Name::parse("n", "Line").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let s = a
        .create_survey(
            actor,
            tp.id,
            &Name::parse("n", "S").unwrap(),
            &default_definition(),
            "pub-two-instances",
        )
        .await
        .unwrap();
    let s = a
        .set_survey_status(actor, s.id, SurveyStatus::Published)
        .await
        .unwrap();
    let response = |i: usize| {
        let raw = BTreeMap::from([("nps".to_string(), RawAnswer::Number((i % 11) as f64))]);
        NewResponse {
            survey_id: s.id,
            version: s.version,
            customer_id: None,
            agent_id: None,
            invitation_id: None,
            locale: Locale::En,
            source: ResponseSource::Api,
            idempotency_key: Some(format!("cross-{i:04}")),
            external_id: None,
            submitted_at: Utc::now(),
            answers: s.definition.parse_answers(&raw).unwrap(),
        }
    };

    // Every key is submitted once to each store, A in ascending and B in descending order,
    // all at once.
    let mut calls = tokio::task::JoinSet::new();
    for k in 0..KEYS {
        for (store, i) in [(a.clone(), k), (b.clone(), KEYS - 1 - k)] {
            let new = response(i);
            calls.spawn(async move { (i, store.insert_response(org.id, &new).await) });
        }
    }
    let mut ids: BTreeMap<usize, Vec<(ResponseId, bool)>> = BTreeMap::new();
    while let Some(done) = calls.join_next().await {
        let (i, stored) = done.unwrap();
        let stored = stored.unwrap_or_else(|e| panic!("key {i}: {e}"));
        ids.entry(i).or_default().push(stored);
    }
    assert_eq!(ids.len(), KEYS);
    for (i, answers) in &ids {
        assert_eq!(answers.len(), 2);
        assert_eq!(answers[0].0, answers[1].0, "key {i}: one row");
        assert_eq!(
            answers.iter().filter(|(_, created)| *created).count(),
            1,
            "key {i}: created once"
        );
    }
    let (_, total) = a
        .list_responses(org.id, &ResponseFilter::default(), 1, 0)
        .await
        .unwrap();
    assert_eq!(total, KEYS as i64);
}
