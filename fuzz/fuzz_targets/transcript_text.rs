#![no_main]
//! Plain-text transcripts (`Agent:` / `Customer:` lines, Hebrew and Greek labels, `[hh:mm:ss]`).

use libfuzzer_sys::fuzz_target;
use rapport_domain::conversation::{parse_text, render_text, ConversationError, Metadata};
use rapport_domain::Channel;

mod common;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let meta = || Metadata::new("fuzz-1", Channel::Chat);
    match parse_text(&input, meta()) {
        Ok(t) => {
            common::check_transcript(&t);
            // What the parser produced renders back to text that parses to the same turns.
            let rendered = render_text(&t);
            match parse_text(&rendered, meta()) {
                Ok(again) => assert_eq!(again.turns(), t.turns(), "render round trip: {rendered:?}"),
                Err(e) => panic!("rendered text must re-parse: {e} in {rendered:?}"),
            }
        }
        Err(ConversationError::Text { line, .. }) => {
            // The line to blame, or the one just after the end where something was expected.
                assert!(line >= 1 && line <= common::lines(&input) + 1, "line {line}");
        }
        Err(e) => panic!("plain text errors carry a line: {e:?}"),
    }
});
