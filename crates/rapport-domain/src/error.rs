//! The domain's single error type: an input that breaks a rule, naming the field to blame.

/// A value that does not satisfy a domain rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct DomainError {
    /// The input field to blame, as the client named it.
    pub field: String,
    /// Human-readable reason, in English (UI layers translate the field, not the reason).
    pub reason: String,
}

impl DomainError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Re-labels the error with the field name the client used (e.g. `touchpoints[2].name`).
    pub fn in_field(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}
