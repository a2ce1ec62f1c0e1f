use super::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn ln_gamma_matches_factorials_and_half() {
    assert!(close(ln_gamma(1.0), 0.0, 1e-14));
    assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-14));
    assert!(close(ln_gamma(0.5), PI.sqrt().ln(), 1e-14));
    assert!(close(ln_gamma(101.0), 363.739_375_555_563_5, 1e-14));
}

#[test]
fn t_distribution_is_symmetric_and_inverts() {
    for df in [1.0, 2.0, 5.0, 29.0, 300.0] {
        assert!(close(t_cdf(0.0, df), 0.5, 1e-15));
        for t in [0.1, 1.0, 2.5, 7.0] {
            assert!(close(t_cdf(t, df) + t_cdf(-t, df), 1.0, 1e-14));
        }
        for p in [0.001, 0.025, 0.3, 0.975, 0.999] {
            assert!(
                close(t_cdf(t_quantile(p, df), df), p, 1e-12),
                "df {df} p {p}"
            );
        }
    }
    // Cauchy (df = 1): F(t) = ½ + atan(t)/π.
    assert!(close(t_cdf(3.0, 1.0), 0.5 + 3f64.atan() / PI, 1e-14));
}

#[test]
fn normal_quantile_is_the_familiar_one() {
    assert!(close(normal_quantile(0.975), 1.959_963_984_540_054, 1e-13));
    assert!(close(normal_sf(0.0), 0.5, 1e-15));
}

#[test]
fn prng_is_deterministic_and_spread() {
    let a: Vec<u64> = (0..5)
        .scan(Xoshiro256::seed(7), |r, _| Some(r.next_u64()))
        .collect();
    let b: Vec<u64> = (0..5)
        .scan(Xoshiro256::seed(7), |r, _| Some(r.next_u64()))
        .collect();
    assert_eq!(a, b);
    assert_ne!(a, {
        let mut r = Xoshiro256::seed(8);
        (0..5).map(|_| r.next_u64()).collect::<Vec<_>>()
    });
    let mut rng = Xoshiro256::seed(0);
    let mut counts = [0usize; 10];
    for _ in 0..100_000 {
        counts[rng.below(10)] += 1;
    }
    assert!(
        counts.iter().all(|c| (9_500..10_500).contains(c)),
        "{counts:?}"
    );
    let u = rng.next_f64();
    assert!((0.0..1.0).contains(&u));
}

#[test]
fn perfect_and_degenerate_correlations() {
    let x = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(pearson(&x, &[2.0, 4.0, 6.0, 8.0]), Some(1.0));
    assert_eq!(pearson(&x, &[8.0, 6.0, 4.0, 2.0]), Some(-1.0));
    assert_eq!(correlation_p_value(1.0, 4), Some(0.0));
    assert_eq!(pearson(&x, &[1.0, 1.0, 1.0, 1.0]), None);
    assert_eq!(pearson(&x[..2], &[1.0, 2.0]), None);
    assert_eq!(pearson(&x, &[1.0, 2.0]), None);
    // Monotone but not linear: Spearman sees a perfect relation.
    assert_eq!(spearman(&x, &[1.0, 10.0, 100.0, 1000.0]), Some(1.0));
}

#[test]
fn average_ranks_share_ties() {
    assert_eq!(
        average_ranks(&[10.0, 20.0, 10.0, 30.0, 20.0, 10.0]),
        vec![2.0, 4.5, 2.0, 6.0, 4.5, 2.0]
    );
}

#[test]
fn correlate_without_enough_data_says_why() {
    let c = correlate(&[1.0, 2.0], &[3.0, 4.0], Method::Pearson, Interval::Fisher).unwrap();
    assert_eq!(c.coefficient, None);
    assert_eq!(
        c.warnings,
        vec![Warning::TooFewPoints {
            n: 2,
            recommended: 10
        }]
    );
    assert!(c.warnings[0].message().contains("at least 3"));

    let c = correlate(
        &[1.0, 2.0, 3.0, 4.0],
        &[5.0, 5.0, 5.0, 5.0],
        Method::Spearman,
        Interval::default(),
    )
    .unwrap();
    assert_eq!(c.coefficient, None);
    assert!(c.warnings.contains(&Warning::Constant {
        variable: "y".into()
    }));

    assert_eq!(
        correlate(&[1.0], &[1.0, 2.0], Method::Pearson, Interval::Fisher),
        Err(LinkageError::LengthMismatch {
            variable: "y".into(),
            expected: 1,
            found: 2
        })
    );
    assert_eq!(
        correlate(&[1.0; 5], &[1.0; 5], Method::Spearman, Interval::Fisher),
        Err(LinkageError::FisherNeedsPearson)
    );
    assert!(matches!(
        correlate(
            &[1.0, f64::NAN, 3.0],
            &[1.0; 3],
            Method::Pearson,
            Interval::Fisher
        ),
        Err(LinkageError::NonFinite { .. })
    ));
}

#[test]
fn correlation_serializes_snake_case() {
    let x: Vec<f64> = (0..12).map(f64::from).collect();
    let y: Vec<f64> = x.iter().map(|v| (v * 1.3).sin()).collect();
    let c = correlate(&x, &y, Method::Spearman, Interval::default()).unwrap();
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["method"], "spearman");
    assert_eq!(json["ci_method"], "bootstrap");
    assert_eq!(json["n"], 12);
    assert_eq!(json["warnings"][0]["kind"], "interval_spans_zero");
    assert!(json["warnings"][0].get("term").is_none());
}

#[test]
fn lagged_pairs_join_the_same_team_lag_periods_later() {
    let q = |s: &str| quarter_index(s).unwrap();
    let ex = vec![
        ("north".to_string(), q("2025-Q4"), 7.0),
        ("north".to_string(), q("2026-Q1"), 8.0),
        ("south".to_string(), q("2025-Q4"), 5.0),
        ("east".to_string(), q("2025-Q4"), 6.0),
    ];
    let cx = vec![
        ("north".to_string(), q("2026-Q1"), 0.71),
        ("north".to_string(), q("2026-Q2"), 0.74),
        ("south".to_string(), q("2026-Q1"), 0.52),
        ("west".to_string(), q("2026-Q1"), 0.90),
    ];
    let pairs = pair_with_lag(&ex, &cx, 1);
    let got: Vec<(&str, String, f64, f64)> = pairs
        .iter()
        .map(|p| (p.group.as_str(), quarter_label(p.period), p.x, p.y))
        .collect();
    assert_eq!(
        got,
        vec![
            ("north", "2025-Q4".to_string(), 7.0, 0.71),
            ("north", "2026-Q1".to_string(), 8.0, 0.74),
            ("south", "2025-Q4".to_string(), 5.0, 0.52),
        ]
    );
    assert_eq!(pair_with_lag(&ex, &cx, 0).len(), 1);
}

#[test]
fn quarters_round_trip() {
    assert_eq!(quarter_index("2026-Q3").unwrap(), 2026 * 4 + 2);
    assert_eq!(quarter_label(quarter_index("2026-Q3").unwrap()), "2026-Q3");
    assert_eq!(
        quarter_index("2026-Q1").unwrap() - quarter_index("2025-Q4").unwrap(),
        1
    );
    for bad in ["2026-Q5", "2026-Q0", "2026Q3", "26-Q", "", "x-Q1"] {
        assert_eq!(quarter_index(bad).unwrap_err().field, "period", "{bad}");
    }
}

#[test]
fn ols_recovers_an_exact_plane_and_names_collinear_columns() {
    let x1 = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let x2 = vec![2.0, 1.0, 4.0, 3.0, 6.0, 5.0, 8.0];
    let noise = [0.1, -0.2, 0.05, 0.15, -0.1, 0.0, -0.05];
    let y: Vec<f64> = (0..7)
        .map(|i| 1.0 + 2.0 * x1[i] - 0.5 * x2[i] + noise[i])
        .collect();
    let fit = ols(&y, &[("a", x1.clone()), ("b", x2.clone())]).unwrap();
    assert_eq!(fit.df_resid, 4);
    assert!((fit.coefficients[1].estimate - 2.0).abs() < 0.2);
    assert!(fit.r2 > 0.99);
    assert!(fit.warnings.contains(&Warning::TooFewPoints {
        n: 7,
        recommended: 12
    }));

    let twice: Vec<f64> = x1.iter().map(|v| 2.0 * v + 1.0).collect();
    assert_eq!(
        ols(&y, &[("a", x1.clone()), ("a_again", twice)]),
        Err(LinkageError::Collinear {
            variable: "a_again".into()
        })
    );
    assert_eq!(
        ols(&y, &[("flat", vec![3.0; 7])]),
        Err(LinkageError::Constant {
            variable: "flat".into()
        })
    );
    assert_eq!(
        ols(&y, &[("short", vec![1.0; 6])]),
        Err(LinkageError::LengthMismatch {
            variable: "short".into(),
            expected: 7,
            found: 6
        })
    );
    assert_eq!(
        ols(&y[..3], &[("a", x1[..3].to_vec()), ("b", x2[..3].to_vec())]),
        Err(LinkageError::TooFewPoints { n: 3, needed: 4 })
    );
    let e: DomainError = LinkageError::Collinear {
        variable: "b".into(),
    }
    .into();
    assert_eq!(e.field, "b");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn values() -> impl Strategy<Value = Vec<(f64, f64)>> {
        // Small integers produce ties and constant columns often; that is the point.
        prop::collection::vec((-3i32..4, -1e6f64..1e6), 0..25).prop_map(|v| {
            v.into_iter()
                .map(|(a, b)| (f64::from(a), (b * 100.0).round() / 100.0))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn correlations_stay_in_range(pairs in values(), swap in any::<bool>()) {
            let (mut x, mut y): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
            if swap {
                std::mem::swap(&mut x, &mut y);
            }
            for method in [Method::Pearson, Method::Spearman] {
                let c = correlate(&x, &y, method, Interval::Bootstrap { resamples: 50, seed: 1 }).unwrap();
                if let Some(r) = c.coefficient {
                    prop_assert!((-1.0..=1.0).contains(&r));
                    let p = c.p_value.unwrap();
                    prop_assert!((0.0..=1.0).contains(&p), "p = {}", p);
                }
                if let (Some(lo), Some(hi)) = (c.ci_low, c.ci_high) {
                    prop_assert!(-1.0 <= lo && lo <= hi && hi <= 1.0);
                }
                prop_assert_eq!(c.coefficient.is_none(), x.len() < 3 || is_constant(&x) || is_constant(&y));
            }
        }

        #[test]
        fn ols_never_panics(pairs in values(), extra in prop::collection::vec(-5f64..5.0, 25)) {
            let (x, y): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
            let z: Vec<f64> = extra[..x.len()].to_vec();
            if let Ok(fit) = ols(&y, &[("x", x), ("z", z)]) {
                prop_assert!(fit.r2 <= 1.0 + 1e-9);
                for c in &fit.coefficients {
                    prop_assert!(c.ci_low <= c.ci_high || c.std_error.is_nan());
                }
            }
        }

        #[test]
        fn quantile_inverts_cdf(p in 1e-9f64..(1.0 - 1e-9), df in 1u32..200) {
            let df = f64::from(df);
            let t = t_quantile(p, df);
            prop_assert!((t_cdf(t, df) - p).abs() <= 1e-12 * p.min(1.0 - p).max(1e-3));
        }
    }
}
