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
    /// A cluster of texts close in meaning (semantic tier), across languages.
    Semantic,
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
    /// Semantic themes: the most distinctive keywords per language of the cluster, so one
    /// theme reads in each language its customers wrote in.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, Vec<String>>,
    /// Semantic themes: the ids of every text in the cluster, nearest the centre first (a
    /// cluster has no single keyword to search by, so the drill-down lists its members).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_ids: Vec<String>,
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
        labels: BTreeMap::new(),
        member_ids: Vec::new(),
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

/// Options of [`semantic_themes`].
#[derive(Debug, Clone)]
pub struct SemanticOptions {
    /// Number of clusters; `None` picks `√(n/2)` within 2..=40.
    pub clusters: Option<usize>,
    /// Smallest theme reported, as a share of the corpus (at least 3 texts).
    pub min_share: f32,
    /// Clusters whose centres are at least this similar are merged.
    pub merge_cosine: f32,
}

impl Default for SemanticOptions {
    fn default() -> Self {
        SemanticOptions {
            clusters: None,
            min_share: 0.01,
            merge_cosine: 0.9,
        }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalise(v: &mut [f32]) {
    let n = dot(v, v).sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// Spherical k-means (k-means++ seeding from a fixed seed, so the same corpus always gives
/// the same themes). Returns each point's cluster and the unit centres.
fn kmeans(points: &[Vec<f32>], k: usize) -> (Vec<usize>, Vec<Vec<f32>>) {
    let n = points.len();
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut centres: Vec<Vec<f32>> = vec![points[(next() * n as f64) as usize % n].clone()];
    let mut best: Vec<f32> = points.iter().map(|p| 1.0 - dot(p, &centres[0])).collect();
    while centres.len() < k {
        let total: f64 = best.iter().map(|d| (d.max(0.0) as f64).powi(2)).sum();
        if total <= 0.0 {
            break;
        }
        let mut r = next() * total;
        let mut pick = n - 1;
        for (i, d) in best.iter().enumerate() {
            r -= (d.max(0.0) as f64).powi(2);
            if r <= 0.0 {
                pick = i;
                break;
            }
        }
        let c = points[pick].clone();
        for (b, p) in best.iter_mut().zip(points) {
            *b = b.min(1.0 - dot(p, &c));
        }
        centres.push(c);
    }
    let dim = points[0].len();
    let mut assign = vec![usize::MAX; n];
    for _ in 0..30 {
        let mut changed = false;
        for (a, p) in assign.iter_mut().zip(points) {
            let c = (0..centres.len())
                .max_by(|&x, &y| {
                    dot(p, &centres[x])
                        .total_cmp(&dot(p, &centres[y]))
                        .then(y.cmp(&x))
                })
                .unwrap_or(0);
            if *a != c {
                *a = c;
                changed = true;
            }
        }
        if !changed {
            break;
        }
        let mut sums = vec![vec![0f32; dim]; centres.len()];
        for (a, p) in assign.iter().zip(points) {
            sums[*a].iter_mut().zip(p).for_each(|(s, v)| *s += v);
        }
        for (c, mut s) in centres.iter_mut().zip(sums) {
            if s.iter().any(|v| *v != 0.0) {
                normalise(&mut s);
                *c = s;
            }
        }
    }
    (assign, centres)
}

/// Themes by meaning: clusters of the texts' sentence embeddings (one per doc, any
/// dimension, from a multilingual encoder), so a Hebrew, a Greek and an English complaint
/// about the same thing land in one theme. Each theme is labelled by its most distinctive
/// keywords per language and keeps the sentiment, trend and representative verbatims (the
/// texts nearest its centre) of the other themes.
pub fn semantic_themes(
    docs: &[ThemeDoc<'_>],
    embeddings: &[Vec<f32>],
    opts: &SemanticOptions,
) -> Themes {
    let n = docs.len().min(embeddings.len());
    let mut out = Themes {
        total: docs.len(),
        themes: Vec::new(),
    };
    if n < 4 {
        return out;
    }
    // Sentence encoders put all texts in a narrow cone; centring on the corpus mean spreads
    // them so clusters follow topics rather than the cone's axis.
    let dim = embeddings[0].len();
    let mut mean = vec![0f32; dim];
    for e in &embeddings[..n] {
        mean.iter_mut().zip(e).for_each(|(m, v)| *m += v / n as f32);
    }
    let points: Vec<Vec<f32>> = embeddings[..n]
        .iter()
        .map(|e| {
            let mut p: Vec<f32> = e.iter().zip(&mean).map(|(v, m)| v - m).collect();
            p.resize(dim, 0.0);
            normalise(&mut p);
            p
        })
        .collect();
    let k = opts
        .clusters
        .unwrap_or_else(|| ((n as f32 / 2.0).sqrt().round() as usize).clamp(2, 40))
        .clamp(1, n);
    let (mut assign, mut centres) = kmeans(&points, k);
    // Merge near-duplicate clusters (k-means splits big themes when k is generous).
    for a in 0..centres.len() {
        for b in (a + 1)..centres.len() {
            if dot(&centres[a], &centres[b]) >= opts.merge_cosine {
                assign.iter_mut().filter(|x| **x == b).for_each(|x| *x = a);
                let merged: Vec<f32> = centres[a]
                    .iter()
                    .zip(&centres[b])
                    .map(|(x, y)| x + y)
                    .collect();
                centres[a] = merged;
                normalise(&mut centres[a]);
            }
        }
    }
    let mut period_totals: BTreeMap<String, usize> = BTreeMap::new();
    for d in &docs[..n] {
        if let Some(p) = &d.period {
            *period_totals.entry(p.clone()).or_default() += 1;
        }
    }
    // Document frequency of each (language, keyword) over the corpus, for distinctiveness.
    let mut df: HashMap<(&str, &str), usize> = HashMap::new();
    for d in &docs[..n] {
        for k in &d.analysis.keywords {
            *df.entry((d.analysis.language.as_str(), k.as_str()))
                .or_default() += 1;
        }
    }
    let min_size = 3usize.max((opts.min_share * n as f32).ceil() as usize);
    for (c, centre) in centres.iter().enumerate() {
        let members: Vec<(usize, f32)> = (0..n)
            .filter(|&i| assign[i] == c)
            .map(|i| (i, round3(dot(&points[i], centre))))
            .collect();
        if members.len() < min_size {
            continue;
        }
        let mut tf: HashMap<(&str, &str), usize> = HashMap::new();
        let mut lang_count: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, _) in &members {
            let a = docs[*i].analysis;
            *lang_count.entry(a.language.as_str()).or_default() += 1;
            for k in &a.keywords {
                *tf.entry((a.language.as_str(), k.as_str())).or_default() += 1;
            }
        }
        let mut labels: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (lang, texts) in lang_count.iter().filter(|(l, _)| **l != "und") {
            // A keyword names a theme when it recurs; a language with only a few texts in
            // the cluster is labelled by its most distinctive keyword even if said once.
            let min_count = if *texts >= 4 { 2 } else { 1 };
            let mut scored: Vec<(&str, f32)> = tf
                .iter()
                .filter(|((l, _), c)| l == lang && **c >= min_count)
                .map(|((l, k), c)| {
                    let idf = (n as f32 / df[&(*l, *k)] as f32).ln();
                    (*k, *c as f32 * idf)
                })
                .collect();
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
            if !scored.is_empty() {
                labels.insert(
                    lang.to_string(),
                    scored
                        .into_iter()
                        .take(3)
                        .map(|(k, _)| k.to_string())
                        .collect(),
                );
            }
        }
        let mut langs: Vec<(&str, usize)> = lang_count.into_iter().collect();
        langs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let name_parts: Vec<&str> = langs
            .iter()
            .filter_map(|(l, _)| labels.get(*l).and_then(|v| v.first()).map(String::as_str))
            .collect();
        let name = if name_parts.is_empty() {
            format!("theme {}", c + 1)
        } else {
            name_parts.join(" / ")
        };
        let mut theme = build(
            name,
            ThemeKind::Semantic,
            &members,
            &docs[..n],
            &period_totals,
        );
        theme.labels = labels;
        let mut nearest = members.clone();
        nearest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        theme.member_ids = nearest.iter().map(|(i, _)| docs[*i].id.clone()).collect();
        out.themes.push(theme);
    }
    out.themes
        .sort_by(|a, b| b.size.cmp(&a.size).then(a.name.cmp(&b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two well-separated directions with small per-text offsets.
    fn clustered(n: usize) -> Vec<Vec<f32>> {
        (0..n)
            .map(|i| {
                let mut v = vec![0.05f32; 8];
                v[if i % 2 == 0 { 0 } else { 1 }] = 1.0;
                v[2 + i % 5] += 0.1;
                normalise(&mut v);
                v
            })
            .collect()
    }

    #[test]
    fn semantic_themes_follow_the_embeddings_and_list_members() {
        let engine = Engine::global();
        let texts: Vec<String> = (0..12)
            .map(|i| {
                if i % 2 == 0 {
                    format!("waited on hold for an hour, call {i}")
                } else {
                    format!("the invoice has a wrong charge, bill {i}")
                }
            })
            .collect();
        let analyses: Vec<Analysis> = texts
            .iter()
            .map(|t| engine.analyze(t, Some("en")))
            .collect();
        let docs: Vec<ThemeDoc<'_>> = analyses
            .iter()
            .enumerate()
            .map(|(i, a)| ThemeDoc {
                id: i.to_string(),
                analysis: a,
                period: Some(if i < 6 { "2026-10" } else { "2026-11" }.into()),
            })
            .collect();
        let out = semantic_themes(&docs, &clustered(12), &SemanticOptions::default());
        assert_eq!(out.total, 12);
        assert_eq!(out.themes.len(), 2, "{out:?}");
        for t in &out.themes {
            assert_eq!(t.kind, ThemeKind::Semantic);
            assert_eq!(t.size, 6);
            assert_eq!(t.member_ids.len(), 6);
            let parity: Vec<usize> = t
                .member_ids
                .iter()
                .map(|id| id.parse::<usize>().unwrap() % 2)
                .collect();
            assert!(parity.iter().all(|p| *p == parity[0]), "{t:?}");
            assert!(t.labels.contains_key("en"), "{t:?}");
            assert_eq!(t.trend.len(), 2);
            assert!(t
                .representative_ids
                .iter()
                .all(|r| t.member_ids.contains(r)));
        }
        // Deterministic.
        assert_eq!(
            out,
            semantic_themes(&docs, &clustered(12), &SemanticOptions::default())
        );
    }

    #[test]
    fn semantic_themes_tolerate_tiny_and_odd_input() {
        let a = Engine::global().analyze("ok", None);
        let docs = vec![
            ThemeDoc {
                id: "a".into(),
                analysis: &a,
                period: None,
            };
            5
        ];
        assert!(
            semantic_themes(&docs[..3], &clustered(3), &Default::default())
                .themes
                .is_empty()
        );
        // Identical vectors and a zero vector: no panic, at most one theme.
        let same = vec![
            vec![0.0f32; 4],
            vec![1.0, 0.0, 0.0, 0.0],
            vec![1.0, 0.0, 0.0, 0.0],
            vec![1.0, 0.0, 0.0, 0.0],
            vec![1.0, 0.0, 0.0, 0.0],
        ];
        let out = semantic_themes(&docs, &same, &Default::default());
        assert!(out.themes.len() <= 1, "{out:?}");
    }
}
