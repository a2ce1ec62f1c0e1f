//! Argon2id password hashing. Hashing is slow on purpose, so it runs off the async threads.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

/// Hashes a password into a PHC string (`$argon2id$…`).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Checks a password; a missing or malformed hash never verifies.
pub fn verify(password: &str, phc: Option<&str>) -> bool {
    // Without a hash, verify against a fixed one anyway so timing does not reveal whether the
    // account exists.
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let (phc, real) = match phc {
        Some(p) => (p, true),
        None => (
            DUMMY
                .get_or_init(|| hash("rapport timing guard").unwrap_or_default())
                .as_str(),
            false,
        ),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

pub async fn hash_async(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

pub async fn verify_async(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, phc.as_deref()))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify_and_differ() {
        let a = super::hash("correct horse").unwrap();
        let b = super::hash("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salted");
        assert!(super::verify("correct horse", Some(&a)));
        assert!(!super::verify("wrong horse", Some(&a)));
        assert!(!super::verify("correct horse", None));
        assert!(!super::verify("x", Some("not a hash")));
    }
}
