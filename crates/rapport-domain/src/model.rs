//! Records as the rest of Rapport sees them, and the parsed inputs that create or replace them.
//!
//! Inputs hold only validated values (`Name`, `Email`…), so storage never re-checks them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    Channel, CustomerId, Email, JourneyId, Locale, Name, OrgId, Role, StageId, StageKind, TeamId,
    Text, TokenId, TouchpointId, UserId,
};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub slug: String,
    pub default_locale: Locale,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub locale: Locale,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Team {
    pub id: TeamId,
    pub org_id: OrgId,
    pub name: String,
    pub lead_id: Option<UserId>,
    pub member_count: i64,
    pub created_at: DateTime<Utc>,
}

/// What the customer agreed to. Surveys by e-mail or SMS are sent only with the matching consent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    #[serde(default)]
    pub email: bool,
    #[serde(default)]
    pub sms: bool,
    /// Their feedback may be quoted internally (e.g. on the legacy-story wall).
    #[serde(default)]
    pub research: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Customer {
    pub id: CustomerId,
    pub org_id: OrgId,
    pub external_id: String,
    pub name: String,
    pub locale: Locale,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub consent: Consent,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Journey {
    pub id: JourneyId,
    pub org_id: OrgId,
    pub name: String,
    pub description: Option<String>,
    pub locale: Locale,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stage {
    pub id: StageId,
    pub journey_id: JourneyId,
    pub kind: StageKind,
    pub name: String,
    pub position: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Touchpoint {
    pub id: TouchpointId,
    pub journey_id: JourneyId,
    pub stage_id: StageId,
    pub name: String,
    pub channel: Channel,
    pub owner_id: Option<UserId>,
    /// The promise made to the customer here; the yardstick for the expectation gap.
    pub promise: Option<String>,
    pub position: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageWithTouchpoints {
    #[serde(flatten)]
    pub stage: Stage,
    pub touchpoints: Vec<Touchpoint>,
}

/// A journey with its ordered stages and their ordered touchpoints.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JourneyMap {
    #[serde(flatten)]
    pub journey: Journey,
    pub stages: Vec<StageWithTouchpoints>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// An API token as listed: never the secret, only its recognisable prefix.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

// ---- parsed inputs ----

#[derive(Debug, Clone)]
pub struct NewOrganisation {
    pub name: Name,
    pub slug: String,
    pub default_locale: Locale,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub display_name: Name,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub locale: Locale,
    /// An argon2 PHC string; `None` for users who cannot log in yet.
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct UserUpdate {
    pub display_name: Name,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub locale: Locale,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct NewTeam {
    pub name: Name,
    pub lead_id: Option<UserId>,
}

#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub external_id: Name,
    pub name: Name,
    pub locale: Locale,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub consent: Consent,
}

#[derive(Debug, Clone)]
pub struct NewJourney {
    pub name: Name,
    pub description: Option<Text>,
    pub locale: Locale,
}

#[derive(Debug, Clone)]
pub struct NewStage {
    pub name: Name,
    pub kind: StageKind,
    /// Where to insert (0-based); `None` appends.
    pub position: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewTouchpoint {
    pub stage_id: StageId,
    pub name: Name,
    pub channel: Channel,
    pub owner_id: Option<UserId>,
    pub promise: Option<Text>,
    pub position: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct CustomerFilter {
    pub search: Option<String>,
    pub locale: Option<Locale>,
    pub limit: i64,
    pub offset: i64,
}

/// A phone number as the customer gave it, checked to hold 6–15 digits (E.164's maximum).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(field: &str, raw: &str) -> Result<Self, crate::DomainError> {
        let s = raw.trim();
        let digits = s.chars().filter(char::is_ascii_digit).count();
        let allowed = s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
        if !allowed
            || !(6..=15).contains(&digits)
            || s.get(1..).is_some_and(|rest| rest.contains('+'))
        {
            return Err(crate::DomainError::new(
                field,
                "must be a phone number of 6–15 digits, e.g. +972 3 555 1234",
            ));
        }
        Ok(Phone(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Phone;

    #[test]
    fn phones() {
        assert!(Phone::parse("phone", "+972 3-555-1234").is_ok());
        assert!(Phone::parse("phone", "210 555 1234").is_ok());
        assert!(Phone::parse("phone", "12+34567").is_err());
        assert!(Phone::parse("phone", "call me").is_err());
        assert!(Phone::parse("phone", "123").is_err());
        assert!(Phone::parse("phone", "").is_err());
    }
}
