//! Rapport's domain model: identifiers, roles, validated values and the rules that bind them.
//!
//! No IO lives here. Values are parsed once at the edge (`parse`/`TryFrom`) and trusted afterwards.
#![forbid(unsafe_code)]

pub mod alerts;
pub mod ambassadorship;
pub mod anonymity;
pub mod cases;
pub mod conversation;
pub mod error;
pub mod followups;
pub mod frontline;
pub mod ids;
pub mod import;
pub mod insights;
pub mod journey;
pub mod linkage;
pub mod model;
pub mod role;
pub mod stats;
pub mod survey;
pub mod values;
pub mod voc;
pub mod webhooks;

pub use error::DomainError;
pub use ids::*;
pub use journey::{Channel, StageKind};
pub use role::Role;
pub use values::{Email, Locale, Name, Password, Text};
