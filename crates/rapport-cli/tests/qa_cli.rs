//! `rapport qa` as a user runs it: the built binary on a small file with one malformed line.

use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn evaluates_in_order_and_reports_bad_lines() {
    let input = [
        r#"{"id": "a", "channel": "chat", "customer": "Dana Levi", "language": "en", "turns": [{"speaker": "customer", "text": "My order never arrived and I'm really upset."}, {"speaker": "agent", "text": "I'm so sorry, Dana. I'll send a replacement today."}, {"speaker": "customer", "text": "Perfect, thank you so much!"}]}"#,
        r#"{"id": "b", "channel": "chat", "turns": [{"speaker": "robot", "text": "hi"}]}"#,
        "",
        r#"{"id": "c", "channel": "phone", "language": "he", "turns": [{"speaker": "customer", "text": "שלום, אני רוצה לעדכן כתובת."}, {"speaker": "agent", "text": "בשמחה, אשמח לעזור."}]}"#,
    ]
    .join("\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["qa", "--input", "-", "--output", "-", "--threads", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        !out.status.success(),
        "a failed line makes the exit status non-zero"
    );
    assert!(
        stderr.contains("line 2: turns[0].speaker:"),
        "stderr names the line and field: {stderr}"
    );
    assert!(stderr.contains("1 of 3 lines failed"), "{stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[1]["id"], "c");
    let keys: Vec<&str> = lines[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["criteria", "customer", "flags", "id", "overall"]);
    let personalisation = lines[0]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "personalisation")
        .unwrap();
    assert_eq!(personalisation["evidence"], serde_json::json!([1]));
    assert!(lines[0]["overall"].as_u64().unwrap() <= 100);
}

#[test]
fn bad_rubric_names_the_field() {
    let dir = std::env::temp_dir().join(format!("rapport-qa-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rubric = dir.join("rubric.json");
    std::fs::write(
        &rubric,
        r#"{"name": "r", "criteria": [{"name": "x", "weight": -1}]}"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["qa", "--input", "-", "--rubric"])
        .arg(&rubric)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("criteria[0].weight"), "{stderr}");
}
