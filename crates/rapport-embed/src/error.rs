//! The one error type of the crate: everything that can go wrong loading a model file.

use std::path::PathBuf;

/// Why a model file could not be loaded. Embedding itself cannot fail once loaded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("cannot read model file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("not an e5 model file: magic is {found:?}, expected \"E5S1\"")]
    BadMagic { found: Vec<u8> },
    #[error("unsupported model format version {0} (this build reads version 1)")]
    UnsupportedVersion(u32),
    #[error("model file truncated while reading {what} at byte {offset}")]
    Truncated { what: &'static str, offset: usize },
    #[error("invalid model header: {0}")]
    InvalidHeader(String),
    #[error("invalid tokenizer data: {0}")]
    InvalidTokenizer(String),
    #[error("model file lacks tensor `{0}`")]
    MissingTensor(String),
    #[error("tensor `{name}`: {reason}")]
    BadTensor { name: String, reason: String },
    #[error("model checksum mismatch: expected sha256 {expected}, found {actual}")]
    ChecksumMismatch { expected: String, actual: String },
}
