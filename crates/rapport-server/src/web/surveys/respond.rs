//! The respondent's pages. Plain HTML forms, no JavaScript: a survey is cut into steps so a
//! follow-up that depends on an earlier answer is decided by the server, and earlier answers
//! travel in hidden fields until the last step is submitted.

use std::collections::BTreeMap;
use std::ops::Range;

use axum::http::StatusCode;
use maud::{html, Markup, DOCTYPE};
use rapport_domain::survey::{
    Answer, Answers, Question, QuestionKind, RawAnswer, SurveyDefinition,
};
use rapport_domain::voc::Survey;
use rapport_domain::{DomainError, Locale};

use crate::i18n::Tr;
use crate::web::ut;

/// Form field prefix for answers, so question keys never collide with `csrf`, `step`…
const ANSWER_PREFIX: &str = "a.";

/// Consecutive questions shown together. A new step starts at the first question whose
/// condition depends on a question of the current step: without JavaScript the server must
/// see that answer before it can decide.
pub fn steps(def: &SurveyDefinition) -> Vec<Range<usize>> {
    let mut out = vec![];
    let mut start = 0;
    for (i, q) in def.questions.iter().enumerate() {
        if let Some(c) = &q.show_if {
            if def.questions[start..i].iter().any(|p| p.key == c.question) {
                out.push(start..i);
                start = i;
            }
        }
    }
    out.push(start..def.questions.len());
    out
}

/// The question key an answer field or error field belongs to (`promise.expectation` → `promise`).
fn base_key(k: &str) -> &str {
    k.split('.').next().unwrap_or(k)
}

/// What the browser sent, split into control fields and answers.
#[derive(Default)]
pub struct Posted {
    pub step: usize,
    pub back: bool,
    pub lang: Option<String>,
    pub nonce: Option<String>,
    pub raw: BTreeMap<String, RawAnswer>,
}

impl Posted {
    pub fn parse(def: &SurveyDefinition, fields: Vec<(String, String)>) -> Posted {
        let mut p = Posted::default();
        let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in fields {
            match k.as_str() {
                "step" => p.step = v.parse().unwrap_or(0),
                "go" => p.back = v == "back",
                "lang" => p.lang = Some(v),
                "nonce" => p.nonce = Some(v),
                _ => {
                    let Some(key) = k.strip_prefix(ANSWER_PREFIX) else {
                        continue;
                    };
                    let is_multi = matches!(
                        def.question(key).map(|q| &q.kind),
                        Some(QuestionKind::MultipleChoice { .. })
                    );
                    if is_multi {
                        multi.entry(key.to_string()).or_default().push(v);
                    } else {
                        p.raw.insert(key.to_string(), RawAnswer::Text(v));
                    }
                }
            }
        }
        for (k, v) in multi {
            p.raw.insert(k, RawAnswer::List(v));
        }
        p
    }

    /// The nonce makes a double-clicked or refreshed submit store one response.
    pub fn idempotency_key(&self) -> Option<String> {
        self.nonce
            .as_deref()
            .filter(|n| (16..=64).contains(&n.len()) && n.chars().all(|c| c.is_ascii_hexdigit()))
            .map(|n| format!("web-{n}"))
    }
}

/// Answers to the first `end` questions, checked as the full survey would check them.
fn parse_through(
    def: &SurveyDefinition,
    end: usize,
    raw: &BTreeMap<String, RawAnswer>,
) -> Result<BTreeMap<String, Answer>, DomainError> {
    let mut d = def.clone();
    d.questions.truncate(end);
    let sub: BTreeMap<String, RawAnswer> = raw
        .iter()
        .filter(|(k, _)| d.question(base_key(k)).is_some())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    match d.parse_answers(&sub) {
        Ok(a) => Ok(a.answers),
        // "Nothing answered yet" only matters for the whole survey, checked at submit.
        Err(e) if e.field == "answers" => Ok(BTreeMap::new()),
        Err(e) => Err(e),
    }
}

/// The visible questions of a step, given the answers before it.
fn visible(
    def: &SurveyDefinition,
    step: &Range<usize>,
    raw: &BTreeMap<String, RawAnswer>,
) -> Vec<usize> {
    let before = parse_through(def, step.start, raw).unwrap_or_default();
    step.clone()
        .filter(|&i| def.is_shown(&def.questions[i], &before))
        .collect()
}

/// A question's answer that the respondent could not submit, located for the page.
pub struct FieldError {
    pub key: Option<String>,
    pub message_id: &'static str,
}

/// What to show after a POST.
pub enum Outcome {
    Step {
        step: usize,
        error: Option<FieldError>,
    },
    Complete(Answers),
}

/// Decides the next page: move back, re-show a step with its error, show the next step with
/// questions, or hand back the complete, valid answers.
pub fn advance(def: &SurveyDefinition, posted: &Posted) -> Outcome {
    let steps = steps(def);
    let cur = posted.step.min(steps.len() - 1);
    if posted.back {
        let prev = (0..cur)
            .rev()
            .find(|&j| !visible(def, &steps[j], &posted.raw).is_empty())
            .unwrap_or(0);
        return Outcome::Step {
            step: prev,
            error: None,
        };
    }
    if let Err(e) = parse_through(def, steps[cur].end, &posted.raw) {
        return locate(def, &steps, &posted.raw, e);
    }
    if let Some(next) =
        (cur + 1..steps.len()).find(|&j| !visible(def, &steps[j], &posted.raw).is_empty())
    {
        return Outcome::Step {
            step: next,
            error: None,
        };
    }
    match def.parse_answers(&posted.raw) {
        Ok(a) => Outcome::Complete(a),
        Err(e) => locate(def, &steps, &posted.raw, e),
    }
}

/// Puts a domain error next to its question, with a message in the respondent's language
/// (the domain's reasons are English, for API clients).
fn locate(
    def: &SurveyDefinition,
    steps: &[Range<usize>],
    raw: &BTreeMap<String, RawAnswer>,
    e: DomainError,
) -> Outcome {
    let key = e.field.strip_prefix("answers.").map(base_key);
    let idx = key.and_then(|k| def.questions.iter().position(|q| q.key == k));
    let Some(i) = idx else {
        return Outcome::Step {
            step: 0,
            error: Some(FieldError {
                key: None,
                message_id: "respond-error-empty",
            }),
        };
    };
    let q = &def.questions[i];
    let present = |k: &str| {
        raw.get(k).is_some_and(|v| {
            !matches!(v, RawAnswer::Text(t) if t.trim().is_empty())
                && !matches!(v, RawAnswer::List(l) if l.is_empty())
        })
    };
    let message_id = match &q.kind {
        QuestionKind::ExpectationPair { .. } => {
            let e = present(&format!("{}.expectation", q.key));
            let x = present(&format!("{}.experience", q.key));
            match (e, x) {
                (false, false) => "respond-error-required",
                (true, true) => "respond-error-invalid",
                _ => "respond-error-pair",
            }
        }
        _ if !present(&q.key) => "respond-error-required",
        _ => "respond-error-invalid",
    };
    Outcome::Step {
        step: steps.iter().position(|s| s.contains(&i)).unwrap_or(0),
        error: Some(FieldError {
            key: Some(q.key.clone()),
            message_id,
        }),
    }
}

/// The respondent's language: asked for, else the browser's, else the survey's first; always one
/// the survey is written in.
pub fn choose_locale(def: &SurveyDefinition, wanted: &[Option<Locale>]) -> Locale {
    wanted
        .iter()
        .flatten()
        .find(|l| def.locales.contains(l))
        .copied()
        .unwrap_or(def.fallback_locale())
}

/// Everything a step page needs besides the answers.
pub struct Form<'a> {
    pub tr: &'a Tr,
    pub survey: &'a Survey,
    /// Where the form posts, and where language links point.
    pub action: String,
    pub csrf: &'a str,
    pub nonce: String,
    /// A staff preview: nothing will be stored, and the page says so.
    pub preview: bool,
}

/// A page without staff navigation: respondents see the survey and nothing else.
pub fn shell(tr: &Tr, title: &str, body: Markup) -> Markup {
    let locale = tr.locale;
    html! {
        (DOCTYPE)
        html lang=(locale.as_str()) dir=(locale.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
                link rel="stylesheet" href="/assets/app.css";
                link rel="stylesheet" href="/assets/surveys.css";
            }
            body.respondent {
                a.skip href="#main" { (tr.t("nav-skip")) }
                main #main.survey tabindex="-1" { (body) }
            }
        }
    }
}

/// A page explaining why there is nothing to answer (closed, expired, used, unknown).
pub fn unavailable(tr: &Tr, status: StatusCode, reason_id: &str) -> (StatusCode, Markup) {
    let title = tr.t("respond-unavailable-title");
    (
        status,
        shell(
            tr,
            &title,
            html! {
                h1 { (title) }
                p.lead { (tr.t(reason_id)) }
            },
        ),
    )
}

pub fn thanks(tr: &Tr, survey: &Survey, preview: bool) -> Markup {
    let def = &survey.definition;
    let fb = def.fallback_locale();
    let title = def.title.get(tr.locale, fb);
    let text = def
        .thanks
        .as_ref()
        .map(|t| t.get(tr.locale, fb).to_string())
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| tr.t("respond-thanks-default"));
    shell(
        tr,
        title,
        html! {
            @if preview { p.preview-note role="note" { (tr.t("respond-preview-nothing-stored")) } }
            h1 { (ut(title)) }
            p.lead.thanks role="status" { (ut(&text)) }
        },
    )
}

fn hidden_answers(raw: &BTreeMap<String, RawAnswer>, except: &[&str]) -> Markup {
    html! {
        @for (k, v) in raw.iter().filter(|(k, _)| !except.contains(&base_key(k))) {
            @let name = format!("{ANSWER_PREFIX}{k}");
            @match v {
                RawAnswer::List(items) => { @for item in items { input type="hidden" name=(name) value=(item); } }
                RawAnswer::Text(t) => { input type="hidden" name=(name) value=(t); }
                RawAnswer::Number(n) => { input type="hidden" name=(name) value=(n); }
                RawAnswer::Pair { .. } => {}
            }
        }
    }
}

fn raw_text<'r>(raw: &'r BTreeMap<String, RawAnswer>, k: &str) -> Option<&'r str> {
    match raw.get(k) {
        Some(RawAnswer::Text(t)) => Some(t.as_str()),
        _ => None,
    }
}

/// A row of numbered radio buttons in reading direction (0 at the right in Hebrew), with the
/// low and high labels under its two ends.
fn scale(
    f: &Form<'_>,
    q: &Question,
    name: &str,
    (lo, hi): (i32, i32),
    chosen: Option<&str>,
    described_by: &str,
) -> Markup {
    let (tr, fb, required) = (f.tr, f.survey.definition.fallback_locale(), q.required);
    let low = q.low_label.as_ref().map(|l| l.get(tr.locale, fb));
    let high = q.high_label.as_ref().map(|l| l.get(tr.locale, fb));
    let ends_id = format!("{}-ends", name.replace('.', "-"));
    let describe = [
        described_by,
        if low.is_some() || high.is_some() {
            &ends_id
        } else {
            ""
        },
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join(" ");
    html! {
        div.scale {
            @for n in lo..=hi {
                @let id = format!("{}-{n}", name.replace('.', "-"));
                label.opt for=(id) {
                    input type="radio" id=(id) name=(name) value=(n) checked[chosen == Some(n.to_string().as_str())]
                        required[required] aria-describedby=[(!describe.is_empty()).then_some(describe.as_str())];
                    span { bdi { (n) } }
                }
            }
        }
        @if low.is_some() || high.is_some() {
            div.scale-ends id=(ends_id) {
                span.low { @if let Some(l) = low { (ut(l)) } }
                span.high { @if let Some(h) = high { (ut(h)) } }
            }
        }
    }
}

fn question(
    f: &Form<'_>,
    q: &Question,
    raw: &BTreeMap<String, RawAnswer>,
    error: Option<&FieldError>,
) -> Markup {
    let tr = f.tr;
    let fb = f.survey.definition.fallback_locale();
    let name = format!("{ANSWER_PREFIX}{}", q.key);
    let err = error.filter(|e| e.key.as_deref() == Some(q.key.as_str()));
    let err_id = format!("err-{}", q.key);
    let described = if err.is_some() { err_id.as_str() } else { "" };
    let legend_id = format!("lg-{}", q.key);
    html! {
        fieldset.question.invalid[err.is_some()] id=(format!("q-{}", q.key)) {
            legend id=(legend_id) {
                (ut(q.prompt.get(tr.locale, fb)))
                @if q.required { " " span.req { (tr.t("respond-required")) } }
            }
            @if let Some(e) = err {
                p.field-error id=(err_id) { (tr.t(e.message_id)) }
            }
            @match &q.kind {
                QuestionKind::ExpectationPair { expectation, experience } => {
                    @for (part, text) in [("expectation", expectation), ("experience", experience)] {
                        @let sub = format!("{}.{part}", q.key);
                        fieldset.pair-part {
                            legend { (ut(text.get(tr.locale, fb))) }
                            (scale(f, q, &format!("{ANSWER_PREFIX}{sub}"), (1, 7), raw_text(raw, &sub), described))
                        }
                    }
                }
                QuestionKind::SingleChoice { options } => {
                    ul.choices {
                        @for o in options {
                            @let id = format!("{}-{}", q.key, o.key);
                            li { label for=(id) {
                                input type="radio" id=(id) name=(name) value=(o.key)
                                    checked[raw_text(raw, &q.key) == Some(o.key.as_str())] required[q.required] aria-describedby=[err.map(|_| err_id.as_str())];
                                " " (ut(o.label.get(tr.locale, fb)))
                            } }
                        }
                    }
                }
                QuestionKind::MultipleChoice { options } => {
                    @let chosen: Vec<&str> = match raw.get(&q.key) { Some(RawAnswer::List(l)) => l.iter().map(String::as_str).collect(), _ => vec![] };
                    ul.choices {
                        @for o in options {
                            @let id = format!("{}-{}", q.key, o.key);
                            li { label for=(id) {
                                input type="checkbox" id=(id) name=(name) value=(o.key)
                                    checked[chosen.contains(&o.key.as_str())] aria-describedby=[err.map(|_| err_id.as_str())];
                                " " (ut(o.label.get(tr.locale, fb)))
                            } }
                        }
                    }
                }
                QuestionKind::FreeText => {
                    textarea id=(format!("t-{}", q.key)) name=(name) rows="4" maxlength="5000" required[q.required]
                        aria-labelledby=(legend_id) aria-describedby=[err.map(|_| err_id.as_str())] {
                        (raw_text(raw, &q.key).unwrap_or(""))
                    }
                }
                kind => {
                    @let bounds = kind.scale().unwrap_or((0, 10));
                    (scale(f, q, &name, bounds, raw_text(raw, &q.key), described))
                }
            }
        }
    }
}

/// One step of the survey as a page.
pub fn step_page(
    f: &Form<'_>,
    raw: &BTreeMap<String, RawAnswer>,
    step: usize,
    error: Option<&FieldError>,
) -> Markup {
    let tr = f.tr;
    let def = &f.survey.definition;
    let fb = def.fallback_locale();
    let all = steps(def);
    let step = step.min(all.len() - 1);
    let shown = visible(def, &all[step], raw);
    let keys: Vec<&str> = shown
        .iter()
        .map(|&i| def.questions[i].key.as_str())
        .collect();
    // Label the button "Next" while a later question may still appear: one without a
    // condition, or one whose condition is not decided by the answers before this step.
    let decided = parse_through(def, all[step].start, raw).unwrap_or_default();
    let more = def.questions[all[step].end..]
        .iter()
        .any(|q| match &q.show_if {
            None => true,
            Some(c) => {
                let on = def
                    .questions
                    .iter()
                    .position(|p| p.key == c.question)
                    .unwrap_or(0);
                on >= all[step].start || def.is_shown(q, &decided)
            }
        });
    let title = def.title.get(tr.locale, fb);
    let sep = if f.action.contains('?') { '&' } else { '?' };
    html! {
        (shell(tr, title, html! {
            @if f.preview { p.preview-note role="note" { (tr.t("respond-preview-nothing-stored")) } }
            h1 { (ut(title)) }
            @if def.locales.len() > 1 && step == 0 {
                nav.survey-langs aria-label=(tr.t("nav-language")) {
                    @for l in def.locales.iter().filter(|l| **l != tr.locale) {
                        a href=(format!("{}{sep}lang={}", f.action, l.as_str())) lang=(l.as_str()) hreflang=(l.as_str()) { (l.native_name()) }
                    }
                }
            }
            @if step == 0 {
                @if let Some(intro) = &def.intro { p.lead { (ut(intro.get(tr.locale, fb))) } }
            }
            @if all.len() > 1 {
                p.progress { (tr.ta("respond-step", &[("current", (step + 1).into()), ("total", all.len().into())])) }
            }
            @if let Some(e) = error {
                div.error role="alert" {
                    @match &e.key {
                        Some(k) => { a href=(format!("#q-{k}")) { (tr.t("respond-error-summary")) } }
                        None => { (tr.t(e.message_id)) }
                    }
                }
            }
            form.survey-form method="post" action=(f.action) {
                input type="hidden" name="csrf" value=(f.csrf);
                input type="hidden" name="lang" value=(tr.locale.as_str());
                input type="hidden" name="nonce" value=(f.nonce);
                input type="hidden" name="step" value=(step);
                (hidden_answers(raw, &keys))
                @for &i in &shown { (question(f, &def.questions[i], raw, error)) }
                // Next comes first in the source so Enter submits forward; the row is reversed
                // in CSS so Back sits at the reading start and Next at the reading end.
                div.step-buttons {
                    button.primary.next type="submit" name="go" value="next" {
                        (tr.t(if more { "respond-next" } else { "respond-submit" }))
                    }
                    @if step > 0 {
                        button.back type="submit" name="go" value="back" formnovalidate { (tr.t("respond-back")) }
                    }
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_domain::survey::default_definition;

    fn posted(step: usize, back: bool, pairs: &[(&str, &str)]) -> Posted {
        let def = default_definition();
        let mut fields: Vec<(String, String)> = vec![
            ("step".into(), step.to_string()),
            ("go".into(), if back { "back" } else { "next" }.into()),
        ];
        fields.extend(pairs.iter().map(|(k, v)| (format!("a.{k}"), v.to_string())));
        Posted::parse(&def, fields)
    }

    #[test]
    fn a_new_step_starts_where_a_question_depends_on_the_current_one() {
        let def = default_definition();
        assert_eq!(steps(&def), vec![0..1, 1..6]);
        let mut one = def.clone();
        one.questions.retain(|q| q.show_if.is_none());
        assert_eq!(steps(&one), vec![0..one.questions.len()]);
    }

    #[test]
    fn steps_advance_validate_and_complete() {
        let def = default_definition();
        match advance(&def, &posted(0, false, &[])) {
            Outcome::Step {
                step: 0,
                error: Some(e),
            } => {
                assert_eq!(
                    (e.key.as_deref(), e.message_id),
                    (Some("nps"), "respond-error-required")
                )
            }
            _ => panic!("a missing required answer stays on its step"),
        }
        assert!(matches!(
            advance(&def, &posted(0, false, &[("nps", "4")])),
            Outcome::Step {
                step: 1,
                error: None
            }
        ));
        assert!(matches!(
            advance(&def, &posted(1, true, &[("nps", "4")])),
            Outcome::Step {
                step: 0,
                error: None
            }
        ));
        // A tampered earlier answer sends the respondent back to it.
        match advance(&def, &posted(1, false, &[("nps", "x")])) {
            Outcome::Step {
                step: 0,
                error: Some(e),
            } => assert_eq!(e.message_id, "respond-error-invalid"),
            _ => panic!("invalid hidden answer"),
        }
        match advance(
            &def,
            &posted(1, false, &[("nps", "4"), ("why_low", "slow")]),
        ) {
            Outcome::Complete(a) => {
                assert_eq!((a.nps, a.comment.as_deref()), (Some(4), Some("slow")))
            }
            _ => panic!("the last step completes"),
        }
    }

    #[test]
    fn the_locale_is_one_the_survey_speaks() {
        let mut def = default_definition();
        def.locales = vec![Locale::He, Locale::En];
        assert_eq!(
            choose_locale(&def, &[Some(Locale::El), Some(Locale::En)]),
            Locale::En
        );
        assert_eq!(choose_locale(&def, &[None, Some(Locale::El)]), Locale::He);
    }
}
