//! Minimum group size for anonymous employee answers, including the attacks that hiding one
//! small group does not stop.
//!
//! Hiding every group below the minimum is not enough. If four teams and the organisation total
//! are shown and only one team is hidden, total − (the three shown teams) gives the hidden team
//! back. Likewise two overlapping filters (a team, and the same team without its night shift)
//! reveal the night shift by subtraction. This module decides what may be shown so that no
//! group smaller than the minimum can be recovered by differencing the figures on a page.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::frontline::FLOOR_MIN_GROUP_SIZE;

/// One group of a partition (e.g. the teams of an organisation) and how many people answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupCount {
    pub key: String,
    pub n: i64,
}

/// Whether a group's figures may be shown, and if not, why (the UI words the two differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Shown,
    /// Fewer respondents than the minimum group size.
    TooSmall,
    /// Large enough, but hidden so that a smaller hidden group cannot be recovered from the total.
    Complementary,
}

impl Visibility {
    pub fn is_shown(self) -> bool {
        self == Visibility::Shown
    }
}

/// The minimum group size actually enforced: the organisation's setting, never below the floor.
pub fn effective_min(min: i64) -> i64 {
    min.max(FLOOR_MIN_GROUP_SIZE)
}

/// [`suppress_with_reasons`] as one flag per group: `true` = may be shown.
pub fn suppress(groups: &[GroupCount], total_shown: bool, min: i64) -> Vec<bool> {
    suppress_with_reasons(groups, total_shown, min)
        .into_iter()
        .map(Visibility::is_shown)
        .collect()
}

/// Decides, for the groups of one partition (disjoint groups that together make the total),
/// which may be shown.
///
/// 1. Primary: a group with 0 < n < min is hidden. A group with n = 0 has nothing to protect
///    and is shown (as "no answers").
/// 2. Secondary, only when the partition's total is shown (otherwise the hidden groups cannot be
///    derived from the page): the hidden groups together are exactly total − shown, so they must
///    be at least two and number at least `min` people between them. Until they are, the
///    smallest shown group with n > 0 is hidden too (ties broken by key, for stable output).
///
/// Keys are assumed unique; the result is in the order of `groups`.
pub fn suppress_with_reasons(
    groups: &[GroupCount],
    total_shown: bool,
    min: i64,
) -> Vec<Visibility> {
    let min = effective_min(min);
    let mut out: Vec<Visibility> = groups
        .iter()
        .map(|g| {
            if g.n > 0 && g.n < min {
                Visibility::TooSmall
            } else {
                Visibility::Shown
            }
        })
        .collect();
    if !total_shown {
        return out;
    }
    loop {
        let hidden: Vec<&GroupCount> = groups
            .iter()
            .zip(&out)
            .filter(|(_, v)| !v.is_shown())
            .map(|(g, _)| g)
            .collect();
        let hidden_n: i64 = hidden.iter().map(|g| g.n).sum();
        if hidden.is_empty() || (hidden.len() >= 2 && hidden_n >= min) {
            return out;
        }
        let next = groups
            .iter()
            .enumerate()
            .filter(|(i, g)| out[*i].is_shown() && g.n > 0)
            .min_by(|(_, a), (_, b)| (a.n, &a.key).cmp(&(b.n, &b.key)))
            .map(|(i, _)| i);
        match next {
            Some(i) => out[i] = Visibility::Complementary,
            // Nothing left to hide: everything with respondents is already hidden.
            None => return out,
        }
    }
}

/// Whether showing group A and its subgroup B side by side is safe: A − B is itself a group
/// (e.g. "the team without its night shift") and must not be a small, non-empty one.
///
/// False when 0 < n_a − n_b < min. Also false when n_b > n_a, which cannot happen for a real
/// subgroup, so a caller's bug fails closed. Each of A and B must still pass the minimum on its
/// own; this checks only the difference.
pub fn difference_safe(n_a: i64, n_b: i64, min: i64) -> bool {
    let diff = n_a - n_b;
    diff == 0 || diff >= effective_min(min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(ns: &[(&str, i64)]) -> Vec<GroupCount> {
        ns.iter()
            .map(|(k, n)| GroupCount {
                key: k.to_string(),
                n: *n,
            })
            .collect()
    }

    #[test]
    fn differencing_a_partition_is_blocked() {
        // Four teams; support has 3 respondents; the organisation total (45) is on the page.
        let teams = groups(&[("sales", 12), ("support", 3), ("ops", 9), ("billing", 21)]);
        let shown = suppress(&teams, true, 5);
        assert_eq!(shown, vec![true, false, false, true]);
        // The attack: total − shown teams must not equal any single hidden team.
        let total: i64 = teams.iter().map(|g| g.n).sum();
        let visible: i64 = teams
            .iter()
            .zip(&shown)
            .filter(|(_, s)| **s)
            .map(|(g, _)| g.n)
            .sum();
        assert_eq!(total - visible, 12);
        assert_eq!(
            suppress_with_reasons(&teams, true, 5),
            vec![
                Visibility::Shown,
                Visibility::TooSmall,
                Visibility::Complementary,
                Visibility::Shown
            ]
        );
        // Without the total nothing can be subtracted, so only the small team is hidden.
        assert_eq!(suppress(&teams, false, 5), vec![true, false, true, true]);
    }

    #[test]
    fn two_tiny_hidden_groups_are_still_too_small_together() {
        // 2 + 2 = 4 < 5: the pair's combined answers would be recoverable, so hide one more.
        let teams = groups(&[("a", 2), ("b", 2), ("c", 30), ("d", 8)]);
        assert_eq!(suppress(&teams, true, 5), vec![false, false, true, false]);
    }

    #[test]
    fn nothing_small_means_nothing_hidden_and_empty_groups_are_harmless() {
        let teams = groups(&[("a", 5), ("b", 40), ("empty", 0)]);
        assert_eq!(suppress(&teams, true, 5), vec![true, true, true]);
        // Hiding the empty team would not protect the small one: the next real team is hidden.
        let teams = groups(&[("a", 4), ("b", 40), ("empty", 0), ("c", 7)]);
        assert_eq!(suppress(&teams, true, 5), vec![false, true, true, false]);
    }

    #[test]
    fn when_everything_is_small_everything_is_hidden() {
        let teams = groups(&[("a", 2), ("b", 1)]);
        assert_eq!(suppress(&teams, true, 5), vec![false, false]);
        let one = groups(&[("a", 4)]);
        assert_eq!(suppress(&one, true, 5), vec![false]);
    }

    #[test]
    fn minimum_never_drops_below_the_floor() {
        let teams = groups(&[("a", 2), ("b", 3)]);
        assert_eq!(suppress(&teams, false, 1), vec![false, true]);
        assert_eq!(effective_min(1), 3);
    }

    #[test]
    fn ties_are_broken_by_key_for_stable_pages() {
        let teams = groups(&[("z", 10), ("a", 10), ("small", 2)]);
        assert_eq!(suppress(&teams, true, 5), vec![true, false, false]);
    }

    #[test]
    fn nested_groups_cannot_be_subtracted() {
        // A team of 12 and "the team without the night shift" (10): the night shift is 2 people.
        assert!(!difference_safe(12, 10, 5));
        assert!(!difference_safe(12, 8, 5));
        assert!(difference_safe(12, 7, 5));
        assert!(difference_safe(12, 12, 5));
        assert!(!difference_safe(12, 13, 5));
        // The floor applies here too.
        assert!(!difference_safe(12, 10, 1));
        assert!(difference_safe(12, 9, 1));
    }
}
