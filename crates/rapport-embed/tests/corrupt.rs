//! Loading never panics: truncated or corrupted model images are errors. Uses a small
//! synthetic model (one layer, nine pieces) written here, so no model download is needed.

use proptest::prelude::*;
use rapport_embed::{EmbedError, Encoder, Prefix, DIM};

const FFN: usize = 1536;
const MAX_POS: usize = 16;
const VOCAB_ROWS: usize = 16;
const PIECES: [(&str, f32); 9] = [
    ("<s>", 0.0),
    ("<pad>", 0.0),
    ("</s>", 0.0),
    ("<unk>", 0.0),
    ("▁", -2.0),
    ("a", -3.0),
    ("b", -3.0),
    ("▁a", -2.5),
    ("▁ab", -4.0),
];

enum Data {
    F32(Vec<f32>),
    Q4 { rows: usize, cols: usize },
}

/// A syntactically valid `E5S1` image with deterministic pseudo-random weights.
/// Returns the bytes and where the tensor data begins.
fn synthetic_model() -> (Vec<u8>, usize) {
    let mut b = Vec::new();
    b.extend(b"E5S1");
    b.extend(1u32.to_le_bytes());
    for v in [DIM, 1, 12, FFN, VOCAB_ROWS, MAX_POS, 2] {
        b.extend((v as i32).to_le_bytes());
    }
    b.extend(1e-12f32.to_le_bytes());
    b.extend(32i32.to_le_bytes());

    b.extend((PIECES.len() as i32).to_le_bytes());
    for special in [0i32, 2, 1, 3] {
        b.extend(special.to_le_bytes());
    }
    let blob: Vec<u8> = PIECES.iter().flat_map(|(p, _)| p.bytes()).collect();
    b.extend((blob.len() as u64).to_le_bytes());
    let mut off = 0u32;
    b.extend(off.to_le_bytes());
    for (p, _) in PIECES {
        off += p.len() as u32;
        b.extend(off.to_le_bytes());
    }
    for (_, s) in PIECES {
        b.extend(s.to_le_bytes());
    }
    b.extend(&blob);
    // Normaliser: tab → space, U+200B → nothing.
    let table: Vec<u8> = [(9u32, vec![32u32]), (0x200b, vec![])]
        .iter()
        .flat_map(|(cp, to)| {
            let mut e = cp.to_le_bytes().to_vec();
            e.push(to.len() as u8);
            e.extend(to.iter().flat_map(|c| c.to_le_bytes()));
            e
        })
        .collect();
    b.extend(2i32.to_le_bytes());
    b.extend((table.len() as u32).to_le_bytes());
    b.extend(&table);

    let ones = |n| Data::F32(vec![1.0; n]);
    let small = |n: usize| Data::F32((0..n).map(|i| ((i % 7) as f32 - 3.0) * 0.01).collect());
    let mut tensors = vec![
        (
            "emb.word".to_string(),
            Data::Q4 {
                rows: VOCAB_ROWS,
                cols: DIM,
            },
        ),
        ("emb.pos".into(), small(MAX_POS * DIM)),
        ("emb.type".into(), small(2 * DIM)),
        ("emb.ln.w".into(), ones(DIM)),
        ("emb.ln.b".into(), small(DIM)),
    ];
    for p in ["q", "k", "v", "ao"] {
        tensors.push((
            format!("l0.{p}.w"),
            Data::Q4 {
                rows: DIM,
                cols: DIM,
            },
        ));
        tensors.push((format!("l0.{p}.b"), small(DIM)));
    }
    for p in ["aln", "oln"] {
        tensors.push((format!("l0.{p}.w"), ones(DIM)));
        tensors.push((format!("l0.{p}.b"), small(DIM)));
    }
    tensors.push((
        "l0.fi.w".into(),
        Data::Q4 {
            rows: FFN,
            cols: DIM,
        },
    ));
    tensors.push(("l0.fi.b".into(), small(FFN)));
    tensors.push((
        "l0.fo.w".into(),
        Data::Q4 {
            rows: DIM,
            cols: FFN,
        },
    ));
    tensors.push(("l0.fo.b".into(), small(DIM)));

    let mut seed = 1u32;
    let payloads: Vec<(u8, usize, Vec<u8>)> = tensors
        .iter()
        .map(|(_, d)| match d {
            Data::F32(v) => (0, v.len(), v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            Data::Q4 { rows, cols } => {
                let mut q = Vec::new();
                for _ in 0..rows * cols / 32 {
                    q.extend(0x2000u16.to_le_bytes()); // scale 2^-7
                    for _ in 0..16 {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        q.push((seed >> 16) as u8);
                    }
                }
                (1, rows * cols, q)
            }
        })
        .collect();
    let dir_len: usize = 4 + tensors
        .iter()
        .map(|(n, _)| 2 + n.len() + 1 + 4 + 8 + 8)
        .sum::<usize>();
    let data_start = b.len() + dir_len;
    b.extend((tensors.len() as i32).to_le_bytes());
    let mut at = data_start;
    for ((name, _), (dtype, len, bytes)) in tensors.iter().zip(&payloads) {
        b.extend((name.len() as u16).to_le_bytes());
        b.extend(name.as_bytes());
        b.push(*dtype);
        b.extend((*len as u32).to_le_bytes());
        b.extend((at as u64).to_le_bytes());
        b.extend((bytes.len() as u64).to_le_bytes());
        at += bytes.len();
    }
    assert_eq!(b.len(), data_start);
    for (_, _, bytes) in &payloads {
        b.extend(bytes);
    }
    (b, data_start)
}

#[test]
fn synthetic_model_loads_and_embeds() {
    let (bytes, _) = synthetic_model();
    let enc = Encoder::from_bytes(bytes).expect("valid synthetic model");
    // U+200B is deleted and the tab becomes a space: "▁ab▁ab" = two "▁ab" pieces (−8)
    // beat "▁a" + "b" twice (−11). Letters no piece covers become <unk>.
    let ids = enc.tokenize("ab\u{200b}\tab", Prefix::Passage);
    assert_eq!(&ids[ids.len() - 3..], &[8, 8, 2]);
    // <s>, "▁", <unk> for "p", "a" (of "passage: ").
    assert_eq!(&ids[..4], &[0, 4, 3, 5]);
    let v = enc.embed("ab ab a b", Prefix::Passage);
    assert_eq!(v.len(), DIM);
    let norm: f32 = v.iter().map(|x| x * x).sum();
    assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    // Longer than the 16 positions: several windows.
    let long = "ab ".repeat(40);
    assert_eq!(enc.embed(&long, Prefix::Query).len(), DIM);
}

#[test]
fn every_truncation_is_an_error() {
    let (bytes, data_start) = synthetic_model();
    let lengths = (0..data_start + 64).chain((data_start..bytes.len()).step_by(4099));
    for len in lengths {
        let result = Encoder::from_bytes(bytes[..len].to_vec());
        assert!(result.is_err(), "a model cut at byte {len} loaded");
    }
}

#[test]
fn corruptions_are_named() {
    let (bytes, _) = synthetic_model();
    let with = |at: usize, new: &[u8]| {
        let mut b = bytes.clone();
        b[at..at + new.len()].copy_from_slice(new);
        Encoder::from_bytes(b).expect_err("corrupt model loaded")
    };
    assert!(matches!(with(0, b"GGUF"), EmbedError::BadMagic { .. }));
    assert!(matches!(
        with(4, &2u32.to_le_bytes()),
        EmbedError::UnsupportedVersion(2)
    ));
    assert!(matches!(
        with(8, &385i32.to_le_bytes()),
        EmbedError::InvalidHeader(_)
    ));
    assert!(matches!(
        with(8, &(-1i32).to_le_bytes()),
        EmbedError::InvalidHeader(_)
    ));
    let name = bytes
        .windows(7)
        .position(|w| w == b"l0.fo.w")
        .expect("tensor name");
    match with(name, b"l0.fx.w") {
        EmbedError::MissingTensor(t) => assert_eq!(t, "l0.fo.w"),
        e => panic!("unexpected error {e}"),
    }
    let short = Encoder::from_bytes(bytes[..10].to_vec()).expect_err("truncated");
    assert!(short.to_string().contains("truncated"), "{short}");
    assert!(matches!(
        Encoder::from_bytes(b"E5".to_vec()),
        Err(EmbedError::BadMagic { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Random byte changes anywhere before the tensor data (header, vocabulary, normaliser,
    /// directory) load or fail cleanly, and whatever loads can embed.
    #[test]
    fn corrupted_headers_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..5)) {
        let (mut bytes, data_start) = synthetic_model();
        for (at, v) in flips {
            let i = at.index(data_start);
            bytes[i] = v;
        }
        if let Ok(enc) = Encoder::from_bytes(bytes) {
            let v = enc.embed("ab a\tb", Prefix::Passage);
            prop_assert_eq!(v.len(), DIM);
        }
    }
}
