//! Surveys: a versioned definition (questions in several languages, conditional follow-ups)
//! and the rules that turn a respondent's raw answers into a valid, typed response.
//!
//! A definition is stored as JSON with its version; a response keeps the version it answered,
//! so editing a published survey never changes the meaning of old answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DomainError, Locale};

/// Text in several languages; the respondent sees their own, else the survey's first locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(transparent)]
pub struct Localized(pub BTreeMap<String, String>);

impl Localized {
    pub fn get(&self, locale: Locale, fallback: Locale) -> &str {
        self.0
            .get(locale.as_str())
            .or_else(|| self.0.get(fallback.as_str()))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    fn check(&self, field: &str, locales: &[Locale], required: bool) -> Result<(), DomainError> {
        for key in self.0.keys() {
            Locale::parse(field, key)
                .map_err(|_| DomainError::new(field, format!("unknown language {key:?}")))?;
        }
        if required {
            for l in locales {
                if self.0.get(l.as_str()).is_none_or(|t| t.trim().is_empty()) {
                    return Err(DomainError::new(
                        format!("{field}.{l}"),
                        "text is missing for this language",
                    ));
                }
            }
        }
        for (k, v) in &self.0 {
            if v.chars().count() > 2000 || v.chars().any(crate::values::is_bidi_control) {
                return Err(DomainError::new(
                    format!("{field}.{k}"),
                    "must be at most 2000 characters without bidi controls",
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub key: String,
    pub label: Localized,
}

/// What a question asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    /// 0–10 likelihood to recommend.
    Nps,
    /// 1–5 satisfaction; CSAT is the share of 4–5.
    Csat,
    /// 1–7 agreement that it was easy to handle.
    Ces,
    /// A numeric scale with labelled ends.
    Rating {
        min: i32,
        max: i32,
    },
    SingleChoice {
        options: Vec<Choice>,
    },
    MultipleChoice {
        options: Vec<Choice>,
    },
    FreeText,
    /// What the customer expected and what they got, both 1–7 (SERVQUAL: gap = experience − expectation).
    ExpectationPair {
        expectation: Localized,
        experience: Localized,
    },
}

impl QuestionKind {
    /// The inclusive scale of numeric questions.
    pub fn scale(&self) -> Option<(i32, i32)> {
        match self {
            QuestionKind::Nps => Some((0, 10)),
            QuestionKind::Csat => Some((1, 5)),
            QuestionKind::Ces | QuestionKind::ExpectationPair { .. } => Some((1, 7)),
            QuestionKind::Rating { min, max } => Some((*min, *max)),
            _ => None,
        }
    }
}

/// NPS groups, for conditional follow-ups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NpsGroup {
    Detractor,
    Passive,
    Promoter,
}

impl NpsGroup {
    pub fn of(score: i32) -> NpsGroup {
        match score {
            9.. => NpsGroup::Promoter,
            7..=8 => NpsGroup::Passive,
            _ => NpsGroup::Detractor,
        }
    }
}

/// Show a question only when an earlier answer matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Key of an earlier question.
    pub question: String,
    /// For NPS questions: show for these groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nps_groups: Vec<NpsGroup>,
    /// For numeric questions: show when the answer is at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<i32>,
    /// For numeric questions: show when the answer is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<i32>,
    /// For choice questions: show when one of these options was chosen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "serde_json::Map<String, serde_json::Value>")]
pub struct Question {
    /// Stable key used in answers, imports and conditions (e.g. `nps`, `why`).
    pub key: String,
    #[serde(flatten)]
    pub kind: QuestionKind,
    pub prompt: Localized,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// Labels for the low and high ends of a scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_label: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_label: Option<Localized>,
}

/// The same shape as [`Question`], for deserialising after unknown keys were refused
/// (serde cannot deny unknown fields next to a flattened enum).
#[derive(Deserialize)]
struct QuestionRepr {
    key: String,
    #[serde(flatten)]
    kind: QuestionKind,
    prompt: Localized,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    show_if: Option<Condition>,
    #[serde(default)]
    low_label: Option<Localized>,
    #[serde(default)]
    high_label: Option<Localized>,
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for Question {
    type Error = String;

    fn try_from(map: serde_json::Map<String, serde_json::Value>) -> Result<Self, Self::Error> {
        const COMMON: [&str; 7] = [
            "key",
            "type",
            "prompt",
            "required",
            "show_if",
            "low_label",
            "high_label",
        ];
        const EXTRA: [&str; 5] = ["min", "max", "options", "expectation", "experience"];
        if let Some(k) = map
            .keys()
            .find(|k| !COMMON.contains(&k.as_str()) && !EXTRA.contains(&k.as_str()))
        {
            return Err(format!("unknown field `{k}`"));
        }
        let r: QuestionRepr =
            serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| e.to_string())?;
        Ok(Question {
            key: r.key,
            kind: r.kind,
            prompt: r.prompt,
            required: r.required,
            show_if: r.show_if,
            low_label: r.low_label,
            high_label: r.high_label,
        })
    }
}

/// A survey's content at one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyDefinition {
    /// Languages the survey is written in; the first is the fallback.
    pub locales: Vec<Locale>,
    pub title: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thanks: Option<Localized>,
    pub questions: Vec<Question>,
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 40
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl SurveyDefinition {
    /// Checks everything a respondent page and the metrics rely on.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.locales.is_empty() {
            return Err(DomainError::new(
                "definition.locales",
                "name at least one language",
            ));
        }
        self.title.check("definition.title", &self.locales, true)?;
        if let Some(i) = &self.intro {
            i.check("definition.intro", &self.locales, false)?;
        }
        if let Some(t) = &self.thanks {
            t.check("definition.thanks", &self.locales, false)?;
        }
        if self.questions.is_empty() || self.questions.len() > 50 {
            return Err(DomainError::new(
                "definition.questions",
                "a survey has 1–50 questions",
            ));
        }
        let mut seen: Vec<&str> = vec![];
        for (i, q) in self.questions.iter().enumerate() {
            let f = format!("definition.questions[{i}]");
            if !valid_key(&q.key) {
                return Err(DomainError::new(
                    format!("{f}.key"),
                    "use 1–40 letters, digits, _ or -",
                ));
            }
            if seen.contains(&q.key.as_str()) {
                return Err(DomainError::new(format!("{f}.key"), "keys must be unique"));
            }
            q.prompt
                .check(&format!("{f}.prompt"), &self.locales, true)?;
            match &q.kind {
                QuestionKind::Rating { min, max } if !(min < max && max - min <= 20) => {
                    return Err(DomainError::new(
                        format!("{f}.max"),
                        "a rating needs min < max and at most 21 points",
                    ));
                }
                QuestionKind::SingleChoice { options }
                | QuestionKind::MultipleChoice { options } => {
                    if options.len() < 2 || options.len() > 30 {
                        return Err(DomainError::new(
                            format!("{f}.options"),
                            "give 2–30 options",
                        ));
                    }
                    for (j, o) in options.iter().enumerate() {
                        if !valid_key(&o.key) || options[..j].iter().any(|p| p.key == o.key) {
                            return Err(DomainError::new(
                                format!("{f}.options[{j}].key"),
                                "unique keys of letters, digits, _ or -",
                            ));
                        }
                        o.label
                            .check(&format!("{f}.options[{j}].label"), &self.locales, true)?;
                    }
                }
                QuestionKind::ExpectationPair {
                    expectation,
                    experience,
                } => {
                    expectation.check(&format!("{f}.expectation"), &self.locales, true)?;
                    experience.check(&format!("{f}.experience"), &self.locales, true)?;
                }
                _ => {}
            }
            if let Some(c) = &q.show_if {
                if !seen.contains(&c.question.as_str()) {
                    return Err(DomainError::new(
                        format!("{f}.show_if.question"),
                        "must name an earlier question",
                    ));
                }
            }
            seen.push(&q.key);
        }
        Ok(())
    }

    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.key == key)
    }

    pub fn fallback_locale(&self) -> Locale {
        self.locales[0]
    }

    /// Is this question shown, given the answers so far?
    pub fn is_shown(&self, q: &Question, answers: &BTreeMap<String, Answer>) -> bool {
        let Some(c) = &q.show_if else { return true };
        let Some(prior) = answers.get(&c.question) else {
            return false;
        };
        let prior_q = self.question(&c.question);
        match prior {
            Answer::Number(n) => {
                let n = *n;
                (c.nps_groups.is_empty()
                    || (matches!(prior_q.map(|p| &p.kind), Some(QuestionKind::Nps))
                        && c.nps_groups.contains(&NpsGroup::of(n))))
                    && c.at_most.is_none_or(|m| n <= m)
                    && c.at_least.is_none_or(|m| n >= m)
                    && c.any_of.is_empty()
            }
            Answer::Choice(k) => c.any_of.is_empty() || c.any_of.contains(k),
            Answer::Choices(ks) => c.any_of.is_empty() || ks.iter().any(|k| c.any_of.contains(k)),
            _ => {
                c.nps_groups.is_empty()
                    && c.at_most.is_none()
                    && c.at_least.is_none()
                    && c.any_of.is_empty()
            }
        }
    }

    /// Parses raw answers (as a form or an API sends them) into a valid [`Answers`].
    /// Hidden questions' answers are dropped; required visible ones must be present.
    pub fn parse_answers(&self, raw: &BTreeMap<String, RawAnswer>) -> Result<Answers, DomainError> {
        for k in raw.keys() {
            if self.question(k).is_none()
                && !k.ends_with(".expectation")
                && !k.ends_with(".experience")
            {
                return Err(DomainError::new(
                    format!("answers.{k}"),
                    "no such question in this survey version",
                ));
            }
        }
        let mut out: BTreeMap<String, Answer> = BTreeMap::new();
        for q in &self.questions {
            if !self.is_shown(q, &out) {
                continue;
            }
            let f = format!("answers.{}", q.key);
            let value = raw.get(&q.key).filter(|v| !v.is_blank());
            let parsed = match (&q.kind, value) {
                (QuestionKind::ExpectationPair { .. }, _) => {
                    let pair = raw.get(&q.key).and_then(RawAnswer::pair);
                    let e = raw
                        .get(&format!("{}.expectation", q.key))
                        .cloned()
                        .or_else(|| pair.as_ref().map(|p| p.0.clone()));
                    let x = raw
                        .get(&format!("{}.experience", q.key))
                        .cloned()
                        .or_else(|| pair.as_ref().map(|p| p.1.clone()));
                    match (e.filter(|v| !v.is_blank()), x.filter(|v| !v.is_blank())) {
                        (None, None) => None,
                        (Some(e), Some(x)) => Some(Answer::Pair {
                            expectation: e.number(&format!("{f}.expectation"), 1, 7)?,
                            experience: x.number(&format!("{f}.experience"), 1, 7)?,
                        }),
                        _ => {
                            return Err(DomainError::new(
                                f,
                                "answer both what you expected and what you got",
                            ))
                        }
                    }
                }
                (_, None) => None,
                (kind, Some(v)) => Some(match kind {
                    QuestionKind::Nps
                    | QuestionKind::Csat
                    | QuestionKind::Ces
                    | QuestionKind::Rating { .. } => {
                        let (lo, hi) = kind.scale().unwrap_or((0, 10));
                        Answer::Number(v.number(&f, lo, hi)?)
                    }
                    QuestionKind::SingleChoice { options } => {
                        let k = v.text(&f)?;
                        if !options.iter().any(|o| o.key == k) {
                            return Err(DomainError::new(f, "not one of the options"));
                        }
                        Answer::Choice(k)
                    }
                    QuestionKind::MultipleChoice { options } => {
                        let ks = v.list(&f)?;
                        if let Some(bad) = ks.iter().find(|k| !options.iter().any(|o| &o.key == *k))
                        {
                            return Err(DomainError::new(
                                f,
                                format!("{bad:?} is not one of the options"),
                            ));
                        }
                        Answer::Choices(ks)
                    }
                    QuestionKind::FreeText => {
                        let t = v.text(&f)?;
                        if t.chars().count() > 5000 {
                            return Err(DomainError::new(f, "must be at most 5000 characters"));
                        }
                        Answer::Text(t)
                    }
                    QuestionKind::ExpectationPair { .. } => unreachable!("handled above"),
                }),
            };
            match parsed {
                Some(a) => {
                    out.insert(q.key.clone(), a);
                }
                None if q.required => {
                    return Err(DomainError::new(f, "this question needs an answer"))
                }
                None => {}
            }
        }
        if out.is_empty() {
            return Err(DomainError::new("answers", "answer at least one question"));
        }
        Ok(Answers::summarise(self, out))
    }
}

/// An answer as it arrives: a number, a string, a list, or a pair object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum RawAnswer {
    Number(f64),
    Text(String),
    List(Vec<String>),
    Pair { expectation: f64, experience: f64 },
}

impl RawAnswer {
    fn is_blank(&self) -> bool {
        matches!(self, RawAnswer::Text(t) if t.trim().is_empty())
            || matches!(self, RawAnswer::List(l) if l.is_empty())
    }

    fn pair(&self) -> Option<(RawAnswer, RawAnswer)> {
        match self {
            RawAnswer::Pair {
                expectation,
                experience,
            } => Some((
                RawAnswer::Number(*expectation),
                RawAnswer::Number(*experience),
            )),
            _ => None,
        }
    }

    fn number(&self, field: &str, lo: i32, hi: i32) -> Result<i32, DomainError> {
        let n = match self {
            RawAnswer::Number(n) if n.fract() == 0.0 => *n as i64,
            RawAnswer::Text(t) => t.trim().parse::<i64>().map_err(|_| {
                DomainError::new(field, format!("must be a whole number from {lo} to {hi}"))
            })?,
            _ => {
                return Err(DomainError::new(
                    field,
                    format!("must be a whole number from {lo} to {hi}"),
                ))
            }
        };
        if n < i64::from(lo) || n > i64::from(hi) {
            return Err(DomainError::new(
                field,
                format!("must be a whole number from {lo} to {hi}"),
            ));
        }
        Ok(n as i32)
    }

    fn text(&self, field: &str) -> Result<String, DomainError> {
        match self {
            RawAnswer::Text(t) => Ok(t.trim().to_string()),
            RawAnswer::Number(n) => Ok(n.to_string()),
            _ => Err(DomainError::new(field, "must be text")),
        }
    }

    fn list(&self, field: &str) -> Result<Vec<String>, DomainError> {
        match self {
            RawAnswer::List(l) => Ok(l.iter().map(|s| s.trim().to_string()).collect()),
            RawAnswer::Text(t) => Ok(t
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()),
            _ => Err(DomainError::new(field, "must be a list of option keys")),
        }
    }
}

/// One parsed answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Answer {
    Number(i32),
    Choice(String),
    Choices(Vec<String>),
    Text(String),
    Pair { expectation: i32, experience: i32 },
}

/// Valid answers plus the headline figures the metrics aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Answers {
    pub answers: BTreeMap<String, Answer>,
    pub nps: Option<i32>,
    pub csat: Option<i32>,
    pub ces: Option<i32>,
    pub expectation: Option<i32>,
    pub experience: Option<i32>,
    /// All free-text answers joined, for the text engine.
    pub comment: Option<String>,
}

impl Answers {
    fn summarise(def: &SurveyDefinition, answers: BTreeMap<String, Answer>) -> Answers {
        let mut s = Answers {
            answers: BTreeMap::new(),
            nps: None,
            csat: None,
            ces: None,
            expectation: None,
            experience: None,
            comment: None,
        };
        let mut texts = vec![];
        for q in &def.questions {
            let Some(a) = answers.get(&q.key) else {
                continue;
            };
            match (&q.kind, a) {
                (QuestionKind::Nps, Answer::Number(n)) => s.nps = s.nps.or(Some(*n)),
                (QuestionKind::Csat, Answer::Number(n)) => s.csat = s.csat.or(Some(*n)),
                (QuestionKind::Ces, Answer::Number(n)) => s.ces = s.ces.or(Some(*n)),
                (
                    QuestionKind::ExpectationPair { .. },
                    Answer::Pair {
                        expectation,
                        experience,
                    },
                ) if s.expectation.is_none() => {
                    s.expectation = Some(*expectation);
                    s.experience = Some(*experience);
                }
                (QuestionKind::FreeText, Answer::Text(t)) if !t.is_empty() => texts.push(t.clone()),
                _ => {}
            }
        }
        s.comment = (!texts.is_empty()).then(|| texts.join("\n\n"));
        s.answers = answers;
        s
    }
}

/// A standard post-interaction survey in English, Hebrew and Greek: NPS, a follow-up by NPS
/// group, CSAT, effort and the promise gap. New surveys start from it.
pub fn default_definition() -> SurveyDefinition {
    let l = |en: &str, he: &str, el: &str| {
        Localized(BTreeMap::from([
            ("en".into(), en.into()),
            ("he".into(), he.into()),
            ("el".into(), el.into()),
        ]))
    };
    SurveyDefinition {
        locales: vec![Locale::En, Locale::He, Locale::El],
        title: l("How did we do?", "איך היינו?", "Πώς τα πήγαμε;"),
        intro: Some(l(
            "Two minutes of your time help us keep our promises.",
            "שתי דקות מזמנך יעזרו לנו לעמוד בהבטחות שלנו.",
            "Δύο λεπτά από τον χρόνο σας μάς βοηθούν να κρατάμε τις υποσχέσεις μας.",
        )),
        thanks: Some(l(
            "Thank you — we read every answer.",
            "תודה רבה — אנחנו קוראים כל תשובה.",
            "Σας ευχαριστούμε — διαβάζουμε κάθε απάντηση.",
        )),
        questions: vec![
            Question {
                key: "nps".into(),
                kind: QuestionKind::Nps,
                prompt: l(
                    "How likely are you to recommend us to a friend or colleague?",
                    "עד כמה סביר שתמליצו עלינו לחבר או לעמית?",
                    "Πόσο πιθανό είναι να μας συστήσετε σε έναν φίλο ή συνάδελφο;",
                ),
                required: true,
                show_if: None,
                low_label: Some(l("Not at all likely", "בכלל לא סביר", "Καθόλου πιθανό")),
                high_label: Some(l("Extremely likely", "סביר מאוד", "Εξαιρετικά πιθανό")),
            },
            Question {
                key: "why_low".into(),
                kind: QuestionKind::FreeText,
                prompt: l(
                    "What disappointed you, and what should we have done?",
                    "מה אכזב אתכם, ומה היינו צריכים לעשות?",
                    "Τι σας απογοήτευσε και τι έπρεπε να κάνουμε;",
                ),
                required: false,
                show_if: Some(Condition {
                    question: "nps".into(),
                    nps_groups: vec![NpsGroup::Detractor, NpsGroup::Passive],
                    at_most: None,
                    at_least: None,
                    any_of: vec![],
                }),
                low_label: None,
                high_label: None,
            },
            Question {
                key: "why_high".into(),
                kind: QuestionKind::FreeText,
                prompt: l(
                    "What did we do well? Feel free to name the person who helped you.",
                    "מה עשינו טוב? אפשר לציין את שם הנציג/ה שעזר/ה לכם.",
                    "Τι κάναμε καλά; Αν θέλετε, αναφέρετε το όνομα του ανθρώπου που σας βοήθησε.",
                ),
                required: false,
                show_if: Some(Condition {
                    question: "nps".into(),
                    nps_groups: vec![NpsGroup::Promoter],
                    at_most: None,
                    at_least: None,
                    any_of: vec![],
                }),
                low_label: None,
                high_label: None,
            },
            Question {
                key: "csat".into(),
                kind: QuestionKind::Csat,
                prompt: l(
                    "Overall, how satisfied are you with this service?",
                    "באופן כללי, עד כמה אתם מרוצים מהשירות?",
                    "Συνολικά, πόσο ικανοποιημένοι είστε από την εξυπηρέτηση;",
                ),
                required: false,
                show_if: None,
                low_label: Some(l(
                    "Very dissatisfied",
                    "לא מרוצים בכלל",
                    "Καθόλου ικανοποιημένοι",
                )),
                high_label: Some(l("Very satisfied", "מרוצים מאוד", "Πολύ ικανοποιημένοι")),
            },
            Question {
                key: "ces".into(),
                kind: QuestionKind::Ces,
                prompt: l(
                    "The company made it easy for me to handle my issue.",
                    "החברה הקלה עליי לטפל בעניין שלי.",
                    "Η εταιρεία μού διευκόλυνε τη διεκπεραίωση του θέματός μου.",
                ),
                required: false,
                show_if: None,
                low_label: Some(l("Strongly disagree", "ממש לא מסכים/ה", "Διαφωνώ απόλυτα")),
                high_label: Some(l("Strongly agree", "מסכים/ה מאוד", "Συμφωνώ απόλυτα")),
            },
            Question {
                key: "promise".into(),
                kind: QuestionKind::ExpectationPair {
                    expectation: l("What did you expect?", "למה ציפיתם?", "Τι περιμένατε;"),
                    experience: l(
                        "What did you get?",
                        "מה קיבלתם בפועל?",
                        "Τι λάβατε στην πράξη;",
                    ),
                },
                prompt: l(
                    "Compared with what we promised:",
                    "בהשוואה למה שהבטחנו:",
                    "Σε σύγκριση με όσα υποσχεθήκαμε:",
                ),
                required: false,
                show_if: None,
                low_label: Some(l("Very poor", "גרוע מאוד", "Πολύ κακό")),
                high_label: Some(l("Excellent", "מצוין", "Εξαιρετικό")),
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, RawAnswer)]) -> BTreeMap<String, RawAnswer> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn default_survey_is_valid() {
        default_definition().validate().unwrap();
    }

    #[test]
    fn follow_ups_follow_the_nps_group() {
        let d = default_definition();
        let a = d
            .parse_answers(&raw(&[
                ("nps", RawAnswer::Number(3.0)),
                ("why_low", RawAnswer::Text("waited an hour".into())),
                ("why_high", RawAnswer::Text("ignored".into())),
            ]))
            .unwrap();
        assert_eq!(a.nps, Some(3));
        assert_eq!(a.comment.as_deref(), Some("waited an hour"));
        assert!(
            !a.answers.contains_key("why_high"),
            "hidden answers are dropped"
        );
        let a = d
            .parse_answers(&raw(&[
                ("nps", RawAnswer::Text("10".into())),
                ("why_high", RawAnswer::Text("Dana".into())),
            ]))
            .unwrap();
        assert_eq!(a.comment.as_deref(), Some("Dana"));
    }

    #[test]
    fn bad_answers_name_the_question() {
        let d = default_definition();
        let e = d
            .parse_answers(&raw(&[("nps", RawAnswer::Number(11.0))]))
            .unwrap_err();
        assert_eq!(e.field, "answers.nps");
        let e = d
            .parse_answers(&raw(&[("csat", RawAnswer::Number(4.0))]))
            .unwrap_err();
        assert_eq!(e.field, "answers.nps", "required");
        let e = d
            .parse_answers(&raw(&[
                ("nps", RawAnswer::Number(8.0)),
                ("colour", RawAnswer::Text("x".into())),
            ]))
            .unwrap_err();
        assert_eq!(e.field, "answers.colour");
        let e = d
            .parse_answers(&raw(&[
                ("nps", RawAnswer::Number(8.0)),
                ("promise.expectation", RawAnswer::Number(6.0)),
            ]))
            .unwrap_err();
        assert_eq!(e.field, "answers.promise");
        let e = d
            .parse_answers(&raw(&[("nps", RawAnswer::Number(7.5))]))
            .unwrap_err();
        assert_eq!(e.field, "answers.nps");
    }

    #[test]
    fn the_promise_gap_is_experience_minus_expectation() {
        let d = default_definition();
        let a = d
            .parse_answers(&raw(&[
                ("nps", RawAnswer::Number(6.0)),
                ("promise.expectation", RawAnswer::Text("6".into())),
                ("promise.experience", RawAnswer::Text("3".into())),
            ]))
            .unwrap();
        assert_eq!((a.expectation, a.experience), (Some(6), Some(3)));
        let a = d
            .parse_answers(&raw(&[
                ("nps", RawAnswer::Number(6.0)),
                (
                    "promise",
                    RawAnswer::Pair {
                        expectation: 5.0,
                        experience: 7.0,
                    },
                ),
            ]))
            .unwrap();
        assert_eq!((a.expectation, a.experience), (Some(5), Some(7)));
    }

    #[test]
    fn invalid_definitions_are_explained() {
        let mut d = default_definition();
        d.questions[1].show_if.as_mut().unwrap().question = "later".into();
        assert_eq!(
            d.validate().unwrap_err().field,
            "definition.questions[1].show_if.question"
        );
        let mut d = default_definition();
        d.questions[0].prompt.0.remove("el");
        assert_eq!(
            d.validate().unwrap_err().field,
            "definition.questions[0].prompt.el"
        );
        let mut d = default_definition();
        d.questions[2].key = "nps".into();
        assert_eq!(
            d.validate().unwrap_err().field,
            "definition.questions[2].key"
        );
    }

    #[test]
    fn definitions_round_trip_as_json() {
        let d = default_definition();
        let s = serde_json::to_string(&d).unwrap();
        let back: SurveyDefinition = serde_json::from_str(&s).unwrap();
        assert_eq!(back, d);
    }
}
