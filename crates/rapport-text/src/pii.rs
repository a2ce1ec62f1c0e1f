//! Personal data detection and redaction: emails, phone numbers (international, Israeli,
//! Greek), payment cards (Luhn), IBANs (mod-97), Israeli ID numbers and Greek tax numbers
//! (AFM), each verified by its check digit where it has one, to keep false alarms rare.

use serde::{Deserialize, Serialize};

use crate::normalize::byte_to_char_offset;

/// Kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Email,
    Phone,
    Card,
    Iban,
    IsraeliId,
    GreekAfm,
}

impl PiiKind {
    /// The placeholder written in place of the data.
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::Email => "[EMAIL]",
            PiiKind::Phone => "[PHONE]",
            PiiKind::Card => "[CARD]",
            PiiKind::Iban => "[IBAN]",
            PiiKind::IsraeliId => "[IL_ID]",
            PiiKind::GreekAfm => "[GR_AFM]",
        }
    }
}

/// A span of personal data. `start`/`end` are **char offsets** (Unicode scalar values, end
/// exclusive) into the original text, as in the JSON output; byte offsets are kept for Rust
/// callers who slice the string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiiSpan {
    pub kind: PiiKind,
    pub start: usize,
    pub end: usize,
    #[serde(skip)]
    pub byte_start: usize,
    #[serde(skip)]
    pub byte_end: usize,
}

/// Luhn checksum over ASCII digits.
pub fn luhn_valid(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = (d - b'0') as u32;
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    matches!(sum % 10, 0)
}

/// Israeli Teudat Zehut check digit (9 digits, weights 1,2,1,2…).
pub fn israeli_id_valid(digits: &[u8]) -> bool {
    if digits.len() != 9 || digits.iter().all(|d| *d == b'0') {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let v = (d - b'0') as u32 * if i % 2 == 0 { 1 } else { 2 };
            if v > 9 {
                v - 9
            } else {
                v
            }
        })
        .sum();
    matches!(sum % 10, 0)
}

/// Greek AFM (tax number) check digit.
pub fn greek_afm_valid(digits: &[u8]) -> bool {
    if digits.len() != 9 || digits.iter().all(|d| *d == b'0') {
        return false;
    }
    let sum: u32 = digits[..8]
        .iter()
        .enumerate()
        .map(|(i, d)| ((d - b'0') as u32) << (8 - i))
        .sum();
    (sum % 11) % 10 == (digits[8] - b'0') as u32
}

/// IBAN mod-97 check over the compact form (letters and digits, no spaces).
pub fn iban_valid(compact: &[u8]) -> bool {
    if compact.len() < 15 || compact.len() > 34 {
        return false;
    }
    if !compact[..2].iter().all(u8::is_ascii_uppercase)
        || !compact[2..4].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let mut rem: u32 = 0;
    for &c in compact[4..].iter().chain(&compact[..4]) {
        let v = match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'A'..=b'Z' => (c - b'A') as u32 + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn is_email_local(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_email_domain(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-')
}

fn find_emails(s: &[u8], out: &mut Vec<(usize, usize, PiiKind)>) {
    for (at, _) in s.iter().enumerate().filter(|(_, c)| **c == b'@') {
        let mut a = at;
        while a > 0 && is_email_local(s[a - 1]) {
            a -= 1;
        }
        while a < at && s[a] == b'.' {
            a += 1;
        }
        let mut b = at + 1;
        while b < s.len() && is_email_domain(s[b]) {
            b += 1;
        }
        while b > at + 1 && matches!(s[b - 1], b'.' | b'-') {
            b -= 1;
        }
        if a == at || b <= at + 1 {
            continue;
        }
        let domain = &s[at + 1..b];
        let Some(dot) = domain.iter().rposition(|c| *c == b'.') else {
            continue;
        };
        let tld = &domain[dot + 1..];
        if dot == 0 || tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) {
            continue;
        }
        out.push((a, b, PiiKind::Email));
    }
}

fn find_ibans(s: &[u8], out: &mut Vec<(usize, usize, PiiKind)>) {
    let mut i = 0;
    while i + 4 <= s.len() {
        let starts = s[i].is_ascii_uppercase()
            && s[i + 1].is_ascii_uppercase()
            && s[i + 2].is_ascii_digit()
            && s[i + 3].is_ascii_digit()
            && (i == 0 || !s[i - 1].is_ascii_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        // Collect up to 34 alphanumerics, allowing single spaces between groups.
        let mut compact = Vec::with_capacity(34);
        let mut ends = Vec::with_capacity(34); // byte end after each compact char
        let mut j = i;
        while j < s.len() && compact.len() < 34 {
            let c = s[j];
            if c.is_ascii_digit() || c.is_ascii_uppercase() {
                compact.push(c);
                ends.push(j + 1);
                j += 1;
            } else if c == b' '
                && j + 1 < s.len()
                && (s[j + 1].is_ascii_digit() || s[j + 1].is_ascii_uppercase())
            {
                j += 1;
            } else {
                break;
            }
        }
        let found = (15..=compact.len()).rev().find(|&n| {
            let end = ends[n - 1];
            (end >= s.len() || !s[end].is_ascii_alphanumeric()) && iban_valid(&compact[..n])
        });
        if let Some(n) = found {
            out.push((i, ends[n - 1], PiiKind::Iban));
            i = ends[n - 1];
        } else {
            i += 1;
        }
    }
}

/// Words before a number that say what it is.
fn context_kind(before: &str) -> Option<PiiKind> {
    let b = before.to_lowercase();
    let has = |ws: &[&str]| ws.iter().any(|w| b.contains(w));
    if has(&[
        "ת.ז",
        "ת\"ז",
        "ת״ז",
        "תז",
        "תעודת זהות",
        "מספר זהות",
        "teudat",
        "israeli id",
        "id number",
        "id no",
    ]) {
        Some(PiiKind::IsraeliId)
    } else if has(&["αφμ", "α.φ.μ", "afm", "φορολογικ", "tax id", "vat"]) {
        Some(PiiKind::GreekAfm)
    } else if has(&[
        "טלפון",
        "נייד",
        "tel",
        "phone",
        "mobile",
        "call me",
        "τηλ",
        "κινητ",
    ]) {
        Some(PiiKind::Phone)
    } else if has(&["card", "כרטיס", "κάρτα", "καρτα"]) {
        Some(PiiKind::Card)
    } else {
        None
    }
}

fn classify_number(
    digits: &[u8],
    plus: bool,
    grouped: bool,
    ctx: Option<PiiKind>,
    script_hint: Option<PiiKind>,
) -> Option<PiiKind> {
    let n = digits.len();
    if plus {
        return (8..=15).contains(&n).then_some(PiiKind::Phone);
    }
    if (13..=19).contains(&n) && luhn_valid(digits) && ctx != Some(PiiKind::Phone) {
        return Some(PiiKind::Card);
    }
    if n == 9 && ctx != Some(PiiKind::Phone) {
        let il = israeli_id_valid(digits);
        let gr = greek_afm_valid(digits);
        match (il, gr) {
            (true, true) => {
                return Some(
                    ctx.filter(|k| matches!(k, PiiKind::IsraeliId | PiiKind::GreekAfm))
                        .or(script_hint)
                        .unwrap_or(PiiKind::IsraeliId),
                )
            }
            (true, false) if ctx != Some(PiiKind::GreekAfm) => return Some(PiiKind::IsraeliId),
            (false, true) if ctx != Some(PiiKind::IsraeliId) => return Some(PiiKind::GreekAfm),
            _ => {}
        }
    }
    let starts = |p: &[u8]| digits.starts_with(p);
    // Israeli: 05x / 07x mobile and VoIP (10 digits), landlines 02/03/04/08/09 (9 digits), 972…
    let israeli = (n == 10 && (starts(b"05") || starts(b"07")))
        || (n == 9 && digits[0] == b'0' && matches!(digits[1], b'2' | b'3' | b'4' | b'8' | b'9'))
        || (n == 12 && starts(b"972"));
    // Greek: mobile 69x, landline 2x (10 digits), with 30 / 0030 prefixes.
    let greek = (n == 10 && (starts(b"69") || starts(b"2")))
        || (n == 12 && starts(b"30") && matches!(digits[2], b'2' | b'6'))
        || (n == 14 && starts(b"0030"));
    // International with 00 prefix, or a formatted 10–11 digit (e.g. North American) number.
    let intl = (11..=15).contains(&n) && starts(b"00");
    let formatted = grouped && (10..=11).contains(&n);
    if israeli
        || greek
        || intl
        || formatted
        || (ctx == Some(PiiKind::Phone) && (7..=15).contains(&n))
    {
        return Some(PiiKind::Phone);
    }
    None
}

fn find_numbers(text: &str, hint: Option<PiiKind>, out: &mut Vec<(usize, usize, PiiKind)>) {
    let s = text.as_bytes();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let boundary = i == 0 || !(s[i - 1].is_ascii_alphanumeric() || s[i - 1] == b'+');
        let open = c == b'(' && i + 1 < s.len() && s[i + 1].is_ascii_digit();
        if !(boundary
            && (c.is_ascii_digit()
                || (c == b'+' && i + 1 < s.len() && s[i + 1].is_ascii_digit())
                || open))
        {
            i += 1;
            continue;
        }
        let start = i;
        let plus = c == b'+';
        let mut digits = Vec::with_capacity(20);
        let mut end = i;
        let mut seps = 0;
        let mut j = i + usize::from(plus);
        let mut last_sep = false;
        while j < s.len() && digits.len() <= 20 {
            let d = s[j];
            if d.is_ascii_digit() {
                digits.push(d);
                end = j + 1;
                if last_sep {
                    seps += 1; // only separators between digits count as grouping
                }
                last_sep = false;
            } else if matches!(d, b' ' | b'-' | b'.' | b'(' | b')' | b'/')
                && !(last_sep && d != b'(' && s[j - 1] != b')')
            {
                last_sep = true;
            } else {
                break;
            }
            j += 1;
        }
        if digits.is_empty() || (end < s.len() && s[end].is_ascii_alphabetic()) {
            i = j.max(i + 1);
            continue;
        }
        // The context only matters for 7 to 19 digits without a leading plus (see
        // `classify_number`); skip lower-casing and searching it otherwise.
        let ctx = if !plus && (7..=19).contains(&digits.len()) {
            let ctx_from = text.floor_char_boundary_compat(start.saturating_sub(40));
            context_kind(&text[ctx_from..start])
        } else {
            None
        };
        if let Some(kind) = classify_number(&digits, plus, seps > 0, ctx, hint) {
            out.push((start, end, kind));
            i = end;
        } else {
            // Skip the whole digit run so its tail is not read as a separate number.
            i = end.max(i + 1);
        }
    }
}

trait FloorBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        i = i.min(self.len());
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

/// Find personal data in `text`. Spans are sorted and never overlap.
///
/// `language` (`he`/`el`) breaks the tie when a 9-digit number passes both the Israeli ID
/// and the Greek AFM check and nothing around it says which it is.
pub fn detect(text: &str, language: Option<&str>) -> Vec<PiiSpan> {
    let hint = match language {
        Some("he") => Some(PiiKind::IsraeliId),
        Some("el") => Some(PiiKind::GreekAfm),
        _ => None,
    };
    let mut raw = Vec::new();
    let s = text.as_bytes();
    if s.contains(&b'@') {
        find_emails(s, &mut raw);
    }
    // IBANs and numbers all contain an ASCII digit.
    if s.iter().any(u8::is_ascii_digit) {
        find_ibans(s, &mut raw);
        find_numbers(text, hint, &mut raw);
    }
    // Earlier start first, then longer; drop anything overlapping a kept span.
    raw.sort_by_key(|&(a, b, _)| (a, std::cmp::Reverse(b)));
    let mut kept: Vec<(usize, usize, PiiKind)> = Vec::new();
    for r in raw {
        if kept.last().is_none_or(|k| r.0 >= k.1) {
            kept.push(r);
        }
    }
    // Char offsets in one pass over the text.
    let mut spans = Vec::with_capacity(kept.len());
    let mut chars_before = 0;
    let mut pos = 0;
    for (a, b, kind) in kept {
        chars_before += text[pos..a].chars().count();
        let len = text[a..b].chars().count();
        spans.push(PiiSpan {
            kind,
            start: chars_before,
            end: chars_before + len,
            byte_start: a,
            byte_end: b,
        });
        chars_before += len;
        pos = b;
    }
    debug_assert!(spans
        .iter()
        .all(|sp| sp.start == byte_to_char_offset(text, sp.byte_start)));
    spans
}

/// Replace every span by its placeholder.
pub fn redact(text: &str, spans: &[PiiSpan]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for sp in spans {
        out.push_str(&text[pos..sp.byte_start]);
        out.push_str(sp.kind.placeholder());
        pos = sp.byte_end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<PiiKind> {
        detect(text, None).into_iter().map(|s| s.kind).collect()
    }

    #[test]
    fn check_digits() {
        assert!(luhn_valid(b"4111111111111111"));
        assert!(!luhn_valid(b"4111111111111112"));
        assert!(iban_valid(b"GB82WEST12345698765432"));
        assert!(iban_valid(b"IL620108000000099999999"));
        assert!(!iban_valid(b"GB82WEST12345698765431"));
        assert!(israeli_id_valid(b"000000018"));
        assert!(israeli_id_valid(b"123456782"));
        assert!(!israeli_id_valid(b"123456789"));
        assert!(greek_afm_valid(b"090000045"));
        assert!(!greek_afm_valid(b"090000046"));
    }

    #[test]
    fn finds_each_kind() {
        assert_eq!(kinds("write to dana.levi@example.co.il."), [PiiKind::Email]);
        assert_eq!(kinds("call +972 52-123-4567 now"), [PiiKind::Phone]);
        assert_eq!(kinds("הטלפון שלי 052-1234567"), [PiiKind::Phone]);
        assert_eq!(kinds("κινητό 6912345678"), [PiiKind::Phone]);
        assert_eq!(kinds("landline 210 123 4567"), [PiiKind::Phone]);
        assert_eq!(kinds("(977) 625-2661"), [PiiKind::Phone]);
        assert_eq!(kinds("card 4111 1111 1111 1111 exp"), [PiiKind::Card]);
        assert_eq!(kinds("IBAN GB82 WEST 1234 5698 7654 32"), [PiiKind::Iban]);
        assert_eq!(kinds("ת.ז. 123456782"), [PiiKind::IsraeliId]);
        assert_eq!(kinds("ΑΦΜ 090000045"), [PiiKind::GreekAfm]);
    }

    #[test]
    fn leaves_ordinary_numbers() {
        assert!(kinds("order 3348917502 from 2019-11-06, 3 items, 1,000,000 views").is_empty());
        assert!(kinds("card 4111111111111112").is_empty());
        assert!(kinds("ID 123456789").is_empty());
    }

    #[test]
    fn redacts_with_char_spans() {
        let t = "שלום, המייל שלי a@b.io תודה";
        let spans = detect(t, None);
        assert_eq!(spans.len(), 1);
        let chars: Vec<char> = t.chars().collect();
        let s: String = chars[spans[0].start..spans[0].end].iter().collect();
        assert_eq!(s, "a@b.io");
        assert_eq!(redact(t, &spans), "שלום, המייל שלי [EMAIL] תודה");
    }
}
