//! The demo's survey responses: seeded on a real database, analysed, and carrying the two
//! patterns the demo is meant to reveal.

use chrono::{Datelike, Utc};
use rapport_domain::voc::{GroupBy, GroupMetrics, ResponseFilter, SurveyStatus};
use rapport_server::demo::{self, DemoSize};
use rapport_storage::testing;

async fn demo_has_a_year_of_analysed_responses_with_patterns(db: testing::TestDb) {
    let store = rapport_storage::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let size = DemoSize {
        agents_per_team: 2,
        customers: 300,
        responses: 4000,
        cases: 60,
        conversations: 300,
    };
    let world = demo::seed(&*store, size, &|_, _, _| {}).await.unwrap();
    let org = world.org.id;
    assert_eq!(world.responses, 4000);

    // One published survey per touchpoint.
    let surveys = store.list_surveys(org, None).await.unwrap();
    assert_eq!(surveys.len(), world.touchpoints());
    assert!(surveys.iter().all(|s| s.status == SurveyStatus::Published));
    // Their public links are live: `/s/{id}` takes 1–64 ASCII letters and digits.
    assert!(
        surveys
            .iter()
            .all(|s| s.public_id.len() == 24
                && s.public_id.chars().all(|c| c.is_ascii_alphanumeric()))
    );

    // Cases at every stage of the loop: open (some past their deadline) and finished.
    use rapport_domain::cases::{CaseFilter, CaseState};
    let every = CaseFilter {
        limit: 1000,
        ..Default::default()
    };
    let (cases, total) = store.list_cases(org, &every).await.unwrap();
    assert!(total >= 30, "demo cases: {total}");
    for state in [CaseState::New, CaseState::Resolved, CaseState::Closed] {
        assert!(cases.iter().any(|c| c.state == state), "a {state:?} case");
    }
    let late = CaseFilter {
        breached_at: Some(chrono::Utc::now()),
        open_only: true,
        limit: 1000,
        ..Default::default()
    };
    assert!(
        store.list_cases(org, &late).await.unwrap().1 > 0,
        "some open cases are breached"
    );
    assert!(
        cases.iter().all(|c| c.owner_id.is_some()),
        "every case has an owner"
    );
    let calls = store
        .list_followups(
            org,
            None,
            Some(rapport_domain::followups::FollowupState::Scheduled),
            None,
            1000,
        )
        .await
        .unwrap();
    assert!(!calls.is_empty(), "follow-up calls are scheduled");

    let all = ResponseFilter::default();
    let total = &store.response_sums(org, &all, GroupBy::None).await.unwrap()[0];
    assert_eq!(total.responses, 4000);
    let queued = store
        .job_counts()
        .await
        .unwrap()
        .into_iter()
        .find(|(state, _)| state == "queued")
        .map_or(0, |(_, n)| n);
    assert_eq!(
        queued, 0,
        "the seeder did the analysis; nothing is left for the worker"
    );
    assert!(
        total.sentiment_n > 1500,
        "comments are analysed at seeding time: {}",
        total.sentiment_n
    );
    let locales = store
        .response_sums(org, &all, GroupBy::Locale)
        .await
        .unwrap();
    assert_eq!(locales.len(), 3, "all three languages answer");
    let months = store
        .response_sums(org, &all, GroupBy::Month)
        .await
        .unwrap();
    assert!(months.len() >= 12, "spread over a year: {}", months.len());

    // The plumber's 24-hour promise is the one kept least.
    let broken = world
        .journeys
        .iter()
        .flat_map(|j| &j.stages)
        .flat_map(|s| &s.touchpoints)
        .find(|t| t.name == "ביקור שרברב מטעם החברה")
        .unwrap();
    let by_tp: Vec<GroupMetrics> = store
        .response_sums(org, &all, GroupBy::Touchpoint)
        .await
        .unwrap()
        .iter()
        .map(GroupMetrics::from)
        .filter(|m| m.gap_n >= 15)
        .collect();
    let worst = by_tp
        .iter()
        .min_by(|a, b| a.expectation_gap.partial_cmp(&b.expectation_gap).unwrap())
        .unwrap();
    assert_eq!(worst.key, broken.id.0.to_string(), "{by_tp:#?}");
    assert!(worst.expectation_gap.unwrap() < -2.5);
    let broken_filter = ResponseFilter {
        touchpoint: Some(broken.id),
        ..Default::default()
    };
    let negative = GroupMetrics::from(
        &store
            .response_sums(org, &broken_filter, GroupBy::None)
            .await
            .unwrap()[0],
    );
    assert!(
        negative.negative_share.unwrap() > 0.5,
        "the comments say so too: {negative:?}"
    );

    // The Athens team's NPS drops sharply four months ago.
    let athens = world
        .teams
        .iter()
        .find(|t| t.name.contains("Αθήνα"))
        .unwrap();
    let team = ResponseFilter {
        team: Some(athens.id),
        ..Default::default()
    };
    let overall = GroupMetrics::from(
        &store
            .response_sums(org, &team, GroupBy::None)
            .await
            .unwrap()[0],
    )
    .nps
    .unwrap()
    .score;
    let now = Utc::now();
    let m = now.year() * 12 + now.month0() as i32 - 4;
    let bad_key = format!("{}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1);
    let by_month: Vec<GroupMetrics> = store
        .response_sums(org, &team, GroupBy::Month)
        .await
        .unwrap()
        .iter()
        .map(GroupMetrics::from)
        .collect();
    let bad = by_month.iter().find(|g| g.key == bad_key).unwrap();
    let bad_nps = bad.nps.as_ref().unwrap().score;
    assert!(
        bad_nps < overall - 30.0,
        "{bad_key}: {bad_nps} vs {overall} overall"
    );
    // Other teams have no such month.
    for t in world.teams.iter().filter(|t| t.id != athens.id) {
        let f = ResponseFilter {
            team: Some(t.id),
            ..Default::default()
        };
        let Some(g) = store
            .response_sums(org, &f, GroupBy::Month)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.key == bad_key)
        else {
            continue;
        };
        let other = GroupMetrics::from(&g);
        if other.responses >= 30 {
            assert!(other.nps.unwrap().score > bad_nps + 20.0, "{}", t.name);
        }
    }

    // The frontline: analysed, scored conversations in three languages, with the people work
    // around them.
    assert_eq!(world.conversations, 300);
    let convs = store
        .list_conversations(
            org,
            &rapport_storage::ConversationFilter {
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(convs.len(), 300);
    assert!(convs.iter().all(|c| c.analysed && c.qa_overall.is_some()));
    for l in ["en", "he", "el"] {
        assert!(
            convs.iter().any(|c| c.language.as_deref() == Some(l)),
            "{l}"
        );
    }
    assert!(convs
        .iter()
        .any(|c| c.emotional_lift.is_some_and(|l| l > 0.5)));
    assert!(convs
        .iter()
        .any(|c| c.flags.iter().any(|f| f == "policy_deflection")));
    let reviewed = store
        .reviewed_evaluations(org, now - chrono::Duration::days(400))
        .await
        .unwrap();
    assert!(!reviewed.is_empty(), "leads reviewed some evaluations");
    assert!(
        rapport_domain::frontline::agreement(&reviewed)
            .iter()
            .any(|a| a.kept < 1.0),
        "some reviews overrode the engine"
    );
    assert!(!store
        .list_coaching(org, None, None)
        .await
        .unwrap()
        .is_empty());
    assert!(!store
        .list_stories(org, None, None, true)
        .await
        .unwrap()
        .is_empty());
    let some_agent = world.agents[0].id;
    assert!(!store
        .list_kudos(org, some_agent, None, 100)
        .await
        .unwrap()
        .is_empty());
    let moods = store
        .mood_by_team(org, now.date_naive() - chrono::Duration::days(35))
        .await
        .unwrap();
    assert!(moods.iter().all(|m| m.suppressed == m.n.is_none()));

    // Ambassadorship: eight quarters of pulses and behaviour with a known relation.
    assert!(world.pulse_answers > 50, "{}", world.pulse_answers);
    assert!(world.events > 300, "{}", world.events);
    let pulses = store.list_pulses(org).await.unwrap();
    assert_eq!(pulses.len(), 8);
    assert_eq!(pulses.iter().filter(|p| p.status == "open").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_demo_has_a_year_of_analysed_responses_with_patterns() {
    demo_has_a_year_of_analysed_responses_with_patterns(testing::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_demo_has_a_year_of_analysed_responses_with_patterns() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    demo_has_a_year_of_analysed_responses_with_patterns(db).await;
}
