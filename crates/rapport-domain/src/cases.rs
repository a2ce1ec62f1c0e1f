//! Cases: the closed loop with one customer. A state machine with an audit trail, service-level
//! targets per priority, and the metrics that tell whether the organisation wins people back.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::alerts::Trigger;
use crate::stats::Nps;
use crate::voc::ResponseId;
use crate::{CaseId, CustomerId, DomainError, OrgId, TeamId, TouchpointId, UserId};

/// How urgent a case is; decides its service-level targets. Ordered from least to most urgent.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| DomainError::new(field, "must be low, normal, high or urgent"))
    }
}

/// Where a case is in the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    New,
    Contacted,
    InDialogue,
    /// Resolved with an [`Outcome`]: won back or not recovered.
    Resolved,
    /// Closed without action; a reason is required.
    Closed,
}

impl CaseState {
    pub const ALL: [CaseState; 5] = [
        CaseState::New,
        CaseState::Contacted,
        CaseState::InDialogue,
        CaseState::Resolved,
        CaseState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::New => "new",
            CaseState::Contacted => "contacted",
            CaseState::InDialogue => "in_dialogue",
            CaseState::Resolved => "resolved",
            CaseState::Closed => "closed",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                DomainError::new(
                    field,
                    "must be new, contacted, in_dialogue, resolved or closed",
                )
            })
    }

    pub fn is_open(self) -> bool {
        !matches!(self, CaseState::Resolved | CaseState::Closed)
    }

    /// The states a case may move to from here. Finished cases can only be reopened.
    pub fn next(self) -> &'static [CaseState] {
        use CaseState::*;
        match self {
            New => &[Contacted, InDialogue, Resolved, Closed],
            Contacted => &[InDialogue, Resolved, Closed],
            InDialogue => &[Resolved, Closed],
            Resolved | Closed => &[InDialogue],
        }
    }
}

/// How a resolved case ended for the customer relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    WonBack,
    NotRecovered,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::WonBack => "won_back",
            Outcome::NotRecovered => "not_recovered",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        match s {
            "won_back" => Ok(Outcome::WonBack),
            "not_recovered" => Ok(Outcome::NotRecovered),
            _ => Err(DomainError::new(field, "must be won_back or not_recovered")),
        }
    }
}

/// A requested move of a case, checked by [`Transition::check`] before anything is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Transition {
    pub to: CaseState,
    /// Required when `to` is `resolved`.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// Required when `to` is `closed` (closed without action).
    #[serde(default)]
    pub reason: Option<String>,
}

impl Transition {
    /// Whether this move is legal from `from`; the error names the field to fix.
    pub fn check(&self, from: CaseState) -> Result<(), DomainError> {
        if !from.next().contains(&self.to) {
            let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
            return Err(DomainError::new(
                "to",
                format!(
                    "a {} case cannot move to {}; allowed: {}",
                    from.as_str(),
                    self.to.as_str(),
                    allowed.join(", ")
                ),
            ));
        }
        match (self.to, self.outcome) {
            (CaseState::Resolved, None) => {
                return Err(DomainError::new(
                    "outcome",
                    "say whether the customer was won back or not recovered",
                ))
            }
            (CaseState::Resolved, Some(_)) => {}
            (_, Some(_)) => {
                return Err(DomainError::new(
                    "outcome",
                    "only a resolved case has an outcome",
                ))
            }
            _ => {}
        }
        let reason = self.reason.as_deref().map(str::trim).unwrap_or("");
        if self.to == CaseState::Closed && reason.is_empty() {
            return Err(DomainError::new(
                "reason",
                "closing without action needs a reason",
            ));
        }
        if reason.chars().count() > 2000 {
            return Err(DomainError::new("reason", "at most 2000 characters"));
        }
        Ok(())
    }

    /// Whether this move means somebody spoke with the customer.
    pub fn is_contact(&self) -> bool {
        matches!(
            self.to,
            CaseState::Contacted | CaseState::InDialogue | CaseState::Resolved
        )
    }
}

/// Service-level targets for one priority, in hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaTarget {
    pub first_contact_hours: u32,
    pub resolution_hours: u32,
}

/// Targets for every priority, configurable per organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaPolicy {
    pub low: SlaTarget,
    pub normal: SlaTarget,
    pub high: SlaTarget,
    pub urgent: SlaTarget,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        let t = |first_contact_hours, resolution_hours| SlaTarget {
            first_contact_hours,
            resolution_hours,
        };
        SlaPolicy {
            low: t(72, 336),
            normal: t(24, 168),
            high: t(8, 72),
            urgent: t(2, 24),
        }
    }
}

impl SlaPolicy {
    pub fn target(&self, p: Priority) -> SlaTarget {
        match p {
            Priority::Low => self.low,
            Priority::Normal => self.normal,
            Priority::High => self.high,
            Priority::Urgent => self.urgent,
        }
    }

    /// Deadlines for a case opened at `opened`: first contact, then resolution.
    pub fn deadlines(&self, p: Priority, opened: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let t = self.target(p);
        (
            opened + Duration::hours(i64::from(t.first_contact_hours)),
            opened + Duration::hours(i64::from(t.resolution_hours)),
        )
    }

    pub fn validate(&self) -> Result<(), DomainError> {
        for p in Priority::ALL {
            let t = self.target(p);
            let f = p.as_str();
            if t.first_contact_hours == 0 || t.first_contact_hours > 24 * 90 {
                return Err(DomainError::new(
                    format!("{f}.first_contact_hours"),
                    "must be between 1 and 2160 hours",
                ));
            }
            if t.resolution_hours < t.first_contact_hours || t.resolution_hours > 24 * 365 {
                return Err(DomainError::new(
                    format!("{f}.resolution_hours"),
                    "must be at least the first-contact target and at most a year",
                ));
            }
        }
        Ok(())
    }
}

/// What kind of entry a dialogue note is: seed 004 asks to keep the customer's own words apart
/// from what we did and what we promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    CustomerSaid,
    WeDid,
    WePromised,
    Internal,
}

impl NoteKind {
    pub const ALL: [NoteKind; 4] = [
        NoteKind::CustomerSaid,
        NoteKind::WeDid,
        NoteKind::WePromised,
        NoteKind::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::CustomerSaid => "customer_said",
            NoteKind::WeDid => "we_did",
            NoteKind::WePromised => "we_promised",
            NoteKind::Internal => "internal",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                DomainError::new(
                    field,
                    "must be customer_said, we_did, we_promised or internal",
                )
            })
    }
}

/// Where a case came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseSource {
    Response,
    Conversation,
    Manual,
}

impl CaseSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseSource::Response => "response",
            CaseSource::Conversation => "conversation",
            CaseSource::Manual => "manual",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        match s {
            "response" => Ok(CaseSource::Response),
            "conversation" => Ok(CaseSource::Conversation),
            "manual" => Ok(CaseSource::Manual),
            _ => Err(DomainError::new(
                field,
                "must be response, conversation or manual",
            )),
        }
    }
}

/// Root-cause tags: taxonomy topic keys or custom words; normalised so they group.
pub fn parse_root_causes(field: &str, tags: &[String]) -> Result<Vec<String>, DomainError> {
    if tags.len() > 20 {
        return Err(DomainError::new(field, "at most 20 root causes"));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for (i, t) in tags.iter().enumerate() {
        let t = t.trim().to_lowercase().replace(' ', "_");
        if t.is_empty() || t.chars().count() > 64 || t.chars().any(|c| c.is_control()) {
            return Err(DomainError::new(
                format!("{field}[{i}]"),
                "must be 1 to 64 printable characters",
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// A case as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Case {
    pub id: CaseId,
    pub org_id: OrgId,
    pub title: String,
    pub state: CaseState,
    pub outcome: Option<Outcome>,
    pub priority: Priority,
    pub source: CaseSource,
    pub response_id: Option<ResponseId>,
    /// The conversation or helpdesk ticket this case came from, as the source system names it.
    pub source_ref: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub touchpoint_id: Option<TouchpointId>,
    pub agent_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub owner_id: Option<UserId>,
    /// Why the case was opened (the rules that fired), empty for manual cases.
    pub triggers: Vec<Trigger>,
    pub root_causes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_contact_at: Option<DateTime<Utc>>,
    pub first_contact_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    /// When the case was resolved or closed.
    pub finished_at: Option<DateTime<Utc>>,
    pub close_reason: Option<String>,
    /// When an SLA breach was escalated, and to whom.
    pub escalated_at: Option<DateTime<Utc>>,
    pub escalated_to: Option<UserId>,
    /// The NPS answer that opened the case, and the answer to the "did we make it right?" survey.
    pub original_nps: Option<i32>,
    pub followup_nps: Option<i32>,
}

/// A case to open: from a response (by the alert rules), a conversation, or by hand.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub title: String,
    pub priority: Priority,
    pub source: CaseSource,
    pub response_id: Option<ResponseId>,
    pub source_ref: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub touchpoint_id: Option<TouchpointId>,
    pub agent_id: Option<UserId>,
    /// `None` assigns the touchpoint owner, else the team lead of the agent involved.
    pub owner_id: Option<UserId>,
    pub triggers: Vec<Trigger>,
    pub original_nps: Option<i32>,
    pub opened_at: DateTime<Utc>,
    /// E-mail the owner that the case is theirs.
    pub notify_owner: bool,
}

impl NewCase {
    /// Checks the free-text parts a person typed.
    pub fn validate(&self) -> Result<(), DomainError> {
        let n = self.title.trim().chars().count();
        if n == 0 || n > 200 {
            return Err(DomainError::new("title", "must be 1 to 200 characters"));
        }
        if self
            .title
            .chars()
            .any(|c| c.is_control() || crate::values::is_bidi_control(c))
        {
            return Err(DomainError::new(
                "title",
                "must not contain control characters",
            ));
        }
        Ok(())
    }
}

/// Which cases to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    pub state: Option<CaseState>,
    /// Only cases not yet resolved or closed.
    pub open_only: bool,
    pub owner_id: Option<UserId>,
    pub touchpoint_id: Option<TouchpointId>,
    pub team_id: Option<TeamId>,
    pub customer_id: Option<CustomerId>,
    /// Only cases past a deadline they have not met, as of this moment.
    pub breached_at: Option<DateTime<Utc>>,
    pub opened_from: Option<DateTime<Utc>>,
    pub opened_to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

/// Service-level standing of a case at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct SlaStatus {
    pub first_contact_breached: bool,
    pub resolution_breached: bool,
    /// The next deadline still ahead (first contact, else resolution); `None` when finished.
    pub next_due: Option<DateTime<Utc>>,
}

impl SlaStatus {
    pub fn breached(&self) -> bool {
        self.first_contact_breached || self.resolution_breached
    }
}

impl Case {
    /// Where the case stands against its deadlines at `now` (a parameter so tests control time).
    pub fn sla(&self, now: DateTime<Utc>) -> SlaStatus {
        // A case closed without contact stops its first-contact clock when it closes.
        let contact_clock_stopped = self.first_contact_at.or(self.finished_at).unwrap_or(now);
        let first_contact_breached = contact_clock_stopped > self.first_contact_due;
        let resolution_breached = self.finished_at.unwrap_or(now) > self.resolution_due;
        let next_due = if !self.state.is_open() {
            None
        } else if self.first_contact_at.is_none() {
            Some(self.first_contact_due)
        } else {
            Some(self.resolution_due)
        };
        SlaStatus {
            first_contact_breached,
            resolution_breached,
            next_due,
        }
    }
}

/// One entry of a case's history: a transition, a dialogue note, an assignment or an escalation.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseEvent {
    pub id: i64,
    pub case_id: CaseId,
    /// `transition`, `note`, `assign`, `escalate`, `tag` or `followup`.
    pub kind: String,
    pub from_state: Option<CaseState>,
    pub to_state: Option<CaseState>,
    pub note_kind: Option<NoteKind>,
    pub body: Option<String>,
    pub actor_id: Option<UserId>,
    pub at: DateTime<Utc>,
}

/// Closed-loop figures for one group of cases (a team, touchpoint or period).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseMetrics {
    pub key: String,
    pub cases: u64,
    pub open: u64,
    pub closure_rate: Option<f64>,
    /// Median hours from opening to first contact, over contacted cases.
    pub median_hours_to_first_contact: Option<f64>,
    /// Share of cases whose deadlines have passed or been met that met both.
    pub sla_attainment: Option<f64>,
    pub breached: u64,
    /// NPS of the answers that opened the cases and of the follow-up answers, over cases with both.
    pub followups: u64,
    pub nps_original: Option<f64>,
    pub nps_followup: Option<f64>,
    /// Share of followed-up cases where the customer is no longer a detractor.
    pub recovery_rate: Option<f64>,
    pub won_back: u64,
    /// Share of cases whose customer had another case in the previous 90 days.
    pub repeat_issue_rate: Option<f64>,
}

/// A ranked root cause.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RootCauseCount {
    pub tag: String,
    pub cases: u64,
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
}

/// How long before a case counts as a repeat of an earlier one for the same customer.
pub const REPEAT_WINDOW_DAYS: i64 = 90;

/// Metrics per group, `key` choosing the group of each case (e.g. its team or ISO week).
/// `all` must hold every case needed for the repeat-issue look-back, not just the period.
pub fn case_metrics(
    cases: &[Case],
    now: DateTime<Utc>,
    key: impl Fn(&Case) -> String,
) -> Vec<CaseMetrics> {
    let mut by_customer: HashMap<CustomerId, Vec<DateTime<Utc>>> = HashMap::new();
    for c in cases {
        if let Some(cust) = c.customer_id {
            by_customer.entry(cust).or_default().push(c.created_at);
        }
    }
    let mut groups: BTreeMap<String, Vec<&Case>> = BTreeMap::new();
    for c in cases {
        groups.entry(key(c)).or_default().push(c);
    }
    groups
        .into_iter()
        .map(|(key, cs)| {
            let n = cs.len() as u64;
            let open = cs.iter().filter(|c| c.state.is_open()).count() as u64;
            let hours: Vec<f64> = cs
                .iter()
                .filter_map(|c| {
                    c.first_contact_at
                        .map(|t| (t - c.created_at).num_seconds() as f64 / 3600.0)
                })
                .collect();
            let mut judged = 0;
            let mut met = 0;
            let mut breached = 0;
            for c in &cs {
                let s = c.sla(now);
                let decided = !c.state.is_open() || now > c.resolution_due || s.breached();
                if s.breached() {
                    breached += 1;
                }
                if decided {
                    judged += 1;
                    if !s.breached() {
                        met += 1;
                    }
                }
            }
            let pairs: Vec<(i32, i32)> = cs
                .iter()
                .filter_map(|c| Some((c.original_nps?, c.followup_nps?)))
                .collect();
            let nps_of = |xs: Vec<i32>| {
                Nps::from_scores(xs.into_iter().map(|x| x.clamp(0, 10) as u8)).map(|n| n.score)
            };
            let detractor_pairs: Vec<&(i32, i32)> = pairs.iter().filter(|(o, _)| *o <= 6).collect();
            let recovered = detractor_pairs.iter().filter(|(_, f)| *f >= 7).count() as u64;
            let with_customer: Vec<&&Case> =
                cs.iter().filter(|c| c.customer_id.is_some()).collect();
            let repeats = with_customer
                .iter()
                .filter(|c| {
                    let earlier = c.created_at - Duration::days(REPEAT_WINDOW_DAYS);
                    by_customer[&c.customer_id.unwrap()]
                        .iter()
                        .any(|t| *t < c.created_at && *t >= earlier)
                })
                .count() as u64;
            CaseMetrics {
                key,
                cases: n,
                open,
                closure_rate: ratio(n - open, n),
                median_hours_to_first_contact: median(hours),
                sla_attainment: ratio(met, judged),
                breached,
                followups: pairs.len() as u64,
                nps_original: nps_of(pairs.iter().map(|p| p.0).collect()),
                nps_followup: nps_of(pairs.iter().map(|p| p.1).collect()),
                recovery_rate: ratio(recovered, detractor_pairs.len() as u64),
                won_back: cs
                    .iter()
                    .filter(|c| c.outcome == Some(Outcome::WonBack))
                    .count() as u64,
                repeat_issue_rate: ratio(repeats, with_customer.len() as u64),
            }
        })
        .collect()
}

/// Root causes ranked by the number of cases tagged with them.
pub fn root_causes_ranked(cases: &[Case]) -> Vec<RootCauseCount> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for c in cases {
        for t in &c.root_causes {
            *counts.entry(t.as_str()).or_default() += 1;
        }
    }
    let mut v: Vec<RootCauseCount> = counts
        .into_iter()
        .map(|(tag, cases)| RootCauseCount {
            tag: tag.to_string(),
            cases,
        })
        .collect();
    v.sort_by(|a, b| b.cases.cmp(&a.cases).then_with(|| a.tag.cmp(&b.tag)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    pub(crate) fn case(id: i64, priority: Priority) -> Case {
        let (fc, res) = SlaPolicy::default().deadlines(priority, t0());
        Case {
            id: CaseId(id),
            org_id: OrgId(1),
            title: "t".into(),
            state: CaseState::New,
            outcome: None,
            priority,
            source: CaseSource::Manual,
            response_id: None,
            source_ref: None,
            customer_id: None,
            touchpoint_id: None,
            agent_id: None,
            team_id: None,
            owner_id: None,
            triggers: vec![],
            root_causes: vec![],
            created_at: t0(),
            updated_at: t0(),
            first_contact_at: None,
            first_contact_due: fc,
            resolution_due: res,
            finished_at: None,
            close_reason: None,
            escalated_at: None,
            escalated_to: None,
            original_nps: None,
            followup_nps: None,
        }
    }

    fn tr(to: CaseState) -> Transition {
        Transition {
            to,
            outcome: None,
            reason: None,
        }
    }

    #[test]
    fn legal_paths_through_the_loop() {
        use CaseState::*;
        for (from, to) in [
            (New, Contacted),
            (New, InDialogue),
            (Contacted, InDialogue),
            (InDialogue, Closed),
            (Resolved, InDialogue),
            (Closed, InDialogue),
        ] {
            let mut t = tr(to);
            if to == Closed {
                t.reason = Some("duplicate of case 4".into());
            }
            t.check(from)
                .unwrap_or_else(|e| panic!("{from:?} → {to:?}: {e}"));
        }
        let mut won = tr(Resolved);
        won.outcome = Some(Outcome::WonBack);
        won.check(InDialogue).unwrap();
    }

    #[test]
    fn illegal_transitions_are_rejected_with_the_field_to_fix() {
        use CaseState::*;
        let e = tr(New).check(Contacted).unwrap_err();
        assert_eq!(e.field, "to");
        assert!(
            e.reason.contains("allowed: in_dialogue, resolved, closed"),
            "{e}"
        );
        assert_eq!(tr(Contacted).check(InDialogue).unwrap_err().field, "to");
        assert_eq!(tr(Contacted).check(Resolved).unwrap_err().field, "to");
        assert_eq!(tr(InDialogue).check(InDialogue).unwrap_err().field, "to");
        assert_eq!(tr(Resolved).check(New).unwrap_err().field, "outcome");
        let mut blank = tr(Closed);
        blank.reason = Some("   ".into());
        assert_eq!(blank.check(New).unwrap_err().field, "reason");
        let mut odd = tr(Contacted);
        odd.outcome = Some(Outcome::WonBack);
        assert_eq!(odd.check(New).unwrap_err().field, "outcome");
    }

    #[test]
    fn sla_breaches_follow_a_controllable_clock() {
        let c = case(1, Priority::High); // 8 h to first contact, 72 h to resolve
        let s = c.sla(t0() + Duration::hours(7));
        assert!(!s.breached());
        assert_eq!(s.next_due, Some(t0() + Duration::hours(8)));
        let s = c.sla(t0() + Duration::hours(9));
        assert!(s.first_contact_breached && !s.resolution_breached);

        let mut contacted = c.clone();
        contacted.first_contact_at = Some(t0() + Duration::hours(1));
        contacted.state = CaseState::Contacted;
        let s = contacted.sla(t0() + Duration::hours(50));
        assert!(!s.breached());
        assert_eq!(s.next_due, Some(t0() + Duration::hours(72)));
        assert!(
            contacted
                .sla(t0() + Duration::hours(73))
                .resolution_breached
        );

        let mut done = contacted.clone();
        done.state = CaseState::Resolved;
        done.finished_at = Some(t0() + Duration::hours(20));
        let s = done.sla(t0() + Duration::days(30));
        assert!(!s.breached(), "a case finished in time stays in time");
        assert_eq!(s.next_due, None);

        let mut closed_fast = c.clone();
        closed_fast.state = CaseState::Closed;
        closed_fast.finished_at = Some(t0() + Duration::hours(1));
        assert!(!closed_fast.sla(t0() + Duration::days(3)).breached());
    }

    #[test]
    fn metrics_match_hand_computation() {
        let now = t0() + Duration::days(10);
        let mut a = case(1, Priority::Normal);
        a.customer_id = Some(CustomerId(1));
        a.first_contact_at = Some(t0() + Duration::hours(2));
        a.state = CaseState::Resolved;
        a.outcome = Some(Outcome::WonBack);
        a.finished_at = Some(t0() + Duration::hours(30));
        a.original_nps = Some(3);
        a.followup_nps = Some(9);
        a.root_causes = vec!["waiting_time".into()];
        let mut b = case(2, Priority::Normal);
        b.customer_id = Some(CustomerId(1));
        b.created_at = t0() + Duration::days(5);
        b.first_contact_due = b.created_at + Duration::hours(24);
        b.resolution_due = b.created_at + Duration::hours(168);
        b.first_contact_at = Some(b.created_at + Duration::hours(30)); // late
        b.state = CaseState::InDialogue;
        b.original_nps = Some(5);
        b.followup_nps = Some(6);
        b.root_causes = vec!["waiting_time".into(), "billing".into()];
        let mut c = case(3, Priority::Normal); // never contacted: breached after 24 h
        c.customer_id = Some(CustomerId(2));
        let m = &case_metrics(&[a, b, c.clone()], now, |_| "all".into())[0];
        assert_eq!((m.cases, m.open, m.breached), (3, 2, 2));
        assert_eq!(m.closure_rate, Some(1.0 / 3.0));
        assert_eq!(m.median_hours_to_first_contact, Some(16.0));
        assert_eq!(m.sla_attainment, Some(1.0 / 3.0));
        assert_eq!(m.followups, 2);
        assert_eq!(m.nps_original, Some(-100.0));
        assert_eq!(m.nps_followup, Some(0.0)); // one promoter, one detractor
        assert_eq!(m.recovery_rate, Some(0.5));
        assert_eq!(m.repeat_issue_rate, Some(1.0 / 3.0));
        assert_eq!(m.won_back, 1);
        let ranked = root_causes_ranked(&[c]);
        assert!(ranked.is_empty());
    }

    #[test]
    fn root_causes_are_normalised_and_ranked() {
        let tags = parse_root_causes(
            "root_causes",
            &[
                "Waiting Time".into(),
                "waiting_time".into(),
                "billing".into(),
            ],
        )
        .unwrap();
        assert_eq!(tags, vec!["waiting_time", "billing"]);
        assert_eq!(
            parse_root_causes("root_causes", &["".into()])
                .unwrap_err()
                .field,
            "root_causes[0]"
        );
        let mut a = case(1, Priority::Low);
        a.root_causes = vec!["billing".into(), "waiting_time".into()];
        let mut b = case(2, Priority::Low);
        b.root_causes = vec!["waiting_time".into()];
        let r = root_causes_ranked(&[a, b]);
        assert_eq!((r[0].tag.as_str(), r[0].cases), ("waiting_time", 2));
    }

    #[test]
    fn sla_policy_validation() {
        let mut p = SlaPolicy::default();
        p.validate().unwrap();
        p.high.resolution_hours = 1;
        assert_eq!(p.validate().unwrap_err().field, "high.resolution_hours");
    }
}
