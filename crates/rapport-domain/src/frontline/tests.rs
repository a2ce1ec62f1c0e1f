use super::*;
use chrono::TimeZone;

fn criterion(name: &str, auto: Option<u8>) -> CriterionResult {
    CriterionResult {
        name: name.into(),
        weight: 1.0,
        auto_score: auto,
        human_score: None,
        override_reason: None,
        evidence: vec![],
    }
}

fn evaluation(criteria: Vec<CriterionResult>) -> Evaluation {
    Evaluation {
        id: EvaluationId(1),
        conversation_id: ConversationId(1),
        agent_id: Some(UserId(7)),
        rubric: "default".into(),
        criteria,
        flags: vec![],
        status: EvaluationStatus::Auto,
        reviewer_id: None,
        reviewed_at: None,
        coaching_note: None,
        agent_comment: None,
        created_at: Utc::now(),
    }
}

#[test]
fn visibility_agents_see_only_themselves_leads_their_team() {
    let (me, other) = (UserId(1), UserId(2));
    let (t1, t2) = (Some(TeamId(1)), Some(TeamId(2)));
    assert!(can_see_agent(Role::Agent, me, t1, me, t1));
    assert!(!can_see_agent(Role::Agent, me, t1, other, t1));
    assert!(can_see_agent(Role::TeamLead, me, t1, other, t1));
    assert!(!can_see_agent(Role::TeamLead, me, t1, other, t2));
    assert!(!can_see_agent(Role::TeamLead, me, None, other, None));
    assert!(can_see_agent(Role::CxManager, me, t1, other, t2));
    assert!(!can_see_agent(Role::Viewer, me, t1, other, t1));
}

#[test]
fn review_overrides_with_reasons_and_confirms_the_rest() {
    let mut e = evaluation(vec![
        criterion("empathy", Some(40)),
        criterion("ownership", Some(80)),
        criterion("resilience", None),
    ]);
    let review = Review {
        overrides: vec![Override {
            criterion: "empathy".into(),
            score: 70,
            reason: "acknowledged the worry in turn 3".into(),
        }],
        coaching_note: None,
    };
    review.apply(&mut e.criteria).unwrap();
    assert_eq!(e.criteria[0].score(), Some(70));
    assert_eq!(e.criteria[1].human_score, Some(80));
    assert_eq!(e.criteria[2].score(), None);
    assert_eq!(e.auto_overall(), Some(60));
    assert_eq!(e.overall(), Some(75));

    let bad = Review {
        overrides: vec![Override {
            criterion: "charm".into(),
            score: 50,
            reason: "because".into(),
        }],
        coaching_note: None,
    };
    assert_eq!(
        bad.apply(&mut e.criteria).unwrap_err().field,
        "overrides[0].criterion"
    );
    let no_reason = Review {
        overrides: vec![Override {
            criterion: "empathy".into(),
            score: 50,
            reason: " ".into(),
        }],
        coaching_note: None,
    };
    assert_eq!(
        no_reason.apply(&mut e.criteria).unwrap_err().field,
        "overrides[0].reason"
    );
}

#[test]
fn agreement_counts_only_reviewed_pairs() {
    let mut a = evaluation(vec![
        criterion("empathy", Some(40)),
        criterion("ownership", Some(80)),
    ]);
    a.criteria[0].human_score = Some(60);
    a.criteria[1].human_score = Some(80);
    a.reviewer_id = Some(UserId(3));
    let mut b = evaluation(vec![criterion("empathy", Some(50))]);
    b.criteria[0].human_score = Some(55);
    b.reviewer_id = Some(UserId(3));
    let unreviewed = evaluation(vec![criterion("empathy", Some(0))]);
    let rows = agreement([&a, &b, &unreviewed]);
    assert_eq!(rows[0].criterion, "empathy");
    assert_eq!(rows[0].n, 2);
    assert_eq!(rows[0].kept, 0.0);
    assert_eq!(rows[0].within_10, 0.5);
    assert!((rows[0].mean_abs_diff - 12.5).abs() < 1e-9);
    assert!((rows[0].mean_bias - 12.5).abs() < 1e-9);
    assert_eq!(rows[1].kept, 1.0);
}

#[test]
fn disputes_need_a_comment() {
    assert_eq!(
        AgentResponse::Dispute.check(None).unwrap_err().field,
        "comment"
    );
    assert_eq!(
        AgentResponse::Dispute.check(Some("turn 4 was a transfer the customer asked for")),
        Ok(EvaluationStatus::Disputed)
    );
    assert_eq!(
        AgentResponse::Acknowledge.check(None),
        Ok(EvaluationStatus::Acknowledged)
    );
}

fn scored(
    agent: i64,
    month: u32,
    lift: f32,
    anger: f32,
    empathy: u8,
    praised: bool,
) -> ScoredConversation {
    ScoredConversation {
        agent_id: UserId(agent),
        started_at: Utc.with_ymd_and_hms(2026, month, 10, 9, 0, 0).unwrap(),
        handle_seconds: Some(300.0),
        lift: Some(lift),
        peak_anger: Some(anger),
        scores: [
            ("empathy".to_string(), empathy),
            ("ownership".to_string(), 60),
            ("resilience".to_string(), 90),
        ]
        .into_iter()
        .collect(),
        praised,
    }
}

#[test]
fn scorecard_sits_beside_efficiency_and_names_improvements() {
    let rows = vec![
        scored(1, 9, 0.0, 0.0, 40, false),
        scored(1, 9, 0.0, 0.8, 40, false),
        scored(1, 10, 1.0, 0.9, 70, true),
        scored(1, 10, 1.0, 0.0, 70, false),
        scored(2, 10, -2.0, 0.0, 10, false),
    ];
    let names = [(UserId(1), ("Dana".to_string(), Some(TeamId(1))))]
        .into_iter()
        .collect();
    let cards = scorecards(&rows, &names);
    assert_eq!(cards.len(), 2);
    let dana = &cards[0];
    assert_eq!(dana.agent_name, "Dana");
    assert_eq!(dana.periods.len(), 2);
    let oct = &dana.periods[1];
    assert_eq!(oct.period, "2026-10");
    assert_eq!(oct.conversations, 2);
    assert_eq!(oct.components.lift, Some(75.0));
    assert_eq!(oct.components.calm_under_anger, Some(90.0));
    assert_eq!(oct.components.praise, Some(100.0));
    assert_eq!(oct.handle_seconds, Some(300.0));
    // (75 + 70 + 60 + 90 + 100) / 5
    assert_eq!(oct.emotional_labour_index, Some(79.0));
    assert_eq!(dana.improved, vec!["lift", "empathy", "praise"]);
    // A customer who ended far worse maps to 0, not below.
    assert_eq!(cards[1].periods[0].components.lift, Some(0.0));
    // No angry customer: calm under anger has no data rather than a made-up number.
    assert_eq!(cards[1].periods[0].components.calm_under_anger, None);
}

fn summary(id: i64, anger: Option<f32>, lift: Option<f32>, topics: &[&str]) -> ConversationSummary {
    ConversationSummary {
        id: ConversationId(id),
        external_id: format!("c{id}"),
        channel: Channel::Phone,
        agent_id: None,
        agent_name: None,
        team_id: None,
        customer_id: None,
        touchpoint_id: None,
        started_at: Utc
            .with_ymd_and_hms(2026, 10, 1, 9, 0, id as u32 % 60)
            .unwrap(),
        language: None,
        turn_count: 8,
        handle_seconds: None,
        analysed: true,
        customer_start: None,
        customer_lowest: None,
        customer_end: None,
        emotional_lift: lift,
        peak_anger: anger,
        qa_overall: Some(70),
        flags: vec![],
        topics: topics.iter().map(|t| t.to_string()).collect(),
    }
}

#[test]
fn listen_next_prefers_emotion_and_low_lift_and_explains() {
    let mut c: Vec<ConversationSummary> = (0..40)
        .map(|i| summary(i, Some(0.1), Some(0.2), &["waiting_time"]))
        .collect();
    c.push(summary(100, Some(0.9), Some(-1.0), &["waiting_time"]));
    c.push(summary(101, Some(0.1), Some(0.5), &["legal"]));
    let next = listen_next(c, 5);
    assert_eq!(
        next.len(),
        2,
        "calm, lifted, common conversations are not suggested"
    );
    assert_eq!(next[0].conversation.id, ConversationId(100));
    assert_eq!(next[0].reasons, vec!["high_emotion", "low_lift"]);
    assert_eq!(next[1].reasons, vec!["unusual_topic"]);
}

#[test]
fn small_groups_are_suppressed_and_floor_holds() {
    let g = suppress_small(TeamId(1), "A".into(), "2026-11-02".into(), 4, 16, 5);
    assert!(g.suppressed);
    assert_eq!(g.mean_mood, None);
    // An organisation setting of 1 still cannot reveal a group of two.
    let g = suppress_small(TeamId(1), "A".into(), "2026-11-02".into(), 2, 8, 1);
    assert!(g.suppressed);
    let g = suppress_small(TeamId(1), "A".into(), "2026-11-02".into(), 5, 20, 5);
    assert_eq!(g.mean_mood, Some(4.0));
}

#[test]
fn inputs_are_checked_with_field_names() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let c = NewCoaching {
        agent_id: UserId(1),
        focus: "charm".into(),
        agreed: "more".into(),
        conversation_ids: vec![],
        follow_up_on: today,
    };
    assert_eq!(
        c.validate(&["empathy".into()], today).unwrap_err().field,
        "focus"
    );
    let l = NewListening {
        minutes: 0,
        conversation_id: None,
        listened_on: today,
        note: None,
    };
    assert_eq!(l.validate(today).unwrap_err().field, "minutes");
    let k = NewKudos {
        to_user: UserId(1),
        message: "thanks!".into(),
        public: true,
        conversation_id: None,
        response_id: None,
    };
    assert_eq!(k.validate(UserId(1)).unwrap_err().field, "to_user");
    let s = NewStory {
        agent_id: UserId(1),
        title: "t".into(),
        value: "ownership".into(),
        customer_words: "w".into(),
        agent_did: "d".into(),
        outcome: "o".into(),
        conversation_id: None,
        response_id: None,
    };
    assert_eq!(s.validate().unwrap_err().field, "conversation_id");
    assert_eq!(check_mood(6).unwrap_err().field, "mood");
}

#[test]
fn manager_ratings_are_checked_and_small_groups_hidden() {
    let r = ManagerRating {
        authenticity: 5,
        humility: 0,
        connectedness: 3,
        care: 4,
    };
    assert_eq!(r.validate().unwrap_err().field, "humility");
    assert_eq!(
        quarter_of(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()),
        "2026-Q4"
    );
    let s = summarise_ratings(
        UserId(1),
        "Lead".into(),
        "2026-Q4".into(),
        4,
        [16, 16, 16, 16],
        5,
    );
    assert!(s.suppressed && s.means.is_none() && s.n.is_none());
    let s = summarise_ratings(
        UserId(1),
        "Lead".into(),
        "2026-Q4".into(),
        5,
        [20, 15, 10, 25],
        5,
    );
    assert_eq!(s.means, Some(vec![4.0, 3.0, 2.0, 5.0]));
}
