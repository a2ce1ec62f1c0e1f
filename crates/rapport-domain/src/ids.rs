//! Newtype identifiers, so a `TeamId` can never be passed where a `UserId` is expected.

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

id_type!(
    /// An organisation: the boundary no user can ever cross.
    OrgId,
    UserId,
    TeamId,
    CustomerId,
    JourneyId,
    StageId,
    TouchpointId,
    TokenId,
    AlertRuleId,
    CaseId,
    WebhookId,
    FollowupId,
    ConversationId,
    EvaluationId,
    CoachingId,
    ListeningId,
    KudosId,
    StoryId,
);
