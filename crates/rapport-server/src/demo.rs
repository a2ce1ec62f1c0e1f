//! The demo organisation: Aurora Home Insurance, with service teams in Tel Aviv, Athens and
//! London. Content (names, journeys, promises) lives in `demo/*.json`, written for the purpose
//! in Hebrew, Greek and English; this module turns it into rows, deterministically.
//!
//! Seeding runs in steps that each return what later steps need ([`DemoWorld`]), so later
//! features (survey responses, conversations, cases) add a step rather than a new seeder.

use std::collections::HashMap;

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::{Actor, Storage};
use serde::Deserialize;

use crate::auth::password;

mod ambassadorship;
mod cases;
mod conversations;
mod frontline;
mod responses;

/// The password of every demo login. Demo mode only: `rapport demo` prints it.
pub const DEMO_PASSWORD: &str = "rapport-demo";

/// The four demo logins and their roles.
pub const DEMO_LOGINS: [(&str, Role); 4] = [
    ("admin@demo.test", Role::Admin),
    ("manager@demo.test", Role::CxManager),
    ("lead@demo.test", Role::TeamLead),
    ("agent@demo.test", Role::Agent),
];

const ORGANISATION_JSON: &str = include_str!("../demo/organisation.json");

#[derive(Deserialize)]
struct Content {
    organisation: OrgContent,
    teams: Vec<TeamContent>,
    people: HashMap<String, NamePool>,
    journeys: Vec<JourneyContent>,
}

#[derive(Deserialize)]
struct OrgContent {
    name: String,
    slug: String,
}

#[derive(Deserialize)]
struct TeamContent {
    key: String,
    name: String,
    locale: String,
    lead: PersonName,
}

#[derive(Deserialize)]
struct PersonName {
    first: String,
    last: String,
}

#[derive(Deserialize)]
struct NamePool {
    first: Vec<String>,
    last: Vec<String>,
}

#[derive(Deserialize)]
struct JourneyContent {
    name: String,
    locale: String,
    description: String,
    stages: Vec<StageContent>,
}

#[derive(Deserialize)]
struct StageContent {
    kind: String,
    touchpoints: Vec<TouchpointContent>,
}

#[derive(Deserialize)]
struct TouchpointContent {
    name: String,
    channel: String,
    promise: String,
}

/// How big a demo to build; tests use a small one.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub agents_per_team: usize,
    pub customers: usize,
    /// Survey responses spread over the last 12 months.
    pub responses: usize,
    /// Cases opened from recent detractors, at every stage of the loop.
    pub cases: usize,
    /// Conversations (calls, chats, e-mails) over the last six months, analysed and scored.
    pub conversations: usize,
}

impl Default for DemoSize {
    fn default() -> Self {
        Self {
            agents_per_team: 8,
            customers: 2000,
            responses: 20_000,
            cases: 150,
            conversations: 2400,
        }
    }
}

/// What the seeded organisation contains, for later seeding steps and for the summary.
#[derive(Debug, Clone)]
pub struct DemoWorld {
    pub org: Organisation,
    pub teams: Vec<Team>,
    pub agents: Vec<User>,
    pub customers: usize,
    pub journeys: Vec<JourneyMap>,
    /// Survey responses seeded (one published survey per touchpoint).
    pub responses: usize,
    /// Conversations seeded, analysed and scored.
    pub conversations: usize,
    /// Anonymous pulse answers over eight quarters.
    pub pulse_answers: usize,
    /// Customer behaviour events.
    pub events: usize,
}

impl DemoWorld {
    pub fn touchpoints(&self) -> usize {
        self.journeys
            .iter()
            .flat_map(|j| &j.stages)
            .map(|s| s.touchpoints.len())
            .sum()
    }
}

/// Progress callback: (step, done, total).
pub type Progress<'a> = &'a (dyn Fn(&str, u64, u64) + Send + Sync);

/// Greek surnames are given in the masculine; a woman carries the feminine (genitive) form.
fn greek_surname(last: &str, first: &str) -> String {
    let female = !first.ends_with('ς');
    if !female {
        return last.to_string();
    }
    for (from, to) in [
        ("όπουλος", "οπούλου"),
        ("άκης", "άκη"),
        ("ίδης", "ίδου"),
        ("άδης", "άδου"),
        ("ής", "ή"),
        ("ης", "η"),
        ("ας", "α"),
        ("ος", "ου"),
    ] {
        if let Some(stem) = last.strip_suffix(from) {
            return format!("{stem}{to}");
        }
    }
    last.to_string()
}

fn full_name(locale: Locale, first: &str, last: &str) -> String {
    match locale {
        Locale::El => format!("{first} {}", greek_surname(last, first)),
        _ => format!("{first} {last}"),
    }
}

fn phone(rng: &mut StdRng, locale: Locale) -> String {
    match locale {
        Locale::He => format!(
            "+972 5{}-{:03}-{:04}",
            rng.gen_range(0..9),
            rng.gen_range(0..1000),
            rng.gen_range(0..10000)
        ),
        Locale::El => format!(
            "+30 69{} {:03} {:04}",
            rng.gen_range(0..10),
            rng.gen_range(0..1000),
            rng.gen_range(0..10000)
        ),
        Locale::En => format!(
            "+44 7{:03} {:06}",
            rng.gen_range(0..1000),
            rng.gen_range(0..1_000_000)
        ),
    }
}

/// Seeds a fresh database with the demo organisation.
pub async fn seed(
    store: &dyn Storage,
    size: DemoSize,
    progress: Progress<'_>,
) -> anyhow::Result<DemoWorld> {
    let content: Content =
        serde_json::from_str(ORGANISATION_JSON).context("demo/organisation.json")?;
    let mut rng = StdRng::seed_from_u64(2026);
    let pool = |l: Locale| &content.people[l.as_str()];

    let org = store
        .create_organisation(&NewOrganisation {
            name: Name::parse("name", &content.organisation.name)?,
            slug: content.organisation.slug.clone(),
            default_locale: Locale::En,
        })
        .await?;
    let system = Actor::system(org.id);
    let hash = password::hash_async(DEMO_PASSWORD.to_string()).await?;

    // People: the admin and the CX manager, then each team with its lead and agents.
    let new_user = |email: &str,
                    name: &str,
                    role: Role,
                    team: Option<TeamId>,
                    locale: Locale|
     -> anyhow::Result<NewUser> {
        Ok(NewUser {
            email: Email::parse("email", email)?,
            display_name: Name::parse("display_name", name)?,
            role,
            team_id: team,
            locale,
            password_hash: Some(hash.clone()),
        })
    };
    progress("people", 0, 1);
    let admin = store
        .create_user(
            system,
            &new_user(
                "admin@demo.test",
                "Alex Morgan",
                Role::Admin,
                None,
                Locale::En,
            )?,
        )
        .await?;
    let manager = store
        .create_user(
            system,
            &new_user(
                "manager@demo.test",
                "Rachel Green-Levi",
                Role::CxManager,
                None,
                Locale::En,
            )?,
        )
        .await?;
    store
        .create_user(
            system,
            &new_user(
                "exec@demo.test",
                "David Cohen",
                Role::Viewer,
                None,
                Locale::En,
            )?,
        )
        .await?;
    let actor = Actor::user(org.id, admin.id);

    let mut teams = vec![];
    let mut agents = vec![];
    let mut leads: HashMap<String, User> = HashMap::new();
    let mut team_agents: HashMap<String, Vec<UserId>> = HashMap::new();
    let mut serial = 0;
    for t in &content.teams {
        let locale = Locale::parse("locale", &t.locale)?;
        let team = store
            .create_team(
                actor,
                &NewTeam {
                    name: Name::parse("name", &t.name)?,
                    lead_id: None,
                },
            )
            .await?;
        // The Tel Aviv claims lead is the Hebrew-speaking demo login.
        let lead_email = if t.key == "tlv-claims" {
            "lead@demo.test".to_string()
        } else {
            format!("lead.{}@aurora.example", t.key)
        };
        let lead_name = full_name(locale, &t.lead.first, &t.lead.last);
        let lead = store
            .create_user(
                actor,
                &new_user(
                    &lead_email,
                    &lead_name,
                    Role::TeamLead,
                    Some(team.id),
                    locale,
                )?,
            )
            .await?;
        let team = store
            .update_team(
                actor,
                team.id,
                &NewTeam {
                    name: Name::parse("name", &t.name)?,
                    lead_id: Some(lead.id),
                },
            )
            .await?;
        for i in 0..size.agents_per_team {
            serial += 1;
            let names = pool(locale);
            let first = &names.first[rng.gen_range(0..names.first.len())];
            let last = &names.last[rng.gen_range(0..names.last.len())];
            // The Athens team's first agent is the Greek-speaking demo login.
            let email = if t.key == "ath-service" && i == 0 {
                "agent@demo.test".to_string()
            } else {
                format!("agent{serial:03}@aurora.example")
            };
            let a = store
                .create_user(
                    actor,
                    &new_user(
                        &email,
                        &full_name(locale, first, last),
                        Role::Agent,
                        Some(team.id),
                        locale,
                    )?,
                )
                .await?;
            team_agents.entry(t.key.clone()).or_default().push(a.id);
            agents.push(a);
        }
        leads.insert(t.key.clone(), lead);
        teams.push(team);
    }
    progress("people", 1, 1);

    // Customers, in batches so each transaction stays short.
    let locales = [(Locale::He, 45), (Locale::El, 35), (Locale::En, 20)];
    let mut batch = Vec::with_capacity(250);
    for n in 0..size.customers {
        let roll = rng.gen_range(0..100);
        let mut acc = 0;
        let locale = locales
            .iter()
            .find(|(_, w)| {
                acc += w;
                roll < acc
            })
            .map(|(l, _)| *l)
            .unwrap_or(Locale::En);
        let names = pool(locale);
        let first = &names.first[rng.gen_range(0..names.first.len())];
        let last = &names.last[rng.gen_range(0..names.last.len())];
        let has_email = rng.gen_bool(0.85);
        batch.push(NewCustomer {
            external_id: Name::parse("external_id", &format!("AUR-{:06}", 100_001 + n))?,
            name: Name::parse("name", &full_name(locale, first, last))?,
            locale,
            email: if has_email {
                Some(Email::parse(
                    "email",
                    &format!("customer{:05}@example.com", n + 1),
                )?)
            } else {
                None
            },
            phone: Some(Phone::parse("phone", &phone(&mut rng, locale))?),
            consent: Consent {
                email: has_email && rng.gen_bool(0.9),
                sms: rng.gen_bool(0.6),
                research: rng.gen_bool(0.4),
            },
        });
        if batch.len() == 250 || n + 1 == size.customers {
            store.upsert_customers(actor, &batch).await?;
            batch.clear();
            progress("customers", (n + 1) as u64, size.customers as u64);
        }
    }

    // Journeys: touchpoints owned by the lead whose team serves that stage.
    let mut journeys = vec![];
    let mut surveyed = vec![];
    for (ji, j) in content.journeys.iter().enumerate() {
        let locale = Locale::parse("locale", &j.locale)?;
        let map = store
            .create_journey(
                actor,
                &NewJourney {
                    name: Name::parse("name", &j.name)?,
                    description: Text::parse_optional("description", Some(&j.description))?,
                    locale,
                },
            )
            .await?;
        for (stage, sc) in map.stages.iter().zip(&j.stages) {
            let kind = StageKind::parse("kind", &sc.kind)?;
            anyhow::ensure!(
                kind == stage.stage.kind,
                "journey {} stage order differs from the five defaults",
                j.name
            );
            let owner_key = match (locale, kind) {
                (Locale::He, StageKind::Service) => Some("tlv-claims"),
                (Locale::He, _) => Some("tlv-sales"),
                (Locale::El, _) => Some("ath-service"),
                (Locale::En, StageKind::Service | StageKind::AfterService) => Some("ldn-digital"),
                (Locale::En, _) => None,
            };
            let owner = owner_key
                .and_then(|k| leads.get(k))
                .map(|u| u.id)
                .unwrap_or(manager.id);
            for tp in &sc.touchpoints {
                let created = store
                    .create_touchpoint(
                        actor,
                        &NewTouchpoint {
                            stage_id: stage.stage.id,
                            name: Name::parse("name", &tp.name)?,
                            channel: Channel::parse("channel", &tp.channel)?,
                            owner_id: Some(owner),
                            promise: Text::parse_optional("promise", Some(&tp.promise))?,
                            position: None,
                        },
                    )
                    .await?;
                surveyed.push(responses::Place {
                    touchpoint: created,
                    locale,
                    stage: kind,
                    team: owner_key.map(str::to_string),
                });
            }
        }
        journeys.push(store.get_journey(org.id, map.journey.id).await?);
        progress("journeys", ji as u64 + 1, content.journeys.len() as u64);
    }

    let responses = responses::seed(
        store,
        actor,
        &mut rng,
        &surveyed,
        &team_agents,
        size.responses,
        progress,
    )
    .await?;

    let cases = cases::seed(store, actor, &mut rng, size.cases).await?;
    progress("cases", cases as u64, cases as u64);

    let mut managers = vec![admin, manager];
    managers.extend(leads.into_values());
    let people: Vec<User> = agents.iter().chain(&managers).cloned().collect();
    let conversations = frontline::seed(
        store,
        actor,
        &mut rng,
        &agents,
        &managers,
        size.conversations,
        progress,
    )
    .await?;

    progress("pulses", 0, 1);
    let (pulse_answers, events) = ambassadorship::seed(
        store,
        actor,
        &mut rng,
        &people,
        (size.customers / 30).clamp(5, 80),
    )
    .await?;
    progress("pulses", 1, 1);

    let teams = store.list_teams(org.id).await?;
    Ok(DemoWorld {
        pulse_answers,
        events,
        conversations,
        org,
        teams,
        agents,
        customers: size.customers,
        journeys,
        responses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greek_women_carry_feminine_surnames() {
        assert_eq!(
            full_name(Locale::El, "Μαρία", "Παπαδόπουλος"),
            "Μαρία Παπαδοπούλου"
        );
        assert_eq!(
            full_name(Locale::El, "Ελένη", "Παπαδάκης"),
            "Ελένη Παπαδάκη"
        );
        assert_eq!(
            full_name(Locale::El, "Νίκος", "Παπαδόπουλος"),
            "Νίκος Παπαδόπουλος"
        );
        assert_eq!(full_name(Locale::El, "Άννα", "Γεωργίου"), "Άννα Γεωργίου");
        assert_eq!(full_name(Locale::He, "נועה", "כהן"), "נועה כהן");
    }

    #[test]
    fn demo_content_parses_and_is_large_enough() {
        let c: Content = serde_json::from_str(ORGANISATION_JSON).unwrap();
        assert!(c.teams.len() >= 3);
        for l in ["en", "he", "el"] {
            assert!(
                c.people[l].first.len() >= 30 && c.people[l].last.len() >= 30,
                "{l}"
            );
        }
        let en = &c.journeys[0];
        assert_eq!(en.stages.len(), 5);
        assert!(en.stages.iter().map(|s| s.touchpoints.len()).sum::<usize>() >= 20);
    }
}
