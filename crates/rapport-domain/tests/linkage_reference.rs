//! Checks `rapport_domain::linkage` against scipy and statsmodels. The reference values are in
//! `tests/data/linkage/reference.json`, written by `scripts/linkage-reference.py`; no Python is
//! needed to run this.

use rapport_domain::linkage::{
    bootstrap_interval, correlate, correlation_p_value, fisher_interval, inc_beta, normal_quantile,
    ols, pearson, spearman, t_cdf, t_quantile, Interval, Method, Warning, DEFAULT_RESAMPLES,
    DEFAULT_SEED,
};
use serde_json::Value;

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/linkage/reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference.json")).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

/// Relative tolerance, falling back to absolute near zero.
#[track_caller]
fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
    let err = (got - want).abs() / want.abs().max(1.0);
    assert!(err <= tol, "{what}: got {got}, want {want} (error {err:e})");
}

/// For p-values, which span many orders of magnitude: relative, absolute only below 1e-300.
#[track_caller]
fn assert_close_rel(got: f64, want: f64, tol: f64, what: &str) {
    let err = (got - want).abs() / want.abs().max(1e-300);
    assert!(err <= tol, "{what}: got {got}, want {want} (error {err:e})");
}

#[test]
fn special_functions_match_scipy_to_1e_10() {
    let r = reference();
    let s = &r["special"];
    for row in s["betainc"].as_array().unwrap() {
        let v = floats(row);
        assert_close_rel(
            inc_beta(v[0], v[1], v[2]),
            v[3],
            1e-10,
            &format!("betainc{v:?}"),
        );
    }
    for row in s["t_cdf"].as_array().unwrap() {
        let v = floats(row);
        assert_close_rel(t_cdf(v[0], v[1]), v[2], 1e-10, &format!("t.cdf{v:?}"));
    }
    for row in s["t_ppf"].as_array().unwrap() {
        let v = floats(row);
        assert_close_rel(t_quantile(v[0], v[1]), v[2], 1e-10, &format!("t.ppf{v:?}"));
    }
    for row in s["norm_ppf"].as_array().unwrap() {
        let v = floats(row);
        assert_close(
            normal_quantile(v[0]),
            v[1],
            1e-10,
            &format!("norm.ppf{v:?}"),
        );
    }
}

#[test]
fn correlations_match_scipy() {
    let r = reference();
    let cases = r["correlations"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (x, y) = (floats(&case["x"]), floats(&case["y"]));
        let n = x.len();

        let want = &case["pearson"];
        let r = pearson(&x, &y).unwrap();
        assert_close(r, f(&want["r"]), 1e-9, &format!("{name} pearson r"));
        let p = correlation_p_value(r, n).unwrap();
        assert_close_rel(p, f(&want["p"]), 1e-6, &format!("{name} pearson p"));
        if let Some(ci) = want.get("fisher_ci") {
            let (lo, hi) = fisher_interval(r, n).unwrap();
            assert_close(lo, f(&ci[0]), 1e-6, &format!("{name} fisher low"));
            assert_close(hi, f(&ci[1]), 1e-6, &format!("{name} fisher high"));
            let c = correlate(&x, &y, Method::Pearson, Interval::Fisher).unwrap();
            assert_eq!((c.ci_low, c.ci_high), (Some(lo), Some(hi)));
            assert_eq!(c.p_value, Some(p));
            let spans = c
                .warnings
                .contains(&Warning::IntervalSpansZero { term: None });
            assert_eq!(spans, lo <= 0.0 && hi >= 0.0, "{name}");
            let few = c
                .warnings
                .iter()
                .any(|w| matches!(w, Warning::TooFewPoints { .. }));
            assert_eq!(few, n < 10, "{name}");
        }

        let want = &case["spearman"];
        let rho = spearman(&x, &y).unwrap();
        assert_close(rho, f(&want["r"]), 1e-9, &format!("{name} spearman r"));
        let p = correlation_p_value(rho, n).unwrap();
        assert_close_rel(p, f(&want["p"]), 1e-6, &format!("{name} spearman p"));
    }
}

#[test]
fn regressions_match_statsmodels() {
    let r = reference();
    let cases = r["regressions"].as_array().unwrap();
    assert!(cases.len() >= 2);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let y = floats(&case["y"]);
        let names: Vec<&str> = case["names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let xs: Vec<(&str, Vec<f64>)> = names[1..]
            .iter()
            .map(|n| (*n, floats(&case["xs"][*n])))
            .collect();
        let fit = ols(&y, &xs).unwrap();
        assert_eq!(fit.n, y.len());
        assert_eq!(fit.df_resid as f64, f(&case["df_resid"]), "{name}");
        assert_close(fit.r2, f(&case["rsquared"]), 1e-9, &format!("{name} r2"));
        assert_close(
            fit.adj_r2,
            f(&case["rsquared_adj"]),
            1e-9,
            &format!("{name} adj r2"),
        );
        let (params, bse, tv, pv) = (
            floats(&case["params"]),
            floats(&case["bse"]),
            floats(&case["tvalues"]),
            floats(&case["pvalues"]),
        );
        for (j, c) in fit.coefficients.iter().enumerate() {
            let what = format!("{name} {}", c.name);
            assert_eq!(c.name, names[j]);
            assert_close(c.estimate, params[j], 1e-9, &format!("{what} estimate"));
            assert_close(c.std_error, bse[j], 1e-9, &format!("{what} std error"));
            assert_close(c.t, tv[j], 1e-9, &format!("{what} t"));
            assert_close_rel(c.p_value, pv[j], 1e-6, &format!("{what} p"));
            let ci = floats(&case["conf_int"][j]);
            assert_close(c.ci_low, ci[0], 1e-6, &format!("{what} ci low"));
            assert_close(c.ci_high, ci[1], 1e-6, &format!("{what} ci high"));
            let spans = fit.warnings.contains(&Warning::IntervalSpansZero {
                term: Some(c.name.clone()),
            });
            assert_eq!(spans, j > 0 && ci[0] <= 0.0 && ci[1] >= 0.0, "{what}");
        }
    }
}

#[test]
fn near_collinear_predictors_are_flagged() {
    let r = reference();
    let case = r["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "near_collinear")
        .unwrap();
    let y = floats(&case["y"]);
    let xs = vec![
        ("enps", floats(&case["xs"]["enps"])),
        ("engagement", floats(&case["xs"]["engagement"])),
    ];
    let fit = ols(&y, &xs).unwrap();
    for name in ["enps", "engagement"] {
        assert!(
            fit.warnings
                .iter()
                .any(|w| matches!(w, Warning::Collinear { variable, vif } if variable == name && *vif > 10.0)),
            "{name}: {:?}",
            fit.warnings
        );
    }
}

fn case(name: &str) -> (Vec<f64>, Vec<f64>) {
    let r = reference();
    let c = r["correlations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
        .clone();
    (floats(&c["x"]), floats(&c["y"]))
}

#[test]
fn bootstrap_is_deterministic_and_contains_the_estimate() {
    for name in ["ties", "negative", "n5", "n40", "weak"] {
        let (x, y) = case(name);
        for method in [Method::Pearson, Method::Spearman] {
            let a = bootstrap_interval(&x, &y, method, DEFAULT_RESAMPLES, 42).unwrap();
            let b = bootstrap_interval(&x, &y, method, DEFAULT_RESAMPLES, 42).unwrap();
            assert_eq!(a, b, "{name} {method:?}: same seed, same interval");
            let c = bootstrap_interval(&x, &y, method, DEFAULT_RESAMPLES, 43).unwrap();
            if x.len() >= 10 {
                // (At n = 5 the Spearman interval is (−1, 1) whatever the seed.)
                assert_ne!(a, c, "{name} {method:?}: another seed, another draw");
            }
            let r = match method {
                Method::Pearson => pearson(&x, &y),
                Method::Spearman => spearman(&x, &y),
            }
            .unwrap();
            assert!(a.0 <= r && r <= a.1, "{name} {method:?}: {r} not in {a:?}");
            assert!(-1.0 <= a.0 && a.1 <= 1.0);
        }
    }
    let (x, y) = case("n40");
    let c = correlate(&x, &y, Method::Spearman, Interval::default()).unwrap();
    let (lo, hi) =
        bootstrap_interval(&x, &y, Method::Spearman, DEFAULT_RESAMPLES, DEFAULT_SEED).unwrap();
    assert_eq!((c.ci_low, c.ci_high), (Some(lo), Some(hi)));
}

#[test]
fn bootstrap_agrees_with_fisher_on_a_large_normal_sample() {
    let (x, y) = case("large");
    let r = pearson(&x, &y).unwrap();
    let (flo, fhi) = fisher_interval(r, x.len()).unwrap();
    let (blo, bhi) = bootstrap_interval(&x, &y, Method::Pearson, DEFAULT_RESAMPLES, 7).unwrap();
    assert!(
        (blo - flo).abs() < 0.1 && (bhi - fhi).abs() < 0.1,
        "bootstrap ({blo}, {bhi}) vs Fisher ({flo}, {fhi})"
    );
}
