//! `rapport-train`: regenerate rapport-text's learned files from `../shared/data` and print
//! their accuracy on the splits they were not trained on.
//!
//! ```text
//! cargo run --release -p rapport-train -- [--data ../shared/data] [--out crates/rapport-text/data] [--eval-only]
//! ```
//!
//! Deterministic: the same data and code give byte-identical files. Outputs:
//! - `lex_el_mklab.tsv`, `cues_el_mklab.tsv`: Greek valences and emotion cues from the MKLab
//!   lexicon (Apache-2.0);
//! - `model_en.bin`: trained on TweetEval sentiment *test* (the train split is not in
//!   `../shared`), evaluated on TweetEval *val*;
//! - `model_he.bin`: trained on the Hebrew train split, evaluated on dev;
//! - `model_dense.bin`: lexicon/rule features only, trained on both; used for Greek;
//! - with `--semantic`: `semantic_sentiment.bin` and `semantic_emotion.bin`, heads over
//!   multilingual-e5-small embeddings (needs `rapport models fetch`), see [`semantic`].
//!
//! The lexicon-derived files are compiled into the engine, so after changing them rebuild and
//! run again before trusting the Greek figures.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rapport_text::model::{Features, LinearModel, TrainOptions};
use rapport_text::{Engine, Polarity};

mod semantic;

struct Args {
    data: PathBuf,
    out: PathBuf,
    eval_only: bool,
    semantic: bool,
    model: Option<PathBuf>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        data: PathBuf::from("../shared/data"),
        out: PathBuf::from("crates/rapport-text/data"),
        eval_only: false,
        semantic: false,
        model: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--data" => a.data = it.next().context("--data needs a path")?.into(),
            "--out" => a.out = it.next().context("--out needs a path")?.into(),
            "--eval-only" => a.eval_only = true,
            "--semantic" => a.semantic = true,
            "--model" => a.model = Some(it.next().context("--model needs a path")?.into()),
            "-h" | "--help" => {
                println!(
                    "usage: rapport-train [--data DIR] [--out DIR] [--eval-only] [--semantic [--model FILE]]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}"),
        }
    }
    Ok(a)
}

/// Labelled examples: text and class (0 negative, 1 neutral, 2 positive).
type Labelled = Vec<(String, usize)>;

fn read(path: &Path) -> anyhow::Result<String> {
    fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn tweeteval(dir: &Path, split: &str) -> anyhow::Result<Labelled> {
    let texts = read(&dir.join(format!("{split}_text.txt")))?;
    let labels = read(&dir.join(format!("{split}_labels.txt")))?;
    texts
        .lines()
        .zip(labels.lines())
        .map(|(t, l)| {
            // TweetEval: 0 negative, 1 neutral, 2 positive — already our order.
            let y: usize = l
                .trim()
                .parse()
                .with_context(|| format!("bad label {l:?}"))?;
            Ok((t.to_string(), y))
        })
        .collect()
}

fn hebrew(path: &Path) -> anyhow::Result<Labelled> {
    let mut out = Vec::new();
    for line in read(path)?.lines().skip(1) {
        let Some((text, label)) = line.rsplit_once('\t') else {
            continue;
        };
        // OnlpLab: 0 positive, 1 negative, 2 neutral.
        let y = match label.trim() {
            "0" => 2,
            "1" => 0,
            "2" => 1,
            other => bail!("bad Hebrew label {other:?}"),
        };
        out.push((text.trim().to_string(), y));
    }
    Ok(out)
}

/// Greek valences and emotion cues from the MKLab lexicon (4 annotators per term).
fn greek_lexicon(path: &Path) -> anyhow::Result<(String, String)> {
    let src = read(path)?;
    let mut lines = src.lines();
    let header: Vec<&str> = lines.next().context("empty lexicon")?.split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let group = |prefix: &str| -> Vec<usize> {
        (1..=4)
            .filter_map(|i| col(&format!("{prefix}{i}")))
            .collect()
    };
    let (pol, anger, fear, happy, sad) = (
        group("Polarity"),
        group("Anger"),
        group("Fear"),
        group("Happiness"),
        group("Sadness"),
    );
    let mut lex = BTreeMap::new();
    let mut cues = Vec::new();
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let Some(term) = cols.first().map(|t| t.trim()).filter(|t| !t.is_empty()) else {
            continue;
        };
        let get = |i: &usize| cols.get(*i).copied().unwrap_or("N/A");
        let pos = pol.iter().filter(|i| get(i) == "POS").count();
        let neg = pol.iter().filter(|i| get(i) == "NEG").count();
        // Majority of the annotators who gave a polarity, never against each other.
        let valence = match (pos, neg) {
            (p, 0) if p >= 2 => 1.0 + 0.4 * p as f32,
            (0, n) if n >= 2 => -(1.0 + 0.4 * n as f32),
            _ => 0.0,
        };
        if valence != 0.0 {
            lex.insert(term.to_string(), valence);
        }
        let mean = |g: &[usize]| {
            let v: Vec<f32> = g
                .iter()
                .filter_map(|i| get(i).parse::<f32>().ok())
                .collect();
            if v.len() < 2 {
                0.0
            } else {
                v.iter().sum::<f32>() / v.len() as f32
            }
        };
        for (label, g, min, w) in [
            ("anger", &anger, 3.5, 0.6),
            ("worry", &fear, 3.5, 0.5),
            ("delight", &happy, 4.0, 0.5),
            ("disappointment", &sad, 4.0, 0.4),
        ] {
            if mean(g) >= min
                && (label != "delight" || valence > 0.0)
                && (label == "delight" || valence < 0.0)
            {
                cues.push(format!("{label}\tel\t{w}\t{term}"));
            }
        }
    }
    let head = "# Generated by rapport-train from ../shared/data/el-lexicon/greek_sentiment_lexicon.tsv\n\
                # (MKLab-ITI greek-sentiment-lexicon, Apache-2.0). Do not edit: edit lex_el.tsv / cues.tsv.\n";
    let lex_out: String = head.to_string()
        + &lex
            .iter()
            .map(|(t, v)| format!("{t}\t{v:.1}\n"))
            .collect::<String>();
    cues.sort();
    cues.dedup();
    let cues_out = head.to_string() + &cues.join("\n") + "\n";
    Ok((lex_out, cues_out))
}

fn featurise(engine: &Engine, data: &Labelled) -> Vec<(Features, usize)> {
    data.iter()
        .map(|(t, y)| (engine.features(t).1, *y))
        .collect()
}

/// Accuracy, macro-F1 and confusion matrix (rows: gold, columns: predicted).
struct Report {
    accuracy: f32,
    macro_f1: f32,
    confusion: [[usize; 3]; 3],
}

#[allow(clippy::needless_range_loop)] // confusion matrix indexed by class
fn report(gold: &[usize], pred: &[usize]) -> Report {
    let mut m = [[0usize; 3]; 3];
    for (g, p) in gold.iter().zip(pred) {
        m[*g][*p] += 1;
    }
    let correct: usize = (0..3).map(|i| m[i][i]).sum();
    let mut f1s = Vec::new();
    for c in 0..3 {
        let tp = m[c][c] as f32;
        let fp: f32 = (0..3).filter(|r| *r != c).map(|r| m[r][c] as f32).sum();
        let fn_: f32 = (0..3).filter(|p| *p != c).map(|p| m[c][p] as f32).sum();
        let f1 = if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + fn_)
        };
        f1s.push(f1);
    }
    Report {
        accuracy: correct as f32 / gold.len().max(1) as f32,
        macro_f1: f1s.iter().sum::<f32>() / 3.0,
        confusion: m,
    }
}

fn print_report(name: &str, r: &Report) {
    println!(
        "\n### {name}\naccuracy {:.3}  macro-F1 {:.3}",
        r.accuracy, r.macro_f1
    );
    println!("| gold \\ predicted | negative | neutral | positive |\n|---|---|---|---|");
    for (i, row) in r.confusion.iter().enumerate() {
        println!(
            "| {} | {} | {} | {} |",
            ["negative", "neutral", "positive"][i],
            row[0],
            row[1],
            row[2]
        );
    }
}

fn class_of(p: Polarity) -> usize {
    match p {
        Polarity::Negative => 0,
        Polarity::Neutral => 1,
        Polarity::Positive => 2,
    }
}

fn evaluate(engine: &Engine, data: &Labelled, lang: &str) -> Report {
    let gold: Vec<usize> = data.iter().map(|(_, y)| *y).collect();
    let pred: Vec<usize> = data
        .iter()
        .map(|(t, _)| {
            engine
                .analyze(t, Some(lang))
                .sentiment
                .map_or(1, |s| class_of(s.label))
        })
        .collect();
    report(&gold, &pred)
}

/// Rules alone: VADER's ±0.05 thresholds on the compound score.
fn evaluate_rules(engine: &Engine, data: &Labelled) -> Report {
    let gold: Vec<usize> = data.iter().map(|(_, y)| *y).collect();
    let pred: Vec<usize> = data
        .iter()
        .map(|(t, _)| {
            let c = engine.features(t).0.compound;
            if c >= 0.05 {
                2
            } else if c <= -0.05 {
                0
            } else {
                1
            }
        })
        .collect();
    report(&gold, &pred)
}

/// A labelled CX set in JSON Lines (`text`, `language`, `label`): the developer-written
/// golden sample or the evaluation set; checks of domain transfer, never training data.
fn cx_sample(path: &Path) -> anyhow::Result<Vec<(String, String, usize)>> {
    let mut out = Vec::new();
    for line in read(path)?.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let (Some(t), Some(l), Some(lang)) = (
            v["text"].as_str(),
            v["label"].as_str(),
            v["language"].as_str(),
        ) else {
            continue;
        };
        let y = match l {
            "negative" => 0,
            "neutral" => 1,
            _ => 2,
        };
        out.push((t.to_string(), lang.to_string(), y));
    }
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    if args.semantic {
        return semantic::run(&args);
    }
    let en_dir = args.data.join("en-tweeteval/sentiment");
    let he_dir = args.data.join("he-sentiment");
    let el_lex = args.data.join("el-lexicon/greek_sentiment_lexicon.tsv");
    if !en_dir.exists() || !he_dir.exists() || !el_lex.exists() {
        bail!(
            "labelled data not found under {} (expected en-tweeteval/, he-sentiment/, el-lexicon/)",
            args.data.display()
        );
    }
    let (en_train, en_eval) = (tweeteval(&en_dir, "test")?, tweeteval(&en_dir, "val")?);
    let (he_train, he_eval) = (
        hebrew(&he_dir.join("train.tsv"))?,
        hebrew(&he_dir.join("dev.tsv"))?,
    );
    println!(
        "data: en train {} / eval {}, he train {} / eval {}",
        en_train.len(),
        en_eval.len(),
        he_train.len(),
        he_eval.len()
    );

    let base = Engine::new();
    let (en_m, he_m, dense_m) = if args.eval_only {
        (None, None, None)
    } else {
        let (lex, cues) = greek_lexicon(&el_lex)?;
        fs::write(args.out.join("lex_el_mklab.tsv"), lex)?;
        fs::write(args.out.join("cues_el_mklab.tsv"), cues)?;
        let opts = TrainOptions::default();
        let en_f = featurise(&base, &en_train);
        let he_f = featurise(&base, &he_train);
        let en = LinearModel::train(&en_f, &opts);
        let he = LinearModel::train(&he_f, &opts);
        let mut pooled = en_f;
        pooled.extend(he_f);
        let dense = LinearModel::train(
            &pooled,
            &TrainOptions {
                sparse: false,
                epochs: 20,
                ..opts
            },
        );
        for (name, m) in [
            ("model_en.bin", &en),
            ("model_he.bin", &he),
            ("model_dense.bin", &dense),
        ] {
            fs::write(args.out.join(name), m.to_bytes())?;
            println!(
                "wrote {} ({} bytes)",
                args.out.join(name).display(),
                m.to_bytes().len()
            );
        }
        // Round-trip through the file format so evaluation sees the quantised weights.
        let q = |m: &LinearModel| LinearModel::from_bytes(&m.to_bytes()).ok();
        (q(&en), q(&he), q(&dense))
    };
    let engine = if args.eval_only {
        base.clone()
    } else {
        base.clone().with_models(en_m, he_m, dense_m.clone())
    };
    let dense_only =
        base.clone()
            .with_models(None, None, dense_m.or_else(|| Engine::new().into_dense()));

    println!(
        "\n## Sentiment on held-out splits (shipped pipeline: `rapport analyze`, model weight {})",
        rapport_text::DEFAULT_MODEL_WEIGHT
    );
    print_report(
        "English — TweetEval sentiment val (2,000 tweets)",
        &evaluate(&engine, &en_eval, "en"),
    );
    print_report(
        "Hebrew — OnlpLab dev (846 comments)",
        &evaluate(&engine, &he_eval, "he"),
    );
    println!("\n## Baselines on the same splits");
    print_report(
        "English — lexicon+rules only (VADER-style thresholds)",
        &evaluate_rules(&engine, &en_eval),
    );
    print_report(
        "Hebrew — lexicon+rules only",
        &evaluate_rules(&engine, &he_eval),
    );
    print_report(
        "English — dense rule-feature model (the Greek path)",
        &evaluate(&dense_only, &en_eval, "en"),
    );
    print_report(
        "Hebrew — dense rule-feature model (the Greek path)",
        &evaluate(&dense_only, &he_eval, "he"),
    );

    let cx = Path::new("crates/rapport-cli/tests/golden/cx_sample.jsonl");
    if cx.exists() {
        println!("\n## Developer-written CX sample (golden inputs; optimistic, not independent)");
        for lang in ["en", "he", "el"] {
            let rows: Vec<(String, String, usize)> =
                cx_sample(cx)?.into_iter().filter(|r| r.1 == lang).collect();
            let gold: Vec<usize> = rows.iter().map(|r| r.2).collect();
            let pred: Vec<usize> = rows
                .iter()
                .map(|r| {
                    engine
                        .analyze(&r.0, Some(lang))
                        .sentiment
                        .map_or(1, |s| class_of(s.label))
                })
                .collect();
            print_report(
                &format!("CX sample — {lang} ({} texts)", rows.len()),
                &report(&gold, &pred),
            );
        }
    }
    Ok(())
}
