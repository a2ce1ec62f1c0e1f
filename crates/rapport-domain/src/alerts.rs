//! Alert rules: which responses deserve a human's attention, decided from the answers and from
//! what the text engine read in the comment. Evaluation is pure, so every rule is table-tested.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::cases::Priority;
use crate::stats::Nps;
use crate::{AlertRuleId, DomainError, OrgId, StageId, TouchpointId};

/// One test a response (or its touchpoint's trend) must pass for a rule to fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// NPS answer at or below `value` (0–10); 6 catches every detractor.
    NpsAtMost { value: i32 },
    /// CSAT answer at or below `value` (1–5).
    CsatAtMost { value: i32 },
    /// CES answer at or below `value` (1–7, where 1 means the customer found it very hard).
    CesAtMost { value: i32 },
    /// Experience minus expectation at or below `value` (−6…6): a promise not kept.
    GapAtMost { value: i32 },
    /// The comment reads negative and its anger score is at least `min_anger` (0–1).
    NegativeSentiment { min_anger: f32 },
    /// The customer threatens to go public or legal (score at least `min`, 0–1).
    EscalationRisk { min: f32 },
    /// The customer says they will leave (score at least `min`, 0–1).
    ChurnIntent { min: f32 },
    /// The comment touches this taxonomy topic (e.g. `waiting_time`).
    Topic { topic: String },
    /// The touchpoint's NPS this ISO week fell below last week's by more than this week's
    /// 95% margin of error.
    WeeklyNpsDrop,
}

impl Condition {
    fn validate(&self, field: &str) -> Result<(), DomainError> {
        let range = |v: i32, lo: i32, hi: i32| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(DomainError::new(
                    format!("{field}.value"),
                    format!("must be between {lo} and {hi}"),
                ))
            }
        };
        let unit = |v: f32, name: &str| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(DomainError::new(
                    format!("{field}.{name}"),
                    "must be between 0 and 1",
                ))
            }
        };
        match self {
            Condition::NpsAtMost { value } => range(*value, 0, 10),
            Condition::CsatAtMost { value } => range(*value, 1, 5),
            Condition::CesAtMost { value } => range(*value, 1, 7),
            Condition::GapAtMost { value } => range(*value, -6, 6),
            Condition::NegativeSentiment { min_anger } => unit(*min_anger, "min_anger"),
            Condition::EscalationRisk { min } | Condition::ChurnIntent { min } => unit(*min, "min"),
            Condition::Topic { topic } => {
                let ok = !topic.is_empty()
                    && topic.len() <= 64
                    && topic
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if ok {
                    Ok(())
                } else {
                    Err(DomainError::new(
                        format!("{field}.topic"),
                        "must be a topic key such as waiting_time",
                    ))
                }
            }
            Condition::WeeklyNpsDrop => Ok(()),
        }
    }
}

/// Whether every condition must hold, or any one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    #[default]
    All,
    Any,
}

/// A rule as an administrator writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertRuleSpec {
    pub name: String,
    /// Limit the rule to one journey stage (all its touchpoints); `null` for every stage.
    #[serde(default)]
    pub stage_id: Option<StageId>,
    /// Limit the rule to one touchpoint; `null` for every touchpoint.
    #[serde(default)]
    pub touchpoint_id: Option<TouchpointId>,
    #[serde(default)]
    pub match_mode: MatchMode,
    pub conditions: Vec<Condition>,
    /// Open a case for the response.
    #[serde(default = "yes")]
    pub create_case: bool,
    /// E-mail the owner (of the case, or of the touchpoint when no case is opened).
    #[serde(default)]
    pub notify: bool,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

impl AlertRuleSpec {
    /// Checks the rule before it is stored; names the offending field.
    pub fn validate(&self) -> Result<(), DomainError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(DomainError::new("name", "must be 1 to 120 characters"));
        }
        if self.conditions.is_empty() || self.conditions.len() > 10 {
            return Err(DomainError::new("conditions", "give 1 to 10 conditions"));
        }
        if !self.create_case && !self.notify {
            return Err(DomainError::new(
                "create_case",
                "a rule must open a case, notify, or both",
            ));
        }
        for (i, c) in self.conditions.iter().enumerate() {
            c.validate(&format!("conditions[{i}]"))?;
        }
        Ok(())
    }
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AlertRule {
    pub id: AlertRuleId,
    pub org_id: OrgId,
    #[serde(flatten)]
    pub spec: AlertRuleSpec,
    pub created_at: DateTime<Utc>,
}

/// What a rule can see of one analysed response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseFacts {
    pub stage_id: Option<StageId>,
    pub touchpoint_id: Option<TouchpointId>,
    pub nps: Option<i32>,
    pub csat: Option<i32>,
    pub ces: Option<i32>,
    pub gap: Option<i32>,
    /// `None` when there was no comment or its language is not analysed.
    pub negative: Option<bool>,
    pub anger: Option<f32>,
    pub escalation_risk: Option<f32>,
    pub churn_intent: Option<f32>,
    pub topics: Vec<String>,
    /// The touchpoint's NPS last ISO week and this one, when both have answers.
    pub weekly_nps: Option<(Nps, Nps)>,
}

/// Why a rule fired: the condition and the value that met it, shown on the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Trigger {
    pub rule_id: AlertRuleId,
    pub rule_name: String,
    pub condition: Condition,
    /// The observed value, e.g. `3` for an NPS answer or `0.82` for anger.
    pub observed: String,
}

/// The observed value when `c` holds for `f`, `None` otherwise.
fn holds(c: &Condition, f: &ResponseFacts) -> Option<String> {
    let at_most = |v: Option<i32>, limit: i32| v.filter(|v| *v <= limit).map(|v| v.to_string());
    let at_least = |v: Option<f32>, min: f32| {
        v.filter(|v| *v >= min && *v > 0.0)
            .map(|v| format!("{v:.2}"))
    };
    match c {
        Condition::NpsAtMost { value } => at_most(f.nps, *value),
        Condition::CsatAtMost { value } => at_most(f.csat, *value),
        Condition::CesAtMost { value } => at_most(f.ces, *value),
        Condition::GapAtMost { value } => at_most(f.gap, *value),
        Condition::NegativeSentiment { min_anger } => match f.negative {
            Some(true) => Some(format!("{:.2}", f.anger.unwrap_or(0.0)))
                .filter(|_| f.anger.unwrap_or(0.0) >= *min_anger),
            _ => None,
        },
        Condition::EscalationRisk { min } => at_least(f.escalation_risk, *min),
        Condition::ChurnIntent { min } => at_least(f.churn_intent, *min),
        Condition::Topic { topic } => f.topics.iter().find(|t| *t == topic).cloned(),
        Condition::WeeklyNpsDrop => f.weekly_nps.as_ref().and_then(|(before, now)| {
            (before.score - now.score > now.margin).then(|| {
                format!(
                    "{:.0} → {:.0} (± {:.0})",
                    before.score, now.score, now.margin
                )
            })
        }),
    }
}

impl AlertRule {
    /// Whether the rule applies to the response's place in the journey at all.
    pub fn in_scope(&self, f: &ResponseFacts) -> bool {
        let stage_ok = self.spec.stage_id.is_none() || self.spec.stage_id == f.stage_id;
        let tp_ok = self.spec.touchpoint_id.is_none() || self.spec.touchpoint_id == f.touchpoint_id;
        self.spec.enabled && stage_ok && tp_ok
    }

    /// The triggers when the rule fires for `f`; empty when it does not.
    pub fn evaluate(&self, f: &ResponseFacts) -> Vec<Trigger> {
        if !self.in_scope(f) {
            return Vec::new();
        }
        let mut fired = Vec::new();
        for c in &self.spec.conditions {
            match holds(c, f) {
                Some(observed) => fired.push(Trigger {
                    rule_id: self.id,
                    rule_name: self.spec.name.clone(),
                    condition: c.clone(),
                    observed,
                }),
                None if self.spec.match_mode == MatchMode::All => return Vec::new(),
                None => {}
            }
        }
        fired
    }
}

/// The outcome of all of an organisation's rules on one response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    pub triggers: Vec<Trigger>,
    pub create_case: bool,
    pub notify: bool,
    /// The most urgent priority among the rules that fired and open a case.
    pub priority: Priority,
}

/// Evaluates every rule; one response opens at most one case, whatever the number of rules.
pub fn evaluate_all(rules: &[AlertRule], f: &ResponseFacts) -> Verdict {
    let mut v = Verdict::default();
    let mut first = true;
    for rule in rules {
        let t = rule.evaluate(f);
        if t.is_empty() {
            continue;
        }
        if rule.spec.create_case {
            v.priority = if first || !v.create_case {
                rule.spec.priority
            } else {
                v.priority.max(rule.spec.priority)
            };
            v.create_case = true;
            first = false;
        }
        v.notify |= rule.spec.notify;
        v.triggers.extend(t);
    }
    v
}

/// The rules a new organisation starts with: detractors, and the "horror story" risks of seed 004.
pub fn default_rules() -> Vec<AlertRuleSpec> {
    vec![
        AlertRuleSpec {
            name: "Detractor (NPS 0–6)".into(),
            stage_id: None,
            touchpoint_id: None,
            match_mode: MatchMode::All,
            conditions: vec![Condition::NpsAtMost { value: 6 }],
            create_case: true,
            notify: true,
            priority: Priority::Normal,
            enabled: true,
        },
        AlertRuleSpec {
            name: "Public or legal escalation risk".into(),
            stage_id: None,
            touchpoint_id: None,
            match_mode: MatchMode::Any,
            conditions: vec![
                Condition::EscalationRisk { min: 0.5 },
                Condition::ChurnIntent { min: 0.5 },
            ],
            create_case: true,
            notify: true,
            priority: Priority::Urgent,
            enabled: true,
        },
        AlertRuleSpec {
            name: "Promise not kept".into(),
            stage_id: None,
            touchpoint_id: None,
            match_mode: MatchMode::All,
            conditions: vec![Condition::GapAtMost { value: -2 }],
            create_case: true,
            notify: false,
            priority: Priority::High,
            enabled: true,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(mode: MatchMode, conditions: Vec<Condition>) -> AlertRule {
        AlertRule {
            id: AlertRuleId(1),
            org_id: OrgId(1),
            spec: AlertRuleSpec {
                name: "r".into(),
                stage_id: None,
                touchpoint_id: None,
                match_mode: mode,
                conditions,
                create_case: true,
                notify: false,
                priority: Priority::Normal,
                enabled: true,
            },
            created_at: Utc::now(),
        }
    }

    fn facts() -> ResponseFacts {
        ResponseFacts {
            stage_id: Some(StageId(2)),
            touchpoint_id: Some(TouchpointId(7)),
            nps: Some(8),
            csat: Some(4),
            ces: Some(5),
            gap: Some(0),
            negative: Some(false),
            anger: Some(0.0),
            escalation_risk: Some(0.0),
            churn_intent: Some(0.0),
            topics: vec!["delivery".into()],
            weekly_nps: None,
        }
    }

    #[test]
    fn each_condition_fires_exactly_at_its_threshold() {
        use Condition::*;
        type Case = (Condition, fn(&mut ResponseFacts), bool);
        let table: Vec<Case> = vec![
            (NpsAtMost { value: 6 }, |f| f.nps = Some(6), true),
            (NpsAtMost { value: 6 }, |f| f.nps = Some(7), false),
            (NpsAtMost { value: 6 }, |f| f.nps = None, false),
            (CsatAtMost { value: 2 }, |f| f.csat = Some(2), true),
            (CsatAtMost { value: 2 }, |f| f.csat = Some(3), false),
            (CesAtMost { value: 3 }, |f| f.ces = Some(1), true),
            (GapAtMost { value: -2 }, |f| f.gap = Some(-2), true),
            (GapAtMost { value: -2 }, |f| f.gap = Some(-1), false),
            (
                NegativeSentiment { min_anger: 0.5 },
                |f| {
                    f.negative = Some(true);
                    f.anger = Some(0.6)
                },
                true,
            ),
            (
                NegativeSentiment { min_anger: 0.5 },
                |f| {
                    f.negative = Some(true);
                    f.anger = Some(0.4)
                },
                false,
            ),
            (
                NegativeSentiment { min_anger: 0.5 },
                |f| {
                    f.negative = Some(false);
                    f.anger = Some(0.9)
                },
                false,
            ),
            (
                NegativeSentiment { min_anger: 0.0 },
                |f| f.negative = Some(true),
                true,
            ),
            (
                NegativeSentiment { min_anger: 0.0 },
                |f| f.negative = None,
                false,
            ),
            (
                EscalationRisk { min: 0.5 },
                |f| f.escalation_risk = Some(0.5),
                true,
            ),
            (
                EscalationRisk { min: 0.5 },
                |f| f.escalation_risk = Some(0.49),
                false,
            ),
            (
                EscalationRisk { min: 0.0 },
                |f| f.escalation_risk = Some(0.0),
                false,
            ),
            (
                ChurnIntent { min: 0.5 },
                |f| f.churn_intent = Some(0.9),
                true,
            ),
            (
                Topic {
                    topic: "delivery".into(),
                },
                |_| {},
                true,
            ),
            (
                Topic {
                    topic: "waiting_time".into(),
                },
                |_| {},
                false,
            ),
            (
                WeeklyNpsDrop,
                |f| {
                    f.weekly_nps = Some((
                        Nps::from_counts(60, 30, 10).unwrap(),
                        Nps::from_counts(20, 30, 50).unwrap(),
                    ))
                },
                true,
            ),
            (
                WeeklyNpsDrop,
                |f| {
                    f.weekly_nps = Some((
                        Nps::from_counts(6, 3, 1).unwrap(),
                        Nps::from_counts(5, 3, 2).unwrap(),
                    ))
                },
                false,
            ),
            (WeeklyNpsDrop, |_| {}, false),
        ];
        for (i, (cond, set, expect)) in table.into_iter().enumerate() {
            let mut f = facts();
            set(&mut f);
            let fired = !rule(MatchMode::All, vec![cond.clone()])
                .evaluate(&f)
                .is_empty();
            assert_eq!(fired, expect, "row {i}: {cond:?} on {f:?}");
        }
    }

    #[test]
    fn all_needs_every_condition_any_needs_one() {
        let mut f = facts();
        f.nps = Some(3);
        let conds = vec![
            Condition::NpsAtMost { value: 6 },
            Condition::ChurnIntent { min: 0.5 },
        ];
        assert!(rule(MatchMode::All, conds.clone()).evaluate(&f).is_empty());
        let t = rule(MatchMode::Any, conds).evaluate(&f);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].observed, "3");
    }

    #[test]
    fn scope_limits_rules_to_a_stage_or_touchpoint() {
        let mut r = rule(MatchMode::All, vec![Condition::NpsAtMost { value: 10 }]);
        r.spec.touchpoint_id = Some(TouchpointId(8));
        assert!(r.evaluate(&facts()).is_empty());
        r.spec.touchpoint_id = Some(TouchpointId(7));
        r.spec.stage_id = Some(StageId(2));
        assert!(!r.evaluate(&facts()).is_empty());
        r.spec.enabled = false;
        assert!(r.evaluate(&facts()).is_empty());
    }

    #[test]
    fn several_rules_open_one_case_at_the_highest_priority() {
        let mut a = rule(MatchMode::All, vec![Condition::NpsAtMost { value: 6 }]);
        a.spec.priority = Priority::Low;
        let mut b = rule(MatchMode::All, vec![Condition::NpsAtMost { value: 4 }]);
        b.spec.priority = Priority::Urgent;
        b.spec.create_case = false;
        b.spec.notify = true;
        let mut c = rule(MatchMode::All, vec![Condition::NpsAtMost { value: 5 }]);
        c.spec.priority = Priority::High;
        let mut f = facts();
        f.nps = Some(2);
        let v = evaluate_all(&[a, b, c], &f);
        assert!(v.create_case && v.notify);
        assert_eq!(
            v.priority,
            Priority::High,
            "a notify-only rule does not raise priority"
        );
        assert_eq!(v.triggers.len(), 3);
    }

    #[test]
    fn validation_names_the_field() {
        let mut s = default_rules().remove(0);
        s.conditions = vec![Condition::NpsAtMost { value: 11 }];
        assert_eq!(s.validate().unwrap_err().field, "conditions[0].value");
        s.conditions = vec![Condition::Topic {
            topic: "Waiting Time".into(),
        }];
        assert_eq!(s.validate().unwrap_err().field, "conditions[0].topic");
        s.conditions.clear();
        assert_eq!(s.validate().unwrap_err().field, "conditions");
        for r in default_rules() {
            r.validate().unwrap();
        }
    }
}
