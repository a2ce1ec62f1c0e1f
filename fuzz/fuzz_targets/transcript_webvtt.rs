#![no_main]
//! WebVTT call transcripts (`<v Name>` voices, NOTE/STYLE/REGION blocks, cue timings).

use libfuzzer_sys::fuzz_target;
use rapport_domain::conversation::{parse_webvtt, ConversationError, Metadata, VoiceRule};
use rapport_domain::Channel;

mod common;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let mut meta = Metadata::new("fuzz-1", Channel::Phone);
    meta.agent = Some("Dana Cohen".into());
    let rules = [
        VoiceRule::Default,
        VoiceRule::AgentNames(vec!["Dana".into(), "נציגה".into()]),
    ];
    for rule in &rules {
        match parse_webvtt(&input, meta.clone(), rule) {
            Ok(t) => common::check_transcript(&t),
            Err(ConversationError::WebVtt { line, .. }) => {
                // The line to blame, or the one just after the end where something was expected.
                assert!(line >= 1 && line <= common::lines(&input) + 1, "line {line}");
            }
            Err(e) => panic!("WebVTT errors carry a line: {e:?}"),
        }
    }
});
