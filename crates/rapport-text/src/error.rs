//! Errors of the text engine. Analysis itself never fails; only loading user-supplied
//! configuration (cue lists, taxonomies, models) can.

/// What can go wrong when loading editable resources.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TextError {
    #[error("invalid cue on line {line}: {reason}")]
    InvalidCue { line: usize, reason: String },
    #[error("invalid lexicon entry on line {line}: {reason}")]
    InvalidLexicon { line: usize, reason: String },
    #[error("invalid model file: {0}")]
    InvalidModel(String),
}
