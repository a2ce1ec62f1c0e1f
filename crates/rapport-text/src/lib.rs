//! Offline multilingual (English, Hebrew, Greek) text analytics for customer experience.
//!
//! One call, [`Engine::analyze`], gives the language, sentiment, service emotions, CX signals
//! (effort, churn intent, escalation risk, policy deflection), taxonomy topics, keywords and
//! personal data (with a redacted copy) of a text. [`themes`] aggregates many texts.
//!
//! The crate is pure: no files, network or database. Lexicons, cue lists, the topic taxonomy
//! and the learned models are committed under `data/` (see `docs/analytics.md` for sources
//! and licences), compiled in, and parsed once per process.
//!
//! Offsets: PII spans in [`Analysis`] (and the JSON) are **char offsets** (Unicode scalar
//! values, end exclusive); [`PiiSpan`] also carries byte offsets for slicing in Rust.
#![forbid(unsafe_code)]

pub mod cues;
pub mod error;
pub mod keywords;
pub mod langid;
pub mod lexicon;
pub mod model;
pub mod normalize;
pub mod pii;
pub mod semantic;
pub mod sentiment;
mod themes;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use cues::{CueMatch, CueSet, Prepared};
pub use error::TextError;
pub use pii::{PiiKind, PiiSpan};
pub use themes::{
    semantic_themes, themes, themes_from, SemanticOptions, Theme, ThemeDoc, ThemeKind, Themes,
    TrendPoint,
};

use lexicon::Lexicon;
pub use model::LinearModel;
pub use semantic::{DenseHead, SemanticHeads};
use sentiment::Lexicons;

/// Languages with full analysis.
pub const SUPPORTED_LANGUAGES: [&str; 3] = ["en", "he", "el"];

/// The service emotions we score, in output tie-break order.
pub const EMOTIONS: [&str; 7] = [
    "anger",
    "frustration",
    "disappointment",
    "worry",
    "confusion",
    "gratitude",
    "delight",
];

/// The CX signals, in [`Signals`] field order.
pub const SIGNALS: [&str; 4] = [
    "effort",
    "churn_intent",
    "escalation_risk",
    "policy_deflection",
];

/// Sentiment polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Polarity {
    Negative,
    Neutral,
    Positive,
}

/// Sentiment of a text: a label, a score in [-1, 1] (P(positive) − P(negative)) and the
/// probability of the label as confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub label: Polarity,
    pub score: f32,
    pub confidence: f32,
}

/// A named score in [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub name: String,
    pub score: f32,
}

/// Customer-experience signals, each in [0, 1].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// The customer had to work to be served (repeat calls, chasing, long holds).
    pub effort: f32,
    /// The customer says they will leave or cancel.
    pub churn_intent: f32,
    /// Public or legal escalation: social media, press, regulator, lawyer.
    pub escalation_risk: f32,
    /// Hiding behind "company policy" (usually in agent talk).
    pub policy_deflection: f32,
}

/// Everything the engine says about one text. Matches the `rapport analyze` JSON (minus `id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// ISO 639-1 code, or `und` when we cannot tell (or do not support) the language.
    pub language: String,
    pub language_confidence: f32,
    /// `None` (JSON `null`) when the language is not one we analyse.
    pub sentiment: Option<Sentiment>,
    /// All seven service emotions, highest first.
    pub emotions: Vec<Scored>,
    pub signals: Signals,
    /// Taxonomy topics that the text touches (score ≥ 0.3), highest first.
    pub topics: Vec<Scored>,
    pub keywords: Vec<String>,
    pub pii: Vec<PiiSpan>,
    pub redacted_text: String,
}

impl Analysis {
    /// Append the JSON object of this analysis to `out`: the same bytes as
    /// `serde_json::to_writer(out, self)`, written directly (faster than the generic
    /// serialiser for the millions of lines `rapport analyze` writes).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"language\":");
        json_str(out, &self.language);
        out.extend_from_slice(b",\"language_confidence\":");
        json_f32(out, self.language_confidence);
        out.extend_from_slice(b",\"sentiment\":");
        match &self.sentiment {
            None => out.extend_from_slice(b"null"),
            Some(s) => {
                out.extend_from_slice(match s.label {
                    Polarity::Negative => b"{\"label\":\"negative\",\"score\":".as_slice(),
                    Polarity::Neutral => b"{\"label\":\"neutral\",\"score\":",
                    Polarity::Positive => b"{\"label\":\"positive\",\"score\":",
                });
                json_f32(out, s.score);
                out.extend_from_slice(b",\"confidence\":");
                json_f32(out, s.confidence);
                out.push(b'}');
            }
        }
        out.extend_from_slice(b",\"emotions\":");
        json_scored(out, &self.emotions);
        let sig = &self.signals;
        out.extend_from_slice(b",\"signals\":{\"effort\":");
        json_f32(out, sig.effort);
        out.extend_from_slice(b",\"churn_intent\":");
        json_f32(out, sig.churn_intent);
        out.extend_from_slice(b",\"escalation_risk\":");
        json_f32(out, sig.escalation_risk);
        out.extend_from_slice(b",\"policy_deflection\":");
        json_f32(out, sig.policy_deflection);
        out.extend_from_slice(b"},\"topics\":");
        json_scored(out, &self.topics);
        out.extend_from_slice(b",\"keywords\":[");
        for (i, k) in self.keywords.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_str(out, k);
        }
        out.extend_from_slice(b"],\"pii\":[");
        for (i, p) in self.pii.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"kind\":");
            json_via_serde(out, &p.kind);
            out.extend_from_slice(b",\"start\":");
            json_via_serde(out, &p.start);
            out.extend_from_slice(b",\"end\":");
            json_via_serde(out, &p.end);
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"redacted_text\":");
        json_str(out, &self.redacted_text);
        out.push(b'}');
    }
}

/// Any value as serde_json writes it.
fn json_via_serde<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    serde_json::to_writer(&mut *out, v).expect("writing JSON to a Vec cannot fail");
}

/// An `f32` as serde_json writes it. Zero (most emotion and signal scores) is written
/// directly.
fn json_f32(out: &mut Vec<u8>, x: f32) {
    if x.to_bits() == 0 {
        out.extend_from_slice(b"0.0");
    } else {
        json_via_serde(out, &x);
    }
}

/// A string as serde_json writes it: quoted, and copied as is unless it holds a char that
/// JSON escapes (a quote, a backslash or a control char below U+0020).
fn json_str(out: &mut Vec<u8>, s: &str) {
    let plain = !s.as_bytes().iter().fold(false, |acc, &b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        json_via_serde(out, s);
    }
}

/// A list of named scores.
fn json_scored(out: &mut Vec<u8>, list: &[Scored]) {
    out.push(b'[');
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":");
        json_str(out, &s.name);
        out.extend_from_slice(b",\"score\":");
        json_f32(out, s.score);
        out.push(b'}');
    }
    out.push(b']');
}

/// The analysis engine: lexicons, cue lists, taxonomy and models, loaded once.
#[derive(Debug, Clone)]
pub struct Engine {
    lexicons: Lexicons,
    cues: CueSet,
    taxonomy: CueSet,
    en: Option<LinearModel>,
    he: Option<LinearModel>,
    dense: Option<LinearModel>,
    model_weight: f32,
    semantic: Option<SemanticHeads>,
    semantic_weight: f32,
}

/// Weight of the semantic head against the fast tier's probabilities when an embedding is
/// given: the head already reads the rule features, the rest keeps the n-gram models' say.
pub const DEFAULT_SEMANTIC_WEIGHT: f32 = 0.8;

fn load_head(bytes: &[u8]) -> Option<DenseHead> {
    if bytes.is_empty() {
        return None;
    }
    Some(DenseHead::from_bytes(bytes).expect("committed semantic head is valid"))
}

/// Weight of a language's n-gram model against the rule-feature model. The n-gram models
/// learned tweets and political comments; customer-service wording reaches them poorly, so
/// the lexicon/rule side (which knows CX vocabulary and signals) keeps half the say.
pub const DEFAULT_MODEL_WEIGHT: f32 = 0.5;

/// |P(positive) − P(negative)| from which a text is labelled positive or negative.
pub const POLARITY_THRESHOLD: f32 = 0.2;

fn load_model(bytes: &[u8]) -> Option<LinearModel> {
    if bytes.is_empty() {
        return None;
    }
    Some(LinearModel::from_bytes(bytes).expect("committed model file is valid"))
}

/// The built-in topic taxonomy source (editable TSV; see [`cues`] for the format).
pub const BUILTIN_TAXONOMY: &str = include_str!("../data/taxonomy.tsv");
/// The built-in emotion and signal cues.
pub const BUILTIN_CUES: &str = include_str!("../data/cues.tsv");

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

fn saturate(sum: f32) -> f32 {
    round3(1.0 - (-1.6 * sum.max(0.0)).exp())
}

impl Engine {
    /// Build an engine from the compiled-in resources (a few milliseconds; prefer
    /// [`Engine::global`]).
    pub fn new() -> Self {
        let mut en = Lexicon::default();
        en.load(include_str!("../data/third_party/vader_lexicon.tsv"))
            .expect("vader lexicon");
        en.load(include_str!("../data/lex_en.tsv")).expect("lex_en");
        let mut he = Lexicon::default();
        he.load(include_str!("../data/lex_he.tsv")).expect("lex_he");
        let mut el = Lexicon::default();
        el.load(include_str!("../data/lex_el_mklab.tsv"))
            .expect("lex_el_mklab");
        el.load(include_str!("../data/lex_el.tsv")).expect("lex_el");
        let mut cues = CueSet::parse(BUILTIN_CUES).expect("cues.tsv");
        cues.extend(
            &CueSet::parse(include_str!("../data/cues_el_mklab.tsv")).expect("cues_el_mklab"),
        );
        Engine {
            lexicons: Lexicons { en, he, el },
            cues,
            taxonomy: CueSet::parse(BUILTIN_TAXONOMY).expect("taxonomy.tsv"),
            en: load_model(include_bytes!("../data/model_en.bin")),
            he: load_model(include_bytes!("../data/model_he.bin")),
            dense: load_model(include_bytes!("../data/model_dense.bin")),
            model_weight: DEFAULT_MODEL_WEIGHT,
            semantic: load_head(include_bytes!("../data/semantic_sentiment.bin")).map(|s| {
                SemanticHeads {
                    sentiment: s,
                    emotion: load_head(include_bytes!("../data/semantic_emotion.bin")),
                }
            }),
            semantic_weight: DEFAULT_SEMANTIC_WEIGHT,
        }
    }

    /// The shared engine, built on first use.
    pub fn global() -> &'static Engine {
        static ENGINE: OnceLock<Engine> = OnceLock::new();
        ENGINE.get_or_init(Engine::new)
    }

    /// Replace the topic taxonomy (e.g. a customer's edited copy of [`BUILTIN_TAXONOMY`]).
    pub fn with_taxonomy(mut self, taxonomy: CueSet) -> Self {
        self.taxonomy = taxonomy;
        self
    }

    /// Replace the sentiment models (used by `rapport-train` to evaluate fresh models through
    /// exactly the code path of [`Engine::analyze`]).
    pub fn with_models(
        mut self,
        en: Option<LinearModel>,
        he: Option<LinearModel>,
        dense: Option<LinearModel>,
    ) -> Self {
        self.en = en;
        self.he = he;
        self.dense = dense;
        self
    }

    /// Replace the semantic heads (used by `rapport-train` to evaluate fresh heads).
    pub fn with_semantic(mut self, heads: Option<SemanticHeads>) -> Self {
        self.semantic = heads;
        self
    }

    /// Set the semantic head's weight in [0, 1] against the fast tier.
    pub fn with_semantic_weight(mut self, w: f32) -> Self {
        self.semantic_weight = w.clamp(0.0, 1.0);
        self
    }

    /// Whether semantic heads are available (an embedding changes the analysis).
    pub fn has_semantic(&self) -> bool {
        self.semantic.is_some()
    }

    /// Set the n-gram model's weight in [0, 1] against the rule-feature model.
    pub fn with_model_weight(mut self, w: f32) -> Self {
        self.model_weight = w.clamp(0.0, 1.0);
        self
    }

    /// The dense (rule-feature) model, if one is compiled in.
    pub fn into_dense(self) -> Option<LinearModel> {
        self.dense
    }

    pub fn taxonomy(&self) -> &CueSet {
        &self.taxonomy
    }

    /// The emotion and signal cues.
    pub fn cues(&self) -> &CueSet {
        &self.cues
    }

    pub fn lexicons(&self) -> &Lexicons {
        &self.lexicons
    }

    /// Detect the language of a text (en, he, el, or und).
    pub fn detect_language(&self, text: &str) -> langid::Detected {
        langid::detect(&Prepared::new(text), &self.lexicons.en)
    }

    /// Rule score and model features of a text: what the training command learns from.
    pub fn features(&self, text: &str) -> (sentiment::RuleScore, model::Features) {
        let doc = Prepared::new(text);
        let mut rules = sentiment::score(&doc, &self.lexicons);
        let (emo, sig) = self.cue_sums(&doc);
        sentiment::add_cx_evidence(&mut rules, &emo, &sig);
        let f = model::features(&doc, &rules);
        (rules, f)
    }

    /// Summed cue weights per emotion (in [`EMOTIONS`] order) and per signal.
    fn cue_sums(&self, doc: &Prepared) -> ([f32; 7], [f32; 4]) {
        let mut emo = [0f32; 7];
        let mut sig = [0f32; 4];
        self.cues.for_each_match(doc, None, |m| {
            if m.negated {
                return;
            }
            let label = m.cue.label.as_str();
            if let Some(i) = EMOTIONS.iter().position(|e| *e == label) {
                emo[i] += m.cue.weight;
            } else if let Some(i) = SIGNALS.iter().position(|e| *e == label) {
                sig[i] += m.cue.weight;
            }
        });
        (emo, sig)
    }

    /// Sentiment of a prepared text in a supported language.
    fn sentiment(
        &self,
        doc: &Prepared,
        lang: &str,
        emo: &[f32; 7],
        sig: &[f32; 4],
        embedding: Option<&[f32]>,
    ) -> Sentiment {
        let mut rules = sentiment::score(doc, &self.lexicons);
        sentiment::add_cx_evidence(&mut rules, emo, sig);
        let lang_model = match lang {
            "en" => self.en.as_ref(),
            "he" => self.he.as_ref(),
            _ => None,
        };
        // The dense model reads no n-grams: skip them when no language model does either.
        let sparse = lang_model.is_some() || self.dense.as_ref().is_some_and(|m| m.dim > 0);
        let feats = model::features_with(doc, &rules, sparse);
        let rule_probs = match self.dense.as_ref() {
            Some(m) => m.predict(&feats),
            None => {
                // No trained model: map the rule compound to pseudo-probabilities.
                let c = rules.compound;
                let pos = ((c - 0.05) / 0.6).clamp(0.0, 1.0);
                let neg = ((-c - 0.05) / 0.6).clamp(0.0, 1.0);
                let neu = 1.0 - pos.max(neg);
                let s = pos + neg + neu;
                [neg / s, neu / s, pos / s]
            }
        };
        let probs = match lang_model {
            Some(m) => {
                let p = m.predict(&feats);
                let w = self.model_weight;
                [0, 1, 2].map(|c| w * p[c] + (1.0 - w) * rule_probs[c])
            }
            None => rule_probs,
        };
        let probs = match (embedding, self.semantic.as_ref()) {
            (Some(e), Some(h)) => {
                let p = h.sentiment.predict(&semantic::sentiment_input(e, &rules));
                let w = self.semantic_weight;
                [0, 1, 2].map(|c| w * p.get(c).copied().unwrap_or(0.0) + (1.0 - w) * probs[c])
            }
            _ => probs,
        };
        // Decide on the expected polarity rather than the arg-max: the training sets have
        // few neutral texts, and a clear lean either way is what a CX reader calls sentiment.
        let score = probs[2] - probs[0];
        let best = if score >= POLARITY_THRESHOLD {
            2
        } else if score <= -POLARITY_THRESHOLD {
            0
        } else {
            1
        };
        let p = probs[best];
        let label = [Polarity::Negative, Polarity::Neutral, Polarity::Positive][best];
        Sentiment {
            label,
            score: round3(probs[2] - probs[0]),
            confidence: round3(p),
        }
    }

    /// Analyse one text. `language` (ISO 639-1, e.g. `"he"` or `"en-GB"`) skips detection.
    /// Never panics, whatever the input.
    pub fn analyze(&self, text: &str, language: Option<&str>) -> Analysis {
        self.analyze_inner(text, language, None)
    }

    /// [`Engine::analyze`] with the semantic tier: `embedding` is the text's L2-normalised
    /// multilingual-e5-small `passage:` embedding. Sentiment then comes from the semantic head
    /// (blended with the fast tier) and clear emotion-head calls add to the emotion cues.
    /// Without committed heads this is exactly [`Engine::analyze`].
    pub fn analyze_with_embedding(
        &self,
        text: &str,
        language: Option<&str>,
        embedding: &[f32],
    ) -> Analysis {
        self.analyze_inner(text, language, Some(embedding))
    }

    fn analyze_inner(
        &self,
        text: &str,
        language: Option<&str>,
        embedding: Option<&[f32]>,
    ) -> Analysis {
        let pii_lang_hint = language.map(normalize_language);
        // PII first, so that analysis never sees (or quotes as keywords) personal data.
        let first_pass = Prepared::new(text);
        let blanked: String;
        let detected = match pii_lang_hint.as_deref() {
            Some(code) => langid::Detected {
                code: static_code(code),
                confidence: 1.0,
            },
            None => langid::detect(&first_pass, &self.lexicons.en),
        };
        let lang_code: String = match pii_lang_hint {
            Some(c) => c,
            None => detected.code.to_string(),
        };
        let pii = pii::detect(text, Some(lang_code.as_str()));
        let redacted_text = pii::redact(text, &pii);
        let doc = if pii.is_empty() {
            first_pass
        } else {
            blanked = blank_spans(text, &pii);
            Prepared::new(&blanked)
        };

        let (mut emo, sig) = self.cue_sums(&doc);

        let supported = SUPPORTED_LANGUAGES.contains(&lang_code.as_str());
        let sentiment = supported.then(|| self.sentiment(&doc, &lang_code, &emo, &sig, embedding));
        if let (true, Some(e), Some(h)) = (
            supported,
            embedding,
            self.semantic.as_ref().and_then(|h| h.emotion.as_ref()),
        ) {
            let p = h.predict(e);
            // anger → anger, joy → delight, sadness → disappointment; optimism has no
            // service counterpart.
            for (class, target) in [(0, 0), (1, 6), (3, 2)] {
                emo[target] += semantic::emotion_evidence(p.get(class).copied().unwrap_or(0.0));
            }
        }
        // Shouting with exclamation marks in a negative text reads as anger; repeated
        // question marks as confusion.
        if let Some(s) = &sentiment {
            let rules_excl = doc.tokens.iter().filter(|t| t.ch == '!').count();
            if s.label == Polarity::Negative && rules_excl >= 2 {
                emo[0] += 0.3;
            }
        }
        if doc.tokens.iter().filter(|t| t.ch == '?').count() >= 2 {
            emo[4] += 0.3;
        }
        let mut emotions: Vec<Scored> = EMOTIONS
            .iter()
            .zip(emo)
            .map(|(n, s)| Scored {
                name: n.to_string(),
                score: saturate(s),
            })
            .collect();
        emotions.sort_by(|a, b| b.score.total_cmp(&a.score));

        let mut topic_sums: Vec<(&str, f32)> = Vec::new();
        self.taxonomy.for_each_match(&doc, None, |m| {
            match topic_sums.iter_mut().find(|(n, _)| *n == m.cue.label) {
                Some((_, s)) => *s += m.cue.weight,
                None => topic_sums.push((&m.cue.label, m.cue.weight)),
            }
        });
        let mut topics: Vec<Scored> = topic_sums
            .into_iter()
            .map(|(n, s)| Scored {
                name: n.to_string(),
                score: saturate(s * 0.9),
            })
            .filter(|t| t.score >= 0.3)
            .collect();
        topics.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.name.cmp(&b.name)));

        Analysis {
            language: lang_code,
            language_confidence: round3(detected.confidence),
            sentiment,
            emotions,
            signals: Signals {
                effort: saturate(sig[0]),
                churn_intent: saturate(sig[1]),
                escalation_risk: saturate(sig[2]),
                policy_deflection: saturate(sig[3]),
            },
            topics,
            keywords: keywords::extract_display(&doc, 5),
            pii,
            redacted_text,
        }
    }
}

/// Normalise a caller-supplied language tag: `"he-IL"` → `"he"`, `"iw"` → `"he"`; anything
/// that is not a plausible ISO 639 code becomes `"und"`.
pub fn normalize_language(tag: &str) -> String {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match primary.as_str() {
        "iw" | "heb" => "he".into(),
        "ell" | "gre" | "gr" => "el".into(),
        "eng" => "en".into(),
        p if (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase()) => {
            p.to_string()
        }
        _ => "und".into(),
    }
}

fn static_code(code: &str) -> &'static str {
    match code {
        "en" => "en",
        "he" => "he",
        "el" => "el",
        _ => "und",
    }
}

/// The text with each PII span replaced by a space, for analysis.
fn blank_spans(text: &str, spans: &[PiiSpan]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for s in spans {
        out.push_str(&text[pos..s.byte_start]);
        out.push(' ');
        pos = s.byte_end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod json_tests {
    use super::*;

    #[test]
    fn floats_are_written_as_serde_writes_them() {
        for x in [0.0f32, -0.0, 1.0, 0.5, 0.001, 1e-9, f32::MIN_POSITIVE] {
            let mut direct = Vec::new();
            json_f32(&mut direct, x);
            assert_eq!(direct, serde_json::to_vec(&x).unwrap(), "{x}");
        }
    }

    #[test]
    fn write_json_matches_serde() {
        let engine = Engine::global();
        for (text, lang) in [
            (
                "The staff was lovely but I waited an hour!! 😡 call me +972 52-123-4567",
                None,
            ),
            ("ואני עוזב את החברה, \"שירות\" גרוע\t\u{1}", None),
            ("Είμαι πολύ απογοητευμένη \\ περίμενα δύο ώρες", Some("el")),
            ("", None),
            ("Bonjour, merci beaucoup", Some("fr-FR")),
        ] {
            let a = engine.analyze(text, lang);
            let mut direct = Vec::new();
            a.write_json(&mut direct);
            assert_eq!(direct, serde_json::to_vec(&a).unwrap(), "{text}");
        }
    }
}
