//! EX→CX linkage (seed 001): does a team's employee ambassadorship in one period go with its
//! customers' behaviour in a later one?
//!
//! Correlations (Pearson, Spearman) with p-values and 95% intervals, lagged pairing of team ×
//! period roll-ups, and multiple regression by OLS. Every estimate carries its uncertainty and
//! plain warnings (too few points, interval spans zero), because a dashboard that reports
//! r = 0.8 from five teams without saying so does harm.
//!
//! The numerics (log-gamma, incomplete beta and gamma, Student's t, the normal quantile, a PRNG)
//! are written here so the domain crate keeps its tiny dependency list. They are checked
//! against scipy and statsmodels in `tests/linkage_reference.rs`.

use std::collections::HashMap;
use std::f64::consts::PI;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;

/// Below this many points an estimate is shown with a warning: it says little.
pub const RECOMMENDED_MIN_POINTS: usize = 10;
/// Bootstrap resamples when the caller does not say: percentile limits are stable to ~0.01.
pub const DEFAULT_RESAMPLES: usize = 2_000;
/// Default bootstrap seed, so the same data always shows the same interval.
pub const DEFAULT_SEED: u64 = 0x5EED_0001_EC5C_0001;
/// Residual-to-norm ratio below which a predictor counts as a linear combination of the
/// earlier columns (a variance inflation factor of about 10¹⁶).
const COLLINEAR_TOLERANCE: f64 = 1e-8;
/// Variance inflation factor above which a predictor's coefficient is flagged as unstable.
const VIF_WARNING: f64 = 10.0;

/// Why a linkage statistic could not be computed at all (as opposed to a [`Warning`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinkageError {
    #[error("{variable}: has {found} values, expected {expected}")]
    LengthMismatch {
        variable: String,
        expected: usize,
        found: usize,
    },
    #[error("{variable}: contains a value that is not a finite number")]
    NonFinite { variable: String },
    #[error("{n} points are too few: at least {needed} are needed")]
    TooFewPoints { n: usize, needed: usize },
    #[error("{variable}: is constant, so its effect cannot be estimated")]
    Constant { variable: String },
    #[error("{variable}: is a linear combination of the variables before it (collinear)")]
    Collinear { variable: String },
    #[error("the Fisher interval is defined for Pearson's r only; use the bootstrap")]
    FisherNeedsPearson,
}

impl From<LinkageError> for DomainError {
    fn from(e: LinkageError) -> Self {
        let field = match &e {
            LinkageError::LengthMismatch { variable, .. }
            | LinkageError::NonFinite { variable }
            | LinkageError::Constant { variable }
            | LinkageError::Collinear { variable } => variable.clone(),
            LinkageError::TooFewPoints { .. } => "n".to_string(),
            LinkageError::FisherNeedsPearson => "interval".to_string(),
        };
        DomainError::new(field, e.to_string())
    }
}

/// A caveat that travels with an estimate to the page that shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// Fewer points than [`RECOMMENDED_MIN_POINTS`] (correlation) or predictors + 10
    /// (regression); with n < 3 there is no estimate at all.
    TooFewPoints { n: usize, recommended: usize },
    /// The 95% interval includes zero: the data are consistent with no relation.
    IntervalSpansZero {
        /// The regression term; absent for a correlation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        term: Option<String>,
    },
    /// A variable does not vary, so it cannot correlate with anything.
    Constant { variable: String },
    /// A predictor is largely explained by the others (variance inflation factor above 10):
    /// its coefficient and sign are unstable.
    Collinear { variable: String, vif: f64 },
}

impl Warning {
    /// One English sentence for logs and the API; the web UI translates by `kind`.
    pub fn message(&self) -> String {
        match self {
            Warning::TooFewPoints { n, recommended } if *n < 3 => {
                format!("only {n} points: at least 3 are needed for an estimate ({recommended} recommended)")
            }
            Warning::TooFewPoints { n, recommended } => {
                format!("only {n} points: treat this as a hint, not evidence ({recommended} or more recommended)")
            }
            Warning::IntervalSpansZero { term: Some(t) } => {
                format!("{t}: the 95% interval includes zero")
            }
            Warning::IntervalSpansZero { term: None } => {
                "the 95% interval includes zero: no clear relation".to_string()
            }
            Warning::Constant { variable } => format!("{variable} does not vary"),
            Warning::Collinear { variable, vif } => {
                format!("{variable} is largely explained by the other predictors (VIF {vif:.1})")
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Special functions
// ---------------------------------------------------------------------------------------------

/// ln Γ(x) for x > 0 by the Lanczos approximation (g = 7, 9 terms): ~1e-15 relative.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the series in its accurate range.
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + G + 0.5;
    let sum = C[1..]
        .iter()
        .enumerate()
        .fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

const TINY: f64 = 1e-300;
const CF_EPS: f64 = 1e-16;
const CF_MAX_ITER: usize = 10_000;

/// Modified Lentz evaluation of the incomplete-beta continued fraction (Numerical Recipes §6.4).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let clamp = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / clamp(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=CF_MAX_ITER {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / clamp(1.0 + aa * d);
        c = clamp(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / clamp(1.0 + aa * d);
        c = clamp(1.0 + aa / c);
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < CF_EPS {
            break;
        }
    }
    h
}

/// I_x(a, b) given both x and y = 1 − x, so callers that know 1 − x exactly (tails) keep
/// their precision.
fn inc_beta_xy(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if y <= 0.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * y.ln();
    // The fraction converges fast only on this side of the mean; use symmetry on the other.
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(b, a, y) / b
    }
}

/// Regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1].
pub fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    inc_beta_xy(a, b, x, 1.0 - x)
}

/// Upper tail P(T > t) of Student's t with `df` degrees of freedom.
pub fn t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 0.0 } else { 1.0 };
    }
    let t2 = t * t;
    // x = df/(df+t²) and 1 − x = t²/(df+t²) both computed directly.
    let tail = 0.5 * inc_beta_xy(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2));
    if t >= 0.0 {
        tail
    } else {
        1.0 - tail
    }
}

/// P(T ≤ t) of Student's t with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    t_sf(-t, df)
}

/// Inverts a decreasing upper-tail function on t ≥ 0: bracket by doubling, then bisect to
/// machine precision. Slow-ish (≈100 tail evaluations) but it cannot diverge.
fn invert_upper_tail(q: f64, sf: impl Fn(f64) -> f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while sf(hi) > q {
        lo = hi;
        hi *= 2.0;
        if hi > 1e300 {
            return f64::INFINITY;
        }
    }
    for _ in 0..2_000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if sf(mid) > q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The p-quantile of Student's t with `df` degrees of freedom (e.g. 0.975 for a 95% interval).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    quantile_by_symmetry(p, |t| t_sf(t, df))
}

fn quantile_by_symmetry(p: f64, sf: impl Fn(f64) -> f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    let q = p.min(1.0 - p);
    let t = invert_upper_tail(q, sf);
    if p > 0.5 {
        t
    } else {
        -t
    }
}

/// Regularized upper incomplete gamma Q(a, x): series below a + 1, Lentz fraction above.
fn inc_gamma_upper(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let ln_front = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let (mut ap, mut del) = (a, 1.0 / a);
        let mut sum = del;
        for _ in 0..CF_MAX_ITER {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * CF_EPS {
                break;
            }
        }
        1.0 - sum * ln_front.exp()
    } else {
        let clamp = |v: f64| if v.abs() < TINY { TINY } else { v };
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..=CF_MAX_ITER {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = 1.0 / clamp(an * d + b);
            c = clamp(b + an / c);
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < CF_EPS {
                break;
            }
        }
        ln_front.exp() * h
    }
}

/// Upper tail of the standard normal, via erfc(z/√2) = Q(½, z²/2).
pub fn normal_sf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let tail = 0.5 * inc_gamma_upper(0.5, 0.5 * z * z);
    if z >= 0.0 {
        tail
    } else {
        1.0 - tail
    }
}

/// The p-quantile of the standard normal (1.959964 for 0.975).
pub fn normal_quantile(p: f64) -> f64 {
    quantile_by_symmetry(p, normal_sf)
}

// ---------------------------------------------------------------------------------------------
// Pseudo-random numbers
// ---------------------------------------------------------------------------------------------

/// xoshiro256** (Blackman & Vigna, 2018) seeded through splitmix64: small, fast, and good
/// enough for resampling. Not cryptographic. The same seed always gives the same stream, on
/// every platform, so a bootstrap interval never flickers between page loads.
#[derive(Debug, Clone)]
pub struct Xoshiro256 {
    s: [u64; 4],
}

impl Xoshiro256 {
    pub fn seed(seed: u64) -> Self {
        // splitmix64 spreads any seed (even 0) over the 256-bit state, which must not be all zero.
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^ (x >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in 0..n by multiply-shift; the bias (at most n / 2⁶⁴) is far below resampling noise.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

// ---------------------------------------------------------------------------------------------
// Correlation
// ---------------------------------------------------------------------------------------------

/// Which correlation coefficient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Linear association of the values.
    Pearson,
    /// Monotone association: Pearson's r of the ranks, robust to outliers and skew.
    Spearman,
}

/// How the 95% interval of a correlation was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CiMethod {
    /// Percentile interval of resampled pairs: no normality assumed.
    Bootstrap,
    /// Fisher's z-transform: exact-ish for bivariate normal data, Pearson only.
    Fisher,
}

/// The interval the caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Fisher,
    Bootstrap { resamples: usize, seed: u64 },
}

impl Default for Interval {
    fn default() -> Self {
        Interval::Bootstrap {
            resamples: DEFAULT_RESAMPLES,
            seed: DEFAULT_SEED,
        }
    }
}

/// A correlation with its 95% interval, p-value and caveats. The estimate fields are absent
/// when there is no estimate (n < 3 or a constant variable); `warnings` then says why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Correlation {
    pub method: Method,
    pub coefficient: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub ci_method: CiMethod,
    pub n: usize,
    /// Two-sided p-value of "no correlation" (Student's t with n − 2 df, as scipy does).
    pub p_value: Option<f64>,
    pub warnings: Vec<Warning>,
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn is_constant(v: &[f64]) -> bool {
    v.iter().all(|x| *x == v[0])
}

/// Pearson's r; `None` when n < 3, the lengths differ or a variable is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 3 || is_constant(x) || is_constant(y) {
        return None;
    }
    // Two passes (centre, then sum products) to avoid the cancellation of Σxy − n·x̄·ȳ.
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let r = sxy / (sxx * syy).sqrt();
    r.is_finite().then(|| r.clamp(-1.0, 1.0))
}

/// Ranks 1..=n with ties given their average rank (what scipy's `rankdata` calls "average").
pub fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's ρ: Pearson's r of the average ranks; `None` as for [`pearson`].
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 3 {
        return None;
    }
    pearson(&average_ranks(x), &average_ranks(y))
}

fn coefficient(method: Method, x: &[f64], y: &[f64]) -> Option<f64> {
    match method {
        Method::Pearson => pearson(x, y),
        Method::Spearman => spearman(x, y),
    }
}

/// Two-sided p-value of r from n points under "no correlation". With t = r√((n−2)/(1−r²)),
/// P(|T| > t) = I_{1−r²}((n−2)/2, ½), computed without forming t so r near ±1 stays exact.
pub fn correlation_p_value(r: f64, n: usize) -> Option<f64> {
    if n < 3 || !r.is_finite() {
        return None;
    }
    let r = r.abs().min(1.0);
    let df = (n - 2) as f64;
    Some(inc_beta_xy(df / 2.0, 0.5, (1.0 - r) * (1.0 + r), r * r))
}

/// Fisher-z 95% interval for Pearson's r: tanh(atanh r ± z₀.₉₇₅/√(n−3)). Needs n > 3.
pub fn fisher_interval(r: f64, n: usize) -> Option<(f64, f64)> {
    if n <= 3 || !r.is_finite() {
        return None;
    }
    let z = r.clamp(-1.0, 1.0).atanh();
    let half = normal_quantile(0.975) / ((n - 3) as f64).sqrt();
    Some(((z - half).tanh(), (z + half).tanh()))
}

/// Percentile of sorted values with linear interpolation (numpy's default, "type 7").
fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Bootstrap 95% percentile interval: resample the n pairs with replacement `resamples` times,
/// skip resamples where the coefficient is undefined (e.g. all x equal), and take the 2.5th and
/// 97.5th percentiles. `None` when fewer than half of the resamples were usable.
pub fn bootstrap_interval(
    x: &[f64],
    y: &[f64],
    method: Method,
    resamples: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    let n = x.len();
    if n != y.len() || n < 3 || resamples == 0 {
        return None;
    }
    let mut rng = Xoshiro256::seed(seed);
    let (mut bx, mut by) = (vec![0.0; n], vec![0.0; n]);
    let mut estimates = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for k in 0..n {
            let i = rng.below(n);
            bx[k] = x[i];
            by[k] = y[i];
        }
        if let Some(r) = coefficient(method, &bx, &by) {
            estimates.push(r);
        }
    }
    if estimates.len() * 2 < resamples {
        return None;
    }
    estimates.sort_by(f64::total_cmp);
    Some((
        percentile_sorted(&estimates, 0.025),
        percentile_sorted(&estimates, 0.975),
    ))
}

fn check_finite(variable: &str, v: &[f64]) -> Result<(), LinkageError> {
    if v.iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(LinkageError::NonFinite {
            variable: variable.to_string(),
        })
    }
}

/// Correlation of EX (`x`) with CX (`y`), its interval, p-value and warnings.
///
/// Errors only on malformed input (lengths differ, non-finite values, Fisher for Spearman);
/// too little or constant data give a [`Correlation`] without an estimate and a warning.
pub fn correlate(
    x: &[f64],
    y: &[f64],
    method: Method,
    interval: Interval,
) -> Result<Correlation, LinkageError> {
    if x.len() != y.len() {
        return Err(LinkageError::LengthMismatch {
            variable: "y".to_string(),
            expected: x.len(),
            found: y.len(),
        });
    }
    check_finite("x", x)?;
    check_finite("y", y)?;
    let ci_method = match (interval, method) {
        (Interval::Fisher, Method::Pearson) => CiMethod::Fisher,
        (Interval::Fisher, Method::Spearman) => return Err(LinkageError::FisherNeedsPearson),
        (Interval::Bootstrap { .. }, _) => CiMethod::Bootstrap,
    };
    let n = x.len();
    let mut out = Correlation {
        method,
        coefficient: None,
        ci_low: None,
        ci_high: None,
        ci_method,
        n,
        p_value: None,
        warnings: Vec::new(),
    };
    if n < RECOMMENDED_MIN_POINTS {
        out.warnings.push(Warning::TooFewPoints {
            n,
            recommended: RECOMMENDED_MIN_POINTS,
        });
    }
    if n < 3 {
        return Ok(out);
    }
    for (name, v) in [("x", x), ("y", y)] {
        if is_constant(v) {
            out.warnings.push(Warning::Constant {
                variable: name.to_string(),
            });
        }
    }
    let Some(r) = coefficient(method, x, y) else {
        return Ok(out);
    };
    out.coefficient = Some(r);
    out.p_value = correlation_p_value(r, n);
    let ci = match interval {
        Interval::Fisher => fisher_interval(r, n),
        Interval::Bootstrap { resamples, seed } => {
            bootstrap_interval(x, y, method, resamples, seed)
        }
    };
    if let Some((lo, hi)) = ci {
        out.ci_low = Some(lo);
        out.ci_high = Some(hi);
        if lo <= 0.0 && hi >= 0.0 {
            out.warnings.push(Warning::IntervalSpansZero { term: None });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Lagged pairing and periods
// ---------------------------------------------------------------------------------------------

/// One team's EX in `period` beside its CX in `period + lag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Pair {
    pub group: String,
    /// The EX period (the cause's period); the CX value is from `period + lag`.
    pub period: i32,
    pub x: f64,
    pub y: f64,
}

/// Joins EX of (group, t) with CX of (group, t + lag): ambassadorship this quarter against
/// renewals `lag` quarters later. Rows are roll-ups, one per group and period; should a key
/// repeat, every combination is paired (a join), so deduplicate upstream. Sorted by group,
/// then period, so the result is stable.
pub fn pair_with_lag(ex: &[(String, i32, f64)], cx: &[(String, i32, f64)], lag: i32) -> Vec<Pair> {
    let mut by_key: HashMap<(&str, i32), Vec<f64>> = HashMap::new();
    for (group, period, y) in cx {
        by_key.entry((group, *period)).or_default().push(*y);
    }
    let mut pairs: Vec<Pair> = ex
        .iter()
        .filter_map(|(group, period, x)| {
            let target = period.checked_add(lag)?;
            let ys = by_key.get(&(group.as_str(), target))?;
            Some(ys.iter().map(move |y| Pair {
                group: group.clone(),
                period: *period,
                x: *x,
                y: *y,
            }))
        })
        .flatten()
        .collect();
    pairs.sort_by(|a, b| (&a.group, a.period).cmp(&(&b.group, b.period)));
    pairs
}

/// `"2026-Q3"` → a running quarter number (year·4 + quarter − 1), so lags are plain subtraction.
pub fn quarter_index(label: &str) -> Result<i32, DomainError> {
    let bad = || DomainError::new("period", format!("{label:?} is not a quarter like 2026-Q3"));
    let (year, q) = label.trim().split_once("-Q").ok_or_else(bad)?;
    let year: i32 = year.parse().map_err(|_| bad())?;
    let q: i32 = q.parse().map_err(|_| bad())?;
    if !(1..=4).contains(&q) || !(1..=9999).contains(&year) {
        return Err(bad());
    }
    Ok(year * 4 + q - 1)
}

/// The inverse of [`quarter_index`]: `8106` → `"2026-Q3"`.
pub fn quarter_label(index: i32) -> String {
    format!("{}-Q{}", index.div_euclid(4), index.rem_euclid(4) + 1)
}

// ---------------------------------------------------------------------------------------------
// Multiple regression
// ---------------------------------------------------------------------------------------------

/// One term of a regression, with its 95% interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Coefficient {
    /// `intercept` or the predictor's name.
    pub name: String,
    pub estimate: f64,
    pub std_error: f64,
    pub t: f64,
    /// Two-sided p-value of "this coefficient is zero".
    pub p_value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// An ordinary-least-squares fit with an intercept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Regression {
    /// The intercept first, then the predictors in the order given.
    pub coefficients: Vec<Coefficient>,
    pub r2: f64,
    pub adj_r2: f64,
    pub n: usize,
    /// n − k − 1.
    pub df_resid: usize,
    pub warnings: Vec<Warning>,
}

/// OLS of `y` on the named predictors plus an intercept, solved by Householder QR of the design
/// matrix (not the normal equations, which square its condition number).
///
/// Errors name the variable at fault: a length mismatch, a non-finite value, a constant `y`,
/// or a predictor that is constant or a linear combination of earlier ones (collinear).
pub fn ols(y: &[f64], xs: &[(&str, Vec<f64>)]) -> Result<Regression, LinkageError> {
    let n = y.len();
    let k = xs.len();
    let p = k + 1;
    check_finite("y", y)?;
    for (name, v) in xs {
        if v.len() != n {
            return Err(LinkageError::LengthMismatch {
                variable: name.to_string(),
                expected: n,
                found: v.len(),
            });
        }
        check_finite(name, v)?;
    }
    if n < p + 1 {
        return Err(LinkageError::TooFewPoints { n, needed: p + 1 });
    }
    if is_constant(y) {
        return Err(LinkageError::Constant {
            variable: "y".to_string(),
        });
    }
    let names: Vec<String> = std::iter::once("intercept".to_string())
        .chain(xs.iter().map(|(name, _)| name.to_string()))
        .collect();
    // Column-major design matrix; QR works on a copy, residuals use the original.
    let design: Vec<Vec<f64>> = std::iter::once(vec![1.0; n])
        .chain(xs.iter().map(|(_, v)| v.clone()))
        .collect();
    let mut a = design.clone();
    let mut qty = y.to_vec();
    for j in 0..p {
        let original = a[j].iter().map(|v| v * v).sum::<f64>().sqrt();
        let norm = a[j][j..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if original == 0.0 || norm <= COLLINEAR_TOLERANCE * original {
            let variable = names[j].clone();
            return Err(if is_constant(&design[j]) {
                LinkageError::Constant { variable }
            } else {
                LinkageError::Collinear { variable }
            });
        }
        // Householder reflector H = I − 2vvᵀ/vᵀv that maps a[j][j..] to (alpha, 0, …, 0).
        let alpha = if a[j][j] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = a[j][j..].to_vec();
        v[0] -= alpha;
        let vtv: f64 = v.iter().map(|x| x * x).sum();
        let reflect = |col: &mut [f64]| {
            let dot: f64 = v.iter().zip(col.iter()).map(|(a, b)| a * b).sum();
            let f = 2.0 * dot / vtv;
            for (c, vi) in col.iter_mut().zip(&v) {
                *c -= f * vi;
            }
        };
        for col in a.iter_mut().skip(j + 1) {
            reflect(&mut col[j..]);
        }
        reflect(&mut qty[j..]);
        a[j][j] = alpha;
        a[j][j + 1..].iter_mut().for_each(|x| *x = 0.0);
    }
    // R is upper triangular: r(i, j) = a[j][i] for i ≤ j. Back-substitute R b = (Qᵀy)[..p].
    let r = |i: usize, j: usize| a[j][i];
    let mut beta = vec![0.0; p];
    for i in (0..p).rev() {
        let s: f64 = (i + 1..p).map(|j| r(i, j) * beta[j]).sum();
        beta[i] = (qty[i] - s) / r(i, i);
    }
    // (XᵀX)⁻¹ = R⁻¹R⁻ᵀ; only its diagonal is needed. R⁻¹ is upper triangular, solved column by
    // column; rinv[j][i] is its entry (i, j).
    let mut rinv = vec![vec![0.0; p]; p];
    for (j, col) in rinv.iter_mut().enumerate() {
        col[j] = 1.0 / r(j, j);
        for i in (0..j).rev() {
            let s: f64 = (i + 1..=j).map(|m| r(i, m) * col[m]).sum();
            col[i] = -s / r(i, i);
        }
    }
    let xtx_inv_diag: Vec<f64> = (0..p)
        .map(|i| rinv.iter().map(|col| col[i] * col[i]).sum())
        .collect();

    let rss: f64 = (0..n)
        .map(|i| {
            let fitted: f64 = (0..p).map(|j| design[j][i] * beta[j]).sum();
            (y[i] - fitted).powi(2)
        })
        .sum();
    let my = mean(y);
    let tss: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    let df_resid = n - p;
    let df = df_resid as f64;
    let sigma2 = rss / df;
    let t_crit = t_quantile(0.975, df);
    let r2 = 1.0 - rss / tss;
    let adj_r2 = 1.0 - (1.0 - r2) * (n - 1) as f64 / df;

    let mut warnings = Vec::new();
    if n < k + 10 {
        warnings.push(Warning::TooFewPoints {
            n,
            recommended: k + 10,
        });
    }
    let mut coefficients = Vec::with_capacity(p);
    for j in 0..p {
        let std_error = (sigma2 * xtx_inv_diag[j]).sqrt();
        let t = beta[j] / std_error;
        let (ci_low, ci_high) = (beta[j] - t_crit * std_error, beta[j] + t_crit * std_error);
        if j > 0 {
            // VIF_j = SST_j · [(XᵀX)⁻¹]_jj when the model has an intercept.
            let mx = mean(&design[j]);
            let sst: f64 = design[j].iter().map(|v| (v - mx).powi(2)).sum();
            let vif = sst * xtx_inv_diag[j];
            if k > 1 && vif > VIF_WARNING {
                warnings.push(Warning::Collinear {
                    variable: names[j].clone(),
                    vif,
                });
            }
            if ci_low <= 0.0 && ci_high >= 0.0 {
                warnings.push(Warning::IntervalSpansZero {
                    term: Some(names[j].clone()),
                });
            }
        }
        coefficients.push(Coefficient {
            name: names[j].clone(),
            estimate: beta[j],
            std_error,
            t,
            p_value: 2.0 * t_sf(t.abs(), df),
            ci_low,
            ci_high,
        });
    }
    Ok(Regression {
        coefficients,
        r2,
        adj_r2,
        n,
        df_resid,
        warnings,
    })
}

#[cfg(test)]
mod tests;
