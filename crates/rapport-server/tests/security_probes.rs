//! Hostile input against the real server, on SQLite and (when configured) PostgreSQL: script
//! and bidi payloads in every text a page renders, SQL-injection payloads in every query
//! parameter, bodies over the limit, and clients that send their request a byte at a time.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{Caller, TestApp};
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::Actor;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

both_backends!(
    script_and_bidi_payloads_render_inert,
    sql_injection_probes_change_nothing,
    oversize_bodies_are_refused_and_nothing_stored
);
mod slow {
    use super::slow_clients_are_disconnected;
    crate::on_both!(slow_clients_are_disconnected);
}

/// Markup that would run or break out of its element if a page printed it unescaped.
const HTML: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(1)></textarea><a href=\"javascript:alert(1)\">x</a>";
/// Bidi controls that could reorder what a reader sees (RLO, LRO, RLI, FSI, PDI, LRI, RLM).
const BIDI: &str = "\u{202E}evil\u{202D}\u{2067}\u{2068}\u{2069}\u{2066}\u{200F}";
/// What a page may never contain when the payloads were stored.
const LIVE: [&str; 5] = [
    "<script>alert(1)",
    "<img src=x",
    "</textarea><a",
    "href=\"javascript:",
    "onerror=alert(1)>",
];

/// Characters no template uses: any in a page came from a payload.
fn bidi_in(body: &str, hebrew: bool) -> Option<char> {
    body.chars().find(|&c| {
        matches!(c, '\u{202A}'..='\u{202E}' | '\u{2067}' | '\u{2068}' | '\u{061C}')
            // The Hebrew pages mark a few placeables with LRI…PDI and LRM/RLM of their own.
            || (!hebrew && matches!(c, '\u{2066}' | '\u{2069}' | '\u{200E}' | '\u{200F}'))
    })
}

fn name(s: &str) -> Name {
    Name::parse("name", s).unwrap()
}

/// Ids of the records carrying payloads.
struct Hostile {
    admin: Caller,
    agent_id: i64,
    hebrew: Caller,
    ids: BTreeMap<&'static str, i64>,
    public_id: String,
}

/// One organisation whose every user-controlled text carries the payloads: names (which refuse
/// bidi controls, so they carry markup only) and free texts (markup, bidi and Hebrew).
async fn hostile(app: &TestApp) -> Hostile {
    let org = app.org("hostile").await;
    let a = Actor::system(org.id);
    let s = &app.store;
    let free = format!("שלום {HTML} {BIDI} end");
    let team = s
        .create_team(
            a,
            &NewTeam {
                name: name(&format!("Team {HTML}")),
                lead_id: None,
            },
        )
        .await
        .unwrap();
    let admin = app
        .caller(
            org.id,
            "admin@hostile.test",
            Role::Admin,
            Locale::En,
            Some(team.id),
        )
        .await;
    let hebrew = app
        .caller(org.id, "he@hostile.test", Role::Admin, Locale::He, None)
        .await;
    let agent = app
        .caller(
            org.id,
            "agent@hostile.test",
            Role::Agent,
            Locale::En,
            Some(team.id),
        )
        .await;
    s.update_user(
        a,
        agent.user.id,
        &UserUpdate {
            display_name: name(&format!("Agent {HTML}")),
            role: Role::Agent,
            team_id: Some(team.id),
            locale: Locale::En,
            active: true,
        },
    )
    .await
    .unwrap();
    s.update_team(
        a,
        team.id,
        &NewTeam {
            name: name(&format!("Team {HTML}")),
            lead_id: Some(admin.user.id),
        },
    )
    .await
    .unwrap();
    let customer = s
        .create_customer(
            a,
            &NewCustomer {
                external_id: name(&format!("C{HTML}")),
                name: name(&format!("דנה {HTML}")),
                locale: Locale::He,
                email: None,
                phone: None,
                consent: Consent::default(),
            },
        )
        .await
        .unwrap();
    let journey = s
        .create_journey(
            a,
            &NewJourney {
                name: name(&format!("מסע {HTML}")),
                description: Some(Text::parse("d", &format!("תיאור {HTML}")).unwrap()),
                locale: Locale::He,
            },
        )
        .await
        .unwrap();
    let stage = journey.stages[3].stage.id;
    s.update_stage(
        a,
        stage,
        &NewStage {
            name: name(&format!("Stage {HTML}")),
            kind: journey.stages[3].stage.kind,
            position: Some(3),
        },
    )
    .await
    .unwrap();
    let tp = s
        .create_touchpoint(
            a,
            &NewTouchpoint {
                stage_id: stage,
                name: name(&format!("נקודה {HTML}")),
                channel: Channel::Phone,
                owner_id: Some(admin.user.id),
                promise: Some(Text::parse("p", &format!("הבטחה {HTML}")).unwrap()),
                position: None,
            },
        )
        .await
        .unwrap();
    let mut def = rapport_domain::survey::default_definition();
    for text in [&mut def.title] {
        for v in text.0.values_mut() {
            *v = format!("{v} {HTML}");
        }
    }
    // Survey texts refuse bidi controls at the edge (checked below): markup only.
    for q in &mut def.questions {
        for v in q.prompt.0.values_mut() {
            *v = format!("{v} {HTML}");
        }
    }
    let public_id = "hostilesurvey".to_string();
    let survey = s
        .create_survey(a, tp.id, &name(&format!("Survey {HTML}")), &def, &public_id)
        .await
        .unwrap();
    let survey = s
        .set_survey_status(a, survey.id, rapport_domain::voc::SurveyStatus::Published)
        .await
        .unwrap();
    let raw = BTreeMap::from([
        (
            "nps".to_string(),
            rapport_domain::survey::RawAnswer::Number(2.0),
        ),
        (
            "why_low".to_string(),
            rapport_domain::survey::RawAnswer::Text(free.clone()),
        ),
    ]);
    let (response, _) = s
        .insert_response(
            org.id,
            &rapport_domain::voc::NewResponse {
                survey_id: survey.id,
                version: survey.version,
                customer_id: Some(customer.id),
                agent_id: Some(agent.user.id),
                invitation_id: None,
                locale: Locale::He,
                source: rapport_domain::voc::ResponseSource::Api,
                idempotency_key: None,
                external_id: None,
                submitted_at: chrono::Utc::now(),
                answers: survey.definition.parse_answers(&raw).unwrap(),
            },
        )
        .await
        .unwrap();
    let (case, _) = s
        .open_case(
            a,
            &rapport_domain::cases::NewCase {
                title: free.clone(),
                priority: rapport_domain::cases::Priority::High,
                source: rapport_domain::cases::CaseSource::Response,
                response_id: Some(response),
                source_ref: Some(free.clone()),
                customer_id: Some(customer.id),
                touchpoint_id: Some(tp.id),
                agent_id: Some(agent.user.id),
                owner_id: Some(admin.user.id),
                triggers: vec![],
                original_nps: Some(2),
                opened_at: chrono::Utc::now(),
                notify_owner: false,
            },
        )
        .await
        .unwrap();
    s.add_case_note(
        a,
        case.id,
        rapport_domain::cases::NoteKind::CustomerSaid,
        &free,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let mut rule = rapport_domain::alerts::default_rules()[0].clone();
    rule.name = format!("Rule {HTML}");
    s.create_alert_rule(a, &rule).await.unwrap();
    let webhook = s
        .create_webhook(
            a,
            &rapport_domain::webhooks::WebhookSpec {
                url: "http://127.0.0.1:9/hook".into(),
                description: free.clone(),
                events: vec!["case.updated".into()],
                active: false,
            },
            "whsec_fixture",
        )
        .await
        .unwrap();
    s.create_inbound_source(
        a,
        &format!("Source {HTML}"),
        "in-hostile",
        "whsec_test",
        &rapport_domain::webhooks::InboundMapping {
            event_pointer: "/type".into(),
            trigger_values: vec![HTML.into()],
            ticket_pointer: "/ticket/id".into(),
            customer_pointer: "/ticket/requester/id".into(),
            email_pointer: None,
            name_pointer: None,
            locale_pointer: None,
            survey_id: survey.id.0,
            new_customers_consent_to_email: false,
        },
    )
    .await
    .unwrap();
    let t = rapport_domain::conversation::parse_json(
        &json!({"id": format!("conv {HTML}"), "channel": "chat", "agent": "agent@hostile.test",
            "customer": customer.external_id.to_string(),
            "turns": [
            {"speaker": "customer", "text": format!("I'm furious, I waited a week. {free}")},
            {"speaker": "agent", "text": format!("I'm so sorry. {free}")},
            {"speaker": "customer", "text": "Thank you, that was wonderful."}
        ]})
        .to_string(),
    )
    .unwrap();
    let (conversation, _) = s
        .store_conversation(a, &t, chrono::Utc::now())
        .await
        .unwrap();
    let (analysis, _) = rapport_server::frontline::analyse(
        &t,
        &rapport_server::frontline::Rubric::default_rubric(),
    );
    s.save_conversation_analysis(org.id, conversation, &analysis, chrono::Utc::now())
        .await
        .unwrap();
    s.give_kudos(
        Actor::user(org.id, admin.user.id),
        &rapport_domain::frontline::NewKudos {
            to_user: agent.user.id,
            message: free.clone(),
            public: true,
            conversation_id: Some(conversation),
            response_id: None,
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let story = s
        .create_story(
            Actor::user(org.id, agent.user.id),
            &rapport_domain::frontline::NewStory {
                agent_id: agent.user.id,
                title: free.clone(),
                value: "ownership".into(),
                customer_words: free.clone(),
                agent_did: free.clone(),
                outcome: free.clone(),
                conversation_id: Some(conversation),
                response_id: None,
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    s.approve_story(Actor::user(org.id, admin.user.id), story.id)
        .await
        .unwrap();
    s.create_coaching(
        Actor::user(org.id, admin.user.id),
        &rapport_domain::frontline::NewCoaching {
            agent_id: agent.user.id,
            focus: "empathy".into(),
            agreed: free.clone(),
            conversation_ids: vec![conversation],
            follow_up_on: chrono::Utc::now().date_naive() + chrono::Duration::days(7),
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let pulse = s
        .create_pulse(
            a,
            &format!("Pulse {HTML}"),
            "2026-Q4",
            &rapport_domain::ambassadorship::default_pulse(),
        )
        .await
        .unwrap();
    Hostile {
        agent_id: agent.user.id.0,
        admin,
        hebrew,
        ids: BTreeMap::from([
            ("journey", journey.journey.id.0),
            ("survey", survey.id.0),
            ("response", response.0),
            ("customer", customer.id.0),
            ("case", case.id.0),
            ("conversation", conversation.0),
            ("webhook", webhook.id.0),
            ("pulse", pulse.id),
        ]),
        public_id,
    }
}

fn page_path(template: &str, h: &Hostile) -> String {
    let kind = match template.split('/').nth(1).unwrap_or_default() {
        "insights" | "journeys" => "journey",
        "surveys" => "survey",
        "responses" => "response",
        "customers" => "customer",
        "cases" => "case",
        "conversations" => "conversation",
        "settings" => "webhook",
        "pulses" => "pulse",
        other => panic!("no hostile record for {other}"),
    };
    template.replace("{id}", &h.ids[kind].to_string())
}

async fn script_and_bidi_payloads_render_inert(app: TestApp) {
    let h = hostile(&app).await;
    // Names refuse bidi controls at the edge, naming the field.
    let (status, body) = app
        .api(
            &h.admin,
            Method::POST,
            "/api/v1/teams",
            Some(json!({"name": format!("Team {BIDI}")})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "name", "{body}");
    // So do survey texts.
    let mut def = rapport_domain::survey::default_definition();
    def.title
        .0
        .insert("he".into(), format!("איך היינו? {BIDI}"));
    let (status, body) = app
        .api(
            &h.admin,
            Method::PUT,
            &format!("/api/v1/surveys/{}", h.ids["survey"]),
            Some(json!({"name": "Survey", "definition": def})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    // A webhook cannot point at a script.
    let (status, body) = app
        .api(
            &h.admin,
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({"url": "javascript:alert(1)", "events": ["*"]})),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    let (mut pages, mut escaped, mut neutralised) = (0, 0, 0);
    for (who, hebrew) in [(&h.admin, false), (&h.hebrew, true)] {
        let (browser, _) = app.browser_login(&who.user.email).await;
        let mut paths: Vec<String> = rapport_server::web::route_table()
            .into_iter()
            .filter(|r| r.method == "GET" && !r.path.starts_with("/assets/"))
            .filter_map(|r| match r.path {
                // Reached by links carrying tokens, not by id: covered through the public link.
                "/pulse/{token}" | "/i/{token}" | "/password/reset" => None,
                "/s/{public_id}" => Some(format!("/s/{}", h.public_id)),
                p if p.contains('{') => Some(page_path(p, &h)),
                p => Some(p.to_string()),
            })
            .collect();
        // Error pages quote what was wrong with a request: payloads in parameter names and
        // values.
        let enc = |t: &str| form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>();
        paths.push(format!("/cases?priority={}", enc(&format!("{HTML}{BIDI}"))));
        paths.push(format!("/cases?{}=1", enc(&format!("{HTML}{BIDI}"))));
        paths.push(format!("/conversations?page={}", enc(BIDI)));
        // Views behind a query: the Hebrew survey, the brief of the hostile customer.
        paths.push(format!("/s/{}?lang=he", h.public_id));
        paths.push(format!("/surveys/{}/preview?lang=he", h.ids["survey"]));
        for path in paths {
            let (status, body) = common::get_page(&browser, &app, &path).await;
            assert!(status < 500, "{path}: {status}");
            for live in LIVE {
                assert!(
                    !body.contains(live),
                    "{path} ({}): payload {live:?} live in the page",
                    who.user.locale
                );
            }
            if let Some(c) = bidi_in(&body, hebrew) {
                let at = body.find(c).unwrap();
                let from = body.floor_char_boundary(at.saturating_sub(200));
                panic!(
                    "{path} ({}): bidi control U+{:04X} reaches the page: …{}…",
                    who.user.locale,
                    c as u32,
                    &body[from..body.ceil_char_boundary(at + 10)]
                );
            }
            escaped += usize::from(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
            neutralised += usize::from(body.contains('\u{FFFD}'));
            pages += 1;
        }
    }
    assert!(pages > 60, "only {pages} pages checked");
    // The payloads did reach the pages, escaped: the checks above were not vacuous.
    assert!(
        escaped > 30,
        "payload shown escaped on only {escaped} of {pages} pages"
    );
    assert!(
        neutralised > 5,
        "bidi controls neutralised on only {neutralised} pages"
    );
}

/// Counts that must not change under probing.
async fn counts(app: &TestApp, admin: &Caller) -> Vec<(String, usize)> {
    let mut out = vec![];
    for path in [
        "/api/v1/responses?limit=500",
        "/api/v1/customers",
        "/api/v1/users",
        "/api/v1/cases",
        "/api/v1/journeys",
        "/api/v1/surveys",
        "/api/v1/conversations",
    ] {
        let (status, body) = app.api(admin, Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        let n = match body["total"].as_u64() {
            Some(total) => total as usize,
            None => body
                .as_array()
                .or_else(|| body["items"].as_array())
                .map_or(0, Vec::len),
        };
        out.push((path.to_string(), n));
    }
    out
}

const SQLI: [&str; 9] = [
    "' OR '1'='1",
    "1; DROP TABLE responses;--",
    "%27",
    "1' UNION SELECT password_hash FROM users--",
    "\u{2019} OR \u{2018}1\u{2019}=\u{2019}1",
    "\u{0}",
    "a\u{0}b",
    "-1",
    "99999999999999999999999",
];

async fn sql_injection_probes_change_nothing(app: TestApp) {
    let h = hostile(&app).await;
    // Another organisation whose records must never appear.
    let other = app.org("secret").await;
    let other_admin = app
        .caller(other.id, "admin@secret.test", Role::Admin, Locale::En, None)
        .await;
    let (status, _) = app
        .api(
            &other_admin,
            Method::POST,
            "/api/v1/customers",
            Some(json!({"external_id": "zqsecret", "name": "Zqsecret Person", "locale": "en"})),
        )
        .await;
    assert_eq!(status, 201);
    let before = counts(&app, &h.admin).await;
    let long = "x".repeat(20_000);
    let mut payloads: Vec<&str> = SQLI.to_vec();
    payloads.push(&long);

    // Every query parameter the API documents.
    let doc: Value = TestApp::client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut probed = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let Some(get) = ops.get("get") else { continue };
        let params: Vec<String> = get["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "query")
                    .map(|p| p["name"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let path = fill_hostile(path, &h);
        for param in &params {
            for p in &payloads {
                let enc: String = form_urlencoded::byte_serialize(p.as_bytes()).collect();
                // Required parameters keep a valid value, so the error is about the probed one.
                let mut query = vec![format!("{param}={enc}")];
                for (name, valid) in [("text", "waited"), ("ex", "ambassadorship"), ("cx", "nps")] {
                    if name != param && params.iter().any(|p| p == name) {
                        query.push(format!("{name}={valid}"));
                    }
                }
                let url = format!("{path}?{}", query.join("&"));
                let resp = TestApp::client()
                    .get(app.url(&url))
                    .bearer_auth(&h.admin.token)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let body = resp.text().await.unwrap();
                let short = &url[..url.len().min(120)];
                assert!(status < 500, "{short}: {status} {body}");
                assert!(
                    !body.contains("zqsecret") && !body.contains("Zqsecret"),
                    "{short}: other organisation's data"
                );
                if (400..500).contains(&status) && status != 404 && status != 403 {
                    let json: Value = serde_json::from_str(&body)
                        .unwrap_or_else(|_| panic!("{short}: {status} is not JSON: {body}"));
                    assert_eq!(
                        json["error"]["field"].as_str(),
                        Some(param.as_str()),
                        "{short}: the error names the parameter: {body}"
                    );
                }
                probed += 1;
            }
        }
    }
    assert!(probed > 200, "only {probed} API probes");

    // NUL in free texts of JSON bodies and forms: refused (PostgreSQL cannot store it), never a 500.
    let agent = h.agent_id;
    let nul = "before\u{0}after";
    let bodies = [
        (
            "POST",
            format!("/api/v1/surveys/{}/responses", h.ids["survey"]),
            json!({"answers": {"nps": 3, "why_low": nul}}),
        ),
        (
            "POST",
            "/api/v1/conversations".to_string(),
            json!({"id": "nul-1", "channel": "chat", "turns": [{"speaker": "customer", "text": nul}]}),
        ),
        (
            "POST",
            "/api/v1/conversations".to_string(),
            json!({"id": nul, "channel": "chat", "turns": [{"speaker": "customer", "text": "hi"}]}),
        ),
        (
            "POST",
            "/api/v1/kudos".to_string(),
            json!({"to_user": agent, "message": nul}),
        ),
        (
            "POST",
            format!("/api/v1/cases/{}/notes", h.ids["case"]),
            json!({"kind": "customer_said", "body": nul}),
        ),
        (
            "POST",
            format!("/api/v1/customers/{}/events", h.ids["customer"]),
            json!({"kind": "purchase", "occurred_at": "2026-01-05T10:00:00Z", "external_id": nul}),
        ),
        (
            "POST",
            "/api/v1/coaching".to_string(),
            json!({"agent_id": agent, "focus": "empathy", "agreed": nul, "follow_up_on": "2030-01-01"}),
        ),
        (
            "POST",
            "/api/v1/stories".to_string(),
            json!({"agent_id": agent, "title": nul, "value": "ownership", "customer_words": nul, "agent_did": nul, "outcome": nul}),
        ),
        (
            "POST",
            "/api/v1/customers".to_string(),
            json!({"external_id": "nul", "name": nul, "locale": "en"}),
        ),
        (
            "POST",
            "/api/v1/webhooks".to_string(),
            json!({"url": "http://127.0.0.1:9/x", "description": nul, "events": ["*"]}),
        ),
        (
            "PUT",
            "/api/v1/me/digest".to_string(),
            json!({"daily_digest": true, "note": nul}),
        ),
    ];
    for (method, path, body) in &bodies {
        let (status, reply) = app
            .api(
                &h.admin,
                Method::from_bytes(method.as_bytes()).unwrap(),
                path,
                Some(body.clone()),
            )
            .await;
        assert!(status < 500, "{method} {path} with NUL: {status} {reply}");
    }
    let (browser, csrf) = app.browser_login(&h.admin.user.email).await;
    for (path, field) in [
        (format!("/cases/{}/notes", h.ids["case"]), "body"),
        ("/wall/kudos".to_string(), "message"),
        ("/journeys".to_string(), "name"),
    ] {
        let (status, _, _) = common::post_form(
            &browser,
            &app,
            &path,
            &[
                ("csrf", csrf.as_str()),
                (field, nul),
                ("kind", "customer_said"),
                ("to_user", &agent.to_string()),
                ("locale", "en"),
            ],
        )
        .await;
        assert!(status < 500, "POST {path} with NUL in {field}: {status}");
    }

    // Every page, with the filters pages read.
    let filters = [
        "q",
        "from",
        "to",
        "period",
        "group_by",
        "status",
        "state",
        "priority",
        "owner",
        "touchpoint_id",
        "journey_id",
        "survey_id",
        "team_id",
        "agent_id",
        "customer_id",
        "value",
        "page",
        "offset",
        "limit",
        "sort",
        "lang",
        "range",
        "quarters",
        "nps",
        "topic",
        "emotion",
        "channel",
        "saved",
        "done",
        "rated",
        "stage",
    ];
    let web_payloads = [SQLI[0], SQLI[6], long.as_str()];
    for r in rapport_server::web::route_table() {
        if r.method != "GET" || r.path.starts_with("/assets/") || r.path.contains("{token}") {
            continue;
        }
        let path = if r.path == "/s/{public_id}" {
            format!("/s/{}", h.public_id)
        } else if r.path.contains('{') {
            page_path(r.path, &h)
        } else {
            r.path.to_string()
        };
        // Every filter on the lists; a few on the pages of one record.
        let names: &[&str] = if r.path.contains('{') {
            &["lang", "from", "saved"]
        } else {
            &filters
        };
        for f in names {
            for p in &web_payloads {
                let enc: String = form_urlencoded::byte_serialize(p.as_bytes()).collect();
                let url = format!("{path}?{f}={enc}");
                let (status, body) = common::get_page(&browser, &app, &url).await;
                let short = &url[..url.len().min(120)];
                assert!(status < 500, "{short}: {status}");
                assert!(
                    !body.contains("zqsecret") && !body.contains("Zqsecret"),
                    "{short}: other organisation's data"
                );
                probed += 1;
            }
        }
    }
    assert!(probed > 2500, "only {probed} probes");
    assert_eq!(
        counts(&app, &h.admin).await,
        before,
        "probes changed the data"
    );
    let (status, body) = app
        .api(&other_admin, Method::GET, "/api/v1/customers", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 1, "{body}");
}

fn fill_hostile(template: &str, h: &Hostile) -> String {
    if !template.contains('{') {
        return template.to_string();
    }
    let t = template.trim_start_matches("/api/v1");
    let kind = match t.split('/').nth(1).unwrap_or_default() {
        "journeys" => "journey",
        "surveys" => "survey",
        "responses" => "response",
        "customers" => "customer",
        "cases" => "case",
        "conversations" => "conversation",
        "webhooks" => "webhook",
        "pulses" => "pulse",
        _ => "journey",
    };
    template
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                h.ids[kind].to_string()
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn oversize_bodies_are_refused_and_nothing_stored(app: TestApp) {
    let org = app.org("big").await;
    let admin = app
        .caller(org.id, "admin@big.test", Role::Admin, Locale::En, None)
        .await;
    let before = counts(&app, &admin).await;
    // TestApp's limit is 64 KiB.
    let big = "x".repeat(100 * 1024);
    let resp = TestApp::client()
        .post(app.url("/api/v1/customers"))
        .bearer_auth(&admin.token)
        .json(&json!({"external_id": "big", "name": big, "locale": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    // A batch over the limit stores none of its rows.
    let rows: Vec<Value> = (0..2000)
        .map(|i| json!({"external_id": format!("b{i}"), "name": "x".repeat(40), "locale": "en"}))
        .collect();
    let resp = TestApp::client()
        .post(app.url("/api/v1/conversations/batch"))
        .bearer_auth(&admin.token)
        .json(&rows)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    // A form over the limit: 413, nothing created.
    let (browser, csrf) = app.browser_login("admin@big.test").await;
    let (status, _, page) = common::post_form(
        &browser,
        &app,
        "/journeys",
        &[
            ("csrf", csrf.as_str()),
            ("name", big.as_str()),
            ("locale", "en"),
        ],
    )
    .await;
    assert_eq!(status, 413, "{}", &page[..page.len().min(300)]);
    // A declared length over the limit is refused before the body is read.
    let mut s = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    s.write_all(
        format!(
            "POST /api/v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{{",
            admin.token
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("answered without waiting for the body")
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert_eq!(
        counts(&app, &admin).await,
        before,
        "an oversize body stored something"
    );
}

/// Reads until the server closes the connection (or `limit` passes): what it sent, and when.
async fn read_until_closed(
    s: &mut tokio::net::TcpStream,
    limit: Duration,
) -> Option<(Duration, String)> {
    let start = Instant::now();
    let mut got = vec![];
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(limit.saturating_sub(start.elapsed()), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                return Some((start.elapsed(), String::from_utf8_lossy(&got).into_owned()))
            }
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return None,
        }
    }
}

async fn slow_clients_are_disconnected(db: rapport_storage::testing::TestDb) {
    let app = TestApp::spawn_on(db, |c| {
        c.header_read_timeout = Duration::from_secs(1);
        c.request_timeout = Duration::from_secs(2);
    })
    .await;
    let org = app.org("slow").await;
    let admin = app
        .caller(org.id, "admin@slow.test", Role::Admin, Locale::En, None)
        .await;
    let addr = app.base.trim_start_matches("http://").to_string();

    // Twenty slowloris clients, each sending its headers a byte every 300 ms.
    let mut slow = vec![];
    for _ in 0..20 {
        let addr = addr.clone();
        slow.push(tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let start = Instant::now();
            for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n"
            {
                if s.write_all(&[*b]).await.is_err() {
                    break;
                }
                let mut buf = [0u8; 256];
                match tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => return start.elapsed(),
                    _ => {}
                }
            }
            panic!("a slowloris client finished its headers without being disconnected");
        }));
    }
    // A client that connects and says nothing.
    let mut silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // Meanwhile everyone else is served at once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        let t = Instant::now();
        let resp = TestApp::client()
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert!(
            t.elapsed() < Duration::from_millis(800),
            "blocked by slow clients: {:?}",
            t.elapsed()
        );
    }
    for h in slow {
        let took = h.await.unwrap();
        assert!(took < Duration::from_secs(4), "slowloris kept for {took:?}");
    }
    let (took, _) = read_until_closed(&mut silent, Duration::from_secs(5))
        .await
        .expect("a silent connection is closed");
    assert!(
        took < Duration::from_secs(4),
        "silent connection kept for {took:?}"
    );

    // Headers sent, the body never: answered 503 and closed within the request timeout.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        format!(
            "POST /api/v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{{\"external_id\":",
            admin.token
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let (took, reply) = read_until_closed(&mut s, Duration::from_secs(8))
        .await
        .expect("a body that never comes does not hold the connection");
    assert!(took < Duration::from_secs(6), "held for {took:?}");
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 503") || reply.starts_with("HTTP/1.1 408"),
        "{reply}"
    );
    let (status, body) = app
        .api(&admin, Method::GET, "/api/v1/customers", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 0, "nothing stored: {body}");
}
