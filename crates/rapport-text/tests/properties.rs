//! Property tests: the engine never panics and always returns well-formed output, and
//! redaction spans round-trip, for any Unicode input.

use proptest::prelude::*;
use rapport_text::{pii, Engine, Polarity};

fn check(text: &str) {
    let a = Engine::global().analyze(text, None);
    assert!((0.0..=1.0).contains(&a.language_confidence));
    if let Some(s) = &a.sentiment {
        assert!((-1.0..=1.0).contains(&s.score), "{s:?}");
        assert!((0.0..=1.0).contains(&s.confidence));
        let _ = matches!(
            s.label,
            Polarity::Negative | Polarity::Neutral | Polarity::Positive
        );
    } else {
        assert!(!["en", "he", "el"].contains(&a.language.as_str()));
    }
    assert_eq!(a.emotions.len(), 7);
    for e in a.emotions.iter().chain(&a.topics) {
        assert!((0.0..=1.0).contains(&e.score));
    }
    let n = text.chars().count();
    let mut last = 0;
    for s in &a.pii {
        assert!(s.start >= last && s.start < s.end && s.end <= n);
        last = s.end;
    }
    serde_json::to_string(&a).expect("serialises");
}

/// Rebuild the redacted text from char spans alone and compare.
fn round_trip(text: &str) {
    let spans = pii::detect(text, None);
    let chars: Vec<char> = text.chars().collect();
    let mut rebuilt = String::new();
    let mut pos = 0;
    for s in &spans {
        rebuilt.extend(&chars[pos..s.start]);
        rebuilt.push_str(s.kind.placeholder());
        pos = s.end;
    }
    rebuilt.extend(&chars[pos..]);
    assert_eq!(rebuilt, pii::redact(text, &spans));
}

const SPECIAL: &[&str] = &[
    "\u{202E}",
    "\u{202D}",
    "\u{200F}",
    "\u{200E}",
    "\u{2066}",
    "\u{2069}",
    "\u{FEFF}",
    "\u{05B7}",
    "\u{0301}",
    "👍🏽",
    "👨‍👩‍👧",
    "🇮🇱",
    "ς",
    "Ά",
    "שׁ",
    "+972 52-123-4567",
    "4111 1111 1111 1111",
    "a@b.io",
    "123456782",
    "GB82 WEST 1234 5698 7654 32",
    "090000045",
    "!!!",
    "???",
    "לא",
    "not",
    "δεν",
    "אבל",
    "but",
    "\n",
    "\t",
    "0",
];

fn mixed() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            any::<String>(),
            prop::sample::select(SPECIAL).prop_map(str::to_string),
            "[a-zA-Zא-תα-ωΑ-Ω0-9 .,@+-]{0,20}"
        ],
        0..12,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn never_panics(text in mixed()) {
        check(&text);
    }

    #[test]
    fn redaction_round_trips(text in mixed()) {
        round_trip(&text);
    }

    #[test]
    fn any_string(text in any::<String>()) {
        check(&text);
        round_trip(&text);
    }
}

#[test]
fn empty_and_huge_inputs() {
    check("");
    check(" ");
    let big: String =
        "השירות היה מעולה but the app crashed 😡 πολύ κακό \u{202E}abc 052-1234567 ".repeat(14_000);
    assert!(big.len() > 1_000_000);
    check(&big);
    round_trip(&big);
    check(&"a".repeat(1 << 20));
    check(&"\u{0301}".repeat(1 << 19));
}
