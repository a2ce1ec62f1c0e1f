//! Conversation transcripts: one domain type, parsed from JSON, plain text or WebVTT.
//!
//! Every parser ends in the same checks (`Turn::new`, `Transcript::new`), so a transcript is equally
//! trustworthy whatever its source. Errors name where the problem is: a JSON field path
//! (`turns[3].speaker`) or a 1-based line number with what was expected there.
//!
//! Turn text is canonicalised: bidi controls (see [`is_bidi_control`]) and BOMs are removed rather
//! than rejected, because exports from right-to-left tools routinely carry RLM/LRM marks; each line is
//! trimmed and blank lines dropped, so the same words give the same turn in every format.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::journey::Channel;
use crate::values::{is_bidi_control, Locale};
use crate::DomainError;

/// Who said a turn.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Agent,
    Customer,
}

impl Speaker {
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Agent => "agent",
            Speaker::Customer => "customer",
        }
    }

    /// The English label used when rendering plain text.
    pub fn label(self) -> &'static str {
        match self {
            Speaker::Agent => "Agent",
            Speaker::Customer => "Customer",
        }
    }
}

/// One utterance. Times are seconds from the start of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Turn {
    speaker: Speaker,
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<f64>,
}

/// A problem with one turn: which of its fields, and why.
#[derive(Debug, Clone, PartialEq)]
struct TurnIssue {
    field: &'static str,
    reason: String,
}

impl TurnIssue {
    fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

impl Turn {
    /// Longest turn text, in characters (a long e-mail fits; a pasted log does not).
    pub const MAX_CHARS: usize = 20_000;
    /// Largest time offset accepted, in seconds (keeps millisecond arithmetic exact).
    pub const MAX_SECONDS: f64 = 1e9;

    /// Builds a turn; `field` in the error is `text`, `start` or `end`.
    pub fn new(
        speaker: Speaker,
        text: &str,
        start: Option<f64>,
        end: Option<f64>,
    ) -> Result<Self, DomainError> {
        Self::build(speaker, text, start, end).map_err(|i| DomainError::new(i.field, i.reason))
    }

    fn build(
        speaker: Speaker,
        text: &str,
        start: Option<f64>,
        end: Option<f64>,
    ) -> Result<Self, TurnIssue> {
        let text = canonical_text(text).map_err(|r| TurnIssue::new("text", r))?;
        for (field, t) in [("start", start), ("end", end)] {
            if let Some(t) = t {
                if !t.is_finite() || !(0.0..=Self::MAX_SECONDS).contains(&t) {
                    return Err(TurnIssue::new(
                        field,
                        "must be a number of seconds between 0 and 1e9",
                    ));
                }
            }
        }
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                return Err(TurnIssue::new("end", "must not be before start"));
            }
        }
        Ok(Self {
            speaker,
            text,
            start,
            end,
        })
    }

    pub fn speaker(&self) -> Speaker {
        self.speaker
    }

    /// Canonical text: no bidi controls, lines trimmed, no blank lines, never empty.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn start(&self) -> Option<f64> {
        self.start
    }

    pub fn end(&self) -> Option<f64> {
        self.end
    }
}

fn canonical_text(raw: &str) -> Result<String, String> {
    let mut out = String::new();
    for line in raw.split(['\n', '\r']) {
        let cleaned: String = line
            .chars()
            .filter(|&c| !is_bidi_control(c) && c != '\u{FEFF}')
            .collect();
        let line = cleaned.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.chars().find(|&c| c.is_control() && c != '\t') {
            return Err(format!(
                "must not contain control character U+{:04X}",
                c as u32
            ));
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    if out.is_empty() {
        return Err("must not be empty".into());
    }
    if out.chars().count() > Turn::MAX_CHARS {
        return Err(format!("must be at most {} characters", Turn::MAX_CHARS));
    }
    Ok(out)
}

/// What the caller knows about a conversation whose body is plain text or WebVTT (JSON carries its own).
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub external_id: String,
    pub channel: Channel,
    /// Agent e-mail or external reference, as given.
    pub agent: Option<String>,
    /// Customer external id.
    pub customer: Option<String>,
    pub touchpoint: Option<i64>,
    pub started_at: Option<DateTime<Utc>>,
    pub language: Option<Locale>,
}

impl Metadata {
    pub fn new(external_id: impl Into<String>, channel: Channel) -> Self {
        Self {
            external_id: external_id.into(),
            channel,
            agent: None,
            customer: None,
            touchpoint: None,
            started_at: None,
            language: None,
        }
    }
}

/// A parsed, validated conversation. Serialises to the JSON import format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transcript {
    #[serde(rename = "id")]
    external_id: String,
    channel: Channel,
    agent: Option<String>,
    customer: Option<String>,
    touchpoint: Option<i64>,
    started_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<Locale>,
    turns: Vec<Turn>,
}

/// A problem with the sequence of turns: the index of the turn to blame (if any), its field, why.
struct SequenceIssue {
    turn: Option<usize>,
    field: &'static str,
    reason: String,
}

impl Transcript {
    /// Most turns in one conversation (a long chat has a few hundred).
    pub const MAX_TURNS: usize = 5_000;
    /// Longest id, agent or customer reference, in characters.
    pub const MAX_REF_CHARS: usize = 200;

    /// Builds a transcript from parts; errors name `id`, `agent`, …, `turns` or `turns[i].start`.
    pub fn new(meta: Metadata, turns: Vec<Turn>) -> Result<Self, DomainError> {
        let meta = check_metadata(meta).map_err(|(f, r)| DomainError::new(f, r))?;
        check_sequence(&turns).map_err(|i| match i.turn {
            Some(n) => DomainError::new(format!("turns[{n}].{}", i.field), i.reason),
            None => DomainError::new("turns", i.reason),
        })?;
        Ok(Self::assemble(meta, turns))
    }

    fn assemble(meta: Metadata, turns: Vec<Turn>) -> Self {
        Self {
            external_id: meta.external_id,
            channel: meta.channel,
            agent: meta.agent,
            customer: meta.customer,
            touchpoint: meta.touchpoint,
            started_at: meta.started_at,
            language: meta.language,
            turns,
        }
    }

    pub fn external_id(&self) -> &str {
        &self.external_id
    }
    pub fn channel(&self) -> Channel {
        self.channel
    }
    pub fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }
    pub fn customer(&self) -> Option<&str> {
        self.customer.as_deref()
    }
    pub fn touchpoint(&self) -> Option<i64> {
        self.touchpoint
    }
    pub fn started_at(&self) -> Option<DateTime<Utc>> {
        self.started_at
    }
    pub fn language(&self) -> Option<Locale> {
        self.language
    }
    /// At least one, at most [`Transcript::MAX_TURNS`].
    pub fn turns(&self) -> &[Turn] {
        &self.turns
    }

    /// Rewrites every turn's text (PII redaction before storage); speakers and times stay.
    /// A rewrite to blank keeps the original, so a transcript stays valid.
    pub fn map_text(mut self, mut f: impl FnMut(&str) -> String) -> Self {
        for turn in &mut self.turns {
            let new = f(&turn.text);
            if !new.trim().is_empty() {
                turn.text = new;
            }
        }
        self
    }

    /// The JSON import format, as a value.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

fn check_ref(field: &'static str, raw: &str) -> Result<String, (String, String)> {
    let s = raw.trim();
    if s.is_empty() {
        return Err((field.into(), "must not be empty".into()));
    }
    if s.chars().count() > Transcript::MAX_REF_CHARS {
        return Err((
            field.into(),
            format!("must be at most {} characters", Transcript::MAX_REF_CHARS),
        ));
    }
    if let Some(c) = s.chars().find(|&c| c.is_control() || is_bidi_control(c)) {
        return Err((
            field.into(),
            format!("must not contain control character U+{:04X}", c as u32),
        ));
    }
    Ok(s.to_string())
}

/// Optional references: blank means absent (as in `Text::parse_optional`).
fn check_optional_ref(
    field: &'static str,
    raw: Option<String>,
) -> Result<Option<String>, (String, String)> {
    match raw {
        Some(s) if !s.trim().is_empty() => check_ref(field, &s).map(Some),
        _ => Ok(None),
    }
}

fn check_metadata(meta: Metadata) -> Result<Metadata, (String, String)> {
    if let Some(t) = meta.touchpoint {
        if t <= 0 {
            return Err(("touchpoint".into(), "must be a positive integer".into()));
        }
    }
    Ok(Metadata {
        external_id: check_ref("id", &meta.external_id)?,
        agent: check_optional_ref("agent", meta.agent)?,
        customer: check_optional_ref("customer", meta.customer)?,
        ..meta
    })
}

fn check_sequence(turns: &[Turn]) -> Result<(), SequenceIssue> {
    if turns.is_empty() {
        return Err(SequenceIssue {
            turn: None,
            field: "",
            reason: "must contain at least one turn".into(),
        });
    }
    if turns.len() > Transcript::MAX_TURNS {
        return Err(SequenceIssue {
            turn: None,
            field: "",
            reason: format!("must contain at most {} turns", Transcript::MAX_TURNS),
        });
    }
    let mut last_start = [None::<f64>; 2];
    for (i, t) in turns.iter().enumerate() {
        let slot = &mut last_start[t.speaker as usize];
        if let Some(s) = t.start {
            if let Some(prev) = *slot {
                if s < prev {
                    return Err(SequenceIssue {
                        turn: Some(i),
                        field: "start",
                        reason: format!(
                            "must not be before the {}'s previous turn (start {prev})",
                            t.speaker.as_str()
                        ),
                    });
                }
            }
            *slot = Some(s);
        }
    }
    Ok(())
}

/// Why a transcript could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversationError {
    /// Not JSON at all.
    #[error("invalid JSON: {message}")]
    JsonSyntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// Well-formed JSON that breaks a rule; `path` is like `turns[1].speaker`.
    #[error("{path}: {reason}")]
    Json { path: String, reason: String },
    /// Plain text; `line` is 1-based.
    #[error("line {line}: {reason}")]
    Text { line: usize, reason: String },
    /// WebVTT; `line` is 1-based.
    #[error("line {line}: {reason}")]
    WebVtt { line: usize, reason: String },
    /// Caller-supplied metadata (plain text and WebVTT).
    #[error("{field}: {reason}")]
    Metadata { field: String, reason: String },
}

impl ConversationError {
    /// Where to look: a JSON path, `line N`, or a metadata field.
    pub fn location(&self) -> String {
        match self {
            ConversationError::JsonSyntax { line, column, .. } => {
                format!("line {line}, column {column}")
            }
            ConversationError::Json { path, .. } => path.clone(),
            ConversationError::Text { line, .. } | ConversationError::WebVtt { line, .. } => {
                format!("line {line}")
            }
            ConversationError::Metadata { field, .. } => field.clone(),
        }
    }
}

impl From<ConversationError> for DomainError {
    fn from(e: ConversationError) -> Self {
        let reason = match &e {
            ConversationError::JsonSyntax { message, .. } => message.clone(),
            ConversationError::Json { reason, .. }
            | ConversationError::Text { reason, .. }
            | ConversationError::WebVtt { reason, .. }
            | ConversationError::Metadata { reason, .. } => reason.clone(),
        };
        DomainError::new(e.location(), reason)
    }
}

fn meta_error((field, reason): (String, String)) -> ConversationError {
    ConversationError::Metadata { field, reason }
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

const ROOT_KEYS: [&str; 8] = [
    "id",
    "channel",
    "agent",
    "customer",
    "touchpoint",
    "started_at",
    "language",
    "turns",
];
const TURN_KEYS: [&str; 4] = ["speaker", "text", "start", "end"];

fn json_err(path: impl Into<String>, reason: impl Into<String>) -> ConversationError {
    ConversationError::Json {
        path: path.into(),
        reason: reason.into(),
    }
}

fn join_path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Unknown fields are errors (a typo must not silently drop data).
fn deny_unknown(
    obj: &Map<String, Value>,
    known: &[&str],
    prefix: &str,
) -> Result<(), ConversationError> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(json_err(
            join_path(prefix, k),
            format!("unknown field; expected one of {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

fn optional_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, ConversationError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(json_err(join_path(path, key), "expected a string or null")),
    }
}

fn optional_seconds(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<f64>, ConversationError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(_) => Err(json_err(
            join_path(path, key),
            "expected a number of seconds or null",
        )),
    }
}

/// Parses one conversation in the JSON import format.
pub fn parse_json(input: &str) -> Result<Transcript, ConversationError> {
    let value: Value = serde_json::from_str(input).map_err(|e| ConversationError::JsonSyntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    from_json_value(&value)
}

/// Like [`parse_json`], for a value already read (e.g. one line of JSON Lines).
pub fn from_json_value(value: &Value) -> Result<Transcript, ConversationError> {
    let Value::Object(root) = value else {
        return Err(json_err("$", "expected an object"));
    };
    deny_unknown(root, &ROOT_KEYS, "")?;

    let external_id = match root.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(_) => return Err(json_err("id", "expected a string")),
        None => return Err(json_err("id", "missing field")),
    };
    let channel = match root.get("channel") {
        Some(Value::String(s)) => {
            Channel::parse("channel", s).map_err(|e| json_err("channel", e.reason))?
        }
        Some(_) => return Err(json_err("channel", "expected a string")),
        None => return Err(json_err("channel", "missing field")),
    };
    let agent = optional_str(root, "agent", "")?.map(str::to_string);
    let customer = optional_str(root, "customer", "")?.map(str::to_string);
    let touchpoint = match root.get("touchpoint") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.is_i64() => n.as_i64(),
        Some(_) => return Err(json_err("touchpoint", "expected an integer or null")),
    };
    let started_at = match optional_str(root, "started_at", "")? {
        None => None,
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s.trim())
                .map_err(|_| {
                    json_err(
                        "started_at",
                        "expected an RFC 3339 date-time such as 2024-05-01T09:30:00Z",
                    )
                })?
                .with_timezone(&Utc),
        ),
    };
    let language = match optional_str(root, "language", "")? {
        None => None,
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(Locale::parse("language", s).map_err(|e| json_err("language", e.reason))?),
    };
    let meta = check_metadata(Metadata {
        external_id,
        channel,
        agent,
        customer,
        touchpoint,
        started_at,
        language,
    })
    .map_err(|(f, r)| json_err(f, r))?;

    let raw_turns = match root.get("turns") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(json_err("turns", "expected an array")),
        None => return Err(json_err("turns", "missing field")),
    };
    if raw_turns.len() > Transcript::MAX_TURNS {
        return Err(json_err(
            "turns",
            format!("must contain at most {} turns", Transcript::MAX_TURNS),
        ));
    }
    let mut turns = Vec::with_capacity(raw_turns.len());
    for (i, raw) in raw_turns.iter().enumerate() {
        let path = format!("turns[{i}]");
        let Value::Object(obj) = raw else {
            return Err(json_err(path, "expected an object"));
        };
        deny_unknown(obj, &TURN_KEYS, &path)?;
        let speaker = match obj.get("speaker") {
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "agent" => Speaker::Agent,
                "customer" => Speaker::Customer,
                _ => {
                    return Err(json_err(
                        format!("{path}.speaker"),
                        "must be \"agent\" or \"customer\"",
                    ))
                }
            },
            Some(_) => {
                return Err(json_err(
                    format!("{path}.speaker"),
                    "expected the string \"agent\" or \"customer\"",
                ))
            }
            None => return Err(json_err(format!("{path}.speaker"), "missing field")),
        };
        let text = match obj.get("text") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(json_err(format!("{path}.text"), "expected a string")),
            None => return Err(json_err(format!("{path}.text"), "missing field")),
        };
        let start = optional_seconds(obj, "start", &path)?;
        let end = optional_seconds(obj, "end", &path)?;
        let turn = Turn::build(speaker, text, start, end)
            .map_err(|e| json_err(format!("{path}.{}", e.field), e.reason))?;
        turns.push(turn);
    }
    check_sequence(&turns).map_err(|i| match i.turn {
        Some(n) => json_err(format!("turns[{n}].{}", i.field), i.reason),
        None => json_err("turns", i.reason),
    })?;
    Ok(Transcript::assemble(meta, turns))
}

// ---------------------------------------------------------------------------------------------
// Shared line helpers
// ---------------------------------------------------------------------------------------------

/// Removes bidi controls and BOMs, then trims.
fn clean_line(line: &str) -> String {
    let s: String = line
        .chars()
        .filter(|&c| !is_bidi_control(c) && c != '\u{FEFF}')
        .collect();
    s.trim().to_string()
}

/// Lowercases and drops Greek accents and the final-sigma form, so `ΠΕΛΑΤΗΣ:` matches `Πελάτης:`.
fn fold(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'ά' => 'α',
            'έ' => 'ε',
            'ή' => 'η',
            'ί' | 'ϊ' | 'ΐ' => 'ι',
            'ό' => 'ο',
            'ύ' | 'ϋ' | 'ΰ' => 'υ',
            'ώ' => 'ω',
            'ς' => 'σ',
            c => c,
        })
        .collect()
}

const AGENT_LABELS: [&str; 4] = ["agent", "נציג", "נציגה", "εκπροσωποσ"];
const CUSTOMER_LABELS: [&str; 5] = ["customer", "לקוח", "לקוחה", "πελατησ", "πελατισσα"];
const PREFIXES_HINT: &str = "`Agent:`, `Customer:`, `נציג:`, `לקוח:`, `Εκπρόσωπος:` or `Πελάτης:`";

fn speaker_for_label(label: &str) -> Option<Speaker> {
    let f = fold(label);
    if AGENT_LABELS.contains(&f.as_str()) {
        Some(Speaker::Agent)
    } else if CUSTOMER_LABELS.contains(&f.as_str()) {
        Some(Speaker::Customer)
    } else {
        None
    }
}

/// `Agent: hello` → (Agent, "hello"). Only a known label before the first colon counts.
fn split_prefix(line: &str) -> Option<(Speaker, &str)> {
    let (label, rest) = line.split_once([':', '：'])?;
    if label.chars().count() > 20 {
        return None;
    }
    speaker_for_label(label).map(|s| (s, rest.trim()))
}

/// `[hh:mm:ss]` or `[mm:ss]` (optionally `.mmm`) at the start of a line. `None`: no bracket that looks
/// like a time; `Some(Err)`: it looks like one but is not valid.
fn split_timestamp(line: &str) -> Option<Result<(f64, &str), ()>> {
    let inner_and_rest = line.strip_prefix('[')?;
    let (inner, rest) = inner_and_rest.split_once(']')?;
    let looks_like_time = inner.contains(':')
        && inner
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | ',' | ' '));
    if !looks_like_time {
        return None;
    }
    Some(
        parse_clock(inner.trim(), false)
            .map(|ms| (ms as f64 / 1000.0, rest.trim()))
            .ok_or(()),
    )
}

/// `hh:mm:ss.mmm` or `mm:ss.mmm` to milliseconds; the fraction is required when `need_fraction`.
fn parse_clock(s: &str, need_fraction: bool) -> Option<u64> {
    let digits = |p: &str, min: usize, max: usize| -> Option<u64> {
        if p.len() < min || p.len() > max || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let (clock, frac) = match s.split_once(['.', ',']) {
        Some((c, f)) => (c, Some(f)),
        None => (s, None),
    };
    let ms = match frac {
        Some(f) => digits(f, 1, 3)? * 10u64.pow(3 - f.len() as u32),
        None if need_fraction => return None,
        None => 0,
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [m, s] => (0, digits(m, 1, 2)?, digits(s, 2, 2)?),
        [h, m, s] => (digits(h, 1, 6)?, digits(m, 2, 2)?, digits(s, 2, 2)?),
        _ => return None,
    };
    if m >= 60 || sec >= 60 {
        return None;
    }
    Some(((h * 60 + m) * 60 + sec) * 1000 + ms)
}

fn format_clock(seconds: f64) -> String {
    let total_ms = (seconds * 1000.0).round() as u64;
    let (ms, s) = (total_ms % 1000, total_ms / 1000);
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if ms == 0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}.{ms:03}")
    }
}

/// Lines as WebVTT and text editors see them: ended by CRLF, LF or a lone CR (classic Mac
/// exports). `str::lines` keeps a lone CR inside the line, where turn text would later split on
/// it and turn a `Customer:` after it into part of the previous turn.
fn split_lines(input: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        match rest.find(['\r', '\n']) {
            None => {
                out.push(rest);
                break;
            }
            Some(i) => {
                out.push(&rest[..i]);
                let ending = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + ending..];
            }
        }
    }
    out
}

/// A turn as read from a line-based format, with the line it began on.
struct LineTurn {
    speaker: Speaker,
    text: String,
    start: Option<f64>,
    end: Option<f64>,
    line: usize,
}

/// Shared tail of the line-based parsers: per-turn and sequence checks, errors mapped to lines.
fn finish_lines(
    meta: Metadata,
    raw: Vec<LineTurn>,
    last_line: usize,
    err: fn(usize, String) -> ConversationError,
) -> Result<Transcript, ConversationError> {
    let meta = check_metadata(meta).map_err(meta_error)?;
    let mut turns = Vec::with_capacity(raw.len());
    let mut lines = Vec::with_capacity(raw.len());
    for r in raw {
        let turn = Turn::build(r.speaker, &r.text, r.start, r.end).map_err(|i| {
            let what = match i.field {
                "text" => "turn text",
                "start" => "start time",
                _ => "end time",
            };
            err(r.line, format!("{what} {}", i.reason))
        })?;
        turns.push(turn);
        lines.push(r.line);
    }
    check_sequence(&turns).map_err(|i| match i.turn {
        Some(n) => err(lines[n], format!("start time {}", i.reason)),
        None => err(last_line.max(1), i.reason),
    })?;
    Ok(Transcript::assemble(meta, turns))
}

fn too_many_turns() -> String {
    format!(
        "too many turns: at most {} per conversation",
        Transcript::MAX_TURNS
    )
}

// ---------------------------------------------------------------------------------------------
// Plain text
// ---------------------------------------------------------------------------------------------

/// Would this line start a new turn (or be an error) in plain text, rather than continue one?
#[cfg(test)]
fn starts_text_turn(cleaned: &str) -> bool {
    split_timestamp(cleaned).is_some() || split_prefix(cleaned).is_some()
}

/// Parses `Agent:` / `Customer:` lines (and the Hebrew and Greek labels), each optionally preceded by
/// `[hh:mm:ss]`. Lines without a label continue the previous turn; blank lines are ignored.
pub fn parse_text(input: &str, meta: Metadata) -> Result<Transcript, ConversationError> {
    let err = |line: usize, reason: String| ConversationError::Text { line, reason };
    let mut raw: Vec<LineTurn> = Vec::new();
    let mut last_line = 0;
    for (idx, line) in split_lines(input).into_iter().enumerate() {
        let n = idx + 1;
        last_line = n;
        let cleaned = clean_line(line);
        if cleaned.is_empty() {
            continue;
        }
        let (start, rest) = match split_timestamp(&cleaned) {
            Some(Ok((t, rest))) => (Some(t), rest),
            Some(Err(())) => return Err(err(
                n,
                "expected a timestamp like [hh:mm:ss] or [mm:ss] (minutes and seconds below 60)"
                    .into(),
            )),
            None => (None, cleaned.as_str()),
        };
        match split_prefix(rest) {
            Some((speaker, text)) => {
                if raw.len() == Transcript::MAX_TURNS {
                    return Err(err(n, too_many_turns()));
                }
                raw.push(LineTurn {
                    speaker,
                    text: text.to_string(),
                    start,
                    end: None,
                    line: n,
                });
            }
            None if start.is_some() => {
                return Err(err(
                    n,
                    format!(
                        "expected a speaker prefix such as {PREFIXES_HINT} after the timestamp"
                    ),
                ))
            }
            None => match raw.last_mut() {
                Some(turn) => {
                    turn.text.push('\n');
                    turn.text.push_str(rest);
                }
                None => {
                    return Err(err(
                        n,
                        format!("expected a speaker prefix such as {PREFIXES_HINT}"),
                    ))
                }
            },
        }
    }
    if raw.is_empty() {
        return Err(err(
            last_line.max(1),
            format!("expected at least one turn starting with {PREFIXES_HINT}"),
        ));
    }
    finish_lines(meta, raw, last_line, err)
}

/// Renders the turns as plain text (`[hh:mm:ss] Agent: …`), the inverse of [`parse_text`] for turns
/// whose continuation lines do not themselves start with a label or a timestamp. End times are dropped.
pub fn render_text(transcript: &Transcript) -> String {
    let mut out = String::new();
    for t in transcript.turns() {
        if let Some(s) = t.start {
            out.push('[');
            out.push_str(&format_clock(s));
            out.push_str("] ");
        }
        out.push_str(t.speaker.label());
        out.push_str(": ");
        out.push_str(&t.text);
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// WebVTT
// ---------------------------------------------------------------------------------------------

/// How WebVTT voice names (`<v Dana Cohen>`) map to speakers.
pub enum VoiceRule {
    /// The agent is a voice equal to the transcript's `agent` field, or containing the word
    /// agent / נציג / נציגה / εκπρόσωπος; every other voice is the customer.
    Default,
    /// These names (case-insensitive) are agents; every other voice is the customer.
    AgentNames(Vec<String>),
    /// Any rule the caller likes.
    Custom(Box<dyn Fn(&str) -> Speaker + Send + Sync>),
}

impl VoiceRule {
    fn speaker(&self, voice: &str, agent_ref: Option<&str>) -> Speaker {
        let folded = fold(voice);
        let is_agent = match self {
            VoiceRule::Default => {
                agent_ref.is_some_and(|a| fold(a) == folded)
                    || folded
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| AGENT_LABELS.contains(&w))
            }
            VoiceRule::AgentNames(names) => names.iter().any(|n| fold(n) == folded),
            VoiceRule::Custom(f) => return f(voice.trim()),
        };
        if is_agent {
            Speaker::Agent
        } else {
            Speaker::Customer
        }
    }
}

/// Splits a leading `<v Name>` / `<v.class Name>` tag off a cue line. `Some(Err)`: a voice tag
/// without a name.
fn split_voice(line: &str) -> Option<Result<(&str, &str), ()>> {
    let after = line.strip_prefix("<v")?;
    if !after.starts_with([' ', '\t', '.']) {
        return None;
    }
    let Some((tag, rest)) = after.split_once('>') else {
        return Some(Err(()));
    };
    // `.class.names` run up to the first whitespace; the annotation (the name) follows it.
    let name = match tag.find([' ', '\t']) {
        Some(i) => tag[i..].trim(),
        None => "",
    };
    if name.is_empty() {
        Some(Err(()))
    } else {
        Some(Ok((name, rest)))
    }
}

/// Removes markup (`<b>`, `</v>`, `<00:00:01.000>`) and decodes the common character references.
fn cue_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        match rest[i..].find('>') {
            Some(j) => rest = &rest[i + j + 1..],
            None => {
                // An unclosed `<` is text, not markup.
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&lrm;", "")
        .replace("&rlm;", "")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn is_block_keyword(line: &str, keyword: &str) -> bool {
    line.strip_prefix(keyword)
        .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
}

/// Parses a WebVTT transcript. Each cue's speaker comes from its `<v Name>` tag through `rule`
/// (or, without a tag, from an `Agent:`-style label); consecutive cues of the same speaker become one
/// turn with the first start and the last end. NOTE, STYLE and REGION blocks are skipped.
pub fn parse_webvtt(
    input: &str,
    meta: Metadata,
    rule: &VoiceRule,
) -> Result<Transcript, ConversationError> {
    let err = |line: usize, reason: String| ConversationError::WebVtt { line, reason };
    let lines = split_lines(input);
    let header = lines.first().map(|l| l.trim_start_matches('\u{FEFF}'));
    if !header.is_some_and(|h| {
        h.strip_prefix("WEBVTT")
            .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
    }) {
        return Err(err(1, "expected the `WEBVTT` header".into()));
    }
    let blank = |i: usize| lines[i].trim().is_empty();
    let mut i = 1;
    while i < lines.len() && !blank(i) {
        i += 1; // header metadata
    }
    let agent_ref = meta.agent.clone();
    let mut raw: Vec<LineTurn> = Vec::new();
    loop {
        while i < lines.len() && blank(i) {
            i += 1;
        }
        if i >= lines.len() {
            break;
        }
        let first = lines[i].trim();
        if is_block_keyword(first, "NOTE")
            || is_block_keyword(first, "STYLE")
            || is_block_keyword(first, "REGION")
        {
            while i < lines.len() && !blank(i) {
                i += 1;
            }
            continue;
        }
        if !first.contains("-->") {
            i += 1; // cue identifier
            if i >= lines.len() || !lines[i].contains("-->") {
                return Err(err(
                    i + 1,
                    "expected a cue timing line `hh:mm:ss.mmm --> hh:mm:ss.mmm`".into(),
                ));
            }
        }
        let timing_line = i + 1;
        let (left, right) = lines[i].split_once("-->").unwrap_or_default();
        let start = parse_clock(left.trim(), true).ok_or_else(|| {
            err(
                timing_line,
                "expected a start time `hh:mm:ss.mmm` or `mm:ss.mmm` before `-->`".into(),
            )
        })?;
        let end_token = right.split_whitespace().next().unwrap_or("");
        let end = parse_clock(end_token, true).ok_or_else(|| {
            err(
                timing_line,
                "expected an end time `hh:mm:ss.mmm` or `mm:ss.mmm` after `-->`".into(),
            )
        })?;
        if end < start {
            return Err(err(
                timing_line,
                "cue end time must not be before its start time".into(),
            ));
        }
        let (start, end) = (start as f64 / 1000.0, end as f64 / 1000.0);
        i += 1;
        let mut voice: Option<Speaker> = None;
        while i < lines.len() && !blank(i) {
            let n = i + 1;
            let line = clean_line(lines[i]);
            i += 1;
            let (speaker, text) = match split_voice(&line) {
                Some(Ok((name, rest))) => {
                    let s = rule.speaker(name, agent_ref.as_deref());
                    voice = Some(s);
                    (s, cue_text(rest))
                }
                Some(Err(())) => {
                    return Err(err(
                        n,
                        "expected a voice tag with a speaker name, like `<v Dana>`".into(),
                    ))
                }
                None => {
                    let text = cue_text(&line);
                    match (voice, split_prefix(text.trim())) {
                        (_, Some((s, t))) => (s, t.to_string()),
                        (Some(s), None) => (s, text),
                        (None, None) => {
                            return Err(err(
                                n,
                                format!(
                                    "expected a `<v Speaker>` voice tag or a speaker prefix such as {PREFIXES_HINT}"
                                ),
                            ))
                        }
                    }
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            match raw.last_mut() {
                Some(last) if last.speaker == speaker => {
                    last.text.push('\n');
                    last.text.push_str(&text);
                    last.end = Some(last.end.map_or(end, |e| e.max(end)));
                }
                _ => {
                    if raw.len() == Transcript::MAX_TURNS {
                        return Err(err(n, too_many_turns()));
                    }
                    raw.push(LineTurn {
                        speaker,
                        text,
                        start: Some(start),
                        end: Some(end),
                        line: timing_line,
                    });
                }
            }
        }
    }
    if raw.is_empty() {
        return Err(err(
            lines.len().max(1),
            "expected at least one cue with text".into(),
        ));
    }
    finish_lines(meta, raw, lines.len(), err)
}

pub mod metrics;

#[cfg(test)]
mod tests;
