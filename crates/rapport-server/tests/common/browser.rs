//! Headless Chromium through ChromeDriver, for tests that check what a person sees.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them `start` returns `None` and the
//! test skips with a message, except under CI (`CI` set), where a missing browser fails.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A browser session; the driver process ends when this is dropped.
pub struct Browser {
    pub client: Client,
    _driver: Driver,
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

pub async fn start() -> Option<Browser> {
    let Some(bin) = find_chromedriver() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium-driver (see .ci/run)"
        );
        eprintln!("skipping the browser test: chromedriver is not installed (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = free_port();
    let driver = Driver(
        Command::new(bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    // The flags keep Chromium off the (closed) network and quiet on a headless machine.
    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1280,900"]
        }
    }))
    .unwrap();
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => {
                return Some(Browser {
                    client,
                    _driver: driver,
                })
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    panic!("could not connect to chromedriver");
}

/// The left edge of the first element matching `selector`, in CSS pixels.
pub async fn left_of(c: &Client, selector: &str) -> f64 {
    let js = format!("return document.querySelector({selector:?}).getBoundingClientRect().left");
    c.execute(&js, vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap_or_else(|| panic!("no element {selector}"))
}
