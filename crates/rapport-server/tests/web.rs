//! The web UI over real HTTP: sign-in, CSRF, role-aware navigation, RTL, throttling.

mod common;

use common::{extract_csrf, TestApp, PASSWORD};
use rapport_domain::{Locale, Role};

both_backends!(
    login_sets_a_safe_session_cookie_and_logout_ends_it,
    every_form_post_requires_the_csrf_token,
    hebrew_users_get_rtl_pages_and_navigation_follows_roles,
    failed_logins_are_throttled,
    journey_editor_round_trip_without_javascript,
    user_text_is_escaped_and_isolated,
    login_rotates_the_session,
);

async fn login_sets_a_safe_session_cookie_and_logout_ends_it(app: TestApp) {
    let org = app.org("w").await;
    app.caller(org.id, "dana@w.test", Role::Agent, Locale::En, None)
        .await;
    let client = TestApp::client();
    // Protected pages send anonymous visitors to the login page, remembering where they were.
    let r = client.get(app.url("/teams")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=%2Fteams");
    let page = client
        .get(app.url("/login?next=/teams"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&page);
    let r = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "dana@w.test"),
            ("password", PASSWORD),
            ("next", "https://evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/", "off-site next is ignored");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("rapport_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http in tests");
    let home = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    let csrf = extract_csrf(&html);
    let r = client
        .post(app.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        client.get(app.url("/")).send().await.unwrap().status(),
        303,
        "session ended"
    );
    // Wrong password: 401 page with a message, no session.
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&page);
    let r = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "dana@w.test"),
            ("password", "wrong password!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("do not match"));
}

async fn every_form_post_requires_the_csrf_token(app: TestApp) {
    let org = app.org("c").await;
    app.caller(org.id, "admin@c.test", Role::Admin, Locale::En, None)
        .await;
    // Login itself is protected by the double-submit cookie.
    let client = TestApp::client();
    client.get(app.url("/login")).send().await.unwrap();
    let r = client
        .post(app.url("/login"))
        .form(&[("email", "admin@c.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "login without csrf");
    let r = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", "forged"),
            ("email", "admin@c.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "login with a forged csrf");

    let (client, csrf) = app.browser_login("admin@c.test").await;
    let before = app.store.list_teams(org.id).await.unwrap().len();
    for (path, form) in [
        ("/teams", vec![("name", "Forged team")]),
        (
            "/settings",
            vec![("name", "Pwned"), ("default_locale", "en")],
        ),
        ("/journeys", vec![("name", "Forged"), ("locale", "en")]),
        ("/tokens", vec![("name", "stolen")]),
    ] {
        let r = client.post(app.url(path)).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path} without csrf");
        let page = r.text().await.unwrap();
        assert!(page.contains("<html"), "web errors are pages, not JSON");
        let mut forged = form.clone();
        forged.push(("csrf", "0000"));
        assert_eq!(
            client
                .post(app.url(path))
                .form(&forged)
                .send()
                .await
                .unwrap()
                .status(),
            403,
            "{path} forged"
        );
    }
    assert_eq!(
        app.store.list_teams(org.id).await.unwrap().len(),
        before,
        "nothing written"
    );
    assert_eq!(
        app.store.get_organisation(org.id).await.unwrap().name,
        "Org c"
    );
    let r = client
        .post(app.url("/teams"))
        .form(&[("csrf", csrf.as_str()), ("name", "Real team")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.store.list_teams(org.id).await.unwrap().len(),
        before + 1
    );
    // The API never accepts the browser's cookie, so CSRF cannot reach it either.
    let r = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

async fn hebrew_users_get_rtl_pages_and_navigation_follows_roles(app: TestApp) {
    let org = app.org("h").await;
    app.caller(org.id, "lead@h.test", Role::TeamLead, Locale::He, None)
        .await;
    app.caller(org.id, "agent@h.test", Role::Agent, Locale::El, None)
        .await;
    let (lead, _) = app.browser_login("lead@h.test").await;
    let html = lead
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"he\" dir=\"rtl\">"), "{html}");
    assert!(html.contains("מסעות לקוח"), "Hebrew navigation");
    assert!(html.contains("href=\"/users\""), "leads see people");
    assert!(
        !html.contains("href=\"/audit\""),
        "only admins see the audit log"
    );
    let (agent, csrf) = app.browser_login("agent@h.test").await;
    let html = agent
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"el\" dir=\"ltr\">"));
    assert!(
        !html.contains("href=\"/users\""),
        "agents do not see people"
    );
    let r = agent.get(app.url("/users")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("lang=\"el\"") || page.contains("lang=\"en\""),
        "{page}"
    );
    // Switching language persists on the user.
    let r = agent
        .post(app.url("/locale"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("locale", "he"),
            ("back", "/teams"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/teams");
    let html = agent
        .get(app.url("/teams"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("dir=\"rtl\""));
    // Anonymous visitors get the language their browser asks for.
    let html = TestApp::client()
        .get(app.url("/login"))
        .header("accept-language", "el-GR,el;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"el\""));
}

async fn failed_logins_are_throttled(app: TestApp) {
    let org = app.org("r").await;
    app.caller(org.id, "victim@r.test", Role::Viewer, Locale::En, None)
        .await;
    let client = TestApp::client();
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&page);
    for _ in 0..5 {
        let r = client
            .post(app.url("/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", "victim@r.test"),
                ("password", "guess guess guess"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    // Even the right password is refused while throttled.
    let r = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "victim@r.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "900", "the throttle's window");
}

async fn journey_editor_round_trip_without_javascript(app: TestApp) {
    let org = app.org("e").await;
    app.caller(org.id, "m@e.test", Role::CxManager, Locale::En, None)
        .await;
    app.caller(org.id, "v@e.test", Role::Viewer, Locale::En, None)
        .await;
    let (client, csrf) = app.browser_login("m@e.test").await;
    let r = client
        .post(app.url("/journeys"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Ασφάλιση κατοικίας"),
            ("locale", "el"),
            ("description", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let html = client
        .get(app.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Πρώτη επαφή"), "default Greek stage names");
    let journey_id: i64 = loc.trim_start_matches("/journeys/").parse().unwrap();
    let map = app
        .store
        .get_journey(org.id, rapport_domain::JourneyId(journey_id))
        .await
        .unwrap();
    let stage = map.stages[1].stage.id.0.to_string();
    let r = client
        .post(app.url("/touchpoints"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("stage_id", stage.as_str()),
            ("name", "Τηλεφωνικό κέντρο"),
            ("channel", "phone"),
            ("owner_id", ""),
            ("promise", "Απάντηση σε 3 λεπτά"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = client
        .get(app.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Απάντηση σε 3 λεπτά"));
    // Invalid input shows an error page and writes nothing.
    let r = client
        .post(app.url("/touchpoints"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("stage_id", stage.as_str()),
            ("name", "x"),
            ("channel", "pigeon"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let map = app
        .store
        .get_journey(org.id, rapport_domain::JourneyId(journey_id))
        .await
        .unwrap();
    assert_eq!(map.stages[1].touchpoints.len(), 1);
    // A viewer sees the map but no edit forms, and cannot post.
    let (viewer, vcsrf) = app.browser_login("v@e.test").await;
    let html = viewer
        .get(app.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Απάντηση σε 3 λεπτά"));
    assert!(!html.contains("action=\"/touchpoints\""));
    let r = viewer
        .post(app.url("/touchpoints"))
        .form(&[
            ("csrf", vcsrf.as_str()),
            ("stage_id", stage.as_str()),
            ("name", "y"),
            ("channel", "web"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

async fn user_text_is_escaped_and_isolated(app: TestApp) {
    let org = app.org("x").await;
    let admin = app
        .caller(org.id, "a@x.test", Role::Admin, Locale::En, None)
        .await;
    let (status, _) = app
        .api(
            &admin,
            reqwest::Method::POST,
            "/api/v1/teams",
            Some(serde_json::json!({"name": "<script>alert(1)</script>"})),
        )
        .await;
    assert_eq!(status, 201);
    let (client, _) = app.browser_login("a@x.test").await;
    let html = client
        .get(app.url("/teams"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("<bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>"));
    let r = client.get(app.url("/teams")).send().await.unwrap();
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    assert_eq!(r.headers()["x-frame-options"], "DENY");
}

/// A client that sends exactly this session cookie (no cookie store).
fn with_session(sid: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::COOKIE,
        format!("rapport_session={sid}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

fn session_cookie(resp: &reqwest::Response) -> String {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("rapport_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string()
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn signed_in(client: &reqwest::Client, app: &TestApp) -> bool {
    client
        .get(app.url("/settings"))
        .send()
        .await
        .unwrap()
        .status()
        == 200
}

async fn login_rotates_the_session(app: TestApp) {
    let org = app.org("ro").await;
    app.caller(org.id, "ro@ro.test", Role::Agent, Locale::En, None)
        .await;
    let app = &app;
    // First sign-in: session one.
    let client = TestApp::client();
    let page = get(&client, app, "/login").await.1;
    let csrf = extract_csrf(&page);
    let form = [
        ("csrf", csrf.as_str()),
        ("email", "ro@ro.test"),
        ("password", PASSWORD),
    ];
    let r = client
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let first = session_cookie(&r);
    assert!(signed_in(&with_session(&first), app).await);
    // Signing in again from the same browser (it sends session one along, and its form
    // carries that session's token) rotates it.
    let csrf = extract_csrf(&get(&client, app, "/settings").await.1);
    let form = [
        ("csrf", csrf.as_str()),
        ("email", "ro@ro.test"),
        ("password", PASSWORD),
    ];
    let r = client
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let second = session_cookie(&r);
    assert_ne!(first, second);
    assert!(
        !signed_in(&with_session(&first), app).await,
        "the old id is dead"
    );
    assert!(
        signed_in(&with_session(&second), app).await,
        "the new one works"
    );

    // Session fixation: an id planted in a victim's browser (here, one the attacker got by
    // signing in to their own account) is ended by the victim's login, not adopted.
    app.caller(org.id, "mallory@ro.test", Role::Viewer, Locale::En, None)
        .await;
    let attacker = TestApp::client();
    let page = get(&attacker, app, "/login").await.1;
    let a_csrf = extract_csrf(&page);
    let r = attacker
        .post(app.url("/login"))
        .form(&[
            ("csrf", a_csrf.as_str()),
            ("email", "mallory@ro.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let planted = session_cookie(&r);
    let victim = {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            format!("rapport_session={planted}; rapport_login_csrf={a_csrf}")
                .parse()
                .unwrap(),
        );
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap()
    };
    // The victim's browser holds the planted session, so its form carries that session's token.
    let victim_page = get(&victim, app, "/settings").await.1;
    let v_csrf = extract_csrf(&victim_page);
    let r = victim
        .post(app.url("/login"))
        .form(&[
            ("csrf", v_csrf.as_str()),
            ("email", "ro@ro.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let fresh = session_cookie(&r);
    assert_ne!(fresh, planted);
    assert!(!signed_in(&with_session(&planted), app).await);
    assert!(signed_in(&with_session(&fresh), app).await);
}
