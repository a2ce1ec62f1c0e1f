//! Properties on the real model (skipped when it is not installed): no panic on any Unicode,
//! and batch results independent of the number of threads.

mod common;

use proptest::prelude::*;
use rapport_embed::{Prefix, DIM};

/// Text that stresses normalisation and segmentation: any scalar values, plus Hebrew with
/// niqqud, Greek, bidi controls, zero-width characters and emoji.
fn unicode_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "שָׁלוֹם",
        "ה",
        "Καλημέρα",
        "ς",
        "\u{200f}",
        "\u{202e}",
        "\u{2066}",
        "\u{200d}",
        "👩‍👩‍👧",
        " ",
        "\t",
        "\n",
        "a",
        "\u{0}",
        "\u{feff}",
        "\u{fffd}",
        "▁",
        "<s>",
        "<unk>",
    ]);
    let part = prop_oneof![any::<String>(), pieces.prop_map(str::to_string)];
    prop::collection::vec(part, 0..8).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn tokenizer_accepts_any_unicode(text in unicode_text()) {
        let Some(enc) = common::encoder() else { return Ok(()) };
        let ids = enc.tokenize(&text, Prefix::Query);
        prop_assert!(ids.len() >= 3);
        prop_assert_eq!((ids[0], ids[ids.len() - 1]), (0, 2));
        prop_assert!(ids.iter().all(|&id| id < 250_002));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn embedding_accepts_any_unicode(text in unicode_text()) {
        let Some(enc) = common::encoder() else { return Ok(()) };
        let v = enc.embed(&text, Prefix::Passage);
        prop_assert_eq!(v.len(), DIM);
        let norm: f32 = v.iter().map(|x| x * x).sum();
        prop_assert!((norm - 1.0).abs() < 1e-4);
    }
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let Some(enc) = common::encoder() else { return };
    let long = "Η παράδοση καθυστέρησε αλλά η εξυπηρέτηση ήταν καλή. ".repeat(60);
    let mut texts = vec!["", "hello", "השירות היה מעולה", long.as_str(), "😡"];
    texts.extend(
        [
            "Thanks for the quick refund!",
            "Το κινητό έσπασε",
            "לא קיבלתי תשובה",
        ]
        .repeat(8),
    );
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| enc.embed_batch(&texts, Prefix::Passage))
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
    for (t, v) in texts.iter().zip(&one).take(5) {
        assert_eq!(v, &enc.embed(t, Prefix::Passage), "{t:?}");
    }
}
