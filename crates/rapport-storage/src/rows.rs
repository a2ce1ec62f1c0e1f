//! Database rows and their conversion into domain records. Text columns holding enums are
//! parsed here, so a bad stored value surfaces as `Corrupt` rather than a panic.

use chrono::{DateTime, Utc};
use rapport_domain::model::*;
use rapport_domain::*;

use crate::StorageResult;

#[derive(sqlx::FromRow)]
pub(crate) struct OrgRow {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub default_locale: String,
    pub created_at: DateTime<Utc>,
}

impl OrgRow {
    pub fn into_domain(self) -> StorageResult<Organisation> {
        Ok(Organisation {
            id: OrgId(self.id),
            name: self.name,
            slug: self.slug,
            default_locale: Locale::parse("default_locale", &self.default_locale)?,
            created_at: self.created_at,
        })
    }
}

pub(crate) const USER_COLS: &str =
    "u.id, u.org_id, u.email, u.display_name, u.role, u.team_id, u.locale, u.active, u.created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub team_id: Option<i64>,
    pub locale: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl UserRow {
    pub fn into_domain(self) -> StorageResult<User> {
        Ok(User {
            id: UserId(self.id),
            org_id: OrgId(self.org_id),
            email: self.email,
            display_name: self.display_name,
            role: Role::parse(&self.role)?,
            team_id: self.team_id.map(TeamId),
            locale: Locale::parse("locale", &self.locale)?,
            active: self.active,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserCredRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub password_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

pub(crate) const TEAM_COLS: &str = "t.id, t.org_id, t.name, t.lead_id, t.created_at, \
     (SELECT COUNT(*) FROM users m WHERE m.team_id = t.id AND m.active = TRUE) AS member_count";

#[derive(sqlx::FromRow)]
pub(crate) struct TeamRow {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub lead_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub member_count: i64,
}

impl TeamRow {
    pub fn into_domain(self) -> Team {
        Team {
            id: TeamId(self.id),
            org_id: OrgId(self.org_id),
            name: self.name,
            lead_id: self.lead_id.map(UserId),
            member_count: self.member_count,
            created_at: self.created_at,
        }
    }
}

pub(crate) const CUSTOMER_COLS: &str = "id, org_id, external_id, name, locale, email, phone, \
     consent_email, consent_sms, consent_research, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct CustomerRow {
    pub id: i64,
    pub org_id: i64,
    pub external_id: String,
    pub name: String,
    pub locale: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub consent_email: bool,
    pub consent_sms: bool,
    pub consent_research: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CustomerRow {
    pub fn into_domain(self) -> StorageResult<Customer> {
        Ok(Customer {
            id: CustomerId(self.id),
            org_id: OrgId(self.org_id),
            external_id: self.external_id,
            name: self.name,
            locale: Locale::parse("locale", &self.locale)?,
            email: self.email,
            phone: self.phone,
            consent: Consent {
                email: self.consent_email,
                sms: self.consent_sms,
                research: self.consent_research,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct JourneyRow {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub description: Option<String>,
    pub locale: String,
    pub created_at: DateTime<Utc>,
}

impl JourneyRow {
    pub fn into_domain(self) -> StorageResult<Journey> {
        Ok(Journey {
            id: JourneyId(self.id),
            org_id: OrgId(self.org_id),
            name: self.name,
            description: self.description,
            locale: Locale::parse("locale", &self.locale)?,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct StageRow {
    pub id: i64,
    pub journey_id: i64,
    pub kind: String,
    pub name: String,
    pub position: i64,
}

impl StageRow {
    pub fn into_domain(self) -> StorageResult<Stage> {
        Ok(Stage {
            id: StageId(self.id),
            journey_id: JourneyId(self.journey_id),
            kind: StageKind::parse("kind", &self.kind)?,
            name: self.name,
            position: self.position,
        })
    }
}

pub(crate) const TOUCHPOINT_COLS: &str =
    "id, journey_id, stage_id, name, channel, owner_id, promise, position";

#[derive(sqlx::FromRow)]
pub(crate) struct TouchpointRow {
    pub id: i64,
    pub journey_id: i64,
    pub stage_id: i64,
    pub name: String,
    pub channel: String,
    pub owner_id: Option<i64>,
    pub promise: Option<String>,
    pub position: i64,
}

impl TouchpointRow {
    pub fn into_domain(self) -> StorageResult<Touchpoint> {
        Ok(Touchpoint {
            id: TouchpointId(self.id),
            journey_id: JourneyId(self.journey_id),
            stage_id: StageId(self.stage_id),
            name: self.name,
            channel: Channel::parse("channel", &self.channel)?,
            owner_id: self.owner_id.map(UserId),
            promise: self.promise,
            position: self.position,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

impl AuditRow {
    pub fn into_domain(self) -> AuditEntry {
        AuditEntry {
            id: self.id,
            actor_id: self.actor_id.map(UserId),
            action: self.action,
            entity: self.entity,
            entity_id: self.entity_id,
            detail: self.detail,
            at: self.at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    pub fn into_domain(self) -> ApiToken {
        ApiToken {
            id: TokenId(self.id),
            user_id: UserId(self.user_id),
            name: self.name,
            prefix: self.prefix,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked: self.revoked_at.is_some(),
        }
    }
}
