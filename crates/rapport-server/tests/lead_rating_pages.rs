//! Manager 360 pages: a team member rates their lead once a quarter, anonymously; the lead
//! sees the ratings only once enough people answered; agents cannot see them.
mod common;

use common::{get_page, post_form, TestApp};
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_storage::Actor;

both_backends!(team_members_rate_their_lead_anonymously);

async fn team_members_rate_their_lead_anonymously(app: TestApp) {
    let org = app.org("lr").await;
    let team = app
        .store
        .create_team(
            Actor::system(org.id),
            &NewTeam {
                name: Name::parse("n", "Haifa").unwrap(),
                lead_id: None,
            },
        )
        .await
        .unwrap()
        .id;
    let lead = app
        .caller(
            org.id,
            "lead@lr.test",
            Role::TeamLead,
            Locale::He,
            Some(team),
        )
        .await;
    app.store
        .update_team(
            Actor::system(org.id),
            team,
            &NewTeam {
                name: Name::parse("n", "Haifa").unwrap(),
                lead_id: Some(lead.user.id),
            },
        )
        .await
        .unwrap();
    for i in 0..5 {
        app.caller(
            org.id,
            &format!("agent{i}@lr.test"),
            Role::Agent,
            Locale::En,
            Some(team),
        )
        .await;
    }
    let rate = |i: usize, care: &'static str| {
        let app = &app;
        async move {
            let (client, csrf) = app.browser_login(&format!("agent{i}@lr.test")).await;
            let (status, page) = get_page(&client, app, "/me/lead-rating").await;
            assert_eq!(status, 200);
            assert!(page.contains("lead person"), "the lead is named: {page}");
            post_form(
                &client,
                app,
                "/me/lead-rating",
                &[
                    ("csrf", csrf.as_str()),
                    ("authenticity", "4"),
                    ("humility", "5"),
                    ("connectedness", "3"),
                    ("care", care),
                ],
            )
            .await
        }
    };
    // A missing trait is refused, naming it; nothing is stored.
    let (status, _, body) = rate(0, "").await;
    assert_eq!(status, 422);
    assert!(body.contains("care"), "{body}");
    // Without the form token: refused.
    let (client, _) = app.browser_login("agent0@lr.test").await;
    let (status, _, _) =
        post_form(&client, &app, "/me/lead-rating", &[("authenticity", "4")]).await;
    assert_eq!(status, 403);

    let (status, to, _) = rate(0, "4").await;
    assert_eq!(
        (status, to.as_deref()),
        (303, Some("/me/lead-rating?rated=1"))
    );
    let (_, to, _) = rate(0, "2").await;
    assert_eq!(
        to.as_deref(),
        Some("/me/lead-rating?rated=0"),
        "once a quarter"
    );

    let (lead_client, _) = app.browser_login("lead@lr.test").await;
    let (status, page) = get_page(&lead_client, &app, "/lead-ratings").await;
    assert_eq!(status, 200);
    assert!(page.contains("dir=\"rtl\""));
    assert!(!page.contains(">4.0<"), "one answer is hidden");
    for i in 1..5 {
        rate(i, "4").await;
    }
    let (_, page) = get_page(&lead_client, &app, "/lead-ratings").await;
    assert!(
        page.contains(">4.0<") && page.contains(">5.0<"),
        "five answers show: {page}"
    );
    let (status, _) = get_page(&client, &app, "/lead-ratings").await;
    assert_eq!(status, 403, "agents do not see ratings");
}
