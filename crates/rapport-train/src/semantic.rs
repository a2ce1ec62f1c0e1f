//! `rapport-train --semantic`: train the semantic tier's heads (logistic regression over
//! multilingual-e5-small embeddings plus the fast tier's rule features) and report macro-F1
//! per language with and without them.
//!
//! Needs the model file (`rapport models fetch`). Embeddings use the `query:` prefix, which
//! the model card recommends for embeddings used as features (classification, clustering).

use std::fs;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};
use rapport_embed::{default_model_dir, Encoder, Prefix, MODEL_FILE};
use rapport_text::semantic::{sentiment_input, DenseHead, HeadOptions, SemanticHeads};
use rapport_text::Engine;

use crate::{class_of, cx_sample, hebrew, print_report, read, report, tweeteval, Args, Labelled};

/// Embed texts in batches, printing throughput.
fn embed_all(enc: &Encoder, name: &str, texts: &[&str]) -> Vec<Vec<f32>> {
    let t0 = Instant::now();
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(256) {
        out.extend(enc.embed_batch(chunk, Prefix::Query));
    }
    let s = t0.elapsed().as_secs_f64();
    eprintln!(
        "embedded {name}: {} texts in {s:.1}s ({:.0}/s)",
        texts.len(),
        texts.len() as f64 / s.max(1e-9)
    );
    out
}

fn texts(d: &Labelled) -> Vec<&str> {
    d.iter().map(|(t, _)| t.as_str()).collect()
}

fn labels(d: &Labelled) -> Vec<usize> {
    d.iter().map(|(_, y)| *y).collect()
}

/// TweetEval emotion: 0 anger, 1 joy, 2 optimism, 3 sadness.
fn emotion_split(dir: &Path, split: &str) -> anyhow::Result<Labelled> {
    let t = read(&dir.join(format!("{split}_text.txt")))?;
    let l = read(&dir.join(format!("{split}_labels.txt")))?;
    t.lines()
        .zip(l.lines())
        .map(|(t, l)| Ok((t.to_string(), l.trim().parse::<usize>()?)))
        .collect()
}

fn predict(engine: &Engine, text: &str, lang: &str, emb: Option<&[f32]>) -> usize {
    let a = match emb {
        Some(e) => engine.analyze_with_embedding(text, Some(lang), e),
        None => engine.analyze(text, Some(lang)),
    };
    a.sentiment.map_or(1, |s| class_of(s.label))
}

fn compare(engine: &Engine, name: &str, rows: &[(&str, &str, usize)], embs: &[Vec<f32>]) {
    let gold: Vec<usize> = rows.iter().map(|r| r.2).collect();
    let fast: Vec<usize> = rows
        .iter()
        .map(|r| predict(engine, r.0, r.1, None))
        .collect();
    let sem: Vec<usize> = rows
        .iter()
        .zip(embs)
        .map(|(r, e)| predict(engine, r.0, r.1, Some(e)))
        .collect();
    print_report(&format!("{name} — fast tier"), &report(&gold, &fast));
    print_report(&format!("{name} — semantic tier"), &report(&gold, &sem));
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let model = args
        .model
        .clone()
        .unwrap_or_else(|| default_model_dir().join(MODEL_FILE));
    if !model.exists() {
        bail!(
            "{} not found: run `rapport models fetch` (or pass --model FILE)",
            model.display()
        );
    }
    let enc = Encoder::load(&model).with_context(|| format!("loading {}", model.display()))?;
    let en_dir = args.data.join("en-tweeteval/sentiment");
    let emo_dir = args.data.join("en-tweeteval/emotion");
    let he_dir = args.data.join("he-sentiment");
    let (en_train, en_eval) = (tweeteval(&en_dir, "test")?, tweeteval(&en_dir, "val")?);
    let (he_train, he_eval) = (
        hebrew(&he_dir.join("train.tsv"))?,
        hebrew(&he_dir.join("dev.tsv"))?,
    );
    let (emo_train, emo_eval) = (
        emotion_split(&emo_dir, "train")?,
        emotion_split(&emo_dir, "val")?,
    );
    let base = Engine::new().with_semantic(None);

    let en_train_e = embed_all(&enc, "en train", &texts(&en_train));
    let he_train_e = embed_all(&enc, "he train", &texts(&he_train));
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for (data, embs) in [(&en_train, &en_train_e), (&he_train, &he_train_e)] {
        for ((t, y), e) in data.iter().zip(embs) {
            xs.push(sentiment_input(e, &base.features(t).0));
            ys.push(*y);
        }
    }
    let sentiment = DenseHead::train(&xs, &ys, 3, &HeadOptions::default());
    let emo_train_e = embed_all(&enc, "emotion train", &texts(&emo_train));
    let emotion = DenseHead::train(
        &emo_train_e,
        &labels(&emo_train),
        4,
        &HeadOptions::default(),
    );
    for (name, h) in [
        ("semantic_sentiment.bin", &sentiment),
        ("semantic_emotion.bin", &emotion),
    ] {
        let path = args.out.join(name);
        fs::write(&path, h.to_bytes())?;
        println!("wrote {} ({} bytes)", path.display(), h.to_bytes().len());
    }
    let engine = base.with_semantic(Some(SemanticHeads {
        sentiment,
        emotion: Some(emotion.clone()),
    }));

    println!("\n## Semantic tier vs fast tier on held-out splits (same pipeline as `rapport analyze [--semantic]`)");
    for (name, data, lang) in [
        ("English — TweetEval sentiment val", &en_eval, "en"),
        ("Hebrew — OnlpLab dev", &he_eval, "he"),
    ] {
        let embs = embed_all(&enc, name, &texts(data));
        let rows: Vec<(&str, &str, usize)> =
            data.iter().map(|(t, y)| (t.as_str(), lang, *y)).collect();
        compare(&engine, name, &rows, &embs);
    }
    let emo_e = embed_all(&enc, "emotion val", &texts(&emo_eval));
    let correct = emo_eval
        .iter()
        .zip(&emo_e)
        .filter(|((_, y), e)| {
            let p = emotion.predict(e);
            (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])) == Some(*y)
        })
        .count();
    println!(
        "\n### Emotion head — TweetEval emotion val ({} tweets)\naccuracy {:.3} (4 classes: anger, joy, optimism, sadness)",
        emo_eval.len(),
        correct as f32 / emo_eval.len().max(1) as f32
    );

    for (title, path) in [
        (
            "CX evaluation set (written for the project, never trained or tuned on)",
            "crates/rapport-train/data/cx_eval.jsonl",
        ),
        (
            "Developer-written CX sample (golden inputs)",
            "crates/rapport-cli/tests/golden/cx_sample.jsonl",
        ),
    ] {
        let p = Path::new(path);
        if !p.exists() {
            continue;
        }
        println!("\n## {title}");
        let all = cx_sample(p)?;
        for lang in ["en", "he", "el"] {
            let rows: Vec<(&str, &str, usize)> = all
                .iter()
                .filter(|r| r.1 == lang)
                .map(|r| (r.0.as_str(), r.1.as_str(), r.2))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let embs = embed_all(&enc, lang, &rows.iter().map(|r| r.0).collect::<Vec<_>>());
            compare(
                &engine,
                &format!("{lang} ({} texts)", rows.len()),
                &rows,
                &embs,
            );
        }
    }
    Ok(())
}
