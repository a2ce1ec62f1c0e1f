//! Checks every parsed transcript must pass, whatever format it came from.

use rapport_domain::conversation::{parse_json, Transcript, Turn};
use rapport_domain::values::is_bidi_control;


/// Canonical turns, sane times, and an exact round trip through the JSON import format.
pub fn check_transcript(t: &Transcript) {
    assert!(!t.turns().is_empty() && t.turns().len() <= Transcript::MAX_TURNS);
    assert!(!t.external_id().is_empty() && t.external_id() == t.external_id().trim());
    for turn in t.turns() {
        let text = turn.text();
        assert!(!text.is_empty());
        assert!(text.chars().count() <= Turn::MAX_CHARS);
        for line in text.split('\n') {
            assert!(!line.is_empty() && line == line.trim(), "{text:?}");
        }
        assert!(
            !text
                .chars()
                .any(|c| is_bidi_control(c) || c == '\u{FEFF}' || (c.is_control() && c != '\t' && c != '\n')),
            "{text:?}"
        );
        for s in [turn.start(), turn.end()].into_iter().flatten() {
            assert!(s.is_finite() && (0.0..=Turn::MAX_SECONDS).contains(&s), "{s}");
        }
        if let (Some(s), Some(e)) = (turn.start(), turn.end()) {
            assert!(e >= s);
        }
    }
    let json = serde_json::to_string(t).expect("a transcript serialises");
    match parse_json(&json) {
        Ok(again) => assert_eq!(&again, t, "JSON round trip changed the transcript: {json}"),
        Err(e) => panic!("a parsed transcript must re-parse: {e} in {json}"),
    }
}

/// Lines as the transcript parsers count them (CRLF, LF or a lone CR ends one).
// Each target compiles this module on its own; the JSON target has no lines to count.
#[allow(dead_code)]
pub fn lines(input: &str) -> usize {
    input.replace("\r\n", "\n").replace('\r', "\n").lines().count()
}
