//! Conversations, evaluations and reviews, coaching, listening, recognition and anonymous
//! check-ins, on both backends.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, SubsecRound, Utc};
use rapport_domain::conversation::{Metadata, Speaker, Transcript, Turn};
use rapport_domain::frontline::*;
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::{
    testing, Actor, ConversationAnalysis, ConversationFilter, Storage, StorageError,
};

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                let db = super::testing::sqlite();
                super::$name(super::open(&db.url).await).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                let Some(db) = super::testing::postgres().await else { return };
                super::$name(super::open(&db.url).await).await;
            })*
        }
    };
}

both_backends!(
    conversations_are_stored_once_and_evaluations_reviewed,
    recognition_and_stories_respect_privacy_and_approval,
    listening_time_and_coaching_progress,
    checkins_are_anonymous_and_small_groups_hidden,
    reviews_racing_reanalysis_all_succeed,
);

async fn open(url: &str) -> Arc<dyn Storage> {
    let store = rapport_storage::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn name(s: &str) -> Name {
    Name::parse("n", s).unwrap()
}

struct World {
    actor: Actor,
    manager: UserId,
    lead: UserId,
    team: TeamId,
    agents: Vec<UserId>,
    outsider: UserId,
    touchpoint: TouchpointId,
    slug: String,
}

async fn user(
    store: &dyn Storage,
    actor: Actor,
    slug: &str,
    who: &str,
    role: Role,
    team: Option<TeamId>,
) -> UserId {
    store
        .create_user(
            actor,
            &NewUser {
                email: Email::parse("e", &format!("{who}@{slug}.test")).unwrap(),
                display_name: name(who),
                role,
                team_id: team,
                locale: Locale::En,
                password_hash: None,
            },
        )
        .await
        .unwrap()
        .id
}

async fn world(store: &dyn Storage, slug: &str) -> World {
    let org = store
        .create_organisation(&NewOrganisation {
            name: name(slug),
            slug: slug.into(),
            default_locale: Locale::En,
        })
        .await
        .unwrap();
    let actor = Actor::system(org.id);
    let manager = user(store, actor, slug, "manager", Role::CxManager, None).await;
    let lead = user(store, actor, slug, "lead", Role::TeamLead, None).await;
    let team = store
        .create_team(
            actor,
            &NewTeam {
                name: name("T"),
                lead_id: Some(lead),
            },
        )
        .await
        .unwrap()
        .id;
    let mut agents = Vec::new();
    for i in 0..6 {
        agents.push(
            user(
                store,
                actor,
                slug,
                &format!("agent{i}"),
                Role::Agent,
                Some(team),
            )
            .await,
        );
    }
    let other = store
        .create_team(
            actor,
            &NewTeam {
                name: name("U"),
                lead_id: None,
            },
        )
        .await
        .unwrap()
        .id;
    let outsider = user(store, actor, slug, "outsider", Role::Agent, Some(other)).await;
    let j = store
        .create_journey(
            actor,
            &NewJourney {
                name: name("J"),
                description: None,
                locale: Locale::En,
            },
        )
        .await
        .unwrap();
    let touchpoint = store
        .create_touchpoint(
            actor,
            &NewTouchpoint {
                stage_id: j.stages[3].stage.id,
                name: name("Support call"),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap()
        .id;
    World {
        actor,
        manager,
        lead,
        team,
        agents,
        outsider,
        touchpoint,
        slug: slug.into(),
    }
}

fn transcript(id: &str, agent: Option<String>, touchpoint: Option<i64>) -> Transcript {
    let mut meta = Metadata::new(id, Channel::Phone);
    meta.agent = agent;
    meta.customer = Some("C-404".into());
    meta.touchpoint = touchpoint;
    meta.started_at = Some(now() - Duration::days(1));
    meta.language = Some(Locale::En);
    Transcript::new(
        meta,
        vec![
            Turn::new(
                Speaker::Customer,
                "My internet has been down for three days.",
                Some(0.0),
                Some(4.0),
            )
            .unwrap(),
            Turn::new(
                Speaker::Agent,
                "I'm so sorry, that sounds exhausting. I'll fix it now.",
                Some(4.5),
                Some(9.0),
            )
            .unwrap(),
            Turn::new(
                Speaker::Customer,
                "Thank you Dana, that was wonderful.",
                Some(9.5),
                Some(12.0),
            )
            .unwrap(),
        ],
    )
    .unwrap()
}

fn criterion(name: &str, score: u8, turn: usize) -> CriterionResult {
    CriterionResult {
        name: name.into(),
        weight: 1.0,
        auto_score: Some(score),
        human_score: None,
        override_reason: None,
        evidence: vec![EvidenceMark {
            turn,
            effect: Effect::Raised,
            cue: "sorry".into(),
        }],
    }
}

fn analysis(empathy: u8) -> ConversationAnalysis {
    ConversationAnalysis {
        insights: vec![None, None, None],
        metrics: serde_json::json!({ "emotional_lift": 1.2 }),
        customer_start: Some(-0.6),
        customer_lowest: Some(-0.6),
        customer_end: Some(0.6),
        emotional_lift: Some(1.2),
        peak_anger: Some(0.7),
        flags: vec!["customer_praise".into()],
        topics: vec!["connectivity".into()],
        praise_quote: Some("Thank you Dana, that was wonderful.".into()),
        rubric: "default".into(),
        criteria: vec![
            criterion("empathy", empathy, 1),
            criterion("ownership", 80, 1),
            criterion("resilience", 90, 1),
        ],
    }
}

async fn conversations_are_stored_once_and_evaluations_reviewed(store: Arc<dyn Storage>) {
    let w = world(&*store, "fl-conv").await;
    let agent_email = format!("AGENT0@{}.test", w.slug);
    let t = transcript("call-1", Some(agent_email), Some(w.touchpoint.0));
    let (id, created) = store.store_conversation(w.actor, &t, now()).await.unwrap();
    assert!(created);
    let (again, created) = store.store_conversation(w.actor, &t, now()).await.unwrap();
    assert_eq!(
        (again, created),
        (id, false),
        "the same external id is stored once"
    );
    let jobs = store
        .claim_jobs(
            "w",
            now(),
            Duration::seconds(30),
            "analyze_conversation",
            10,
        )
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1, "one analysis job per conversation");

    // A touchpoint of another organisation is refused and nothing is stored.
    let other = world(&*store, "fl-conv-other").await;
    let err = store
        .store_conversation(
            w.actor,
            &transcript("call-2", None, Some(other.touchpoint.0)),
            now(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Invalid {
                field: "touchpoint",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        store
            .conversation_id_by_external(w.actor.org_id, "call-2")
            .await
            .unwrap(),
        None
    );

    let detail = store.get_conversation(w.actor.org_id, id).await.unwrap();
    assert_eq!(
        detail.summary.agent_id,
        Some(w.agents[0]),
        "agent matched by e-mail, any case"
    );
    assert_eq!(detail.summary.team_id, Some(w.team));
    assert_eq!(detail.summary.handle_seconds, Some(12.0));
    assert!(!detail.summary.analysed);
    assert_eq!(detail.turns.len(), 3);
    assert!(
        store
            .get_conversation(other.actor.org_id, id)
            .await
            .is_err(),
        "other organisations cannot read it"
    );

    let e = store
        .save_conversation_analysis(w.actor.org_id, id, &analysis(40), now())
        .await
        .unwrap();
    assert_eq!(e.status, EvaluationStatus::Auto);
    assert_eq!(e.agent_id, Some(w.agents[0]));
    assert_eq!(e.overall(), Some(70));
    let listed = store
        .list_conversations(
            w.actor.org_id,
            &ConversationFilter {
                agent_id: Some(w.agents[0]),
                analysed_only: true,
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].qa_overall, Some(70));
    assert_eq!(listed[0].emotional_lift, Some(1.2));

    let review = Review {
        overrides: vec![Override {
            criterion: "empathy".into(),
            score: 70,
            reason: "named the exhaustion".into(),
        }],
        coaching_note: Some("Lovely acknowledgement.".into()),
    };
    let reviewer = Actor::user(w.actor.org_id, w.lead);
    let e = store
        .review_evaluation(reviewer, id, &review, now())
        .await
        .unwrap();
    assert_eq!(e.status, EvaluationStatus::Reviewed);
    assert_eq!(e.reviewer_id, Some(w.lead));
    assert_eq!(e.criteria[0].score(), Some(70));
    assert_eq!(e.overall(), Some(80));
    assert_eq!(
        store
            .list_conversations(
                w.actor.org_id,
                &ConversationFilter {
                    limit: 5,
                    ..Default::default()
                }
            )
            .await
            .unwrap()[0]
            .qa_overall,
        Some(80)
    );

    // Re-running the engine keeps the reviewer's scores.
    let e = store
        .save_conversation_analysis(w.actor.org_id, id, &analysis(35), now())
        .await
        .unwrap();
    assert_eq!(e.criteria[0].auto_score, Some(35));
    assert_eq!(e.criteria[0].human_score, Some(70));

    let agent = Actor::user(w.actor.org_id, w.agents[0]);
    let e = store
        .respond_to_evaluation(
            agent,
            id,
            EvaluationStatus::Disputed,
            Some("the transfer was requested"),
        )
        .await
        .unwrap();
    assert_eq!(e.status, EvaluationStatus::Disputed);
    assert_eq!(
        e.agent_comment.as_deref(),
        Some("the transfer was requested")
    );

    let reviewed = store
        .reviewed_evaluations(w.actor.org_id, now() - Duration::days(1))
        .await
        .unwrap();
    let agreement = agreement(&reviewed);
    assert_eq!(agreement[0].criterion, "empathy");
    assert_eq!(agreement[0].mean_abs_diff, 35.0);

    let scored = store
        .scored_conversations(
            w.actor.org_id,
            None,
            Some(w.team),
            now() - Duration::days(30),
        )
        .await
        .unwrap();
    assert_eq!(scored.len(), 1);
    assert_eq!(scored[0].scores["empathy"], 70);
    assert!(scored[0].praised);
    assert!(store
        .scored_conversations(
            w.actor.org_id,
            Some(w.outsider),
            None,
            now() - Duration::days(30)
        )
        .await
        .unwrap()
        .is_empty());
}

async fn recognition_and_stories_respect_privacy_and_approval(store: Arc<dyn Storage>) {
    let w = world(&*store, "fl-kudos").await;
    let t = transcript("call-9", Some(format!("agent1@{}.test", w.slug)), None);
    let (conv, _) = store.store_conversation(w.actor, &t, now()).await.unwrap();
    store
        .save_conversation_analysis(w.actor.org_id, conv, &analysis(80), now())
        .await
        .unwrap();

    let suggestions = store
        .praise_suggestions(w.actor.org_id, Some(w.team), 10)
        .await
        .unwrap();
    assert_eq!(suggestions.len(), 1);
    assert_eq!(suggestions[0].agent_id, w.agents[1]);
    assert_eq!(suggestions[0].quote, "Thank you Dana, that was wonderful.");

    let lead = Actor::user(w.actor.org_id, w.lead);
    let public = store
        .give_kudos(
            lead,
            &NewKudos {
                to_user: w.agents[1],
                message: "You turned a three-day outage into thanks.".into(),
                public: true,
                conversation_id: Some(conv),
                response_id: None,
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(public.to_team, Some(w.team));
    store
        .give_kudos(
            lead,
            &NewKudos {
                to_user: w.agents[2],
                message: "Thank you for staying late.".into(),
                public: false,
                conversation_id: None,
                response_id: None,
            },
            now(),
        )
        .await
        .unwrap();
    assert!(
        store
            .praise_suggestions(w.actor.org_id, Some(w.team), 10)
            .await
            .unwrap()
            .is_empty(),
        "recognised praise is not suggested again"
    );

    let seen_by = |u: UserId| {
        let store = store.clone();
        async move {
            store
                .list_kudos(w.actor.org_id, u, None, 50)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(
        seen_by(w.agents[2]).await,
        2,
        "the recipient sees the private kudos"
    );
    assert_eq!(seen_by(w.lead).await, 2, "so does the sender");
    assert_eq!(
        seen_by(w.agents[3]).await,
        1,
        "others see only public kudos"
    );
    assert_eq!(seen_by(w.outsider).await, 1);

    let other = world(&*store, "fl-kudos-other").await;
    let err = store
        .give_kudos(
            lead,
            &NewKudos {
                to_user: other.agents[0],
                message: "Across the wall".into(),
                public: true,
                conversation_id: None,
                response_id: None,
            },
            now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StorageError::Invalid {
            field: "to_user",
            ..
        }
    ));

    let story = store
        .create_story(
            Actor::user(w.actor.org_id, w.agents[3]),
            &NewStory {
                agent_id: w.agents[1],
                title: "Three days offline, one call".into(),
                value: "ownership".into(),
                customer_words: "Thank you Dana, that was wonderful.".into(),
                agent_did: "Fixed the line while the customer was on the phone.".into(),
                outcome: "The customer renewed.".into(),
                conversation_id: Some(conv),
                response_id: None,
            },
            now(),
        )
        .await
        .unwrap();
    assert!(!story.approved);
    assert!(
        store
            .list_stories(w.actor.org_id, Some(w.team), None, true)
            .await
            .unwrap()
            .is_empty(),
        "drafts stay off the wall"
    );
    let story = store.approve_story(lead, story.id).await.unwrap();
    assert_eq!(story.approved_by, Some(w.lead));
    let wall = store
        .list_stories(w.actor.org_id, Some(w.team), Some("ownership"), true)
        .await
        .unwrap();
    assert_eq!(wall.len(), 1);
    assert_eq!(wall[0].agent_name, "agent1");
    assert!(store
        .approve_story(Actor::user(other.actor.org_id, other.manager), story.id)
        .await
        .is_err());
}

async fn listening_time_and_coaching_progress(store: Arc<dyn Storage>) {
    let w = world(&*store, "fl-listen").await;
    let today = now().date_naive();
    let month_start =
        NaiveDate::from_ymd_opt(today.year_ce().1 as i32, today.month0() + 1, 1).unwrap();
    let manager = Actor::user(w.actor.org_id, w.manager);
    for minutes in [90, 60] {
        store
            .log_listening(
                manager,
                &NewListening {
                    minutes,
                    conversation_id: None,
                    listened_on: today,
                    note: None,
                },
                now(),
            )
            .await
            .unwrap();
    }
    store
        .set_listening_target(w.actor, Some(w.lead), 120)
        .await
        .unwrap();
    let rows = store
        .listening_attainment(w.actor.org_id, month_start, today)
        .await
        .unwrap();
    let m = rows.iter().find(|r| r.manager_id == w.manager).unwrap();
    assert_eq!((m.minutes, m.target_minutes), (150, 240));
    assert!((m.attainment - 0.625).abs() < 1e-9);
    let l = rows.iter().find(|r| r.manager_id == w.lead).unwrap();
    assert_eq!((l.minutes, l.target_minutes), (0, 120));
    assert!(
        rows.iter().all(|r| r.role != Role::Agent),
        "agents have no listening target"
    );
    assert_eq!(
        store
            .listening_entries(w.actor.org_id, w.manager, month_start, today)
            .await
            .unwrap()
            .len(),
        2
    );

    let t = transcript("call-c", Some(format!("agent0@{}.test", w.slug)), None);
    let (conv, _) = store.store_conversation(w.actor, &t, now()).await.unwrap();
    store
        .save_conversation_analysis(w.actor.org_id, conv, &analysis(30), now())
        .await
        .unwrap();
    let c = store
        .create_coaching(
            Actor::user(w.actor.org_id, w.lead),
            &NewCoaching {
                agent_id: w.agents[0],
                focus: "empathy".into(),
                agreed: "Name the feeling before the fix.".into(),
                conversation_ids: vec![conv],
                follow_up_on: today,
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(
        c.focus_before,
        Some(30.0),
        "the conversation before the session is the baseline"
    );
    assert_eq!(c.focus_after, None);
    assert_eq!(
        store
            .list_coaching(w.actor.org_id, None, Some(w.team))
            .await
            .unwrap()
            .len(),
        1
    );
    let err = store
        .create_coaching(
            Actor::user(w.actor.org_id, w.lead),
            &NewCoaching {
                agent_id: UserId(999_999),
                focus: "empathy".into(),
                agreed: "x y z".into(),
                conversation_ids: vec![],
                follow_up_on: today,
            },
            now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StorageError::Invalid {
            field: "agent_id",
            ..
        }
    ));
}

async fn checkins_are_anonymous_and_small_groups_hidden(store: Arc<dyn Storage>) {
    let w = world(&*store, "fl-mood").await;
    let today = now().date_naive();
    for (i, agent) in w.agents.iter().take(4).enumerate() {
        assert!(store
            .check_in(w.actor.org_id, *agent, w.team, today, 2 + (i as i32 % 3))
            .await
            .unwrap());
    }
    assert!(
        !store
            .check_in(w.actor.org_id, w.agents[0], w.team, today, 5)
            .await
            .unwrap(),
        "once a day"
    );
    let groups = store
        .mood_by_team(w.actor.org_id, today - chrono::Duration::days(7))
        .await
        .unwrap();
    assert_eq!(groups.len(), 1);
    assert!(
        groups[0].suppressed,
        "four answers are fewer than the minimum group of five"
    );
    assert_eq!(groups[0].mean_mood, None);
    store
        .check_in(w.actor.org_id, w.agents[4], w.team, today, 4)
        .await
        .unwrap();
    let groups = store
        .mood_by_team(w.actor.org_id, today - chrono::Duration::days(7))
        .await
        .unwrap();
    assert!(!groups[0].suppressed);
    assert_eq!(groups[0].n, Some(5));
    assert_eq!(store.min_group_size(w.actor.org_id).await.unwrap(), 5);
}

/// A lead's review and the worker's re-analysis of the same conversation at the same moment:
/// both take the conversation's lock first, so on PostgreSQL neither deadlocks (it was a 500),
/// and the human override survives every re-analysis.
async fn reviews_racing_reanalysis_all_succeed(store: Arc<dyn Storage>) {
    let w = world(&*store, "fl-race").await;
    let t = transcript("race-1", Some(format!("agent0@{}.test", w.slug)), None);
    let (id, _) = store.store_conversation(w.actor, &t, now()).await.unwrap();
    store
        .save_conversation_analysis(w.actor.org_id, id, &analysis(40), now())
        .await
        .unwrap();
    let reviewer = Actor::user(w.actor.org_id, w.lead);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        let org = w.actor.org_id;
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                store
                    .save_conversation_analysis(org, id, &analysis(40), now())
                    .await
                    .map(|_| ())
            } else {
                let review = Review {
                    overrides: vec![Override {
                        criterion: "empathy".into(),
                        score: 70,
                        reason: format!("review {i}"),
                    }],
                    coaching_note: None,
                };
                store
                    .review_evaluation(reviewer, id, &review, now())
                    .await
                    .map(|_| ())
            }
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("no deadlock or lost lock");
    }
    let e = store.get_evaluation(w.actor.org_id, id).await.unwrap();
    assert_eq!(e.status, EvaluationStatus::Reviewed);
    assert_eq!(e.criteria[0].score(), Some(70), "the override survives");
}
