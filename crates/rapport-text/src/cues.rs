//! Phrase cues: editable lists of words and phrases per language, matched on normalised
//! tokens with Hebrew prefix stripping and Greek ending folding.
//!
//! Emotions, signals and topics are all cue lists, and conversation QA can build its own
//! with [`CueSet::parse`]. The format is one cue per line, tab-separated:
//!
//! ```text
//! # label   lang  weight  pattern
//! churn     en    0.9     cancel* my * account
//! churn     he    0.9     אני עוזב
//! ```
//!
//! `lang` is `en`, `he`, `el` or `*` (any). In a pattern, `word*` matches any word starting
//! with `word`, and a lone `*` skips zero to three words. Patterns are normalised like the
//! text (case, niqqud, accents, final sigma), so write them however is natural. Hebrew words
//! also match with attached prefixes (ו ה ב ל מ ש כ); Greek words match other inflections.

use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::TextError;
use crate::normalize::{
    char_script, greek_stem, normalize_word, plain_word_norm, prefix_stems, tokenize,
    tokenize_into, Script, Tok, TokenKind,
};

/// One element of a cue pattern.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// A word and its Greek stem.
    Exact(String, String),
    Prefix(String),
    Gap,
}

/// A cue: a labelled, weighted pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    pub label: String,
    /// `en`, `he`, `el`, or `*`.
    pub lang: String,
    pub weight: f32,
    /// The pattern as written.
    pub pattern: String,
    parts: Vec<Part>,
}

/// Where a cue matched: token indices into [`Prepared::words`] (end exclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct CueMatch<'a> {
    pub cue: &'a Cue,
    pub first_word: usize,
    pub end_word: usize,
    /// A negator ("not", "לא", "δεν", …) stands within the three words before the match.
    pub negated: bool,
}

/// A text tokenised once and shared by every analysis step.
#[derive(Debug, Clone)]
pub struct Prepared<'t> {
    /// The text the tokens point into.
    pub text: &'t str,
    /// The normalised forms of all tokens, each followed by a space.
    norms: String,
    pub tokens: Vec<Tok>,
    /// Indices into `tokens` of the word and number tokens, in order.
    pub words: Vec<usize>,
    /// The facts of each word (see [`WordFacts`]), indexed like `words`.
    facts: Vec<WordFacts>,
}

/// The cue-index keys of a word and of its Hebrew prefix stems (its "forms"): they depend on
/// the word only, not on the cue set.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WordKeys {
    /// Forms: the word itself, then its Hebrew prefix stems (for a Hebrew word).
    forms: u8,
    /// Byte offset of each form in the word's normalised form.
    offset: [u8; 4],
    /// [`str_filter_bit`] of each form.
    word_bit: [u16; 4],
    /// [`first_two_chars_key`] of each form and its [`int_filter_bit`].
    prefix_key: [u64; 4],
    prefix_bit: [u16; 4],
    /// [`str_filter_bit`] of the Greek stem, for a Greek word of more than four chars.
    greek_bit: Option<u16>,
}

/// What the analysis passes look up per word and that depends on the word alone (its
/// normalised form and script), looked up once per word of a text in [`Prepared::new`]
/// instead of once per pass. (A per-thread memo of these across texts saved instructions but
/// cost more CPU time in cache misses and memo upkeep than it saved.)
#[derive(Debug, Clone, Copy)]
pub(crate) struct WordFacts {
    negator: bool,
    stop: bool,
    keys: WordKeys,
    /// Alphabetic chars of the normalised form (language identification).
    pub(crate) alphabetic: u32,
    /// Whether the word is in the English and in the other-languages word list of
    /// [`crate::langid`].
    pub(crate) langid_lists: (bool, bool),
    /// [`crate::sentiment::booster`] of the word.
    pub(crate) booster: Option<f32>,
}

impl WordFacts {
    /// The facts of a word token whose normalised form is `norm` and Greek stem `stem` (see
    /// [`Prepared::stem`]).
    ///
    /// Each fact is looked up only for the tokens its pass reads it for (else it is left
    /// false or empty): the negator and stopword flags and the alphabetic count for words, the
    /// stopword flag only for keyword candidates (see [`crate::keywords`]), the language-id
    /// lists only for Latin-script words.
    fn new(norm: &str, stem: &str, tok: &Tok) -> Self {
        let word = tok.kind == TokenKind::Word;
        let latin = tok.script == Script::Latin;
        let keyword_candidate =
            word && tok.script != Script::None && tok.chars >= 2 && !(latin && tok.chars < 3);
        let keys = WordKeys::new(norm, stem, tok);
        let bit = small_filter_bit(keys.word_bit[0]);
        let maybe_negator_or_booster = small_filter_has(negator_booster_filter(), bit);
        WordFacts {
            negator: word && maybe_negator_or_booster && is_negator(norm),
            stop: keyword_candidate && crate::keywords::is_stopword_with_keys(norm, &keys),
            keys,
            // Counted by the tokeniser as it wrote the normalised form.
            alphabetic: if word { tok.alphabetic } else { 0 },
            langid_lists: if word && latin && small_filter_has(langid_filter(), bit) {
                crate::langid::word_lists(norm)
            } else {
                (false, false)
            },
            booster: if maybe_negator_or_booster {
                crate::sentiment::booster(norm)
            } else {
                None
            },
        }
    }
}

impl WordKeys {
    /// The number of forms: the word, then its Hebrew prefix stems.
    pub(crate) fn form_count(&self) -> usize {
        self.forms as usize
    }

    /// Form `f` of the word `norm` these are the keys of, and its [`str_filter_bit`].
    pub(crate) fn form<'w>(&self, norm: &'w str, f: usize) -> (&'w str, usize) {
        (
            &norm[self.offset[f] as usize..],
            usize::from(self.word_bit[f]),
        )
    }

    fn new(norm: &str, stem: &str, tok: &Tok) -> Self {
        let mut k = WordKeys::default();
        let set = |k: &mut WordKeys, w: &str| {
            let f = k.forms as usize;
            k.offset[f] = (norm.len() - w.len()) as u8;
            let (bit, key) = filter_bit_and_prefix_key(w);
            k.word_bit[f] = bit as u16;
            k.prefix_key[f] = key;
            k.prefix_bit[f] = int_filter_bit(key) as u16;
            k.forms += 1;
        };
        set(&mut k, norm);
        if tok.script == Script::Hebrew {
            for s in prefix_stems(norm) {
                set(&mut k, s);
            }
        }
        if tok.script == Script::Greek && tok.chars > 4 {
            k.greek_bit = Some(str_filter_bit(stem) as u16);
        }
        k
    }
}

/// Buffers of dropped [`Prepared`] texts, reused by the next ones on the same thread.
type Buffers = (String, Vec<Tok>, Vec<usize>, Vec<WordFacts>);

thread_local! {
    static POOL: std::cell::RefCell<Vec<Buffers>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// At most this many buffer sets are kept per thread, and only those of texts up to
/// [`POOL_MAX_BYTES`] (a huge text's buffers are freed).
const POOL_LEN: usize = 4;
const POOL_MAX_BYTES: usize = 1 << 16;

impl Drop for Prepared<'_> {
    fn drop(&mut self) {
        if self.norms.capacity() > POOL_MAX_BYTES || self.tokens.capacity() > POOL_MAX_BYTES / 8 {
            return;
        }
        let bufs = (
            std::mem::take(&mut self.norms),
            std::mem::take(&mut self.tokens),
            std::mem::take(&mut self.words),
            std::mem::take(&mut self.facts),
        );
        // `try_with`: nothing to keep once the thread is shutting down.
        let _ = POOL.try_with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                if p.len() < POOL_LEN {
                    p.push(bufs);
                }
            }
        });
    }
}

impl<'t> Prepared<'t> {
    pub fn new(text: &'t str) -> Self {
        let (mut norms, mut tokens, mut words, mut facts) = POOL
            .try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.pop()))
            .ok()
            .flatten()
            .unwrap_or_default();
        norms.clear();
        tokens.clear();
        norms.reserve(text.len() + 16);
        tokens.reserve(text.len() / 4 + 4);
        tokenize_into(text, &mut norms, &mut tokens);
        words.clear();
        facts.clear();
        for (i, t) in tokens.iter_mut().enumerate() {
            if !matches!(t.kind, TokenKind::Word | TokenKind::Number) {
                continue;
            }
            words.push(i);
            let norm = &norms[t.norm_start as usize..t.norm_end as usize];
            let stem = &norms[t.norm_start as usize..t.stem_end as usize];
            let f = WordFacts::new(norm, stem, t);
            t.negator = f.negator;
            t.stop = f.stop;
            facts.push(f);
        }
        Prepared {
            text,
            norms,
            tokens,
            words,
            facts,
        }
    }

    /// The `i`-th word token.
    #[inline]
    pub fn word(&self, i: usize) -> &Tok {
        &self.tokens[self.words[i]]
    }

    /// The normalised form of a token (see [`normalize_word`]); for punctuation and emoji,
    /// the char itself.
    #[inline]
    pub fn norm(&self, t: &Tok) -> &str {
        &self.norms[t.norm_start as usize..t.norm_end as usize]
    }

    /// The facts of the `i`-th word token.
    #[inline]
    pub(crate) fn facts(&self, i: usize) -> &WordFacts {
        &self.facts[i]
    }

    /// Byte offsets in the `i`-th word's normalised form of its Hebrew prefix stems (see
    /// [`prefix_stems`]; none unless the word is Hebrew), found once in [`Prepared::new`].
    #[inline]
    pub(crate) fn stem_offsets(&self, i: usize) -> &[u8] {
        let k = &self.facts[i].keys;
        &k.offset[1..k.forms as usize]
    }

    /// The cue-index keys of the `i`-th word: its forms and their filter bits.
    #[inline]
    pub(crate) fn keys(&self, i: usize) -> &WordKeys {
        &self.facts[i].keys
    }

    /// The normalised form of the `i`-th word token.
    #[inline]
    pub fn word_norm(&self, i: usize) -> &str {
        self.norm(self.word(i))
    }

    /// [`greek_stem`] of a token's normalised form (the form itself unless it is a Greek word
    /// of more than four chars).
    #[inline]
    pub fn stem(&self, t: &Tok) -> &str {
        &self.norms[t.norm_start as usize..t.stem_end as usize]
    }

    /// The normalised forms of tokens `first..=last` joined by spaces (meaningful for
    /// adjacent tokens).
    #[inline]
    pub(crate) fn span_norm(&self, first: &Tok, last: &Tok) -> &str {
        &self.norms[first.norm_start as usize..last.norm_end as usize]
    }
}

/// Words that negate what follows, per language (normalised forms).
pub fn is_negator(word: &str) -> bool {
    negators().contains(word)
}

fn negators() -> &'static FxHashSet<&'static str> {
    const NEG: &[&str] = &[
        // en
        "not",
        "no",
        "never",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "cant",
        "cannot",
        "couldnt",
        "wont",
        "wouldnt",
        "shouldnt",
        "havent",
        "hasnt",
        "hadnt",
        "aint",
        "nobody",
        "nothing",
        "nor",
        "neither",
        "without",
        "hardly",
        "barely",
        "nt",
        // he
        "לא",
        "אין",
        "אינו",
        "אינה",
        "אינם",
        "איני",
        "אינני",
        "בלי",
        "ללא",
        "מעולם",
        "אף",
        "שום",
        "ולא",
        "שלא",
        "כשלא",
        "אבללא",
        "ואין",
        "שאין",
        "בכלל",
        // el
        "δεν",
        "μην",
        "μη",
        "ουτε",
        "ποτε",
        "οχι",
        "χωρισ",
        "κανενα",
        "κανεισ",
        "καμια",
        "τιποτα",
    ];
    static SET: OnceLock<FxHashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| NEG.iter().copied().collect())
}

/// Bits of the small filter of [`negator_booster_filter`].
const SMALL_FILTER_BITS: u32 = 12;

/// A bit filter of the negators and the booster words, indexed by the low
/// [`SMALL_FILTER_BITS`] bits of [`str_filter_bit`]: most words are neither, and a clear bit
/// says so without two hash lookups (the word's filter bit is computed once for the cue index).
fn negator_booster_filter() -> &'static [u64; 1 << (SMALL_FILTER_BITS - 6)] {
    static FILTER: OnceLock<[u64; 1 << (SMALL_FILTER_BITS - 6)]> = OnceLock::new();
    FILTER.get_or_init(|| {
        let mut f = [0u64; 1 << (SMALL_FILTER_BITS - 6)];
        for w in negators()
            .iter()
            .chain(crate::sentiment::booster_map().keys())
        {
            let bit = small_filter_bit(str_filter_bit(w) as u16);
            f[bit >> 6] |= 1 << (bit & 63);
        }
        f
    })
}

/// A bit filter like [`negator_booster_filter`] of the language-identification word lists
/// ([`crate::langid::word_lists`]).
fn langid_filter() -> &'static [u64; 1 << (SMALL_FILTER_BITS - 6)] {
    static FILTER: OnceLock<[u64; 1 << (SMALL_FILTER_BITS - 6)]> = OnceLock::new();
    FILTER.get_or_init(|| {
        let mut f = [0u64; 1 << (SMALL_FILTER_BITS - 6)];
        for w in crate::langid::listed_words() {
            let bit = small_filter_bit(str_filter_bit(w) as u16);
            f[bit >> 6] |= 1 << (bit & 63);
        }
        f
    })
}

#[inline]
fn small_filter_has(filter: &[u64; 1 << (SMALL_FILTER_BITS - 6)], bit: usize) -> bool {
    filter[bit >> 6] >> (bit & 63) & 1 != 0
}

#[inline]
fn small_filter_bit(word_bit: u16) -> usize {
    usize::from(word_bit) & ((1 << SMALL_FILTER_BITS) - 1)
}

fn part_matches(part: &Part, doc: &Prepared, tok: &Tok) -> bool {
    let norm = doc.norm(tok);
    let hebrew = tok.script == Script::Hebrew;
    match part {
        Part::Exact(p, stem) => {
            norm == p
                || (tok.script == Script::Greek && tok.chars > 4 && doc.stem(tok) == stem)
                || (hebrew && prefix_stems(norm).any(|s| s == p))
        }
        Part::Prefix(p) => {
            norm.starts_with(p.as_str())
                || (hebrew && prefix_stems(norm).any(|s| s.starts_with(p.as_str())))
        }
        Part::Gap => true,
    }
}

/// A set of cues with an index for fast matching.
#[derive(Debug, Clone, Default)]
pub struct CueSet {
    cues: Vec<Cue>,
    /// First word (exact) → cue indices.
    by_word: FxHashMap<String, Vec<usize>>,
    /// First two letters of a first-word prefix pattern → cue indices.
    by_prefix: FxHashMap<u64, Vec<usize>>,
    /// Greek stem of a first word longer than four letters → cue indices.
    by_greek_stem: FxHashMap<String, Vec<usize>>,
    /// Bit filters of the keys of `by_word` and `by_greek_stem` (strings) and of `by_prefix`
    /// (integers), [`FILTER_BITS`] each: most words start no cue, and a clear bit says so
    /// without a hash lookup. Empty while no cue is indexed.
    word_filter: Vec<u64>,
    prefix_filter: Vec<u64>,
}

/// Bits per key filter (8 KiB each).
pub(crate) const FILTER_BITS: u32 = 16;

/// The filter bit of a string key: from its length and first and last four bytes.
#[inline]
pub(crate) fn str_filter_bit(w: &str) -> usize {
    let b = w.as_bytes();
    let (first, last) = first_and_last_four(b);
    filter_bit_of(first, last, b.len())
}

/// The first and the last four bytes of `b`, each zero-padded to four (read without a
/// `memcpy`).
#[inline]
fn first_and_last_four(b: &[u8]) -> (u32, u32) {
    match *b {
        [b0, b1, b2, b3, ..] => {
            let &[.., e0, e1, e2, e3] = b else {
                unreachable!("four bytes or more")
            };
            (
                u32::from_le_bytes([b0, b1, b2, b3]),
                u32::from_le_bytes([e0, e1, e2, e3]),
            )
        }
        _ => {
            let mut x = 0u32;
            for (i, &c) in b.iter().enumerate() {
                x |= u32::from(c) << (8 * i);
            }
            (x, x)
        }
    }
}

#[inline]
fn filter_bit_of(first: u32, last: u32, len: usize) -> usize {
    let x = (u64::from(first) << 32 | u64::from(last)) ^ (len as u64).rotate_left(29);
    (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize
}

/// [`str_filter_bit`] and [`first_two_chars_key`] of `w`, its first bytes read once for both.
#[inline]
fn filter_bit_and_prefix_key(w: &str) -> (usize, u64) {
    let b = w.as_bytes();
    let (first, last) = first_and_last_four(b);
    let end = first_two_chars_len(b);
    let key = if end <= 4 {
        // `first` holds the first four bytes (zero-padded), and the two chars end within them.
        u64::from(first) & ((1u64 << (8 * end)) - 1)
    } else {
        first_two_chars_key(w)
    };
    (filter_bit_of(first, last, b.len()), key)
}

/// The filter bit of an integer key.
#[inline]
fn int_filter_bit(k: u64) -> usize {
    (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize
}

pub(crate) fn filter_set(filter: &mut Vec<u64>, bit: usize) {
    if filter.is_empty() {
        filter.resize(1 << (FILTER_BITS - 6), 0);
    }
    filter[bit >> 6] |= 1 << (bit & 63);
}

#[inline]
pub(crate) fn filter_has(filter: &[u64], bit: usize) -> bool {
    filter
        .get(bit >> 6)
        .is_some_and(|w| w >> (bit & 63) & 1 != 0)
}

/// The first two chars of a word (all of it if shorter) as an integer key: their UTF-8 bytes
/// (at most eight), zero-padded. Words hold no NUL chars, so distinct prefixes get distinct
/// keys.
fn first_two_chars_key(w: &str) -> u64 {
    let b = w.as_bytes();
    let end = first_two_chars_len(b);
    // The first `end` bytes, zero-padded (read without a `memcpy`).
    let mut key = 0u64;
    for (i, &c) in b[..end].iter().enumerate() {
        key |= u64::from(c) << (8 * i);
    }
    key
}

/// The byte length of the first two chars of UTF-8 `b` (all of it if shorter).
#[inline]
fn first_two_chars_len(b: &[u8]) -> usize {
    let char_len = |lead: u8| match lead {
        0..=0x7F => 1,
        0x80..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    };
    let mut end = 0;
    for _ in 0..2 {
        match b.get(end) {
            Some(&lead) => end += char_len(lead),
            None => break,
        }
    }
    end
}

impl CueSet {
    /// Index cue `id` under the key of its first part.
    fn index_cue(&mut self, id: usize) {
        let (map, key) = match &self.cues[id].parts[0] {
            Part::Exact(p, _) => {
                let greek = p.chars().next().map(char_script) == Some(Script::Greek);
                if greek && p.chars().count() > 4 {
                    (&mut self.by_greek_stem, greek_stem(p).to_string())
                } else {
                    (&mut self.by_word, p.clone())
                }
            }
            Part::Prefix(p) => {
                let key = first_two_chars_key(p);
                filter_set(&mut self.prefix_filter, int_filter_bit(key));
                self.by_prefix.entry(key).or_default().push(id);
                return;
            }
            Part::Gap => unreachable!("first part is a word"),
        };
        filter_set(&mut self.word_filter, str_filter_bit(&key));
        map.entry(key).or_default().push(id);
    }
}

impl CueSet {
    /// Parse the tab-separated cue format (see the module docs). Blank lines and `#` comments
    /// are skipped.
    pub fn parse(source: &str) -> Result<Self, TextError> {
        let mut set = CueSet::default();
        for (n, line) in source.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() != 4 {
                return Err(TextError::InvalidCue {
                    line: n + 1,
                    reason: "expected 4 tab-separated columns".into(),
                });
            }
            let weight: f32 = cols[2].trim().parse().map_err(|_| TextError::InvalidCue {
                line: n + 1,
                reason: format!("bad weight {:?}", cols[2]),
            })?;
            set.push(cols[0].trim(), cols[1].trim(), weight, cols[3].trim())
                .map_err(|reason| TextError::InvalidCue {
                    line: n + 1,
                    reason,
                })?;
        }
        Ok(set)
    }

    /// Add one cue.
    pub fn push(
        &mut self,
        label: &str,
        lang: &str,
        weight: f32,
        pattern: &str,
    ) -> Result<(), String> {
        let mut parts = Vec::new();
        for raw in pattern.split_whitespace() {
            if raw == "*" {
                parts.push(Part::Gap);
                continue;
            }
            let (body, prefix) = match raw.strip_suffix('*') {
                Some(b) => (b, true),
                None => (raw, false),
            };
            // A pattern word may itself contain punctuation ("e-mail"): keep its word pieces.
            let pieces: Vec<String> = match plain_word_norm(body) {
                Some(w) => vec![w],
                None => tokenize(body)
                    .into_iter()
                    .filter(|t| t.kind != TokenKind::Punct)
                    .map(|t| t.norm)
                    .collect(),
            };
            let n = pieces.len();
            for (i, p) in pieces.into_iter().enumerate() {
                let s = normalize_word(&p).0;
                parts.push(if prefix && i + 1 == n {
                    Part::Prefix(s)
                } else {
                    let stem = greek_stem(&s).to_string();
                    Part::Exact(s, stem)
                });
            }
        }
        if parts.first().is_none_or(|p| *p == Part::Gap) || parts.last() == Some(&Part::Gap) {
            return Err(format!(
                "pattern {pattern:?} must start and end with a word"
            ));
        }
        self.cues.push(Cue {
            label: label.to_string(),
            lang: lang.to_string(),
            weight,
            pattern: pattern.to_string(),
            parts,
        });
        self.index_cue(self.cues.len() - 1);
        Ok(())
    }

    /// Extend with another set's cues (e.g. a customer's additions to the built-in taxonomy).
    pub fn extend(&mut self, other: &CueSet) {
        for c in &other.cues {
            self.cues.push(c.clone());
            self.index_cue(self.cues.len() - 1);
        }
    }

    pub fn cues(&self) -> &[Cue] {
        &self.cues
    }

    /// Distinct labels, in first-seen order.
    pub fn labels(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in &self.cues {
            if !out.contains(&c.label.as_str()) {
                out.push(&c.label);
            }
        }
        out
    }

    /// All matches in a prepared text. `lang` restricts cues to that language (plus `*`);
    /// `None` allows every language, which is what mixed-language text needs.
    pub fn find<'a>(&'a self, doc: &Prepared, lang: Option<&str>) -> Vec<CueMatch<'a>> {
        let mut out = Vec::new();
        self.for_each_match(doc, lang, |m| out.push(m));
        out
    }

    /// [`CueSet::find`], calling `f` with each match in the same order instead of collecting
    /// them (the engine only sums them up).
    pub(crate) fn for_each_match<'a>(
        &'a self,
        doc: &Prepared,
        lang: Option<&str>,
        mut on_match: impl FnMut(CueMatch<'a>),
    ) {
        if self.cues.is_empty() {
            return;
        }
        // The cues tried at the current word (a cue can be in several of its lists): usually a
        // few, kept in a small array, any more in a vector (which allocates only then).
        let mut seen = [usize::MAX; 16];
        let mut seen_more: Vec<usize> = Vec::new();
        for (wi, k) in doc.facts.iter().map(|f| &f.keys).enumerate() {
            let tok = doc.word(wi);
            let norm = doc.norm(tok);
            let mut nseen = 0;
            seen_more.clear();
            let mut try_list = |ids: &Vec<usize>| {
                for &id in ids.iter() {
                    if seen[..nseen].contains(&id) || seen_more.contains(&id) {
                        continue;
                    }
                    if nseen < seen.len() {
                        seen[nseen] = id;
                        nseen += 1;
                    } else {
                        seen_more.push(id);
                    }
                    let cue = &self.cues[id];
                    if let Some(l) = lang {
                        if cue.lang != "*" && cue.lang != l {
                            continue;
                        }
                    }
                    if let Some(end) = match_at(&cue.parts, doc, wi) {
                        let negated = (wi.saturating_sub(3)..wi).any(|j| doc.word(j).negator);
                        on_match(CueMatch {
                            cue,
                            first_word: wi,
                            end_word: end,
                            negated,
                        });
                    }
                }
            };
            // The lists to try, in a fixed order: for the word and then each Hebrew prefix
            // stem, the exact word, its first two letters (prefix patterns) and, for the word
            // itself, its Greek stem.
            for form in 0..k.forms as usize {
                if filter_has(&self.word_filter, k.word_bit[form] as usize) {
                    if let Some(ids) = self.by_word.get(&norm[k.offset[form] as usize..]) {
                        try_list(ids);
                    }
                }
                if filter_has(&self.prefix_filter, k.prefix_bit[form] as usize) {
                    if let Some(ids) = self.by_prefix.get(&k.prefix_key[form]) {
                        try_list(ids);
                    }
                }
                if form == 0 {
                    if let Some(bit) = k.greek_bit {
                        if filter_has(&self.word_filter, bit as usize) {
                            if let Some(ids) = self.by_greek_stem.get(doc.stem(tok)) {
                                try_list(ids);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Match `parts` starting at word `wi`; returns the exclusive end word index.
fn match_at(parts: &[Part], doc: &Prepared, wi: usize) -> Option<usize> {
    fn go(parts: &[Part], doc: &Prepared, wi: usize) -> Option<usize> {
        let Some(first) = parts.first() else {
            return Some(wi);
        };
        if *first == Part::Gap {
            for skip in 0..=3 {
                if let Some(e) = go(&parts[1..], doc, wi + skip) {
                    return Some(e);
                }
            }
            return None;
        }
        if wi >= doc.words.len() || !part_matches(first, doc, doc.word(wi)) {
            return None;
        }
        go(&parts[1..], doc, wi + 1)
    }
    go(parts, doc, wi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(src: &str) -> CueSet {
        CueSet::parse(src).unwrap()
    }

    #[test]
    fn matches_with_gaps_prefixes_and_hebrew_prefixes() {
        let s = set("effort\ten\t1\tcalled * times\nchurn\the\t1\tעוזב\ngrat\tel\t1\tευχαριστ*\n");
        let d = Prepared::new("I called them three times!");
        assert_eq!(s.find(&d, None).len(), 1);
        let d = Prepared::new("ואני עוזב את החברה");
        assert_eq!(s.find(&d, None).len(), 1);
        let d = Prepared::new("ΕΥΧΑΡΙΣΤΟΎΜΕ πολύ");
        assert_eq!(s.find(&d, Some("el")).len(), 1);
        assert_eq!(s.find(&d, Some("en")).len(), 0);
    }

    #[test]
    fn greek_inflections_match() {
        let s = set("disappointment\tel\t1\tαπογοητευμένος\n");
        assert_eq!(
            s.find(&Prepared::new("Είμαι πολύ απογοητευμένη"), None)
                .len(),
            1
        );
    }

    #[test]
    fn flags_negation() {
        let s = set("churn\ten\t1\tleaving\n");
        let m = s.find(&Prepared::new("I'm not leaving"), None);
        assert!(m[0].negated);
    }

    #[test]
    fn word_facts_match_the_word_lists() {
        // Every negator, booster and stopword (bare and with Hebrew prefixes), and other words.
        let mut words: Vec<String> = negators().iter().map(|w| w.to_string()).collect();
        words.extend(crate::langid::listed_words().map(String::from));
        words.extend(
            crate::sentiment::booster_map()
                .keys()
                .map(|w| w.to_string()),
        );
        for list in [
            include_str!("../data/stopwords_en.txt"),
            include_str!("../data/stopwords_he.txt"),
            include_str!("../data/stopwords_el.txt"),
        ] {
            words.extend(list.split_whitespace().map(String::from));
        }
        let prefixed: Vec<String> = words
            .iter()
            .flat_map(|w| ["ו", "וה", "שב", "x", "5"].map(|p| format!("{p}{w}")))
            .collect();
        words.extend(prefixed);
        words.extend(
            "good staff waited hours השירות מעולה απογοητευμενη Ⅻ 12 ١٢ שָׁלוֹם"
                .split(' ')
                .map(String::from),
        );
        let text = words.join(" ");
        let doc = Prepared::new(&text);
        let mut checked = 0;
        for wi in 0..doc.words.len() {
            let t = doc.word(wi);
            let norm = doc.norm(t);
            let f = doc.facts(wi);
            let word = t.kind == TokenKind::Word;
            assert_eq!(f.negator, word && is_negator(norm), "{norm}");
            assert_eq!(f.booster, crate::sentiment::booster(norm), "{norm}");
            if word && t.script == Script::Latin {
                assert_eq!(f.langid_lists, crate::langid::word_lists(norm), "{norm}");
            }
            let candidate = word
                && t.script != Script::None
                && t.chars >= 2
                && !(t.script == Script::Latin && t.chars < 3);
            assert_eq!(
                f.stop,
                candidate && crate::keywords::is_stopword(norm),
                "{norm}"
            );
            checked += usize::from(f.negator || f.stop || f.booster.is_some());
        }
        assert!(checked > 500, "{checked}");
    }

    #[test]
    fn word_keys_are_read_once_the_same() {
        for w in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "ש",
            "של",
            "שלום",
            "αβ",
            "αβγδε",
            "a😀",
            "😀a",
            "日本語",
            "éa",
            "aé",
            "ǅemal",
            "x1",
            "😀😀x",
        ] {
            assert_eq!(
                filter_bit_and_prefix_key(w),
                (str_filter_bit(w), first_two_chars_key(w)),
                "{w}"
            );
        }
    }

    #[test]
    fn rejects_bad_lines() {
        assert!(CueSet::parse("a\tb\tc").is_err());
        assert!(CueSet::parse("a\ten\tx\tword").is_err());
        assert!(CueSet::parse("a\ten\t1\t* word").is_err());
    }
}
