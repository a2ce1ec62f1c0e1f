//! Ambassadorship services shared by the API, the pages, the worker and the demo: pulse
//! invitations, results with small groups suppressed (differencing included), customer
//! behaviour per team and quarter, and the EX→CX linkage.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
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
    rapport_domain::frontline::quarter_of(at.date_naive())
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

/// Counts per group: customers served, churned, bought again, referred, complained; and the
/// NPS answers (n, promoters, detractors).
#[derive(Debug, Default, Clone, Copy)]
struct Outcome {
    served: [i64; 5],
    nps: (i64, i64, i64),
}

/// Of the customers each group served, what they did within 90 days after their last contact
/// with that group (only events strictly after the contact count).
fn outcomes<K: Ord + Copy>(
    contacts: impl Iterator<Item = (K, CustomerId, DateTime<Utc>, Option<i32>)>,
    events: &HashMap<CustomerId, Vec<(EventKind, DateTime<Utc>)>>,
) -> BTreeMap<K, Outcome> {
    let mut last: BTreeMap<(K, CustomerId), DateTime<Utc>> = BTreeMap::new();
    let mut out: BTreeMap<K, Outcome> = BTreeMap::new();
    for (key, customer, at, nps) in contacts {
        let e = last.entry((key, customer)).or_insert(at);
        *e = (*e).max(at);
        if let Some(score) = nps {
            let t = &mut out.entry(key).or_default().nps;
            t.0 += 1;
            t.1 += i64::from(score >= 9);
            t.2 += i64::from(score <= 6);
        }
    }
    for ((key, customer), at) in &last {
        let end = *at + Duration::days(BEHAVIOUR_WINDOW_DAYS);
        let did = |f: &dyn Fn(EventKind) -> bool| {
            events
                .get(customer)
                .is_some_and(|evs| evs.iter().any(|(k, t)| f(*k) && t > at && *t < end))
        };
        let t = &mut out.entry(*key).or_default().served;
        t[0] += 1;
        t[1] += i64::from(did(&|k| k == EventKind::Churn));
        t[2] += i64::from(did(&|k: EventKind| k.is_purchase()));
        t[3] += i64::from(did(&|k| k == EventKind::Referral));
        t[4] += i64::from(did(&|k| k == EventKind::Complaint));
    }
    out
}

impl Outcome {
    fn group(&self, team_id: TeamId, team_name: String, period: String) -> BehaviourGroup {
        let [n, churn, buy, refer, complain] = self.served;
        let share = |k: i64| (n > 0).then(|| k as f64 / n as f64);
        let (nps_n, p, d) = self.nps;
        BehaviourGroup {
            team_id,
            team_name,
            period,
            customers: n,
            retention_90d: share(n - churn),
            churn_90d: share(churn),
            repeat_purchase_90d: share(buy),
            referral_90d: share(refer),
            complaint_90d: share(complain),
            nps: (nps_n > 0).then(|| (p - d) as f64 / nps_n as f64 * 100.0),
            nps_n,
        }
    }
}

/// Contacts and events of one quarter.
async fn quarter_data(
    state: &AppState,
    org: OrgId,
    q: &str,
) -> Result<
    Option<(
        Vec<rapport_storage::Contact>,
        HashMap<CustomerId, Vec<(EventKind, DateTime<Utc>)>>,
    )>,
    StorageError,
> {
    let Some((start, end)) = quarter_bounds(q) else {
        return Ok(None);
    };
    let contacts = state.store.team_contacts(org, start, end).await?;
    let mut by_customer: HashMap<CustomerId, Vec<(EventKind, DateTime<Utc>)>> = HashMap::new();
    for (c, k, at) in state
        .store
        .events_between(org, start, end + Duration::days(BEHAVIOUR_WINDOW_DAYS))
        .await?
    {
        by_customer.entry(c).or_default().push((k, at));
    }
    Ok(Some((contacts, by_customer)))
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
        let Some((contacts, events)) = quarter_data(state, org, q).await? else {
            continue;
        };
        let per_team = outcomes(
            contacts
                .iter()
                .filter_map(|c| Some((c.team_id?, c.customer_id, c.at, c.nps))),
            &events,
        );
        for (team, o) in per_team {
            out.push(o.group(
                team,
                teams.get(&team).cloned().unwrap_or_default(),
                q.clone(),
            ));
        }
    }
    Ok(out)
}

/// The same behaviour per touchpoint: of the customers served at a touchpoint in a quarter.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TouchpointBehaviour {
    pub touchpoint_id: TouchpointId,
    pub period: String,
    pub customers: i64,
    pub retention_90d: Option<f64>,
    pub churn_90d: Option<f64>,
    pub repeat_purchase_90d: Option<f64>,
    pub referral_90d: Option<f64>,
    pub complaint_90d: Option<f64>,
    pub nps: Option<f64>,
    pub nps_n: i64,
}

pub async fn behaviour_by_touchpoint(
    state: &AppState,
    org: OrgId,
    quarters: &[String],
) -> Result<Vec<TouchpointBehaviour>, StorageError> {
    let mut out = Vec::new();
    for q in quarters {
        let Some((contacts, events)) = quarter_data(state, org, q).await? else {
            continue;
        };
        let per_tp = outcomes(
            contacts
                .iter()
                .filter_map(|c| Some((c.touchpoint_id?, c.customer_id, c.at, c.nps))),
            &events,
        );
        for (tp, o) in per_tp {
            let g = o.group(TeamId(0), String::new(), q.clone());
            out.push(TouchpointBehaviour {
                touchpoint_id: tp,
                period: g.period,
                customers: g.customers,
                retention_90d: g.retention_90d,
                churn_90d: g.churn_90d,
                repeat_purchase_90d: g.repeat_purchase_90d,
                referral_90d: g.referral_90d,
                complaint_90d: g.complaint_90d,
                nps: g.nps,
                nps_n: g.nps_n,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_count_what_follows_the_last_contact() {
        let t0 = Utc::now() - Duration::days(100);
        let (a, b, c) = (CustomerId(1), CustomerId(2), CustomerId(3));
        let tp = TouchpointId(7);
        let contacts = vec![
            (tp, a, t0, Some(10)),
            (tp, b, t0, Some(3)),
            (tp, c, t0, None),
            // A was contacted again after churning: the churn is before the last contact.
            (tp, a, t0 + Duration::days(20), None),
        ];
        let mut events: HashMap<CustomerId, Vec<(EventKind, DateTime<Utc>)>> = HashMap::new();
        events.insert(a, vec![(EventKind::Churn, t0 + Duration::days(10))]);
        events.insert(
            b,
            vec![
                (EventKind::Purchase, t0 - Duration::days(1)),
                (EventKind::Upgrade, t0 + Duration::days(5)),
                (EventKind::Referral, t0 + Duration::days(95)),
            ],
        );
        events.insert(c, vec![(EventKind::Churn, t0 + Duration::days(30))]);
        let o = outcomes(contacts.into_iter(), &events)[&tp];
        // served, churned, bought again, referred (95 days is outside the window), complained
        assert_eq!(o.served, [3, 1, 1, 0, 0]);
        assert_eq!(o.nps, (2, 1, 1));
        let g = o.group(TeamId(1), "T".into(), "2026-Q3".into());
        assert_eq!(g.retention_90d, Some(2.0 / 3.0));
        assert_eq!(g.nps, Some(0.0));
    }

    #[test]
    fn quarters_have_bounds_and_run_back_in_order() {
        let (s, e) = quarter_bounds("2026-Q4").unwrap();
        assert_eq!(s.to_rfc3339(), "2026-10-01T00:00:00+00:00");
        assert_eq!(e.to_rfc3339(), "2027-01-01T00:00:00+00:00");
        assert!(quarter_bounds("2026-Q5").is_none());
        let now = "2026-11-25T12:00:00Z".parse().unwrap();
        assert_eq!(recent_quarters(now, 3), ["2026-Q2", "2026-Q3", "2026-Q4"]);
    }
}
