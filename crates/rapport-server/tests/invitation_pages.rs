//! The invitations page: managers invite one customer by link or e-mail, see each invitation's
//! state, and a refused form names the field and stores nothing.
mod common;

use common::{get_page, post_form, TestApp};
use rapport_domain::model::*;
use rapport_domain::survey::default_definition;
use rapport_domain::voc::SurveyStatus;
use rapport_domain::*;
use rapport_storage::Actor;

both_backends!(managers_invite_customers_from_the_survey_page);

async fn managers_invite_customers_from_the_survey_page(app: TestApp) {
    let org = app.org("inv").await;
    let a = Actor::system(org.id);
    app.caller(
        org.id,
        "manager@inv.test",
        Role::CxManager,
        Locale::En,
        None,
    )
    .await;
    app.caller(org.id, "lead@inv.test", Role::TeamLead, Locale::En, None)
        .await;
    let j = app
        .store
        .create_journey(
            a,
            &NewJourney {
                name: Name::parse("n", "J").unwrap(),
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
                name: Name::parse("n", "Claims call").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let survey = app
        .store
        .create_survey(
            a,
            tp.id,
            &Name::parse("n", "After the call").unwrap(),
            &default_definition(),
            "inv-pub",
        )
        .await
        .unwrap();
    app.store
        .set_survey_status(a, survey.id, SurveyStatus::Published)
        .await
        .unwrap();
    app.store
        .create_customer(
            a,
            &NewCustomer {
                external_id: Name::parse("x", "AUR-7").unwrap(),
                name: Name::parse("n", "Νίκος").unwrap(),
                locale: Locale::El,
                email: None,
                phone: None,
                consent: Consent::default(),
            },
        )
        .await
        .unwrap();
    let path = format!("/surveys/{}/invitations", survey.id.0);
    let (client, csrf) = app.browser_login("manager@inv.test").await;
    let (status, page) = get_page(&client, &app, &path).await;
    assert_eq!(status, 200);
    assert!(page.contains("No invitations yet."));

    let (status, _, body) = post_form(
        &client,
        &app,
        &path,
        &[("csrf", csrf.as_str()), ("customer", "AUR-404")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("customer: no customer"), "{body}");
    let (status, _, body) = post_form(
        &client,
        &app,
        &path,
        &[
            ("csrf", csrf.as_str()),
            ("customer", "AUR-7"),
            ("expires_in_days", "200"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("expires_in_days"), "{body}");
    let (_, total) = app
        .store
        .list_invitations(org.id, survey.id, 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 0, "refused forms store nothing");

    let (status, _, body) = post_form(
        &client,
        &app,
        &path,
        &[
            ("csrf", csrf.as_str()),
            ("customer", "AUR-7"),
            ("interaction_ref", "call-99"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let start = body.find("/i/").expect("the personal link is shown once");
    let link: String = body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
        .collect();
    let (status, respond) = get_page(&TestApp::client(), &app, &link).await;
    assert_eq!(status, 200, "the link opens the survey");
    assert!(
        respond.contains("lang=\"el\""),
        "in the customer's language"
    );
    let (_, page) = get_page(&client, &app, &path).await;
    assert!(page.contains("Link handed over") && page.contains("call-99"));
    assert!(!page.contains(&link), "the link is never shown again");

    let (lead, _) = app.browser_login("lead@inv.test").await;
    let (status, _) = get_page(&lead, &app, &path).await;
    assert_eq!(status, 403);
    let (status, _, _) = post_form(&client, &app, &path, &[("customer", "AUR-7")]).await;
    assert_eq!(status, 403, "no CSRF token, no invitation");
}
