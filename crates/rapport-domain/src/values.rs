//! Validated values. Each has private fields and is built only through `parse`.

use crate::DomainError;

/// Characters that reorder text visually (Trojan-Source style) and never belong in names or ids.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn check_text(
    field: &str,
    raw: &str,
    max_chars: usize,
    allow_newlines: bool,
) -> Result<String, DomainError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::new(field, "must not be empty"));
    }
    if s.chars().count() > max_chars {
        return Err(DomainError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if let Some(c) = s.chars().find(|&c| {
        (c.is_control() && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t')))
            || is_bidi_control(c)
    }) {
        return Err(DomainError::new(
            field,
            format!("must not contain control character U+{:04X}", c as u32),
        ));
    }
    Ok(s.to_string())
}

/// A short display name (person, team, journey, touchpoint): 1–200 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub const MAX: usize = 200;

    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        check_text(field, raw, Self::MAX, false).map(Name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Free text such as a promise or a description: up to 4,000 characters, newlines allowed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    pub const MAX: usize = 4000;

    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        check_text(field, raw, Self::MAX, true).map(Text)
    }

    /// Like `parse`, but an empty input is simply absent.
    pub fn parse_optional(field: &str, raw: Option<&str>) -> Result<Option<Self>, DomainError> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => Self::parse(field, s).map(Some),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An e-mail address, trimmed and lower-cased so that uniqueness is meaningful.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_lowercase();
        let invalid = || DomainError::new(field, "must be an e-mail address like name@example.com");
        if s.len() > 254
            || s.chars()
                .any(|c| c.is_whitespace() || c.is_control() || is_bidi_control(c))
        {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(invalid());
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed; only its length is checked (NIST 800-63B: length, not composition rules).
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN: usize = 10;

    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        let n = raw.chars().count();
        if n < Self::MIN {
            return Err(DomainError::new(
                field,
                format!("must be at least {} characters", Self::MIN),
            ));
        }
        if n > 1024 {
            return Err(DomainError::new(field, "must be at most 1024 characters"));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The languages Rapport speaks. Hebrew is written right-to-left.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    En,
    He,
    El,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::En, Locale::He, Locale::El];

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::He => "he",
            Locale::El => "el",
        }
    }

    /// Accepts `he`, `he-IL`, `HE_il`, and the legacy `iw`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        let lower = raw.trim().to_ascii_lowercase();
        let primary = lower.split(['-', '_']).next().unwrap_or("");
        match primary {
            "en" => Ok(Locale::En),
            "he" | "iw" => Ok(Locale::He),
            "el" => Ok(Locale::El),
            _ => Err(DomainError::new(field, "must be one of en, he, el")),
        }
    }

    pub fn is_rtl(self) -> bool {
        matches!(self, Locale::He)
    }

    pub fn dir(self) -> &'static str {
        if self.is_rtl() {
            "rtl"
        } else {
            "ltr"
        }
    }

    /// The language's own name, for locale pickers.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::He => "עברית",
            Locale::El => "Ελληνικά",
        }
    }

    /// Picks the best supported locale from an HTTP `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            if let Ok(l) = Locale::parse("locale", tag) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
            }
        }
        best.map(|(_, l)| l)
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_reject_bidi_overrides_and_blanks() {
        assert!(Name::parse("name", "  דנה כהן ").is_ok());
        assert_eq!(
            Name::parse("name", "   ").unwrap_err().reason,
            "must not be empty"
        );
        assert!(Name::parse("name", "abc\u{202E}cba").is_err());
        assert!(Name::parse("name", "two\nlines").is_err());
        assert!(Text::parse("promise", "two\nlines").is_ok());
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("email", " Dana@Example.COM ")
                .unwrap()
                .as_str(),
            "dana@example.com"
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@b.com",
            "a@@b.com",
            "a b@c.com",
            "a@.com",
            "a@b..com",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locales_parse_and_negotiate() {
        assert_eq!(Locale::parse("l", "he-IL").unwrap(), Locale::He);
        assert_eq!(Locale::parse("l", "iw").unwrap(), Locale::He);
        assert!(Locale::parse("l", "fr").is_err());
        assert_eq!(
            Locale::from_accept_language("fr;q=1, el;q=0.8, en;q=0.5"),
            Some(Locale::El)
        );
        assert_eq!(Locale::from_accept_language("fr"), None);
        assert!(Locale::He.is_rtl());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC*") {
            let _ = Name::parse("n", &s);
            let _ = Text::parse("t", &s);
            let _ = Email::parse("e", &s);
            let _ = Locale::parse("l", &s);
            let _ = Locale::from_accept_language(&s);
        }
    }
}
