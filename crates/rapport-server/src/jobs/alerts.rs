//! Closes the loop on an analysed response: a follow-up answer goes to its case, a new answer
//! schedules the touchpoint's post-service follow-up, the alert rules decide whether a person
//! must act, and integrators hear about the response. Every step is idempotent, so a retried
//! job repeats none of it.

use chrono::{Duration, Utc};
use rapport_domain::alerts::{evaluate_all, Condition, ResponseFacts};
use rapport_domain::cases::{CaseSource, NewCase};
use rapport_domain::stats::Nps;
use rapport_domain::voc::{GroupBy, Response, ResponseFilter};
use rapport_domain::OrgId;
use rapport_storage::Actor;
use serde_json::json;

use super::JobError;
use crate::state::AppState;

/// Job kind for owner notifications (new case, assignment, SLA breach, notify-only alerts).
pub const JOB_NOTIFY_CASE: &str = "notify_case";

pub async fn close_loop(state: &AppState, org: OrgId, r: &Response) -> Result<(), JobError> {
    let now = Utc::now();
    let answered_case = state.store.record_case_followup(org, r.id).await?;
    if answered_case.is_none() {
        if let Some(customer) = r.customer_id {
            state
                .store
                .schedule_followup(org, r.touchpoint_id, customer, r.submitted_at)
                .await?;
        }
        let rules = state.store.list_alert_rules(org).await?;
        let mut facts = facts(r);
        let wants_trend = rules.iter().any(|rule| {
            rule.in_scope(&facts)
                && rule
                    .spec
                    .conditions
                    .iter()
                    .any(|c| matches!(c, Condition::WeeklyNpsDrop))
        });
        if wants_trend {
            facts.weekly_nps = weekly_nps(state, org, r).await?;
        }
        let verdict = evaluate_all(&rules, &facts);
        if verdict.create_case {
            let new = NewCase {
                title: title(state, org, r).await?,
                priority: verdict.priority,
                source: CaseSource::Response,
                response_id: Some(r.id),
                source_ref: None,
                customer_id: r.customer_id,
                touchpoint_id: Some(r.touchpoint_id),
                agent_id: r.agent_id,
                owner_id: None,
                triggers: verdict.triggers.clone(),
                original_nps: r.nps,
                opened_at: r.submitted_at.max(now - Duration::days(1)),
                notify_owner: verdict.notify,
            };
            let (case, created) = state.store.open_case(Actor::system(org), &new).await?;
            if created {
                tracing::info!(case = %case.id, response = %r.id, "case opened by alert rules");
            }
        } else if verdict.notify {
            state
                .store
                .enqueue_job(
                    Some(org),
                    JOB_NOTIFY_CASE,
                    &json!({ "response_id": r.id, "reason": "alert", "triggers": verdict.triggers }),
                    now,
                )
                .await?;
        }
    }
    let data = json!({
        "id": r.id,
        "survey_id": r.survey_id,
        "touchpoint_id": r.touchpoint_id,
        "customer_id": r.customer_id,
        "agent_id": r.agent_id,
        "locale": r.locale,
        "submitted_at": r.submitted_at,
        "nps": r.nps,
        "csat": r.csat,
        "ces": r.ces,
        "expectation": r.expectation,
        "experience": r.experience,
        "comment": r.analysis.as_ref().and_then(|a| a.redacted_comment.clone()).or_else(|| r.comment.clone()),
        "sentiment": r.analysis.as_ref().and_then(|a| a.sentiment_label.clone()),
        "topics": r.analysis.as_ref().map(|a| a.topics.clone()).unwrap_or_default(),
    });
    state
        .store
        .emit_event(
            org,
            "response.created",
            &data,
            Some(&format!("response:{}", r.id)),
            now,
        )
        .await?;
    Ok(())
}

/// What the rules can see: the answers, and what the text engine read in the comment.
pub fn facts(r: &Response) -> ResponseFacts {
    let detail = r.analysis.as_ref().map(|a| &a.detail);
    let signal = |name: &str| {
        detail
            .and_then(|d| d["signals"][name].as_f64())
            .map(|v| v as f32)
    };
    let anger = detail.and_then(|d| {
        d["emotions"].as_array().map(|es| {
            es.iter()
                .find(|e| e["name"] == "anger")
                .and_then(|e| e["score"].as_f64())
                .unwrap_or(0.0) as f32
        })
    });
    ResponseFacts {
        stage_id: Some(r.stage_id),
        touchpoint_id: Some(r.touchpoint_id),
        nps: r.nps,
        csat: r.csat,
        ces: r.ces,
        gap: r.experience.zip(r.expectation).map(|(x, e)| x - e),
        negative: r
            .analysis
            .as_ref()
            .and_then(|a| a.sentiment_label.as_deref())
            .map(|l| l == "negative"),
        anger,
        escalation_risk: signal("escalation_risk"),
        churn_intent: signal("churn_intent"),
        topics: r
            .analysis
            .as_ref()
            .map(|a| a.topics.clone())
            .unwrap_or_default(),
        weekly_nps: None,
    }
}

/// The touchpoint's NPS in the ISO week before the response's and in its own week.
async fn weekly_nps(
    state: &AppState,
    org: OrgId,
    r: &Response,
) -> Result<Option<(Nps, Nps)>, JobError> {
    let filter = ResponseFilter {
        touchpoint: Some(r.touchpoint_id),
        from: Some(r.submitted_at - Duration::days(14)),
        to: Some(r.submitted_at + Duration::seconds(1)),
        ..Default::default()
    };
    let rows = state
        .store
        .response_sums_by_period(org, &filter, GroupBy::None, GroupBy::Week)
        .await?;
    let (_, week, _) = rapport_domain::voc::period_keys(r.submitted_at);
    let (_, last_week, _) = rapport_domain::voc::period_keys(r.submitted_at - Duration::days(7));
    let nps_of = |key: &str| {
        rows.iter().find(|(_, s)| s.key == key).and_then(|(_, s)| {
            Nps::from_counts(
                s.promoters as u64,
                (s.nps_n - s.promoters - s.detractors) as u64,
                s.detractors as u64,
            )
        })
    };
    Ok(nps_of(&last_week).zip(nps_of(&week)))
}

/// A case title in the customer's own words when they wrote some (seed 004: take the
/// customer at their word), else the score and the touchpoint.
async fn title(state: &AppState, org: OrgId, r: &Response) -> Result<String, JobError> {
    let comment = r
        .analysis
        .as_ref()
        .and_then(|a| a.redacted_comment.clone())
        .or_else(|| r.comment.clone());
    if let Some(c) = comment.filter(|c| !c.trim().is_empty()) {
        let clean: String = c
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .filter(|ch| !ch.is_control() && !rapport_domain::values::is_bidi_control(*ch))
            .collect();
        let mut t: String = clean.chars().take(120).collect();
        if clean.chars().count() > 120 {
            t.push('…');
        }
        return Ok(t);
    }
    let tp = state.store.get_touchpoint(org, r.touchpoint_id).await?;
    Ok(match (r.nps, r.csat) {
        (Some(n), _) => format!("NPS {n} · {}", tp.name),
        (None, Some(c)) => format!("CSAT {c} · {}", tp.name),
        _ => tp.name,
    })
}
