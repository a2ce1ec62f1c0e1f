//! The "listen next" queue with the semantic tier, on both backends: a calm conversation that
//! sounds like a known problem (a refund refused by policy, the customer leaving) is queued
//! with `resembles_known_problem`; an unrelated one is not; without the model file the queue
//! keeps its fast-tier reasons only. A moment like one already celebrated with kudos is
//! suggested for recognition first, with `resembles_celebrated_moment`.
//!
//! The model-backed check needs `e5-small-q4.bin` (`rapport models fetch`); without it that
//! check prints why and returns.

mod common;

use std::time::Duration;

use common::{Caller, TestApp};
use rapport_domain::Role;
use rapport_storage::testing::TestDb;
use reqwest::Method;
use serde_json::{json, Value};

on_both!(
    listen_next_without_the_model_keeps_its_reasons,
    listen_next_hears_what_resembles_known_problems,
    praise_resembling_a_celebrated_moment_is_suggested
);

/// (external id, turns as (speaker, text)).
type Conversation<'a> = (&'a str, &'a [(&'a str, &'a str)]);

const CONVERSATIONS: [Conversation; 3] = [
    // The known problem: anger, a refund refused by policy, a customer who leaves.
    (
        "known-problem",
        &[
            ("customer", "You charged me twice this month and I still have not been refunded. This is outrageous, I am furious!"),
            ("agent", "I'm sorry, but our policy does not allow refunds. There is nothing I can do about it."),
            ("customer", "Then I am cancelling my account and switching to another provider."),
        ],
    ),
    // Calm words, the same story.
    (
        "sounds-alike",
        &[
            ("customer", "Hello. I was billed twice for the same month and the refund never arrived."),
            ("agent", "Unfortunately our rules don't permit a refund at this point, I can't help with that."),
            ("customer", "I see. I will think about closing my account then."),
        ],
    ),
    (
        "unrelated",
        &[
            ("customer", "Hi, I would like to change the delivery address for my next order."),
            ("agent", "Of course, I have updated the address for you."),
            ("customer", "Great, thanks a lot."),
        ],
    ),
];

const PRAISE: [Conversation; 2] = [
    (
        "celebrated",
        &[
            ("customer", "My parcel was lost last week."),
            (
                "agent",
                "I found it at the depot and it will be with you this afternoon.",
            ),
            (
                "customer",
                "Thank you so much, you were wonderful, you saved my day!",
            ),
        ],
    ),
    (
        "alike",
        &[
            ("customer", "The courier lost my order."),
            ("agent", "I tracked it down, it will be delivered today."),
            (
                "customer",
                "Thank you so much, you were amazing, you really saved my day!",
            ),
        ],
    ),
];

/// Imports the conversations as the manager for the agent, waits for their analysis and (with
/// the model) their turn embeddings; returns the manager, the agent and the conversations' ids.
async fn import(
    app: &TestApp,
    slug: &str,
    embedded: bool,
    conversations: &[Conversation<'_>],
) -> (Caller, Caller, Vec<i64>) {
    let (org, callers) = app.callers(slug).await;
    let by_role = |r: Role| callers.iter().find(|c| c.user.role == r).unwrap().clone();
    let (manager, agent) = (by_role(Role::CxManager), by_role(Role::Agent));
    let mut ids = Vec::new();
    for (external, turns) in conversations {
        let turns: Vec<Value> = turns
            .iter()
            .map(|(speaker, text)| json!({"speaker": speaker, "text": text}))
            .collect();
        let body = json!({
            "id": external, "channel": "phone", "agent": agent.user.email.to_string(),
            "language": "en", "turns": turns
        });
        let (s, created) = app
            .api(&manager, Method::POST, "/api/v1/conversations", Some(body))
            .await;
        assert_eq!(s, 201, "{created}");
        ids.push(created["id"].as_i64().unwrap());
    }
    for id in &ids {
        let mut analysed = false;
        for _ in 0..300 {
            let (_, c) = app
                .api(
                    &manager,
                    Method::GET,
                    &format!("/api/v1/conversations/{id}"),
                    None,
                )
                .await;
            if c["analysed"] == json!(true) {
                analysed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(analysed, "conversation {id} not analysed within 30 s");
    }
    if embedded {
        let turns: usize = conversations.iter().map(|(_, t)| t.len()).sum();
        let mut n = 0;
        for _ in 0..300 {
            n = app.store.embedding_count(org.id).await.unwrap();
            if n == turns as i64 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(n, turns as i64, "every turn embedded");
    }
    (manager, agent, ids)
}

/// The queue as (conversation id, reasons).
async fn queue(app: &TestApp, c: &Caller) -> Vec<(i64, Vec<String>)> {
    let (s, body) = app
        .api(c, Method::GET, "/api/v1/listening/next", None)
        .await;
    assert_eq!(s, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["conversation"]["id"].as_i64().unwrap(),
                n["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

async fn listen_next_without_the_model_keeps_its_reasons(db: TestDb) {
    let app = TestApp::spawn_on(db, |_| {}).await;
    let (manager, _, ids) = import(&app, "ln-fast", false, &CONVERSATIONS).await;
    let q = queue(&app, &manager).await;
    assert!(
        q.iter().any(|(id, _)| *id == ids[0]),
        "the known problem is queued on its own merits: {q:?}"
    );
    assert!(
        q.iter()
            .all(|(_, reasons)| reasons.iter().all(|r| !r.starts_with("resembles_"))),
        "{q:?}"
    );
}

/// The server with the model, or `None` (and why) without the model file.
async fn with_model(db: TestDb) -> Option<TestApp> {
    let dir = rapport_embed::default_model_dir();
    if !dir.join(rapport_embed::MODEL_FILE).exists() {
        eprintln!(
            "skipping: model file not found in {} (run `rapport models fetch`)",
            dir.display()
        );
        return None;
    }
    Some(TestApp::spawn_on(db, |c| c.model_dir = Some(dir)).await)
}

async fn praise_resembling_a_celebrated_moment_is_suggested(db: TestDb) {
    let Some(app) = with_model(db).await else {
        return;
    };
    let (manager, agent, ids) = import(&app, "pr-sem", true, &PRAISE).await;
    // The first conversation is celebrated: kudos tied to it.
    let (s, body) = app
        .api(
            &manager,
            Method::POST,
            "/api/v1/kudos",
            Some(json!({"to_user": agent.user.id.0, "message": "Finding that parcel was brilliant.", "conversation_id": ids[0]})),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let (s, body) = app
        .api(&manager, Method::GET, "/api/v1/kudos/suggestions", None)
        .await;
    assert_eq!(s, 200, "{body}");
    let items = body.as_array().unwrap();
    assert!(
        items.iter().all(|p| p["conversation_id"] != json!(ids[0])),
        "recognised already: {body}"
    );
    let alike = items
        .iter()
        .find(|p| p["conversation_id"] == json!(ids[1]))
        .unwrap_or_else(|| panic!("the look-alike moment is suggested: {body}"));
    assert_eq!(
        alike["reasons"],
        json!(["resembles_celebrated_moment"]),
        "{body}"
    );
    assert!(
        alike["quote"].as_str().unwrap().contains("saved my day"),
        "{body}"
    );
    assert_eq!(
        items[0]["conversation_id"],
        json!(ids[1]),
        "it comes first: {body}"
    );
}

async fn listen_next_hears_what_resembles_known_problems(db: TestDb) {
    let Some(app) = with_model(db).await else {
        return;
    };
    let (manager, _, ids) = import(&app, "ln-sem", true, &CONVERSATIONS).await;
    let q = queue(&app, &manager).await;
    let reasons = |id: i64| q.iter().find(|(c, _)| *c == id).map(|(_, r)| r.clone());
    assert!(
        reasons(ids[1]).is_some_and(|r| r.iter().any(|r| r == "resembles_known_problem")),
        "the calm look-alike is queued for resembling the known problem: {q:?}"
    );
    assert!(
        reasons(ids[2]).is_none_or(|r| r.iter().all(|r| r != "resembles_known_problem")),
        "the address change resembles nothing: {q:?}"
    );
    // The web page says why, in the lead's words.
    let (client, _) = app.browser_login(&manager.user.email.to_string()).await;
    let (s, html) = common::get_page(&client, &app, "/coaching").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("sounds like conversations that went wrong before"),
        "{html}"
    );
}
