//! Outbound webhooks: which events an integrator subscribes to, and what a delivery looks like.
//! Signing and sending live in the server; the rules about endpoints live here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DomainError, Email, Locale, Name, OrgId, WebhookId};

/// Events Rapport sends.
pub const EVENTS: [&str; 4] = [
    "response.created",
    "case.created",
    "case.updated",
    "case.closed",
];

/// How long a delivery is retried before it goes to the dead-letter list.
pub const RETRY_HOURS: i64 = 24;

/// An endpoint as an administrator registers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookSpec {
    /// `https://` (or `http://` for a receiver on the same network).
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Event names from [`EVENTS`], or `["*"]` for all.
    pub events: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl WebhookSpec {
    pub fn validate(&self) -> Result<(), DomainError> {
        let url = self.url.trim();
        let ok_scheme = url.starts_with("https://") || url.starts_with("http://");
        let host = url.split("://").nth(1).unwrap_or("");
        if !ok_scheme || host.is_empty() || host.starts_with('/') || url.len() > 2000 {
            return Err(DomainError::new(
                "url",
                "must be an http:// or https:// address",
            ));
        }
        let odd =
            |c: char| c.is_whitespace() || c.is_control() || crate::values::is_bidi_control(c);
        if url.chars().any(odd) {
            return Err(DomainError::new(
                "url",
                "must not contain spaces or control characters",
            ));
        }
        if self.description.chars().count() > 200 {
            return Err(DomainError::new("description", "at most 200 characters"));
        }
        if self.events.is_empty() {
            return Err(DomainError::new(
                "events",
                "subscribe to at least one event",
            ));
        }
        for (i, e) in self.events.iter().enumerate() {
            if e != "*" && !EVENTS.contains(&e.as_str()) {
                return Err(DomainError::new(
                    format!("events[{i}]"),
                    format!("unknown event; use one of {} or *", EVENTS.join(", ")),
                ));
            }
        }
        Ok(())
    }

    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == event)
    }
}

/// A registered endpoint. The secret is shown once, when created.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Webhook {
    pub id: WebhookId,
    pub org_id: OrgId,
    #[serde(flatten)]
    pub spec: WebhookSpec,
    pub created_at: DateTime<Utc>,
}

/// The state of one event's delivery to one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    /// Gave up after [`RETRY_HOURS`]; can be redelivered by hand.
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        match s {
            "pending" => Ok(DeliveryState::Pending),
            "delivered" => Ok(DeliveryState::Delivered),
            "dead" => Ok(DeliveryState::Dead),
            _ => Err(DomainError::new(
                field,
                "must be pending, delivered or dead",
            )),
        }
    }
}

/// One event for one endpoint. `delivery_id` is stable across retries so receivers de-duplicate.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: WebhookId,
    pub delivery_id: String,
    pub event: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub state: DeliveryState,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub give_up_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One HTTP attempt of a delivery, for the log.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    pub at: DateTime<Utc>,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// How an inbound helpdesk or contact-centre event maps onto Rapport: JSON pointers (RFC 6901,
/// e.g. `/ticket/requester/id`) into the sender's payload. Generic, so any system that can
/// POST JSON can trigger a survey when a ticket is solved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InboundMapping {
    /// Where the event type is, e.g. `/type`.
    pub event_pointer: String,
    /// Event types that mean "service delivered: ask the customer", e.g. `["ticket.solved"]`.
    pub trigger_values: Vec<String>,
    /// The sender's id of the ticket or interaction: repeated deliveries of it send one survey.
    pub ticket_pointer: String,
    /// The customer's id in the sender's system (our customer external id).
    pub customer_pointer: String,
    #[serde(default)]
    pub email_pointer: Option<String>,
    #[serde(default)]
    pub name_pointer: Option<String>,
    /// `en`, `he` or `el`; the organisation's default when absent.
    #[serde(default)]
    pub locale_pointer: Option<String>,
    /// The survey to send.
    pub survey_id: i64,
    /// Customers first seen through this source agreed to service e-mails (your helpdesk's
    /// terms say so). Customers Rapport already knows keep their own consent.
    #[serde(default)]
    pub new_customers_consent_to_email: bool,
}

impl InboundMapping {
    pub fn validate(&self) -> Result<(), DomainError> {
        let pointers = [
            ("event_pointer", Some(&self.event_pointer)),
            ("ticket_pointer", Some(&self.ticket_pointer)),
            ("customer_pointer", Some(&self.customer_pointer)),
            ("email_pointer", self.email_pointer.as_ref()),
            ("name_pointer", self.name_pointer.as_ref()),
            ("locale_pointer", self.locale_pointer.as_ref()),
        ];
        for (field, p) in pointers {
            if let Some(p) = p {
                if !p.starts_with('/') || p.len() > 200 {
                    return Err(DomainError::new(
                        field,
                        "must be a JSON pointer such as /ticket/id",
                    ));
                }
            }
        }
        if self.trigger_values.is_empty() || self.trigger_values.iter().any(|v| v.trim().is_empty())
        {
            return Err(DomainError::new(
                "trigger_values",
                "name at least one event type, e.g. ticket.solved",
            ));
        }
        Ok(())
    }
}

/// What one inbound body asks for, once every field the mapping names has been read and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundEvent {
    /// The event type is not one of the mapping's triggers.
    Ignored { event: String },
    /// Send the survey for this ticket to this customer.
    Invite(InboundInvite),
}

/// A trigger event, fully parsed: nothing about it can fail after the ticket is recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundInvite {
    pub ticket: String,
    /// Our customer external id; also the name of a new customer when the body gives none.
    pub customer: Name,
    pub email: Option<Email>,
    pub name: Option<Name>,
    pub locale: Option<Locale>,
}

/// The `t=<unix>` part of a `Rapport-Signature` header (the HMAC is checked by the server).
pub fn signature_timestamp(header: &str) -> Option<i64> {
    header
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse().ok())
}

/// Trimmed non-blank text (or a number, as written) at a JSON pointer; `field` names it in errors.
fn text_at(v: &serde_json::Value, pointer: &str, field: &str) -> Result<String, DomainError> {
    match v.pointer(pointer) {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
        _ => Err(DomainError::new(
            field,
            format!("the body has no text at {pointer}"),
        )),
    }
}

impl InboundMapping {
    /// Reads a (signature-checked) body through this mapping. Errors name `body`, `event`,
    /// `ticket`, `customer`, `email`, `name` or `locale`.
    pub fn parse_event(&self, body: &[u8]) -> Result<InboundEvent, DomainError> {
        let v: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| DomainError::new("body", format!("not JSON: {e}")))?;
        let event = text_at(&v, &self.event_pointer, "event")?;
        if !self.trigger_values.contains(&event) {
            return Ok(InboundEvent::Ignored { event });
        }
        let ticket = text_at(&v, &self.ticket_pointer, "ticket")?;
        let customer = text_at(&v, &self.customer_pointer, "customer")?;
        let optional = |p: &Option<String>, field: &str| -> Result<Option<String>, DomainError> {
            p.as_deref().map(|p| text_at(&v, p, field)).transpose()
        };
        let email = optional(&self.email_pointer, "email")?
            .map(|e| Email::parse("email", &e))
            .transpose()?;
        let name = optional(&self.name_pointer, "name")?;
        let locale = optional(&self.locale_pointer, "locale")?
            .map(|l| Locale::parse("locale", &l))
            .transpose()?;
        Ok(InboundEvent::Invite(InboundInvite {
            ticket,
            customer: Name::parse("customer", &customer)?,
            email,
            name: name.map(|n| Name::parse("name", &n)).transpose()?,
            locale,
        }))
    }
}

/// A registered inbound source. Its address carries an unguessable id; its secret signs bodies.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct InboundSource {
    pub id: i64,
    pub name: String,
    /// The path to POST to: `/api/v1/inbound/{public_id}`.
    pub public_id: String,
    pub mapping: InboundMapping,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(url: &str, events: &[&str]) -> WebhookSpec {
        WebhookSpec {
            url: url.into(),
            description: String::new(),
            events: events.iter().map(|s| s.to_string()).collect(),
            active: true,
        }
    }

    #[test]
    fn endpoints_are_checked() {
        let rlo = spec("https://x/\u{202E}exe", &["*"]);
        assert_eq!(rlo.validate().unwrap_err().field, "url");
        spec("https://example.org/hook", &["case.created"])
            .validate()
            .unwrap();
        spec("http://127.0.0.1:9000/x", &["*"]).validate().unwrap();
        assert_eq!(spec("ftp://x", &["*"]).validate().unwrap_err().field, "url");
        assert_eq!(
            spec("https://", &["*"]).validate().unwrap_err().field,
            "url"
        );
        assert_eq!(
            spec("https://x/ y", &["*"]).validate().unwrap_err().field,
            "url"
        );
        assert_eq!(
            spec("https://x", &[]).validate().unwrap_err().field,
            "events"
        );
        assert_eq!(
            spec("https://x", &["case.created", "case.deleted"])
                .validate()
                .unwrap_err()
                .field,
            "events[1]"
        );
        assert!(spec("https://x", &["*"]).wants("case.closed"));
        assert!(!spec("https://x", &["case.created"]).wants("case.closed"));
    }

    #[test]
    fn inbound_mappings_name_the_bad_pointer() {
        let mut m = InboundMapping {
            event_pointer: "/type".into(),
            trigger_values: vec!["ticket.solved".into()],
            ticket_pointer: "/ticket/id".into(),
            customer_pointer: "/ticket/requester/id".into(),
            email_pointer: Some("ticket.requester.email".into()),
            name_pointer: None,
            locale_pointer: None,
            survey_id: 1,
            new_customers_consent_to_email: false,
        };
        assert_eq!(m.validate().unwrap_err().field, "email_pointer");
        m.email_pointer = Some("/ticket/requester/email".into());
        m.validate().unwrap();
        m.trigger_values.clear();
        assert_eq!(m.validate().unwrap_err().field, "trigger_values");
    }
}
