//! Corpus themes: taxonomy topics and emerging keyphrases across many texts, each with its
//! size, share, sentiment, trend by period and the ids of representative verbatims, so every
//! aggregate leads back to the individual customer's words.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::{Analysis, Engine, Polarity};

/// One analysed text of a corpus.
#[derive(Debug, Clone)]
pub struct ThemeDoc<'a> {
    /// Caller's id of the verbatim (any JSON value rendered as a string).
    pub id: String,
    pub analysis: &'a Analysis,
    /// Optional period label for trends (e.g. `2026-03` or an ISO week).
    pub period: Option<String>,
}

/// Where a theme comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeKind {
    /// A topic of the (editable) taxonomy.
    Taxonomy,
    /// A keyphrase frequent in this corpus: a candidate new topic.
    Emerging,
}

/// Size and sentiment of a theme in one period: the hook for trend charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub period: String,
    pub size: usize,
    /// Share of that period's texts.
    pub share: f32,
    pub average_sentiment: Option<f32>,
}

/// One theme of a corpus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Theme {
    pub name: String,
    pub kind: ThemeKind,
    /// Number of texts in the theme.
    pub size: usize,
    /// Share of all texts.
    pub share: f32,
    /// Mean sentiment score of its texts that have one.
    pub average_sentiment: Option<f32>,
    /// Share of its texts that are negative.
    pub negative_share: f32,
    /// Most frequent keyphrases inside the theme.
    pub keywords: Vec<String>,
    /// Ids of up to three representative verbatims (strongest on the theme, then most
    /// emotional).
    pub representative_ids: Vec<String>,
    /// Per period, in period order; empty when no period was given.
    pub trend: Vec<TrendPoint>,
}

/// Themes of a corpus, largest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Themes {
    pub total: usize,
    pub themes: Vec<Theme>,
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

fn build(
    name: String,
    kind: ThemeKind,
    members: &[(usize, f32)],
    docs: &[ThemeDoc<'_>],
    period_totals: &BTreeMap<String, usize>,
) -> Theme {
    let total = docs.len().max(1);
    let scores: Vec<f32> = members
        .iter()
        .filter_map(|(i, _)| docs[*i].analysis.sentiment.as_ref().map(|s| s.score))
        .collect();
    let avg =
        (!scores.is_empty()).then(|| round3(scores.iter().sum::<f32>() / scores.len() as f32));
    let negative = members
        .iter()
        .filter(|(i, _)| {
            docs[*i]
                .analysis
                .sentiment
                .as_ref()
                .is_some_and(|s| s.label == Polarity::Negative)
        })
        .count();
    let mut kw: HashMap<&str, usize> = HashMap::new();
    for (i, _) in members {
        for k in &docs[*i].analysis.keywords {
            if *k != name {
                *kw.entry(k.as_str()).or_default() += 1;
            }
        }
    }
    let mut kw: Vec<(&str, usize)> = kw.into_iter().filter(|(_, c)| *c >= 2).collect();
    kw.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut ranked: Vec<&(usize, f32)> = members.iter().collect();
    ranked.sort_by(|a, b| {
        let sa = docs[a.0]
            .analysis
            .sentiment
            .as_ref()
            .map_or(0.0, |s| s.score.abs());
        let sb = docs[b.0]
            .analysis
            .sentiment
            .as_ref()
            .map_or(0.0, |s| s.score.abs());
        b.1.total_cmp(&a.1)
            .then(sb.total_cmp(&sa))
            .then(a.0.cmp(&b.0))
    });
    let mut trend: Vec<TrendPoint> = Vec::new();
    for (period, ptotal) in period_totals {
        let in_p: Vec<&(usize, f32)> = members
            .iter()
            .filter(|(i, _)| docs[*i].period.as_deref() == Some(period.as_str()))
            .collect();
        let s: Vec<f32> = in_p
            .iter()
            .filter_map(|(i, _)| docs[*i].analysis.sentiment.as_ref().map(|s| s.score))
            .collect();
        trend.push(TrendPoint {
            period: period.clone(),
            size: in_p.len(),
            share: round3(in_p.len() as f32 / (*ptotal).max(1) as f32),
            average_sentiment: (!s.is_empty())
                .then(|| round3(s.iter().sum::<f32>() / s.len() as f32)),
        });
    }
    Theme {
        name,
        kind,
        size: members.len(),
        share: round3(members.len() as f32 / total as f32),
        average_sentiment: avg,
        negative_share: round3(negative as f32 / members.len().max(1) as f32),
        keywords: kw.into_iter().take(5).map(|(k, _)| k.to_string()).collect(),
        representative_ids: ranked
            .into_iter()
            .take(3)
            .map(|(i, _)| docs[*i].id.clone())
            .collect(),
        trend,
    }
}

/// Themes of analysed texts: every taxonomy topic that occurs, and up to ten emerging
/// keyphrases found in at least `max(2, 0.5%)` of texts that no larger emerging theme contains.
pub fn themes_from(docs: &[ThemeDoc<'_>]) -> Themes {
    let mut period_totals: BTreeMap<String, usize> = BTreeMap::new();
    for d in docs {
        if let Some(p) = &d.period {
            *period_totals.entry(p.clone()).or_default() += 1;
        }
    }
    let mut topic_members: BTreeMap<&str, Vec<(usize, f32)>> = BTreeMap::new();
    let mut kw_members: HashMap<&str, Vec<(usize, f32)>> = HashMap::new();
    for (i, d) in docs.iter().enumerate() {
        for t in &d.analysis.topics {
            topic_members
                .entry(t.name.as_str())
                .or_default()
                .push((i, t.score));
        }
        for (rank, k) in d.analysis.keywords.iter().enumerate() {
            kw_members
                .entry(k.as_str())
                .or_default()
                .push((i, 1.0 / (1.0 + rank as f32)));
        }
    }
    let mut out: Vec<Theme> = topic_members
        .into_iter()
        .map(|(name, m)| {
            build(
                name.to_string(),
                ThemeKind::Taxonomy,
                &m,
                docs,
                &period_totals,
            )
        })
        .collect();
    let min_df = 2usize.max(docs.len() / 200);
    let mut kws: Vec<(&str, Vec<(usize, f32)>)> = kw_members
        .into_iter()
        .filter(|(_, m)| m.len() >= min_df)
        .collect();
    kws.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let mut chosen: Vec<&str> = Vec::new();
    for (k, m) in kws {
        if chosen.len() >= 10 {
            break;
        }
        if chosen.iter().any(|c| c.contains(k) || k.contains(c)) {
            continue;
        }
        chosen.push(k);
        out.push(build(
            k.to_string(),
            ThemeKind::Emerging,
            &m,
            docs,
            &period_totals,
        ));
    }
    out.sort_by(|a, b| b.size.cmp(&a.size).then(a.name.cmp(&b.name)));
    Themes {
        total: docs.len(),
        themes: out,
    }
}

/// Convenience: analyse `texts` with the global engine (ids are their indices) and return
/// their themes.
pub fn themes(texts: &[&str]) -> Themes {
    let engine = Engine::global();
    let analyses: Vec<Analysis> = texts.iter().map(|t| engine.analyze(t, None)).collect();
    let docs: Vec<ThemeDoc<'_>> = analyses
        .iter()
        .enumerate()
        .map(|(i, a)| ThemeDoc {
            id: i.to_string(),
            analysis: a,
            period: None,
        })
        .collect();
    themes_from(&docs)
}
