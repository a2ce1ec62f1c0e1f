//! Golden-file test: `rapport analyze` on a committed sample in each language (plus malformed
//! lines) must produce exactly the committed output. Regenerate after an intended change with
//! `UPDATE_GOLDEN=1 cargo test -p rapport-cli --test golden_analyze`.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(input: &str, threads: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["analyze", "--threads", threads])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rapport");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn analyze_matches_golden_output() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
    let mut input = std::fs::read_to_string(format!("{dir}/cx_sample.jsonl")).expect("sample");
    input.push_str(
        "not json\n{\"id\": 99}\n\n{\"id\": 100, \"text\": \"Bonjour, merci beaucoup\"}\n",
    );
    let got = run(&input, "2");
    assert_eq!(
        got.lines().count(),
        input.lines().count(),
        "one output line per input line"
    );
    // Same result single-threaded: order and content do not depend on parallelism.
    assert_eq!(got, run(&input, "1"));
    let path = format!("{dir}/cx_sample.expected.jsonl");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).expect("write golden");
    }
    let want =
        std::fs::read_to_string(&path).expect("golden file (run with UPDATE_GOLDEN=1 to create)");
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "line {}", i + 1);
    }
    assert_eq!(got.lines().count(), want.lines().count());
}
