#![no_main]
//! `POST /api/v1/conversations` bodies and `rapport import conversations` JSON Lines.

use libfuzzer_sys::fuzz_target;
use rapport_domain::conversation::parse_json;

mod common;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    if let Ok(t) = parse_json(&input) {
        common::check_transcript(&t);
    }
});
