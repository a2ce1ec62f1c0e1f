#![no_main]
//! Inbound helpdesk events (`POST /api/v1/inbound/{id}`): the `Rapport-Signature` header's
//! timestamp and the JSON body read through a source's mapping. Input: header line, then body.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rapport_domain::webhooks::{signature_timestamp, InboundEvent, InboundMapping};
use rapport_domain::{Email, Locale, Name};

/// Zendesk-like mapping with every optional pointer set.
fn mapping() -> &'static InboundMapping {
    static M: OnceLock<InboundMapping> = OnceLock::new();
    M.get_or_init(|| {
        let m: InboundMapping = serde_json::from_str(
            r#"{"event_pointer": "/type", "trigger_values": ["ticket.solved", "call.ended"],
                "ticket_pointer": "/ticket/id", "customer_pointer": "/ticket/requester/id",
                "email_pointer": "/ticket/requester/email", "name_pointer": "/ticket/requester/name",
                "locale_pointer": "/ticket/requester/locale", "survey_id": 1}"#,
        )
        .unwrap();
        m.validate().unwrap();
        m
    })
}

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    if let Ok(h) = std::str::from_utf8(header) {
        let _ = signature_timestamp(h);
    }
    match mapping().parse_event(body) {
        Ok(InboundEvent::Ignored { event }) => {
            assert!(!mapping().trigger_values.contains(&event));
        }
        Ok(InboundEvent::Invite(i)) => {
            assert!(!i.ticket.is_empty() && i.ticket == i.ticket.trim());
            // Everything stored later was already checked here.
            assert_eq!(Name::parse("customer", i.customer.as_str()).as_ref(), Ok(&i.customer));
            if let Some(n) = &i.name {
                assert_eq!(Name::parse("name", n.as_str()).as_ref(), Ok(n));
            }
            if let Some(e) = &i.email {
                assert!(Email::parse("email", e.as_str()).is_ok());
            }
            if let Some(l) = i.locale {
                assert_eq!(Locale::parse("locale", l.as_str()), Ok(l));
            }
        }
        Err(e) => {
            assert!(
                ["body", "event", "ticket", "customer", "email", "name", "locale"]
                    .contains(&e.field.as_str()),
                "{e}"
            );
        }
    }
});
