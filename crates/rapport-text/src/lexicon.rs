//! Sentiment lexicons: word and phrase valences per language, on VADER's −4..4 scale.

use rustc_hash::FxHashMap;

use crate::cues::Prepared;
use crate::error::TextError;
use crate::normalize::{
    greek_stem, normalize_word, prefix_stems, squeeze, tokenize, Script, TokenKind,
};

/// A lexicon for one language: single words, their stems (Greek) and multi-word phrases.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    words: FxHashMap<String, f32>,
    stems: FxHashMap<String, f32>,
    /// First word → (remaining words, valence), longest first.
    phrases: FxHashMap<String, Vec<(Vec<String>, f32)>>,
}

/// A lexicon hit: valence and how many words it spans.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub valence: f32,
    pub len: usize,
}

impl Lexicon {
    /// Parse `term<TAB>valence` lines (`#` comments allowed) on top of this lexicon; later
    /// entries override earlier ones, so a domain list can correct a general one.
    pub fn load(&mut self, source: &str) -> Result<(), TextError> {
        for (n, line) in source.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(term), Some(val)) = (cols.next(), cols.next()) else {
                return Err(TextError::InvalidLexicon {
                    line: n + 1,
                    reason: "expected term<TAB>valence".into(),
                });
            };
            let valence: f32 = val.trim().parse().map_err(|_| TextError::InvalidLexicon {
                line: n + 1,
                reason: format!("bad valence {val:?}"),
            })?;
            self.insert(term, valence);
        }
        Ok(())
    }

    /// Add or replace one term (a word or a phrase).
    pub fn insert(&mut self, term: &str, valence: f32) {
        let words: Vec<String> = tokenize(term)
            .into_iter()
            .filter(|t| {
                matches!(
                    t.kind,
                    TokenKind::Word | TokenKind::Number | TokenKind::Emoji
                )
            })
            .map(|t| t.norm)
            .collect();
        match words.len() {
            0 => {}
            1 => {
                let w = &words[0];
                if w.chars().next().map(crate::normalize::char_script) == Some(Script::Greek) {
                    self.stems.insert(greek_stem(w).to_string(), valence);
                }
                self.words.insert(w.clone(), valence);
            }
            _ => {
                let list = self.phrases.entry(words[0].clone()).or_default();
                list.retain(|(rest, _)| rest[..] != words[1..]);
                list.push((words[1..].to_vec(), valence));
                list.sort_by_key(|(rest, _)| std::cmp::Reverse(rest.len()));
            }
        }
    }

    pub fn len(&self) -> usize {
        self.words.len() + self.phrases.values().map(Vec::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Valence of one normalised word, trying Hebrew prefix stems, Greek stems and squeezed
    /// elongations.
    pub fn word(&self, norm: &str, script: Script) -> Option<f32> {
        if let Some(v) = self.words.get(norm) {
            return Some(*v);
        }
        match script {
            Script::Hebrew => {
                for s in prefix_stems(norm) {
                    if let Some(v) = self.words.get(s) {
                        return Some(*v);
                    }
                }
            }
            Script::Greek if norm.chars().count() > 4 => {
                if let Some(v) = self.stems.get(greek_stem(norm)) {
                    return Some(*v);
                }
            }
            _ => {}
        }
        // Squeezing changes the word only if it has a doubled letter.
        let doubled = if norm.is_ascii() {
            norm.as_bytes().windows(2).any(|p| p[0] == p[1])
        } else {
            let mut last = None;
            norm.chars().any(|c| {
                let d = Some(c) == last;
                last = Some(c);
                d
            })
        };
        if doubled {
            let sq = squeeze(norm);
            if sq != norm {
                return self.words.get(&sq).copied();
            }
        }
        None
    }

    /// The longest entry starting at word `wi` of `doc`.
    pub fn lookup(&self, doc: &Prepared, wi: usize) -> Option<Hit> {
        let tok = doc.word(wi);
        let stems = (tok.script == Script::Hebrew && !self.phrases.is_empty())
            .then(|| prefix_stems(&tok.norm))
            .into_iter()
            .flatten();
        for f in std::iter::once(tok.norm.as_str()).chain(stems) {
            if let Some(list) = self.phrases.get(f) {
                for (rest, v) in list {
                    let n = rest.len();
                    if wi + n < doc.words.len()
                        && rest.iter().enumerate().all(|(k, w)| {
                            let t = doc.word(wi + 1 + k);
                            t.norm == *w
                                || (t.script == Script::Greek
                                    && greek_stem(&t.norm) == greek_stem(w))
                        })
                    {
                        return Some(Hit {
                            valence: *v,
                            len: n + 1,
                        });
                    }
                }
            }
        }
        self.word(&tok.norm, tok.script)
            .map(|valence| Hit { valence, len: 1 })
    }
}

/// Normalise a lexicon term the way text is normalised (exposed for tools that build lists).
pub fn normalize_term(term: &str) -> String {
    normalize_word(term).0
}
