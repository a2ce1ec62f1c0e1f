//! Random secrets (session ids, CSRF and API tokens) and how they are stored: only hashes.
//!
//! These secrets carry 256 bits of entropy, so a fast SHA-256 is the right hash (argon2 is for
//! low-entropy passwords).

use rand::RngCore;
use sha2::{Digest, Sha256};

/// API tokens start with this, so leaked tokens are easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "rpt_";

pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A new API token: `(secret shown once, prefix for listing, hash to store)`.
pub fn new_api_token() -> (String, String, String) {
    let secret = format!("{TOKEN_PREFIX}{}", random_hex(32));
    let prefix = secret[..TOKEN_PREFIX.len() + 8].to_string();
    let hash = sha256_hex(&secret);
    (secret, prefix, hash)
}

/// Compares secrets in constant time.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
