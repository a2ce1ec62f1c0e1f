//! Statistics the industry reports, always with their uncertainty.

/// Net Promoter Score of a set of 0–10 answers, with its 95% margin of error.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Nps {
    pub n: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// %promoters − %detractors, in −100..=100.
    pub score: f64,
    /// Half-width of the 95% confidence interval, in NPS points.
    pub margin: f64,
}

impl Nps {
    /// Scores outside 0..=10 are ignored rather than miscounted.
    pub fn from_scores(scores: impl IntoIterator<Item = u8>) -> Option<Nps> {
        let (mut pro, mut pas, mut det) = (0u64, 0u64, 0u64);
        for s in scores {
            match s {
                9..=10 => pro += 1,
                7..=8 => pas += 1,
                0..=6 => det += 1,
                _ => {}
            }
        }
        Nps::from_counts(pro, pas, det)
    }

    pub fn from_counts(promoters: u64, passives: u64, detractors: u64) -> Option<Nps> {
        let n = promoters + passives + detractors;
        if n == 0 {
            return None;
        }
        let nf = n as f64;
        let (p, d) = (promoters as f64 / nf, detractors as f64 / nf);
        let score = p - d;
        // Variance of a difference of two multinomial proportions.
        let var = (p + d - score * score) / nf;
        Some(Nps {
            n,
            promoters,
            passives,
            detractors,
            score: score * 100.0,
            margin: 1.96 * var.max(0.0).sqrt() * 100.0,
        })
    }
}

/// Wilson score interval for a proportion (95%): stable at small n and near 0 or 1.
pub fn wilson_interval(successes: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let z = 1.96f64;
    let nf = n as f64;
    let p = successes as f64 / nf;
    let denom = 1.0 + z * z / nf;
    let centre = (p + z * z / (2.0 * nf)) / denom;
    let half = z * ((p * (1.0 - p) / nf) + z * z / (4.0 * nf * nf)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_matches_hand_computation() {
        // 5 promoters, 3 passives, 2 detractors: 50% − 20% = 30.
        let nps = Nps::from_scores([10, 9, 9, 10, 9, 7, 8, 7, 3, 6]).unwrap();
        assert_eq!((nps.promoters, nps.passives, nps.detractors), (5, 3, 2));
        assert!((nps.score - 30.0).abs() < 1e-9);
        // var = (0.5 + 0.2 − 0.09) / 10 = 0.061 → 1.96·√0.061·100 ≈ 48.4
        assert!((nps.margin - 48.41).abs() < 0.01, "{}", nps.margin);
        assert!(Nps::from_scores([]).is_none());
        assert!(Nps::from_scores([11, 200]).is_none());
    }

    #[test]
    fn all_promoters_has_zero_margin() {
        let nps = Nps::from_counts(40, 0, 0).unwrap();
        assert_eq!(nps.score, 100.0);
        assert_eq!(nps.margin, 0.0);
    }

    #[test]
    fn wilson_is_inside_unit_interval() {
        let (lo, hi) = wilson_interval(0, 10).unwrap();
        assert_eq!(lo, 0.0);
        assert!(hi > 0.2 && hi < 0.35);
        assert!(wilson_interval(0, 0).is_none());
    }
}
