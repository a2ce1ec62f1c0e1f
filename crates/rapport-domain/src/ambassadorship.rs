//! Employee ambassadorship (seed 001): commitment to the company, to its value proposition and
//! to the customer, measured by anonymous pulses, and the customer behaviour it should predict.
//!
//! A pulse answer is scored here once, at submission, into eNPS (0–10) and three sub-indices
//! (0–100); storage keeps only those, the team and the quarter — never the person.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{CustomerId, DomainError, Locale, TeamId, TouchpointId, UserId};

/// The three commitments of an ambassador (seed 001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Company,
    ValueProposition,
    Customer,
}

impl Dimension {
    pub const ALL: [Dimension; 3] = [
        Dimension::Company,
        Dimension::ValueProposition,
        Dimension::Customer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Company => "company",
            Dimension::ValueProposition => "value_proposition",
            Dimension::Customer => "customer",
        }
    }
}

/// How a pulse question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PulseKind {
    /// 0–10: how likely to recommend the company as a place to work.
    Enps,
    /// 1 (strongly disagree) – 7 (strongly agree).
    Agree7,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PulseQuestion {
    pub key: String,
    pub kind: PulseKind,
    /// Which sub-index an agreement item feeds; eNPS has none.
    #[serde(default)]
    pub dimension: Option<Dimension>,
    /// The question per locale (`en`, `he`, `el`); English is required.
    pub text: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PulseDefinition {
    pub questions: Vec<PulseQuestion>,
}

/// What one answer sheet scores to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PulseScores {
    pub enps: Option<i32>,
    pub company: Option<f64>,
    pub value_proposition: Option<f64>,
    pub customer: Option<f64>,
}

impl PulseScores {
    pub fn dimension(&self, d: Dimension) -> Option<f64> {
        match d {
            Dimension::Company => self.company,
            Dimension::ValueProposition => self.value_proposition,
            Dimension::Customer => self.customer,
        }
    }
}

impl PulseDefinition {
    /// Checks the definition: unique keys, English text, eNPS items without a dimension and
    /// agreement items with one, every sub-index fed by at least one item.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.questions.is_empty() || self.questions.len() > 40 {
            return Err(DomainError::new("questions", "must have 1 to 40 questions"));
        }
        for (i, q) in self.questions.iter().enumerate() {
            let f = |s: &str| format!("questions[{i}].{s}");
            if q.key.trim().is_empty()
                || q.key.len() > 60
                || !q.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(DomainError::new(
                    f("key"),
                    "letters, digits and underscores, at most 60",
                ));
            }
            if self.questions[..i].iter().any(|p| p.key == q.key) {
                return Err(DomainError::new(f("key"), "is used twice"));
            }
            if q.text.get("en").is_none_or(|t| t.trim().is_empty()) {
                return Err(DomainError::new(f("text.en"), "is required"));
            }
            for (l, t) in &q.text {
                Locale::parse(&f("text"), l)?;
                if t.chars().count() > 500 {
                    return Err(DomainError::new(
                        f(&format!("text.{l}")),
                        "must be at most 500 characters",
                    ));
                }
            }
            match (q.kind, q.dimension) {
                (PulseKind::Enps, Some(_)) => {
                    return Err(DomainError::new(
                        f("dimension"),
                        "eNPS is not part of a sub-index",
                    ))
                }
                (PulseKind::Agree7, None) => {
                    return Err(DomainError::new(
                        f("dimension"),
                        "an agreement item needs its dimension",
                    ))
                }
                _ => {}
            }
        }
        for d in Dimension::ALL {
            if !self.questions.iter().any(|q| q.dimension == Some(d)) {
                return Err(DomainError::new(
                    "questions",
                    format!("no item measures {}", d.as_str()),
                ));
            }
        }
        Ok(())
    }

    /// The question in the reader's language, English when not translated.
    pub fn text(q: &PulseQuestion, locale: Locale) -> &str {
        q.text
            .get(locale.as_str())
            .or_else(|| q.text.get("en"))
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Scores an answer sheet: every question must be answered in range; errors name the key.
    /// Sub-indices are the mean agreement mapped from 1–7 to 0–100.
    pub fn score(&self, answers: &BTreeMap<String, i32>) -> Result<PulseScores, DomainError> {
        for k in answers.keys() {
            if !self.questions.iter().any(|q| &q.key == k) {
                return Err(DomainError::new(
                    k.clone(),
                    "is not a question of this pulse",
                ));
            }
        }
        let mut enps = None;
        let mut sums: BTreeMap<Dimension, (f64, usize)> = BTreeMap::new();
        for q in &self.questions {
            let v = *answers
                .get(&q.key)
                .ok_or_else(|| DomainError::new(q.key.clone(), "please answer"))?;
            let range = match q.kind {
                PulseKind::Enps => 0..=10,
                PulseKind::Agree7 => 1..=7,
            };
            if !range.contains(&v) {
                return Err(DomainError::new(
                    q.key.clone(),
                    format!("must be between {} and {}", range.start(), range.end()),
                ));
            }
            match (q.kind, q.dimension) {
                (PulseKind::Enps, _) => enps = Some(v),
                (PulseKind::Agree7, Some(d)) => {
                    let e = sums.entry(d).or_default();
                    e.0 += f64::from(v - 1) / 6.0 * 100.0;
                    e.1 += 1;
                }
                (PulseKind::Agree7, None) => {}
            }
        }
        let mean = |d| sums.get(&d).map(|(s, n)| s / *n as f64);
        Ok(PulseScores {
            enps,
            company: mean(Dimension::Company),
            value_proposition: mean(Dimension::ValueProposition),
            customer: mean(Dimension::Customer),
        })
    }
}

fn q(
    key: &str,
    kind: PulseKind,
    dimension: Option<Dimension>,
    en: &str,
    he: &str,
    el: &str,
) -> PulseQuestion {
    PulseQuestion {
        key: key.into(),
        kind,
        dimension,
        text: [("en", en), ("he", he), ("el", el)]
            .into_iter()
            .map(|(l, t)| (l.to_string(), t.to_string()))
            .collect(),
    }
}

/// The default pulse: eNPS and three items per commitment, in English, Hebrew and Greek.
pub fn default_pulse() -> PulseDefinition {
    use Dimension::*;
    use PulseKind::*;
    PulseDefinition {
        questions: vec![
            q(
                "enps",
                Enps,
                None,
                "How likely are you to recommend our company to a friend as a place to work?",
                "עד כמה סביר שתמליצו לחבר או לחברה לעבוד בחברה שלנו?",
                "Πόσο πιθανό είναι να προτείνετε την εταιρεία μας σε έναν φίλο ως χώρο εργασίας;",
            ),
            q(
                "company_proud",
                Agree7,
                Some(Company),
                "I am proud to tell people where I work.",
                "אני גאה לספר לאנשים איפה אני עובד/ת.",
                "Είμαι περήφανος/η να λέω πού εργάζομαι.",
            ),
            q(
                "company_future",
                Agree7,
                Some(Company),
                "I see my future in this company.",
                "אני רואה את העתיד שלי בחברה הזאת.",
                "Βλέπω το μέλλον μου σε αυτή την εταιρεία.",
            ),
            q(
                "company_effort",
                Agree7,
                Some(Company),
                "I am willing to put in extra effort for this company to succeed.",
                "אני מוכן/ה להשקיע מאמץ נוסף כדי שהחברה תצליח.",
                "Είμαι διατεθειμένος/η να καταβάλω επιπλέον προσπάθεια για να πετύχει η εταιρεία.",
            ),
            q(
                "value_understand",
                Agree7,
                Some(ValueProposition),
                "I understand what we promise our customers.",
                "אני מבין/ה מה אנחנו מבטיחים ללקוחות שלנו.",
                "Καταλαβαίνω τι υποσχόμαστε στους πελάτες μας.",
            ),
            q(
                "value_believe",
                Agree7,
                Some(ValueProposition),
                "I believe our products and services are better than the alternatives.",
                "אני מאמין/ה שהמוצרים והשירותים שלנו טובים מהחלופות.",
                "Πιστεύω ότι τα προϊόντα και οι υπηρεσίες μας είναι καλύτερα από τις εναλλακτικές.",
            ),
            q(
                "value_recommend",
                Agree7,
                Some(ValueProposition),
                "I would recommend our products to my family.",
                "הייתי ממליץ/ה על המוצרים שלנו למשפחה שלי.",
                "Θα πρότεινα τα προϊόντα μας στην οικογένειά μου.",
            ),
            q(
                "customer_extra_mile",
                Agree7,
                Some(Customer),
                "I go out of my way to solve customers' problems.",
                "אני יוצא/ת מגדרי כדי לפתור בעיות של לקוחות.",
                "Κάνω ό,τι περνάει από το χέρι μου για να λύσω τα προβλήματα των πελατών.",
            ),
            q(
                "customer_ownership",
                Agree7,
                Some(Customer),
                "A customer's problem is my problem until it is solved.",
                "הבעיה של לקוח היא הבעיה שלי עד שהיא נפתרת.",
                "Το πρόβλημα ενός πελάτη είναι δικό μου μέχρι να λυθεί.",
            ),
            q(
                "customer_voice",
                Agree7,
                Some(Customer),
                "I speak up when something we do lets customers down.",
                "אני משמיע/ה את קולי כשמשהו שאנחנו עושים מאכזב לקוחות.",
                "Μιλάω ανοιχτά όταν κάτι που κάνουμε απογοητεύει τους πελάτες.",
            ),
        ],
    }
}

/// eNPS: % promoters (9–10) − % detractors (0–6).
pub fn enps(promoters: i64, detractors: i64, n: i64) -> Option<f64> {
    (n > 0).then(|| (promoters - detractors) as f64 / n as f64 * 100.0)
}

/// A team's pulse results in one quarter; numbers only for groups large enough to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PulseGroup {
    /// `None` for the organisation as a whole.
    pub team_id: Option<TeamId>,
    pub team_name: String,
    pub period: String,
    pub n: Option<i64>,
    pub enps: Option<f64>,
    /// Mean of the three sub-indices.
    pub ambassadorship: Option<f64>,
    pub company: Option<f64>,
    pub value_proposition: Option<f64>,
    pub customer: Option<f64>,
    pub suppressed: bool,
}

/// Sums of a group's answers, from which [`PulseGroup`] is computed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PulseSums {
    pub n: i64,
    pub enps_n: i64,
    pub promoters: i64,
    pub detractors: i64,
    pub company: f64,
    pub value_proposition: f64,
    pub customer: f64,
}

impl PulseSums {
    pub fn group(
        &self,
        team_id: Option<TeamId>,
        team_name: String,
        period: String,
        shown: bool,
    ) -> PulseGroup {
        let mean = |s: f64| (shown && self.n > 0).then(|| s / self.n as f64);
        let (c, v, u) = (
            mean(self.company),
            mean(self.value_proposition),
            mean(self.customer),
        );
        PulseGroup {
            team_id,
            team_name,
            period,
            n: shown.then_some(self.n),
            enps: if shown {
                enps(self.promoters, self.detractors, self.enps_n)
            } else {
                None
            },
            ambassadorship: match (c, v, u) {
                (Some(c), Some(v), Some(u)) => Some((c + v + u) / 3.0),
                _ => None,
            },
            company: c,
            value_proposition: v,
            customer: u,
            suppressed: !shown,
        }
    }
}

/// What a customer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Purchase,
    Renewal,
    Upgrade,
    Churn,
    Referral,
    Complaint,
}

impl EventKind {
    pub const ALL: [EventKind; 6] = [
        EventKind::Purchase,
        EventKind::Renewal,
        EventKind::Upgrade,
        EventKind::Churn,
        EventKind::Referral,
        EventKind::Complaint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Purchase => "purchase",
            EventKind::Renewal => "renewal",
            EventKind::Upgrade => "upgrade",
            EventKind::Churn => "churn",
            EventKind::Referral => "referral",
            EventKind::Complaint => "complaint",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                DomainError::new(
                    field,
                    "must be purchase, renewal, upgrade, churn, referral or complaint",
                )
            })
    }

    /// Buying again: what repeat-purchase counts.
    pub fn is_purchase(self) -> bool {
        matches!(
            self,
            EventKind::Purchase | EventKind::Renewal | EventKind::Upgrade
        )
    }
}

/// A behaviour event as an integration sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    pub kind: EventKind,
    pub occurred_at: DateTime<Utc>,
    /// Your id for the event: sending it again stores nothing new.
    pub external_id: String,
    #[serde(default)]
    pub agent_id: Option<UserId>,
    #[serde(default)]
    pub touchpoint_id: Option<TouchpointId>,
    /// Value of a purchase, renewal or upgrade.
    #[serde(default)]
    pub amount: Option<f64>,
}

impl NewEvent {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), DomainError> {
        let n = self.external_id.trim().chars().count();
        if n == 0 || n > 200 {
            return Err(DomainError::new("external_id", "1 to 200 characters"));
        }
        if self.occurred_at > now + chrono::Duration::days(1) {
            return Err(DomainError::new("occurred_at", "cannot be in the future"));
        }
        if let Some(a) = self.amount {
            if !a.is_finite() || a < 0.0 {
                return Err(DomainError::new("amount", "must be a non-negative number"));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerEvent {
    pub id: i64,
    pub customer_id: CustomerId,
    pub kind: EventKind,
    pub occurred_at: DateTime<Utc>,
    pub external_id: String,
    pub agent_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub touchpoint_id: Option<TouchpointId>,
    pub amount: Option<f64>,
}

/// What customers served by a team in a period did in the 90 days after: the behaviour seed 001
/// says satisfaction indices barely predict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BehaviourGroup {
    pub team_id: TeamId,
    pub team_name: String,
    pub period: String,
    /// Customers the team served (answered a survey about, or talked with) in the period.
    pub customers: i64,
    pub retention_90d: Option<f64>,
    pub churn_90d: Option<f64>,
    pub repeat_purchase_90d: Option<f64>,
    pub referral_90d: Option<f64>,
    pub complaint_90d: Option<f64>,
    /// The same customers' NPS in the period, for comparison.
    pub nps: Option<f64>,
    pub nps_n: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pulse_is_valid_and_scores_to_indices() {
        let d = default_pulse();
        d.validate().unwrap();
        let mut answers: BTreeMap<String, i32> =
            d.questions.iter().map(|q| (q.key.clone(), 7)).collect();
        answers.insert("enps".into(), 9);
        answers.insert("customer_voice".into(), 1);
        let s = d.score(&answers).unwrap();
        assert_eq!(s.enps, Some(9));
        assert_eq!(s.company, Some(100.0));
        assert!((s.customer.unwrap() - 200.0 / 3.0).abs() < 1e-9);
        answers.insert("enps".into(), 11);
        assert_eq!(d.score(&answers).unwrap_err().field, "enps");
        answers.remove("enps");
        assert_eq!(d.score(&answers).unwrap_err().field, "enps");
    }

    #[test]
    fn definitions_are_checked() {
        let mut d = default_pulse();
        d.questions
            .retain(|q| q.dimension != Some(Dimension::Customer));
        assert_eq!(d.validate().unwrap_err().field, "questions");
        let mut d = default_pulse();
        d.questions[1].dimension = None;
        assert_eq!(d.validate().unwrap_err().field, "questions[1].dimension");
        let mut d = default_pulse();
        d.questions[2].key = d.questions[1].key.clone();
        assert_eq!(d.validate().unwrap_err().field, "questions[2].key");
    }

    #[test]
    fn suppressed_groups_carry_no_numbers() {
        let s = PulseSums {
            n: 3,
            enps_n: 3,
            promoters: 2,
            detractors: 1,
            company: 150.0,
            value_proposition: 150.0,
            customer: 150.0,
        };
        let g = s.group(Some(TeamId(1)), "A".into(), "2026-Q3".into(), false);
        assert!(g.suppressed);
        assert_eq!(
            (g.n, g.enps, g.ambassadorship, g.customer),
            (None, None, None, None)
        );
        let g = s.group(Some(TeamId(1)), "A".into(), "2026-Q3".into(), true);
        assert_eq!(g.ambassadorship, Some(50.0));
        assert!((g.enps.unwrap() - 100.0 / 3.0).abs() < 1e-9);
    }
}
