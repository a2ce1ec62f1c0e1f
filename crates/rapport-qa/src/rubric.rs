//! Rubrics: the criteria a conversation is scored on, with their cue lists, loaded from JSON.
//!
//! The JSON format (see `data/default_rubric.json` for a full example):
//!
//! ```json
//! {
//!   "name": "Frontline service",
//!   "criteria": [
//!     {
//!       "name": "empathy",
//!       "label": "Empathy",
//!       "weight": 1.5,
//!       "guidance": "Acknowledges how the customer feels before fixing things.",
//!       "base": 50,
//!       "agent": {
//!         "positive": {"en": ["I understand how * feel", {"pattern": "I see", "weight": 0.3}]},
//!         "negative": {"en": ["calm down"], "he": ["תירגע"]}
//!       },
//!       "customer": {"positive": {}, "negative": {"en": ["you're not listening"]}}
//!     }
//!   ]
//! }
//! ```
//!
//! `agent` cues are looked for in agent turns, `customer` cues in customer turns; both are
//! optional. A cue is a pattern in the [`rapport_text::cues`] syntax (`word*` prefix, a lone
//! `*` skips up to three words; case, accents, niqqud and Hebrew prefixes are handled), either
//! as a string (weight 1) or as `{"pattern", "weight"}` with a weight in (0, 3]. Languages are
//! `en`, `he`, `el` or `*` (any). `weight` (default 1) is the criterion's weight in the overall
//! score; `base` (default 50) is its score when no evidence is found. Unknown fields are errors,
//! so a typo cannot silently disable a cue list.
//!
//! Criteria named `empathy`, `active_listening`, `complaint_handling`, `positive_language`,
//! `personalisation`, `resilience` and `resolution` also get the built-in rules described on
//! [`crate::evaluate`]; any other name is scored from its cues alone.

use rapport_text::CueSet;
use serde_json::{Map, Value};

use crate::QaError;

/// Which speaker's turns a cue list is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Agent,
    Customer,
}

/// One cue as written in the rubric.
#[derive(Debug, Clone, PartialEq)]
pub struct CueSpec {
    pub side: Side,
    /// True for cues that raise the score, false for cues that lower it.
    pub positive: bool,
    /// `en`, `he`, `el` or `*`.
    pub lang: String,
    pub weight: f32,
    pub pattern: String,
}

/// One scored trait of the agent's conduct.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// Stable key, e.g. `empathy`.
    pub name: String,
    /// Display label.
    pub label: String,
    /// Weight in the overall score.
    pub weight: f32,
    /// What a reviewer looks for; shown next to the score.
    pub guidance: String,
    /// Score without any evidence, 0–100.
    pub base: f32,
    pub cues: Vec<CueSpec>,
}

/// A named set of criteria with their cues compiled for matching.
#[derive(Debug, Clone)]
pub struct Rubric {
    pub name: String,
    pub criteria: Vec<Criterion>,
    /// Every criterion's cues in one set, so a turn is matched once for all criteria. A cue's
    /// label is its index in [`Rubric::cue_specs`].
    pub(crate) cue_set: CueSet,
    /// `(criterion index, cue)` for each cue in `cue_set`.
    pub(crate) cue_specs: Vec<(usize, CueSpec)>,
}

const LANGS: [&str; 4] = ["en", "he", "el", "*"];
const ROOT_KEYS: [&str; 2] = ["name", "criteria"];
const CRITERION_KEYS: [&str; 7] = [
    "name", "label", "weight", "guidance", "base", "agent", "customer",
];
const SIDE_KEYS: [&str; 2] = ["positive", "negative"];

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> QaError {
    QaError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, QaError> {
    v.as_object()
        .ok_or_else(|| invalid(path, "expected an object"))
}

fn deny_unknown(obj: &Map<String, Value>, known: &[&str], path: &str) -> Result<(), QaError> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(invalid(
            join(path, k),
            format!("unknown field; expected one of {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn string(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>, QaError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(invalid(join(path, key), "expected a string")),
    }
}

fn number(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    range: (f32, f32),
) -> Result<Option<f32>, QaError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let x = n.as_f64().unwrap_or(f64::NAN) as f32;
            if x.is_finite() && x >= range.0 && x <= range.1 {
                Ok(Some(x))
            } else {
                Err(invalid(
                    join(path, key),
                    format!("must be between {} and {}", range.0, range.1),
                ))
            }
        }
        Some(_) => Err(invalid(join(path, key), "expected a number")),
    }
}

impl Rubric {
    /// The built-in rubric on the frontline traits of seed 003 (`data/default_rubric.json`).
    pub fn default_rubric() -> Rubric {
        Rubric::from_json(DEFAULT_RUBRIC).expect("committed default rubric is valid")
    }

    /// Parse a rubric; errors name the field, e.g. `criteria[2].agent.positive.he[3]`.
    pub fn from_json(input: &str) -> Result<Rubric, QaError> {
        let root: Value = serde_json::from_str(input).map_err(|e| QaError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let root = object(&root, "$")?;
        deny_unknown(root, &ROOT_KEYS, "")?;
        let name = string(root, "name", "")?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid("name", "missing or empty"))?;
        let list = match root.get("criteria") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            Some(Value::Array(_)) => return Err(invalid("criteria", "must not be empty")),
            Some(_) => return Err(invalid("criteria", "expected an array")),
            None => return Err(invalid("criteria", "missing field")),
        };
        let mut criteria: Vec<Criterion> = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            let path = format!("criteria[{i}]");
            let c = parse_criterion(v, &path)?;
            if criteria.iter().any(|o| o.name == c.name) {
                return Err(invalid(
                    join(&path, "name"),
                    format!("duplicate criterion {:?}", c.name),
                ));
            }
            criteria.push(c);
        }
        let mut cue_set = CueSet::default();
        let mut cue_specs = Vec::new();
        for (ci, c) in criteria.iter().enumerate() {
            for spec in &c.cues {
                let id = cue_specs.len().to_string();
                cue_set
                    .push(&id, &spec.lang, spec.weight, &spec.pattern)
                    .map_err(|reason| {
                        invalid(format!("criteria[{ci}] cue {:?}", spec.pattern), reason)
                    })?;
                cue_specs.push((ci, spec.clone()));
            }
        }
        Ok(Rubric {
            name,
            criteria,
            cue_set,
            cue_specs,
        })
    }
}

fn parse_criterion(v: &Value, path: &str) -> Result<Criterion, QaError> {
    let obj = object(v, path)?;
    deny_unknown(obj, &CRITERION_KEYS, path)?;
    let name = string(obj, "name", path)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid(join(path, "name"), "missing or empty"))?;
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(invalid(
            join(path, "name"),
            "use lowercase letters, digits and underscores (it is a stable key)",
        ));
    }
    let label = string(obj, "label", path)?.unwrap_or_else(|| name.clone());
    let weight = number(obj, "weight", path, (0.0, 100.0))?.unwrap_or(1.0);
    let base = number(obj, "base", path, (0.0, 100.0))?.unwrap_or(50.0);
    let guidance = string(obj, "guidance", path)?.unwrap_or_default();
    let mut cues = Vec::new();
    for (key, side) in [("agent", Side::Agent), ("customer", Side::Customer)] {
        let Some(v) = obj.get(key) else { continue };
        let side_path = join(path, key);
        let side_obj = object(v, &side_path)?;
        deny_unknown(side_obj, &SIDE_KEYS, &side_path)?;
        for (key, positive) in [("positive", true), ("negative", false)] {
            let Some(v) = side_obj.get(key) else { continue };
            let list_path = join(&side_path, key);
            let langs = object(v, &list_path)?;
            deny_unknown(langs, &LANGS, &list_path)?;
            for (lang, v) in langs {
                let lang_path = join(&list_path, lang);
                let Value::Array(items) = v else {
                    return Err(invalid(lang_path, "expected an array of cues"));
                };
                for (j, item) in items.iter().enumerate() {
                    let item_path = format!("{lang_path}[{j}]");
                    let (pattern, weight) = parse_cue(item, &item_path)?;
                    // Check the pattern now, so the error names this field.
                    CueSet::default()
                        .push("check", lang, weight, &pattern)
                        .map_err(|r| invalid(&item_path, r))?;
                    cues.push(CueSpec {
                        side,
                        positive,
                        lang: lang.clone(),
                        weight,
                        pattern,
                    });
                }
            }
        }
    }
    Ok(Criterion {
        name,
        label,
        weight,
        guidance,
        base,
        cues,
    })
}

fn parse_cue(item: &Value, path: &str) -> Result<(String, f32), QaError> {
    match item {
        Value::String(s) if !s.trim().is_empty() => Ok((s.trim().to_string(), 1.0)),
        Value::String(_) => Err(invalid(path, "empty pattern")),
        Value::Object(o) => {
            deny_unknown(o, &["pattern", "weight"], path)?;
            let pattern = string(o, "pattern", path)?
                .filter(|s| !s.is_empty())
                .ok_or_else(|| invalid(join(path, "pattern"), "missing or empty"))?;
            let weight = number(o, "weight", path, (0.0, 3.0))?.unwrap_or(1.0);
            if weight <= 0.0 {
                return Err(invalid(join(path, "weight"), "must be above 0"));
            }
            Ok((pattern, weight))
        }
        _ => Err(invalid(
            path,
            "expected a pattern string or {\"pattern\", \"weight\"}",
        )),
    }
}

/// The built-in rubric source.
pub const DEFAULT_RUBRIC: &str = include_str!("../data/default_rubric.json");
