#!/usr/bin/env python3
"""Reference values for Rapport's EX→CX linkage statistics (crates/rapport-domain/src/linkage.rs).

Writes crates/rapport-domain/tests/data/linkage/reference.json with the datasets and what
scipy and statsmodels compute from them. The Rust tests read only the JSON, so Python is
needed only to regenerate it:

    pip install numpy scipy statsmodels
    python3 scripts/linkage-reference.py

The datasets are drawn from fixed seeds and rounded to 4 decimals (like real roll-ups), so a
rerun writes the same numbers up to the library versions recorded in the file.
"""

import json
import pathlib

import numpy as np
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import special, stats

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/rapport-domain/tests/data/linkage/reference.json"


def r4(a):
    return [round(float(v), 4) for v in a]


def correlation_case(name, note, x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    p = stats.pearsonr(x, y)
    s = stats.spearmanr(x, y)
    case = {
        "name": name,
        "note": note,
        "x": x.tolist(),
        "y": y.tolist(),
        "pearson": {"r": float(p.statistic), "p": float(p.pvalue)},
        "spearman": {"r": float(s.statistic), "p": float(s.pvalue)},
    }
    if len(x) > 3:
        ci = p.confidence_interval(0.95)  # Fisher z, the default method
        case["pearson"]["fisher_ci"] = [float(ci.low), float(ci.high)]
    return case


def regression_case(name, note, y, xs):
    y = np.asarray(y, float)
    names = list(xs)
    X = sm.add_constant(np.column_stack([np.asarray(xs[k], float) for k in names]))
    fit = sm.OLS(y, X).fit()
    ci = fit.conf_int(0.05)
    return {
        "name": name,
        "note": note,
        "y": y.tolist(),
        "xs": {k: np.asarray(xs[k], float).tolist() for k in names},
        "names": ["intercept"] + names,
        "params": fit.params.tolist(),
        "bse": fit.bse.tolist(),
        "tvalues": fit.tvalues.tolist(),
        "pvalues": fit.pvalues.tolist(),
        "conf_int": ci.tolist(),
        "rsquared": float(fit.rsquared),
        "rsquared_adj": float(fit.rsquared_adj),
        "df_resid": float(fit.df_resid),
        "condition_number": float(fit.condition_number),
    }


def main():
    rng = np.random.default_rng(20260301)
    correlations = []

    # eNPS-like 0–10 team scores against a repeat-purchase rate: many ties in both.
    x = rng.integers(4, 11, 14)
    y = np.round(0.3 * x + rng.integers(0, 4, 14))
    correlations.append(correlation_case("ties", "integer scores, ties in x and y", x, y))

    x = rng.normal(50, 10, 20)
    y = 80 - 0.6 * x + rng.normal(0, 6, 20)
    correlations.append(correlation_case("negative", "negative correlation, n = 20", r4(x), r4(y)))

    x = [3.2, 4.1, 2.8, 4.6, 3.9]
    y = [0.61, 0.72, 0.58, 0.69, 0.75]
    correlations.append(correlation_case("n5", "five teams: an estimate, with a warning", x, y))

    x = rng.normal(0, 1, 40)
    y = 0.5 * x + rng.normal(0, 1, 40)
    correlations.append(correlation_case("n40", "moderate positive correlation, n = 40", r4(x), r4(y)))

    x = rng.normal(0, 1, 15)
    y = rng.normal(0, 1, 15)
    correlations.append(correlation_case("weak", "no real relation: the interval spans zero", r4(x), r4(y)))

    x = rng.normal(0, 1, 400)
    y = 0.4 * x + rng.normal(0, 1, 400)
    correlations.append(correlation_case("large", "n = 400, normal: bootstrap ≈ Fisher", r4(x), r4(y)))

    regressions = []
    n = 40
    amb = rng.normal(7, 1.2, n)
    tenure = rng.normal(3, 1.5, n)
    training = rng.normal(10, 4, n)
    y = 20 + 4.0 * amb + 1.5 * tenure + 0.1 * training + rng.normal(0, 3, n)
    regressions.append(
        regression_case(
            "three_predictors",
            "NPS on ambassadorship, tenure and training hours, n = 40",
            r4(y),
            {"ambassadorship": r4(amb), "tenure": r4(tenure), "training_hours": r4(training)},
        )
    )
    n = 30
    x1 = rng.normal(0, 1, n)
    x2 = x1 + rng.normal(0, 0.08, n)
    y = 1.0 + 2.0 * x1 + 0.5 * x2 + rng.normal(0, 1, n)
    regressions.append(
        regression_case(
            "near_collinear",
            "two predictors correlated at ≈0.997: wide intervals, still solvable",
            r4(y),
            {"enps": r4(x1), "engagement": r4(x2)},
        )
    )

    special_values = {
        "betainc": [
            [a, b, x, float(special.betainc(a, b, x))]
            for a, b, x in [
                (0.5, 0.5, 0.3),
                (2.0, 3.0, 0.4),
                (10.0, 0.5, 0.9),
                (19.0, 0.5, 0.05),
                (0.5, 25.0, 0.999),
                (50.0, 60.0, 0.45),
                (1.5, 1.5, 1e-6),
            ]
        ],
        "t_cdf": [[t, df, float(stats.t.cdf(t, df))] for t, df in [(-3.5, 3), (0.7, 10), (2.1, 38), (-12.0, 5), (1e-3, 1)]],
        "t_ppf": [[p, df, float(stats.t.ppf(p, df))] for p, df in [(0.975, 1), (0.975, 2), (0.975, 3), (0.975, 36), (0.995, 10), (0.025, 27), (0.6, 120)]],
        "norm_ppf": [[p, float(stats.norm.ppf(p))] for p in [0.975, 0.995, 0.5, 0.01, 1e-8]],
    }

    out = {
        "generated_by": "scripts/linkage-reference.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__},
        "correlations": correlations,
        "regressions": regressions,
        "special": special_values,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
