//! The model directory lookup order. A separate test binary with a single test, because it
//! changes process environment variables.

use std::path::PathBuf;

use rapport_embed::default_model_dir;

#[test]
fn model_dir_prefers_rapport_then_xdg_then_home() {
    std::env::set_var("HOME", "/home/u");
    std::env::set_var("XDG_DATA_HOME", "/xdg");
    std::env::set_var("RAPPORT_MODEL_DIR", "/models");
    assert_eq!(default_model_dir(), PathBuf::from("/models"));
    std::env::set_var("RAPPORT_MODEL_DIR", "");
    assert_eq!(default_model_dir(), PathBuf::from("/xdg/rapport/models"));
    std::env::remove_var("XDG_DATA_HOME");
    assert_eq!(
        default_model_dir(),
        PathBuf::from("/home/u/.local/share/rapport/models")
    );
}
