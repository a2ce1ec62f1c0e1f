//! The demo's frontline: a few thousand conversations in English, Hebrew and Greek, analysed
//! and scored; reviews (some overriding the engine, for calibration) and agents' answers;
//! coaching sessions; managers' listening time; kudos, legacy stories and shift check-ins.

use std::collections::HashMap;

use chrono::{Datelike, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use rapport_domain::frontline::*;
use rapport_domain::model::{CustomerFilter, User};
use rapport_domain::*;
use rapport_storage::{Actor, ConversationFilter, Storage};
use rayon::prelude::*;

use super::conversations::{generate, DemoAgent, DemoCustomer, Scenario};
use crate::frontline::{analyse, Rubric, JOB_ANALYZE_CONVERSATION};

/// What each language says in the demo's reviews, coaching and kudos.
struct Phrases {
    review_up: [&'static str; 3],
    review_down: [&'static str; 3],
    coaching: [&'static str; 4],
    kudos: [&'static str; 6],
    dispute: &'static str,
    story_title: &'static str,
    story_did: &'static str,
    story_outcome: &'static str,
}

fn phrases(l: Locale) -> Phrases {
    match l {
        Locale::En => Phrases {
            review_up: [
                "She named the customer's worry before the fix — that is empathy.",
                "Took ownership clearly; the cue list missed the phrasing.",
                "Stayed calm through the shouting; better than the score says.",
            ],
            review_down: [
                "Apologised by rote, did not acknowledge the three calls.",
                "Promised a callback without a time — not real ownership.",
                "Read the policy out instead of explaining what it means for them.",
            ],
            coaching: [
                "Name the feeling before the fix: one sentence, every call.",
                "Give a time with every promise, and call back at that time.",
                "Replace 'policy' with what we can do today.",
                "Use the customer's name and situation in the first minute.",
            ],
            kudos: [
                "You turned a furious caller into a thank-you. Lovely work.",
                "Thank you for staying on the line until the plumber confirmed.",
                "Your calm on the flood claim call was a lesson for all of us.",
                "You called back exactly when you said you would. That's the promise kept.",
                "Thanks for covering my queue today!",
                "The customer wrote in to say you made a hard week easier.",
            ],
            dispute: "The transfer was what the customer asked for; I don't think it's passing the buck.",
            story_title: "The plumber who finally came",
            story_did: "Stayed on the line, called the contractor herself and booked a slot for that evening.",
            story_outcome: "The customer renewed and recommended us to a neighbour.",
        },
        Locale::He => Phrases {
            review_up: [
                "היא קראה בשם לדאגה של הלקוח לפני הפתרון — זו אמפתיה.",
                "לקח אחריות ברורה; רשימת הביטויים פספסה את הניסוח.",
                "נשאר רגוע מול הצעקות; טוב יותר ממה שהציון אומר.",
            ],
            review_down: [
                "התנצלות מהשפה ולחוץ, בלי להכיר בשלוש השיחות הקודמות.",
                "הבטחה לחזור בלי שעה — זו לא אחריות אמיתית.",
                "הקריא את המדיניות במקום להסביר מה היא אומרת עבורם.",
            ],
            coaching: [
                "לקרוא בשם לתחושה לפני הפתרון: משפט אחד, בכל שיחה.",
                "לתת שעה לכל הבטחה ולחזור בדיוק בשעה הזאת.",
                "להחליף את 'זו המדיניות' במה שאפשר לעשות היום.",
                "להשתמש בשם הלקוח ובמצב שלו כבר בדקה הראשונה.",
            ],
            kudos: [
                "הפכת לקוח זועם ללקוח שאומר תודה. עבודה יפה.",
                "תודה שנשארת על הקו עד שהשרברב אישר הגעה.",
                "השקט שלך בשיחה על תביעת ההצפה היה שיעור לכולנו.",
                "חזרת ללקוח בדיוק בשעה שהבטחת. ככה שומרים על הבטחה.",
                "תודה שכיסית לי את התור היום!",
                "הלקוחה כתבה לנו שעשית לה שבוע קשה לקל יותר.",
            ],
            dispute: "הלקוח ביקש את ההעברה בעצמו; אני לא חושב/ת שזה גלגול אחריות.",
            story_title: "השרברב שסוף סוף הגיע",
            story_did: "נשארה על הקו, התקשרה בעצמה לקבלן וקבעה הגעה לאותו ערב.",
            story_outcome: "הלקוח חידש את הפוליסה והמליץ עלינו לשכן.",
        },
        Locale::El => Phrases {
            review_up: [
                "Ονόμασε την ανησυχία του πελάτη πριν από τη λύση — αυτή είναι ενσυναίσθηση.",
                "Ανέλαβε ξεκάθαρα την ευθύνη· η λίστα φράσεων έχασε τη διατύπωση.",
                "Έμεινε ήρεμος παρά τις φωνές· καλύτερα απ' όσο λέει ο βαθμός.",
            ],
            review_down: [
                "Τυπική συγγνώμη, χωρίς αναγνώριση των τριών κλήσεων.",
                "Υποσχέθηκε να καλέσει πίσω χωρίς ώρα — όχι πραγματική ανάληψη ευθύνης.",
                "Διάβασε την πολιτική αντί να εξηγήσει τι σημαίνει για τον πελάτη.",
            ],
            coaching: [
                "Ονόμασε το συναίσθημα πριν από τη λύση: μία πρόταση, σε κάθε κλήση.",
                "Δώσε ώρα σε κάθε υπόσχεση και κάλεσε πίσω ακριβώς τότε.",
                "Αντικατάστησε το «είναι πολιτική» με αυτό που μπορούμε να κάνουμε σήμερα.",
                "Χρησιμοποίησε το όνομα και την κατάσταση του πελάτη από το πρώτο λεπτό.",
            ],
            kudos: [
                "Έκανες έναν έξαλλο πελάτη να σε ευχαριστεί. Υπέροχη δουλειά.",
                "Ευχαριστώ που έμεινες στη γραμμή μέχρι να επιβεβαιώσει ο υδραυλικός.",
                "Η ψυχραιμία σου στην κλήση για την πλημμύρα ήταν μάθημα για όλους μας.",
                "Κάλεσες πίσω ακριβώς την ώρα που είπες. Έτσι κρατάμε την υπόσχεση.",
                "Ευχαριστώ που κάλυψες την ουρά μου σήμερα!",
                "Η πελάτισσα μας έγραψε ότι της έκανες μια δύσκολη εβδομάδα πιο εύκολη.",
            ],
            dispute: "Τη μεταφορά τη ζήτησε ο ίδιος ο πελάτης· δεν νομίζω ότι είναι μετάθεση ευθύνης.",
            story_title: "Ο υδραυλικός που τελικά ήρθε",
            story_did: "Έμεινε στη γραμμή, τηλεφώνησε η ίδια στον συνεργάτη και έκλεισε ραντεβού για το ίδιο βράδυ.",
            story_outcome: "Ο πελάτης ανανέωσε το συμβόλαιο και μας σύστησε σε έναν γείτονα.",
        },
    }
}

fn first_name(full: &str) -> &str {
    full.split_whitespace().next().unwrap_or(full)
}

/// Seeds the frontline; returns how many conversations it stored.
pub async fn seed(
    store: &dyn Storage,
    actor: Actor,
    rng: &mut StdRng,
    agents: &[User],
    managers: &[User],
    n: usize,
    progress: super::Progress<'_>,
) -> anyhow::Result<usize> {
    let org = actor.org_id;
    // Skill varies per agent; the Greek demo login is a strong agent worth showing.
    let skills: Vec<f64> = agents
        .iter()
        .map(|a| {
            if a.email.as_str() == "agent@demo.test" {
                0.85
            } else {
                rng.gen_range(0.2..0.95)
            }
        })
        .collect();
    let demo_agents: Vec<DemoAgent> = agents
        .iter()
        .zip(&skills)
        .map(|(a, s)| DemoAgent {
            email: a.email.as_str(),
            first_name: first_name(&a.display_name),
            locale: a.locale,
            skill: *s,
        })
        .collect();
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
    let demo_customers: Vec<DemoCustomer> = customers
        .iter()
        .map(|c| DemoCustomer {
            external_id: c.external_id.as_str(),
            first_name: first_name(&c.name),
            locale: c.locale,
        })
        .collect();
    let mut touchpoints = Vec::new();
    for j in store.list_journeys(org).await? {
        for st in store.get_journey(org, j.id).await?.stages {
            for tp in st.touchpoints {
                touchpoints.push((tp.id.0, tp.channel));
            }
        }
    }
    let now = Utc::now();
    let conversations = generate(rng, n, &demo_agents, &demo_customers, &touchpoints, now, 6);
    let total = conversations.len() as u64;

    // The engine runs on every core; storage then takes them in order.
    let rubric = Rubric::default_rubric();
    let analysed: Vec<_> = conversations
        .par_iter()
        .map(|c| analyse(&c.transcript, &rubric).0)
        .collect();
    let mut ids = Vec::with_capacity(conversations.len());
    for (i, (c, a)) in conversations.iter().zip(&analysed).enumerate() {
        let (id, _) = store.store_conversation(actor, &c.transcript, now).await?;
        store.save_conversation_analysis(org, id, a, now).await?;
        ids.push((id, c.scenario));
        if i % 100 == 99 {
            progress("conversations", i as u64 + 1, total);
        }
    }
    // Analysed above, so the queued analysis jobs have nothing left to do.
    store
        .complete_queued_jobs(JOB_ANALYZE_CONVERSATION, Utc::now())
        .await?;
    progress("conversations", total, total);

    let by_id: HashMap<UserId, &User> = agents.iter().chain(managers).map(|u| (u.id, u)).collect();
    let lead_of = |team: Option<TeamId>| {
        managers
            .iter()
            .find(|m| m.role == Role::TeamLead && m.team_id == team && team.is_some())
    };
    let summaries = store
        .list_conversations(
            org,
            &ConversationFilter {
                limit: 5000,
                analysed_only: true,
                ..Default::default()
            },
        )
        .await?;

    // Reviews by the agent's lead on about one conversation in twelve; a third override a score.
    for c in &summaries {
        if !rng.gen_bool(1.0 / 12.0) {
            continue;
        }
        let Some(agent) = c.agent_id.and_then(|a| by_id.get(&a)) else {
            continue;
        };
        let Some(lead) = lead_of(agent.team_id) else {
            continue;
        };
        let e = store.get_evaluation(org, c.id).await?;
        let p = phrases(lead.locale);
        let mut overrides = Vec::new();
        if rng.gen_bool(0.35) {
            let scored: Vec<&CriterionResult> = e
                .criteria
                .iter()
                .filter(|c| c.auto_score.is_some())
                .collect();
            if let Some(cr) = scored.choose(rng) {
                let auto = i32::from(cr.auto_score.unwrap_or(50));
                let up = rng.gen_bool(0.5);
                let delta = rng.gen_range(5..30);
                let score = (if up { auto + delta } else { auto - delta }).clamp(0, 100) as u8;
                let reasons = if up { &p.review_up } else { &p.review_down };
                overrides.push(Override {
                    criterion: cr.name.clone(),
                    score,
                    reason: reasons[rng.gen_range(0..reasons.len())].to_string(),
                });
            }
        }
        let review = Review {
            overrides,
            coaching_note: None,
        };
        let at = c.started_at + Duration::days(rng.gen_range(1..4));
        store
            .review_evaluation(Actor::user(org, lead.id), c.id, &review, at.min(now))
            .await?;
        let pa = phrases(agent.locale);
        match rng.gen_range(0..10) {
            0 => {
                store
                    .respond_to_evaluation(
                        Actor::user(org, agent.id),
                        c.id,
                        EvaluationStatus::Disputed,
                        Some(pa.dispute),
                    )
                    .await?;
            }
            1..=6 => {
                store
                    .respond_to_evaluation(
                        Actor::user(org, agent.id),
                        c.id,
                        EvaluationStatus::Acknowledged,
                        None,
                    )
                    .await?;
            }
            _ => {}
        }
    }

    // Coaching: each lead works with the two agents whose empathy is lowest this quarter.
    let rows = store
        .scored_conversations(org, None, None, now - Duration::days(120))
        .await?;
    let today = now.date_naive();
    for lead in managers.iter().filter(|m| m.role == Role::TeamLead) {
        let mut team: Vec<(UserId, f64)> = agents
            .iter()
            .filter(|a| a.team_id == lead.team_id)
            .map(|a| {
                let v: Vec<f64> = rows
                    .iter()
                    .filter(|r| r.agent_id == a.id)
                    .filter_map(|r| r.scores.get("empathy").map(|s| f64::from(*s)))
                    .collect();
                (a.id, v.iter().sum::<f64>() / v.len().max(1) as f64)
            })
            .collect();
        team.sort_by(|a, b| a.1.total_cmp(&b.1));
        let p = phrases(lead.locale);
        for (i, (agent, _)) in team.iter().take(2).enumerate() {
            let discussed: Vec<ConversationId> = summaries
                .iter()
                .filter(|c| c.agent_id == Some(*agent))
                .take(2)
                .map(|c| c.id)
                .collect();
            store
                .create_coaching(
                    Actor::user(org, lead.id),
                    &NewCoaching {
                        agent_id: *agent,
                        focus: if i == 0 { "empathy" } else { "ownership" }.into(),
                        agreed: p.coaching[rng.gen_range(0..p.coaching.len())].into(),
                        conversation_ids: discussed,
                        follow_up_on: today + Duration::days(rng.gen_range(7..28)),
                    },
                    now - Duration::days(rng.gen_range(20..60)),
                )
                .await?;
        }
    }

    // Listening: every manager logs some time this month; a few reach the four hours.
    let month_start = today.with_day(1).unwrap_or(today);
    let days_in = (today - month_start).num_days().max(0);
    for m in managers {
        let sessions = rng.gen_range(1..10);
        let pool: Vec<&ConversationSummary> = summaries
            .iter()
            .filter(|c| m.role != Role::TeamLead || c.team_id == m.team_id)
            .take(200)
            .collect();
        for _ in 0..sessions {
            let conv = pool.choose(rng).map(|c| c.id);
            store
                .log_listening(
                    Actor::user(org, m.id),
                    &NewListening {
                        minutes: rng.gen_range(10..45),
                        conversation_id: conv,
                        listened_on: month_start + Duration::days(rng.gen_range(0..=days_in)),
                        note: None,
                    },
                    now,
                )
                .await?;
        }
    }

    // Recognition: leads thank agents for the praise customers gave; colleagues thank each other.
    let suggestions = store.praise_suggestions(org, None, 60).await?;
    for s in suggestions.iter().take(40) {
        let Some(agent) = by_id.get(&s.agent_id) else {
            continue;
        };
        let Some(lead) = lead_of(agent.team_id) else {
            continue;
        };
        let p = phrases(lead.locale);
        store
            .give_kudos(
                Actor::user(org, lead.id),
                &NewKudos {
                    to_user: agent.id,
                    message: p.kudos[rng.gen_range(0..4)].into(),
                    public: true,
                    conversation_id: s.conversation_id,
                    response_id: s.response_id,
                },
                s.at + Duration::hours(rng.gen_range(2..48)),
            )
            .await?;
    }
    for _ in 0..60 {
        let (Some(from), Some(to)) = (agents.choose(rng), agents.choose(rng)) else {
            break;
        };
        if from.id == to.id {
            continue;
        }
        let p = phrases(from.locale);
        store
            .give_kudos(
                Actor::user(org, from.id),
                &NewKudos {
                    to_user: to.id,
                    message: p.kudos[rng.gen_range(0..p.kudos.len())].into(),
                    public: rng.gen_bool(0.7),
                    conversation_id: None,
                    response_id: None,
                },
                now - Duration::days(rng.gen_range(0..90)),
            )
            .await?;
    }

    // Legacy stories from praised conversations: most approved, a few waiting.
    let praised: Vec<&ConversationSummary> = summaries
        .iter()
        .filter(|c| {
            ids.iter()
                .any(|(id, s)| *id == c.id && matches!(s, Scenario::Praise | Scenario::AngryCalmed))
        })
        .take(8)
        .collect();
    for (i, c) in praised.iter().enumerate() {
        let Some(agent) = c.agent_id.and_then(|a| by_id.get(&a)) else {
            continue;
        };
        let Some(lead) = lead_of(agent.team_id) else {
            continue;
        };
        let detail = store.get_conversation(org, c.id).await?;
        let words = detail
            .turns
            .iter()
            .rev()
            .find(|t| t.speaker == rapport_domain::conversation::Speaker::Customer)
            .map(|t| t.text.clone())
            .unwrap_or_default();
        let p = phrases(agent.locale);
        let story = store
            .create_story(
                Actor::user(org, lead.id),
                &NewStory {
                    agent_id: agent.id,
                    title: p.story_title.into(),
                    value: if i % 2 == 0 { "ownership" } else { "empathy" }.into(),
                    customer_words: words,
                    agent_did: p.story_did.into(),
                    outcome: p.story_outcome.into(),
                    conversation_id: Some(c.id),
                    response_id: None,
                },
                now,
            )
            .await?;
        if i < 6 {
            store
                .approve_story(Actor::user(org, lead.id), story.id)
                .await?;
        }
    }

    // Shift check-ins over the last four weeks: most agents answer on most working days.
    for back in 0..28 {
        let day = today - Duration::days(back);
        if matches!(day.weekday(), chrono::Weekday::Sat) {
            continue;
        }
        for a in agents {
            let Some(team) = a.team_id else { continue };
            if rng.gen_bool(0.65) {
                let mood = rng.gen_range(2..=5);
                store.check_in(org, a.id, team, day, mood).await?;
            }
        }
    }
    // Manager 360: most of each team rates its lead this quarter and last.
    for period in [quarter_of(today), quarter_of(today - Duration::days(92))] {
        for a in agents {
            let Some(lead) = lead_of(a.team_id) else {
                continue;
            };
            if rng.gen_bool(0.85) {
                let mut trait_score = || rng.gen_range(2..=5);
                let rating = ManagerRating {
                    authenticity: trait_score(),
                    humility: trait_score(),
                    connectedness: trait_score(),
                    care: trait_score(),
                };
                store
                    .rate_manager(org, a.id, lead.id, &period, &rating)
                    .await?;
            }
        }
    }
    Ok(conversations.len())
}
