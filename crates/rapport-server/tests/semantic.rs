//! The semantic tier end to end, on both backends: responses are analysed and embedded by the
//! worker, `GET /api/v1/search/similar` finds verbatims by meaning across languages, vectors
//! go with their response, and without the model file the fast tier answers instead.
//!
//! The model-backed check needs `e5-small-q4.bin` (`rapport models fetch`); without it that
//! check prints why and returns.

mod common;

use std::time::Duration;

use common::{Caller, TestApp};
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::{testing::TestDb, Actor};
use reqwest::Method;
use serde_json::{json, Value};

on_both!(
    similar_falls_back_to_the_fast_tier,
    similar_finds_meaning_across_languages
);

/// A published survey; returns (manager, team lead, survey id).
async fn setup_survey(app: &TestApp, slug: &str) -> (Caller, Caller, i64) {
    let (org, callers) = app.callers(slug).await;
    let a = Actor::system(org.id);
    let j = app
        .store
        .create_journey(
            a,
            &NewJourney {
                name: Name::parse("n", "Service").unwrap(),
                description: None,
                locale: Locale::En,
            },
        )
        .await
        .unwrap();
    let tp = app
        .store
        .create_touchpoint(
            a,
            &NewTouchpoint {
                stage_id: j.stages[3].stage.id,
                name: Name::parse("n", "Service line").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let by_role = |r: Role| callers.iter().find(|c| c.user.role == r).unwrap().clone();
    let (manager, lead) = (by_role(Role::CxManager), by_role(Role::TeamLead));
    let (s, body) = app
        .api(
            &manager,
            Method::POST,
            "/api/v1/surveys",
            Some(json!({"touchpoint_id": tp.id.0, "name": "After the call"})),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let (s, _) = app
        .api(
            &manager,
            Method::POST,
            &format!("/api/v1/surveys/{id}/publish"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    (manager, lead, id)
}

/// Submit comments (the first from a known customer) and wait until the worker has analysed
/// them all; returns their ids and the customer's.
async fn answer(
    app: &TestApp,
    c: &Caller,
    survey: i64,
    comments: &[(i32, &str)],
) -> (Vec<i64>, CustomerId) {
    let customer = app
        .store
        .create_customer(
            Actor::system(c.user.org_id),
            &NewCustomer {
                external_id: Name::parse("x", "C-1").unwrap(),
                name: Name::parse("n", "Dana Levi").unwrap(),
                locale: Locale::En,
                email: None,
                phone: None,
                consent: Consent {
                    email: false,
                    sms: false,
                    research: false,
                },
            },
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (i, (nps, text)) in comments.iter().enumerate() {
        // The standard survey asks detractors why low and promoters why high.
        let why = if *nps <= 6 { "why_low" } else { "why_high" };
        let mut body = json!({"answers": {"nps": nps, why: text}});
        if i == 0 {
            body["customer_id"] = json!(customer.id.0);
        }
        let (s, r) = app
            .api(
                c,
                Method::POST,
                &format!("/api/v1/surveys/{survey}/responses"),
                Some(body),
            )
            .await;
        assert_eq!(s, 201, "{r}");
        ids.push(r["id"].as_i64().unwrap());
    }
    for id in &ids {
        let mut analysed = false;
        for _ in 0..300 {
            let (_, r) = app
                .api(c, Method::GET, &format!("/api/v1/responses/{id}"), None)
                .await;
            if !r["analysis"].is_null() {
                analysed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(analysed, "response {id} not analysed within 30 s");
    }
    (ids, customer.id)
}

async fn similar(app: &TestApp, c: &Caller, query: &str) -> (u16, Value) {
    app.api(
        c,
        Method::GET,
        &format!("/api/v1/search/similar?{query}"),
        None,
    )
    .await
}

const COMMENTS: [(i32, &str); 6] = [
    (
        2,
        "I waited on hold for over an hour before anyone answered.",
    ),
    (1, "חיכיתי על הקו שעה וחצי עד שמישהו ענה לי."),
    (
        3,
        "Περίμενα στο τηλέφωνο πάνω από μία ώρα μέχρι να απαντήσει κάποιος.",
    ),
    (
        10,
        "The technician was friendly and fixed the boiler in ten minutes.",
    ),
    (6, "The invoice shows a charge I do not recognise."),
    (9, "Η εφαρμογή είναι εύκολη και γρήγορη στη χρήση."),
];

async fn similar_falls_back_to_the_fast_tier(db: TestDb) {
    let app = TestApp::spawn_on(db, |_| {}).await;
    let (manager, lead, survey) = setup_survey(&app, "fast").await;
    let (ids, _) = answer(&app, &manager, survey, &COMMENTS).await;

    let (s, body) = similar(&app, &lead, "text=").await;
    assert_eq!(
        (s, body["error"]["field"].as_str()),
        (422, Some("text")),
        "{body}"
    );
    let (s, body) = similar(&app, &lead, "text=hold&limit=0").await;
    assert_eq!(
        (s, body["error"]["field"].as_str()),
        (422, Some("limit")),
        "{body}"
    );
    let (s, body) = similar(&app, &lead, "text=hold&scope=everything").await;
    assert!(s == 400 && body["error"]["field"] == "scope", "{s} {body}");

    let (s, body) = similar(
        &app,
        &lead,
        "text=I%20was%20kept%20waiting%20on%20hold%20forever",
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["tier"], "fast");
    let hits: Vec<i64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["response_id"].as_i64().unwrap())
        .collect();
    // Complaints on the query's topic rank first; the invoice (another topic) never shows.
    assert!(hits[..2].contains(&ids[0]), "{body}");
    assert!(!hits.contains(&ids[4]), "nothing off-topic: {body}");
    assert!(body["items"][0]["score"].as_f64() > body["items"][2]["score"].as_f64());
    let (browser, _) = app.browser_login(&lead.user.email.to_string()).await;
    let (_, page) = common::get_page(&browser, &app, &format!("/responses/{}", ids[0])).await;
    assert!(!page.contains("Similar in meaning"));
    assert_eq!(
        app.store
            .embedding_count(manager.user.org_id)
            .await
            .unwrap(),
        0
    );
}

async fn similar_finds_meaning_across_languages(db: TestDb) {
    let dir = rapport_embed::default_model_dir();
    if !dir.join(rapport_embed::MODEL_FILE).exists() {
        eprintln!(
            "skipping: model file not found in {} (run `rapport models fetch`)",
            dir.display()
        );
        return;
    }
    let app = TestApp::spawn_on(db, |c| c.model_dir = Some(dir)).await;
    let (manager, lead, survey) = setup_survey(&app, "sem").await;
    let (ids, customer) = answer(&app, &manager, survey, &COMMENTS).await;
    let org = manager.user.org_id;
    // The analysis job stores the embedding right after the analysis.
    for _ in 0..100 {
        if app.store.embedding_count(org).await.unwrap() == COMMENTS.len() as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.store.embedding_count(org).await.unwrap(),
        COMMENTS.len() as i64
    );

    let (s, body) = similar(
        &app,
        &lead,
        "text=nobody%20picked%20up%20the%20phone%2C%20I%20was%20on%20hold%20for%20ages&scope=responses&limit=3",
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["tier"], "semantic");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{body}");
    let top: Vec<i64> = items
        .iter()
        .map(|h| h["response_id"].as_i64().unwrap())
        .collect();
    // The waiting complaints in all three languages come first.
    let mut expected = vec![ids[0], ids[1], ids[2]];
    let mut got = top.clone();
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected, "{body}");
    let scores: Vec<f64> = items.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );

    // The response page lists the nearest verbatims, whatever their language.
    let (browser, _) = app.browser_login(&lead.user.email.to_string()).await;
    let (s, page) = common::get_page(&browser, &app, &format!("/responses/{}", ids[0])).await;
    assert_eq!(s, 200);
    let section = &page[page.find("Similar in meaning").expect("a similar section")..];
    for other in [ids[1], ids[2]] {
        assert!(
            section.contains(&format!("href=\"/responses/{other}\"")),
            "response {other} listed: {section}"
        );
    }
    assert!(!section.contains(&format!("href=\"/responses/{}\"", ids[0])));
    // Without the model the page has no such section (see the fast-tier check).

    // A purged customer's response takes its vector with it, and search stops returning it.
    app.store
        .delete_customer(Actor::system(org), customer)
        .await
        .unwrap();
    assert_eq!(
        app.store.embedding_count(org).await.unwrap(),
        COMMENTS.len() as i64 - 1
    );
    let (_, body) = similar(
        &app,
        &lead,
        "text=on%20hold%20for%20an%20hour&scope=responses",
    )
    .await;
    assert!(
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["response_id"].as_i64() != Some(ids[0])),
        "{body}"
    );
    // Another organisation sees none of it.
    let (other, _, _) = setup_survey(&app, "sem-other").await;
    let (_, body) = similar(&app, &other, "text=on%20hold%20for%20an%20hour").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 0, "{body}");
}
