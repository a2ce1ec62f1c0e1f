//! Roles and what each may do. The server's extractors ask these questions; nothing else decides.

use crate::DomainError;

/// A user's role inside their organisation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    CxManager,
    TeamLead,
    Agent,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::CxManager,
        Role::TeamLead,
        Role::Agent,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::CxManager => "cx_manager",
            Role::TeamLead => "team_lead",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                DomainError::new(
                    "role",
                    "must be one of admin, cx_manager, team_lead, agent, viewer",
                )
            })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of roles allowed to use a capability; routes name one of these, never raw role lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everyone in the organisation, read-only executives included.
    Members,
    /// Everyone who works with customers directly or manages those who do.
    Frontline,
    /// Team leads and above.
    Leads,
    /// CX managers and administrators.
    Managers,
    /// Administrators only.
    Admins,
}

impl Access {
    pub fn allows(self, role: Role) -> bool {
        use Role::*;
        match self {
            Access::Members => true,
            Access::Frontline => matches!(role, Admin | CxManager | TeamLead | Agent),
            Access::Leads => matches!(role, Admin | CxManager | TeamLead),
            Access::Managers => matches!(role, Admin | CxManager),
            Access::Admins => matches!(role, Admin),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_round_trips_and_rejects_unknown() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert_eq!(Role::parse("root").unwrap_err().field, "role");
    }

    #[test]
    fn access_is_monotonic() {
        // A role allowed at a stricter level is allowed at every looser one.
        let levels = [
            Access::Admins,
            Access::Managers,
            Access::Leads,
            Access::Frontline,
            Access::Members,
        ];
        for r in Role::ALL {
            let mut seen = false;
            for l in levels {
                if seen {
                    assert!(l.allows(r), "{r} lost access at {l:?}");
                }
                seen |= l.allows(r);
            }
        }
        assert!(!Access::Frontline.allows(Role::Viewer));
        assert!(Access::Frontline.allows(Role::Agent));
        assert!(!Access::Leads.allows(Role::Agent));
    }
}
