#![no_main]
//! `rapport import responses`: a survey export CSV (BOM, CRLF, quotes, short rows, bad UTF-8).

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use rapport_domain::import::{ImportError, ResponsesCsv};
use rapport_domain::survey::{default_definition, SurveyDefinition};

fn definition() -> &'static SurveyDefinition {
    static DEF: OnceLock<SurveyDefinition> = OnceLock::new();
    DEF.get_or_init(default_definition)
}

fuzz_target!(|data: &[u8]| {
    let now: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
    // A few mappings, as `--map` gives them, chosen by the first byte.
    let maps: &[&[&str]] = &[
        &[],
        &["Q1=nps", "Q2=why_low", "ResponseId=response_id", "RecordedDate=submitted_at"],
        &["score=nps", "lang=locale"],
    ];
    let (map, body) = match data.split_first() {
        Some((b, rest)) => (maps[*b as usize % maps.len()], rest),
        None => (maps[0], data),
    };
    let map: Vec<String> = map.iter().map(|s| s.to_string()).collect();
    let mut rows = match ResponsesCsv::new(body, &map, definition(), now) {
        Ok(r) => r,
        Err(ImportError::Plan(msg)) => {
            assert!(!msg.is_empty());
            return;
        }
        Err(ImportError::Header(_) | ImportError::Io(_)) => return,
    };
    let headers: Vec<String> = rows.headers().iter().map(|h| h.trim().to_string()).collect();
    let mut expected_row = 1u64;
    while let Some((row, parsed)) = rows.next_row() {
        expected_row += 1;
        // Rows are numbered as in a spreadsheet, one by one, whatever happens to each.
        assert_eq!(row, expected_row);
        match parsed {
            Ok(r) => {
                assert!(!r.external_id.is_empty());
                assert!(!r.answers.answers.is_empty());
                assert!(r.answers.nps.is_none_or(|n| (0..=10).contains(&n)));
                assert!(r.submitted_at.is_none_or(|t| t <= now));
                for (i, _) in r.customer.iter().chain(r.agent.iter()) {
                    assert!(*i < headers.len());
                }
            }
            Err(e) => {
                // Every rejection names its row, and a column of the header or none at all.
                assert_eq!(e.row, row);
                assert!(!e.reason.is_empty());
                assert!(
                    e.column.is_empty() || headers.contains(&e.column),
                    "column {:?} not in {headers:?}",
                    e.column
                );
            }
        }
        if row > 100_000 {
            break;
        }
    }
});
