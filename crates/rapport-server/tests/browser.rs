//! A real browser (headless Chromium through ChromeDriver) signs in to the demo as the
//! Hebrew-speaking team lead and checks the page is right-to-left with Hebrew navigation.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test is skipped with a
//! message, except under CI (`CI` set), where a missing browser is a failure.

mod common;

use common::TestApp;
use fantoccini::Locator;
use rapport_server::demo::{self, DemoSize};
use rapport_storage::testing;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hebrew_team_lead_sees_an_rtl_demo_in_a_real_browser() {
    let Some(browser) = common::browser::start().await else {
        return;
    };
    let db = testing::sqlite();
    let store = rapport_storage::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    demo::seed(
        &*store,
        DemoSize {
            agents_per_team: 2,
            customers: 40,
            responses: 300,
            cases: 10,
            conversations: 60,
        },
        &|_, _, _| {},
    )
    .await
    .unwrap();
    drop(store);
    let app = TestApp::spawn_on(db, |c| c.demo = true).await;

    let c = browser.client.clone();

    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("lead@demo.test")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(demo::DEMO_PASSWORD)
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

    let dir = c
        .execute("return document.documentElement.dir", vec![])
        .await
        .unwrap();
    let lang = c
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    assert_eq!(dir, "rtl");
    assert_eq!(lang, "he");
    let nav = c
        .find(Locator::Css("header nav"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for word in ["בית", "מסעות לקוח", "לקוחות", "צוותים"] {
        assert!(nav.contains(word), "navigation {nav:?} lacks {word}");
    }
    // The layout really is mirrored: the brand sits to the right of the navigation.
    let brand_x = c
        .execute(
            "return document.querySelector('.brand').getBoundingClientRect().left",
            vec![],
        )
        .await
        .unwrap();
    let nav_x = c
        .execute(
            "return document.querySelector('header nav').getBoundingClientRect().left",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        brand_x.as_f64().unwrap() > nav_x.as_f64().unwrap(),
        "brand {brand_x} should be right of nav {nav_x}"
    );
    // The Hebrew journey map flows right to left too.
    c.find(Locator::LinkText("מסעות לקוח"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("ul.cards"))
        .await
        .unwrap();
    let title = c
        .find(Locator::Css("main h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!title.is_empty());
    c.close().await.unwrap();
    drop(browser);
}
