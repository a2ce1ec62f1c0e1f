//! Ambassadorship pages over real HTTP, without JavaScript: the linkage with its reading,
//! scatter plot and statistics (and 422 naming the field), Hebrew right to left, pulse results
//! that never print a number for a hidden group, behaviour for leads only, managers drafting
//! and opening a pulse by form post (CSRF required), and one look in a real browser.

mod common;

use common::{get_page as get, post_form as post, Caller, TestApp};
use fantoccini::Locator;
use rapport_domain::ambassadorship::PulseScores;
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_server::auth::secrets;
use rapport_server::demo::DemoSize;
use rapport_storage::Actor;
use reqwest::Method;

both_backends!(
    linkage_page_reads_plots_and_compares,
    hidden_pulse_groups_never_show_a_number,
    managers_draft_open_and_close_a_pulse,
    behaviour_is_for_leads,
);

/// The demo organisation (pulses over eight quarters, behaviour events) and one person per
/// role who signs in with the test password.
async fn demo(app: &TestApp) -> (OrgId, Vec<Caller>) {
    let world = rapport_server::demo::seed(
        &*app.store,
        DemoSize {
            agents_per_team: 6,
            customers: 800,
            responses: 300,
            cases: 5,
            conversations: 30,
        },
        &|_, _, _| {},
    )
    .await
    .unwrap();
    let org = world.org.id;
    let mut callers = vec![];
    for (email, role, locale) in [
        ("boss@pages.test", Role::CxManager, Locale::En),
        ("rosh@pages.test", Role::CxManager, Locale::He),
        ("lead@pages.test", Role::TeamLead, Locale::El),
        ("agent@pages.test", Role::Agent, Locale::En),
        ("exec@pages.test", Role::Viewer, Locale::En),
    ] {
        callers.push(app.caller(org, email, role, locale, None).await);
    }
    (org, callers)
}

/// What a reader sees of some markup: the text between the tags.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start..].find("</section>").unwrap() + start;
    &html[start..end]
}

async fn linkage_page_reads_plots_and_compares(app: TestApp) {
    let (_, callers) = demo(&app).await;
    let (_, api) = app
        .api(
            &callers[0],
            Method::GET,
            "/api/v1/linkage?ex=ambassadorship.customer&cx=retention_90d&lag=1&quarters=8",
            None,
        )
        .await;
    let points = api["points"].as_array().unwrap().len();
    assert!(points >= 10, "the demo has a relation to find: {api}");

    let (boss, _) = app.browser_login("boss@pages.test").await;
    let (status, html) = get(&boss, &app, "/linkage").await;
    assert_eq!(status, 200, "{html}");
    // The defaults: commitment to the customer against 90-day retention, one quarter later.
    assert!(html.contains("<option value=\"ambassadorship.customer\" selected>"));
    assert!(html.contains("<option value=\"retention_90d\" selected>"));
    assert!(html.contains("<option value=\"1\" selected>"));
    assert!(html.contains("<option value=\"8\" selected>"));
    // The reading, as the API words it for the same person.
    let reading = section(&html, "reading");
    assert!(
        reading.contains(api["reading"].as_str().unwrap()),
        "{reading}\n{}",
        api["reading"]
    );
    // One circle per team-quarter, each with its hover title, and the table fallback.
    let scatter = section(&html, "scatter");
    assert_eq!(scatter.matches("<circle").count(), points, "{scatter}");
    let p0 = &api["points"][0];
    assert!(scatter.contains(&format!(
        "<title>{} · {}: ",
        p0["team"].as_str().unwrap(),
        p0["period"].as_str().unwrap()
    )));
    assert!(scatter.contains("commitment to the customer"));
    assert!(scatter.contains("90-day retention"));
    assert!(scatter.contains("<desc>") && scatter.contains("<table>"));
    // The statistics, and the same for customer NPS beside them.
    let stats = section(&html, "statistics");
    assert!(stats.contains("Pearson r") && stats.contains("Spearman ρ"));
    assert!(stats.contains(&format!("<bdi class=\"num\">{points}</bdi>")));
    assert!(stats.contains("95% interval") && stats.contains("p-value"));
    let nps = section(&html, "nps-comparison");
    assert!(nps.contains("id=\"stats-nps\""), "{nps}");
    let reg = section(&html, "regression");
    assert!(
        reg.contains("id=\"regression-table\"") || reg.contains("amb-reg-none"),
        "{reg}"
    );
    assert!(!reg.contains("amb-reg-none-"), "a message id leaked: {reg}");

    // Another choice; too little history to say much is said with a caveat in words.
    let (status, html) = get(
        &boss,
        &app,
        "/linkage?ex=enps&cx=complaint_90d&lag=0&quarters=4",
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("<option value=\"enps\" selected>"));
    assert!(!html.contains("amb-warn"), "untranslated warning");

    // A measure that does not exist: 422, the field named, nothing computed.
    let (status, html) = get(&boss, &app, "/linkage?ex=happiness&cx=retention_90d").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("data-field=\"ex\""), "{html}");
    assert!(html.contains("id=\"lk-ex\" name=\"ex\" aria-invalid=\"true\""));
    assert!(!html.contains("<circle"));
    let (status, html) = get(&boss, &app, "/linkage?lag=9").await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"lag\""));
    let (status, html) = get(&boss, &app, "/linkage?quarters=x").await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"quarters\""));

    // Hebrew: right to left, the reading in Hebrew, the plot mirrored.
    let (rosh, _) = app.browser_login("rosh@pages.test").await;
    let (status, html) = get(&rosh, &app, "/linkage").await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"he\" dir=\"rtl\">"));
    assert!(section(&html, "reading").contains("רבעונים"), "{html}");
    assert!(html.contains("מחויבות ללקוח"));
    // Everyone in the organisation may read it, executives included.
    let (exec, _) = app.browser_login("exec@pages.test").await;
    assert_eq!(get(&exec, &app, "/linkage").await.0, 200);
    let (agent, _) = app.browser_login("agent@pages.test").await;
    assert_eq!(get(&agent, &app, "/linkage").await.0, 200);
}

async fn hidden_pulse_groups_never_show_a_number(app: TestApp) {
    let org = app.org("pr").await.id;
    let a = Actor::system(org);
    let manager = app
        .caller(org, "manager@pr.test", Role::CxManager, Locale::En, None)
        .await;
    let mut people: Vec<(String, Vec<UserId>)> = vec![];
    // Six, six and three: the small team is hidden, and one more so it cannot be subtracted.
    for (name, size) in [("Haifa", 6), ("Athens", 6), ("London", 3)] {
        let team = app
            .store
            .create_team(
                a,
                &NewTeam {
                    name: Name::parse("n", name).unwrap(),
                    lead_id: None,
                },
            )
            .await
            .unwrap()
            .id;
        let mut ids = vec![];
        for i in 0..size {
            let c = app
                .caller(
                    org,
                    &format!("{}{i}@pr.test", name.to_lowercase()),
                    Role::Agent,
                    Locale::He,
                    Some(team),
                )
                .await;
            ids.push(c.user.id);
        }
        people.push((name.to_string(), ids));
    }
    let pulse = app
        .store
        .create_pulse(
            Actor::user(org, manager.user.id),
            "Spring",
            "2026-Q2",
            &rapport_domain::ambassadorship::default_pulse(),
        )
        .await
        .unwrap();
    app.store
        .set_pulse_status(Actor::user(org, manager.user.id), pulse.id, "open")
        .await
        .unwrap();
    for (name, ids) in &people {
        let invitations: Vec<(UserId, String)> = ids
            .iter()
            .map(|u| (*u, secrets::sha256_hex(&format!("token-{}", u.0))))
            .collect();
        app.store
            .invite_to_pulse(Actor::user(org, manager.user.id), pulse.id, &invitations)
            .await
            .unwrap();
        // London answers with figures that would be recognisable anywhere on the page.
        let (enps, index) = if name == "London" {
            (3, 87.5)
        } else {
            (8, 50.0)
        };
        for (_, hash) in &invitations {
            let scores = PulseScores {
                enps: Some(enps),
                company: Some(index),
                value_proposition: Some(index),
                customer: Some(index),
            };
            assert!(app.store.submit_pulse(hash, &scores).await.unwrap());
        }
    }

    for email in ["manager@pr.test", "london0@pr.test"] {
        let (c, _) = app.browser_login(email).await;
        let (status, html) = get(&c, &app, "/pulse-results").await;
        assert_eq!(status, 200, "{email}: {html}");
        let table = section(&html, "q-2026-Q2");
        let rows: Vec<&str> = table.split("<tr").skip(2).collect();
        let hidden: Vec<&&str> = rows.iter().filter(|r| r.contains("suppressed")).collect();
        assert_eq!(hidden.len(), 2, "London and one more: {table}");
        assert!(hidden.iter().any(|r| r.contains("London")));
        for r in &hidden {
            // Words only: no count, no eNPS, no index — the one figure is the minimum size.
            assert!(!r.contains("class=\"num\""), "{r}");
            let digits: String = text(&format!("<tr{r}"))
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            assert_eq!(digits, "5", "{r}");
        }
        // London's own figures (eNPS −100, index 88) appear nowhere in the table.
        let shown = text(table);
        assert!(!shown.contains("88") && !shown.contains("100"), "{shown}");
        // The organisation row is shown, and the shown team has its figures.
        let org_row = rows
            .iter()
            .find(|r| r.contains("data-team=\"org\""))
            .unwrap();
        assert!(org_row.contains("<bdi class=\"num\">15</bdi>"), "{org_row}");
        assert!(html.contains("id=\"how\""));
    }
    // With one quarter and no customers there is nothing to relate yet: the page says so in
    // words — no points, the reason the regression is missing — and shows no message ids.
    let (m, _) = app.browser_login("manager@pr.test").await;
    let (status, html) = get(&m, &app, "/linkage").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        section(&html, "reading").contains("Not enough data"),
        "{html}"
    );
    assert!(section(&html, "scatter").contains("No team-quarter has both measures yet"));
    assert!(!html.contains("<circle"));
    assert!(
        section(&html, "statistics").contains("only 0 points"),
        "{html}"
    );
    let reg = section(&html, "regression");
    assert!(
        reg.contains("Not shown: 0 team-quarters are too few"),
        "{reg}"
    );
    assert!(!text(&html).contains("amb-") && !text(&html).contains("linkage-"));
    // Hebrew for the London agent, right to left.
    let (c, _) = app.browser_login("london1@pr.test").await;
    let (_, html) = get(&c, &app, "/pulse-results").await;
    assert!(html.contains("<html lang=\"he\" dir=\"rtl\">"));
    assert!(html.contains("מוסתר"));
    // Agents may see results but not manage pulses.
    assert_eq!(get(&c, &app, "/pulses").await.0, 403);
    assert_eq!(get(&c, &app, &format!("/pulses/{}", pulse.id)).await.0, 403);
    assert_eq!(get(&c, &app, "/behaviour").await.0, 403);
}

async fn managers_draft_open_and_close_a_pulse(app: TestApp) {
    let org = app.org("mp").await.id;
    let a = Actor::system(org);
    app.caller(org, "manager@mp.test", Role::CxManager, Locale::He, None)
        .await;
    let team = app
        .store
        .create_team(
            a,
            &NewTeam {
                name: Name::parse("n", "Haifa").unwrap(),
                lead_id: None,
            },
        )
        .await
        .unwrap()
        .id;
    for i in 0..4 {
        app.caller(
            org,
            &format!("a{i}@mp.test"),
            Role::Agent,
            Locale::En,
            Some(team),
        )
        .await;
    }
    app.caller(org, "lead@mp.test", Role::TeamLead, Locale::El, Some(team))
        .await;
    let (m, csrf) = app.browser_login("manager@mp.test").await;
    let (status, html) = get(&m, &app, "/pulses").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<html lang=\"he\" dir=\"rtl\">"));
    assert!(html.contains("href=\"/pulses\" aria-current=\"page\""));
    let current = rapport_server::ambassadorship::quarter(chrono::Utc::now());
    assert!(html.contains(&format!("value=\"{current}\"")), "{html}");

    // Without the token nothing happens.
    let (status, _, _) = post(&m, &app, "/pulses", &[("title", "Q pulse")]).await;
    assert_eq!(status, 403);
    assert!(app.store.list_pulses(org).await.unwrap().is_empty());
    // A bad quarter is refused, naming it and keeping the title.
    let (status, _, html) = post(
        &m,
        &app,
        "/pulses",
        &[
            ("csrf", &csrf),
            ("title", "Autumn pulse"),
            ("period", "2026-Q9"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("data-field=\"period\""));
    assert!(html.contains("value=\"Autumn pulse\""));
    assert!(app.store.list_pulses(org).await.unwrap().is_empty());
    let (status, location, _) = post(
        &m,
        &app,
        "/pulses",
        &[("csrf", &csrf), ("title", "Autumn pulse"), ("period", "")],
    )
    .await;
    assert_eq!(status, 303);
    let pulses = app.store.list_pulses(org).await.unwrap();
    assert_eq!(pulses.len(), 1);
    let p = &pulses[0];
    assert_eq!(
        (p.period.as_str(), p.status.as_str()),
        (current.as_str(), "draft")
    );
    let path = format!("/pulses/{}", p.id);
    assert_eq!(location.as_deref(), Some(path.as_str()));

    // The questions in the manager's language, and the button to open it.
    let (status, html) = get(&m, &app, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("עד כמה סביר שתמליצו"), "{html}");
    assert!(html.contains(&format!("action=\"{path}/open\"")));
    assert_eq!(post(&m, &app, &format!("{path}/open"), &[]).await.0, 403);
    let (status, location, _) = post(&m, &app, &format!("{path}/open"), &[("csrf", &csrf)]).await;
    assert_eq!(status, 303);
    // Four agents and the lead, not the manager.
    assert_eq!(
        location.as_deref(),
        Some(format!("{path}?invited=5").as_str())
    );
    let p = app.store.get_pulse(org, p.id).await.unwrap();
    assert_eq!((p.status.as_str(), p.invited), ("open", 5));
    let (_, html) = get(&m, &app, &format!("{path}?invited=5")).await;
    assert!(html.contains("role=\"status\""));
    assert!(html.contains(&format!("action=\"{path}/close\"")));
    let (status, location, _) = post(&m, &app, &format!("{path}/close"), &[("csrf", &csrf)]).await;
    assert_eq!((status, location.is_some()), (303, true));
    assert_eq!(
        app.store.get_pulse(org, p.id).await.unwrap().status,
        "closed"
    );
    let (_, list) = get(&m, &app, "/pulses").await;
    assert!(list.contains(&format!("data-pulse=\"{}\"", p.id)));
    assert!(list.contains("Autumn pulse"));

    // Agents and leads may not manage pulses.
    for email in ["a0@mp.test", "lead@mp.test"] {
        let (c, csrf) = app.browser_login(email).await;
        assert_eq!(get(&c, &app, "/pulses").await.0, 403);
        let (status, _, _) = post(&c, &app, &format!("{path}/open"), &[("csrf", &csrf)]).await;
        assert_eq!(status, 403);
        let (_, html) = get(&c, &app, "/").await;
        assert!(!html.contains("href=\"/pulses\""));
        assert!(html.contains("href=\"/linkage\""));
    }
}

async fn behaviour_is_for_leads(app: TestApp) {
    let (_, _) = demo(&app).await;
    let (lead, _) = app.browser_login("lead@pages.test").await;
    let (status, html) = get(&lead, &app, "/behaviour").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<html lang=\"el\" dir=\"ltr\">"));
    assert!(html.contains("table class=\"behaviour\""), "{html}");
    assert!(html.contains("id=\"how\""));
    let (status, html) = get(&lead, &app, "/behaviour?quarters=4").await;
    assert_eq!(status, 200);
    assert!(html.contains("<option value=\"4\" selected>"));
    let (_, html) = get(&lead, &app, "/pulse-results").await;
    assert!(html.contains("table class=\"results\""), "{html}");
    assert!(html.contains("<svg"), "the organisation's trend");
    for email in ["agent@pages.test", "exec@pages.test"] {
        let (c, _) = app.browser_login(email).await;
        assert_eq!(get(&c, &app, "/behaviour").await.0, 403, "{email}");
    }
}

/// In a real browser the Hebrew linkage page runs right to left: the scatter's x axis grows
/// from right to left, its y axis stands on the right, and nothing overflows sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hebrew_linkage_in_a_real_browser() {
    let Some(browser) = common::browser::start().await else {
        return;
    };
    let app = TestApp::spawn(common::Backend::Sqlite).await.unwrap();
    demo(&app).await;
    let c = browser.client.clone();
    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("rosh@pages.test")
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
    c.goto(&app.url("/linkage")).await.unwrap();
    let dir = c
        .execute("return document.documentElement.dir", vec![])
        .await
        .unwrap();
    assert_eq!(dir, "rtl");
    let js = r#"
        const ticks = [...document.querySelectorAll('#scatter svg text.axis[text-anchor="middle"]')];
        const first = ticks[0].getBoundingClientRect().left;
        const last = ticks[ticks.length - 1].getBoundingClientRect().left;
        const plot = document.querySelector('#scatter svg').getBoundingClientRect();
        const yTitle = document.querySelectorAll('#scatter svg text.axis-title')[1].getBoundingClientRect();
        const reading = document.querySelector('#reading p.reading').getBoundingClientRect();
        return [first, last, yTitle.left - plot.left, plot.width, reading.height,
                document.documentElement.scrollWidth - window.innerWidth];
    "#;
    let v = c.execute(js, vec![]).await.unwrap();
    let v: Vec<f64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(
        v[0] > v[1],
        "the lowest x tick sits right of the highest: {v:?}"
    );
    assert!(v[2] > v[3] / 2.0, "the y axis title is on the right: {v:?}");
    assert!(v[4] > 0.0, "the reading is visible");
    assert!(v[5] <= 0.0, "no sideways scrolling: {v:?}");
    let circles = c
        .find_all(Locator::Css("#scatter circle.pt"))
        .await
        .unwrap();
    assert!(circles.len() >= 10);
    // End the session, so Chromium exits with its driver.
    c.close().await.unwrap();
}
