//! Auto-QA of service conversations: scores the agent's conduct on a [`Rubric`] and points at
//! the turns behind every score, so a reviewer (or the agent) can check the machine's reading.
//!
//! Pure library: no IO. Text analysis comes from [`rapport_text`], the arithmetic of the
//! customer's trajectory from [`rapport_domain::conversation::metrics`].
//!
//! # Scoring
//! Each criterion starts from its `base` (50 unless the rubric says otherwise). Evidence is a
//! turn where a rubric cue matched (a lowering cue counts even after a negator; a raising
//! cue after a negator in the same clause, "I can't *help* you", does not) or
//! where a built-in rule fired (below). Per turn only the strongest raising and the strongest
//! lowering weight count, so one sentence cannot stack near-synonyms. With `P` the sum of
//! raising weights and `N` of lowering ones:
//!
//! `score = base + (100 − base)·(1 − e^(−0.9·P)) − base·(1 − e^(−0.9·N))`, rounded, 0–100.
//!
//! So every further piece of evidence moves the score less than the one before (one clear
//! cue of weight 1 moves a 50 to about 80 or 20), opposite evidence cancels, and the score
//! never leaves 0–100.
//!
//! # Built-in rules (by criterion name)
//! - `empathy`: the customer showed distress (anger, frustration, disappointment or worry
//!   ≥ 0.4, or sentiment ≤ −0.6) and the agent never acknowledged it: an unmet need (N += 0.7).
//! - `active_listening`: an agent turn that starts more than half a second before the
//!   customer's turn ends is an interruption (lowers, weight 0.6).
//! - `complaint_handling`: applies when the customer showed distress or a turn with
//!   sentiment ≤ −0.25, or the agent apologised or fixed something; without any apology,
//!   fix or follow-through from the agent, N += 0.5.
//! - `positive_language`: an agent turn the engine reads as policy deflection (≥ 0.4) lowers
//!   even when no cue of the rubric matched.
//! - `personalisation`: when the customer's name is known (the transcript's customer
//!   reference looks like a personal name, or the customer says "my name is X", "שמי X",
//!   "με λένε X", …), each agent turn using it raises; never using it lowers by 0.4.
//! - `resilience`: applies only when a customer turn shows anger or frustration ≥ 0.3. Only
//!   the agent's first reply to each such turn counts: a rubric cue decides when one matched;
//!   otherwise a reply that itself reads as angry (≥ 0.4) lowers (0.5, "tense reply") and any
//!   other raises (0.8, "calm reply").
//! - `resolution`: cues count only in the last four turns; there, customer gratitude (≥ 0.4)
//!   raises (0.6) and churn intent or escalation (≥ 0.4) lowers (1.0 / 0.8).
//!
//! # Criteria that do not apply
//! `complaint_handling` with no complaint, `resilience` with no angry customer,
//! and every criterion of a conversation without agent turns have `score: null` and no
//! evidence; they are left out of `overall` (the weighted mean of the scores that exist).
//! `overall` is `null` only when no criterion applies.

#![forbid(unsafe_code)]

use rapport_domain::conversation::{metrics::metrics, Speaker, Transcript};
use rapport_text::{Analysis, CueSet, Engine, Prepared};
use serde::Serialize;

mod rubric;

pub use rubric::{Criterion, CueSpec, Rubric, Side, DEFAULT_RUBRIC};

/// Errors loading a rubric. Evaluation itself never fails.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QaError {
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// `field` is a path such as `criteria[1].agent.negative.el[0]`.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
}

/// Whether a piece of evidence raised or lowered its criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Raised,
    Lowered,
}

/// One reason for a score: the turn, which way it pushed, and the phrase that matched (as
/// written in the turn, for highlighting) or the built-in rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub turn: usize,
    pub effect: Effect,
    pub cue: String,
}

/// A criterion's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionScore {
    pub name: String,
    /// 0–100; `None` (JSON `null`) when the criterion does not apply to this conversation.
    pub score: Option<u8>,
    /// Turn indices behind the score, ascending, without duplicates.
    pub evidence: Vec<usize>,
    /// The evidence in detail, in turn order (not part of the stable JSON).
    #[serde(skip)]
    pub details: Vec<Evidence>,
}

/// The customer's emotional trajectory (sentiment −1…1), from the conversation metrics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CustomerTrajectory {
    pub start: Option<f32>,
    pub end: Option<f32>,
    pub lift: Option<f32>,
}

/// The evaluation of one conversation. Serialises to the stable `rapport qa` format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The transcript's external id.
    pub id: String,
    pub criteria: Vec<CriterionScore>,
    /// Weighted mean of the criteria that apply, 0–100; `None` when none applies.
    pub overall: Option<u8>,
    pub customer: CustomerTrajectory,
    /// Conversation-level flags, in a fixed order: see [`FLAGS`].
    pub flags: Vec<&'static str>,
}

/// Every flag [`evaluate`] can raise, in output order.
pub const FLAGS: [&str; 7] = [
    "no_agent_turns",
    "customer_anger",
    "policy_deflection",
    "escalation_risk",
    "churn_risk",
    "unresolved",
    "customer_praise",
];

/// Emotion and signal level above which a turn counts as showing it.
const PRESENT: f32 = 0.4;
/// Evidence strength → score: `1 − e^(−K·weight)` of the way to 100 (or 0).
const K: f32 = 0.9;
/// How many final turns `resolution` looks at.
const TAIL_TURNS: usize = 4;

/// Three decimals, like the text engine's scores (and no `-0.073000014` in the JSON).
fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

/// The keys of a rubric's criteria, in order.
pub fn criterion_names(rubric: &Rubric) -> Vec<&str> {
    rubric.criteria.iter().map(|c| c.name.as_str()).collect()
}

/// Analyse every turn with `engine` (in the transcript's language when it has one) and
/// evaluate. Returns the analyses too, so callers can store them.
pub fn evaluate_with(
    engine: &Engine,
    rubric: &Rubric,
    t: &Transcript,
) -> (Vec<Analysis>, Evaluation) {
    let lang = t.language().map(|l| l.as_str());
    let analyses: Vec<Analysis> = t
        .turns()
        .iter()
        .map(|turn| engine.analyze(turn.text(), lang))
        .collect();
    let evaluation = evaluate(rubric, t, &analyses);
    (analyses, evaluation)
}

fn emotion(a: Option<&Analysis>, name: &str) -> f32 {
    a.and_then(|a| a.emotions.iter().find(|e| e.name == name))
        .map_or(0.0, |e| e.score)
}

fn sentiment(a: Option<&Analysis>) -> Option<f32> {
    a.and_then(|a| a.sentiment.as_ref()).map(|s| s.score)
}

fn supported(code: &str) -> Option<&'static str> {
    rapport_text::SUPPORTED_LANGUAGES
        .iter()
        .copied()
        .find(|l| *l == code)
}

/// Each turn's language for cue matching: the transcript's, else the turn's detected one,
/// else the conversation's majority language (else any language).
fn turn_languages(t: &Transcript, analyses: &[Analysis]) -> Vec<Option<&'static str>> {
    let n = t.turns().len();
    if let Some(l) = t.language() {
        return vec![Some(l.as_str()); n];
    }
    let detected: Vec<Option<&'static str>> = (0..n)
        .map(|i| analyses.get(i).and_then(|a| supported(&a.language)))
        .collect();
    let mut counts = [0usize; 3];
    for l in detected.iter().flatten() {
        if let Some(k) = rapport_text::SUPPORTED_LANGUAGES
            .iter()
            .position(|s| s == l)
        {
            counts[k] += 1;
        }
    }
    let majority = (0..3)
        .filter(|&k| counts[k] > 0)
        .max_by_key(|&k| (counts[k], std::cmp::Reverse(k)))
        .map(|k| rapport_text::SUPPORTED_LANGUAGES[k]);
    detected.into_iter().map(|d| d.or(majority)).collect()
}

/// The matched words of a turn, as written.
fn phrase(doc: &Prepared, first: usize, end: usize) -> String {
    if first >= end || end > doc.words.len() {
        return String::new();
    }
    doc.text[doc.word(first).start..doc.word(end - 1).end].to_string()
}

/// A negator among the three words before word `wi`, within the same clause. The engine's
/// own flag looks across commas, which would read "No worries, I'll sort it" as negated.
fn negated_in_clause(doc: &Prepared, wi: usize) -> bool {
    use rapport_text::normalize::TokenKind;
    let mut ti = doc.words[wi];
    let mut words = 0;
    while ti > 0 && words < 3 {
        ti -= 1;
        let tok = &doc.tokens[ti];
        match tok.kind {
            TokenKind::Word | TokenKind::Number => {
                if tok.negator {
                    return true;
                }
                words += 1;
            }
            TokenKind::Punct => return false,
            TokenKind::Emoji => {}
        }
    }
    false
}

/// One criterion's running tally: the strongest raise and lowering per turn.
#[derive(Debug, Clone, Default)]
struct Tally {
    /// `(turn, effect, weight, cue)`; at most one of each effect per turn.
    hits: Vec<(usize, Effect, f32, String)>,
    /// Evidence without a turn (an unmet need).
    penalty: f32,
}

impl Tally {
    fn add(&mut self, turn: usize, effect: Effect, weight: f32, cue: impl Into<String>) {
        match self.hits.iter_mut().find(|h| h.0 == turn && h.1 == effect) {
            Some(h) if h.2 >= weight => {}
            Some(h) => {
                h.2 = weight;
                h.3 = cue.into();
            }
            None => self.hits.push((turn, effect, weight, cue.into())),
        }
    }

    fn has(&self, effect: Effect) -> bool {
        self.hits.iter().any(|h| h.1 == effect)
    }

    fn has_at(&self, turn: usize, effect: Effect) -> bool {
        self.hits.iter().any(|h| h.0 == turn && h.1 == effect)
    }

    fn retain_turns(&mut self, keep: impl Fn(usize) -> bool) {
        self.hits.retain(|h| keep(h.0));
    }

    fn score(self, name: &str, base: f32) -> CriterionScore {
        let (mut p, mut n) = (0.0f32, self.penalty);
        for h in &self.hits {
            match h.1 {
                Effect::Raised => p += h.2,
                Effect::Lowered => n += h.2,
            }
        }
        let s = base + (100.0 - base) * (1.0 - (-K * p).exp()) - base * (1.0 - (-K * n).exp());
        let mut details: Vec<Evidence> = self
            .hits
            .into_iter()
            .map(|(turn, effect, _, cue)| Evidence { turn, effect, cue })
            .collect();
        details.sort_by_key(|e| (e.turn, e.effect == Effect::Lowered));
        let mut evidence: Vec<usize> = details.iter().map(|e| e.turn).collect();
        evidence.dedup();
        CriterionScore {
            name: name.to_string(),
            score: Some(s.round().clamp(0.0, 100.0) as u8),
            evidence,
            details,
        }
    }
}

fn not_applicable(name: &str) -> CriterionScore {
    CriterionScore {
        name: name.to_string(),
        score: None,
        evidence: Vec::new(),
        details: Vec::new(),
    }
}

/// Built-in cues outside the rubric: praise of the agent and customers introducing
/// themselves.
struct BuiltinCues {
    praise: CueSet,
    intro: CueSet,
}

fn builtin() -> &'static BuiltinCues {
    static CUES: std::sync::OnceLock<BuiltinCues> = std::sync::OnceLock::new();
    CUES.get_or_init(|| BuiltinCues {
        praise: CueSet::parse(include_str!("../data/praise.tsv")).expect("praise.tsv"),
        intro: CueSet::parse(include_str!("../data/name_intro.tsv")).expect("name_intro.tsv"),
    })
}

/// Customer turns that praise or thank the agent ("you were so helpful, Dana", "תודה רבה,
/// עזרת לי מאוד", "σας ευχαριστώ πολύ"): a praise cue, or clear gratitude in a positive turn.
pub fn praise_turns(t: &Transcript, analyses: &[Analysis]) -> Vec<usize> {
    let langs = turn_languages(t, analyses);
    t.turns()
        .iter()
        .enumerate()
        .filter(|(_, turn)| turn.speaker() == Speaker::Customer)
        .filter(|(i, turn)| {
            let doc = Prepared::new(turn.text());
            is_praise(&doc, langs[*i], analyses.get(*i))
        })
        .map(|(i, _)| i)
        .collect()
}

fn is_praise(doc: &Prepared, lang: Option<&str>, a: Option<&Analysis>) -> bool {
    let s = sentiment(a).unwrap_or(0.0);
    if s < -0.2 {
        return false;
    }
    builtin().praise.find(doc, lang).iter().any(|m| !m.negated)
        || (emotion(a, "gratitude") >= 0.5 && s >= 0.3)
}

/// Whether a customer reference looks like a personal name ("Dana Levi", "דנה לוי",
/// "Γιώργος"), not an id or e-mail: one to three words of letters, Latin ones capitalised.
fn looks_like_name(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    (1..=3).contains(&words.len())
        && words.iter().all(|w| {
            let mut chars = w.chars();
            let first = chars.next().unwrap_or('0');
            first.is_alphabetic()
                // Hebrew has no capitals; elsewhere a name is capitalised.
                && (first.is_uppercase() || ('\u{5d0}'..='\u{5ea}').contains(&first))
                && w.chars()
                    .all(|c| c.is_alphabetic() || c == '\'' || c == '-' || c == '.')
                && w.chars().any(|c| c.is_alphabetic())
        })
        && !words[0].ends_with('.')
}

/// The customer's first name, if known: from the customer reference or from the customer
/// introducing themselves.
pub fn customer_name(t: &Transcript, preps: &[Prepared]) -> Option<String> {
    if let Some(c) = t.customer().filter(|c| looks_like_name(c)) {
        return c.split_whitespace().next().map(str::to_string);
    }
    let intro = &builtin().intro;
    for (turn, doc) in t.turns().iter().zip(preps) {
        if turn.speaker() != Speaker::Customer {
            continue;
        }
        for m in intro.find(doc, None) {
            if m.end_word >= doc.words.len() {
                continue;
            }
            let tok = doc.word(m.end_word);
            let word = &doc.text[tok.start..tok.end];
            if looks_like_name(word) && !rapport_text::cues::is_negator(doc.norm(tok)) {
                return Some(word.to_string());
            }
        }
    }
    None
}

/// A customer turn showing distress: a strong negative emotion or clearly negative sentiment.
fn distressed(a: Option<&Analysis>) -> bool {
    ["anger", "frustration", "disappointment", "worry"]
        .iter()
        .any(|e| emotion(a, e) >= PRESENT)
        || sentiment(a).is_some_and(|s| s <= -0.6)
}

/// A customer turn showing anger or frustration; a lower bar than [`PRESENT`], because an
/// angry customer rarely names the emotion ("You people are useless!").
fn angry(a: Option<&Analysis>) -> bool {
    emotion(a, "anger") >= 0.3 || emotion(a, "frustration") >= 0.3
}

/// Evaluate a transcript against a rubric. `analyses[i]` is turn `i`'s analysis; missing
/// entries count as unanalysed. See the crate docs for how scores are computed.
pub fn evaluate(rubric: &Rubric, t: &Transcript, analyses: &[Analysis]) -> Evaluation {
    let turns = t.turns();
    let n = turns.len();
    let a = |i: usize| analyses.get(i);
    let langs = turn_languages(t, analyses);
    let preps: Vec<Prepared> = turns
        .iter()
        .map(|turn| Prepared::new(turn.text()))
        .collect();
    let is_agent = |i: usize| turns[i].speaker() == Speaker::Agent;
    let has_agent = (0..n).any(is_agent);

    // Rubric cues, matched once per turn for all criteria.
    let mut tallies: Vec<Tally> = vec![Tally::default(); rubric.criteria.len()];
    for (i, doc) in preps.iter().enumerate() {
        let side = if is_agent(i) {
            Side::Agent
        } else {
            Side::Customer
        };
        for m in rubric.cue_set.find(doc, langs[i]) {
            let Some((ci, spec)) = m
                .cue
                .label
                .parse::<usize>()
                .ok()
                .and_then(|id| rubric.cue_specs.get(id))
            else {
                continue;
            };
            if spec.side != side || (spec.positive && negated_in_clause(doc, m.first_word)) {
                continue;
            }
            let effect = if spec.positive {
                Effect::Raised
            } else {
                Effect::Lowered
            };
            tallies[*ci].add(
                i,
                effect,
                spec.weight,
                phrase(doc, m.first_word, m.end_word),
            );
        }
    }

    let any_distress = (0..n).any(|i| !is_agent(i) && distressed(a(i)));
    let angry_turns: Vec<usize> = (0..n).filter(|&i| !is_agent(i) && angry(a(i))).collect();
    let tail_start = n.saturating_sub(TAIL_TURNS);

    let mut criteria = Vec::with_capacity(rubric.criteria.len());
    for (c, mut tally) in rubric.criteria.iter().zip(tallies) {
        if !has_agent {
            criteria.push(not_applicable(&c.name));
            continue;
        }
        match c.name.as_str() {
            "empathy" if any_distress && !tally.has(Effect::Raised) => {
                tally.penalty += 0.7;
            }
            "active_listening" => {
                for i in 1..n {
                    if !is_agent(i) || is_agent(i - 1) {
                        continue;
                    }
                    if let (Some(s), Some(e)) = (turns[i].start(), turns[i - 1].end()) {
                        if s + 0.5 < e {
                            tally.add(i, Effect::Lowered, 0.6, "interrupted the customer");
                        }
                    }
                }
            }
            "complaint_handling" => {
                // A complaint: a distressed or clearly negative customer, or an agent who
                // treated it as one (apologised, refunded).
                let negative =
                    (0..n).any(|i| !is_agent(i) && sentiment(a(i)).is_some_and(|s| s <= -0.25));
                if !(any_distress || negative || tally.has(Effect::Raised)) {
                    criteria.push(not_applicable(&c.name));
                    continue;
                }
                if !tally.has(Effect::Raised) {
                    tally.penalty += 0.5;
                }
            }
            "positive_language" => {
                for i in (0..n).filter(|&i| is_agent(i)) {
                    let p = a(i).map_or(0.0, |a| a.signals.policy_deflection);
                    if p >= PRESENT && !tally.has_at(i, Effect::Lowered) {
                        tally.add(i, Effect::Lowered, 0.8, "policy deflection");
                    }
                }
            }
            "personalisation" => {
                if let Some(name) = customer_name(t, &preps) {
                    let mut set = CueSet::default();
                    let used = set.push("name", "*", 1.0, &name).is_ok()
                        && (0..n).filter(|&i| is_agent(i)).fold(false, |used, i| {
                            match set.find(&preps[i], None).first() {
                                Some(m) => {
                                    let p = phrase(&preps[i], m.first_word, m.end_word);
                                    tally.add(i, Effect::Raised, 1.0, p);
                                    true
                                }
                                None => used,
                            }
                        });
                    if !used {
                        tally.penalty += 0.4;
                    }
                }
            }
            "resilience" => {
                if angry_turns.is_empty() {
                    criteria.push(not_applicable(&c.name));
                    continue;
                }
                let mut replies: Vec<usize> = angry_turns
                    .iter()
                    .filter_map(|&ci| (ci + 1..n).find(|&j| is_agent(j)))
                    .collect();
                replies.dedup();
                tally.retain_turns(|i| replies.contains(&i));
                for &r in &replies {
                    if tally.has_at(r, Effect::Lowered) {
                        continue;
                    }
                    // Sentiment alone would misread empathy ("that must be so frustrating")
                    // as tension; an agent who sounds angry is what resilience is about.
                    if tally.has_at(r, Effect::Raised) {
                        continue;
                    }
                    if emotion(a(r), "anger") >= PRESENT {
                        tally.add(r, Effect::Lowered, 0.5, "tense reply");
                    } else {
                        tally.add(r, Effect::Raised, 0.8, "calm reply");
                    }
                }
            }
            "resolution" => {
                tally.retain_turns(|i| i >= tail_start);
                for i in (tail_start..n).filter(|&i| !is_agent(i)) {
                    let sig = a(i).map(|a| a.signals.clone()).unwrap_or_default();
                    if sig.churn_intent >= PRESENT {
                        tally.add(i, Effect::Lowered, 1.0, "churn intent");
                    } else if sig.escalation_risk >= PRESENT {
                        tally.add(i, Effect::Lowered, 0.8, "escalation");
                    }
                    if emotion(a(i), "gratitude") >= PRESENT
                        && !tally.has_at(i, Effect::Lowered)
                        && !tally.has_at(i, Effect::Raised)
                    {
                        tally.add(i, Effect::Raised, 0.6, "customer thanks");
                    }
                }
            }
            _ => {}
        }
        criteria.push(tally.score(&c.name, c.base));
    }

    let (mut wsum, mut total) = (0.0f32, 0.0f32);
    for (c, s) in rubric.criteria.iter().zip(&criteria) {
        if let Some(score) = s.score {
            wsum += c.weight;
            total += c.weight * f32::from(score);
        }
    }
    let overall = (wsum > 0.0).then(|| (total / wsum).round().clamp(0.0, 100.0) as u8);

    let sentiments: Vec<Option<f32>> = (0..n).map(|i| sentiment(a(i))).collect();
    let customer = match metrics(t, &sentiments) {
        Ok(m) => CustomerTrajectory {
            start: m.customer_start.map(round3),
            end: m.customer_end.map(round3),
            lift: m.emotional_lift.map(round3),
        },
        Err(_) => CustomerTrajectory {
            start: None,
            end: None,
            lift: None,
        },
    };

    let customer_any =
        |f: &dyn Fn(&Analysis) -> bool| (0..n).any(|i| !is_agent(i) && a(i).is_some_and(f));
    let unresolved = criteria
        .iter()
        .find(|c| c.name == "resolution")
        .and_then(|c| c.score)
        .is_some_and(|s| s < 40);
    let praised = (0..n).any(|i| !is_agent(i) && is_praise(&preps[i], langs[i], a(i)));
    let present = [
        !has_agent,
        customer_any(&|x| emotion(Some(x), "anger") >= PRESENT),
        (0..n).any(|i| is_agent(i) && a(i).is_some_and(|x| x.signals.policy_deflection >= PRESENT)),
        customer_any(&|x| x.signals.escalation_risk >= PRESENT),
        customer_any(&|x| x.signals.churn_intent >= PRESENT),
        unresolved,
        praised,
    ];
    let flags = FLAGS
        .iter()
        .zip(present)
        .filter(|(_, on)| *on)
        .map(|(f, _)| *f)
        .collect();

    Evaluation {
        id: t.external_id().to_string(),
        criteria,
        overall,
        customer,
        flags,
    }
}

#[cfg(test)]
mod tests;
