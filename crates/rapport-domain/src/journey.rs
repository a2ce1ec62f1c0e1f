//! Journeys: the five customer interfaces of the product brief and the channels touchpoints use.

use crate::{DomainError, Locale};

/// The kind of a journey stage. New journeys start with the five interfaces every business has
/// (seed 002); organisations may add stages of kind `Custom`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// Marketing and advertising: where expectations are set.
    MarketingPromise,
    FirstContact,
    Sales,
    /// Receiving the service or using the product.
    Service,
    /// Contact after the service ends.
    AfterService,
    Custom,
}

impl StageKind {
    pub const DEFAULTS: [StageKind; 5] = [
        StageKind::MarketingPromise,
        StageKind::FirstContact,
        StageKind::Sales,
        StageKind::Service,
        StageKind::AfterService,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::MarketingPromise => "marketing_promise",
            StageKind::FirstContact => "first_contact",
            StageKind::Sales => "sales",
            StageKind::Service => "service",
            StageKind::AfterService => "after_service",
            StageKind::Custom => "custom",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        [
            StageKind::MarketingPromise,
            StageKind::FirstContact,
            StageKind::Sales,
            StageKind::Service,
            StageKind::AfterService,
            StageKind::Custom,
        ]
        .into_iter()
        .find(|k| k.as_str() == raw.trim())
        .ok_or_else(|| {
            DomainError::new(
                field,
                "must be one of marketing_promise, first_contact, sales, service, after_service, custom",
            )
        })
    }

    /// The default stage name in the journey's own language; stored with the stage so that
    /// organisations can rename it.
    pub fn default_name(self, locale: Locale) -> &'static str {
        use Locale::*;
        use StageKind::*;
        match (self, locale) {
            (MarketingPromise, En) => "Marketing & advertising promise",
            (MarketingPromise, He) => "שיווק ופרסום: ההבטחה",
            (MarketingPromise, El) => "Μάρκετινγκ και διαφήμιση: η υπόσχεση",
            (FirstContact, En) => "First contact",
            (FirstContact, He) => "מגע ראשון",
            (FirstContact, El) => "Πρώτη επαφή",
            (Sales, En) => "Sales",
            (Sales, He) => "מכירה",
            (Sales, El) => "Πώληση",
            (Service, En) => "Service & product use",
            (Service, He) => "קבלת השירות ושימוש במוצר",
            (Service, El) => "Παροχή υπηρεσίας και χρήση προϊόντος",
            (AfterService, En) => "After-service",
            (AfterService, He) => "קשר לאחר השירות",
            (AfterService, El) => "Επικοινωνία μετά την υπηρεσία",
            (Custom, En) => "Custom stage",
            (Custom, He) => "שלב מותאם",
            (Custom, El) => "Προσαρμοσμένο στάδιο",
        }
    }
}

/// Where a touchpoint happens.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Advertising,
    Web,
    App,
    Phone,
    Email,
    Chat,
    Sms,
    Social,
    Mail,
    InPerson,
}

impl Channel {
    pub const ALL: [Channel; 10] = [
        Channel::Advertising,
        Channel::Web,
        Channel::App,
        Channel::Phone,
        Channel::Email,
        Channel::Chat,
        Channel::Sms,
        Channel::Social,
        Channel::Mail,
        Channel::InPerson,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Advertising => "advertising",
            Channel::Web => "web",
            Channel::App => "app",
            Channel::Phone => "phone",
            Channel::Email => "email",
            Channel::Chat => "chat",
            Channel::Sms => "sms",
            Channel::Social => "social",
            Channel::Mail => "mail",
            Channel::InPerson => "in_person",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == raw.trim())
            .ok_or_else(|| {
                DomainError::new(
                    field,
                    "must be one of advertising, web, app, phone, email, chat, sms, social, mail, in_person",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_default_stages_in_order_with_names_in_every_locale() {
        assert_eq!(StageKind::DEFAULTS.len(), 5);
        for k in StageKind::DEFAULTS {
            assert_eq!(StageKind::parse("kind", k.as_str()).unwrap(), k);
            for l in Locale::ALL {
                assert!(!k.default_name(l).is_empty());
            }
        }
        assert!(Channel::parse("channel", "pigeon").is_err());
        assert_eq!(
            Channel::parse("channel", "in_person").unwrap(),
            Channel::InPerson
        );
    }
}
