//! A real browser (headless Chromium through ChromeDriver) signs in to the demo as the
//! Hebrew-speaking team lead and checks the page is right-to-left with Hebrew navigation.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test is skipped with a
//! message, except under CI (`CI` set), where a missing browser is a failure.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::TestApp;
use fantoccini::{ClientBuilder, Locator};
use rapport_server::demo::{self, DemoSize};
use rapport_storage::testing;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_chromedriver() -> Option<String> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(str::to_string)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hebrew_team_lead_sees_an_rtl_demo_in_a_real_browser() {
    let Some(driver_bin) = find_chromedriver() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium-driver (see .ci/run)"
        );
        eprintln!("skipping the browser test: chromedriver is not installed (apt-get install chromium chromium-driver)");
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
        },
        &|_, _, _| {},
    )
    .await
    .unwrap();
    drop(store);
    let app = TestApp::spawn_on(db, |c| c.demo = true).await;

    let port = free_port();
    let driver = Driver(
        Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--lang=he"]
        }
    }))
    .unwrap();
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("connect to chromedriver");

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
    drop(driver);
}
