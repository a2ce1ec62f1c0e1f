//! Cases, escalation, webhook deliveries and follow-ups, on both backends.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use rapport_domain::alerts::default_rules;
use rapport_domain::cases::*;
use rapport_domain::followups::*;
use rapport_domain::model::*;
use rapport_domain::survey::{default_definition, RawAnswer};
use rapport_domain::voc::*;
use rapport_domain::webhooks::*;
use rapport_domain::*;
use rapport_storage::{testing, Actor, Storage, StorageError};

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
    cases_open_once_per_response_and_go_to_the_right_owner,
    transitions_are_checked_and_recorded,
    breached_cases_escalate_once_to_the_next_manager,
    case_changes_queue_signed_deliveries_for_subscribers,
    followups_schedule_from_the_last_interaction,
    rules_are_stored_per_organisation,
);

async fn open(url: &str) -> Arc<dyn Storage> {
    let store = rapport_storage::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

struct World {
    actor: Actor,
    lead: UserId,
    manager: UserId,
    agent: UserId,
    touchpoint: TouchpointId,
    survey: Survey,
    customer: CustomerId,
}

/// PostgreSQL keeps microseconds; compare instants it can store.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn name(s: &str) -> Name {
    Name::parse("n", s).unwrap()
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
        .unwrap();
    let agent = user(store, actor, slug, "agent", Role::Agent, Some(team.id)).await;
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
    let survey = store
        .create_survey(
            actor,
            touchpoint,
            &name("S"),
            &default_definition(),
            &format!("p-{slug}"),
        )
        .await
        .unwrap();
    let customer = store
        .create_customer(
            actor,
            &NewCustomer {
                external_id: name("C1"),
                name: name("Dana"),
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
        .unwrap()
        .id;
    World {
        actor,
        lead,
        manager,
        agent,
        touchpoint,
        survey,
        customer,
    }
}

async fn response(store: &dyn Storage, w: &World, nps: f64) -> ResponseId {
    let raw: BTreeMap<String, RawAnswer> = [("nps".to_string(), RawAnswer::Number(nps))].into();
    let (id, _) = store
        .insert_response(
            w.actor.org_id,
            &NewResponse {
                survey_id: w.survey.id,
                version: w.survey.version,
                customer_id: Some(w.customer),
                agent_id: Some(w.agent),
                invitation_id: None,
                locale: Locale::He,
                source: ResponseSource::Api,
                idempotency_key: None,
                external_id: None,
                submitted_at: Utc::now(),
                answers: w.survey.definition.parse_answers(&raw).unwrap(),
            },
        )
        .await
        .unwrap();
    id
}

fn new_case(w: &World, response: Option<ResponseId>, at: DateTime<Utc>) -> NewCase {
    NewCase {
        title: "Detractor after the support call".into(),
        priority: Priority::High,
        source: if response.is_some() {
            CaseSource::Response
        } else {
            CaseSource::Manual
        },
        response_id: response,
        source_ref: None,
        customer_id: Some(w.customer),
        touchpoint_id: Some(w.touchpoint),
        agent_id: Some(w.agent),
        owner_id: None,
        triggers: vec![],
        original_nps: Some(3),
        opened_at: at,
        notify_owner: true,
    }
}

async fn cases_open_once_per_response_and_go_to_the_right_owner(store: Arc<dyn Storage>) {
    let w = world(&*store, "owners").await;
    let r = response(&*store, &w, 3.0).await;
    let t0 = now();
    let (case, created) = store
        .open_case(w.actor, &new_case(&w, Some(r), t0))
        .await
        .unwrap();
    assert!(created);
    assert_eq!(
        case.owner_id,
        Some(w.lead),
        "no touchpoint owner: the agent's team lead"
    );
    assert_eq!(case.state, CaseState::New);
    assert_eq!(
        case.first_contact_due,
        t0 + Duration::hours(8),
        "high priority: 8 h"
    );
    let (again, created) = store
        .open_case(w.actor, &new_case(&w, Some(r), t0))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, case.id);
    // The touchpoint owner comes first when there is one.
    let tp = store
        .get_touchpoint(w.actor.org_id, w.touchpoint)
        .await
        .unwrap();
    store
        .update_touchpoint(
            w.actor,
            w.touchpoint,
            &NewTouchpoint {
                stage_id: tp.stage_id,
                name: name(&tp.name),
                channel: tp.channel,
                owner_id: Some(w.manager),
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let (manual, _) = store
        .open_case(w.actor, &new_case(&w, None, t0))
        .await
        .unwrap();
    assert_eq!(manual.owner_id, Some(w.manager));
    // Another organisation sees none of it.
    let other = world(&*store, "owners-other").await;
    assert!(matches!(
        store.get_case(other.actor.org_id, case.id).await,
        Err(StorageError::NotFound { .. })
    ));
    let (list, total) = store
        .list_cases(
            w.actor.org_id,
            &CaseFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((list.len(), total), (2, 2));
    let mut foreign = new_case(&w, None, t0);
    foreign.customer_id = Some(other.customer);
    assert!(matches!(
        store.open_case(w.actor, &foreign).await,
        Err(StorageError::Invalid {
            field: "customer_id",
            ..
        })
    ));
}

async fn transitions_are_checked_and_recorded(store: Arc<dyn Storage>) {
    let w = world(&*store, "flow").await;
    let t0 = now();
    let (case, _) = store
        .open_case(w.actor, &new_case(&w, None, t0))
        .await
        .unwrap();
    let actor = Actor::user(w.actor.org_id, w.lead);
    let to = |to, outcome, reason: Option<&str>| Transition {
        to,
        outcome,
        reason: reason.map(str::to_string),
    };
    let err = store
        .transition_case(actor, case.id, &to(CaseState::Resolved, None, None), t0)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Invalid {
                field: "outcome",
                ..
            }
        ),
        "{err:?}"
    );
    let c = store
        .transition_case(
            actor,
            case.id,
            &to(CaseState::Contacted, None, None),
            t0 + Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(c.first_contact_at, Some(t0 + Duration::hours(1)));
    let err = store
        .transition_case(actor, case.id, &to(CaseState::New, None, None), t0)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Invalid { field: "to", .. }));
    store
        .add_case_note(
            actor,
            case.id,
            NoteKind::CustomerSaid,
            "Nobody called me back for a week.",
            t0,
        )
        .await
        .unwrap();
    store
        .add_case_note(
            actor,
            case.id,
            NoteKind::WePromised,
            "A technician on Sunday morning.",
            t0,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .add_case_note(actor, case.id, NoteKind::WeDid, "  ", t0)
            .await,
        Err(StorageError::Invalid { field: "body", .. })
    ));
    let c = store
        .transition_case(
            actor,
            case.id,
            &to(CaseState::Resolved, Some(Outcome::WonBack), None),
            t0 + Duration::hours(2),
        )
        .await
        .unwrap();
    assert_eq!(
        (c.state, c.outcome),
        (CaseState::Resolved, Some(Outcome::WonBack))
    );
    assert_eq!(c.finished_at, Some(t0 + Duration::hours(2)));
    assert_eq!(
        c.first_contact_at,
        Some(t0 + Duration::hours(1)),
        "first contact is kept"
    );
    let c = store
        .set_case_root_causes(actor, case.id, &["waiting_time".into()], t0)
        .await
        .unwrap();
    assert_eq!(c.root_causes, vec!["waiting_time"]);
    let events = store.case_events(w.actor.org_id, case.id).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["opened", "transition", "note", "note", "transition", "tag"]
    );
    assert_eq!(events[2].note_kind, Some(NoteKind::CustomerSaid));
    assert_eq!(events[4].actor_id, Some(w.lead));
    assert_eq!(events[4].body.as_deref(), Some("won_back"));
    // Reopening is allowed; closing needs a reason.
    store
        .transition_case(actor, case.id, &to(CaseState::InDialogue, None, None), t0)
        .await
        .unwrap();
    let err = store
        .transition_case(actor, case.id, &to(CaseState::Closed, None, Some(" ")), t0)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StorageError::Invalid {
            field: "reason",
            ..
        }
    ));
    let c = store
        .transition_case(
            actor,
            case.id,
            &to(CaseState::Closed, None, Some("Customer asked us to stop")),
            t0,
        )
        .await
        .unwrap();
    assert_eq!(c.close_reason.as_deref(), Some("Customer asked us to stop"));
    assert_eq!(c.outcome, None);
    let assigned = store
        .assign_case(actor, case.id, w.manager, t0)
        .await
        .unwrap();
    assert_eq!(assigned.owner_id, Some(w.manager));
}

async fn breached_cases_escalate_once_to_the_next_manager(store: Arc<dyn Storage>) {
    let w = world(&*store, "sla").await;
    let t0 = Utc::now() - Duration::hours(10);
    let (late, _) = store
        .open_case(w.actor, &new_case(&w, None, t0))
        .await
        .unwrap();
    let (fresh, _) = store
        .open_case(w.actor, &new_case(&w, None, Utc::now()))
        .await
        .unwrap();
    let breached = CaseFilter {
        breached_at: Some(Utc::now()),
        limit: 50,
        ..Default::default()
    };
    let (list, _) = store.list_cases(w.actor.org_id, &breached).await.unwrap();
    assert_eq!(list.iter().map(|c| c.id).collect::<Vec<_>>(), vec![late.id]);
    // Two workers sweep at once: the case is escalated by exactly one of them.
    let now = Utc::now();
    let (a, b) = tokio::join!(
        store.escalate_breached_cases(now),
        store.escalate_breached_cases(now)
    );
    let escalated: Vec<Case> = a
        .unwrap()
        .into_iter()
        .chain(b.unwrap())
        .filter(|c| c.org_id == w.actor.org_id)
        .collect();
    assert_eq!(escalated.len(), 1);
    assert_eq!(escalated[0].id, late.id);
    assert_eq!(
        escalated[0].escalated_to,
        Some(w.manager),
        "the owner is a team lead: a CX manager takes it"
    );
    assert!(store
        .escalate_breached_cases(now)
        .await
        .unwrap()
        .iter()
        .all(|c| c.org_id != w.actor.org_id));
    assert!(store
        .get_case(w.actor.org_id, fresh.id)
        .await
        .unwrap()
        .escalated_at
        .is_none());
    // With a controllable clock, the fresh case breaches 8 hours later.
    let later = store
        .escalate_breached_cases(Utc::now() + Duration::hours(9))
        .await
        .unwrap();
    assert!(later.iter().any(|c| c.id == fresh.id));
}

async fn case_changes_queue_signed_deliveries_for_subscribers(store: Arc<dyn Storage>) {
    let w = world(&*store, "hooks").await;
    let spec = |events: &[&str]| WebhookSpec {
        url: "http://127.0.0.1:9/hook".into(),
        description: "crm".into(),
        events: events.iter().map(|e| e.to_string()).collect(),
        active: true,
    };
    let all = store
        .create_webhook(w.actor, &spec(&["*"]), "s1")
        .await
        .unwrap();
    let closed_only = store
        .create_webhook(w.actor, &spec(&["case.closed"]), "s2")
        .await
        .unwrap();
    assert_eq!(all.spec.events, vec!["*"]);
    let (case, _) = store
        .open_case(w.actor, &new_case(&w, None, Utc::now()))
        .await
        .unwrap();
    let t = Transition {
        to: CaseState::Closed,
        outcome: None,
        reason: Some("duplicate".into()),
    };
    store
        .transition_case(w.actor, case.id, &t, Utc::now())
        .await
        .unwrap();
    let d_all = store
        .list_deliveries(w.actor.org_id, all.id, None, 100)
        .await
        .unwrap();
    let mut events: Vec<&str> = d_all.iter().map(|d| d.event.as_str()).collect();
    events.sort();
    assert_eq!(events, ["case.closed", "case.created"]);
    let d_closed = store
        .list_deliveries(w.actor.org_id, closed_only.id, None, 100)
        .await
        .unwrap();
    assert_eq!(d_closed.len(), 1);
    assert_eq!(d_closed[0].payload["state"], "closed");
    assert_ne!(d_closed[0].delivery_id, d_all[0].delivery_id);
    // Attempts are logged; a dead delivery can be sent again under the same delivery id.
    let d = &d_closed[0];
    let send = store.delivery_to_send(d.id).await.unwrap();
    assert_eq!((send.secret.as_str(), send.org_id), ("s2", w.actor.org_id));
    let attempt = DeliveryAttempt {
        at: Utc::now(),
        status: Some(503),
        error: None,
        duration_ms: 12,
    };
    store
        .record_delivery_attempt(d.id, &attempt, DeliveryState::Dead)
        .await
        .unwrap();
    let dead = store
        .list_deliveries(
            w.actor.org_id,
            closed_only.id,
            Some(DeliveryState::Dead),
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        (dead.len(), dead[0].attempts, dead[0].last_status),
        (1, 1, Some(503))
    );
    let again = store.redeliver(w.actor, d.id, Utc::now()).await.unwrap();
    assert_eq!(
        (again.state, again.delivery_id.as_str()),
        (DeliveryState::Pending, d.delivery_id.as_str())
    );
    assert_eq!(
        store
            .delivery_attempts(w.actor.org_id, d.id)
            .await
            .unwrap()
            .len(),
        1
    );
    let other = world(&*store, "hooks-other").await;
    assert!(store
        .delivery_attempts(other.actor.org_id, d.id)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store.redeliver(other.actor, d.id, Utc::now()).await,
        Err(StorageError::NotFound { .. })
    ));
    // An inactive endpoint gets nothing new.
    let mut off = spec(&["*"]);
    off.active = false;
    store.update_webhook(w.actor, all.id, &off).await.unwrap();
    assert_eq!(
        store
            .emit_event(
                w.actor.org_id,
                "response.created",
                &serde_json::json!({}),
                None,
                Utc::now()
            )
            .await
            .unwrap(),
        0
    );
    store
        .update_webhook(w.actor, all.id, &spec(&["*"]))
        .await
        .unwrap();
    let org = w.actor.org_id;
    let emit = |n: i32| {
        let store = store.clone();
        async move {
            store
                .emit_event(
                    org,
                    "response.created",
                    &serde_json::json!({"n": n}),
                    Some("response:1"),
                    Utc::now(),
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(emit(1).await, 1);
    assert_eq!(
        emit(2).await,
        0,
        "a retried job does not queue the same event twice"
    );
}

async fn followups_schedule_from_the_last_interaction(store: Arc<dyn Storage>) {
    let w = world(&*store, "follow").await;
    let t0 = now() - Duration::days(40);
    assert_eq!(
        store
            .schedule_followup(w.actor.org_id, w.touchpoint, w.customer, t0)
            .await
            .unwrap(),
        None
    );
    let plan = FollowupPlan {
        touchpoint_id: w.touchpoint,
        after_days: 30,
        mode: FollowupMode::Call,
        survey_id: None,
    };
    store.set_followup_plan(w.actor, &plan).await.unwrap();
    let id = store
        .schedule_followup(w.actor.org_id, w.touchpoint, w.customer, t0)
        .await
        .unwrap()
        .unwrap();
    let later = t0 + Duration::days(5);
    assert_eq!(
        store
            .schedule_followup(w.actor.org_id, w.touchpoint, w.customer, later)
            .await
            .unwrap(),
        Some(id)
    );
    assert_eq!(
        store
            .schedule_followup(w.actor.org_id, w.touchpoint, w.customer, t0)
            .await
            .unwrap(),
        Some(id)
    );
    let tasks = store
        .list_followups(
            w.actor.org_id,
            None,
            Some(FollowupState::Scheduled),
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        tasks[0].due_at,
        later + Duration::days(30),
        "the last interaction counts, not an older one"
    );
    let done = FollowupResult {
        state: FollowupState::Done,
        outcome: "Happy with the new router".into(),
    };
    let t = store
        .complete_followup(w.actor, id, &done, Utc::now())
        .await
        .unwrap();
    assert_eq!(t.state, FollowupState::Done);
    assert!(matches!(
        store
            .complete_followup(w.actor, id, &done, Utc::now())
            .await,
        Err(StorageError::Conflict { .. })
    ));
    // Survey mode: due tasks are taken once.
    let plan = FollowupPlan {
        mode: FollowupMode::Survey,
        survey_id: Some(w.survey.id),
        ..plan
    };
    store.set_followup_plan(w.actor, &plan).await.unwrap();
    store
        .schedule_followup(w.actor.org_id, w.touchpoint, w.customer, t0)
        .await
        .unwrap()
        .unwrap();
    let (a, b) = tokio::join!(
        store.take_due_survey_followups(Utc::now(), 10),
        store.take_due_survey_followups(Utc::now(), 10)
    );
    let taken: Vec<_> = a
        .unwrap()
        .into_iter()
        .chain(b.unwrap())
        .filter(|d| d.org_id == w.actor.org_id)
        .collect();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].survey_id, w.survey.id);
}

async fn rules_are_stored_per_organisation(store: Arc<dyn Storage>) {
    let w = world(&*store, "rules").await;
    for spec in default_rules() {
        store.create_alert_rule(w.actor, &spec).await.unwrap();
    }
    let rules = store.list_alert_rules(w.actor.org_id).await.unwrap();
    assert_eq!(rules.len(), 3);
    let mut spec = rules[0].spec.clone();
    spec.touchpoint_id = Some(w.touchpoint);
    let updated = store
        .update_alert_rule(w.actor, rules[0].id, &spec)
        .await
        .unwrap();
    assert_eq!(updated.spec.touchpoint_id, Some(w.touchpoint));
    let other = world(&*store, "rules-other").await;
    assert!(store
        .list_alert_rules(other.actor.org_id)
        .await
        .unwrap()
        .is_empty());
    spec.touchpoint_id = Some(other.touchpoint);
    assert!(matches!(
        store.update_alert_rule(w.actor, rules[0].id, &spec).await,
        Err(StorageError::Invalid {
            field: "touchpoint_id",
            ..
        })
    ));
    assert!(matches!(
        store.delete_alert_rule(other.actor, rules[0].id).await,
        Err(StorageError::NotFound { .. })
    ));
    store.delete_alert_rule(w.actor, rules[0].id).await.unwrap();
    let mut p = store.sla_policy(w.actor.org_id).await.unwrap();
    assert_eq!(p, SlaPolicy::default());
    p.urgent.first_contact_hours = 1;
    store.set_sla_policy(w.actor, &p).await.unwrap();
    assert_eq!(
        store
            .sla_policy(w.actor.org_id)
            .await
            .unwrap()
            .urgent
            .first_contact_hours,
        1
    );
}
