//! Sentiment lexicons: word and phrase valences per language, on VADER's −4..4 scale.

use rustc_hash::FxHashMap;

use crate::cues::{filter_has, filter_set, str_filter_bit, Prepared};
use crate::error::TextError;
use crate::normalize::{
    greek_stem, normalize_word, plain_word_norm, prefix_stems, squeeze, tokenize, Script, Tok,
    TokenKind,
};

/// A lexicon for one language: single words, their stems (Greek) and multi-word phrases.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    /// Normalised word → its valence as a single word and the phrases it starts, so that one
    /// lookup serves both.
    entries: FxHashMap<String, Entry>,
    /// A bit filter of the keys of `entries` (see [`crate::cues`]): most words of a text are
    /// in no lexicon, and a clear bit says so without a hash lookup. The word's bit (and its
    /// Hebrew prefix stems') is computed once in [`Prepared`].
    filter: Vec<u64>,
    stems: FxHashMap<String, f32>,
    words: usize,
    phrases: usize,
}

#[derive(Debug, Clone, Default)]
struct Entry {
    word: Option<f32>,
    /// Phrases starting with this word, longest first.
    phrases: Vec<Phrase>,
}

#[derive(Debug, Clone)]
struct Phrase {
    /// The words after the first one, and their Greek stems.
    rest: Vec<String>,
    rest_stems: Vec<String>,
    valence: f32,
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
        let words: Vec<String> = match plain_word_norm(term) {
            Some(w) => vec![w],
            None => tokenize(term)
                .into_iter()
                .filter(|t| {
                    matches!(
                        t.kind,
                        TokenKind::Word | TokenKind::Number | TokenKind::Emoji
                    )
                })
                .map(|t| t.norm)
                .collect(),
        };
        match words.len() {
            0 => {}
            1 => {
                let w = &words[0];
                if w.chars().next().map(crate::normalize::char_script) == Some(Script::Greek) {
                    self.stems.insert(greek_stem(w).to_string(), valence);
                }
                filter_set(&mut self.filter, str_filter_bit(w));
                let e = self.entries.entry(w.clone()).or_default();
                if e.word.is_none() {
                    self.words += 1;
                }
                e.word = Some(valence);
            }
            _ => {
                filter_set(&mut self.filter, str_filter_bit(&words[0]));
                let list = &mut self.entries.entry(words[0].clone()).or_default().phrases;
                let before = list.len();
                list.retain(|p| p.rest[..] != words[1..]);
                list.push(Phrase {
                    rest: words[1..].to_vec(),
                    rest_stems: words[1..]
                        .iter()
                        .map(|w| greek_stem(w).to_string())
                        .collect(),
                    valence,
                });
                list.sort_by_key(|p| std::cmp::Reverse(p.rest.len()));
                self.phrases += list.len() - before;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.words + self.phrases
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Valence of one normalised word, trying Hebrew prefix stems, Greek stems and squeezed
    /// elongations.
    pub fn word(&self, norm: &str, script: Script) -> Option<f32> {
        let greek_stem =
            (script == Script::Greek && norm.chars().count() > 4).then(|| greek_stem(norm));
        self.word_with(self.entries.get(norm), norm, script, greek_stem)
    }

    /// [`Lexicon::word`] given the word's entry and its Greek stem (for a Greek word of more
    /// than four chars).
    fn word_with(
        &self,
        entry: Option<&Entry>,
        norm: &str,
        script: Script,
        greek_stem: Option<&str>,
    ) -> Option<f32> {
        if let Some(v) = entry.and_then(|e| e.word) {
            return Some(v);
        }
        match script {
            Script::Hebrew => {
                for s in prefix_stems(norm) {
                    if let Some(v) = self.entries.get(s).and_then(|e| e.word) {
                        return Some(v);
                    }
                }
            }
            Script::Greek => {
                if let Some(v) = greek_stem.and_then(|s| self.stems.get(s)) {
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
            if norm.len() <= 64 && norm.is_ascii() {
                // Squeeze an ASCII word on the stack.
                let mut buf = [0u8; 64];
                let mut n = 0;
                for &b in norm.as_bytes() {
                    if n == 0 || buf[n - 1] != b {
                        buf[n] = b;
                        n += 1;
                    }
                }
                let sq = std::str::from_utf8(&buf[..n]).unwrap_or_default();
                if sq != norm {
                    return self.entries.get(sq).and_then(|e| e.word);
                }
                return None;
            }
            let sq = squeeze(norm);
            if sq != norm {
                return self.entries.get(&sq).and_then(|e| e.word);
            }
        }
        None
    }

    /// Whether the phrase `p` continues at word `wi + 1` of `doc`.
    fn phrase_matches(p: &Phrase, doc: &Prepared, wi: usize) -> bool {
        let n = p.rest.len();
        wi + n < doc.words.len()
            && p.rest
                .iter()
                .zip(&p.rest_stems)
                .enumerate()
                .all(|(k, (w, ws))| {
                    let t: &Tok = doc.word(wi + 1 + k);
                    doc.norm(t) == w || (t.script == Script::Greek && doc.stem(t) == ws)
                })
    }

    /// The entry of a word or stem whose [`str_filter_bit`] is `bit`.
    #[inline]
    fn entry_with_bit(&self, w: &str, bit: usize) -> Option<&Entry> {
        if filter_has(&self.filter, bit) {
            self.entries.get(w)
        } else {
            None
        }
    }

    /// The longest entry starting at word `wi` of `doc`.
    pub fn lookup(&self, doc: &Prepared, wi: usize) -> Option<Hit> {
        let tok = doc.word(wi);
        let norm = doc.norm(tok);
        let keys = doc.keys(wi);
        let (_, bit) = keys.form(norm, 0);
        let entry = self.entry_with_bit(norm, bit);
        let phrase_hit = |e: &Entry| {
            e.phrases
                .iter()
                .find(|p| Self::phrase_matches(p, doc, wi))
                .map(|p| Hit {
                    valence: p.valence,
                    len: p.rest.len() + 1,
                })
        };
        if let Some(h) = entry.and_then(phrase_hit) {
            return Some(h);
        }
        if tok.script == Script::Hebrew {
            // Each prefix stem's entry, looked up once for its phrases and its word.
            // (The keys of a Hebrew word hold its prefix stems.)
            let mut stems: [Option<&Entry>; 3] = [None; 3];
            for (k, stem) in stems.iter_mut().enumerate().take(keys.form_count() - 1) {
                let (s, bit) = keys.form(norm, k + 1);
                let e = self.entry_with_bit(s, bit);
                if let Some(h) = e.and_then(phrase_hit) {
                    return Some(h);
                }
                *stem = e;
            }
            if let Some(v) = entry.and_then(|e| e.word) {
                return Some(Hit { valence: v, len: 1 });
            }
            if let Some(v) = stems.iter().flatten().find_map(|e| e.word) {
                return Some(Hit { valence: v, len: 1 });
            }
            // As `word_with` goes on after the stems: only the squeezed form is left.
            return self
                .word_with(None, norm, Script::None, None)
                .map(|valence| Hit { valence, len: 1 });
        }
        let greek_stem = (tok.script == Script::Greek && tok.chars > 4).then(|| doc.stem(tok));
        self.word_with(entry, norm, tok.script, greek_stem)
            .map(|valence| Hit { valence, len: 1 })
    }
}

/// Normalise a lexicon term the way text is normalised (exposed for tools that build lists).
pub fn normalize_term(term: &str) -> String {
    normalize_word(term).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_passes_the_filter() {
        let engine = crate::Engine::global();
        let lexicons = engine.lexicons();
        for lex in [&lexicons.en, &lexicons.he, &lexicons.el] {
            assert!(lex.entries.len() > 100);
            for (w, e) in &lex.entries {
                assert!(filter_has(&lex.filter, str_filter_bit(w)), "{w}");
                // A text of the word alone finds its entry (as a word, or a phrase's start).
                let doc = Prepared::new(w);
                if doc.words.len() == 1 && doc.word_norm(0) == w && e.word.is_some() {
                    assert_eq!(
                        lex.entry_with_bit(w, doc.keys(0).form(w, 0).1)
                            .and_then(|e| e.word),
                        e.word,
                        "{w}"
                    );
                }
            }
        }
    }
}
