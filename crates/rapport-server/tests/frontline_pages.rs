//! Frontline pages over real HTTP, without JavaScript: the transcript with its evidence for the
//! agent and their lead (and 403 for anyone else), Hebrew right to left, reviews and disputes
//! by form post (refused ones name the field and store nothing), private kudos, suppressed
//! team mood, hostile text, CSRF, and one look in a real browser when Chromium is installed.

mod common;

use chrono::Utc;
use common::{get_page as get, post_form as post, Caller, TestApp};
use fantoccini::Locator;
use rapport_domain::frontline::{Effect, EvaluationStatus};
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_server::frontline::{analyse, Rubric};
use rapport_storage::Actor;
use serde_json::json;

both_backends!(
    transcript_shows_evidence_to_the_agent_and_their_lead_only,
    review_refusal_names_the_reason_and_stores_nothing,
    agents_acknowledge_or_dispute_their_own_evaluation,
    private_kudos_stay_between_the_two,
    small_groups_mood_is_never_a_number,
    hostile_turn_text_renders_inert,
    pages_render_for_each_role,
);

struct World {
    app: TestApp,
    org: OrgId,
    manager: Caller,
    lead: Caller,
    agent: Caller,
    colleague: Caller,
    stranger: Caller,
    customer: CustomerId,
    conversation: ConversationId,
}

const SORRY: &str = "I'm so sorry, I completely understand how frustrating that is. I will take care of this personally.";

/// Stores a transcript and its analysis directly (no waiting for the worker).
async fn conversation(
    app: &TestApp,
    org: OrgId,
    id: &str,
    agent: &str,
    turns: serde_json::Value,
) -> ConversationId {
    let t = rapport_domain::conversation::from_json_value(&json!({
        "id": id, "channel": "phone", "agent": agent, "customer": "C-77", "language": "en",
        "turns": turns,
    }))
    .unwrap();
    let (cid, _) = app
        .store
        .store_conversation(Actor::system(org), &t, Utc::now())
        .await
        .unwrap();
    let (analysis, _) = analyse(&t, &Rubric::default_rubric());
    app.store
        .save_conversation_analysis(org, cid, &analysis, Utc::now())
        .await
        .unwrap();
    cid
}

async fn world(app: TestApp) -> World {
    let org = app.org("fp").await.id;
    let a = Actor::system(org);
    let mut teams = Vec::new();
    for name in ["Haifa", "Athens"] {
        teams.push(
            app.store
                .create_team(
                    a,
                    &NewTeam {
                        name: Name::parse("n", name).unwrap(),
                        lead_id: None,
                    },
                )
                .await
                .unwrap()
                .id,
        );
    }
    let manager = app
        .caller(org, "manager@fp.test", Role::CxManager, Locale::En, None)
        .await;
    let lead = app
        .caller(
            org,
            "lead@fp.test",
            Role::TeamLead,
            Locale::He,
            Some(teams[0]),
        )
        .await;
    let agent = app
        .caller(
            org,
            "agent@fp.test",
            Role::Agent,
            Locale::En,
            Some(teams[0]),
        )
        .await;
    let colleague = app
        .caller(org, "mate@fp.test", Role::Agent, Locale::El, Some(teams[0]))
        .await;
    let stranger = app
        .caller(
            org,
            "other@fp.test",
            Role::Agent,
            Locale::En,
            Some(teams[1]),
        )
        .await;
    let customer = app
        .store
        .create_customer(
            a,
            &NewCustomer {
                external_id: Name::parse("x", "C-77").unwrap(),
                name: Name::parse("n", "דנה כהן").unwrap(),
                locale: Locale::He,
                email: None,
                phone: None,
                consent: Consent::default(),
            },
        )
        .await
        .unwrap()
        .id;
    let conversation = conversation(
        &app,
        org,
        "call-1",
        "agent@fp.test",
        json!([
            {"speaker": "customer", "text": "This is the third time I'm calling, I'm furious.", "start": 0.0, "end": 6.0},
            {"speaker": "agent", "text": SORRY, "start": 6.5, "end": 12.0},
            {"speaker": "customer", "text": "Okay. Thank you, that really helps.", "start": 12.5, "end": 15.0}
        ]),
    )
    .await;
    World {
        app,
        org,
        manager,
        lead,
        agent,
        colleague,
        stranger,
        customer,
        conversation,
    }
}

/// The `<li>` of one turn, from its opening tag to its end.
fn turn_html(html: &str, n: usize) -> &str {
    let start = html
        .find(&format!("id=\"turn-{n}\""))
        .unwrap_or_else(|| panic!("no turn {n}"));
    let start = html[..start].rfind("<li").unwrap();
    let end = html[start..].find("</li>").unwrap() + start;
    &html[start..end]
}

fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start..].find("</section>").unwrap() + start;
    &html[start..end]
}

async fn transcript_shows_evidence_to_the_agent_and_their_lead_only(app: TestApp) {
    let w = world(app).await;
    let app = &w.app;
    let path = format!("/conversations/{}", w.conversation.0);
    let eval = app
        .store
        .get_evaluation(w.org, w.conversation)
        .await
        .unwrap();
    let (criterion, mark) = eval
        .criteria
        .iter()
        .flat_map(|c| c.evidence.iter().map(move |m| (c.name.clone(), m.clone())))
        .find(|(_, m)| m.turn == 1 && m.effect == Effect::Raised)
        .expect("the apology raises a score on the agent's turn");

    let (agent, _) = app.browser_login("agent@fp.test").await;
    let (status, html) = get(&agent, app, &path).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("dir=\"ltr\""));
    let turn = turn_html(&html, mark.turn + 1);
    assert!(turn.contains("raised"), "{turn}");
    assert!(turn.contains("class=\"mark raised\""), "{turn}");
    assert!(turn.contains("▲"), "{turn}");
    assert!(
        turn.contains(&format!("href=\"#crit-{criterion}\"")),
        "{turn}"
    );
    assert!(turn.contains("dir=\"auto\""), "{turn}");
    // The criterion row links back to the turn.
    assert!(html.contains(&format!("id=\"crit-{criterion}\"")));
    assert!(html.contains(&format!("href=\"#turn-{}\"", mark.turn + 1)));
    // The agent answers; they do not review themselves.
    assert!(html.contains(&format!("action=\"{path}/respond\"")));
    assert!(!html.contains(&format!("action=\"{path}/review\"")));
    let (_, list) = get(&agent, app, "/conversations").await;
    assert!(list.contains(&format!("href=\"{path}\"")), "{list}");

    // The lead reads it in Hebrew, right to left, with the same evidence, and may review.
    let (lead, _) = app.browser_login("lead@fp.test").await;
    let (status, html) = get(&lead, app, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"he\" dir=\"rtl\">"), "{html}");
    // Signed figures run left to right, so the minus stays in front of the number.
    assert!(html.contains("<bdi class=\"num\" dir=\"ltr\">\u{2212}0."));
    let turn = turn_html(&html, mark.turn + 1);
    assert!(turn.contains("class=\"mark raised\"") && turn.contains("▲"));
    assert!(html.contains(&format!("action=\"{path}/review\"")));
    assert!(html.contains(&format!("action=\"{path}/listened\"")));
    assert!(html.contains(&format!(
        "href=\"/wall?to={}&amp;conversation={}#give\"",
        w.agent.user.id.0, w.conversation.0
    )));

    // An agent of another team, and one of the same team, see nothing.
    for email in ["other@fp.test", "mate@fp.test"] {
        let (c, _) = app.browser_login(email).await;
        let (status, html) = get(&c, app, &path).await;
        assert_eq!(status, 403, "{email}: {html}");
        assert!(!html.contains("furious"));
        let (_, list) = get(&c, app, "/conversations").await;
        assert!(!list.contains(&format!("href=\"{path}\"")));
        let (status, _) = get(
            &c,
            app,
            &format!("/conversations?agent={}", w.agent.user.id.0),
        )
        .await;
        assert_eq!(status, 403);
    }
}

async fn review_refusal_names_the_reason_and_stores_nothing(app: TestApp) {
    let w = world(app).await;
    let app = &w.app;
    let path = format!("/conversations/{}", w.conversation.0);
    let eval = app
        .store
        .get_evaluation(w.org, w.conversation)
        .await
        .unwrap();
    let empathy = eval.criteria.iter().find(|c| c.name == "empathy").unwrap();
    let lower = empathy.auto_score.unwrap().saturating_sub(20).to_string();
    let (lead, csrf) = app.browser_login("lead@fp.test").await;

    let (status, _, html) = post(
        &lead,
        app,
        &format!("{path}/review"),
        &[
            ("csrf", &csrf),
            ("score.empathy", &lower),
            ("reason.empathy", ""),
            ("coaching_note", "Kept for the refusal"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("data-field=\"reason.empathy\""), "{html}");
    assert!(html
        .contains("name=\"reason.empathy\" rows=\"2\" maxlength=\"2000\" aria-invalid=\"true\""));
    assert!(
        html.contains("Kept for the refusal"),
        "what was typed is kept"
    );
    let stored = app
        .store
        .get_evaluation(w.org, w.conversation)
        .await
        .unwrap();
    assert_eq!(stored.reviewer_id, None);
    assert_eq!(stored.status, EvaluationStatus::Auto);

    // A score out of range is refused too, naming the score.
    let (status, _, html) = post(
        &lead,
        app,
        &format!("{path}/review"),
        &[("csrf", &csrf), ("score.empathy", "140")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"score.empathy\""));

    let (status, location, _) = post(
        &lead,
        app,
        &format!("{path}/review"),
        &[
            ("csrf", &csrf),
            ("score.empathy", &lower),
            (
                "reason.empathy",
                "The apology came only after the third complaint",
            ),
            ("coaching_note", "Lead with the apology."),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some(format!("{path}#evaluation").as_str())
    );
    let stored = app
        .store
        .get_evaluation(w.org, w.conversation)
        .await
        .unwrap();
    assert_eq!(stored.status, EvaluationStatus::Reviewed);
    let e = stored
        .criteria
        .iter()
        .find(|c| c.name == "empathy")
        .unwrap();
    assert_eq!(e.human_score.map(|s| s.to_string()), Some(lower));

    // Without the token the post is refused before anything happens.
    let (status, _, _) = post(
        &lead,
        app,
        &format!("{path}/review"),
        &[("score.empathy", "10")],
    )
    .await;
    assert_eq!(status, 403);
    // Agents may not review at all.
    let (agent, csrf) = app.browser_login("agent@fp.test").await;
    let (status, _, _) = post(
        &agent,
        app,
        &format!("{path}/review"),
        &[("csrf", &csrf), ("score.empathy", "10")],
    )
    .await;
    assert_eq!(status, 403);
    // The calibration table counts the review.
    let (status, html) = get(&lead, app, "/coaching").await;
    assert_eq!(status, 200);
    assert!(section(&html, "calibration").contains("data-criterion=\"empathy\""));
    assert!(
        !html.contains(" style="),
        "the CSP (style-src 'self') would block inline styles"
    );
}

async fn agents_acknowledge_or_dispute_their_own_evaluation(app: TestApp) {
    let w = world(app).await;
    let app = &w.app;
    let path = format!("/conversations/{}/respond", w.conversation.0);
    let (agent, csrf) = app.browser_login("agent@fp.test").await;
    let (status, _, html) = post(
        &agent,
        app,
        &path,
        &[("csrf", &csrf), ("response", "dispute"), ("comment", " ")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"comment\""), "{html}");
    assert!(html.contains("id=\"rs-dispute\" value=\"dispute\" checked"));
    let (status, location, _) = post(
        &agent,
        app,
        &path,
        &[
            ("csrf", &csrf),
            ("response", "dispute"),
            (
                "comment",
                "The customer had already calmed down before turn 2.",
            ),
        ],
    )
    .await;
    assert_eq!((status, location.is_some()), (303, true));
    let e = app
        .store
        .get_evaluation(w.org, w.conversation)
        .await
        .unwrap();
    assert_eq!(e.status, EvaluationStatus::Disputed);
    let (_, html) = get(&agent, app, &format!("/conversations/{}", w.conversation.0)).await;
    assert!(!html.contains(" style="), "no inline styles under the CSP");
    assert!(html.contains("calmed down before turn 2"));

    // Only the agent answers for their conversation.
    let (lead, csrf) = app.browser_login("lead@fp.test").await;
    let (status, _, _) = post(
        &lead,
        app,
        &path,
        &[("csrf", &csrf), ("response", "acknowledge")],
    )
    .await;
    assert_eq!(status, 403);
}

async fn private_kudos_stay_between_the_two(app: TestApp) {
    let w = world(app).await;
    let app = &w.app;
    let (agent, csrf) = app.browser_login("agent@fp.test").await;
    let to = w.colleague.user.id.0.to_string();
    let conv = w.conversation.0.to_string();
    // Kudos to oneself are refused, naming the field.
    let me = w.agent.user.id.0.to_string();
    let (status, _, html) = post(
        &agent,
        app,
        "/wall/kudos",
        &[
            ("csrf", &csrf),
            ("to_user", &me),
            ("message", "Well done me"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"to_user\""));
    for (message, visibility) in [
        ("Thanks for covering my shift, quietly", "private"),
        ("You calmed the furious caller beautifully", "public"),
    ] {
        let (status, location, body) = post(
            &agent,
            app,
            "/wall/kudos",
            &[
                ("csrf", &csrf),
                ("to_user", &to),
                ("message", message),
                ("visibility", visibility),
                ("conversation_id", &conv),
            ],
        )
        .await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(location.as_deref(), Some("/wall#kudos"));
    }
    let (colleague, _) = app.browser_login("mate@fp.test").await;
    let (_, html) = get(&colleague, app, "/wall").await;
    assert!(html.contains("covering my shift"));
    assert!(html.contains("kudo private"));
    let (stranger, _) = app.browser_login("other@fp.test").await;
    let (status, html) = get(&stranger, app, "/wall").await;
    assert_eq!(status, 200);
    assert!(!html.contains("covering my shift"), "{html}");
    assert!(html.contains("calmed the furious caller"));
    // No link to a conversation the stranger may not open.
    assert!(!html.contains(&format!("href=\"/conversations/{conv}\"")));

    // A story proposed from the conversation waits for the lead, who approves it.
    let (status, _, html) = post(
        &agent,
        app,
        "/wall/stories",
        &[
            ("csrf", &csrf),
            ("agent_id", &to),
            ("title", "The third call"),
            ("value", "ownership"),
            ("customer_words", "This is the third time I'm calling"),
            ("agent_did", "Took it on personally"),
            ("outcome", ""),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"outcome\""));
    let (status, _, _) = post(
        &agent,
        app,
        "/wall/stories",
        &[
            ("csrf", &csrf),
            ("agent_id", &to),
            ("title", "The third call"),
            ("value", "ownership"),
            ("customer_words", "This is the third time I'm calling"),
            ("agent_did", "Took it on personally"),
            ("outcome", "The customer stayed"),
            ("conversation_id", &conv),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = get(&stranger, app, "/wall").await;
    assert!(!html.contains("The third call"), "drafts stay off the wall");
    let (lead, lcsrf) = app.browser_login("lead@fp.test").await;
    let (_, html) = get(&lead, app, "/wall").await;
    let drafts = section(&html, "drafts");
    assert!(drafts.contains("The third call"));
    let start = drafts.find("/wall/stories/").unwrap() + "/wall/stories/".len();
    let id: String = drafts[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let (status, _, _) = post(
        &lead,
        app,
        &format!("/wall/stories/{id}/approve"),
        &[("csrf", &lcsrf)],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = get(&stranger, app, "/wall?value=ownership").await;
    assert!(section(&html, "stories").contains("The third call"));
}

async fn small_groups_mood_is_never_a_number(app: TestApp) {
    let w = world(app).await;
    let app = &w.app;
    let (agent, csrf) = app.browser_login("agent@fp.test").await;
    let path = format!("/customers/{}/checkin", w.customer.0);
    let (status, _, html) = post(&agent, app, &path, &[("csrf", &csrf), ("mood", "9")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"mood\""));
    let (status, location, _) = post(&agent, app, &path, &[("csrf", &csrf), ("mood", "2")]).await;
    assert_eq!(status, 303);
    assert!(location.unwrap().contains("checked=1"));
    let (status, location, _) = post(&agent, app, &path, &[("csrf", &csrf), ("mood", "5")]).await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(location.contains("checked=0"));
    let (_, html) = get(&agent, app, &location).await;
    assert!(html.contains("already checked in today"), "{html}");

    let (lead, _) = app.browser_login("manager@fp.test").await;
    let (status, html) = get(&lead, app, "/coaching").await;
    assert_eq!(status, 200);
    let mood = section(&html, "mood");
    assert!(mood.contains("hidden to protect anonymity"), "{mood}");
    assert!(mood.contains("class=\"suppressed\""));
    assert!(
        !mood.contains("/ 5") && !mood.contains("answers</span>"),
        "{mood}"
    );
    let _ = &w.manager;
}

async fn hostile_turn_text_renders_inert(app: TestApp) {
    let w = world(app).await;
    let app = &w.app;
    let id = conversation(
        app,
        w.org,
        "call-xss",
        "agent@fp.test",
        json!([
            {"speaker": "customer", "text": "<script>alert(1)</script> \u{202E}gnp.exe <img src=x onerror=alert(2)>"},
            {"speaker": "agent", "text": "\"><b>bold</b>"}
        ]),
    )
    .await;
    let (lead, _) = app.browser_login("lead@fp.test").await;
    let (status, html) = get(&lead, app, &format!("/conversations/{}", id.0)).await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains("<b>bold</b>"));
    assert!(!html.contains('\u{202E}'));
}

async fn pages_render_for_each_role(app: TestApp) {
    let w = world(app).await;
    let app = &w.app;
    let (agent, _) = app.browser_login("agent@fp.test").await;
    let (status, html) = get(&agent, app, "/scorecards").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("How these numbers are made"));
    assert!(html.contains(&format!("data-agent=\"{}\"", w.agent.user.id.0)));
    assert!(html.contains("Emotional-labour index") && html.contains("Mean handle time"));
    let (status, _) = get(&agent, app, "/coaching").await;
    assert_eq!(status, 403);
    let (status, html) = get(&agent, app, &format!("/customers/{}/brief", w.customer.0)).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("class=\"opening-line\" lang=\"he\" dir=\"rtl\""),
        "{html}"
    );
    assert!(html.contains("Take a breath"));
    assert!(html.contains("name=\"mood\""));
    let (_, html) = get(&agent, app, "/customers").await;
    assert!(html.contains(&format!("href=\"/customers/{}/brief\"", w.customer.0)));

    // The lead's pages in Hebrew, the other agent sees only their own scorecard.
    let (lead, csrf) = app.browser_login("lead@fp.test").await;
    for path in ["/scorecards", "/coaching", "/wall", "/conversations"] {
        let (status, html) = get(&lead, app, path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(html.contains("dir=\"rtl\""));
    }
    let (_, html) = get(&lead, app, "/coaching").await;
    assert!(section(&html, "listen-next").contains("ol class=\"listen-next\""));
    let (status, location, _) = post(
        &lead,
        app,
        "/coaching",
        &[
            ("csrf", &csrf),
            ("agent_id", &w.agent.user.id.0.to_string()),
            ("focus", "empathy"),
            ("agreed", "Apologise first, then fix."),
            ("follow_up_on", "2001-01-01"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{location:?}");
    let (status, _, _) = post(
        &lead,
        app,
        "/coaching",
        &[
            ("csrf", &csrf),
            ("agent_id", &w.stranger.user.id.0.to_string()),
            ("focus", "empathy"),
            ("agreed", "Apologise first, then fix."),
            ("follow_up_on", "2099-01-01"),
        ],
    )
    .await;
    assert_eq!(status, 422, "another team's agent is refused");
    let (status, _, body) = post(
        &lead,
        app,
        "/coaching",
        &[
            ("csrf", &csrf),
            ("agent_id", &w.agent.user.id.0.to_string()),
            ("focus", "empathy"),
            ("agreed", "Apologise first, then fix."),
            ("follow_up_on", "2099-01-01"),
            ("conversation_ids", &w.conversation.0.to_string()),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let (status, location, _) = post(
        &lead,
        app,
        &format!("/conversations/{}/listened", w.conversation.0),
        &[
            ("csrf", &csrf),
            ("minutes", "25"),
            ("note", "Good recovery"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.unwrap().ends_with("#listened"));
    let (_, html) = get(&lead, app, "/coaching").await;
    assert!(section(&html, "sessions").contains("Apologise first, then fix."));
    assert!(section(&html, "listening").contains("Good recovery"));

    let (stranger, _) = app.browser_login("other@fp.test").await;
    let (_, html) = get(&stranger, app, "/scorecards").await;
    assert!(!html.contains(&format!("data-agent=\"{}\"", w.agent.user.id.0)));
    let _ = (&w.manager, &w.lead, &w.colleague);
}

/// In a real browser the Hebrew transcript runs right to left: the customer's bubbles sit on
/// the right (where Hebrew reading starts) and the agent's on the left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hebrew_transcript_in_a_real_browser() {
    let Some(browser) = common::browser::start().await else {
        return;
    };
    let app = TestApp::spawn(common::Backend::Sqlite).await.unwrap();
    let w = world(app).await;
    let c = browser.client.clone();
    c.goto(&w.app.url("/login")).await.unwrap();
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("lead@fp.test")
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
    c.goto(&w.app.url(&format!("/conversations/{}", w.conversation.0)))
        .await
        .unwrap();
    let dir = c
        .execute("return document.documentElement.dir", vec![])
        .await
        .unwrap();
    assert_eq!(dir, "rtl");
    let customer = common::browser::left_of(&c, "li.customer .bubble").await;
    let agent = common::browser::left_of(&c, "li.agent .bubble").await;
    assert!(
        customer > agent,
        "customer bubble at {customer}, agent bubble at {agent}"
    );
}
