use super::*;
use proptest::prelude::*;

const CALL_EN_JSON: &str = include_str!("../../tests/data/call-en.json");
const CHAT_HE_TXT: &str = include_str!("../../tests/data/chat-he.txt");
const CHAT_EL_TXT: &str = include_str!("../../tests/data/chat-el.txt");
const CALL_EN_VTT: &str = include_str!("../../tests/data/call-en.vtt");
const CALL_HE_VTT: &str = include_str!("../../tests/data/call-he.vtt");
const CALL_EL_VTT: &str = include_str!("../../tests/data/call-el.vtt");

fn meta() -> Metadata {
    Metadata::new("conv-1", Channel::Chat)
}

fn speakers(t: &Transcript) -> Vec<Speaker> {
    t.turns().iter().map(Turn::speaker).collect()
}

fn json_path(r: Result<Transcript, ConversationError>) -> String {
    match r {
        Err(ConversationError::Json { path, .. }) => path,
        other => panic!("expected a JSON field error, got {other:?}"),
    }
}

fn text_line(r: Result<Transcript, ConversationError>) -> (usize, String) {
    match r {
        Err(ConversationError::Text { line, reason }) => (line, reason),
        other => panic!("expected a plain-text line error, got {other:?}"),
    }
}

fn vtt_line(r: Result<Transcript, ConversationError>) -> (usize, String) {
    match r {
        Err(ConversationError::WebVtt { line, reason }) => (line, reason),
        other => panic!("expected a WebVTT line error, got {other:?}"),
    }
}

use Speaker::{Agent, Customer};

// ----- JSON -----

#[test]
fn json_sample_parses_with_all_metadata() {
    let t = parse_json(CALL_EN_JSON).unwrap();
    assert_eq!(t.external_id(), "call-1001");
    assert_eq!(t.channel(), Channel::Phone);
    assert_eq!(t.agent(), Some("dana@example.com"));
    assert_eq!(t.customer(), Some("C-77"));
    assert_eq!(t.touchpoint(), Some(3));
    assert_eq!(
        t.started_at().unwrap().to_rfc3339(),
        "2024-05-01T09:30:00+00:00"
    );
    assert_eq!(t.language(), Some(Locale::En));
    assert_eq!(speakers(&t), [Agent, Customer, Agent, Customer]);
    assert_eq!(t.turns()[1].start(), Some(3.5));
    assert_eq!(t.turns()[3].end(), None);
}

#[test]
fn json_hebrew_and_greek_minimal_with_nulls() {
    let he = r#"{"id": 42, "channel": "chat", "agent": null, "customer": "",
        "language": "he-IL",
        "turns": [{"speaker": "customer", "text": "\u200fשלום, ההזמנה לא הגיעה"},
                  {"speaker": "agent", "text": "אני בודקת מיד"}]}"#;
    let t = parse_json(he).unwrap();
    assert_eq!(t.external_id(), "42");
    assert_eq!(t.agent(), None);
    assert_eq!(t.customer(), None);
    assert_eq!(t.language(), Some(Locale::He));
    // The RLM is neutralised, not kept and not an error.
    assert_eq!(t.turns()[0].text(), "שלום, ההזמנה לא הגיעה");

    let el = r#"{"id": "e-1", "channel": "email", "language": "el",
        "turns": [{"speaker": "Customer", "text": "Καλημέρα,\n\n  η παραγγελία άργησε.  "}]}"#;
    let t = parse_json(el).unwrap();
    assert_eq!(t.turns()[0].text(), "Καλημέρα,\nη παραγγελία άργησε.");
}

#[test]
fn json_errors_name_the_field_path() {
    let bad_speaker = r#"{"id": "x", "channel": "chat", "turns": [
        {"speaker": "agent", "text": "hi"}, {"speaker": "bot", "text": "beep"}]}"#;
    assert_eq!(json_path(parse_json(bad_speaker)), "turns[1].speaker");

    let missing_speaker = r#"{"id": "x", "channel": "chat", "turns": [
        {"speaker": "agent", "text": "hi"}, {"text": "beep"}]}"#;
    assert_eq!(json_path(parse_json(missing_speaker)), "turns[1].speaker");

    let cases = [
        (r#"{"channel": "chat", "turns": []}"#, "id"),
        (
            r#"{"id": "x", "channel": "pigeon", "turns": []}"#,
            "channel",
        ),
        (r#"{"id": "x", "channel": "chat", "turns": []}"#, "turns"),
        (r#"{"id": "x", "channel": "chat", "turns": {}}"#, "turns"),
        (
            r#"{"id": "x", "channel": "chat", "extra": 1, "turns": []}"#,
            "extra",
        ),
        (
            r#"{"id": "x", "channel": "chat", "touchpoint": -1, "turns": []}"#,
            "touchpoint",
        ),
        (
            r#"{"id": "x", "channel": "chat", "started_at": "yesterday", "turns": []}"#,
            "started_at",
        ),
        (
            r#"{"id": "x", "channel": "chat", "language": "fr", "turns": []}"#,
            "language",
        ),
        (r#"{"id": "x\u202e", "channel": "chat", "turns": []}"#, "id"),
        (
            r#"{"id": "x", "channel": "chat", "turns": [{"speaker": "agent", "text": "  "}]}"#,
            "turns[0].text",
        ),
        (
            r#"{"id": "x", "channel": "chat", "turns": [{"speaker": "agent", "text": "a\u0000b"}]}"#,
            "turns[0].text",
        ),
        (
            r#"{"id": "x", "channel": "chat", "turns": [{"speaker": "agent", "text": "a", "spaeker": 1}]}"#,
            "turns[0].spaeker",
        ),
        (
            r#"{"id": "x", "channel": "chat", "turns": [{"speaker": "agent", "text": "a", "start": 5, "end": 4}]}"#,
            "turns[0].end",
        ),
        (
            r#"{"id": "x", "channel": "chat", "turns": [{"speaker": "agent", "text": "a", "start": -1}]}"#,
            "turns[0].start",
        ),
        (
            r#"{"id": "x", "channel": "chat", "turns": [{"speaker": "agent", "text": "a", "start": "1s"}]}"#,
            "turns[0].start",
        ),
        (
            r#"{"id": "x", "channel": "chat", "turns": [
            {"speaker": "agent", "text": "a", "start": 5},
            {"speaker": "customer", "text": "b", "start": 1},
            {"speaker": "agent", "text": "c", "start": 4}]}"#,
            "turns[2].start",
        ),
        (r#"[1, 2]"#, "$"),
    ];
    for (input, path) in cases {
        assert_eq!(json_path(parse_json(input)), path, "{input}");
    }
}

#[test]
fn json_syntax_errors_give_line_and_column() {
    let e = parse_json("{\n  \"id\": \"x\",\n  oops\n}").unwrap_err();
    match &e {
        ConversationError::JsonSyntax { line, .. } => assert_eq!(*line, 3),
        other => panic!("{other:?}"),
    }
    let d: DomainError = e.into();
    assert!(d.field.starts_with("line 3"), "{d}");
}

#[test]
fn json_limits_turn_count_and_text_length() {
    let turn = r#"{"speaker": "agent", "text": "a"}"#;
    let many = vec![turn; Transcript::MAX_TURNS + 1].join(",");
    let input = format!(r#"{{"id": "x", "channel": "chat", "turns": [{many}]}}"#);
    assert_eq!(json_path(parse_json(&input)), "turns");

    let long = "x".repeat(Turn::MAX_CHARS + 1);
    let input = format!(
        r#"{{"id": "x", "channel": "chat", "turns": [{{"speaker": "agent", "text": "{long}"}}]}}"#
    );
    assert_eq!(json_path(parse_json(&input)), "turns[0].text");
}

#[test]
fn transcript_serialises_to_the_import_format_and_back() {
    let t = parse_json(CALL_EN_JSON).unwrap();
    let again = from_json_value(&t.to_json()).unwrap();
    assert_eq!(again, t);
}

#[test]
fn transcript_new_checks_metadata_and_sequence() {
    let turn = |s, t| Turn::new(s, "hi", Some(t), None).unwrap();
    let e = Transcript::new(meta(), vec![turn(Agent, 5.0), turn(Agent, 1.0)]).unwrap_err();
    assert_eq!(e.field, "turns[1].start");
    let e = Transcript::new(Metadata::new(" ", Channel::Chat), vec![turn(Agent, 0.0)]).unwrap_err();
    assert_eq!(e.field, "id");
    assert_eq!(Transcript::new(meta(), vec![]).unwrap_err().field, "turns");
    assert_eq!(
        Turn::new(Agent, "\u{202E}", None, None).unwrap_err().field,
        "text"
    );
    assert!(Transcript::new(meta(), vec![turn(Agent, 5.0), turn(Customer, 1.0)]).is_ok());
}

// ----- Plain text -----

#[test]
fn text_english_with_timestamps_and_continuations() {
    let input = "\u{FEFF}[00:00:01] Agent: Hello, this is Dana.\n\
                 \n\
                 [00:01:05.250] CUSTOMER :  My order is late.\n\
                 It was due on Monday.\n\
                 \t  agent:I will check right now.\n";
    let t = parse_text(input, meta()).unwrap();
    assert_eq!(speakers(&t), [Agent, Customer, Agent]);
    assert_eq!(t.turns()[0].start(), Some(1.0));
    assert_eq!(t.turns()[1].start(), Some(65.25));
    assert_eq!(
        t.turns()[1].text(),
        "My order is late.\nIt was due on Monday."
    );
    assert_eq!(t.turns()[2].text(), "I will check right now.");
    assert_eq!(t.turns()[2].start(), None);
}

#[test]
fn text_hebrew_sample_with_rtl_marks() {
    let mut m = meta();
    m.language = Some(Locale::He);
    let t = parse_text(CHAT_HE_TXT, m).unwrap();
    assert_eq!(speakers(&t), [Agent, Customer, Agent, Customer]);
    assert_eq!(
        t.turns()[1].text(),
        "החבילה הגיעה שבורה.\nזו כבר הפעם השנייה החודש."
    );
    assert_eq!(t.turns()[2].start(), Some(20.0));
    assert!(t.turns()[2].text().ends_with("עוד היום."));
    // An RLM before the label and the masculine/feminine forms are all accepted.
    let t = parse_text("\u{200F}נציג: שלום\n\u{200F}לקוחה\u{200F}: היי", meta()).unwrap();
    assert_eq!(speakers(&t), [Agent, Customer]);
    assert_eq!(t.turns()[1].text(), "היי");
}

#[test]
fn text_greek_sample_case_and_accent_insensitive() {
    let t = parse_text(CHAT_EL_TXT, meta()).unwrap();
    assert_eq!(speakers(&t), [Agent, Customer, Agent, Customer]);
    assert_eq!(
        t.turns()[1].text(),
        "Η παραγγελία μου ήρθε σπασμένη.\nΔεύτερη φορά αυτόν τον μήνα."
    );
    let t = parse_text("ΕΚΠΡΟΣΩΠΟΣ: Γεια\nπελάτης: Γεια σας", meta()).unwrap();
    assert_eq!(speakers(&t), [Agent, Customer]);
}

#[test]
fn text_errors_report_the_line_and_what_was_expected() {
    let (line, reason) = text_line(parse_text("\nHello there\nAgent: hi", meta()));
    assert_eq!(line, 2);
    assert!(reason.contains("speaker prefix"), "{reason}");

    let (line, reason) = text_line(parse_text("Agent: hi\n[00:00:05] Supervisor: hmm", meta()));
    assert_eq!(line, 2);
    assert!(reason.contains("after the timestamp"), "{reason}");

    let (line, reason) = text_line(parse_text("Agent: hi\n\n[00:75:00] Customer: x", meta()));
    assert_eq!(line, 3);
    assert!(reason.contains("timestamp"), "{reason}");

    let (line, reason) = text_line(parse_text("Agent: hi\nCustomer:\n", meta()));
    assert_eq!(line, 2);
    assert!(reason.contains("turn text must not be empty"), "{reason}");

    let (line, reason) = text_line(parse_text(
        "[00:00:09] Agent: a\nלקוח: b\n[00:00:03] נציג: c",
        meta(),
    ));
    assert_eq!(line, 3);
    assert!(reason.contains("start time"), "{reason}");

    let (line, _) = text_line(parse_text("\n\n  \n", meta()));
    assert_eq!(line, 3);

    let e = parse_text("Agent: hi", Metadata::new("", Channel::Chat)).unwrap_err();
    assert_eq!(e.location(), "id");
}

#[test]
fn text_samples_round_trip_through_render() {
    for (input, lang) in [(CHAT_HE_TXT, Locale::He), (CHAT_EL_TXT, Locale::El)] {
        let t = parse_text(input, meta()).unwrap();
        let again = parse_text(&render_text(&t), meta()).unwrap();
        assert_eq!(again.turns(), t.turns(), "{lang}");
    }
    let t = parse_json(CALL_EN_JSON).unwrap();
    let rendered = render_text(&t);
    assert!(
        rendered.starts_with("[00:00:00] Agent: Thanks"),
        "{rendered}"
    );
    assert!(
        rendered.contains("[00:00:03.500] Customer: My order"),
        "{rendered}"
    );
    let again = parse_text(&rendered, meta()).unwrap();
    assert_eq!(speakers(&again), speakers(&t));
    assert_eq!(again.turns()[1].start(), Some(3.5));
}

#[test]
fn text_lines_in_brackets_that_are_not_times_are_text() {
    let t = parse_text("Customer: well\n[laughs] fine", meta()).unwrap();
    assert_eq!(t.turns()[0].text(), "well\n[laughs] fine");
}

#[test]
fn text_too_many_turns_is_reported_at_the_first_extra_line() {
    let input = "Agent: a\n".repeat(Transcript::MAX_TURNS + 1);
    let (line, _) = text_line(parse_text(&input, meta()));
    assert_eq!(line, Transcript::MAX_TURNS + 1);
}

// ----- WebVTT -----

#[test]
fn vtt_english_sample_merges_cues_and_skips_blocks() {
    let mut m = meta();
    m.agent = Some("dana@example.com".into());
    let t = parse_webvtt(CALL_EN_VTT, m, &VoiceRule::Default).unwrap();
    assert_eq!(speakers(&t), [Agent, Customer, Agent]);
    let first = &t.turns()[0];
    assert_eq!(
        first.text(),
        "Thanks for calling, this is Dana.\nHow can I help?"
    );
    assert_eq!((first.start(), first.end()), (Some(0.0), Some(4.0)));
    assert_eq!(t.turns()[1].text(), "My order arrived broken & late.");
    assert_eq!(
        (t.turns()[2].start(), t.turns()[2].end()),
        (Some(8.1), Some(13.0))
    );
}

#[test]
fn vtt_hebrew_and_greek_samples_use_the_default_rule() {
    let t = parse_webvtt(CALL_HE_VTT, meta(), &VoiceRule::Default).unwrap();
    assert_eq!(speakers(&t), [Agent, Customer]);
    assert_eq!(
        t.turns()[1].text(),
        "החשבונית שלי שגויה.\nכבר התקשרתי פעמיים."
    );
    assert_eq!(
        (t.turns()[1].start(), t.turns()[1].end()),
        (Some(4.5), Some(11.0))
    );

    let t = parse_webvtt(CALL_EL_VTT, meta(), &VoiceRule::Default).unwrap();
    assert_eq!(speakers(&t), [Agent, Customer]);
    assert_eq!(t.turns()[1].text(), "Ο λογαριασμός μου είναι λάθος.");
}

#[test]
fn vtt_voice_rules() {
    let input =
        "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Dana>Hi\n\n00:02.500 --> 00:03.000\n<v Sam>Hello";
    let mut m = meta();
    m.agent = Some("DANA".into());
    let t = parse_webvtt(input, m, &VoiceRule::Default).unwrap();
    assert_eq!(speakers(&t), [Agent, Customer]);

    let t = parse_webvtt(input, meta(), &VoiceRule::Default).unwrap();
    assert_eq!(
        speakers(&t),
        [Customer],
        "without an agent match both are customers"
    );
    assert_eq!(t.turns()[0].text(), "Hi\nHello");

    let rule = VoiceRule::AgentNames(vec!["sam".into()]);
    let t = parse_webvtt(input, meta(), &rule).unwrap();
    assert_eq!(speakers(&t), [Customer, Agent]);

    let rule = VoiceRule::Custom(Box::new(|name| {
        if name.starts_with('D') {
            Agent
        } else {
            Customer
        }
    }));
    let t = parse_webvtt(input, meta(), &rule).unwrap();
    assert_eq!(speakers(&t), [Agent, Customer]);
}

#[test]
fn vtt_cues_without_voice_tags_may_use_labels() {
    let input =
        "WEBVTT\n\n00:00.000 --> 00:01.000\nנציגה: שלום\n\n00:01.000 --> 00:02.000\nΠελάτης: Γεια";
    let t = parse_webvtt(input, meta(), &VoiceRule::Default).unwrap();
    assert_eq!(speakers(&t), [Agent, Customer]);
    assert_eq!(t.turns()[0].text(), "שלום");
}

#[test]
fn vtt_errors_report_the_line_and_what_was_expected() {
    let (line, reason) = vtt_line(parse_webvtt("WEBVT\n", meta(), &VoiceRule::Default));
    assert_eq!(line, 1);
    assert!(reason.contains("WEBVTT"));

    let cases: [(&str, usize, &str); 7] = [
        (
            "WEBVTT\n\n00:00.000 --> 00:01.000\n<v A>hi\n\nintro\nnot a timing line\n",
            7,
            "timing line",
        ),
        ("WEBVTT\n\ncue-1\n", 4, "timing line"),
        (
            "WEBVTT\n\n00:00.000 --> 00:01.000\n<v A>hi\n\n00:99.000 --> 01:00.000\n<v A>x\n",
            6,
            "start time",
        ),
        ("WEBVTT\n\n00:00.000 --> 00:01\n<v A>hi\n", 3, "end time"),
        (
            "WEBVTT\n\n00:05.000 --> 00:01.000\n<v A>hi\n",
            3,
            "before its start",
        ),
        (
            "WEBVTT\n\nNOTE x\n\n00:00.000 --> 00:01.000\njust words\n",
            6,
            "voice tag",
        ),
        (
            "WEBVTT\n\n00:00.000 --> 00:01.000\n<v >hi\n",
            4,
            "speaker name",
        ),
    ];
    for (input, want_line, want) in cases {
        let (line, reason) = vtt_line(parse_webvtt(input, meta(), &VoiceRule::Default));
        assert_eq!(line, want_line, "{input:?}: {reason}");
        assert!(reason.contains(want), "{input:?}: {reason}");
    }

    let (line, reason) = vtt_line(parse_webvtt(
        "WEBVTT\n\nNOTE only\n",
        meta(),
        &VoiceRule::Default,
    ));
    assert_eq!(line, 3);
    assert!(reason.contains("at least one cue"));

    // Same speaker going back in time: blamed on the second turn's timing line.
    let input = "WEBVTT\n\n00:10.000 --> 00:11.000\n<v Agent A>a\n\n00:12.000 --> 00:13.000\n<v B>b\n\n00:05.000 --> 00:06.000\n<v Agent A>c\n";
    let (line, reason) = vtt_line(parse_webvtt(input, meta(), &VoiceRule::Default));
    assert_eq!(line, 9, "{reason}");
}

#[test]
fn clock_parsing() {
    assert_eq!(parse_clock("01:02:03.004", true), Some(3_723_004));
    assert_eq!(parse_clock("02:03.5", false), Some(123_500));
    assert_eq!(parse_clock("02:03", true), None);
    assert_eq!(parse_clock("1:2:3", false), None);
    assert_eq!(parse_clock("00:60:00", false), None);
    assert_eq!(format_clock(3723.004), "01:02:03.004");
    assert_eq!(format_clock(5.0), "00:00:05");
}

// ----- Properties -----

/// Text that mixes everything awkward: RTL and bidi controls, emoji, Hebrew, Greek, labels, times.
fn nasty_text() -> impl Strategy<Value = String> {
    nasty_text_of(0..40)
}

fn nasty_text_of(pieces: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<char>().prop_map(String::from),
        "\\PC{0,12}",
        Just("\u{200F}".to_string()),
        Just("\u{202E}".to_string()),
        Just("\u{2067}".to_string()),
        Just("😀👩🏽‍💻".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("Agent:".to_string()),
        Just("לקוחה:".to_string()),
        Just("Πελάτης:".to_string()),
        Just("[00:01:02]".to_string()),
        Just("[99:99".to_string()),
        Just("WEBVTT\n".to_string()),
        Just("00:00.000 --> 00:01.000\n".to_string()),
        Just("<v נציג".to_string()),
        Just(">".to_string()),
        Just("NOTE".to_string()),
        Just("\"turns\": [".to_string()),
        Just("{".to_string()),
    ];
    proptest::collection::vec(piece, pieces).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_parser_panics_on_any_input(s in nasty_text()) {
        let _ = parse_json(&s);
        let _ = parse_text(&s, meta());
        let _ = parse_webvtt(&s, meta(), &VoiceRule::Default);
        let _ = parse_webvtt(&format!("WEBVTT\n\n{s}"), meta(), &VoiceRule::Default);
        let _ = parse_webvtt(&format!("WEBVTT\n\n00:00.000 --> 00:01.000\n{s}"), meta(), &VoiceRule::Default);
    }

    #[test]
    fn no_parser_panics_on_arbitrary_strings(s in any::<String>()) {
        let _ = parse_json(&s);
        let _ = parse_text(&s, meta());
        let _ = parse_webvtt(&s, meta(), &VoiceRule::Default);
    }

    #[test]
    fn no_panic_on_very_long_lines(c in any::<char>(), n in 1usize..100_000) {
        let line: String = std::iter::repeat_n(c, n).collect();
        let _ = parse_text(&format!("Agent: {line}"), meta());
        let _ = parse_webvtt(&format!("WEBVTT\n\n00:00.000 --> 00:01.000\n<v a>{line}"), meta(), &VoiceRule::Default);
        let _ = parse_json(&format!(r#"{{"id":"x","channel":"chat","turns":[{{"speaker":"agent","text":"{line}"}}]}}"#));
    }

    #[test]
    fn parsed_turn_text_never_carries_bidi_controls(s in nasty_text()) {
        for t in [parse_text(&s, meta()), parse_webvtt(&format!("WEBVTT\n\n00:00.000 --> 00:01.000\n<v a>{s}"), meta(), &VoiceRule::Default)]
            .into_iter()
            .flatten()
        {
            for turn in t.turns() {
                prop_assert!(!turn.text().chars().any(is_bidi_control));
                prop_assert!(!turn.text().trim().is_empty());
            }
        }
    }

    #[test]
    fn plain_text_round_trip(
        raw in proptest::collection::vec((any::<bool>(), nasty_text_of(0..12), proptest::option::of(0u64..10_000_000)), 1..12)
    ) {
        let mut clock = 0u64;
        let mut turns = Vec::new();
        for (is_agent, text, delta) in raw {
            let speaker = if is_agent { Agent } else { Customer };
            let start = delta.map(|d| { clock += d; clock as f64 / 1000.0 });
            // Plain text has no escape: a continuation line that reads as a label or a time
            // would start a new turn, so such texts cannot round-trip by design.
            if let Ok(turn) = Turn::new(speaker, &text, start, None) {
                if turn.text().lines().skip(1).all(|l| !starts_text_turn(l)) {
                    turns.push(turn);
                }
            }
        }
        prop_assume!(!turns.is_empty());
        let transcript = Transcript::new(meta(), turns).unwrap();
        let rendered = render_text(&transcript);
        let parsed = parse_text(&rendered, meta());
        prop_assert_eq!(parsed.as_ref().map(Transcript::turns), Ok(transcript.turns()), "{}", rendered);
    }

    #[test]
    fn json_round_trip(
        raw in proptest::collection::vec((any::<bool>(), nasty_text_of(0..12), proptest::option::of(0u64..10_000_000)), 1..12)
    ) {
        let mut clock = 0u64;
        let turns: Vec<Turn> = raw
            .into_iter()
            .filter_map(|(a, text, d)| {
                let start = d.map(|d| { clock += d; clock as f64 / 1000.0 });
                Turn::new(if a { Agent } else { Customer }, &text, start, start.map(|s| s + 0.5)).ok()
            })
            .collect();
        prop_assume!(!turns.is_empty());
        let transcript = Transcript::new(meta(), turns).unwrap();
        let json = serde_json::to_string(&transcript).unwrap();
        prop_assert_eq!(parse_json(&json), Ok(transcript));
    }
}

// Found by `cargo fuzz` (transcript_text): a lone CR split the turn text but not the line, so the
// `Customer:` after it became part of the agent's turn.
#[test]
fn text_lone_carriage_returns_end_lines() {
    let t = parse_text("Agent: hello\rCustomer: we\r\rmore\r\n", meta()).unwrap();
    assert_eq!(speakers(&t), vec![Agent, Customer]);
    assert_eq!(t.turns()[1].text(), "we\nmore");
    let again = parse_text(&render_text(&t), meta()).unwrap();
    assert_eq!(again.turns(), t.turns());
    assert_eq!(
        text_line(parse_text(
            "Agent: a\r\rnope: [1:99] x\r[1:99] Agent: b",
            meta()
        ))
        .0,
        4
    );
    assert_eq!(split_lines("a\r\nb\rc\n\nd\n"), ["a", "b", "c", "", "d"]);
    assert!(split_lines("").is_empty());
}

// Found by `cargo fuzz` (transcript_text); WebVTT also ends lines at a lone CR.
#[test]
fn vtt_lone_carriage_returns_end_lines() {
    let t = parse_webvtt(
        "WEBVTT\r\r00:01.000 --> 00:02.000\r<v Agent Dana>hi\r<v Sam>yo\r",
        meta(),
        &VoiceRule::Default,
    )
    .unwrap();
    assert_eq!(speakers(&t), vec![Agent, Customer]);
}
