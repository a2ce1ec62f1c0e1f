//! The frontline services shared by the API, the web pages, the worker and the demo: import
//! (with PII redaction), analysis and auto-QA of a conversation, who may see which agent's
//! data, scorecards, and the "In the Zone" brief.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use rapport_domain::conversation::{metrics::metrics, Speaker, Transcript};
use rapport_domain::frontline::*;
use rapport_domain::model::User;
use rapport_domain::*;
pub use rapport_qa::Rubric;
use rapport_storage::{Actor, ConversationAnalysis, StorageError};
use rapport_text::{Analysis, Engine};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// The analysis job's kind, queued by storage with every new conversation.
pub const JOB_ANALYZE_CONVERSATION: &str = "analyze_conversation";

/// Emotion at or above which a customer counts as angry for "calm under anger".
const ANGER: [&str; 2] = ["anger", "frustration"];

/// Replaces personal data in every turn with typed placeholders (`[EMAIL]`, `[PHONE]`, …).
pub fn redact(t: Transcript) -> Transcript {
    let lang = t.language().map(|l| l.as_str());
    t.map_text(|text| {
        let spans = rapport_text::pii::detect(text, lang);
        if spans.is_empty() {
            text.to_string()
        } else {
            rapport_text::pii::redact(text, &spans)
        }
    })
}

/// Stores a conversation, redacted first when the organisation asks for it.
pub async fn import(
    state: &AppState,
    actor: Actor,
    t: Transcript,
) -> Result<(ConversationId, bool), StorageError> {
    let settings = state.store.org_settings(actor.org_id).await?;
    let t = if settings.redact_pii { redact(t) } else { t };
    let done = state
        .store
        .store_conversation(actor, &t, Utc::now())
        .await?;
    if done.1 {
        crate::jobs::notify_worker(state);
    }
    Ok(done)
}

/// The organisation's rubric, or the built-in one.
pub async fn rubric(state: &AppState, org: OrgId) -> Result<Rubric, StorageError> {
    match state.store.qa_rubric(org).await? {
        Some(json) => Rubric::from_json(&json)
            .map_err(|e| StorageError::Corrupt(format!("stored QA rubric: {e}"))),
        None => Ok(Rubric::default_rubric()),
    }
}

fn insight(a: &Analysis) -> TurnInsight {
    let emotion = a.emotions.first().filter(|e| e.score >= 0.3);
    TurnInsight {
        sentiment: a.sentiment.as_ref().map(|s| s.score),
        emotion: emotion.map(|e| e.name.clone()),
        emotion_score: emotion.map(|e| e.score).unwrap_or(0.0),
        signals: [
            ("effort", a.signals.effort),
            ("churn_intent", a.signals.churn_intent),
            ("escalation_risk", a.signals.escalation_risk),
            ("policy_deflection", a.signals.policy_deflection),
        ]
        .into_iter()
        .filter(|(_, v)| *v >= 0.5)
        .map(|(n, _)| n.to_string())
        .collect(),
        topics: a.topics.iter().map(|t| t.name.clone()).collect(),
    }
}

/// Analyses every turn and runs the rubric: what the worker stores, and the stable `rapport qa`
/// evaluation. CPU work: call it off the async threads.
pub fn analyse(t: &Transcript, rubric: &Rubric) -> (ConversationAnalysis, rapport_qa::Evaluation) {
    let (analyses, eval) = rapport_qa::evaluate_with(Engine::global(), rubric, t);
    let sentiment: Vec<Option<f32>> = analyses
        .iter()
        .map(|a| a.sentiment.as_ref().map(|s| s.score))
        .collect();
    let m = metrics(t, &sentiment).ok();
    let customer_turns = || {
        t.turns()
            .iter()
            .zip(&analyses)
            .filter(|(turn, _)| turn.speaker() == Speaker::Customer)
    };
    let peak_anger = customer_turns()
        .flat_map(|(_, a)| a.emotions.iter())
        .filter(|e| ANGER.contains(&e.name.as_str()))
        .map(|e| e.score)
        .reduce(f32::max);
    let mut topics: Vec<String> = Vec::new();
    for (_, a) in customer_turns() {
        for topic in &a.topics {
            if !topics.contains(&topic.name) {
                topics.push(topic.name.clone());
            }
        }
    }
    let praise_quote = rapport_qa::praise_turns(t, &analyses)
        .last()
        .map(|i| t.turns()[*i].text().chars().take(600).collect());
    let criteria = eval
        .criteria
        .iter()
        .map(|c| CriterionResult {
            name: c.name.clone(),
            weight: rubric
                .criteria
                .iter()
                .find(|r| r.name == c.name)
                .map(|r| r.weight)
                .unwrap_or(1.0),
            auto_score: c.score,
            human_score: None,
            override_reason: None,
            evidence: c
                .details
                .iter()
                .map(|d| EvidenceMark {
                    turn: d.turn,
                    effect: match d.effect {
                        rapport_qa::Effect::Raised => Effect::Raised,
                        rapport_qa::Effect::Lowered => Effect::Lowered,
                    },
                    cue: d.cue.clone(),
                })
                .collect(),
        })
        .collect();
    let analysis = ConversationAnalysis {
        insights: analyses.iter().map(|a| Some(insight(a))).collect(),
        metrics: serde_json::to_value(&m).unwrap_or(serde_json::Value::Null),
        customer_start: m.as_ref().and_then(|m| m.customer_start),
        customer_lowest: m.as_ref().and_then(|m| m.customer_lowest),
        customer_end: m.as_ref().and_then(|m| m.customer_end),
        emotional_lift: m.as_ref().and_then(|m| m.emotional_lift),
        peak_anger,
        flags: eval.flags.iter().map(|f| f.to_string()).collect(),
        topics,
        praise_quote,
        rubric: rubric.name.clone(),
        criteria,
    };
    (analysis, eval)
}

/// Analyses a stored conversation and saves the result; returns the stable evaluation.
pub async fn analyse_stored(
    state: &AppState,
    org: OrgId,
    id: ConversationId,
) -> Result<(Evaluation, rapport_qa::Evaluation), StorageError> {
    let stored = state.store.stored_transcript(org, id).await?;
    let rubric = rubric(state, org).await?;
    let (analysis, eval) =
        tokio::task::spawn_blocking(move || analyse(&stored.transcript, &rubric))
            .await
            .map_err(|e| StorageError::Corrupt(format!("analysis task: {e}")))?;
    let saved = state
        .store
        .save_conversation_analysis(org, id, &analysis, Utc::now())
        .await?;
    Ok((saved, eval))
}

/// Refuses (403) a caller who may not see this agent's conversations or evaluations.
pub fn check_agent_visible(
    viewer: &User,
    agent: Option<UserId>,
    agent_team: Option<TeamId>,
) -> Result<(), ApiError> {
    let allowed = match agent {
        Some(a) => can_see_agent(viewer.role, viewer.id, viewer.team_id, a, agent_team),
        // Conversations with no known agent are managers' business.
        None => matches!(viewer.role, Role::Admin | Role::CxManager | Role::TeamLead),
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// The scope a caller's lists are limited to: agents to themselves, leads to their team.
pub fn scope(viewer: &User) -> (Option<UserId>, Option<TeamId>) {
    match viewer.role {
        Role::Agent => (Some(viewer.id), None),
        Role::TeamLead => (None, Some(viewer.team_id.unwrap_or(TeamId(-1)))),
        _ => (None, None),
    }
}

/// A list filtered by agent or team is refused (403) when the filter names someone the viewer
/// may not see, as the pages do, rather than quietly answering an empty list: an agent may
/// name only themselves and their own team, a team lead only their team and its members.
pub async fn check_filters(
    state: &AppState,
    viewer: &User,
    agent: Option<UserId>,
    team: Option<TeamId>,
) -> Result<(), ApiError> {
    if matches!(viewer.role, Role::Agent | Role::TeamLead) {
        if let Some(t) = team {
            if viewer.team_id != Some(t) {
                return Err(ApiError::Forbidden);
            }
        }
    }
    if let Some(a) = agent {
        let agent_team = match state.store.get_user(viewer.org_id, a).await {
            Ok(u) => u.team_id,
            Err(StorageError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        check_agent_visible(viewer, Some(a), agent_team)?;
    }
    Ok(())
}

/// Scorecards of the last `months` months the viewer may see.
pub async fn scorecards_for(
    state: &AppState,
    viewer: &User,
    agent: Option<UserId>,
    team: Option<TeamId>,
    months: i64,
) -> Result<Vec<Scorecard>, ApiError> {
    check_filters(state, viewer, agent, team).await?;
    let (scope_agent, scope_team) = scope(viewer);
    let org = viewer.org_id;
    let since = Utc::now() - Duration::days(31 * months.clamp(1, 24));
    let rows = state
        .store
        .scored_conversations(org, scope_agent.or(agent), scope_team.or(team), since)
        .await?;
    let users = state.store.list_users(org, None).await?;
    let names: BTreeMap<UserId, (String, Option<TeamId>)> = users
        .iter()
        .map(|u| (u.id, (u.display_name.to_string(), u.team_id)))
        .collect();
    let cards = scorecards(&rows, &names)
        .into_iter()
        .filter(|c| {
            can_see_agent(
                viewer.role,
                viewer.id,
                viewer.team_id,
                c.agent_id,
                c.team_id,
            )
        })
        .collect();
    Ok(cards)
}

/// A moment in the customer's journey so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct BriefMoment {
    pub at: chrono::DateTime<Utc>,
    /// `response`, `conversation` or `case`.
    pub kind: &'static str,
    pub touchpoint: Option<String>,
    pub nps: Option<i32>,
    pub csat: Option<i32>,
    pub sentiment: Option<f32>,
    pub text: Option<String>,
    pub link: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BriefCase {
    pub id: CaseId,
    pub title: String,
    pub state: String,
    /// What we promised the customer (case notes of kind `we_promised`).
    pub promises: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BriefConversation {
    pub id: ConversationId,
    pub started_at: chrono::DateTime<Utc>,
    pub agent_name: Option<String>,
    pub customer_start: Option<f32>,
    pub customer_lowest: Option<f32>,
    pub customer_end: Option<f32>,
    pub emotional_lift: Option<f32>,
}

/// What an agent reads before a contact: seed 003's emotional preparation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Brief {
    pub customer_id: CustomerId,
    pub name: String,
    pub locale: Locale,
    /// Newest first.
    pub journey: Vec<BriefMoment>,
    pub recent_nps: Option<f64>,
    pub open_cases: Vec<BriefCase>,
    pub last_conversation: Option<BriefConversation>,
    /// Topics the customer has been unhappy about: handle with care.
    pub careful_topics: Vec<String>,
    /// A suggested first sentence in the customer's language.
    pub opening_line: String,
}

/// Builds the brief for a customer. Agents see it for any customer of their organisation:
/// it is about the customer, and preparing for the contact is the point.
pub async fn brief(state: &AppState, org: OrgId, id: CustomerId) -> Result<Brief, ApiError> {
    let customer = state.store.get_customer(org, id).await?;
    let filter = rapport_domain::voc::ResponseFilter {
        customer: Some(id),
        ..Default::default()
    };
    let (responses, _) = state.store.list_responses(org, &filter, 20, 0).await?;
    let conversations = state
        .store
        .list_conversations(
            org,
            &rapport_storage::ConversationFilter {
                customer_id: Some(id),
                limit: 10,
                ..Default::default()
            },
        )
        .await?;
    let (cases, _) = state
        .store
        .list_cases(
            org,
            &rapport_domain::cases::CaseFilter {
                customer_id: Some(id),
                limit: 20,
                ..Default::default()
            },
        )
        .await?;
    let mut touchpoints: BTreeMap<i64, String> = BTreeMap::new();
    for tp in responses
        .iter()
        .map(|r| r.touchpoint_id)
        .chain(conversations.iter().filter_map(|c| c.touchpoint_id))
    {
        if let std::collections::btree_map::Entry::Vacant(v) = touchpoints.entry(tp.0) {
            if let Ok(t) = state.store.get_touchpoint(org, tp).await {
                v.insert(t.name.to_string());
            }
        }
    }
    let tp_name = |id: Option<TouchpointId>| id.and_then(|t| touchpoints.get(&t.0).cloned());
    let mut journey: Vec<BriefMoment> = Vec::new();
    let mut careful: Vec<String> = Vec::new();
    for r in &responses {
        let sentiment = r
            .analysis
            .as_ref()
            .and_then(|a| a.sentiment_score)
            .map(|s| s as f32);
        if sentiment.is_some_and(|s| s < -0.2) || r.nps.is_some_and(|n| n <= 6) {
            for t in r.analysis.iter().flat_map(|a| a.topics.iter()) {
                if !careful.contains(t) {
                    careful.push(t.clone());
                }
            }
        }
        journey.push(BriefMoment {
            at: r.submitted_at,
            kind: "response",
            touchpoint: tp_name(Some(r.touchpoint_id)),
            nps: r.nps,
            csat: r.csat,
            sentiment,
            text: r.comment.clone(),
            link: format!("/responses/{}", r.id.0),
        });
    }
    for c in &conversations {
        if c.customer_end.is_some_and(|s| s < -0.2) || c.peak_anger.is_some_and(|a| a >= 0.5) {
            for t in &c.topics {
                if !careful.contains(t) {
                    careful.push(t.clone());
                }
            }
        }
        journey.push(BriefMoment {
            at: c.started_at,
            kind: "conversation",
            touchpoint: tp_name(c.touchpoint_id),
            nps: None,
            csat: None,
            sentiment: c.customer_end,
            text: None,
            link: format!("/conversations/{}", c.id.0),
        });
    }
    let mut open_cases = Vec::new();
    for c in cases.iter().filter(|c| c.state.is_open()) {
        let promises = state
            .store
            .case_events(org, c.id)
            .await?
            .into_iter()
            .filter(|e| e.note_kind == Some(rapport_domain::cases::NoteKind::WePromised))
            .filter_map(|e| e.body)
            .collect();
        journey.push(BriefMoment {
            at: c.created_at,
            kind: "case",
            touchpoint: tp_name(c.touchpoint_id),
            nps: c.original_nps,
            csat: None,
            sentiment: None,
            text: Some(c.title.clone()),
            link: format!("/cases/{}", c.id.0),
        });
        open_cases.push(BriefCase {
            id: c.id,
            title: c.title.clone(),
            state: c.state.as_str().to_string(),
            promises,
        });
    }
    journey.sort_by_key(|m| std::cmp::Reverse(m.at));
    journey.truncate(30);
    let nps: Vec<f64> = responses
        .iter()
        .take(5)
        .filter_map(|r| r.nps)
        .map(f64::from)
        .collect();
    let recent_nps = (!nps.is_empty()).then(|| nps.iter().sum::<f64>() / nps.len() as f64);
    let last_conversation = conversations.first().map(|c| BriefConversation {
        id: c.id,
        started_at: c.started_at,
        agent_name: c.agent_name.clone(),
        customer_start: c.customer_start,
        customer_lowest: c.customer_lowest,
        customer_end: c.customer_end,
        emotional_lift: c.emotional_lift,
    });
    careful.truncate(5);
    let first_name = customer
        .name
        .to_string()
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let situation = if !open_cases.is_empty() {
        "open-case"
    } else if last_conversation
        .as_ref()
        .and_then(|c| c.customer_end)
        .is_some_and(|e| e < -0.2)
        || recent_nps.is_some_and(|n| n <= 6.0)
    {
        "unhappy"
    } else {
        "fine"
    };
    let tr = crate::i18n::Tr {
        i18n: state.i18n.clone(),
        locale: customer.locale,
    };
    let opening_line = tr.ta(
        &format!("brief-opening-{situation}"),
        &[("name", first_name.as_str().into())],
    );
    Ok(Brief {
        customer_id: customer.id,
        name: customer.name.to_string(),
        locale: customer.locale,
        journey,
        recent_nps,
        open_cases,
        last_conversation,
        careful_topics: careful,
        opening_line,
    })
}
