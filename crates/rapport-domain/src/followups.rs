//! Post-service follow-ups (seed 002: service continues after the service ends). A plan per
//! touchpoint schedules one task per customer a number of days after their last interaction;
//! a person calls, or Rapport sends a survey instead.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::voc::SurveyId;
use crate::{CustomerId, DomainError, FollowupId, TouchpointId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowupMode {
    /// A person from the touchpoint's owner's team calls and records the outcome.
    Call,
    /// Rapport e-mails the plan's survey (consent and the survey cool-down respected).
    Survey,
}

impl FollowupMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowupMode::Call => "call",
            FollowupMode::Survey => "survey",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        match s {
            "call" => Ok(FollowupMode::Call),
            "survey" => Ok(FollowupMode::Survey),
            _ => Err(DomainError::new(field, "must be call or survey")),
        }
    }
}

/// A follow-up plan as an administrator sets it for one touchpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FollowupPlan {
    pub touchpoint_id: TouchpointId,
    /// Days after the customer's last interaction at this touchpoint.
    pub after_days: i32,
    pub mode: FollowupMode,
    /// Required when `mode` is `survey`.
    #[serde(default)]
    pub survey_id: Option<SurveyId>,
}

impl FollowupPlan {
    pub fn validate(&self) -> Result<(), DomainError> {
        if !(1..=365).contains(&self.after_days) {
            return Err(DomainError::new("after_days", "must be between 1 and 365"));
        }
        if self.mode == FollowupMode::Survey && self.survey_id.is_none() {
            return Err(DomainError::new(
                "survey_id",
                "a survey follow-up needs the survey to send",
            ));
        }
        Ok(())
    }

    /// When the follow-up falls due after an interaction at `last`.
    pub fn due(&self, last: DateTime<Utc>) -> DateTime<Utc> {
        last + Duration::days(i64::from(self.after_days))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowupState {
    Scheduled,
    Done,
    Skipped,
    /// The survey was sent instead of a call.
    Surveyed,
}

impl FollowupState {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowupState::Scheduled => "scheduled",
            FollowupState::Done => "done",
            FollowupState::Skipped => "skipped",
            FollowupState::Surveyed => "surveyed",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        match s {
            "scheduled" => Ok(FollowupState::Scheduled),
            "done" => Ok(FollowupState::Done),
            "skipped" => Ok(FollowupState::Skipped),
            "surveyed" => Ok(FollowupState::Surveyed),
            _ => Err(DomainError::new(
                field,
                "must be scheduled, done, skipped or surveyed",
            )),
        }
    }
}

/// One customer's follow-up.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FollowupTask {
    pub id: FollowupId,
    pub touchpoint_id: TouchpointId,
    pub customer_id: CustomerId,
    pub owner_id: Option<UserId>,
    pub mode: FollowupMode,
    pub last_interaction_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub state: FollowupState,
    pub outcome: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// Recording what happened on a follow-up call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FollowupResult {
    /// `done` or `skipped`.
    pub state: FollowupState,
    pub outcome: String,
}

impl FollowupResult {
    pub fn validate(&self) -> Result<(), DomainError> {
        if !matches!(self.state, FollowupState::Done | FollowupState::Skipped) {
            return Err(DomainError::new("state", "must be done or skipped"));
        }
        let n = self.outcome.trim().chars().count();
        if n == 0 || n > 4000 {
            return Err(DomainError::new(
                "outcome",
                "describe the outcome (1 to 4000 characters)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_checked_and_schedule_from_the_last_interaction() {
        let mut p = FollowupPlan {
            touchpoint_id: TouchpointId(1),
            after_days: 30,
            mode: FollowupMode::Survey,
            survey_id: None,
        };
        assert_eq!(p.validate().unwrap_err().field, "survey_id");
        p.mode = FollowupMode::Call;
        p.validate().unwrap();
        let t = Utc::now();
        assert_eq!(p.due(t) - t, Duration::days(30));
        p.after_days = 0;
        assert_eq!(p.validate().unwrap_err().field, "after_days");
        let r = FollowupResult {
            state: FollowupState::Scheduled,
            outcome: "x".into(),
        };
        assert_eq!(r.validate().unwrap_err().field, "state");
    }
}
