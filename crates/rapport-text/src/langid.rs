//! Language identification for the languages we analyse (en, he, el).
//!
//! Hebrew and Greek are told by their scripts. Latin-script text is English only if English
//! function or sentiment words outweigh those of other common Latin-script languages; anything
//! else is `und`, because a wrong language would give a confidently wrong sentiment.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::cues::Prepared;
use crate::lexicon::Lexicon;
use crate::normalize::{char_script, Script, TokenKind};

/// A detected language: ISO 639-1 code (or `und`) and a confidence in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    pub code: &'static str,
    pub confidence: f32,
}

const EN: &[&str] = &[
    "the", "a", "an", "and", "or", "but", "is", "are", "was", "were", "be", "been", "being", "i",
    "im", "you", "he", "she", "it", "its", "we", "they", "me", "my", "your", "our", "their",
    "this", "that", "these", "those", "to", "of", "in", "on", "at", "for", "with", "from", "by",
    "about", "as", "not", "no", "do", "does", "did", "dont", "didnt", "have", "has", "had", "will",
    "would", "can", "could", "should", "very", "so", "just", "what", "when", "why", "how", "who",
    "there", "here", "all", "again", "still", "after", "before", "get", "got", "service", "order",
    "call", "called", "time", "hour", "hours", "day", "days", "week", "staff", "customer", "agent",
    "help", "please", "thanks", "thank", "if", "then", "than", "too", "up", "out", "any", "some",
    "one", "two", "three", "been", "never", "ever", "only", "really", "more", "much", "also",
    "because", "which", "wait", "waited", "refund", "delivery", "app", "price", "account", "money",
    "back", "phone", "email", "is", "am", "cant", "wont", "im", "ive", "youre", "theyre", "us",
    "them", "him", "her", "his", "hers",
];

/// Common words of other Latin-script languages (fr, es, de, it, pt, nl, tr, id, pl), to avoid
/// calling them English.
const OTHER: &[&str] = &[
    "le", "la", "les", "des", "est", "et", "une", "un", "du", "pour", "pas", "que", "qui", "avec",
    "dans", "sur", "je", "vous", "nous", "mais", "tres", "el", "los", "las", "es", "y", "por",
    "con", "para", "una", "muy", "pero", "del", "lo", "se", "su", "como", "mas", "der", "die",
    "das", "und", "ist", "nicht", "ich", "sie", "mit", "ein", "eine", "auf", "fur", "sehr", "aber",
    "il", "di", "che", "non", "per", "sono", "della", "molto", "ma", "gli", "o", "os", "as", "nao",
    "um", "uma", "com", "voce", "de", "het", "een", "niet", "zijn", "van", "ik", "wel", "bir",
    "ve", "bu", "cok", "ama", "yang", "dan", "tidak", "ini", "itu", "nie", "jest", "sie", "na",
    "w", "z", "och", "att", "och", "ikke", "og", "er", "det", "en", "som", "zu", "den", "im", "al",
    "ne", "ca", "si",
];

/// The words of [`EN`] and [`OTHER`].
pub(crate) fn listed_words() -> impl Iterator<Item = &'static str> {
    EN.iter().chain(OTHER).copied()
}

/// Whether a word is in [`EN`] and whether it is in [`OTHER`], in one lookup.
pub(crate) fn word_lists(w: &str) -> (bool, bool) {
    static MAP: OnceLock<FxHashMap<&'static str, (bool, bool)>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut m: FxHashMap<&'static str, (bool, bool)> = FxHashMap::default();
        for w in EN {
            m.entry(w).or_default().0 = true;
        }
        for w in OTHER {
            m.entry(w).or_default().1 = true;
        }
        m
    })
    .get(w)
    .copied()
    .unwrap_or_default()
}

/// Number of alphabetic chars in a word (ASCII fast path). The tokeniser counts them as it
/// normalises ([`crate::normalize::Tok`]); this is the reference its count is tested against.
#[cfg(test)]
pub(crate) fn alphabetic_chars(w: &str) -> usize {
    if w.is_ascii() {
        w.bytes().filter(u8::is_ascii_alphabetic).count()
    } else {
        w.chars()
            .filter(|c| crate::normalize::is_alphabetic(*c))
            .count()
    }
}

/// Detect the language of a prepared text. `en_lexicon` supplies extra evidence for English.
pub fn detect(doc: &Prepared, en_lexicon: &Lexicon) -> Detected {
    let (mut he, mut el, mut latin, mut other) = (0usize, 0usize, 0usize, 0usize);
    for wi in 0..doc.words.len() {
        let t = doc.word(wi);
        if t.kind != TokenKind::Word {
            continue;
        }
        let norm = doc.norm(t);
        let n = doc.facts(wi).alphabetic as usize;
        match t.script {
            Script::Hebrew => he += n,
            Script::Greek => el += n,
            Script::Latin => latin += n,
            Script::Other => other += n,
            Script::None => {
                for c in norm.chars() {
                    match char_script(c) {
                        Script::Hebrew => he += 1,
                        Script::Greek => el += 1,
                        Script::Latin => latin += 1,
                        Script::Other => other += 1,
                        Script::None => {}
                    }
                }
            }
        }
    }
    let total = he + el + latin + other;
    if total == 0 {
        return Detected {
            code: "und",
            confidence: 0.0,
        };
    }
    let share = |x: usize| x as f32 / total as f32;
    let top = he.max(el).max(latin).max(other);
    // Saturates with length: a two-letter text is weak evidence.
    let length_factor = 1.0 - (-(total as f32) / 6.0).exp();
    if top == he {
        return Detected {
            code: "he",
            confidence: (share(he) * (0.5 + 0.5 * length_factor)).min(0.99),
        };
    }
    if top == el {
        return Detected {
            code: "el",
            confidence: (share(el) * (0.5 + 0.5 * length_factor)).min(0.99),
        };
    }
    if top == other {
        return Detected {
            code: "und",
            confidence: share(other),
        };
    }
    // Latin script: English or another language?
    let mut en_score = 0.0f32;
    let mut other_score = 0.0f32;
    let mut words = 0.0f32;
    let mut accented = 0usize;
    for wi in 0..doc.words.len() {
        let t = doc.word(wi);
        if t.kind != TokenKind::Word || t.script != Script::Latin {
            continue;
        }
        words += 1.0;
        let w = doc.norm(t);
        if !w.is_ascii() {
            accented += w.chars().filter(|c| !c.is_ascii()).count();
        }
        let (is_en, is_other) = doc.facts(wi).langid_lists;
        if is_en {
            en_score += 1.0;
        } else if en_lexicon.word(w, Script::Latin).is_some_and(|v| v != 0.0) {
            en_score += 0.7;
        }
        if is_other {
            other_score += if is_en { 0.5 } else { 1.0 };
        }
    }
    other_score += accented as f32 * 0.5;
    if en_score <= 0.0 || en_score <= other_score {
        return Detected {
            code: "und",
            confidence: 0.5,
        };
    }
    let margin = (en_score - other_score) / (en_score + other_score);
    let coverage = (en_score / words.max(1.0)).min(1.0);
    let conf = share(latin) * (0.45 + 0.3 * margin + 0.25 * coverage) * (0.6 + 0.4 * length_factor);
    Detected {
        code: "en",
        confidence: conf.clamp(0.05, 0.99),
    }
}
