//! What moves NPS, and where the experience is weakest: pure computations over exact sums and
//! analysed rows, so the API and the web pages tell the same story and tests can check by hand.

use serde::Serialize;
use utoipa::ToSchema;

use crate::stats::Nps;
use crate::voc::{nps_change_significant, GroupMetrics, GroupSums, TopicSums};

/// One topic or touchpoint and how much it moves the overall NPS.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Driver {
    /// The topic name, or the touchpoint id as text.
    pub key: String,
    /// NPS answers with this topic / at this touchpoint.
    pub n: u64,
    /// `n` as a share of all NPS answers considered, in 0..=1.
    pub share: f64,
    /// NPS of the answers with the topic (at the touchpoint).
    pub nps_with: f64,
    /// NPS of all the other answers.
    pub nps_without: f64,
    /// `nps_with − nps_without`, in NPS points.
    pub difference: f64,
    /// `share × difference`: how far the overall NPS sits from where it would be if these
    /// answers scored like the rest. Because overall = share·with + (1−share)·without, this is
    /// exactly overall − without.
    pub impact: f64,
}

fn driver(key: String, with: (u64, u64, u64), total: (u64, u64, u64)) -> Option<Driver> {
    let without = (total.0 - with.0, total.1 - with.1, total.2 - with.2);
    let w = Nps::from_counts(with.0, with.1, with.2)?;
    let wo = Nps::from_counts(without.0, without.1, without.2)?;
    let share = w.n as f64 / (w.n + wo.n) as f64;
    let difference = w.score - wo.score;
    Some(Driver {
        key,
        n: w.n,
        share,
        nps_with: w.score,
        nps_without: wo.score,
        difference,
        impact: share * difference,
    })
}

/// Largest effect first, whichever its sign; ties by key so the order is stable.
fn rank(mut drivers: Vec<Driver>) -> Vec<Driver> {
    drivers.sort_by(|a, b| {
        b.impact
            .abs()
            .total_cmp(&a.impact.abs())
            .then_with(|| a.key.cmp(&b.key))
    });
    drivers
}

fn bucket(score: i32) -> (u64, u64, u64) {
    match score {
        9..=10 => (1, 0, 0),
        7..=8 => (0, 1, 0),
        0..=6 => (0, 0, 1),
        _ => (0, 0, 0),
    }
}

fn add(a: (u64, u64, u64), b: (u64, u64, u64)) -> (u64, u64, u64) {
    (a.0 + b.0, a.1 + b.1, a.2 + b.2)
}

/// Topic drivers from `(nps, topics)` rows: topics mentioned fewer than `min_n` times are left
/// out (their NPS is noise), as are topics every answer mentions (there is no "rest").
pub fn topic_drivers(rows: &[(i32, Vec<String>)], min_n: u64) -> Vec<Driver> {
    let mut total = (0, 0, 0);
    let mut per: std::collections::BTreeMap<&str, (u64, u64, u64)> = Default::default();
    for (score, topics) in rows {
        let b = bucket(*score);
        total = add(total, b);
        let mut seen: Vec<&str> = topics.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            let e = per.entry(t).or_default();
            *e = add(*e, b);
        }
    }
    rank(
        per.into_iter()
            .filter(|(_, c)| c.0 + c.1 + c.2 >= min_n.max(1))
            .filter_map(|(k, c)| driver(k.to_string(), c, total))
            .collect(),
    )
}

/// Topic drivers from topic sums of one group (see [`TopicSums`]): the same answer as
/// [`topic_drivers`] over the rows they were summed from.
pub fn topic_drivers_from_sums(sums: &[TopicSums], min_n: u64) -> Vec<Driver> {
    let counts = |s: &TopicSums| {
        (
            s.promoters.max(0) as u64,
            s.passives().max(0) as u64,
            s.detractors.max(0) as u64,
        )
    };
    let total = sums
        .iter()
        .filter(|s| s.topic.is_none())
        .map(counts)
        .fold((0, 0, 0), add);
    rank(
        sums.iter()
            .filter_map(|s| s.topic.as_ref().map(|t| (t, counts(s))))
            .filter(|(_, c)| c.0 + c.1 + c.2 >= min_n.max(1))
            .filter_map(|(k, c)| driver(k.clone(), c, total))
            .collect(),
    )
}

/// A touchpoint's most named topics with how often each is named (a topic named twice in one
/// answer counts twice), most first, ties by name.
pub fn top_topics(sums: &[TopicSums], n: usize) -> Vec<(String, usize)> {
    let mut top: Vec<(String, usize)> = sums
        .iter()
        .filter(|s| s.mentions > 0)
        .filter_map(|s| s.topic.clone().map(|t| (t, s.mentions as usize)))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(n);
    top
}

/// Touchpoint drivers from sums grouped by touchpoint: each touchpoint against all the others.
pub fn group_drivers(groups: &[GroupSums], min_n: u64) -> Vec<Driver> {
    let counts = |g: &GroupSums| {
        (
            g.promoters as u64,
            (g.nps_n - g.promoters - g.detractors).max(0) as u64,
            g.detractors as u64,
        )
    };
    let total = groups.iter().map(counts).fold((0, 0, 0), add);
    rank(
        groups
            .iter()
            .filter(|g| g.nps_n as u64 >= min_n.max(1))
            .filter_map(|g| driver(g.key.clone(), counts(g), total))
            .collect(),
    )
}

/// Sums over several groups, e.g. the whole from its parts.
pub fn total(groups: &[GroupSums], key: &str) -> GroupSums {
    let mut t = GroupSums {
        key: key.to_string(),
        ..Default::default()
    };
    for g in groups {
        t.responses += g.responses;
        t.nps_n += g.nps_n;
        t.promoters += g.promoters;
        t.detractors += g.detractors;
        t.csat_n += g.csat_n;
        t.csat_satisfied += g.csat_satisfied;
        t.ces_n += g.ces_n;
        t.ces_sum += g.ces_sum;
        t.gap_n += g.gap_n;
        t.gap_sum += g.gap_sum;
        t.sentiment_n += g.sentiment_n;
        t.sentiment_sum += g.sentiment_sum;
        t.negative += g.negative;
    }
    t
}

/// Did NPS change between the last two periods by more than their noise? `None` when fewer
/// than two periods have NPS answers.
pub fn last_change_significant(series: &[GroupMetrics]) -> Option<bool> {
    let with_nps: Vec<&Nps> = series.iter().filter_map(|m| m.nps.as_ref()).collect();
    match with_nps.as_slice() {
        [.., a, b] => Some(nps_change_significant(a, b)),
        _ => None,
    }
}

/// Why a touchpoint is flagged as weak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Weakness {
    /// The lowest NPS among touchpoints with enough answers, and below the overall NPS.
    LowestNps,
    /// Customers got clearly less than they were promised (mean gap ≤ −1 on the 1–7 scale).
    PromiseNotKept,
}

/// The gap (experience − expectation) at or below which a promise counts as not kept: a full
/// point on the 1–7 scale is more than rounding in how people answer.
pub const BROKEN_PROMISE_GAP: f64 = -1.0;

/// Touchpoints to highlight, most severe first. Only groups with at least `min_n` answers for
/// the measure count, so one angry customer does not paint a touchpoint red.
pub fn weakest(
    groups: &[GroupMetrics],
    overall: Option<&Nps>,
    min_n: u64,
) -> Vec<(String, Weakness)> {
    let mut out = vec![];
    let lowest = groups
        .iter()
        .filter_map(|g| g.nps.as_ref().map(|n| (g, n)))
        .filter(|(_, n)| n.n >= min_n)
        .min_by(|a, b| a.1.score.total_cmp(&b.1.score));
    if let (Some((g, n)), Some(o)) = (lowest, overall) {
        if n.score < o.score {
            out.push((g.key.clone(), Weakness::LowestNps));
        }
    }
    let mut broken: Vec<(&GroupMetrics, f64)> = groups
        .iter()
        .filter(|g| g.gap_n as u64 >= min_n)
        .filter_map(|g| g.expectation_gap.map(|x| (g, x)))
        .filter(|(_, x)| *x <= BROKEN_PROMISE_GAP)
        .collect();
    broken.sort_by(|a, b| a.1.total_cmp(&b.1));
    out.extend(
        broken
            .into_iter()
            .map(|(g, _)| (g.key.clone(), Weakness::PromiseNotKept)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(spec: &[(i32, &[&str])]) -> Vec<(i32, Vec<String>)> {
        spec.iter()
            .map(|(s, t)| (*s, t.iter().map(|x| x.to_string()).collect()))
            .collect()
    }

    #[test]
    fn topic_driver_matches_hand_computation() {
        // 10 answers. "wait" on 4: scores 2, 3, 9, 7 → 1 promoter, 1 passive, 2 detractors = −25.
        // The other 6: 10, 10, 9, 8, 5, 9 → 4 promoters, 1 passive, 1 detractor = +50.
        // share 0.4, difference −75, impact −30.
        let r = rows(&[
            (2, &["wait"]),
            (3, &["wait", "price"]),
            (9, &["wait"]),
            (7, &["wait", "wait"]),
            (10, &["staff"]),
            (10, &["staff"]),
            (9, &[]),
            (8, &["price"]),
            (5, &["price"]),
            (9, &["staff"]),
        ]);
        let d = topic_drivers(&r, 2);
        let wait = d.iter().find(|d| d.key == "wait").unwrap();
        assert_eq!(wait.n, 4);
        assert!((wait.share - 0.4).abs() < 1e-12);
        assert!((wait.nps_with - -25.0).abs() < 1e-9);
        assert!((wait.nps_without - 50.0).abs() < 1e-9);
        assert!((wait.difference - -75.0).abs() < 1e-9);
        assert!((wait.impact - -30.0).abs() < 1e-9);
        // Overall NPS: 5 promoters, 2 passives, 3 detractors = 20 = 50 + (−30).
        let overall = Nps::from_scores(r.iter().map(|(s, _)| *s as u8)).unwrap();
        assert!((overall.score - (wait.nps_without + wait.impact)).abs() < 1e-9);
        // "staff": 3 answers all promoters = 100; rest 7: 2 promoters, 2 passives, 3 detractors
        // = −14.29 → difference 114.29, share 0.3, impact 34.29. "price": 3 answers 3, 8, 5 → −66.67;
        // rest 7: 5 promoters, 1 passive, 1 detractor = 57.14 → impact 0.3 × −123.81 = −37.14.
        assert_eq!(
            d.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(),
            ["price", "staff", "wait"]
        );
        assert!((d[0].impact - -37.142857).abs() < 1e-5);
        assert!((d[1].impact - 34.285714).abs() < 1e-5);
        // min_n leaves out rare topics.
        assert!(topic_drivers(&r, 4).iter().all(|d| d.key == "wait"));
    }

    fn sums(key: &str, nps: (i64, i64, i64), gap: (i64, i64)) -> GroupSums {
        GroupSums {
            key: key.into(),
            responses: nps.0 + nps.1 + nps.2,
            nps_n: nps.0 + nps.1 + nps.2,
            promoters: nps.0,
            detractors: nps.2,
            gap_n: gap.0,
            gap_sum: gap.1,
            ..Default::default()
        }
    }

    #[test]
    fn touchpoint_drivers_compare_each_with_the_rest() {
        // A: 2 promoters, 0 passives, 6 detractors (−50); B: 10 promoters, 2 passives (83.3).
        let g = [sums("A", (2, 0, 6), (0, 0)), sums("B", (10, 2, 0), (0, 0))];
        let d = group_drivers(&g, 1);
        assert_eq!(d.len(), 2);
        // share(A) = 8/20 = 0.4; difference = −50 − 83.33 = −133.33; impact = −53.33.
        // share(B) = 0.6; difference = +133.33; impact = 80 → B first.
        assert_eq!(d[0].key, "B");
        assert!((d[0].impact - 80.0).abs() < 1e-9);
        assert!((d[1].impact - -53.333333).abs() < 1e-5);
        let t = total(&g, "all");
        assert_eq!((t.nps_n, t.promoters, t.detractors), (20, 12, 6));
    }

    #[test]
    fn weakest_needs_enough_answers() {
        let g: Vec<GroupMetrics> = [
            sums("A", (2, 0, 6), (8, -16)),
            sums("B", (10, 2, 0), (5, 2)),
            sums("C", (0, 0, 2), (2, -10)),
        ]
        .iter()
        .map(GroupMetrics::from)
        .collect();
        let overall = Nps::from_counts(12, 2, 8).unwrap();
        let w = weakest(&g, Some(&overall), 5);
        // C has the lowest NPS and gap but only 2 answers.
        assert_eq!(
            w,
            vec![
                ("A".to_string(), Weakness::LowestNps),
                ("A".to_string(), Weakness::PromiseNotKept)
            ]
        );
        let w = weakest(&g, Some(&overall), 1);
        assert_eq!(w[0], ("C".to_string(), Weakness::LowestNps));
        assert_eq!(w[1], ("C".to_string(), Weakness::PromiseNotKept));
    }

    #[test]
    fn significance_of_the_last_change() {
        let m = |p, pa, d| GroupMetrics::from(&sums("w", (p, pa, d), (0, 0)));
        assert_eq!(last_change_significant(&[m(5, 3, 2)]), None);
        assert_eq!(
            last_change_significant(&[m(5, 3, 2), m(5, 3, 2), m(6, 2, 2)]),
            Some(false)
        );
        assert_eq!(
            last_change_significant(&[m(80, 10, 10), m(10, 10, 80)]),
            Some(true)
        );
    }

    proptest::proptest! {
        /// Whatever the data, each driver's impact is exactly how far overall NPS sits from the
        /// NPS without it; nothing panics on any topic text.
        #[test]
        fn impact_is_overall_minus_without(
            rows in proptest::collection::vec((0i32..=10, proptest::collection::vec("\\PC{0,8}", 0..4)), 1..60),
        ) {
            let overall = Nps::from_scores(rows.iter().map(|(s, _)| *s as u8)).unwrap();
            for d in topic_drivers(&rows, 1) {
                proptest::prop_assert!((overall.score - (d.nps_without + d.impact)).abs() < 1e-6);
                proptest::prop_assert!(d.share > 0.0 && d.share < 1.0);
            }
        }

        /// Drivers and top topics from summed rows equal those from the rows themselves
        /// (topics named twice, empty topic lists, any text).
        #[test]
        fn sums_give_the_rows_answer(
            rows in proptest::collection::vec((0i32..=10, proptest::collection::vec("[ab,]|\\PC{0,3}", 0..4)), 0..60),
            min_n in 0u64..4,
        ) {
            let sums = TopicSums::from_rows(rows.iter().map(|(s, t)| ("", *s, t.as_slice())));
            proptest::prop_assert_eq!(topic_drivers_from_sums(&sums, min_n), topic_drivers(&rows, min_n));
            let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
            for (_, topics) in &rows {
                for t in topics {
                    *counts.entry(t.clone()).or_default() += 1;
                }
            }
            let mut want: Vec<(String, usize)> = counts.into_iter().collect();
            want.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            want.truncate(3);
            proptest::prop_assert_eq!(top_topics(&sums, 3), want);
        }
    }
}
