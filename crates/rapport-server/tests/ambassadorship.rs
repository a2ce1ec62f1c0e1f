//! Employee pulses end to end over real HTTP, the real worker and a local SMTP sink: personal
//! single-use links by e-mail, answers stored without the person, results suppressed below the
//! minimum group size (also against differencing), and customer behaviour events.
mod common;

use std::time::Duration;

use common::smtp::{spawn_sink, Inbox};
use common::{get_page, post_form, Caller, TestApp};
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::{testing, Actor};
use reqwest::Method;
use serde_json::{json, Value};

on_both!(
    pulses_are_anonymous_and_small_groups_stay_hidden,
    behaviour_events_are_idempotent_and_measured,
    quarterly_pulses_open_once
);

struct World {
    app: TestApp,
    manager: Caller,
    inbox: Inbox,
    teams: Vec<TeamId>,
    customer: CustomerId,
    agents: Vec<UserId>,
}

async fn world(db: testing::TestDb) -> World {
    let (port, inbox) = spawn_sink().await;
    let app = TestApp::spawn_on(db, move |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.public_url = Some("http://rapport.example".into());
    })
    .await;
    let org = app.org("amb").await;
    let a = Actor::system(org.id);
    let manager = app
        .caller(
            org.id,
            "manager@amb.test",
            Role::CxManager,
            Locale::En,
            None,
        )
        .await;
    let mut teams = vec![];
    let mut agents = vec![];
    // Team sizes 6, 6 and 3: the small team must never show, nor be worked out.
    for (t, size, locale) in [
        ("Haifa", 6, Locale::He),
        ("Athens", 6, Locale::El),
        ("London", 3, Locale::En),
    ] {
        let team = app
            .store
            .create_team(
                a,
                &NewTeam {
                    name: Name::parse("n", t).unwrap(),
                    lead_id: None,
                },
            )
            .await
            .unwrap()
            .id;
        for i in 0..size {
            let u = app
                .store
                .create_user(
                    a,
                    &NewUser {
                        email: Email::parse("e", &format!("{}{i}@amb.test", t.to_lowercase()))
                            .unwrap(),
                        display_name: Name::parse("n", &format!("{t} {i}")).unwrap(),
                        role: Role::Agent,
                        team_id: Some(team),
                        locale,
                        password_hash: None,
                    },
                )
                .await
                .unwrap();
            agents.push(u.id);
        }
        teams.push(team);
    }
    let customer = app
        .store
        .create_customer(
            a,
            &NewCustomer {
                external_id: Name::parse("x", "C-1").unwrap(),
                name: Name::parse("n", "Νίκος").unwrap(),
                locale: Locale::El,
                email: None,
                phone: None,
                consent: Consent::default(),
            },
        )
        .await
        .unwrap()
        .id;
    World {
        app,
        manager,
        inbox,
        teams,
        customer,
        agents,
    }
}

async fn wait_for(inbox: &Inbox, n: usize) -> Vec<common::smtp::Mail> {
    for _ in 0..300 {
        let got = inbox.lock().unwrap().clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {n} messages, got {}", inbox.lock().unwrap().len());
}

fn link(text: &str) -> String {
    let start = text
        .find("http://rapport.example/pulse/")
        .expect("a pulse link");
    text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .replace("http://rapport.example", "")
}

async fn answer(app: &TestApp, path: &str, enps: i32, agree: i32) -> (u16, String) {
    let client = TestApp::client();
    let (status, page) = get_page(&client, app, path).await;
    assert_eq!(status, 200, "{path}");
    let mut fields: Vec<(String, String)> = vec![("a.enps".into(), enps.to_string())];
    for q in rapport_domain::ambassadorship::default_pulse()
        .questions
        .iter()
        .skip(1)
    {
        fields.push((format!("a.{}", q.key), agree.to_string()));
    }
    let csrf = common::extract_csrf(&page);
    fields.push(("csrf".into(), csrf));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, _, body) = post_form(&client, app, path, &refs).await;
    (status, body)
}

async fn pulses_are_anonymous_and_small_groups_stay_hidden(db: testing::TestDb) {
    let w = world(db).await;
    let app = &w.app;
    let (status, pulse) = app
        .api(
            &w.manager,
            Method::POST,
            "/api/v1/pulses",
            Some(json!({"title": "Autumn pulse"})),
        )
        .await;
    assert_eq!(status, 201, "{pulse}");
    let id = pulse["id"].as_i64().unwrap();
    let (status, bad) = app
        .api(
            &w.manager,
            Method::POST,
            "/api/v1/pulses",
            Some(json!({"title": "x", "period": "2026-Q9"})),
        )
        .await;
    assert_eq!(
        (status, bad["error"]["field"].as_str()),
        (422, Some("period"))
    );
    let (_, opened) = app
        .api(
            &w.manager,
            Method::POST,
            &format!("/api/v1/pulses/{id}/open"),
            None,
        )
        .await;
    assert_eq!(opened["invited"], 15);
    let mails = wait_for(&w.inbox, 15).await;
    let mut links: std::collections::HashMap<String, String> = Default::default();
    for m in &mails {
        links.insert(m.to[0].clone(), link(&m.text()));
    }
    let he = &links["haifa0@amb.test"];
    let client = TestApp::client();
    let (_, page) = get_page(&client, app, he).await;
    assert!(
        page.contains("dir=\"rtl\""),
        "a Hebrew employee answers right to left"
    );
    assert!(page.contains("אני גאה לספר לאנשים איפה אני עובד/ת."));

    // A bad answer names the question and stores nothing; the link still works.
    let (status, body) = answer(app, he, 11, 5).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("enps"));
    // Four of Haifa answer, all of Athens, all of London.
    for (email, l) in &links {
        let n: usize = email
            .trim_start_matches(|c: char| c.is_alphabetic())
            .split('@')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        if email.starts_with("haifa") && n >= 4 {
            continue;
        }
        let (status, body) =
            answer(app, l, if email.starts_with("athens") { 10 } else { 6 }, 6).await;
        assert_eq!(status, 200, "{email}: {body}");
    }
    let (status, _) = get_page(&TestApp::client(), app, he).await;
    assert_eq!(status, 410, "a link admits one answer");

    // Nothing joins an answer to a person: used invitations are gone, answers have no person.
    let (_, p) = app
        .api(
            &w.manager,
            Method::GET,
            &format!("/api/v1/pulses/{id}"),
            None,
        )
        .await;
    assert_eq!(
        (p["answered"].clone(), p["invited"].clone()),
        (json!(13), json!(15))
    );
    let audit = app
        .store
        .list_audit(
            app.store.organisation_by_slug("amb").await.unwrap().id,
            1000,
        )
        .await
        .unwrap();
    assert!(
        audit.iter().all(|e| e.entity != "pulse_response"),
        "submissions are not audited"
    );

    let (_, results) = app
        .api(&w.manager, Method::GET, "/api/v1/pulse-results", None)
        .await;
    let groups = results.as_array().unwrap();
    let by = |team: Option<TeamId>| {
        groups
            .iter()
            .find(|g| g["team_id"] == json!(team.map(|t| t.0)))
            .unwrap()
            .clone()
    };
    let (haifa, athens, london, org) = (
        by(Some(w.teams[0])),
        by(Some(w.teams[1])),
        by(Some(w.teams[2])),
        by(None),
    );
    assert_eq!(haifa["suppressed"], true, "4 answers < 5");
    assert_eq!(london["suppressed"], true, "3 answers < 5");
    assert_eq!(athens["suppressed"], false);
    assert_eq!(athens["enps"], 100.0);
    assert_eq!(org["n"], 13);
    for g in [&haifa, &london] {
        assert_eq!(
            (g["n"].clone(), g["enps"].clone(), g["customer"].clone()),
            (Value::Null, Value::Null, Value::Null)
        );
    }
    // Now London alone is small and the total is shown: London = total − Haifa − Athens would
    // leak, so a second group is hidden too.
    for (email, l) in &links {
        if email.starts_with("haifa4") {
            answer(app, l, 0, 1).await;
        }
    }
    let (_, results) = app
        .api(&w.manager, Method::GET, "/api/v1/pulse-results", None)
        .await;
    let hidden = results
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["team_id"] != Value::Null && g["suppressed"] == true)
        .count();
    assert!(hidden >= 2, "secondary suppression: {results}");
}

async fn behaviour_events_are_idempotent_and_measured(db: testing::TestDb) {
    let w = world(db).await;
    let app = &w.app;
    let path = format!("/api/v1/customers/{}/events", w.customer.0);
    let now = chrono::Utc::now();
    let ev = json!({"kind": "purchase", "occurred_at": (now - chrono::Duration::hours(3)).to_rfc3339(), "external_id": "crm-1", "agent_id": w.agents[0].0, "amount": 120.5});
    let (status, first) = app
        .api(&w.manager, Method::POST, &path, Some(ev.clone()))
        .await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = app.api(&w.manager, Method::POST, &path, Some(ev)).await;
    assert_eq!(
        (status, again["id"].clone(), again["created"].clone()),
        (200, first["id"].clone(), json!(false))
    );
    let (status, err) = app
        .api(
            &w.manager,
            Method::POST,
            &format!("{path}/batch"),
            Some(json!([
                {"kind": "referral", "occurred_at": now.to_rfc3339(), "external_id": "crm-2"},
                {"kind": "teleport", "occurred_at": now.to_rfc3339(), "external_id": "crm-3"}
            ])),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    let (_, events) = app.api(&w.manager, Method::GET, &path, None).await;
    assert_eq!(
        events.as_array().unwrap().len(),
        1,
        "a bad batch stores nothing"
    );
    assert_eq!(
        events[0]["team_id"],
        json!(w.teams[0].0),
        "the agent's team is recorded"
    );

    // A conversation with the customer makes them "served" by Haifa this quarter.
    let agent_email = "haifa0@amb.test";
    let t = rapport_domain::conversation::parse_json(
        &json!({"id": "c-1", "channel": "phone", "agent": agent_email, "customer": "C-1",
                "started_at": (now - chrono::Duration::hours(1)).to_rfc3339(),
                "turns": [{"speaker": "customer", "text": "Hello"}]})
        .to_string(),
    )
    .unwrap();
    let org = app.store.organisation_by_slug("amb").await.unwrap().id;
    app.store
        .store_conversation(Actor::system(org), &t, now)
        .await
        .unwrap();
    // Bought again online afterwards: no agent, so not a contact, but a repeat purchase.
    let upgrade = json!({"kind": "upgrade", "occurred_at": (now - chrono::Duration::minutes(30)).to_rfc3339(), "external_id": "crm-9"});
    let (status, _) = app
        .api(&w.manager, Method::POST, &path, Some(upgrade))
        .await;
    assert_eq!(status, 201);
    let (status, b) = app
        .api(
            &w.manager,
            Method::GET,
            "/api/v1/behaviour?quarters=1",
            None,
        )
        .await;
    assert_eq!(status, 200, "{b}");
    let haifa = b
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["team_id"] == json!(w.teams[0].0))
        .unwrap();
    assert_eq!(haifa["customers"], 1);
    assert_eq!(haifa["repeat_purchase_90d"], 1.0);
    assert_eq!(haifa["retention_90d"], 1.0);
    let (status, err) = app
        .api(
            &w.manager,
            Method::GET,
            "/api/v1/behaviour?quarters=99",
            None,
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("quarters"))
    );
}

/// The demo's behaviour is generated from a known relation (commitment to the customer this
/// quarter → lower churn next quarter); the linkage must find it, and say plainly what it found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_link_is_recovered() {
    let app = TestApp::spawn_on(testing::sqlite(), |_| {}).await;
    let world = rapport_server::demo::seed(
        &*app.store,
        rapport_server::demo::DemoSize {
            agents_per_team: 6,
            customers: 2400,
            responses: 400,
            cases: 5,
            conversations: 40,
        },
        &|_, _, _| {},
    )
    .await
    .unwrap();
    let viewer = app
        .caller(
            world.org.id,
            "exec2@demo.test",
            Role::Viewer,
            Locale::En,
            None,
        )
        .await;
    let (status, l) = app
        .api(
            &viewer,
            Method::GET,
            "/api/v1/linkage?ex=ambassadorship.customer&cx=churn_90d&lag=1",
            None,
        )
        .await;
    assert_eq!(status, 200, "{l}");
    let n = l["stats"]["spearman"]["n"].as_u64().unwrap();
    assert!(n >= 20, "one point per team and quarter: {n}");
    let rho = l["stats"]["spearman"]["coefficient"].as_f64().unwrap();
    let hi = l["stats"]["spearman"]["ci_high"].as_f64().unwrap();
    assert!(
        rho < -0.3 && hi < 0.0,
        "commitment lowers churn: {}",
        l["stats"]
    );
    let reading = l["reading"].as_str().unwrap();
    assert!(reading.contains("had lower 90-day churn"), "{reading}");
    assert!(l["points"].as_array().unwrap().len() as u64 == n);
    assert!(l["nps_comparison"].is_object());
    assert!(
        l["regression"]["coefficients"].as_array().unwrap().len() == 4
            || l["regression_error"].is_string()
    );

    let (status, err) = app
        .api(
            &viewer,
            Method::GET,
            "/api/v1/linkage?ex=happiness&cx=churn_90d",
            None,
        )
        .await;
    assert_eq!((status, err["error"]["field"].as_str()), (422, Some("ex")));
}

/// Quarterly pulses: once switched on, a sweep opens this quarter's pulse and invites everyone;
/// a second sweep (another worker) opens nothing more.
async fn quarterly_pulses_open_once(db: testing::TestDb) {
    let url = db.url.clone();
    let w = world(db).await;
    let app = &w.app;
    let (status, s) = app
        .api(
            &w.manager,
            Method::PUT,
            "/api/v1/pulse-schedule",
            Some(json!({"quarterly": true})),
        )
        .await;
    assert_eq!((status, s["quarterly"].clone()), (200, json!(true)));
    let mut config = rapport_server::Config::new(url, "127.0.0.1:0".parse().unwrap());
    config.public_url = Some("http://rapport.example".into());
    let state = rapport_server::state::AppState {
        store: app.store.clone(),
        i18n: std::sync::Arc::new(rapport_server::i18n::I18n::load()),
        metrics: std::sync::Arc::new(rapport_server::metrics::Metrics::new("test")),
        config: std::sync::Arc::new(config),
        wake: std::sync::Arc::new(tokio::sync::Notify::new()),
        semantic: None,
    };
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(
        rapport_server::ambassadorship::open_scheduled_pulses(&state, now),
        rapport_server::ambassadorship::open_scheduled_pulses(&state, now)
    );
    // The app's own worker may get there first: whoever does, exactly one pulse opens.
    assert!(a.unwrap() + b.unwrap() <= 1, "two workers, one pulse");
    let (_, pulses) = app
        .api(&w.manager, Method::GET, "/api/v1/pulses", None)
        .await;
    let pulses = pulses.as_array().unwrap();
    assert_eq!(pulses.len(), 1);
    assert_eq!(pulses[0]["status"], "open");
    assert_eq!(
        pulses[0]["period"],
        rapport_server::ambassadorship::quarter(now)
    );
    assert_eq!(pulses[0]["invited"], 15);
    assert_eq!(
        rapport_server::ambassadorship::open_scheduled_pulses(&state, now)
            .await
            .unwrap(),
        0
    );
}
