//! `rapport analyze --semantic` and `rapport themes --semantic`: without the model file both
//! fall back to the fast tier (same output as without the flag, and a log line); with it,
//! complaints about the same thing in English, Hebrew and Greek form one theme.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn run(args: &[&str], input: &str, model_dir: &Path) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(args)
        .env("RAPPORT_MODEL_DIR", model_dir)
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
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    (String::from_utf8(out.stdout).expect("utf-8"), stderr)
}

const CORPUS: &[(&str, &str)] = &[
    ("en", "I waited on hold for an hour and nobody answered."),
    (
        "en",
        "Kept on hold for ages, the waiting time is ridiculous.",
    ),
    ("he", "חיכיתי על הקו שעה שלמה ואף אחד לא ענה."),
    ("he", "זמן ההמתנה למוקד ארוך מדי, חיכיתי ארבעים דקות."),
    (
        "el",
        "Περίμενα στο τηλέφωνο μία ώρα και κανείς δεν απάντησε.",
    ),
    ("el", "Η αναμονή στο τηλεφωνικό κέντρο ήταν ατελείωτη."),
    ("en", "The invoice charged me twice for the same month."),
    ("en", "My bill has a fee I never agreed to."),
    ("he", "חייבו אותי פעמיים בחשבונית של החודש."),
    ("he", "יש בחשבון חיוב שלא הסכמתי לו."),
    ("el", "Ο λογαριασμός μου χρέωσε διπλά τον ίδιο μήνα."),
    ("el", "Στον λογαριασμό υπάρχει χρέωση που δεν συμφώνησα."),
];

fn corpus() -> String {
    CORPUS
        .iter()
        .enumerate()
        .map(|(i, (l, t))| {
            format!(
                "{}\n",
                serde_json::json!({"id": format!("{l}-{i}"), "text": t, "language": l})
            )
        })
        .collect()
}

#[test]
fn without_the_model_semantic_falls_back_to_the_fast_tier() {
    let empty = std::env::temp_dir().join(format!("rapport-no-model-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let input = corpus();
    let (fast, _) = run(&["analyze"], &input, &empty);
    let (sem, log) = run(&["analyze", "--semantic"], &input, &empty);
    assert_eq!(fast, sem, "identical output without the model");
    assert!(log.contains("semantic tier unavailable"), "{log}");
    let (themes, _) = run(&["themes", "--semantic"], &input, &empty);
    let v: serde_json::Value = serde_json::from_str(&themes).unwrap();
    assert!(v["themes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["kind"] != "semantic"));
}

#[test]
fn semantic_themes_cross_languages() {
    let dir = rapport_embed::default_model_dir();
    if !dir.join("e5-small-q4.bin").exists() {
        eprintln!(
            "skipping: model file not found in {} (run `rapport models fetch`)",
            dir.display()
        );
        return;
    }
    let (out, log) = run(&["themes", "--semantic"], &corpus(), &dir);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {log}"));
    let themes = v["themes"].as_array().unwrap();
    assert!(themes.iter().all(|t| t["kind"] == "semantic"), "{out}");
    // Each theme gathers (at least most of) one subject, in all three languages.
    let members = |t: &serde_json::Value| -> Vec<String> {
        t["member_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    let subject = |id: &str| id.split('-').nth(1).unwrap().parse::<usize>().unwrap() < 6;
    assert_eq!(themes.len(), 2, "{out}");
    let mut subjects = Vec::new();
    for t in themes {
        let m = members(t);
        let waiting = m.iter().filter(|id| subject(id)).count();
        let majority = waiting.max(m.len() - waiting);
        assert!(majority * 6 >= m.len() * 5, "one subject per theme: {out}");
        let is_waiting = waiting * 2 > m.len();
        subjects.push(is_waiting);
        for lang in ["en", "he", "el"] {
            assert!(
                m.iter()
                    .any(|id| id.starts_with(lang) && subject(id) == is_waiting),
                "{lang} in the theme: {out}"
            );
        }
    }
    assert_ne!(subjects[0], subjects[1], "waiting and billing apart: {out}");
    let w = subjects.iter().position(|s| *s).unwrap();
    let labels = themes[w]["labels"].as_object().unwrap();
    assert!(
        ["en", "he", "el"].iter().all(|l| labels.contains_key(*l)),
        "{out}"
    );
}
