//! The follow-up call list: a team lead sees the calls due at their touchpoints, records what
//! the customer said, and the call leaves the list; agents cannot reach it.
mod common;

use chrono::{Duration, Utc};
use common::TestApp;
use rapport_domain::followups::{FollowupMode, FollowupPlan};
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::Actor;

both_backends!(due_calls_are_listed_and_recorded);

async fn due_calls_are_listed_and_recorded(app: TestApp) {
    let org = app.org("calls").await;
    let a = Actor::system(org.id);
    let lead = app
        .caller(org.id, "lead@calls.test", Role::TeamLead, Locale::He, None)
        .await;
    let agent = app
        .caller(org.id, "agent@calls.test", Role::Agent, Locale::En, None)
        .await;
    let s = &app.store;
    let j = s
        .create_journey(
            a,
            &NewJourney {
                name: Name::parse("n", "Home repairs").unwrap(),
                description: None,
                locale: Locale::He,
            },
        )
        .await
        .unwrap();
    let tp = s
        .create_touchpoint(
            a,
            &NewTouchpoint {
                stage_id: j.stages[4].stage.id,
                name: Name::parse("n", "ביקור טכנאי").unwrap(),
                channel: Channel::InPerson,
                owner_id: Some(lead.user.id),
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let customer = s
        .create_customer(
            a,
            &NewCustomer {
                external_id: Name::parse("x", "C-1").unwrap(),
                name: Name::parse("n", "<b>רונית</b> לוי").unwrap(),
                locale: Locale::He,
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
    s.set_followup_plan(
        a,
        &FollowupPlan {
            touchpoint_id: tp.id,
            after_days: 30,
            mode: FollowupMode::Call,
            survey_id: None,
        },
    )
    .await
    .unwrap();
    let task = s
        .schedule_followup(org.id, tp.id, customer.id, Utc::now() - Duration::days(31))
        .await
        .unwrap()
        .unwrap();

    let (client, csrf) = app.browser_login(&lead.user.email).await;
    let html = client
        .get(app.url("/followups"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("dir=\"rtl\""));
    assert!(
        html.contains(&format!("data-followup=\"{}\"", task.0)),
        "the due call is listed"
    );
    assert!(html.contains("ביקור טכנאי"));
    assert!(
        html.contains("עבר המועד"),
        "a call past its date says so in words"
    );
    assert!(!html.contains("<b>רונית"), "customer names are escaped");
    let inbox = client
        .get(app.url("/cases"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        inbox.contains("href=\"/followups\""),
        "the inbox points to the calls due"
    );

    // An empty outcome is refused; a real one records the call.
    let post = |outcome: &'static str| {
        client
            .post(app.url(&format!("/followups/{}", task.0)))
            .form(&[
                ("csrf", csrf.as_str()),
                ("state", "done"),
                ("outcome", outcome),
            ])
            .send()
    };
    assert_eq!(post("  ").await.unwrap().status().as_u16(), 422);
    assert_eq!(
        post("Happy with the repair; asked about a boiler check")
            .await
            .unwrap()
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        post("again").await.unwrap().status().as_u16(),
        409,
        "recorded once"
    );
    let html = client
        .get(app.url("/followups"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&format!("data-followup=\"{}\"", task.0)));
    assert!(html.contains("Happy with the repair"));
    let forged = client
        .post(app.url(&format!("/followups/{}", task.0)))
        .form(&[("csrf", "nope"), ("state", "done"), ("outcome", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);

    let (agent_client, _) = app.browser_login(&agent.user.email).await;
    let r = agent_client
        .get(app.url("/followups"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}
