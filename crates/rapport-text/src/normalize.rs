//! Normalisation and tokenisation for English, Hebrew and Greek.
//!
//! Lexicons, cue lists and model features all go through [`normalize_word`], so a
//! word matches whatever its spelling variant: case, Hebrew niqqud, Greek
//! accents and final sigma, curly apostrophes, elongated letters.

use std::sync::OnceLock;

/// The writing system of a token or character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    Latin,
    Hebrew,
    Greek,
    /// Any other letters (Cyrillic, Arabic, CJK, …).
    Other,
    /// Not letters (digits, emoji, punctuation).
    None,
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Word,
    Number,
    Emoji,
    /// A single punctuation character (only `!`, `?`, `.`, `,`, `;`, `:` and the like are kept).
    Punct,
}

/// A token with its normalised form and its place in the source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Normalised form (see [`normalize_word`]); for punctuation and emoji, the character itself.
    pub norm: String,
    pub kind: TokenKind,
    pub script: Script,
    /// Byte offsets into the original text.
    pub start: usize,
    pub end: usize,
    /// The word had a letter repeated three or more times ("sooo", "מעולהההה").
    pub elongated: bool,
    /// A Latin word written in capitals (at least two letters), used as emphasis.
    pub shouting: bool,
}

/// Chars below this have their Unicode properties cached in [`CharTable`] (Latin, Greek,
/// Cyrillic, Hebrew and Arabic blocks), so tokenising Hebrew and Greek avoids the slow
/// general-purpose lookups. The table is built from the standard library's own functions, so
/// results are identical.
const TABLE_LEN: u32 = 0x800;
const ALPHA: u8 = 1;
const NUMERIC: u8 = 2;
const UPPER: u8 = 4;
/// [`is_ignorable_mark`].
const IGNORABLE: u8 = 8;
/// `char::is_whitespace`.
const WHITESPACE: u8 = 16;
/// [`display_lower`] keeps the char as it is: its lower case is itself, and it is neither an
/// ignorable mark nor a whitespace char other than the space.
const DISPLAY_SAME: u8 = 32;
/// The char's entry in [`CharTable::folded`] is an alphabetic char.
const FOLDED_ALPHA: u8 = 64;

/// (Fixed-size arrays: an index checked against [`TABLE_LEN`] needs no second bounds check.)
struct CharTable {
    flags: Box<[u8; TABLE_LEN as usize]>,
    /// The lower-case form when it is a single char, else `'\0'`.
    lower: Box<[char; TABLE_LEN as usize]>,
    /// That lower-case form with Greek and Hebrew folded (as [`normalize_word`] appends it),
    /// else `'\0'`.
    folded: Box<[char; TABLE_LEN as usize]>,
}

fn char_table() -> &'static CharTable {
    static TABLE: OnceLock<CharTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut flags = Vec::with_capacity(TABLE_LEN as usize);
        let mut lower = Vec::with_capacity(TABLE_LEN as usize);
        let mut folded = Vec::with_capacity(TABLE_LEN as usize);
        for u in 0..TABLE_LEN {
            let c = char::from_u32(u).unwrap_or('\0');
            let mut f = 0;
            if c.is_alphabetic() {
                f |= ALPHA;
            }
            if c.is_numeric() {
                f |= NUMERIC;
            }
            if c.is_uppercase() {
                f |= UPPER;
            }
            if is_ignorable_mark(c) {
                f |= IGNORABLE;
            }
            if c.is_whitespace() {
                f |= WHITESPACE;
            }
            let mut l = c.to_lowercase();
            let single = match (l.next(), l.next()) {
                (Some(x), None) => x,
                _ => '\0',
            };
            if single == c && f & IGNORABLE == 0 && (f & WHITESPACE == 0 || c == ' ') {
                f |= DISPLAY_SAME;
            }
            let fold = if single == '\0' {
                '\0'
            } else {
                fold_hebrew(fold_greek(single))
            };
            if fold != '\0' && fold.is_alphabetic() {
                f |= FOLDED_ALPHA;
            }
            flags.push(f);
            lower.push(single);
            folded.push(fold);
        }
        let array = "TABLE_LEN entries";
        CharTable {
            flags: flags.into_boxed_slice().try_into().expect(array),
            lower: lower.into_boxed_slice().try_into().expect(array),
            folded: folded.into_boxed_slice().try_into().expect(array),
        }
    })
}

/// Alphabetic, numeric, upper-case and ignorable-mark flags of any char.
#[inline]
fn flags_of(tab: &CharTable, c: char) -> u8 {
    if (c as u32) < TABLE_LEN {
        return tab.flags[c as usize];
    }
    let mut f = 0;
    if c.is_alphabetic() {
        f |= ALPHA;
        if c.is_uppercase() {
            f |= UPPER;
        }
    }
    if c.is_numeric() {
        f |= NUMERIC;
    }
    if is_ignorable_mark(c) {
        f |= IGNORABLE;
    }
    f
}

#[inline]
fn char_flags(c: char) -> Option<u8> {
    ((c as u32) < TABLE_LEN).then(|| char_table().flags[c as usize])
}

/// `char::is_alphabetic`, cached for common scripts.
#[inline]
pub(crate) fn is_alphabetic(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    match char_flags(c) {
        Some(f) => f & ALPHA != 0,
        None => c.is_alphabetic(),
    }
}

/// The lower case of `c` if it is one char (cached for common scripts).
#[inline]
fn lower_single(c: char) -> Option<char> {
    if (c as u32) < TABLE_LEN {
        let l = char_table().lower[c as usize];
        return (l != '\0' || c == '\0').then_some(l);
    }
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(x), None) => Some(x),
        _ => None,
    }
}

/// `raw` lower-cased, without ignorable marks, with every whitespace char as a space: the
/// display form of a keyword.
pub(crate) fn display_lower(raw: &str) -> String {
    if raw.is_ascii() {
        let bytes: Vec<u8> = raw
            .bytes()
            .map(|b| {
                if matches!(b, b'\t'..=b'\r' | b' ') {
                    b' '
                } else {
                    b.to_ascii_lowercase()
                }
            })
            .collect();
        return String::from_utf8(bytes).unwrap_or_default();
    }
    let tab = char_table();
    if raw
        .chars()
        .all(|c| (c as u32) < TABLE_LEN && tab.flags[c as usize] & DISPLAY_SAME != 0)
    {
        // Already lower case, no marks, no other whitespace (most Hebrew and Greek).
        return raw.to_string();
    }
    let mut s = String::with_capacity(raw.len());
    let out = &mut s;
    let is_ws = |c: char| {
        if (c as u32) < TABLE_LEN {
            tab.flags[c as usize] & WHITESPACE != 0
        } else {
            c.is_whitespace()
        }
    };
    for ch in raw.chars() {
        if (ch as u32) < TABLE_LEN {
            if tab.flags[ch as usize] & IGNORABLE != 0 {
                continue;
            }
            let l = tab.lower[ch as usize];
            if l != '\0' || ch == '\0' {
                out.push(if is_ws(l) { ' ' } else { l });
                continue;
            }
        } else if is_ignorable_mark(ch) {
            continue;
        }
        for_each_lowercase(ch, |c| out.push(if is_ws(c) { ' ' } else { c }));
    }
    s
}

/// Call `f` with each char of the lower case of `c` (as `char::to_lowercase`, cached).
#[inline]
pub(crate) fn for_each_lowercase(c: char, mut f: impl FnMut(char)) {
    match lower_single(c) {
        Some(l) => f(l),
        None => c.to_lowercase().for_each(f),
    }
}

/// Script of one character.
pub fn char_script(c: char) -> Script {
    match c as u32 {
        0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F | 0x1E00..=0x1EFF => Script::Latin,
        0x0590..=0x05FF | 0xFB1D..=0xFB4F => Script::Hebrew,
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        _ if is_alphabetic(c) => Script::Other,
        _ => Script::None,
    }
}

/// Combining marks that carry no meaning for analysis: Hebrew niqqud and cantillation, and
/// generic combining diacritics (which also removes decomposed Greek accents).
pub fn is_ignorable_mark(c: char) -> bool {
    matches!(c as u32,
        0x0591..=0x05BD | 0x05BF | 0x05C1..=0x05C2 | 0x05C4..=0x05C5 | 0x05C7
        | 0x0300..=0x036F | 0x200B..=0x200F | 0x202A..=0x202E | 0x2066..=0x2069 | 0xFEFF | 0x00AD)
}

/// Strip Greek tonos/dialytika from a lower-case Greek letter and turn final sigma into sigma.
pub fn fold_greek(c: char) -> char {
    match c {
        'ά' => 'α',
        'έ' => 'ε',
        'ή' => 'η',
        'ί' | 'ϊ' | 'ΐ' => 'ι',
        'ό' => 'ο',
        'ύ' | 'ϋ' | 'ΰ' => 'υ',
        'ώ' => 'ω',
        'ς' => 'σ',
        _ => c,
    }
}

/// Fold Hebrew presentation forms (e.g. U+FB2A "שׁ") to the base letter.
fn fold_hebrew(c: char) -> char {
    match c as u32 {
        0xFB2A..=0xFB2D | 0xFB49 => 'ש',
        0xFB2E..=0xFB30 | 0xFB21 => 'א',
        0xFB31 | 0xFB4C => 'ב',
        0xFB3B | 0xFB4D => 'כ',
        0xFB44 | 0xFB4E => 'פ',
        0xFB35 | 0xFB4B => 'ו',
        0xFB39 | 0xFB1D => 'י',
        _ => c,
    }
}

/// Emoji and pictographs (approximate Extended_Pictographic ranges), plus the heart.
pub fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0x2B50 | 0x2B55 | 0x1F000..=0x1F2FF | 0x2190..=0x21FF)
}

/// Apostrophes and Hebrew geresh/gershayim that may sit inside a word (don't, צה"ל, ג׳וב).
fn is_word_joiner(c: char) -> bool {
    matches!(c, '\'' | '’' | '׳' | '״' | '"')
}

/// Normalise one word: lower case, drop niqqud/accents/zero-width and bidi controls, fold
/// final sigma, fold apostrophes away, and collapse runs of 3+ identical letters to two.
///
/// Returns the normalised word and whether it was elongated.
pub fn normalize_word(word: &str) -> (String, bool) {
    let mut out = String::with_capacity(word.len());
    let elongated = normalize_word_into(word, &mut out);
    (out, elongated)
}

/// [`normalize_word`] appending to `out`; returns whether the word was elongated.
pub(crate) fn normalize_word_into(word: &str, out: &mut String) -> bool {
    let mut n = Normalizer::default();
    if word.is_ascii() {
        // No marks to strip, lower case is byte-wise.
        for b in word.bytes() {
            if b == b'\'' || b == b'"' {
                continue;
            }
            let l = b.to_ascii_lowercase();
            n.push_folded(l as char, l.is_ascii_alphabetic(), out);
        }
    } else {
        for c in word.chars() {
            if is_ignorable_mark(c) || is_word_joiner(c) {
                continue;
            }
            n.push_char(c, out);
        }
    }
    n.elongated
}

/// The normalisation state of one word: lower-cased, folded chars are appended one by one,
/// and runs of three or more identical chars are collapsed to two.
#[derive(Default)]
struct Normalizer {
    last: Option<char>,
    run: usize,
    elongated: bool,
    /// Chars appended so far.
    chars: usize,
    /// Alphabetic chars among them (what language identification counts per word).
    alphabetic: usize,
}

impl Normalizer {
    /// Append one already lower-cased char (folding Greek and Hebrew).
    #[inline]
    fn push(&mut self, lc: char, out: &mut String) {
        let lc = if lc.is_ascii() {
            lc
        } else {
            fold_hebrew(fold_greek(lc))
        };
        self.push_folded(lc, is_alphabetic(lc), out);
    }

    /// Append one lower-cased and folded char.
    /// `alpha`: whether `lc` is alphabetic.
    #[inline(always)]
    fn push_folded(&mut self, lc: char, alpha: bool, out: &mut String) {
        if Some(lc) == self.last {
            self.run += 1;
            if self.run >= 3 {
                self.elongated = true;
                return;
            }
        } else {
            self.run = 1;
            self.last = Some(lc);
        }
        out.push(lc);
        self.chars += 1;
        self.alphabetic += usize::from(alpha);
    }

    /// Append the lower case of a word char (not a mark or joiner).
    #[inline]
    fn push_char(&mut self, c: char, out: &mut String) {
        self.push_char_with(char_table(), c, out);
    }

    /// [`Normalizer::push_char`] with the char table at hand (inlined into the tokeniser's
    /// loop: a call per char cost more than the table lookup).
    #[inline(always)]
    fn push_char_with(&mut self, tab: &CharTable, c: char, out: &mut String) {
        if (c as u32) < TABLE_LEN {
            let f = tab.folded[c as usize];
            if f != '\0' {
                self.push_folded(f, tab.flags[c as usize] & FOLDED_ALPHA != 0, out);
                return;
            }
        }
        self.push_char_slow(c, out);
    }

    /// [`Normalizer::push_char_with`] for a char without a single folded lower case in the
    /// table.
    #[inline(never)]
    fn push_char_slow(&mut self, c: char, out: &mut String) {
        match lower_single(c) {
            Some(lc) => self.push(lc, out),
            None => c.to_lowercase().for_each(|lc| self.push(lc, out)),
        }
    }
}

/// Normalise a whole text for phrase search: every word normalised, separated by single spaces.
pub fn normalize_text(text: &str) -> String {
    tokenize(text)
        .into_iter()
        .filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::Number))
        .map(|t| t.norm)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Collapse an already normalised word's doubled letters to single ones ("goood" → "god"),
/// a second lookup key for elongated words.
pub fn squeeze(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut last = None;
    for c in word.chars() {
        if Some(c) != last {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

/// The normalised form of `term` if it is one plain word (letters and digits only), which is
/// then its only token; `None` for anything else. A shortcut for building word lists.
pub(crate) fn plain_word_norm(term: &str) -> Option<String> {
    let tab = char_table();
    let plain = !term.is_empty()
        && term.chars().all(|c| {
            let f = flags_of(tab, c);
            f & (ALPHA | NUMERIC) != 0 && f & IGNORABLE == 0
        });
    plain.then(|| normalize_word(term).0)
}

/// Split text into word, number, emoji and punctuation tokens, with byte offsets.
///
/// Never panics; any Unicode input (bidi controls, lone combining marks, huge strings) is fine.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut norms = String::new();
    let mut toks = Vec::new();
    tokenize_into(text, &mut norms, &mut toks);
    toks.iter()
        .map(|t| Token {
            norm: norms[t.norm_start as usize..t.norm_end as usize].to_string(),
            kind: t.kind,
            script: t.script,
            start: t.start,
            end: t.end,
            elongated: t.elongated,
            shouting: t.shouting,
        })
        .collect()
}

/// A token of a [`crate::Prepared`] text: as [`Token`], with its normalised form kept in the
/// text's shared buffer instead of a string of its own, and a few facts computed once.
#[derive(Debug, Clone, PartialEq)]
pub struct Tok {
    /// Byte range of the normalised form in the shared buffer.
    pub(crate) norm_start: u32,
    pub(crate) norm_end: u32,
    /// Byte length of the Greek stem of the normalised form (see [`greek_stem`]) for a Greek
    /// word of more than four chars, else of the whole form.
    pub(crate) stem_end: u32,
    /// Chars in the normalised form.
    pub chars: u32,
    /// Alphabetic chars in the normalised form (0 for punctuation and emoji).
    pub(crate) alphabetic: u32,
    /// For punctuation and emoji, the (normalised) char; `'\0'` for words and numbers.
    pub ch: char,
    pub kind: TokenKind,
    pub script: Script,
    /// Byte offsets into the original text.
    pub start: usize,
    pub end: usize,
    /// The word had a letter repeated three or more times ("sooo", "מעולהההה").
    pub elongated: bool,
    /// A Latin word written in capitals (at least two letters), used as emphasis.
    pub shouting: bool,
    /// The word is a negator (see [`crate::cues::is_negator`]); set by [`crate::Prepared`].
    pub negator: bool,
    /// The word is a stopword (see [`crate::keywords::is_stopword`]); set by
    /// [`crate::Prepared`] for the words that can be keyword candidates, else false.
    pub(crate) stop: bool,
}

/// Punctuation kept as tokens.
#[inline]
fn is_kept_punct(c: char) -> bool {
    matches!(
        c,
        '!' | '?'
            | '.'
            | ','
            | ';'
            | ':'
            | '…'
            | '-'
            | '—'
            | '('
            | ')'
            | '¿'
            | '¡'
            | '\u{37E}'
            | '\u{387}'
            | '\n'
    )
}

/// The char at byte `i` of `text` (a char boundary) and its UTF-8 length.
#[inline]
fn char_at(text: &str, i: usize) -> Option<(char, usize)> {
    let bytes = text.as_bytes();
    let b = *bytes.get(i)?;
    if b < 0x80 {
        return Some((b as char, 1));
    }
    if (0xC0..0xE0).contains(&b) {
        // Two bytes (Hebrew, Greek, accented Latin): decoded here, without slicing the text.
        if let Some(&b1) = bytes.get(i + 1) {
            let c = (u32::from(b & 0x1F) << 6) | u32::from(b1 & 0x3F);
            if let Some(c) = char::from_u32(c) {
                return Some((c, 2));
            }
        }
    }
    let c = text[i..].chars().next()?;
    Some((c, c.len_utf8()))
}

/// Tokenise `text` into `toks`, writing the normalised forms to `norms`, each followed by a
/// space (both are cleared first): the forms of adjacent tokens read as a phrase. Tokens are
/// exactly those of [`tokenize`].
pub(crate) fn tokenize_into(text: &str, norms: &mut String, toks: &mut Vec<Tok>) {
    norms.clear();
    toks.clear();
    let tab = char_table();
    let mut i = 0;
    while let Some((c, len)) = char_at(text, i) {
        let fc = flags_of(tab, c);
        // A word starts with a letter or digit (not a mark, even an alphabetic one).
        if fc & (ALPHA | NUMERIC) != 0 && fc & IGNORABLE == 0 {
            let start = i;
            let norm_start = norms.len();
            let mut script = char_script(c);
            let mut letters = 0usize;
            let mut upper = 0usize;
            let mut digits_only = fc & NUMERIC != 0;
            let mut n = Normalizer::default();
            // Count a word char's letters and case, and append its normal form. (A macro, so
            // that the per-char work is inlined into this loop.)
            macro_rules! take {
                ($ch:expr, $f:expr) => {{
                    let (ch, f): (char, u8) = ($ch, $f);
                    if f & ALPHA != 0 {
                        letters += 1;
                        if f & UPPER != 0 {
                            upper += 1;
                        }
                        if script == Script::None {
                            script = char_script(ch);
                        }
                    }
                    if f & IGNORABLE == 0 {
                        n.push_char_with(tab, ch, norms);
                    }
                }};
            }
            take!(c, fc);
            let mut end = i + len;
            while let Some((d, dl)) = char_at(text, end) {
                let fd = flags_of(tab, d);
                if fd & (ALPHA | NUMERIC | IGNORABLE) != 0 {
                    if fd & (NUMERIC | IGNORABLE) == 0 {
                        digits_only = false;
                    }
                    take!(d, fd);
                    end += dl;
                } else if is_word_joiner(d) {
                    // Keep the joiner only if a word character follows it.
                    match char_at(text, end + dl) {
                        Some((nc, _))
                            if flags_of(tab, nc) & (ALPHA | NUMERIC) != 0
                                && flags_of(tab, nc) & IGNORABLE == 0 =>
                        {
                            end += dl;
                        }
                        _ => break,
                    }
                } else {
                    break;
                }
            }
            i = end;
            if n.chars == 0 {
                continue;
            }
            let kind = if digits_only {
                TokenKind::Number
            } else {
                TokenKind::Word
            };
            let script = if kind == TokenKind::Number {
                Script::None
            } else {
                script
            };
            let norm = &norms[norm_start..];
            let stem_end = if script == Script::Greek && n.chars > 4 {
                norm_start + greek_stem_counted(norm, n.chars).len()
            } else {
                norm_start + norm.len()
            };
            let norm_end = norms.len();
            norms.push(' ');
            toks.push(Tok {
                norm_start: norm_start as u32,
                norm_end: norm_end as u32,
                stem_end: stem_end as u32,
                chars: n.chars as u32,
                alphabetic: n.alphabetic as u32,
                ch: '\0',
                kind,
                script,
                start,
                end,
                elongated: n.elongated,
                shouting: letters >= 2 && upper == letters && script == Script::Latin,
                negator: false,
                stop: false,
            });
            continue;
        }
        i += len;
        // (No emoji below U+2190: spaces and ASCII punctuation skip the emoji ranges.)
        let (kind, ch) = if c >= '\u{2190}' && is_emoji(c) {
            (TokenKind::Emoji, c)
        } else if is_kept_punct(c) {
            let norm = match c {
                '\u{37E}' => '?', // Greek question mark
                '\u{387}' => ';', // Greek ano teleia
                '…' => '.',
                _ => c,
            };
            (TokenKind::Punct, norm)
        } else {
            continue;
        };
        let norm_start = norms.len() as u32;
        norms.push(ch);
        let norm_end = norms.len() as u32;
        norms.push(' ');
        toks.push(Tok {
            norm_start,
            norm_end,
            stem_end: norm_end,
            chars: 1,
            alphabetic: 0,
            ch,
            kind,
            script: Script::None,
            start: i - len,
            end: i,
            elongated: false,
            shouting: false,
            negator: false,
            stop: false,
        });
    }
}

/// Hebrew one-letter prefixes (and, the, in, to, from, that, as) that attach to words.
pub const HEBREW_PREFIXES: [char; 7] = ['ו', 'ה', 'ב', 'ל', 'מ', 'ש', 'כ'];

/// Candidate stems of a normalised Hebrew word with up to three attached prefix letters removed
/// ("וכשהשירות" → "כשהשירות", "שהשירות", "השירות", "שירות"), shortest last. The word itself is
/// not included. Stems shorter than two letters are not produced.
pub fn hebrew_prefix_stems(word: &str) -> Vec<&str> {
    prefix_stems(word).collect()
}

/// Up to three stems without allocating; see [`hebrew_prefix_stems`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct PrefixStems<'a> {
    rest: &'a str,
    left: u8,
}

impl<'a> Iterator for PrefixStems<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.left == 0 {
            return None;
        }
        let mut chars = self.rest.chars();
        match chars.next() {
            Some(c) if HEBREW_PREFIXES.contains(&c) && chars.as_str().chars().nth(1).is_some() => {
                self.rest = chars.as_str();
                self.left -= 1;
                Some(self.rest)
            }
            _ => {
                self.left = 0;
                None
            }
        }
    }
}

/// [`hebrew_prefix_stems`] as an iterator.
pub(crate) fn prefix_stems(word: &str) -> PrefixStems<'_> {
    PrefixStems {
        rest: word,
        left: 3,
    }
}

/// A crude Greek stem: the normalised word without its inflectional ending, so that
/// "απογοητευμενοσ", "απογοητευμενη" and "απογοητευμενοι" share a key. Words of four letters
/// or fewer are returned unchanged.
pub fn greek_stem(word: &str) -> &str {
    greek_stem_counted(word, word.chars().count())
}

/// Inflectional endings stripped by [`greek_stem`], tried in order. All are Greek letters
/// (two UTF-8 bytes each).
const GREEK_ENDINGS: [&str; 24] = [
    "ουσαμε",
    "ησαμε",
    "ομαστε",
    "ουμε",
    "ουσα",
    "οντασ",
    "ουσ",
    "εισ",
    "ουν",
    "ων",
    "ησ",
    "οσ",
    "ασ",
    "εσ",
    "οι",
    "ου",
    "ια",
    "ει",
    "ω",
    "η",
    "ο",
    "α",
    "ε",
    "ι",
];

/// The [`GREEK_ENDINGS`] whose last byte has the low six bits of `last`, in their order (the
/// last bytes of their last letters differ from one letter to another, so a word's last byte
/// picks the few worth comparing).
fn greek_endings_ending_in(last: u8) -> &'static [&'static str] {
    static BY_LAST: OnceLock<Vec<Vec<&'static str>>> = OnceLock::new();
    let by_last = BY_LAST.get_or_init(|| {
        let mut by_last = vec![Vec::new(); 64];
        for e in GREEK_ENDINGS {
            by_last[usize::from(e.as_bytes()[e.len() - 1] & 0x3F)].push(e);
        }
        by_last
    });
    &by_last[usize::from(last & 0x3F)]
}

/// [`greek_stem`] of a word of `n` chars.
pub(crate) fn greek_stem_counted(word: &str, n: usize) -> &str {
    if n <= 4 {
        return word;
    }
    let w = word.as_bytes();
    let &[.., a, b] = w else {
        return word;
    };
    for e in greek_endings_ending_in(b) {
        let eb = e.as_bytes();
        // Compare the whole last letter first, then the ending.
        if eb[eb.len() - 2] != a || eb[eb.len() - 1] != b {
            continue;
        }
        if eb.len() <= w.len()
            && w[w.len() - eb.len()..].iter().zip(eb).all(|(x, y)| x == y)
            && n >= eb.len() / 2 + 4
        {
            return &word[..w.len() - eb.len()];
        }
    }
    word
}

/// Convert a byte offset in `text` to a char (Unicode scalar value) offset.
pub fn byte_to_char_offset(text: &str, byte: usize) -> usize {
    let byte = byte.min(text.len());
    text.char_indices().take_while(|(i, _)| *i < byte).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_spelling_variants() {
        assert_eq!(normalize_word("ΆΨΟΓΟΣ").0, "αψογοσ");
        assert_eq!(normalize_word("άψογος").0, "αψογοσ");
        assert_eq!(normalize_word("שָׁלוֹם").0, "שלום");
        assert_eq!(normalize_word("Don’t").0, "dont");
        let (w, e) = normalize_word("Sooooo");
        assert_eq!((w.as_str(), e), ("soo", true));
    }

    #[test]
    fn tokenizes_mixed_text() {
        let t = tokenize("השירות היה מעולה!!! great 👍 צה\"ל");
        let norms: Vec<_> = t.iter().map(|t| t.norm.as_str()).collect();
        assert_eq!(
            norms,
            [
                "השירות",
                "היה",
                "מעולה",
                "!",
                "!",
                "!",
                "great",
                "👍",
                "צהל"
            ]
        );
        assert_eq!(t[0].script, Script::Hebrew);
        assert_eq!(t[6].script, Script::Latin);
    }

    #[test]
    fn strips_hebrew_prefixes() {
        assert_eq!(
            hebrew_prefix_stems("וכשהשירות"),
            ["כשהשירות", "שהשירות", "השירות"]
        );
        assert_eq!(hebrew_prefix_stems("שירות"), ["ירות"]);
        assert_eq!(hebrew_prefix_stems("לא"), Vec::<&str>::new());
    }

    #[test]
    fn counts_alphabetic_chars_of_the_normal_form() {
        for text in [
            "Sooooo GOOD x2 ΆΨΟΓΟΣ άψογος שָׁלוֹם וכשהשירות ﬠﬡ İstanbul Ⅻ ١٢ 12ab ǅemal",
            "a\u{200B}b c\u{0301}d ς ΐΰ e-mail don’t צה\"ל ג׳וב 😀 ...",
        ] {
            let mut norms = String::new();
            let mut toks = Vec::new();
            tokenize_into(text, &mut norms, &mut toks);
            for t in &toks {
                let norm = &norms[t.norm_start as usize..t.norm_end as usize];
                if matches!(t.kind, TokenKind::Word | TokenKind::Number) {
                    assert_eq!(
                        t.alphabetic as usize,
                        crate::langid::alphabetic_chars(norm),
                        "{norm}"
                    );
                }
            }
        }
    }

    #[test]
    fn stems_greek() {
        assert_eq!(greek_stem("απογοητευμενοσ"), greek_stem("απογοητευμενη"));
    }

    #[test]
    fn greek_stems_try_the_endings_in_order() {
        // Every ending in its list order, as first written.
        fn reference(word: &str) -> &str {
            let n = word.chars().count();
            if n <= 4 {
                return word;
            }
            for e in GREEK_ENDINGS {
                if word.ends_with(e) && n >= e.chars().count() + 4 {
                    return &word[..word.len() - e.len()];
                }
            }
            word
        }
        let lexicon = include_str!("../data/lex_el.tsv");
        let words = lexicon
            .lines()
            .flat_map(|l| l.split(['\t', ' ']))
            .map(|w| normalize_word(w).0)
            .chain(GREEK_ENDINGS.iter().map(|e| format!("αβγδ{e}")))
            .chain(["αβγδε5", "αβγδu", "abcdeσ", "ουσαμε", "καλημερα"].map(String::from));
        for w in words {
            assert_eq!(greek_stem(&w), reference(&w), "{w}");
        }
    }
}
