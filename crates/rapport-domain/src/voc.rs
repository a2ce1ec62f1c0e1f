//! Voice-of-customer records: surveys, invitations, responses, and the metrics over them.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::survey::{Answer, Answers, SurveyDefinition};
use crate::{
    Channel, CustomerId, DomainError, JourneyId, Locale, OrgId, StageId, TeamId, TouchpointId,
    UserId,
};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(transparent)]
pub struct SurveyId(pub i64);

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(transparent)]
pub struct ResponseId(pub i64);

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(transparent)]
pub struct InvitationId(pub i64);

macro_rules! display_id {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { self.0.fmt(f) }
        }
    )*};
}
display_id!(SurveyId, ResponseId, InvitationId);

/// Where a survey is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurveyStatus {
    /// Editable in place; not yet answerable.
    Draft,
    /// Answerable; edits create a new version.
    Published,
    /// No longer answerable; kept for its responses.
    Closed,
}

impl SurveyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyStatus::Draft => "draft",
            SurveyStatus::Published => "published",
            SurveyStatus::Closed => "closed",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        match s {
            "draft" => Ok(SurveyStatus::Draft),
            "published" => Ok(SurveyStatus::Published),
            "closed" => Ok(SurveyStatus::Closed),
            _ => Err(DomainError::new(
                field,
                "must be draft, published or closed",
            )),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Survey {
    pub id: SurveyId,
    pub org_id: OrgId,
    pub touchpoint_id: TouchpointId,
    pub name: String,
    pub status: SurveyStatus,
    pub version: i64,
    /// The unguessable part of the public link `/s/{public_id}`.
    pub public_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub definition: SurveyDefinition,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Invitation {
    pub id: InvitationId,
    pub survey_id: SurveyId,
    pub customer_id: CustomerId,
    pub touchpoint_id: TouchpointId,
    pub agent_id: Option<UserId>,
    pub interaction_ref: Option<String>,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub reminder_sent_at: Option<DateTime<Utc>>,
}

impl Invitation {
    /// Why this invitation cannot be answered now, if it cannot.
    pub fn unusable(&self, now: DateTime<Utc>) -> Option<&'static str> {
        if self.used_at.is_some() {
            Some("this invitation has already been answered")
        } else if now >= self.expires_at {
            Some("this invitation has expired")
        } else {
            None
        }
    }
}

/// How a response arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponseSource {
    PublicLink,
    Invitation,
    Api,
    Import,
    Demo,
}

impl ResponseSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseSource::PublicLink => "public_link",
            ResponseSource::Invitation => "invitation",
            ResponseSource::Api => "api",
            ResponseSource::Import => "import",
            ResponseSource::Demo => "demo",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "public_link" => Ok(ResponseSource::PublicLink),
            "invitation" => Ok(ResponseSource::Invitation),
            "api" => Ok(ResponseSource::Api),
            "import" => Ok(ResponseSource::Import),
            "demo" => Ok(ResponseSource::Demo),
            _ => Err(DomainError::new("source", "unknown response source")),
        }
    }
}

/// A response ready to store: answers already validated against the survey version.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub survey_id: SurveyId,
    pub version: i64,
    pub customer_id: Option<CustomerId>,
    pub agent_id: Option<UserId>,
    pub invitation_id: Option<InvitationId>,
    pub locale: Locale,
    pub source: ResponseSource,
    /// The same key never creates two responses to one survey.
    pub idempotency_key: Option<String>,
    /// An id from the system the response came from (imports); also deduplicates.
    pub external_id: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub answers: Answers,
}

/// Sentiment and themes the text engine found in a response's comment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResponseAnalysis {
    pub language: String,
    pub sentiment_label: Option<String>,
    pub sentiment_score: Option<f64>,
    pub topics: Vec<String>,
    /// The comment with personal data replaced by placeholders, when redaction is on.
    pub redacted_comment: Option<String>,
    /// The engine's full output, kept next to the raw record.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Response {
    pub id: ResponseId,
    pub survey_id: SurveyId,
    pub version: i64,
    pub journey_id: JourneyId,
    pub stage_id: StageId,
    pub touchpoint_id: TouchpointId,
    pub channel: Channel,
    pub customer_id: Option<CustomerId>,
    pub agent_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub locale: Locale,
    pub source: ResponseSource,
    pub external_id: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub answers: BTreeMap<String, Answer>,
    pub nps: Option<i32>,
    pub csat: Option<i32>,
    pub ces: Option<i32>,
    pub expectation: Option<i32>,
    pub experience: Option<i32>,
    pub comment: Option<String>,
    pub analysis: Option<ResponseAnalysis>,
}

/// Calendar buckets stored with each response so every backend groups by the same strings.
pub fn period_keys(at: DateTime<Utc>) -> (String, String, String) {
    let day = at.format("%Y-%m-%d").to_string();
    let iso = at.iso_week();
    let week = format!("{}-W{:02}", iso.year(), iso.week());
    let month = at.format("%Y-%m").to_string();
    (day, week, month)
}

/// Dimensions metrics can be broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    None,
    Journey,
    Stage,
    Touchpoint,
    Channel,
    Team,
    Agent,
    Locale,
    Survey,
    Day,
    Week,
    Month,
}

impl GroupBy {
    pub const ALL: [GroupBy; 12] = [
        GroupBy::None,
        GroupBy::Journey,
        GroupBy::Stage,
        GroupBy::Touchpoint,
        GroupBy::Channel,
        GroupBy::Team,
        GroupBy::Agent,
        GroupBy::Locale,
        GroupBy::Survey,
        GroupBy::Day,
        GroupBy::Week,
        GroupBy::Month,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::None => "none",
            GroupBy::Journey => "journey",
            GroupBy::Stage => "stage",
            GroupBy::Touchpoint => "touchpoint",
            GroupBy::Channel => "channel",
            GroupBy::Team => "team",
            GroupBy::Agent => "agent",
            GroupBy::Locale => "locale",
            GroupBy::Survey => "survey",
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        GroupBy::ALL.into_iter().find(|g| g.as_str() == s).ok_or_else(|| {
            DomainError::new(field, "must be one of none, journey, stage, touchpoint, channel, team, agent, locale, survey, day, week, month")
        })
    }

    /// The stored column to group on; a fixed list, never user text.
    pub fn column(self) -> &'static str {
        match self {
            GroupBy::None => "'all'",
            GroupBy::Journey => "journey_id",
            GroupBy::Stage => "stage_id",
            GroupBy::Touchpoint => "touchpoint_id",
            GroupBy::Channel => "channel",
            GroupBy::Team => "team_id",
            GroupBy::Agent => "agent_id",
            GroupBy::Locale => "locale",
            GroupBy::Survey => "survey_id",
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
        }
    }
}

/// Which responses a query covers.
#[derive(Debug, Clone, Default)]
pub struct ResponseFilter {
    pub survey: Option<SurveyId>,
    pub journey: Option<JourneyId>,
    pub stage: Option<StageId>,
    pub touchpoint: Option<TouchpointId>,
    pub team: Option<TeamId>,
    pub agent: Option<UserId>,
    pub customer: Option<CustomerId>,
    pub locale: Option<Locale>,
    pub channel: Option<Channel>,
    /// A topic from the taxonomy the text engine assigned.
    pub topic: Option<String>,
    /// `detractor`, `passive` or `promoter`.
    pub nps_group: Option<crate::survey::NpsGroup>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Sums per group, from which every headline metric is computed exactly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct GroupSums {
    pub key: String,
    pub responses: i64,
    pub nps_n: i64,
    pub promoters: i64,
    pub detractors: i64,
    pub csat_n: i64,
    pub csat_satisfied: i64,
    pub ces_n: i64,
    pub ces_sum: i64,
    pub gap_n: i64,
    pub gap_sum: i64,
    pub sentiment_n: i64,
    pub sentiment_sum: f64,
    pub negative: i64,
}

/// NPS answers of analysed responses per group and topic, from which driver analysis (NPS with
/// and without a topic) and the journey map's top topics are computed exactly.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopicSums {
    /// The group's key, as in [`GroupSums`]; empty when ungrouped.
    pub key: String,
    /// The topic, or `None` for every analysed response with an NPS answer, whatever it names.
    pub topic: Option<String>,
    /// Responses naming the topic, once each however often they name it.
    pub responses: i64,
    pub promoters: i64,
    pub detractors: i64,
    /// How many times the topic is named (0 in the `None` row).
    pub mentions: i64,
}

impl TopicSums {
    /// The sums of `(group key, nps, topics)` rows of analysed responses with an NPS answer,
    /// ordered by key, then the `None` row, then topic: the reference the roll-up must equal.
    pub fn from_rows<'a>(
        rows: impl IntoIterator<Item = (&'a str, i32, &'a [String])>,
    ) -> Vec<TopicSums> {
        let mut out: std::collections::BTreeMap<(&str, Option<&str>), TopicSums> =
            Default::default();
        for (key, nps, topics) in rows {
            let mut named: std::collections::BTreeMap<&str, i64> = Default::default();
            for t in topics {
                *named.entry(t.as_str()).or_default() += 1;
            }
            let all =
                std::iter::once((None, 0)).chain(named.into_iter().map(|(t, m)| (Some(t), m)));
            for (topic, mentions) in all {
                let e = out.entry((key, topic)).or_insert_with(|| TopicSums {
                    key: key.to_string(),
                    topic: topic.map(str::to_string),
                    ..Default::default()
                });
                e.responses += 1;
                e.promoters += (nps >= 9) as i64;
                e.detractors += (nps <= 6) as i64;
                e.mentions += mentions;
            }
        }
        out.into_values().collect()
    }

    /// Passives: answers neither promoting nor detracting.
    pub fn passives(&self) -> i64 {
        self.responses - self.promoters - self.detractors
    }
}

/// Representative verbatims: of `(response id, sentiment score)` candidates in newest-first
/// order, the lowest score (the first of equals) and the highest (the last of equals), in that
/// order; once when they are the same response.
pub fn representative_pick(candidates: &[(i64, f64)]) -> Vec<i64> {
    let lo = candidates.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    let hi = candidates.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    let mut out = vec![];
    if let Some((id, _)) = lo {
        out.push(*id);
    }
    if let Some((id, _)) = hi {
        if out.first() != Some(id) {
            out.push(*id);
        }
    }
    out
}

/// The figures a CX manager reads, each with its n and, for NPS, its uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupMetrics {
    pub key: String,
    pub responses: i64,
    pub nps: Option<crate::stats::Nps>,
    /// Share of 4–5 answers, in percent.
    pub csat: Option<f64>,
    pub csat_n: i64,
    /// Mean 1–7 effort agreement.
    pub ces: Option<f64>,
    pub ces_n: i64,
    /// Mean experience − expectation; negative means the promise was not kept.
    pub expectation_gap: Option<f64>,
    pub gap_n: i64,
    /// Mean sentiment score in [−1, 1] of analysed comments.
    pub sentiment: Option<f64>,
    pub sentiment_n: i64,
    pub negative_share: Option<f64>,
}

impl From<&GroupSums> for GroupMetrics {
    fn from(s: &GroupSums) -> Self {
        let ratio = |a: f64, n: i64| (n > 0).then(|| a / n as f64);
        GroupMetrics {
            key: s.key.clone(),
            responses: s.responses,
            nps: crate::stats::Nps::from_counts(
                s.promoters as u64,
                (s.nps_n - s.promoters - s.detractors).max(0) as u64,
                s.detractors as u64,
            ),
            csat: ratio(s.csat_satisfied as f64 * 100.0, s.csat_n),
            csat_n: s.csat_n,
            ces: ratio(s.ces_sum as f64, s.ces_n),
            ces_n: s.ces_n,
            expectation_gap: ratio(s.gap_sum as f64, s.gap_n),
            gap_n: s.gap_n,
            sentiment: ratio(s.sentiment_sum, s.sentiment_n),
            sentiment_n: s.sentiment_n,
            negative_share: ratio(s.negative as f64, s.sentiment_n),
        }
    }
}

/// Is the change in NPS between two periods larger than their combined noise (95%)?
pub fn nps_change_significant(a: &crate::stats::Nps, b: &crate::stats::Nps) -> bool {
    let se_a = a.margin / 1.96;
    let se_b = b.margin / 1.96;
    let se = (se_a * se_a + se_b * se_b).sqrt();
    se > 0.0 && ((b.score - a.score).abs() / se) > 1.96
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn periods_use_iso_weeks() {
        let (d, w, m) = period_keys(Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap());
        assert_eq!(
            (d.as_str(), w.as_str(), m.as_str()),
            ("2027-01-01", "2026-W53", "2027-01")
        );
    }

    #[test]
    fn metrics_from_sums_match_hand_computation() {
        let s = GroupSums {
            key: "x".into(),
            responses: 10,
            nps_n: 10,
            promoters: 5,
            detractors: 2,
            csat_n: 4,
            csat_satisfied: 3,
            ces_n: 2,
            ces_sum: 11,
            gap_n: 2,
            gap_sum: -3,
            ..Default::default()
        };
        let m = GroupMetrics::from(&s);
        let nps = m.nps.unwrap();
        assert!((nps.score - 30.0).abs() < 1e-9);
        assert!((nps.margin - 48.41).abs() < 0.01);
        assert_eq!(m.csat, Some(75.0));
        assert_eq!(m.ces, Some(5.5));
        assert_eq!(m.expectation_gap, Some(-1.5));
        assert_eq!(m.sentiment, None);
    }

    #[test]
    fn significance_needs_a_real_difference() {
        let small = crate::stats::Nps::from_counts(50, 30, 20).unwrap();
        let same = crate::stats::Nps::from_counts(52, 28, 20).unwrap();
        let worse = crate::stats::Nps::from_counts(200, 300, 500).unwrap();
        assert!(!nps_change_significant(&small, &same));
        assert!(nps_change_significant(&small, &worse));
    }
}
