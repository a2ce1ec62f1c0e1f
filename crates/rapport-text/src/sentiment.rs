//! Rule-based sentiment in the spirit of VADER, extended to Hebrew and Greek: lexicon
//! valences adjusted for negation, intensifiers, contrast, concession, emphasis and emoji.
//! Its output is both a fallback (Greek, no model) and a feature of the learned models.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::cues::Prepared;
use crate::lexicon::Lexicon;
use crate::normalize::{Script, TokenKind};

/// Per-language lexicons.
#[derive(Debug, Clone, Default)]
pub struct Lexicons {
    pub en: Lexicon,
    pub he: Lexicon,
    pub el: Lexicon,
}

impl Lexicons {
    /// The lexicon for a word's script: mixed-language text is scored word by word.
    pub fn for_script(&self, script: Script) -> Option<&Lexicon> {
        match script {
            Script::Latin => Some(&self.en),
            Script::Hebrew => Some(&self.he),
            Script::Greek => Some(&self.el),
            _ => None,
        }
    }
}

/// What the rules found; every field is also a model feature.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleScore {
    /// VADER-style normalised sum in [-1, 1].
    pub compound: f32,
    /// Sum of positive and of negative (as a positive number) adjusted valences.
    pub pos: f32,
    pub neg: f32,
    /// Lexicon hits.
    pub hits: usize,
    pub negations: usize,
    pub contrast: bool,
    pub exclamations: usize,
    pub questions: usize,
    pub emoji_pos: f32,
    pub emoji_neg: f32,
    /// Per-word adjusted valence (0 where no hit), indexed like [`Prepared::words`].
    pub word_valence: Vec<f32>,
}

const NEGATION_SCALAR: f32 = -0.74;
const BOOST: f32 = 0.293;

/// The booster (positive) and dampener (negative) words and their normalised intensities.
pub(crate) fn booster_map() -> &'static FxHashMap<&'static str, f32> {
    const UP: &[&str] = &[
        "absolutely",
        "amazingly",
        "awfully",
        "completely",
        "considerably",
        "deeply",
        "enormously",
        "entirely",
        "especially",
        "exceptionally",
        "extremely",
        "fully",
        "greatly",
        "highly",
        "hugely",
        "incredibly",
        "intensely",
        "particularly",
        "quite",
        "really",
        "remarkably",
        "so",
        "such",
        "super",
        "thoroughly",
        "totally",
        "tremendously",
        "truly",
        "unbelievably",
        "utterly",
        "very",
        "most",
        "pretty",
        "way",
        "too",
        "seriously",
        "insanely",
        "ridiculously",
        "מאוד",
        "מאד",
        "ממש",
        "נורא",
        "סופר",
        "הכי",
        "ביותר",
        "במיוחד",
        "לגמרי",
        "לחלוטין",
        "בהחלט",
        "פשוט",
        "כך",
        "כזה",
        "כזאת",
        "מטורף",
        "יותר",
        "באמת",
        "ממשש",
        "πολυ",
        "παρα",
        "τοσο",
        "τελειωσ",
        "εντελωσ",
        "απιστευτα",
        "ιδιαιτερα",
        "εξαιρετικα",
        "υπερβολικα",
        "πιο",
        "πραγματικα",
        "τρομερα",
        "φοβερα",
        "απολυτα",
    ];
    const DOWN: &[&str] = &[
        "almost",
        "barely",
        "hardly",
        "slightly",
        "somewhat",
        "kinda",
        "sorta",
        "marginally",
        "partly",
        "little",
        "bit",
        "קצת",
        "די",
        "במקצת",
        "יחסית",
        "כמעט",
        "λιγο",
        "καπωσ",
        "σχετικα",
        "σχεδον",
    ];
    static MAP: OnceLock<FxHashMap<&'static str, f32>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut m = FxHashMap::default();
        // UP wins over DOWN, as in a linear search of UP first.
        for w in DOWN {
            m.insert(*w, -BOOST);
        }
        for w in UP {
            m.insert(*w, BOOST);
        }
        m
    })
}

/// Intensity of a booster (positive) or dampener (negative) word, normalised.
pub fn booster(word: &str) -> Option<f32> {
    booster_map().get(word).copied()
}

/// Contrast words: what follows outweighs what precedes ("lovely staff but I waited an hour").
pub fn is_contrast(word: &str) -> bool {
    matches!(
        word,
        "but" | "however" | "yet" | "אבל" | "ואבל" | "אך" | "אולם" | "αλλα" | "ομωσ" | "ωστοσο"
    )
}

/// Concessive words: the clause they open counts less ("although the staff was kind, …").
pub fn is_concessive(word: &str) -> bool {
    matches!(
        word,
        "although"
            | "though"
            | "despite"
            | "while"
            | "whilst"
            | "למרות"
            | "אמנם"
            | "παροτι"
            | "παρολο"
            | "μολονοτι"
            | "αν"
    )
}

/// Valence of an emoji on the −4..4 scale.
pub fn emoji_valence(e: &str) -> Option<f32> {
    emoji_char_valence(e.chars().next()?)
}

/// [`emoji_valence`] of one char.
fn emoji_char_valence(c: char) -> Option<f32> {
    let v = match c {
        '😀' | '😃' | '😄' | '😁' | '😊' | '☺' | '🙂' | '😍' | '🥰' | '😘' | '🤩' | '😻' => {
            2.4
        }
        '😆' | '😂' | '🤣' | '😅' | '😉' | '😎' | '🤗' | '😋' | '😇' => 1.6,
        '❤' | '💕' | '💖' | '💗' | '💙' | '💚' | '💛' | '💜' | '🧡' | '💯' | '🌹' | '💐' => {
            2.2
        }
        '👍' | '👌' | '👏' | '🙌' | '🎉' | '🥳' | '✨' | '⭐' | '🌟' | '🔥' | '✅' | '💪'
        | '🏆' | '🙏' => 1.8,
        '😐' | '😑' | '🤔' | '😶' | '🙄' | '😬' => -0.6,
        '😕' | '🙁' | '☹' | '😟' | '😔' | '😞' | '😒' | '😓' | '😩' | '😫' | '😖' | '😣' | '🥺' => {
            -1.8
        }
        '😢' | '😭' | '💔' | '😿' => -2.2,
        '😠' | '😡' | '🤬' | '👎' | '💩' | '🤮' | '🤢' | '😤' | '❌' | '⛔' | '🚫' => {
            -2.4
        }
        '😱' | '😨' | '😰' | '😧' | '😦' => -1.6,
        _ => return None,
    };
    Some(v)
}

/// Score a prepared text with the lexicons and rules.
pub fn score(doc: &Prepared, lex: &Lexicons) -> RuleScore {
    let n = doc.words.len();
    let mut val = vec![0f32; n];
    let mut out = RuleScore::default();
    // Clause boundaries: a word index where a new clause begins (after , . ! ? ; or a contrast).
    let mut clause_start = vec![0usize; n];
    let mut last_contrast: Option<usize> = None;
    {
        let mut cs = 0;
        let mut wi = 0;
        for (ti, t) in doc.tokens.iter().enumerate() {
            if wi < n && doc.words[wi] == ti {
                if is_contrast(doc.norm(t)) {
                    cs = wi + 1;
                    last_contrast = Some(wi);
                }
                clause_start[wi] = cs;
                wi += 1;
            } else if t.kind == TokenKind::Punct {
                match t.ch {
                    '!' => out.exclamations += 1,
                    '?' => out.questions += 1,
                    _ => {}
                }
                if !matches!(t.ch, '-' | '(' | ')') {
                    cs = wi;
                }
            } else if t.kind == TokenKind::Emoji {
                if let Some(v) = emoji_char_valence(t.ch) {
                    if v > 0.0 {
                        out.emoji_pos += v;
                    } else {
                        out.emoji_neg -= v;
                    }
                }
            }
        }
    }
    let all_caps_text = doc
        .words
        .iter()
        .all(|&i| doc.tokens[i].shouting || doc.tokens[i].script != Script::Latin);
    let mut wi = 0;
    while wi < n {
        let tok = doc.word(wi);
        if tok.negator
            && lex
                .for_script(tok.script)
                .and_then(|l| l.lookup(doc, wi))
                .is_none_or(|h| h.len == 1)
        {
            out.negations += 1;
            wi += 1;
            continue;
        }
        if doc.facts(wi).booster.is_some() {
            wi += 1;
            continue;
        }
        let Some(hit) = lex.for_script(tok.script).and_then(|l| l.lookup(doc, wi)) else {
            wi += 1;
            continue;
        };
        let mut v = hit.valence;
        if v != 0.0 {
            // Intensifiers in the three words before, decaying with distance.
            for (k, j) in (clause_start[wi]..wi).rev().take(3).enumerate() {
                if let Some(b) = doc.facts(j).booster {
                    let b = b * [1.0, 0.95, 0.9][k];
                    v += if v > 0.0 { b } else { -b };
                }
            }
            if (tok.elongated || (tok.shouting && !all_caps_text)) && v.abs() > 0.0 {
                v += if v > 0.0 { 0.733 } else { -0.733 };
            }
            // Negation within the clause, up to three words back.
            if (clause_start[wi]..wi)
                .rev()
                .take(3)
                .any(|j| doc.word(j).negator)
            {
                v *= NEGATION_SCALAR;
            }
        }
        val[wi] = v;
        out.hits += 1;
        wi += hit.len;
    }
    // Contrast: the part after the last "but" dominates.
    if let Some(c) = last_contrast {
        out.contrast = true;
        for (i, v) in val.iter_mut().enumerate() {
            *v *= if i < c { 0.5 } else { 1.5 };
        }
    }
    // Concession: the clause opened by "although"/"למרות" counts half.
    for i in 0..n {
        if is_concessive(doc.word_norm(i)) {
            let cs = clause_start[i];
            let mut j = i + 1;
            while j < n && clause_start[j] == cs {
                val[j] *= 0.5;
                j += 1;
            }
        }
    }
    let mut sum = 0.0;
    for v in &val {
        if *v > 0.0 {
            out.pos += v;
        } else {
            out.neg -= v;
        }
        sum += v;
    }
    sum += out.emoji_pos - out.emoji_neg;
    if sum != 0.0 {
        let amp = (out.exclamations.min(4) as f32) * 0.292;
        sum += if sum > 0.0 { amp } else { -amp };
    }
    out.compound = sum / (sum * sum + 15.0).sqrt();
    out.word_valence = val;
    out
}

/// Fold service-specific evidence into the rule score: effort, churn, escalation and policy
/// deflection are
/// negative experiences even when no sentiment word is used ("I had to call three times"),
/// and so are anger, frustration, disappointment and worry; gratitude and delight are
/// positive. Cue sums are in [`crate::EMOTIONS`] / [`crate::SIGNALS`] order.
pub fn add_cx_evidence(r: &mut RuleScore, emo: &[f32; 7], sig: &[f32; 4]) {
    let neg = 1.2 * (emo[0] + emo[1] + emo[2]).min(2.0)
        + 0.6 * emo[3].min(1.5)
        + 1.5 * sig[0].min(2.0)
        + 2.0 * sig[1].min(1.5)
        + 1.5 * sig[2].min(1.5);
    let pos = 1.2 * (emo[5] + emo[6]).min(2.5);
    if neg == 0.0 && pos == 0.0 {
        return;
    }
    // Undo the normalisation, add, and normalise again.
    let c = r.compound.clamp(-0.999, 0.999);
    let sum = c * (15.0 / (1.0 - c * c)).sqrt() + pos - neg;
    r.pos += pos;
    r.neg += neg;
    r.compound = sum / (sum * sum + 15.0).sqrt();
}
