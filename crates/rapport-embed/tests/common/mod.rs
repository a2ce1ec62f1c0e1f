//! Shared by the integration tests: the model is large, so it is loaded once per test binary
//! and the tests skip (loudly) when it is not installed.

use std::sync::OnceLock;

use rapport_embed::{default_model_dir, Encoder, MODEL_FILE};

/// The installed model, or `None` after printing why the test is skipped.
pub fn encoder() -> Option<&'static Encoder> {
    static ENCODER: OnceLock<Option<Encoder>> = OnceLock::new();
    let enc = ENCODER.get_or_init(|| {
        let path = default_model_dir().join(MODEL_FILE);
        if !path.exists() {
            return None;
        }
        Some(Encoder::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
    });
    if enc.is_none() {
        // Once per test binary: property tests call this for every case.
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            eprintln!(
                "skipping: model file not found at {}; run `rapport models fetch`",
                default_model_dir().join(MODEL_FILE).display()
            )
        });
    }
    enc.as_ref()
}
