//! Demo cases: the organisation's default alert rules, and cases opened from recent detractor
//! answers at every stage of the loop — new, breached, in dialogue, won back, not recovered,
//! closed without action — with dialogue notes in the customer's language.

use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use rapport_domain::alerts::{default_rules, evaluate_all, AlertRule};
use rapport_domain::cases::*;
use rapport_domain::survey::NpsGroup;
use rapport_domain::voc::{Response, ResponseFilter};
use rapport_domain::Locale;
use rapport_storage::{Actor, Storage};

/// What the customer told us, what we did, what we promised — per language.
fn dialogue(locale: Locale) -> [(NoteKind, &'static str); 3] {
    match locale {
        Locale::He => [
            (NoteKind::CustomerSaid, "אמרה שהמתינה שבוע ואף אחד לא חזר אליה, ושהיא שוקלת לעזוב."),
            (NoteKind::WeDid, "התקשרתי, התנצלתי ובדקתי את ההזמנה; הטכנאי שובץ מחדש."),
            (NoteKind::WePromised, "אחזור אליה ביום חמישי עד 12:00 לוודא שהכול תקין."),
        ],
        Locale::El => [
            (NoteKind::CustomerSaid, "Μας είπε ότι περίμενε μία εβδομάδα χωρίς απάντηση και σκέφτεται να φύγει."),
            (NoteKind::WeDid, "Τηλεφώνησα, ζήτησα συγγνώμη και έλεγξα την παραγγελία· ο τεχνικός προγραμματίστηκε ξανά."),
            (NoteKind::WePromised, "Θα την καλέσω την Πέμπτη ως τις 12:00 για να βεβαιωθώ ότι όλα είναι εντάξει."),
        ],
        Locale::En => [
            (NoteKind::CustomerSaid, "Said she waited a week with no call back and is thinking of leaving."),
            (NoteKind::WeDid, "Called, apologised and checked the order; the technician is rebooked."),
            (NoteKind::WePromised, "I will call her on Thursday before noon to make sure all is well."),
        ],
    }
}

/// Seeds rules and up to `n` cases; returns how many cases were opened.
pub async fn seed(
    store: &dyn Storage,
    actor: Actor,
    rng: &mut StdRng,
    n: usize,
) -> anyhow::Result<usize> {
    let org = actor.org_id;
    for spec in default_rules() {
        store.create_alert_rule(actor, &spec).await?;
    }
    let rules: Vec<AlertRule> = store.list_alert_rules(org).await?;
    let filter = ResponseFilter {
        nps_group: Some(NpsGroup::Detractor),
        from: Some(Utc::now() - Duration::days(60)),
        ..Default::default()
    };
    let (recent, _) = store.list_responses(org, &filter, n as i64 * 3, 0).await?;
    let mut opened = 0;
    for r in recent.iter().filter(|r| r.customer_id.is_some()).take(n) {
        let verdict = evaluate_all(&rules, &crate::jobs::alerts_facts(r));
        if !verdict.create_case {
            continue;
        }
        let (case, created) = store.open_case(actor, &new_case(r, verdict)).await?;
        if !created {
            continue;
        }
        opened += 1;
        let lead = Actor {
            org_id: org,
            user_id: case.owner_id,
        };
        let at = |h: i64| case.created_at + Duration::hours(h);
        // Older cases are further along; the newest stay new (and some of those are late).
        let age_days = (Utc::now() - case.created_at).num_days();
        let roll: f64 = rng.gen();
        if age_days < 2 || roll < 0.15 {
            continue; // new: the sweep escalates the ones past their deadline
        }
        let contact_h = rng.gen_range(1..30);
        store
            .transition_case(
                lead,
                case.id,
                &Transition {
                    to: CaseState::Contacted,
                    outcome: None,
                    reason: None,
                },
                at(contact_h),
            )
            .await?;
        for (i, (kind, text)) in dialogue(r.locale).into_iter().enumerate() {
            store
                .add_case_note(lead, case.id, kind, text, at(contact_h + i as i64))
                .await?;
        }
        if roll < 0.35 {
            store
                .transition_case(
                    lead,
                    case.id,
                    &Transition {
                        to: CaseState::InDialogue,
                        outcome: None,
                        reason: None,
                    },
                    at(contact_h + 3),
                )
                .await?;
            continue;
        }
        let tags: Vec<String> = r
            .analysis
            .as_ref()
            .map(|a| a.topics.iter().take(2).cloned().collect())
            .unwrap_or_default();
        if !tags.is_empty() {
            store
                .set_case_root_causes(lead, case.id, &tags, at(contact_h + 4))
                .await?;
        }
        let t = if roll < 0.45 {
            Transition {
                to: CaseState::Closed,
                outcome: None,
                reason: Some("Customer asked not to be contacted again".into()),
            }
        } else if roll < 0.8 {
            Transition {
                to: CaseState::Resolved,
                outcome: Some(Outcome::WonBack),
                reason: None,
            }
        } else {
            Transition {
                to: CaseState::Resolved,
                outcome: Some(Outcome::NotRecovered),
                reason: None,
            }
        };
        store
            .transition_case(lead, case.id, &t, at(contact_h + rng.gen_range(5..120)))
            .await?;
    }
    followup_calls(store, actor).await?;
    // The demo does its own follow-up bookkeeping: no surveys are e-mailed from seed data.
    store
        .complete_queued_jobs(crate::jobs::cases::JOB_CASE_FOLLOWUP, Utc::now())
        .await?;
    store
        .complete_queued_jobs("notify_case", Utc::now())
        .await?;
    Ok(opened)
}

fn new_case(r: &Response, verdict: rapport_domain::alerts::Verdict) -> NewCase {
    let comment = r.comment.clone().unwrap_or_default();
    let mut title: String = comment.chars().take(120).collect();
    if title.trim().is_empty() {
        title = format!("NPS {}", r.nps.unwrap_or_default());
    }
    NewCase {
        title,
        priority: verdict.priority,
        source: CaseSource::Response,
        response_id: Some(r.id),
        source_ref: None,
        customer_id: r.customer_id,
        touchpoint_id: Some(r.touchpoint_id),
        agent_id: r.agent_id,
        owner_id: None,
        triggers: verdict.triggers,
        original_nps: r.nps,
        opened_at: r.submitted_at,
        notify_owner: false,
    }
}

/// Follow-up call plans on the touchpoints with the most recent answers, and the calls they
/// schedule for customers served in the last six weeks (some already due).
async fn followup_calls(store: &dyn Storage, actor: Actor) -> anyhow::Result<()> {
    use rapport_domain::followups::{FollowupMode, FollowupPlan};
    let org = actor.org_id;
    let recent = ResponseFilter {
        from: Some(Utc::now() - Duration::days(42)),
        ..Default::default()
    };
    let (responses, _) = store.list_responses(org, &recent, 400, 0).await?;
    let mut planned = Vec::new();
    for r in &responses {
        if planned.len() < 3 && !planned.contains(&r.touchpoint_id) {
            planned.push(r.touchpoint_id);
            let plan = FollowupPlan {
                touchpoint_id: r.touchpoint_id,
                after_days: 30,
                mode: FollowupMode::Call,
                survey_id: None,
            };
            store.set_followup_plan(actor, &plan).await?;
        }
    }
    for r in responses
        .iter()
        .filter(|r| planned.contains(&r.touchpoint_id))
    {
        if let Some(c) = r.customer_id {
            store
                .schedule_followup(org, r.touchpoint_id, c, r.submitted_at)
                .await?;
        }
    }
    Ok(())
}
