//! The demo's survey responses: one published survey per touchpoint and a year of answers in
//! the customers' languages, with real comments from `demo/verbatims.json` analysed up front
//! so insights work the moment the demo starts.
//!
//! Two patterns are planted for people to find:
//! - a broken promise: at the Hebrew journey's plumber visit ("a plumber within 24 hours")
//!   experience falls far short of expectation, and the comments say why;
//! - a bad month: the Athens service team's NPS drops sharply four months ago.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use rapport_domain::model::{CustomerFilter, Touchpoint};
use rapport_domain::survey::{default_definition, NpsGroup, RawAnswer};
use rapport_domain::voc::{NewResponse, ResponseAnalysis, ResponseSource, SurveyStatus};
use rapport_domain::{CustomerId, Locale, Name, StageKind, UserId};
use rapport_storage::{Actor, Storage};
use rayon::prelude::*;
use serde::Deserialize;

use super::Progress;

const VERBATIMS_JSON: &str = include_str!("../../demo/verbatims.json");

/// The touchpoint whose promise is not kept, by its (Hebrew) name.
const BROKEN_PROMISE: &str = "ביקור שרברב מטעם החברה";
/// The team that has a bad month, and how many months ago.
const BAD_MONTH_TEAM: &str = "ath-service";
const BAD_MONTH_AGO: u32 = 4;
/// Rows per transaction.
const BATCH: usize = 500;

/// A touchpoint to survey, with who serves it.
pub struct Place {
    pub touchpoint: Touchpoint,
    pub locale: Locale,
    pub stage: StageKind,
    /// The key of the team serving this stage (`demo/organisation.json`), if any.
    pub team: Option<String>,
}

#[derive(Deserialize)]
struct Verbatim {
    text: String,
    sentiment: String,
    topics: Vec<String>,
    stage: String,
}

/// Comments of one locale, indexed by sentiment.
struct Comments<'a> {
    all: &'a [Verbatim],
    by_sentiment: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Comments<'a> {
    fn new(all: &'a [Verbatim]) -> Self {
        let mut by_sentiment: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, v) in all.iter().enumerate() {
            by_sentiment
                .entry(v.sentiment.as_str())
                .or_default()
                .push(i);
        }
        Self { all, by_sentiment }
    }

    /// A comment of this sentiment, preferring ones written about this stage (and topic).
    fn pick(
        &self,
        rng: &mut StdRng,
        sentiment: &str,
        stage: &str,
        topic: Option<&str>,
    ) -> Option<&'a str> {
        let pool = self.by_sentiment.get(sentiment)?;
        let fits = |i: &&usize| {
            let v = &self.all[**i];
            v.stage == stage && topic.is_none_or(|t| v.topics.iter().any(|x| x == t))
        };
        let narrow: Vec<usize> = pool.iter().filter(fits).copied().collect();
        let from = if narrow.is_empty() || rng.gen_bool(0.25) {
            pool
        } else {
            &narrow
        };
        from.get(rng.gen_range(0..from.len()))
            .map(|i| self.all[*i].text.as_str())
    }
}

/// The first instant of the month `ago` months before `now`'s month.
fn month_start(now: DateTime<Utc>, ago: u32) -> DateTime<Utc> {
    let months = now.year() * 12 + now.month0() as i32 - ago as i32;
    Utc.with_ymd_and_hms(
        months.div_euclid(12),
        months.rem_euclid(12) as u32 + 1,
        1,
        0,
        0,
        0,
    )
    .single()
    .unwrap_or(now)
}

/// An NPS score: `quality` in about −1..1 shifts the mix of promoters and detractors.
fn nps_score(rng: &mut StdRng, quality: f64) -> i32 {
    let promoter = (0.42 + 0.2 * quality).clamp(0.05, 0.9);
    let detractor = (0.22 - 0.18 * quality).clamp(0.03, 0.85);
    let roll: f64 = rng.gen();
    if roll < promoter {
        if rng.gen_bool(0.55) {
            10
        } else {
            9
        }
    } else if roll < promoter + detractor {
        // Detractors mostly give 3–6; a few give the very lowest scores.
        if rng.gen_bool(0.2) {
            rng.gen_range(0..=2)
        } else {
            rng.gen_range(3..=6)
        }
    } else {
        rng.gen_range(7..=8)
    }
}

fn stage_weight(stage: StageKind) -> f64 {
    match stage {
        StageKind::Service => 3.0,
        StageKind::AfterService => 1.5,
        StageKind::MarketingPromise => 0.4,
        _ => 1.0,
    }
}

/// Creates the surveys and responses; returns how many responses were stored.
pub async fn seed(
    store: &dyn Storage,
    actor: Actor,
    rng: &mut StdRng,
    places: &[Place],
    team_agents: &HashMap<String, Vec<UserId>>,
    count: usize,
    progress: Progress<'_>,
) -> anyhow::Result<usize> {
    let org = actor.org_id;
    let verbatims: HashMap<String, Vec<Verbatim>> =
        serde_json::from_str(VERBATIMS_JSON).context("demo/verbatims.json")?;
    let comments: HashMap<Locale, Comments> = verbatims
        .iter()
        .filter_map(|(l, v)| Some((Locale::parse("locale", l).ok()?, Comments::new(v))))
        .collect();

    // One published survey per touchpoint, asking about its own promise.
    let mut surveys = Vec::with_capacity(places.len());
    for (i, p) in places.iter().enumerate() {
        let name = Name::parse("name", &p.touchpoint.name)?;
        let def = default_definition();
        let survey = store
            .create_survey(
                actor,
                p.touchpoint.id,
                &name,
                &def,
                // Unguessable like every public link (and alphanumeric, as `/s/{id}` requires).
                &crate::auth::secrets::random_hex(12),
            )
            .await?;
        let survey = store
            .set_survey_status(actor, survey.id, SurveyStatus::Published)
            .await?;
        surveys.push(survey);
        progress("surveys", i as u64 + 1, places.len() as u64);
    }
    if count == 0 || places.is_empty() {
        return Ok(0);
    }

    // Respondents by language; each journey is answered by customers of its language.
    let mut customers: HashMap<Locale, Vec<CustomerId>> = HashMap::new();
    for l in Locale::ALL {
        let page = store
            .list_customers(
                org,
                &CustomerFilter {
                    search: None,
                    locale: Some(l),
                    limit: 1_000_000,
                    offset: 0,
                },
            )
            .await?;
        customers.insert(l, page.items.iter().map(|c| c.id).collect());
    }
    // Languages answer in proportion to the customer base, touchpoints by how busy they are.
    let locale_share = [(Locale::He, 0.45), (Locale::El, 0.35), (Locale::En, 0.20)];
    let mut by_locale: HashMap<Locale, (Vec<usize>, Vec<f64>)> = HashMap::new();
    for (i, p) in places.iter().enumerate() {
        let e = by_locale.entry(p.locale).or_default();
        e.0.push(i);
        e.1.push(stage_weight(p.stage));
    }
    // Each touchpoint has its own steady quality, so some are better than others.
    let quality: Vec<f64> = places.iter().map(|_| rng.gen_range(-0.6..0.8)).collect();

    let now = Utc::now();
    let year = Duration::days(365).num_seconds();
    let bad_from = month_start(now, BAD_MONTH_AGO);
    let bad_to = month_start(now, BAD_MONTH_AGO - 1);

    let mut stored = 0usize;
    let mut batch: Vec<NewResponse> = Vec::with_capacity(BATCH);
    let mut pending_comments: Vec<(usize, String)> = Vec::new();
    let mut ids = Vec::with_capacity(count);
    let mut commented: Vec<(usize, String)> = Vec::new();
    for n in 0..count {
        let roll: f64 = rng.gen();
        let mut acc = 0.0;
        let locale = locale_share
            .iter()
            .find(|(_, w)| {
                acc += w;
                roll < acc
            })
            .map(|(l, _)| *l)
            .unwrap_or(Locale::En);
        let Some((idx, weights)) = by_locale.get(&locale).or_else(|| by_locale.values().next())
        else {
            break;
        };
        let total: f64 = weights.iter().sum();
        let mut pick = rng.gen_range(0.0..total);
        let mut place_i = idx[0];
        for (i, w) in idx.iter().zip(weights) {
            if pick < *w {
                place_i = *i;
                break;
            }
            pick -= w;
        }
        let place = &places[place_i];
        let survey = &surveys[place_i];
        // Older responses are a little sparser than recent ones.
        let age = (rng.gen::<f64>().powf(1.15) * year as f64) as i64;
        let submitted_at = now - Duration::seconds(age.max(60));
        let agent = place
            .team
            .as_ref()
            .and_then(|t| team_agents.get(t))
            .filter(|a| !a.is_empty())
            .map(|a| a[rng.gen_range(0..a.len())]);
        let broken = place.touchpoint.name == BROKEN_PROMISE;
        let bad_month = place.team.as_deref() == Some(BAD_MONTH_TEAM)
            && submitted_at >= bad_from
            && submitted_at < bad_to;
        // Service improves slowly over the year.
        let mut q = quality[place_i] + 0.25 * (1.0 - age as f64 / year as f64);
        if broken {
            q -= 1.8;
        }
        if bad_month {
            q -= 1.6;
        }
        let nps = nps_score(rng, q);
        let group = NpsGroup::of(nps);
        let mut raw = std::collections::BTreeMap::new();
        raw.insert("nps".to_string(), RawAnswer::Number(f64::from(nps)));
        let (csat, ces, gap) = match group {
            NpsGroup::Promoter => (
                rng.gen_range(4..=5),
                rng.gen_range(5..=7),
                rng.gen_range(-1..=1),
            ),
            NpsGroup::Passive => (
                rng.gen_range(3..=4),
                rng.gen_range(4..=6),
                rng.gen_range(-2..=0),
            ),
            NpsGroup::Detractor => (
                rng.gen_range(1..=3),
                rng.gen_range(1..=4),
                rng.gen_range(-4..=-1),
            ),
        };
        if rng.gen_bool(0.8) {
            raw.insert("csat".to_string(), RawAnswer::Number(f64::from(csat)));
        }
        if rng.gen_bool(0.6) {
            raw.insert("ces".to_string(), RawAnswer::Number(f64::from(ces)));
        }
        if broken || rng.gen_bool(0.5) {
            let (expectation, experience) = if broken && rng.gen_bool(0.85) {
                (rng.gen_range(6..=7), rng.gen_range(1..=3))
            } else {
                let e = rng.gen_range(5..=7);
                (e, (e + gap).clamp(1, 7))
            };
            raw.insert(
                "promise".to_string(),
                RawAnswer::Pair {
                    expectation: f64::from(expectation),
                    experience: f64::from(experience),
                },
            );
        }
        let wants_comment = rng.gen_bool(if group == NpsGroup::Detractor {
            0.7
        } else {
            0.5
        });
        if let (true, Some(c)) = (wants_comment, comments.get(&locale)) {
            let sentiment = match group {
                NpsGroup::Promoter => "positive",
                // Where the promise is broken, even the 7s and 8s complain about it.
                NpsGroup::Passive if broken && rng.gen_bool(0.6) => "negative",
                NpsGroup::Passive => "neutral",
                NpsGroup::Detractor => "negative",
            };
            let topic = if broken && group != NpsGroup::Promoter {
                Some("delivery_repair")
            } else if bad_month && group == NpsGroup::Detractor {
                Some(if rng.gen_bool(0.5) {
                    "waiting_time"
                } else {
                    "staff_attitude"
                })
            } else {
                None
            };
            if let Some(text) = c.pick(rng, sentiment, place.stage.as_str(), topic) {
                let key = if group == NpsGroup::Promoter {
                    "why_high"
                } else {
                    "why_low"
                };
                raw.insert(key.to_string(), RawAnswer::Text(text.to_string()));
                pending_comments.push((batch.len(), text.to_string()));
            }
        }
        let answers = survey
            .definition
            .parse_answers(&raw)
            .map_err(|e| anyhow::anyhow!("demo answers: {e}"))?;
        let pool = &customers[&place.locale];
        batch.push(NewResponse {
            survey_id: survey.id,
            version: survey.version,
            customer_id: (!pool.is_empty()).then(|| pool[rng.gen_range(0..pool.len())]),
            agent_id: agent,
            invitation_id: None,
            locale: place.locale,
            source: ResponseSource::Demo,
            idempotency_key: None,
            external_id: None,
            submitted_at,
            answers,
        });
        if batch.len() == BATCH || n + 1 == count {
            let base = ids.len();
            for (id, _) in store.insert_responses(org, &batch).await? {
                ids.push(id);
            }
            commented.extend(pending_comments.drain(..).map(|(i, t)| (base + i, t)));
            stored += batch.len();
            batch.clear();
            progress("responses", stored as u64, count as u64);
        }
    }

    // Analyse each distinct comment once, on all cores, then store it with every response.
    let redact = store.org_settings(org).await?.redact_pii;
    let mut distinct: Vec<String> = commented.iter().map(|(_, t)| t.clone()).collect();
    distinct.sort();
    distinct.dedup();
    let analyses: HashMap<String, ResponseAnalysis> = tokio::task::spawn_blocking(move || {
        distinct
            .into_par_iter()
            .map(|text| {
                let a = analysis_of(&text, redact);
                (text, a)
            })
            .collect::<Vec<_>>()
    })
    .await?
    .into_iter()
    .map(|(t, a)| a.map(|a| (t, a)))
    .collect::<anyhow::Result<_>>()?;
    let total = commented.len() as u64;
    for (done, (i, text)) in commented.iter().enumerate() {
        store
            .set_response_analysis(ids[*i], &analyses[text])
            .await?;
        if done % 500 == 0 || done as u64 + 1 == total {
            progress("analysis", done as u64 + 1, total);
        }
    }
    // Every response is analysed above (or has no comment), so the queued analysis jobs would
    // only make the worker re-read 20,000 rows at start-up.
    store
        .complete_queued_jobs(crate::jobs::JOB_ANALYZE_RESPONSE, chrono::Utc::now())
        .await?;
    Ok(stored)
}

/// The same record the `analyze_response` job stores.
fn analysis_of(text: &str, redact_pii: bool) -> anyhow::Result<ResponseAnalysis> {
    let analysis = rapport_text::Engine::global().analyze(text, None);
    Ok(ResponseAnalysis {
        language: analysis.language.clone(),
        sentiment_label: analysis
            .sentiment
            .as_ref()
            .and_then(|s| serde_json::to_value(s.label).ok())
            .and_then(|v| v.as_str().map(str::to_string)),
        sentiment_score: analysis.sentiment.as_ref().map(|s| f64::from(s.score)),
        topics: analysis.topics.iter().map(|t| t.name.clone()).collect(),
        redacted_comment: (redact_pii && !analysis.pii.is_empty())
            .then(|| analysis.redacted_text.clone()),
        detail: serde_json::to_value(&analysis)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_counted_back_across_years() {
        let now = Utc.with_ymd_and_hms(2026, 2, 15, 12, 0, 0).unwrap();
        assert_eq!(
            month_start(now, 4),
            Utc.with_ymd_and_hms(2025, 10, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(
            month_start(now, 0),
            Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn the_broken_promise_touchpoint_exists_in_the_content() {
        assert!(super::super::ORGANISATION_JSON.contains(BROKEN_PROMISE));
        assert!(super::super::ORGANISATION_JSON.contains(BAD_MONTH_TEAM));
    }
}
