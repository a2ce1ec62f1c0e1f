#![no_main]
//! Survey submission payloads (`POST /api/v1/surveys/{id}/responses`): `answers` parsed against a
//! survey definition.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rapport_domain::survey::{default_definition, Answer, QuestionKind, RawAnswer, SurveyDefinition};
use rapport_domain::Locale;

/// The default survey, and one with every other question kind and a choice condition.
fn definitions() -> &'static [SurveyDefinition; 2] {
    static DEFS: OnceLock<[SurveyDefinition; 2]> = OnceLock::new();
    DEFS.get_or_init(|| {
        let every_kind: SurveyDefinition = serde_json::from_str(include_str!("every_kind.json"))
            .expect("every_kind.json is a survey definition");
        every_kind.validate().expect("every_kind.json is valid");
        [default_definition(), every_kind]
    })
}

/// The raw form of a parsed answer, as a client would send it back.
fn raw(a: &Answer) -> RawAnswer {
    match a {
        Answer::Number(n) => RawAnswer::Number(f64::from(*n)),
        Answer::Choice(k) => RawAnswer::Text(k.clone()),
        Answer::Choices(ks) => RawAnswer::List(ks.clone()),
        Answer::Text(t) => RawAnswer::Text(t.clone()),
        Answer::Pair { expectation, experience } => RawAnswer::Pair {
            expectation: f64::from(*expectation),
            experience: f64::from(*experience),
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Some(serde_json::Value::String(l)) = body.get("locale") {
        let _ = Locale::parse("locale", l);
    }
    let Some(answers) = body.get("answers") else {
        return;
    };
    let Ok(answers) = serde_json::from_value::<BTreeMap<String, RawAnswer>>(answers.clone()) else {
        return;
    };
    for def in definitions() {
        let Ok(parsed) = def.parse_answers(&answers) else {
            continue;
        };
        assert!(!parsed.answers.is_empty());
        for (key, a) in &parsed.answers {
            let q = def.question(key).expect("answers only name questions");
            match (&q.kind, a) {
                (QuestionKind::Nps | QuestionKind::Csat | QuestionKind::Ces | QuestionKind::Rating { .. }, Answer::Number(n)) => {
                    let (lo, hi) = q.kind.scale().unwrap();
                    assert!((lo..=hi).contains(n), "{key}: {n}");
                }
                (QuestionKind::ExpectationPair { .. }, Answer::Pair { expectation, experience }) => {
                    assert!((1..=7).contains(expectation) && (1..=7).contains(experience));
                }
                (QuestionKind::SingleChoice { .. }, Answer::Choice(_))
                | (QuestionKind::MultipleChoice { .. }, Answer::Choices(_))
                | (QuestionKind::FreeText, Answer::Text(_)) => {}
                (kind, a) => panic!("{key}: {a:?} does not fit {kind:?}"),
            }
        }
        // The parsed answers, sent again, parse to themselves.
        let again: BTreeMap<String, RawAnswer> =
            parsed.answers.iter().map(|(k, a)| (k.clone(), raw(a))).collect();
        assert_eq!(def.parse_answers(&again).as_ref(), Ok(&parsed));
    }
});
