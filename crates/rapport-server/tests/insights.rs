//! Metrics, drill-down and the insight pages against hand-computed values, on both backends.
//! Data is seeded through the storage API with known scores spread over two ISO weeks.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::{Caller, TestApp};
use rapport_domain::model::*;
use rapport_domain::survey::{default_definition, RawAnswer};
use rapport_domain::voc::*;
use rapport_domain::*;
use rapport_storage::Actor;
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(
    metrics_match_hand_computed_values,
    groups_and_weekly_series_drill_down_exactly,
    filters_and_agents_see_only_their_own,
    bad_parameters_name_the_field,
    journey_map_shows_touchpoints_and_the_weakest,
    insight_pages_drill_down_and_read_right_to_left,
);

struct Seeded {
    callers: Vec<Caller>,
    journey: i64,
    store_tp: i64,
    phone_tp: i64,
    ids: Vec<i64>,
    customer: i64,
}

/// One seeded response: (touchpoint index, day offset from Monday 2026-03-02 (W10), nps, csat,
/// ces, (expectation, experience), by the agent, comment).
type Spec = (
    usize,
    i64,
    i32,
    i32,
    Option<i32>,
    Option<(i32, i32)>,
    bool,
    Option<&'static str>,
);

const SPECS: [Spec; 11] = [
    // The store visit: its promise ("ready in one hour") is not kept.
    (
        0,
        0,
        10,
        5,
        Some(6),
        Some((5, 6)),
        false,
        Some("The staff were lovely"),
    ),
    (
        0,
        1,
        3,
        2,
        Some(2),
        Some((7, 2)),
        false,
        Some("I waited three hours for glasses promised in one"),
    ),
    (0, 2, 6, 3, None, Some((6, 3)), false, None),
    (
        0,
        7,
        2,
        1,
        Some(1),
        Some((7, 1)),
        false,
        Some("Waiting again, nobody apologised"),
    ),
    (0, 8, 9, 4, Some(5), Some((5, 5)), false, None),
    (0, 9, 8, 4, None, None, false, None),
    // The phone line: warm and quick.
    (
        1,
        0,
        10,
        5,
        Some(7),
        None,
        true,
        Some("Dana on the phone was wonderful"),
    ),
    (1, 3, 10, 5, None, None, true, None),
    (1, 7, 9, 4, Some(6), None, false, None),
    (1, 8, 9, 5, None, None, true, None),
    (1, 11, 7, 3, None, None, false, None),
];

fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

async fn seed(app: &TestApp, slug: &str, lead_locale: Locale) -> Seeded {
    let (org, mut callers) = app.callers(slug).await;
    if lead_locale != Locale::En {
        callers[2] = app
            .caller(
                org.id,
                &format!("lead2@{slug}.test"),
                Role::TeamLead,
                lead_locale,
                None,
            )
            .await;
    }
    let a = Actor::system(org.id);
    let j = app
        .store
        .create_journey(
            a,
            &NewJourney {
                name: Name::parse("n", "Eyewear").unwrap(),
                description: None,
                locale: Locale::En,
            },
        )
        .await
        .unwrap();
    let store_tp = app
        .store
        .create_touchpoint(
            a,
            &NewTouchpoint {
                stage_id: j.stages[3].stage.id,
                name: Name::parse("n", "Store pickup").unwrap(),
                channel: Channel::InPerson,
                owner_id: None,
                promise: Some(Text::parse("p", "Your glasses ready in one hour").unwrap()),
                position: None,
            },
        )
        .await
        .unwrap();
    let phone_tp = app
        .store
        .create_touchpoint(
            a,
            &NewTouchpoint {
                stage_id: j.stages[1].stage.id,
                name: Name::parse("n", "Booking line").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let customer = app
        .store
        .create_customer(
            a,
            &NewCustomer {
                external_id: Name::parse("x", "C-77").unwrap(),
                name: Name::parse("n", "Eleni Papadopoulou").unwrap(),
                locale: Locale::El,
                email: None,
                phone: None,
                consent: Consent {
                    email: true,
                    sms: false,
                    research: true,
                },
            },
        )
        .await
        .unwrap();
    let manager = &callers[1];
    let mut surveys = vec![];
    for tp in [store_tp.id.0, phone_tp.id.0] {
        let (s, survey) = app
            .api(
                manager,
                Method::POST,
                "/api/v1/surveys",
                Some(json!({"touchpoint_id": tp, "name": "After the visit"})),
            )
            .await;
        assert_eq!(s, 201, "{survey}");
        let id = survey["id"].as_i64().unwrap();
        let (s, published) = app
            .api(
                manager,
                Method::POST,
                &format!("/api/v1/surveys/{id}/publish"),
                None,
            )
            .await;
        assert_eq!(s, 200, "{published}");
        surveys.push((SurveyId(id), published["version"].as_i64().unwrap()));
    }
    let def = default_definition();
    let agent = callers[3].user.id;
    let batch: Vec<NewResponse> = SPECS
        .iter()
        .enumerate()
        .map(|(i, &(tp, day, nps, csat, ces, pair, by_agent, comment))| {
            let mut raw = BTreeMap::from([
                ("nps".to_string(), RawAnswer::Number(nps as f64)),
                ("csat".to_string(), RawAnswer::Number(csat as f64)),
            ]);
            if let Some(c) = ces {
                raw.insert("ces".into(), RawAnswer::Number(c as f64));
            }
            if let Some((e, x)) = pair {
                raw.insert(
                    "promise".into(),
                    RawAnswer::Pair {
                        expectation: e as f64,
                        experience: x as f64,
                    },
                );
            }
            if let Some(c) = comment {
                raw.insert(
                    if nps >= 9 { "why_high" } else { "why_low" }.into(),
                    RawAnswer::Text(c.into()),
                );
            }
            NewResponse {
                survey_id: surveys[tp].0,
                version: surveys[tp].1,
                customer_id: (i == 1).then_some(customer.id),
                agent_id: by_agent.then_some(agent),
                invitation_id: None,
                locale: if tp == 0 { Locale::He } else { Locale::En },
                source: ResponseSource::Api,
                idempotency_key: Some(format!("seed-{i}")),
                external_id: None,
                submitted_at: monday() + chrono::Duration::days(day),
                answers: def.parse_answers(&raw).unwrap(),
            }
        })
        .collect();
    let ids: Vec<i64> = app
        .store
        .insert_responses(org.id, &batch)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _)| id.0)
        .collect();
    // Let the worker finish its own analyses first, so ours are the ones that stay.
    for _ in 0..200 {
        let busy = app
            .store
            .job_counts()
            .await
            .unwrap()
            .iter()
            .any(|(state, n)| (state == "queued" || state == "running") && *n > 0);
        if !busy {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (i, label, score, topics) in [
        (0usize, "positive", 0.7, vec!["staff"]),
        (1, "negative", -0.8, vec!["waiting"]),
        (3, "negative", -0.9, vec!["waiting", "staff"]),
        (6, "positive", 0.9, vec!["staff"]),
    ] {
        app.store
            .set_response_analysis(
                ResponseId(ids[i]),
                &ResponseAnalysis {
                    language: "en".into(),
                    sentiment_label: Some(label.into()),
                    sentiment_score: Some(score),
                    topics: topics.into_iter().map(String::from).collect(),
                    redacted_comment: None,
                    detail: json!({}),
                },
            )
            .await
            .unwrap();
    }
    Seeded {
        callers,
        journey: j.journey.id.0,
        store_tp: store_tp.id.0,
        phone_tp: phone_tp.id.0,
        ids,
        customer: customer.id.0,
    }
}

fn close(v: &Value, expected: f64) {
    let got = v
        .as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"));
    assert!(
        (got - expected).abs() < 1e-6,
        "expected {expected}, got {got}"
    );
}

async fn get(app: &TestApp, c: &Caller, path: &str) -> Value {
    let (s, body) = app.api(c, Method::GET, path, None).await;
    assert_eq!(s, 200, "{path}: {body}");
    body
}

async fn metrics_match_hand_computed_values(app: TestApp) {
    let d = seed(&app, "m", Locale::En).await;
    let viewer = &d.callers[4];
    let r = get(&app, viewer, "/api/v1/metrics?measure=all").await;
    let o = &r["overall"];
    // 11 answers: promoters 10, 9, 10, 10, 9, 9 (6); passives 8, 7 (2); detractors 3, 6, 2 (3).
    assert_eq!(o["n"], 11);
    assert_eq!(
        (
            o["nps"]["promoters"].as_i64(),
            o["nps"]["passives"].as_i64(),
            o["nps"]["detractors"].as_i64()
        ),
        (Some(6), Some(2), Some(3))
    );
    close(&o["nps"]["score"], 300.0 / 11.0);
    // p = 6/11, d = 3/11: 1.96 · √((p + d − (p − d)²) / 11) · 100 = 50.9669…
    close(
        &o["nps"]["margin"],
        1.96 * ((9.0 / 11.0 - (3.0f64 / 11.0).powi(2)) / 11.0).sqrt() * 100.0,
    );
    assert!((o["nps"]["margin"].as_f64().unwrap() - 50.967).abs() < 1e-3);
    // CSAT 5, 2, 3, 1, 4, 4, 5, 5, 4, 5, 3: seven of eleven are 4 or 5.
    close(&o["csat"]["value"], 700.0 / 11.0);
    assert_eq!(o["csat"]["n"], 11);
    // CES 6, 2, 1, 5, 7, 6 → 27 / 6.
    close(&o["ces"]["value"], 4.5);
    // Gap +1, −5, −3, −6, 0 → −13 / 5.
    close(&o["gap"]["value"], -2.6);
    assert_eq!(o["gap"]["n"], 5);
    // Sentiment 0.7, −0.8, −0.9, 0.9 → −0.1 / 4.
    close(&o["sentiment"]["value"], -0.025);
    // One measure at a time.
    let r = get(&app, viewer, "/api/v1/metrics?measure=gap").await;
    assert!(r["overall"].get("nps").is_none() && r["overall"].get("csat").is_none());
    close(&r["overall"]["gap"]["value"], -2.6);
}

async fn groups_and_weekly_series_drill_down_exactly(app: TestApp) {
    let d = seed(&app, "g", Locale::En).await;
    let lead = &d.callers[2];
    let r = get(
        &app,
        lead,
        "/api/v1/metrics?measure=nps&group_by=touchpoint&period=week",
    )
    .await;
    let groups = r["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    let store = groups
        .iter()
        .find(|g| g["key"].as_str() == Some(&*d.store_tp.to_string()))
        .unwrap();
    let phone = groups
        .iter()
        .find(|g| g["key"].as_str() == Some(&*d.phone_tp.to_string()))
        .unwrap();
    // Store: promoters 10, 9; passive 8; detractors 3, 6, 2 → (2 − 3) / 6.
    close(&store["nps"]["score"], -100.0 / 6.0);
    assert!((store["nps"]["margin"].as_f64().unwrap() - 71.817).abs() < 1e-3);
    // Phone: 10, 10, 9, 9 promoters, one 7 → 80 ± 35.06.
    close(&phone["nps"]["score"], 80.0);
    assert!((phone["nps"]["margin"].as_f64().unwrap() - 35.062).abs() < 1e-3);
    // Weekly series of the whole: W10 10, 3, 6, 10, 10 → 20; W11 2, 9, 8, 9, 9, 7 → 33.3.
    let series = r["overall"]["series"].as_array().unwrap();
    assert_eq!(
        series
            .iter()
            .map(|p| p["period"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["2026-W10", "2026-W11"]
    );
    close(&series[0]["nps"]["score"], 20.0);
    close(&series[1]["nps"]["score"], 100.0 / 3.0);
    assert_eq!(
        r["overall"]["nps_change_significant"], false,
        "a 13-point move on 11 answers is noise"
    );
    assert_eq!(store["series"].as_array().unwrap().len(), 2);
    // Every drill-down returns exactly the responses counted.
    let mut checked = 0;
    for g in groups {
        for (n, url) in std::iter::once((&g["n"], &g["responses_url"])).chain(
            g["series"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (&p["n"], &p["responses_url"])),
        ) {
            let listed = get(&app, lead, url.as_str().unwrap()).await;
            assert_eq!(&listed["total"], n, "{url}");
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
    // Grouped by week directly, the keys are ISO weeks and the drill-down bounds them.
    let r = get(&app, lead, "/api/v1/metrics?measure=nps&group_by=week").await;
    let w11 = &r["groups"][1];
    assert_eq!(
        (w11["key"].as_str(), w11["n"].as_i64()),
        (Some("2026-W11"), Some(6))
    );
    let listed = get(&app, lead, w11["responses_url"].as_str().unwrap()).await;
    assert_eq!(listed["total"], 6);
}

async fn filters_and_agents_see_only_their_own(app: TestApp) {
    let d = seed(&app, "f", Locale::En).await;
    let manager = &d.callers[1];
    let r = get(&app, manager, "/api/v1/metrics?locale=en&measure=nps").await;
    assert_eq!(r["overall"]["n"], 5);
    let r = get(
        &app,
        manager,
        &format!(
            "/api/v1/metrics?touchpoint_id={}&from=2026-03-09T00:00:00Z",
            d.store_tp
        ),
    )
    .await;
    assert_eq!(r["overall"]["n"], 3);
    close(&r["overall"]["csat"]["value"], 200.0 / 3.0);
    let r = get(&app, manager, "/api/v1/metrics?topic=waiting").await;
    assert_eq!(r["overall"]["n"], 2);
    close(&r["overall"]["nps"]["score"], -100.0);
    let r = get(
        &app,
        manager,
        &format!("/api/v1/metrics?journey_id={}&group_by=stage", d.journey),
    )
    .await;
    assert_eq!(r["groups"].as_array().unwrap().len(), 2);
    // The agent answered three (10, 10, 9); asking for everyone, or for someone else, changes nothing.
    let agent = &d.callers[3];
    for path in [
        "/api/v1/metrics",
        &format!("/api/v1/metrics?agent_id={}", d.callers[1].user.id.0),
        "/api/v1/metrics?group_by=touchpoint",
    ] {
        let r = get(&app, agent, path).await;
        assert_eq!(r["overall"]["n"], 3, "{path}");
        close(&r["overall"]["nps"]["score"], 100.0);
    }
    let r = get(
        &app,
        manager,
        &format!("/api/v1/metrics?agent_id={}", agent.user.id.0),
    )
    .await;
    assert_eq!(r["overall"]["n"], 3);
    // Another organisation sees none of it.
    let (_, others) = app.callers("f-other").await;
    let r = get(&app, &others[1], "/api/v1/metrics").await;
    assert_eq!(r["overall"]["n"], 0);
    assert!(r["overall"]["nps"]["score"].is_null());
}

async fn bad_parameters_name_the_field(app: TestApp) {
    let d = seed(&app, "b", Locale::En).await;
    let manager = &d.callers[1];
    for (query, field) in [
        ("measure=happiness", "measure"),
        ("group_by=planet", "group_by"),
        ("period=year", "period"),
        ("from=yesterday", "from"),
        ("from=2026-03-09T00:00:00Z&to=2026-03-01T00:00:00Z", "to"),
        ("touchpoint_id=abc", "touchpoint_id"),
        ("touchpoint_id=0", "touchpoint_id"),
        ("locale=xx", "locale"),
        ("channel=pigeon", "channel"),
        ("topic=a,b", "topic"),
        ("colour=red", "colour"),
    ] {
        let (s, body) = app
            .api(
                manager,
                Method::GET,
                &format!("/api/v1/metrics?{query}"),
                None,
            )
            .await;
        assert!((400..500).contains(&s), "{query}: {s} {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
    let anonymous = TestApp::client()
        .get(app.url("/api/v1/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let resp = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    resp.text().await.unwrap()
}

/// The `href` of the first link carrying `marker` (a `data-figure` attribute).
fn href_of(html: &str, marker: &str) -> String {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let start = html[..at].rfind("href=\"").expect("a link") + 6;
    html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

async fn journey_map_shows_touchpoints_and_the_weakest(app: TestApp) {
    let d = seed(&app, "j", Locale::En).await;
    let (client, _) = app.browser_login(&d.callers[2].user.email).await;
    let html = page(&app, &client, &format!("/insights/journeys/{}", d.journey)).await;
    for name in [
        "Store pickup",
        "Booking line",
        "Your glasses ready in one hour",
    ] {
        assert!(html.contains(name), "{name}");
    }
    // Each touchpoint's NPS, rounded, with its margin.
    assert!(
        html.contains(&format!(
            "data-figure=\"nps-{}\"><bdi>−17</bdi>",
            d.store_tp
        )),
        "store NPS"
    );
    assert!(
        html.contains(&format!("data-figure=\"nps-{}\"><bdi>80</bdi>", d.phone_tp)),
        "phone NPS"
    );
    // The store is the weakest (lowest NPS and a broken promise); the phone line is not.
    assert!(
        html.contains(&format!("id=\"tp-{}\" class=\"tp weak\"", d.store_tp)),
        "store highlighted"
    );
    assert!(html.contains(&format!("id=\"tp-{}\" class=\"tp\"", d.phone_tp)));
    // Its most negative verbatim is shown, and the count drills down to exactly its six responses.
    assert!(html.contains("Waiting again, nobody apologised"));
    let list = page(
        &app,
        &client,
        &href_of(&html, &format!("data-figure=\"n-{}\"", d.store_tp)),
    )
    .await;
    assert_eq!(list.matches("class=\"verbatim\"").count(), 6);
    // The list names its filters in words.
    assert!(list.contains("Eyewear") && list.contains("Store pickup"));
    // A time window narrows every figure: the store's second week has three answers.
    let week = page(
        &app,
        &client,
        &format!("/insights/journeys/{}?from=2026-03-09T00:00:00Z", d.journey),
    )
    .await;
    assert!(week.contains(&format!("data-figure=\"n-{}\"><bdi>3</bdi>", d.store_tp)));
    let bad = client
        .get(app.url("/insights?period=decade"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    assert!(bad.text().await.unwrap().contains("must be week or month"));
}

async fn insight_pages_drill_down_and_read_right_to_left(app: TestApp) {
    let d = seed(&app, "h", Locale::He).await;
    let (client, _) = app.browser_login(&d.callers[2].user.email).await;
    let html = page(&app, &client, "/insights").await;
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("<svg"), "a server-side chart");
    assert!(html.contains(&format!("/insights/journeys/{}", d.journey)));
    // The headline NPS (27 ± 51, n = 11) drills down to all eleven responses.
    assert!(html.contains("data-figure=\"nps-all\"><bdi>27</bdi>"));
    let list = page(&app, &client, &href_of(&html, "data-figure=\"nps-all\"")).await;
    assert_eq!(list.matches("class=\"verbatim\"").count(), 11);
    // The full record and the customer's page.
    let one = page(&app, &client, &format!("/responses/{}", d.ids[1])).await;
    assert!(one.contains("I waited three hours"));
    assert!(one.contains(&format!("/customers/{}", d.customer)));
    let customer = page(&app, &client, &format!("/customers/{}", d.customer)).await;
    assert!(customer.contains("Eleni Papadopoulou"));
    assert!(customer.contains(&format!("/responses/{}", d.ids[1])));
    // Agents may not browse other people's verbatims.
    let (agent, _) = app.browser_login(&d.callers[3].user.email).await;
    let resp = agent.get(app.url("/responses")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    // On /insights an agent sees their own three answers, without links to others' verbatims.
    let own = page(&app, &agent, "/insights").await;
    assert!(
        own.contains("class=\"fig\" data-figure=\"n-all\"><bdi>3</bdi>"),
        "{own}"
    );
    assert!(!own.contains("href=\"/responses"));
}

/// In a real browser, the Hebrew journey map runs right to left and so does time in the trend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hebrew_journey_map_and_trend_run_right_to_left_in_a_browser() {
    use fantoccini::Locator;
    let Some(browser) = common::browser::start().await else {
        return;
    };
    let app = TestApp::spawn(common::Backend::Sqlite).await.unwrap();
    let d = seed(&app, "rtl", Locale::He).await;
    let c = browser.client.clone();
    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(&d.callers[2].user.email)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(common::PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("form.card button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("header nav"))
        .await
        .unwrap();
    let x = |js: &str| {
        let c = c.clone();
        let js = format!("return document.querySelector('{js}').getBoundingClientRect().left");
        async move { c.execute(&js, vec![]).await.unwrap().as_f64().unwrap() }
    };
    c.goto(&app.url(&format!("/insights/journeys/{}", d.journey)))
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("ol.jmap")).await.unwrap();
    let (first, last) = (
        x("ol.jmap > li:first-child").await,
        x("ol.jmap > li:last-child").await,
    );
    assert!(
        first > last,
        "the first stage ({first}) should be right of the last ({last})"
    );
    c.goto(&app.url("/insights")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("figure.chart svg"))
        .await
        .unwrap();
    // Two weekly points: W10 first in time, so rightmost in Hebrew.
    let dots = c
        .execute("return [...document.querySelectorAll('circle.dot')].map(e => e.getBoundingClientRect().left)", vec![])
        .await
        .unwrap();
    let dots: Vec<f64> = serde_json::from_value(dots).unwrap();
    let (w10, w11) = (dots[0], dots[1]);
    assert!(
        w10 > w11,
        "the earlier week ({w10}) should be right of the later one ({w11})"
    );
    c.close().await.unwrap();
}
