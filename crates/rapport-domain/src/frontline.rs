//! The frontline (seeds 000 and 003): stored conversations and their auto-QA evaluations, the
//! emotional-labour scorecard that sits beside efficiency, coaching, managers' listening time,
//! recognition and legacy stories, and the anonymous shift check-in.
//!
//! Everything here is arithmetic and rules; the QA engine lives in `rapport-qa`, storage in
//! `rapport-storage`. Who may see what is decided by [`can_see_agent`], in one place.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::journey::Channel;
use crate::voc::ResponseId;
use crate::{
    CoachingId, ConversationId, CustomerId, DomainError, EvaluationId, KudosId, ListeningId, Role,
    StoryId, TeamId, TouchpointId, UserId,
};

/// Smallest group whose anonymous answers (check-ins, manager ratings) are ever shown.
pub const DEFAULT_MIN_GROUP_SIZE: i64 = 5;
/// No organisation may set the minimum group size below this.
pub const FLOOR_MIN_GROUP_SIZE: i64 = 3;
/// Bank of America's four hours a month of listening to customers (seed 000).
pub const DEFAULT_LISTENING_TARGET_MINUTES: i32 = 240;

/// Whether `viewer` may see per-agent data (evaluations, scorecards, coaching) of an agent.
/// Agents see only their own; team leads their team and themselves; CX managers and
/// administrators everyone; viewers (executives) only aggregates, never one person.
pub fn can_see_agent(
    role: Role,
    viewer: UserId,
    viewer_team: Option<TeamId>,
    agent: UserId,
    agent_team: Option<TeamId>,
) -> bool {
    match role {
        Role::Admin | Role::CxManager => true,
        Role::TeamLead => viewer == agent || (viewer_team.is_some() && viewer_team == agent_team),
        Role::Agent => viewer == agent,
        Role::Viewer => false,
    }
}

/// What the text engine said about one turn, kept with the conversation for the transcript view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TurnInsight {
    /// −1…1; `None` when the turn's language is not analysed.
    pub sentiment: Option<f32>,
    /// The strongest service emotion at or above 0.3, with its score.
    pub emotion: Option<String>,
    pub emotion_score: f32,
    /// Signals at or above 0.5 (`effort`, `churn_intent`, `escalation_risk`, `policy_deflection`).
    pub signals: Vec<String>,
    pub topics: Vec<String>,
}

/// One stored conversation as lists and queues show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub external_id: String,
    pub channel: Channel,
    pub agent_id: Option<UserId>,
    pub agent_name: Option<String>,
    pub team_id: Option<TeamId>,
    pub customer_id: Option<CustomerId>,
    pub touchpoint_id: Option<TouchpointId>,
    pub started_at: DateTime<Utc>,
    pub language: Option<String>,
    pub turn_count: i32,
    /// Seconds from the first turn's start to the last turn's end, when timed.
    pub handle_seconds: Option<f64>,
    /// Whether the analysis job has run.
    pub analysed: bool,
    pub customer_start: Option<f32>,
    pub customer_lowest: Option<f32>,
    pub customer_end: Option<f32>,
    pub emotional_lift: Option<f32>,
    /// Strongest anger or frustration the customer showed, 0–1.
    pub peak_anger: Option<f32>,
    pub qa_overall: Option<i32>,
    pub flags: Vec<String>,
    pub topics: Vec<String>,
}

/// A turn with its analysis, for the transcript view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TurnView {
    pub speaker: crate::conversation::Speaker,
    pub text: String,
    pub start: Option<f64>,
    pub end: Option<f64>,
    pub insight: Option<TurnInsight>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConversationDetail {
    #[serde(flatten)]
    pub summary: ConversationSummary,
    pub turns: Vec<TurnView>,
    /// The conversation metrics (trajectory, talk share, monologue, latency, overtalk).
    #[schema(value_type = Object)]
    pub metrics: Option<serde_json::Value>,
}

/// Whether a turn raised or lowered a criterion's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Raised,
    Lowered,
}

/// One piece of evidence: the turn, which way it moved the score, and the phrase that did it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EvidenceMark {
    pub turn: usize,
    pub effect: Effect,
    pub cue: String,
}

/// A criterion as evaluated: the engine's score with its evidence, and a reviewer's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CriterionResult {
    pub name: String,
    pub weight: f32,
    /// `None` when the criterion did not apply (e.g. resilience with a calm customer).
    pub auto_score: Option<u8>,
    /// Set when a manager reviewed: their score (equal to `auto_score` when they agreed).
    pub human_score: Option<u8>,
    pub override_reason: Option<String>,
    pub evidence: Vec<EvidenceMark>,
}

impl CriterionResult {
    /// The score that counts: the reviewer's when there is one.
    pub fn score(&self) -> Option<u8> {
        self.human_score.or(self.auto_score)
    }
}

/// Where an evaluation stands between the engine, the reviewing manager and the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationStatus {
    /// Scored by the engine only.
    Auto,
    /// A manager reviewed (and possibly overrode) the scores.
    Reviewed,
    Acknowledged,
    Disputed,
}

impl EvaluationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EvaluationStatus::Auto => "auto",
            EvaluationStatus::Reviewed => "reviewed",
            EvaluationStatus::Acknowledged => "acknowledged",
            EvaluationStatus::Disputed => "disputed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "auto" => Ok(Self::Auto),
            "reviewed" => Ok(Self::Reviewed),
            "acknowledged" => Ok(Self::Acknowledged),
            "disputed" => Ok(Self::Disputed),
            _ => Err(DomainError::new("status", "unknown evaluation status")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Evaluation {
    pub id: EvaluationId,
    pub conversation_id: ConversationId,
    pub agent_id: Option<UserId>,
    pub rubric: String,
    pub criteria: Vec<CriterionResult>,
    pub flags: Vec<String>,
    pub status: EvaluationStatus,
    pub reviewer_id: Option<UserId>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub coaching_note: Option<String>,
    pub agent_comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Evaluation {
    /// Weighted mean of the criteria that apply, with reviewers' scores where given.
    pub fn overall(&self) -> Option<u8> {
        weighted_overall(self.criteria.iter().map(|c| (c.weight, c.score())))
    }

    /// The engine's own overall, before any review.
    pub fn auto_overall(&self) -> Option<u8> {
        weighted_overall(self.criteria.iter().map(|c| (c.weight, c.auto_score)))
    }

    /// Effective score per criterion, for aggregation.
    pub fn scores(&self) -> BTreeMap<String, u8> {
        self.criteria
            .iter()
            .filter_map(|c| c.score().map(|s| (c.name.clone(), s)))
            .collect()
    }
}

fn weighted_overall(items: impl Iterator<Item = (f32, Option<u8>)>) -> Option<u8> {
    let (mut sum, mut weight) = (0.0f32, 0.0f32);
    for (w, s) in items {
        if let Some(s) = s {
            sum += w * f32::from(s);
            weight += w;
        }
    }
    (weight > 0.0).then(|| (sum / weight).round().clamp(0.0, 100.0) as u8)
}

/// A manager's review: a score per criterion they changed (with a reason each) and a coaching
/// note. Criteria left out are confirmed as the engine scored them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Review {
    #[serde(default)]
    pub overrides: Vec<Override>,
    #[serde(default)]
    pub coaching_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Override {
    pub criterion: String,
    pub score: u8,
    pub reason: String,
}

impl Review {
    /// Applies the review to an evaluation's criteria; errors name `overrides[i].field`.
    pub fn apply(&self, criteria: &mut [CriterionResult]) -> Result<(), DomainError> {
        for (i, o) in self.overrides.iter().enumerate() {
            if o.score > 100 {
                return Err(DomainError::new(
                    format!("overrides[{i}].score"),
                    "must be between 0 and 100",
                ));
            }
            if o.reason.trim().chars().count() < 3 {
                return Err(DomainError::new(
                    format!("overrides[{i}].reason"),
                    "say why the score is different (calibration needs the reason)",
                ));
            }
            if !criteria.iter().any(|c| c.name == o.criterion) {
                return Err(DomainError::new(
                    format!("overrides[{i}].criterion"),
                    "is not a criterion of this evaluation",
                ));
            }
        }
        if let Some(note) = &self.coaching_note {
            if note.chars().count() > 4000 {
                return Err(DomainError::new(
                    "coaching_note",
                    "must be at most 4000 characters",
                ));
            }
        }
        for c in criteria.iter_mut() {
            match self.overrides.iter().find(|o| o.criterion == c.name) {
                Some(o) => {
                    c.human_score = Some(o.score);
                    c.override_reason = Some(o.reason.trim().to_string());
                }
                None => {
                    c.human_score = c.auto_score;
                    c.override_reason = None;
                }
            }
        }
        Ok(())
    }
}

/// How an agent answers an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentResponse {
    Acknowledge,
    Dispute,
}

impl AgentResponse {
    /// A dispute must say what is wrong; an acknowledgement may carry a comment.
    pub fn check(self, comment: Option<&str>) -> Result<EvaluationStatus, DomainError> {
        let words = comment.map(|c| c.trim().chars().count()).unwrap_or(0);
        if comment.map(|c| c.chars().count()).unwrap_or(0) > 4000 {
            return Err(DomainError::new(
                "comment",
                "must be at most 4000 characters",
            ));
        }
        match self {
            AgentResponse::Acknowledge => Ok(EvaluationStatus::Acknowledged),
            AgentResponse::Dispute if words < 3 => Err(DomainError::new(
                "comment",
                "a dispute needs a comment saying what the evaluation got wrong",
            )),
            AgentResponse::Dispute => Ok(EvaluationStatus::Disputed),
        }
    }
}

/// Agreement between the engine and reviewers on one criterion (calibration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CriterionAgreement {
    pub criterion: String,
    /// Reviewed evaluations where both scores exist.
    pub n: usize,
    /// Share where the reviewer kept the engine's score.
    pub kept: f64,
    /// Share within 10 points.
    pub within_10: f64,
    pub mean_abs_diff: f64,
    /// Reviewer minus engine, on average: positive means the engine is too harsh.
    pub mean_bias: f64,
}

/// Agreement per criterion over reviewed evaluations, in rubric order of first appearance.
pub fn agreement<'a>(
    evaluations: impl IntoIterator<Item = &'a Evaluation>,
) -> Vec<CriterionAgreement> {
    let mut order: Vec<String> = Vec::new();
    let mut pairs: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for e in evaluations {
        if e.reviewer_id.is_none() {
            continue;
        }
        for c in &e.criteria {
            if let (Some(a), Some(h)) = (c.auto_score, c.human_score) {
                if !pairs.contains_key(&c.name) {
                    order.push(c.name.clone());
                }
                pairs
                    .entry(c.name.clone())
                    .or_default()
                    .push((f64::from(a), f64::from(h)));
            }
        }
    }
    order
        .into_iter()
        .map(|name| {
            let p = &pairs[&name];
            let n = p.len() as f64;
            CriterionAgreement {
                n: p.len(),
                kept: p.iter().filter(|(a, h)| a == h).count() as f64 / n,
                within_10: p.iter().filter(|(a, h)| (a - h).abs() <= 10.0).count() as f64 / n,
                mean_abs_diff: p.iter().map(|(a, h)| (a - h).abs()).sum::<f64>() / n,
                mean_bias: p.iter().map(|(a, h)| h - a).sum::<f64>() / n,
                criterion: name,
            }
        })
        .collect()
}

/// What the scorecard needs from one analysed conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredConversation {
    pub agent_id: UserId,
    pub started_at: DateTime<Utc>,
    pub handle_seconds: Option<f64>,
    pub lift: Option<f32>,
    pub peak_anger: Option<f32>,
    pub scores: BTreeMap<String, u8>,
    pub praised: bool,
}

/// The emotional-labour components, each 0–100 (`None` without data), and how they are made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LabourComponents {
    /// Mean emotional lift, mapped from −2…2 to 0…100 (50 = the customer ended as they began).
    pub lift: Option<f64>,
    /// Mean QA empathy score.
    pub empathy: Option<f64>,
    /// Mean QA ownership score.
    pub ownership: Option<f64>,
    /// Mean QA resilience score over conversations where the customer was angry (≥ 0.5).
    pub calm_under_anger: Option<f64>,
    /// Share of conversations where the customer praised the agent, ×200, capped at 100
    /// (praise in half of one's conversations is already exceptional).
    pub praise: Option<f64>,
}

impl LabourComponents {
    /// The index: the plain mean of the components that have data, so no single number
    /// (least of all speed) can stand in for the craft.
    pub fn index(&self) -> Option<f64> {
        let v: Vec<f64> = [
            self.lift,
            self.empathy,
            self.ownership,
            self.calm_under_anger,
            self.praise,
        ]
        .into_iter()
        .flatten()
        .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    }
}

/// One agent's month: the emotional-labour index beside (never instead of) efficiency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScorecardPeriod {
    /// `YYYY-MM`.
    pub period: String,
    pub conversations: usize,
    pub emotional_labour_index: Option<f64>,
    pub components: LabourComponents,
    pub qa_overall: Option<f64>,
    /// Mean handle time in seconds (timed conversations only).
    pub handle_seconds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Scorecard {
    pub agent_id: UserId,
    pub agent_name: String,
    pub team_id: Option<TeamId>,
    /// Oldest month first.
    pub periods: Vec<ScorecardPeriod>,
    /// Components that rose by 5 points or more from the previous month to the last.
    pub improved: Vec<String>,
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut s, mut n) = (0.0, 0usize);
    for x in v {
        s += x;
        n += 1;
    }
    (n > 0).then(|| s / n as f64)
}

/// `YYYY-MM` of a time.
pub fn month_of(t: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", t.year(), t.month())
}

/// Builds one period from its conversations.
pub fn scorecard_period(period: String, rows: &[&ScoredConversation]) -> ScorecardPeriod {
    let score = |name: &'static str| {
        mean(
            rows.iter()
                .filter_map(move |r| r.scores.get(name).map(|s| f64::from(*s))),
        )
    };
    let components = LabourComponents {
        lift: mean(rows.iter().filter_map(|r| {
            r.lift
                .map(|l| (50.0 + 25.0 * f64::from(l)).clamp(0.0, 100.0))
        })),
        empathy: score("empathy"),
        ownership: score("ownership"),
        calm_under_anger: mean(
            rows.iter()
                .filter(|r| r.peak_anger.unwrap_or(0.0) >= 0.5)
                .filter_map(|r| r.scores.get("resilience").map(|s| f64::from(*s))),
        ),
        praise: (!rows.is_empty()).then(|| {
            let share = rows.iter().filter(|r| r.praised).count() as f64 / rows.len() as f64;
            (share * 200.0).min(100.0)
        }),
    };
    ScorecardPeriod {
        period,
        conversations: rows.len(),
        emotional_labour_index: components.index(),
        qa_overall: mean(rows.iter().filter_map(|r| {
            let (s, n) = r
                .scores
                .values()
                .fold((0.0, 0usize), |(s, n), v| (s + f64::from(*v), n + 1));
            (n > 0).then(|| s / n as f64)
        })),
        handle_seconds: mean(rows.iter().filter_map(|r| r.handle_seconds)),
        components,
    }
}

/// Monthly scorecards per agent, oldest month first, with what improved in the last month.
pub fn scorecards(
    rows: &[ScoredConversation],
    names: &BTreeMap<UserId, (String, Option<TeamId>)>,
) -> Vec<Scorecard> {
    let mut by_agent: BTreeMap<UserId, BTreeMap<String, Vec<&ScoredConversation>>> =
        BTreeMap::new();
    for r in rows {
        by_agent
            .entry(r.agent_id)
            .or_default()
            .entry(month_of(r.started_at))
            .or_default()
            .push(r);
    }
    by_agent
        .into_iter()
        .map(|(agent, months)| {
            let periods: Vec<ScorecardPeriod> = months
                .into_iter()
                .map(|(m, rows)| scorecard_period(m, &rows))
                .collect();
            let improved = match periods.as_slice() {
                [.., prev, last] => improvements(&prev.components, &last.components),
                _ => Vec::new(),
            };
            let (name, team) = names.get(&agent).cloned().unwrap_or_default();
            Scorecard {
                agent_id: agent,
                agent_name: name,
                team_id: team,
                periods,
                improved,
            }
        })
        .collect()
}

fn improvements(prev: &LabourComponents, last: &LabourComponents) -> Vec<String> {
    [
        ("lift", prev.lift, last.lift),
        ("empathy", prev.empathy, last.empathy),
        ("ownership", prev.ownership, last.ownership),
        (
            "calm_under_anger",
            prev.calm_under_anger,
            last.calm_under_anger,
        ),
        ("praise", prev.praise, last.praise),
    ]
    .into_iter()
    .filter_map(|(name, a, b)| match (a, b) {
        (Some(a), Some(b)) if b - a >= 5.0 => Some(name.to_string()),
        _ => None,
    })
    .collect()
}

/// A coaching session as a manager records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewCoaching {
    pub agent_id: UserId,
    /// The QA criterion to work on (e.g. `empathy`).
    pub focus: String,
    /// What agent and manager agreed, in their words.
    pub agreed: String,
    #[serde(default)]
    pub conversation_ids: Vec<ConversationId>,
    pub follow_up_on: NaiveDate,
}

impl NewCoaching {
    pub fn validate(&self, criteria: &[String], today: NaiveDate) -> Result<(), DomainError> {
        if !criteria.contains(&self.focus) {
            return Err(DomainError::new(
                "focus",
                format!("must be one of: {}", criteria.join(", ")),
            ));
        }
        let agreed = self.agreed.trim().chars().count();
        if !(3..=4000).contains(&agreed) {
            return Err(DomainError::new(
                "agreed",
                "write what you agreed (3 to 4000 characters)",
            ));
        }
        if self.follow_up_on < today {
            return Err(DomainError::new("follow_up_on", "must be today or later"));
        }
        if self.conversation_ids.len() > 50 {
            return Err(DomainError::new(
                "conversation_ids",
                "at most 50 conversations",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Coaching {
    pub id: CoachingId,
    pub agent_id: UserId,
    pub agent_name: String,
    pub manager_id: UserId,
    pub manager_name: String,
    pub focus: String,
    pub agreed: String,
    pub conversation_ids: Vec<ConversationId>,
    pub follow_up_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    /// Mean focus-criterion score in the 30 days before the session and since it.
    pub focus_before: Option<f64>,
    pub focus_after: Option<f64>,
    pub after_n: usize,
}

/// Time a manager spent with real customer conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewListening {
    pub minutes: i32,
    #[serde(default)]
    pub conversation_id: Option<ConversationId>,
    pub listened_on: NaiveDate,
    #[serde(default)]
    pub note: Option<String>,
}

impl NewListening {
    pub fn validate(&self, today: NaiveDate) -> Result<(), DomainError> {
        if !(1..=480).contains(&self.minutes) {
            return Err(DomainError::new("minutes", "must be between 1 and 480"));
        }
        if self.listened_on > today {
            return Err(DomainError::new("listened_on", "cannot be in the future"));
        }
        if self.note.as_deref().map(|n| n.chars().count()).unwrap_or(0) > 2000 {
            return Err(DomainError::new("note", "must be at most 2000 characters"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ListeningEntry {
    pub id: ListeningId,
    pub manager_id: UserId,
    pub minutes: i32,
    pub conversation_id: Option<ConversationId>,
    pub listened_on: NaiveDate,
    pub note: Option<String>,
}

/// A manager's listening this month against their target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ListeningAttainment {
    pub manager_id: UserId,
    pub manager_name: String,
    pub role: Role,
    pub target_minutes: i32,
    pub minutes: i64,
    /// minutes / target, 0…(more than 1 when exceeded).
    pub attainment: f64,
}

/// A conversation suggested for listening, with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ListenSuggestion {
    pub conversation: ConversationSummary,
    pub reasons: Vec<String>,
    pub priority: f64,
}

/// Ranks conversations worth a manager's ear: strong emotion, a customer who ended worse than
/// they began, topics rarely heard, low QA, churn or escalation flags. Conversations already
/// listened to are left out by the caller.
pub fn listen_next(candidates: Vec<ConversationSummary>, limit: usize) -> Vec<ListenSuggestion> {
    listen_next_with(candidates, &HashMap::new(), limit)
}

/// [`listen_next`], and also conversations that *resemble* known problems even when their
/// metrics look fine: `resemblance` holds, per conversation, the best cosine of its turns to
/// the turns of known poor examples (see [`examples`]), computed by the semantic tier.
pub fn listen_next_with(
    candidates: Vec<ConversationSummary>,
    resemblance: &HashMap<ConversationId, f32>,
    limit: usize,
) -> Vec<ListenSuggestion> {
    let mut topic_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &candidates {
        for t in &c.topics {
            *topic_counts.entry(t.as_str()).or_default() += 1;
        }
    }
    let total = candidates.len().max(1) as f64;
    let scored: Vec<(f64, Vec<String>)> = candidates
        .iter()
        .map(|c| {
            let mut reasons = Vec::new();
            let mut p = 0.0;
            if let Some(a) = c.peak_anger.filter(|a| *a >= 0.5) {
                p += f64::from(a) * 2.0;
                reasons.push("high_emotion".to_string());
            }
            if let Some(l) = c.emotional_lift.filter(|l| *l < 0.0) {
                p += f64::from(-l) * 1.5;
                reasons.push("low_lift".to_string());
            }
            let rare = c
                .topics
                .iter()
                .filter(|t| (topic_counts[t.as_str()] as f64) / total < 0.05)
                .count();
            if rare > 0 {
                p += 1.0;
                reasons.push("unusual_topic".to_string());
            }
            if let Some(q) = c.qa_overall.filter(|q| *q < 50) {
                p += f64::from(50 - q) / 25.0;
                reasons.push("low_qa".to_string());
            }
            for f in ["churn_risk", "escalation_risk"] {
                if c.flags.iter().any(|x| x == f) {
                    p += 1.0;
                    reasons.push(f.to_string());
                }
            }
            if let Some(w) = resemblance.get(&c.id).and_then(|s| examples::weight(*s)) {
                p += w;
                reasons.push(examples::RESEMBLES_KNOWN_PROBLEM.to_string());
            }
            (p, reasons)
        })
        .collect();
    let mut out: Vec<ListenSuggestion> = scored
        .into_iter()
        .zip(candidates)
        .filter(|((p, _), _)| *p > 0.0)
        .map(|((priority, reasons), conversation)| ListenSuggestion {
            conversation,
            reasons,
            priority,
        })
        .collect();
    out.sort_by(|a, b| {
        b.priority
            .total_cmp(&a.priority)
            .then(b.conversation.started_at.cmp(&a.conversation.started_at))
    });
    out.truncate(limit);
    out
}

/// Recognition from anyone to anyone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewKudos {
    pub to_user: UserId,
    pub message: String,
    /// Public kudos appear on the team wall; private ones only to the two people.
    #[serde(default = "yes")]
    pub public: bool,
    #[serde(default)]
    pub conversation_id: Option<ConversationId>,
    #[serde(default)]
    pub response_id: Option<ResponseId>,
}

fn yes() -> bool {
    true
}

impl NewKudos {
    pub fn validate(&self, from: UserId) -> Result<(), DomainError> {
        if self.to_user == from {
            return Err(DomainError::new(
                "to_user",
                "recognise someone else — kudos to oneself do not count",
            ));
        }
        let n = self.message.trim().chars().count();
        if !(3..=1000).contains(&n) {
            return Err(DomainError::new("message", "must be 3 to 1000 characters"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Kudos {
    pub id: KudosId,
    pub from_user: UserId,
    pub from_name: String,
    pub to_user: UserId,
    pub to_name: String,
    pub to_team: Option<TeamId>,
    pub message: String,
    pub public: bool,
    pub conversation_id: Option<ConversationId>,
    pub response_id: Option<ResponseId>,
    pub created_at: DateTime<Utc>,
}

/// Praise by a customer that nobody has turned into recognition yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PraiseSuggestion {
    pub agent_id: UserId,
    pub agent_name: String,
    pub conversation_id: Option<ConversationId>,
    pub response_id: Option<ResponseId>,
    /// The customer's own words.
    pub quote: String,
    pub at: DateTime<Utc>,
    /// Why it is suggested beyond the praise itself (`resembles_celebrated_moment`).
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// A legacy story (seed 003): a real interaction told as the customer's words, what the agent
/// did and what came of it. Stories appear on the wall only once a manager approves them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewStory {
    pub agent_id: UserId,
    pub title: String,
    /// The organisation value the story shows (e.g. "ownership").
    pub value: String,
    pub customer_words: String,
    pub agent_did: String,
    pub outcome: String,
    #[serde(default)]
    pub conversation_id: Option<ConversationId>,
    #[serde(default)]
    pub response_id: Option<ResponseId>,
}

impl NewStory {
    pub fn validate(&self) -> Result<(), DomainError> {
        for (field, v, max) in [
            ("title", &self.title, 200),
            ("value", &self.value, 60),
            ("customer_words", &self.customer_words, 4000),
            ("agent_did", &self.agent_did, 4000),
            ("outcome", &self.outcome, 4000),
        ] {
            let n = v.trim().chars().count();
            if n == 0 {
                return Err(DomainError::new(field, "is required"));
            }
            if n > max {
                return Err(DomainError::new(
                    field,
                    format!("must be at most {max} characters"),
                ));
            }
        }
        if self.conversation_id.is_none() && self.response_id.is_none() {
            return Err(DomainError::new(
                "conversation_id",
                "a legacy story is built from a real interaction: link a conversation or a response",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Story {
    pub id: StoryId,
    pub agent_id: UserId,
    pub agent_name: String,
    pub team_id: Option<TeamId>,
    pub title: String,
    pub value: String,
    pub customer_words: String,
    pub agent_did: String,
    pub outcome: String,
    pub conversation_id: Option<ConversationId>,
    pub response_id: Option<ResponseId>,
    pub approved: bool,
    pub created_by: UserId,
    pub approved_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// An agent's private mood before a shift, 1 (drained) … 5 (ready). Stored with the team and
/// day only, never the person.
pub fn check_mood(mood: i32) -> Result<i32, DomainError> {
    if (1..=5).contains(&mood) {
        Ok(mood)
    } else {
        Err(DomainError::new("mood", "must be between 1 and 5"))
    }
}

/// Check-in mood of a team over a period, shown only when enough people answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MoodGroup {
    pub team_id: TeamId,
    pub team_name: String,
    /// Monday of the week, `YYYY-MM-DD`.
    pub week: String,
    /// Answers in the group; `None` with `suppressed` when below the minimum group size.
    pub n: Option<i64>,
    pub mean_mood: Option<f64>,
    pub suppressed: bool,
}

/// Hides any group smaller than the organisation's minimum group size (never below the floor).
pub fn suppress_small(
    team_id: TeamId,
    team_name: String,
    week: String,
    n: i64,
    sum: i64,
    min_group: i64,
) -> MoodGroup {
    let min = min_group.max(FLOOR_MIN_GROUP_SIZE);
    if n < min {
        MoodGroup {
            team_id,
            team_name,
            week,
            n: None,
            mean_mood: None,
            suppressed: true,
        }
    } else {
        MoodGroup {
            team_id,
            team_name,
            week,
            n: Some(n),
            mean_mood: Some(sum as f64 / n as f64),
            suppressed: false,
        }
    }
}

/// The four service-leader traits of seed 003 a team rates its lead on, 1–5 each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ManagerRating {
    /// Is who they say they are; means what they say.
    pub authenticity: i32,
    /// Listens, admits mistakes, puts the team first.
    pub humility: i32,
    /// Knows the frontline's work and the customers; is present.
    pub connectedness: i32,
    /// Cares about people as people.
    pub care: i32,
}

impl ManagerRating {
    pub const TRAITS: [&'static str; 4] = ["authenticity", "humility", "connectedness", "care"];

    pub fn validate(&self) -> Result<(), DomainError> {
        for (name, v) in Self::TRAITS.iter().zip(self.values()) {
            if !(1..=5).contains(&v) {
                return Err(DomainError::new(*name, "must be between 1 and 5"));
            }
        }
        Ok(())
    }

    pub fn values(&self) -> [i32; 4] {
        [
            self.authenticity,
            self.humility,
            self.connectedness,
            self.care,
        ]
    }
}

/// `YYYY-Qn`: ratings are collected per quarter, so groups are large enough to show.
pub fn quarter_of(day: NaiveDate) -> String {
    format!("{}-Q{}", day.year(), day.month0() / 3 + 1)
}

/// A manager's ratings in one quarter; means only when enough people answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ManagerRatingSummary {
    pub manager_id: UserId,
    pub manager_name: String,
    pub period: String,
    pub n: Option<i64>,
    /// Mean per trait, in [`ManagerRating::TRAITS`] order.
    pub means: Option<Vec<f64>>,
    pub suppressed: bool,
}

/// Summarises ratings (sums per trait), hiding groups below the minimum size.
pub fn summarise_ratings(
    manager_id: UserId,
    manager_name: String,
    period: String,
    n: i64,
    sums: [i64; 4],
    min_group: i64,
) -> ManagerRatingSummary {
    let shown = n >= min_group.max(FLOOR_MIN_GROUP_SIZE);
    ManagerRatingSummary {
        manager_id,
        manager_name,
        period,
        n: shown.then_some(n),
        means: shown.then(|| sums.iter().map(|s| *s as f64 / n as f64).collect()),
        suppressed: !shown,
    }
}

pub mod examples;

#[cfg(test)]
mod tests;
