//! The demo's ambassadorship: eight quarters of anonymous pulses for every team and the
//! behaviour of the customers each team served, generated from a known relation (with noise)
//! so the linkage page has a real, recoverable link: a team's commitment to the customer in one
//! quarter lowers its customers' churn and raises their renewals and referrals the next.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use rapport_domain::ambassadorship::*;
use rapport_domain::model::{CustomerFilter, User};
use rapport_domain::*;
use rapport_storage::{Actor, Storage};

use crate::ambassadorship::{quarter_bounds, recent_quarters};
use crate::auth::secrets;

/// Quarters of history.
pub const QUARTERS: usize = 8;

fn normal(rng: &mut StdRng) -> f64 {
    // Box–Muller: one standard normal draw.
    let (u, v): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.gen());
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

fn agree(rng: &mut StdRng, latent: f64) -> i32 {
    // latent in about −1…1 → centre 4 ± 2.2 on the 1–7 scale, with personal noise.
    (4.0 + 2.2 * latent + 0.9 * normal(rng))
        .round()
        .clamp(1.0, 7.0) as i32
}

/// Seeds pulses and behaviour events; returns (pulse answers, events).
pub async fn seed(
    store: &dyn Storage,
    actor: Actor,
    rng: &mut StdRng,
    people: &[User],
    customers_per_team_quarter: usize,
) -> anyhow::Result<(usize, usize)> {
    let org = actor.org_id;
    let teams: Vec<TeamId> = store
        .list_teams(org)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let quarters = recent_quarters(Utc::now(), QUARTERS);
    // Latent commitment per team and quarter: a team level plus a random walk.
    let mut latent: HashMap<(TeamId, usize), [f64; 3]> = HashMap::new();
    for t in &teams {
        let base: [f64; 3] = [normal(rng) * 0.35, normal(rng) * 0.35, normal(rng) * 0.35];
        let mut walk = [0.0; 3];
        for q in 0..quarters.len() {
            for (w, b) in walk.iter_mut().zip(base) {
                *w = (*w * 0.6 + normal(rng) * 0.35).clamp(-0.8, 0.8);
                let _ = b;
            }
            let l = [
                (base[0] + walk[0]).clamp(-1.0, 1.0),
                (base[1] + walk[1]).clamp(-1.0, 1.0),
                (base[2] + walk[2]).clamp(-1.0, 1.0),
            ];
            latent.insert((*t, q), l);
        }
    }

    // Pulses: one per quarter, most people answer; the last one is still open.
    let def = default_pulse();
    let mut answers = 0;
    for (qi, q) in quarters.iter().enumerate() {
        let pulse = store
            .create_pulse(actor, &format!("Pulse {q}"), q, &def)
            .await?;
        store.set_pulse_status(actor, pulse.id, "open").await?;
        let mut tokens = Vec::new();
        let invitations: Vec<(UserId, String)> = people
            .iter()
            .filter(|u| u.team_id.is_some() && matches!(u.role, Role::Agent | Role::TeamLead))
            .map(|u| {
                let token = secrets::random_hex(16);
                let hash = secrets::sha256_hex(&token);
                tokens.push((u.team_id, hash.clone()));
                (u.id, hash)
            })
            .collect();
        store.invite_to_pulse(actor, pulse.id, &invitations).await?;
        for (team, hash) in tokens {
            let Some(team) = team else { continue };
            if !rng.gen_bool(0.85) {
                continue;
            }
            let [company, value, customer] = latent[&(team, qi)];
            let mut a = std::collections::BTreeMap::new();
            let enps = (7.0 + 2.5 * (company + customer) / 2.0 + 1.5 * normal(rng))
                .round()
                .clamp(0.0, 10.0) as i32;
            for qn in &def.questions {
                let v = match qn.dimension {
                    None => enps,
                    Some(Dimension::Company) => agree(rng, company),
                    Some(Dimension::ValueProposition) => agree(rng, value),
                    Some(Dimension::Customer) => agree(rng, customer),
                };
                a.insert(qn.key.clone(), v);
            }
            let scores = def.score(&a)?;
            if store.submit_pulse(&hash, &scores).await? {
                answers += 1;
            }
        }
        if qi + 1 < quarters.len() {
            store.set_pulse_status(actor, pulse.id, "closed").await?;
        }
    }

    // Behaviour: each quarter every team serves some customers (a purchase or renewal handled
    // by one of its agents); what those customers do next depends on the team's commitment to
    // the customer in the quarter before.
    let customers = store
        .list_customers(
            org,
            &CustomerFilter {
                search: None,
                locale: None,
                limit: 5000,
                offset: 0,
            },
        )
        .await?
        .items;
    let agents_of: HashMap<TeamId, Vec<UserId>> = people
        .iter()
        .filter(|u| u.role == Role::Agent)
        .fold(HashMap::new(), |mut m, u| {
            if let Some(t) = u.team_id {
                m.entry(t).or_default().push(u.id);
            }
            m
        });
    let now = Utc::now();
    let mut serial = 0;
    let mut next_id = || {
        serial += 1;
        format!("crm-{serial:07}")
    };
    // 1. Contacts: purchases and renewals handled by each team's agents, every quarter.
    let mut by_customer: HashMap<CustomerId, Vec<NewEvent>> = HashMap::new();
    for q in &quarters {
        let Some((start, end)) = quarter_bounds(q) else {
            continue;
        };
        let end = end.min(now - Duration::days(1));
        if end <= start {
            continue;
        }
        let span = (end - start).num_seconds().max(1);
        for t in &teams {
            let Some(agents) = agents_of.get(t) else {
                continue;
            };
            for _ in 0..customers_per_team_quarter {
                let c = customers[rng.gen_range(0..customers.len())].id;
                let kind = if rng.gen_bool(0.5) {
                    EventKind::Purchase
                } else {
                    EventKind::Renewal
                };
                by_customer.entry(c).or_default().push(NewEvent {
                    kind,
                    occurred_at: start + Duration::seconds(rng.gen_range(0..span)),
                    external_id: next_id(),
                    agent_id: Some(agents[rng.gen_range(0..agents.len())]),
                    touchpoint_id: None,
                    amount: Some(f64::from(rng.gen_range(200..2400))),
                });
            }
        }
    }
    let mut events = 0;
    for (c, evs) in &by_customer {
        events += evs.len();
        store.record_events(actor, *c, evs).await?;
    }
    // 2. Outcomes: after each customer's last contact in a quarter (a purchase above, a survey
    // answer or a conversation), what they do depends on the serving team's commitment to the
    // customer in the quarter before.
    let mut outcomes: HashMap<CustomerId, Vec<NewEvent>> = HashMap::new();
    for (qi, q) in quarters.iter().enumerate() {
        let Some((start, end)) = quarter_bounds(q) else {
            continue;
        };
        let mut last: HashMap<CustomerId, (chrono::DateTime<Utc>, TeamId)> = HashMap::new();
        for c in store.team_contacts(org, start, end).await? {
            let Some(team) = c.team_id else { continue };
            let e = last.entry(c.customer_id).or_insert((c.at, team));
            if c.at > e.0 {
                *e = (c.at, team);
            }
        }
        let mut keys: Vec<CustomerId> = last.keys().copied().collect();
        keys.sort();
        for c in keys {
            let (at, team) = last[&c];
            let Some(l) = latent.get(&(team, qi.saturating_sub(1))) else {
                continue;
            };
            let before = l[2];
            let later = |rng: &mut StdRng| at + Duration::days(rng.gen_range(3..88));
            let p_churn = (0.20 - 0.17 * before).clamp(0.02, 0.5);
            let p_buy = (0.28 + 0.2 * before).clamp(0.05, 0.8);
            let p_refer = (0.10 + 0.09 * before).clamp(0.01, 0.5);
            let mut push = |kind: EventKind, t2: chrono::DateTime<Utc>, amount: Option<f64>| {
                if t2 < now {
                    outcomes.entry(c).or_default().push(NewEvent {
                        kind,
                        occurred_at: t2,
                        external_id: next_id(),
                        agent_id: None,
                        touchpoint_id: None,
                        amount,
                    });
                }
            };
            if rng.gen_bool(p_churn) {
                push(EventKind::Churn, later(rng), None);
            } else {
                if rng.gen_bool(p_buy) {
                    push(
                        EventKind::Upgrade,
                        later(rng),
                        Some(f64::from(rng.gen_range(50..600))),
                    );
                }
                if rng.gen_bool(p_refer) {
                    push(EventKind::Referral, later(rng), None);
                }
            }
            if rng.gen_bool(0.06) {
                push(EventKind::Complaint, later(rng), None);
            }
        }
    }
    for (c, evs) in &outcomes {
        events += evs.len();
        store.record_events(actor, *c, evs).await?;
    }
    Ok((answers, events))
}
