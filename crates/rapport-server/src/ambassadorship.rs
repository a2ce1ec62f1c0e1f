//! Ambassadorship services shared by the API, the pages, the worker and the demo: pulse
//! invitations, results with small groups suppressed (differencing included), customer
//! behaviour per team and quarter, and the EX→CX linkage.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rapport_domain::ambassadorship::*;
use rapport_domain::*;
use rapport_storage::{Actor, StorageError};

use crate::auth::secrets;
use crate::state::AppState;

/// The e-mail job that sends one pulse invitation.
pub const JOB_PULSE_INVITATION: &str = "send_pulse_invitation";

/// Days after a contact in which a customer's behaviour is counted.
pub const BEHAVIOUR_WINDOW_DAYS: i64 = 90;

/// `YYYY-Qn` of an instant.
pub fn quarter(at: DateTime<Utc>) -> String {
    format!("{}-Q{}", at.year(), at.month0() / 3 + 1)
}

/// First instant of a `YYYY-Qn` quarter and of the next one.
pub fn quarter_bounds(q: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let (y, n) = q.split_once("-Q")?;
    let (y, n): (i32, u32) = (y.parse().ok()?, n.parse().ok()?);
    if !(1..=4).contains(&n) {
        return None;
    }
    let start = NaiveDate::from_ymd_opt(y, (n - 1) * 3 + 1, 1)?;
    let end = if n == 4 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(y, n * 3 + 1, 1)?
    };
    Some((
        Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0)?),
        Utc.from_utc_datetime(&end.and_hms_opt(0, 0, 0)?),
    ))
}

/// The last `n` quarters up to and including the current one, oldest first.
pub fn recent_quarters(now: DateTime<Utc>, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let mut at = now;
    for _ in 0..n {
        let q = quarter(at);
        let (start, _) = quarter_bounds(&q).unwrap_or((at, at));
        out.push(q);
        at = start - Duration::days(1);
    }
    out.reverse();
    out
}

/// Invites every active person of the organisation who works with customers (agents, team
/// leads) not yet invited, and queues their e-mails. Returns how many were invited.
pub async fn invite_all(state: &AppState, actor: Actor, pulse: i64) -> Result<usize, StorageError> {
    let users = state.store.list_users(actor.org_id, None).await?;
    let mut tokens: HashMap<UserId, String> = HashMap::new();
    let invitations: Vec<(UserId, String)> = users
        .iter()
        .filter(|u| u.active && matches!(u.role, Role::Agent | Role::TeamLead))
        .map(|u| {
            let token = secrets::random_hex(24);
            let hash = secrets::sha256_hex(&token);
            tokens.insert(u.id, token);
            (u.id, hash)
        })
        .collect();
    let created = state
        .store
        .invite_to_pulse(actor, pulse, &invitations)
        .await?;
    for (id, user) in &created {
        state
            .store
            .enqueue_job(
                Some(actor.org_id),
                JOB_PULSE_INVITATION,
                &serde_json::json!({ "invitation": id, "user": user, "token": tokens[user], "pulse": pulse }),
                Utc::now(),
            )
            .await?;
    }
    crate::jobs::notify_worker(state);
    Ok(created.len())
}

/// Opens this quarter's pulse for every organisation that asked for quarterly pulses and has
/// none yet (the questions of its latest pulse, else the default set), and invites everyone.
/// Safe with several workers: each organisation's quarter is claimed once.
pub async fn open_scheduled_pulses(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    let period = quarter(now);
    let orgs = state.store.claim_scheduled_pulses(&period).await?;
    for org in &orgs {
        let actor = Actor::system(*org);
        let definition = state
            .store
            .list_pulses(*org)
            .await?
            .into_iter()
            .next()
            .map(|p| p.definition)
            .unwrap_or_else(default_pulse);
        let pulse = state
            .store
            .create_pulse(actor, &format!("Pulse {period}"), &period, &definition)
            .await?;
        state
            .store
            .set_pulse_status(actor, pulse.id, "open")
            .await?;
        let invited = invite_all(state, actor, pulse.id).await?;
        tracing::info!(org = %org, %period, invited, "quarterly pulse opened");
    }
    Ok(orgs.len())
}

/// Pulse results per team and quarter plus the organisation per quarter. A group below the
/// minimum size is hidden; when that would let a hidden group be recovered by subtracting the
/// shown ones from the organisation's total, the next-smallest group is hidden too.
pub async fn pulse_groups(state: &AppState, org: OrgId) -> Result<Vec<PulseGroup>, StorageError> {
    let min = state.store.min_group_size(org).await?;
    let rows = state.store.pulse_sums(org).await?;
    let mut by_period: BTreeMap<String, Vec<rapport_storage::PulseSumsRow>> = BTreeMap::new();
    for r in rows {
        by_period.entry(r.period.clone()).or_default().push(r);
    }
    let mut out = Vec::new();
    for (period, rows) in by_period {
        let mut total = PulseSums::default();
        for r in &rows {
            total.n += r.sums.n;
            total.enps_n += r.sums.enps_n;
            total.promoters += r.sums.promoters;
            total.detractors += r.sums.detractors;
            total.company += r.sums.company;
            total.value_proposition += r.sums.value_proposition;
            total.customer += r.sums.customer;
        }
        let counts: Vec<i64> = rows.iter().map(|r| r.sums.n).collect();
        let total_shown = total.n >= min.max(rapport_domain::frontline::FLOOR_MIN_GROUP_SIZE);
        let shown = shown_groups(&counts, total_shown, min);
        for (r, show) in rows.iter().zip(shown) {
            // People without a team are counted in the organisation only.
            if r.team_id.is_some() {
                out.push(
                    r.sums
                        .group(r.team_id, r.team_name.clone(), period.clone(), show),
                );
            }
        }
        out.push(total.group(None, String::new(), period.clone(), total_shown));
    }
    Ok(out)
}

/// Which groups of one partition may be shown: below the minimum size hidden, and more hidden
/// when the shown total would let a hidden group be worked out by subtraction.
pub fn shown_groups(counts: &[i64], total_shown: bool, min: i64) -> Vec<bool> {
    let groups: Vec<rapport_domain::anonymity::GroupCount> = counts
        .iter()
        .enumerate()
        .map(|(i, n)| rapport_domain::anonymity::GroupCount {
            key: i.to_string(),
            n: *n,
        })
        .collect();
    rapport_domain::anonymity::suppress(&groups, total_shown, min)
}

/// Customer behaviour of every team in each quarter: of the customers a team served in the
/// quarter, who churned, bought again, referred or complained within 90 days of their last
/// contact — beside their NPS.
pub async fn behaviour(
    state: &AppState,
    org: OrgId,
    quarters: &[String],
) -> Result<Vec<BehaviourGroup>, StorageError> {
    let teams: HashMap<TeamId, String> = state
        .store
        .list_teams(org)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut out = Vec::new();
    for q in quarters {
        let Some((start, end)) = quarter_bounds(q) else {
            continue;
        };
        let contacts = state.store.team_contacts(org, start, end).await?;
        let events = state
            .store
            .events_between(org, start, end + Duration::days(BEHAVIOUR_WINDOW_DAYS))
            .await?;
        let mut by_customer: HashMap<CustomerId, Vec<(EventKind, DateTime<Utc>)>> = HashMap::new();
        for (c, k, at) in events {
            by_customer.entry(c).or_default().push((k, at));
        }
        // Last contact per (team, customer), and the NPS answers in the quarter.
        let mut last: BTreeMap<(TeamId, CustomerId), DateTime<Utc>> = BTreeMap::new();
        let mut nps: BTreeMap<TeamId, (i64, i64, i64)> = BTreeMap::new();
        for c in &contacts {
            let e = last.entry((c.team_id, c.customer_id)).or_insert(c.at);
            *e = (*e).max(c.at);
            if let Some(score) = c.nps {
                let t = nps.entry(c.team_id).or_default();
                t.0 += 1;
                t.1 += i64::from(score >= 9);
                t.2 += i64::from(score <= 6);
            }
        }
        let mut per_team: BTreeMap<TeamId, [i64; 5]> = BTreeMap::new();
        for ((team, customer), at) in &last {
            let window = *at..*at + Duration::days(BEHAVIOUR_WINDOW_DAYS);
            let did = |f: &dyn Fn(EventKind) -> bool| {
                by_customer.get(customer).is_some_and(|evs| {
                    evs.iter()
                        .any(|(k, t)| f(*k) && *t > window.start && window.contains(t))
                })
            };
            let t = per_team.entry(*team).or_default();
            t[0] += 1;
            t[1] += i64::from(did(&|k| k == EventKind::Churn));
            t[2] += i64::from(did(&|k: EventKind| k.is_purchase()));
            t[3] += i64::from(did(&|k| k == EventKind::Referral));
            t[4] += i64::from(did(&|k| k == EventKind::Complaint));
        }
        for (team, [n, churn, buy, refer, complain]) in per_team {
            let share = |k: i64| (n > 0).then(|| k as f64 / n as f64);
            let (nps_n, p, d) = nps.get(&team).copied().unwrap_or_default();
            out.push(BehaviourGroup {
                team_id: team,
                team_name: teams.get(&team).cloned().unwrap_or_default(),
                period: q.clone(),
                customers: n,
                retention_90d: share(n - churn),
                churn_90d: share(churn),
                repeat_purchase_90d: share(buy),
                referral_90d: share(refer),
                complaint_90d: share(complain),
                nps: (nps_n > 0).then(|| (p - d) as f64 / nps_n as f64 * 100.0),
                nps_n,
            });
        }
    }
    Ok(out)
}

/// The EX and CX measures a linkage can use, by their API names.
pub const EX_MEASURES: [&str; 6] = [
    "ambassadorship",
    "ambassadorship.company",
    "ambassadorship.value_proposition",
    "ambassadorship.customer",
    "enps",
    "emotional_labour",
];
pub const CX_MEASURES: [&str; 6] = [
    "nps",
    "retention_90d",
    "churn_90d",
    "repeat_purchase_90d",
    "referral_90d",
    "complaint_90d",
];

/// Every measure per (team, quarter) for the last `quarters` quarters: EX from pulses (only
/// groups large enough to show) and from scorecards, CX from responses and behaviour.
pub async fn measures(
    state: &AppState,
    org: OrgId,
    quarters: usize,
) -> Result<BTreeMap<(TeamId, String), BTreeMap<&'static str, f64>>, StorageError> {
    let qs = recent_quarters(Utc::now(), quarters);
    let wanted: BTreeSet<&String> = qs.iter().collect();
    let mut out: BTreeMap<(TeamId, String), BTreeMap<&'static str, f64>> = BTreeMap::new();
    for g in pulse_groups(state, org).await? {
        let (Some(team), false) = (g.team_id, g.suppressed) else {
            continue;
        };
        if !wanted.contains(&g.period) {
            continue;
        }
        let m = out.entry((team, g.period.clone())).or_default();
        for (k, v) in [
            ("ambassadorship", g.ambassadorship),
            ("ambassadorship.company", g.company),
            ("ambassadorship.value_proposition", g.value_proposition),
            ("ambassadorship.customer", g.customer),
            ("enps", g.enps),
        ] {
            if let Some(v) = v {
                m.insert(k, v);
            }
        }
    }
    // The emotional-labour index per team and quarter: the mean of its agents' monthly indices.
    let (start, _) = quarter_bounds(&qs[0]).unwrap_or((Utc::now(), Utc::now()));
    let rows = state
        .store
        .scored_conversations(org, None, None, start)
        .await?;
    let users = state.store.list_users(org, None).await?;
    let team_of: HashMap<UserId, Option<TeamId>> =
        users.iter().map(|u| (u.id, u.team_id)).collect();
    let mut labour: BTreeMap<(TeamId, String), Vec<f64>> = BTreeMap::new();
    let mut by_agent_q: BTreeMap<
        (UserId, String),
        Vec<&rapport_domain::frontline::ScoredConversation>,
    > = BTreeMap::new();
    for r in &rows {
        by_agent_q
            .entry((r.agent_id, quarter(r.started_at)))
            .or_default()
            .push(r);
    }
    for ((agent, q), rs) in by_agent_q {
        let Some(Some(team)) = team_of.get(&agent) else {
            continue;
        };
        if let Some(i) =
            rapport_domain::frontline::scorecard_period(q.clone(), &rs).emotional_labour_index
        {
            labour.entry((*team, q)).or_default().push(i);
        }
    }
    for (key, v) in labour {
        if wanted.contains(&key.1) {
            out.entry(key)
                .or_default()
                .insert("emotional_labour", v.iter().sum::<f64>() / v.len() as f64);
        }
    }
    for b in behaviour(state, org, &qs).await? {
        let m = out.entry((b.team_id, b.period.clone())).or_default();
        for (k, v) in [
            ("nps", b.nps),
            ("retention_90d", b.retention_90d),
            ("churn_90d", b.churn_90d),
            ("repeat_purchase_90d", b.repeat_purchase_90d),
            ("referral_90d", b.referral_90d),
            ("complaint_90d", b.complaint_90d),
        ] {
            if let Some(v) = v {
                m.insert(k, v);
            }
        }
    }
    Ok(out)
}

/// One team-quarter on a scatter plot.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LinkPoint {
    pub team_id: TeamId,
    pub team: String,
    /// The EX quarter; the CX value is from `lag` quarters later.
    pub period: String,
    pub x: f64,
    pub y: f64,
}

/// A correlation of an EX (or NPS) measure with a CX outcome, both ways.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LinkStats {
    pub x: String,
    pub pearson: rapport_domain::linkage::Correlation,
    pub spearman: rapport_domain::linkage::Correlation,
}

/// The EX→CX linkage as the page and `GET /api/v1/linkage` show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Linkage {
    pub ex: String,
    pub cx: String,
    pub lag: i32,
    pub quarters: Vec<String>,
    pub points: Vec<LinkPoint>,
    pub stats: LinkStats,
    /// Customer NPS against the same outcome, as seed 001 asks: does satisfaction predict
    /// behaviour as well as ambassadorship does? Absent when the outcome is NPS itself.
    pub nps_comparison: Option<LinkStats>,
    /// The outcome on the three ambassadorship sub-indices together; absent (with the reason
    /// in `regression_error`) when the data cannot support it.
    pub regression: Option<rapport_domain::linkage::Regression>,
    pub regression_error: Option<String>,
    /// One sentence in the reader's language.
    pub reading: String,
}

/// Why a linkage request is refused.
pub fn check_measures(ex: &str, cx: &str, lag: i32) -> Result<(), DomainError> {
    if !EX_MEASURES.contains(&ex) {
        return Err(DomainError::new(
            "ex",
            format!("must be one of {}", EX_MEASURES.join(", ")),
        ));
    }
    if !CX_MEASURES.contains(&cx) {
        return Err(DomainError::new(
            "cx",
            format!("must be one of {}", CX_MEASURES.join(", ")),
        ));
    }
    if !(0..=4).contains(&lag) {
        return Err(DomainError::new("lag", "must be between 0 and 4 quarters"));
    }
    Ok(())
}

fn link_stats(x: &str, pairs: &[rapport_domain::linkage::Pair]) -> Option<LinkStats> {
    use rapport_domain::linkage::{correlate, Interval, Method};
    let xs: Vec<f64> = pairs.iter().map(|p| p.x).collect();
    let ys: Vec<f64> = pairs.iter().map(|p| p.y).collect();
    Some(LinkStats {
        x: x.to_string(),
        pearson: correlate(&xs, &ys, Method::Pearson, Interval::default()).ok()?,
        spearman: correlate(&xs, &ys, Method::Spearman, Interval::default()).ok()?,
    })
}

/// Computes the linkage of `ex` in quarter t with `cx` in quarter t + `lag`, over the last
/// `quarters` quarters, one point per team and quarter (anonymous EX groups below the
/// minimum size are never points).
pub async fn linkage(
    state: &AppState,
    org: OrgId,
    locale: Locale,
    ex: &str,
    cx: &str,
    lag: i32,
    quarters: usize,
) -> Result<Linkage, crate::error::ApiError> {
    use rapport_domain::linkage::{ols, pair_with_lag, quarter_index};
    check_measures(ex, cx, lag)?;
    let m = measures(state, org, quarters).await?;
    let teams: HashMap<TeamId, String> = state
        .store
        .list_teams(org)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let series = |name: &str| -> Vec<(String, i32, f64)> {
        m.iter()
            .filter_map(|((team, q), vals)| {
                Some((team.0.to_string(), quarter_index(q).ok()?, *vals.get(name)?))
            })
            .collect()
    };
    let pairs = pair_with_lag(&series(ex), &series(cx), lag);
    let points = pairs
        .iter()
        .map(|p| {
            let team = TeamId(p.group.parse().unwrap_or_default());
            LinkPoint {
                team_id: team,
                team: teams.get(&team).cloned().unwrap_or_default(),
                period: rapport_domain::linkage::quarter_label(p.period),
                x: p.x,
                y: p.y,
            }
        })
        .collect();
    let stats = link_stats(ex, &pairs).ok_or_else(|| {
        crate::error::ApiError::invalid("ex", "the measures could not be compared")
    })?;
    let nps_comparison = (cx != "nps")
        .then(|| link_stats("nps", &pair_with_lag(&series("nps"), &series(cx), lag)))
        .flatten();
    // Regression of the outcome on the three sub-indices, on the team-quarters that have all.
    let subs = [
        "ambassadorship.company",
        "ambassadorship.value_proposition",
        "ambassadorship.customer",
    ];
    let outcome = series(cx);
    let mut ys = Vec::new();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); subs.len()];
    for ((team, q), vals) in &m {
        let Ok(t) = quarter_index(q) else { continue };
        let Some(y) = outcome
            .iter()
            .find(|(g, p, _)| *g == team.0.to_string() && *p == t + lag)
            .map(|(_, _, y)| *y)
        else {
            continue;
        };
        let xs: Option<Vec<f64>> = subs.iter().map(|s| vals.get(s).copied()).collect();
        if let Some(xs) = xs {
            ys.push(y);
            for (c, x) in cols.iter_mut().zip(xs) {
                c.push(x);
            }
        }
    }
    let named: Vec<(&str, Vec<f64>)> = subs.iter().copied().zip(cols).collect();
    let (regression, regression_error) = match ols(&ys, &named) {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let tr = crate::i18n::Tr {
        i18n: state.i18n.clone(),
        locale,
    };
    let reading = reading(&tr, ex, cx, lag, quarters, &stats);
    Ok(Linkage {
        ex: ex.into(),
        cx: cx.into(),
        lag,
        quarters: recent_quarters(Utc::now(), quarters),
        points,
        stats,
        nps_comparison,
        regression,
        regression_error,
        reading,
    })
}

/// "In the last 8 quarters, teams with higher … had higher … (ρ = 0.52, 95% CI 0.21–0.73,
/// n = 36)", or that there is no clear relation, in the reader's language.
pub fn reading(
    tr: &crate::i18n::Tr,
    ex: &str,
    cx: &str,
    lag: i32,
    quarters: usize,
    s: &LinkStats,
) -> String {
    let c = &s.spearman;
    let ex_name = tr.t(&format!("linkage-m-{}", ex.replace('.', "-")));
    let cx_name = tr.t(&format!("linkage-m-{cx}"));
    let f = |v: f64| format!("{v:.2}").replace('-', "\u{2212}");
    let lagtext = tr.ta("linkage-lag", &[("lag", i64::from(lag).into())]);
    let (Some(r), Some(lo), Some(hi)) = (c.coefficient, c.ci_low, c.ci_high) else {
        return tr.ta(
            "linkage-reading-none",
            &[
                ("n", (c.n as i64).into()),
                ("ex", ex_name.into()),
                ("cx", cx_name.into()),
            ],
        );
    };
    let id = if lo > 0.0 {
        "linkage-reading-higher"
    } else if hi < 0.0 {
        "linkage-reading-lower"
    } else {
        "linkage-reading-unclear"
    };
    tr.ta(
        id,
        &[
            ("quarters", (quarters as i64).into()),
            ("lagtext", lagtext.into()),
            ("ex", ex_name.into()),
            ("cx", cx_name.into()),
            ("rho", f(r).into()),
            ("lo", f(lo).into()),
            ("hi", f(hi).into()),
            ("n", (c.n as i64).into()),
        ],
    )
}
