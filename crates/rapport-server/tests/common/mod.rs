//! Test harness: the real server on port 0 against a fresh database (SQLite always,
//! PostgreSQL when `RAPPORT_TEST_DATABASE_URL` is set), with typed helpers.
#![allow(dead_code)]

pub mod browser;
pub mod smtp;

use std::sync::Arc;

use rapport_domain::model::*;
use rapport_domain::*;
use rapport_server::auth::{password, secrets};
use rapport_server::{Application, Config};
use rapport_storage::{testing, Actor, Storage};

/// Generates `mod sqlite { #[tokio::test] fn name() }` and `mod postgres { … }` for each check.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await.unwrap();
                super::$name(app).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(app) = $crate::common::TestApp::spawn($crate::common::Backend::Postgres).await else { return };
                super::$name(app).await;
            })*
        }
    };
}

/// Like `both_backends!`, for checks that configure the server themselves: each gets a fresh
/// database (`testing::TestDb`) instead of a running app.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),*) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(rapport_storage::testing::sqlite()).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(db) = rapport_storage::testing::postgres().await else { return };
                super::$name(db).await
            })*
        }
    };
}

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub store: Arc<dyn Storage>,
    pub db_url: String,
    _db: testing::TestDb,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A signed-in API caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: User,
    pub token: String,
}

pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    /// Waits until no job is queued or running (fails after `secs`), so "nothing happened"
    /// means the worker decided so rather than has not got to it yet.
    pub async fn settle_jobs(&self, secs: u64) {
        for _ in 0..secs * 10 {
            let counts = self.store.job_counts().await.unwrap();
            let busy: i64 = counts
                .iter()
                .filter(|(state, _)| state == "queued" || state == "running")
                .map(|(_, n)| n)
                .sum();
            if busy == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("jobs did not settle: {:?}", self.store.job_counts().await);
    }

    /// `None` when the backend is PostgreSQL and no server is configured.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        let db = match backend {
            Backend::Sqlite => testing::sqlite(),
            Backend::Postgres => testing::postgres().await?,
        };
        Some(Self::spawn_on(db, |_| {}).await)
    }

    pub async fn spawn_on(db: testing::TestDb, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::new(db.url.clone(), "127.0.0.1:0".parse().unwrap());
        config.body_limit = 64 * 1024;
        tweak(&mut config);
        let app = Application::build(config).await.expect("build app");
        let base = format!("http://127.0.0.1:{}", app.port());
        let store = app.state().store.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        TestApp {
            base,
            store,
            db_url: db.url.clone(),
            _db: db,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Starts a graceful shutdown (as SIGTERM does); the handle resolves when the server and
    /// its worker have stopped.
    pub fn shut_down(&mut self) -> tokio::task::JoinHandle<anyhow::Result<()>> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.server.take().expect("shut down once")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn org(&self, slug: &str) -> Organisation {
        self.store
            .create_organisation(&NewOrganisation {
                name: Name::parse("name", &format!("Org {slug}")).unwrap(),
                slug: slug.into(),
                default_locale: Locale::En,
            })
            .await
            .unwrap()
    }

    /// Creates a user with a password and an API token.
    pub async fn caller(
        &self,
        org: OrgId,
        email: &str,
        role: Role,
        locale: Locale,
        team: Option<TeamId>,
    ) -> Caller {
        let hash = password::hash(PASSWORD).unwrap();
        let user = self
            .store
            .create_user(
                Actor::system(org),
                &NewUser {
                    email: Email::parse("email", email).unwrap(),
                    display_name: Name::parse("name", &format!("{role} person")).unwrap(),
                    role,
                    team_id: team,
                    locale,
                    password_hash: Some(hash),
                },
            )
            .await
            .unwrap();
        let (secret, prefix, h) = secrets::new_api_token();
        self.store
            .create_api_token(
                Actor::system(org),
                user.id,
                &Name::parse("n", "test").unwrap(),
                &prefix,
                &h,
            )
            .await
            .unwrap();
        Caller {
            user,
            token: secret,
        }
    }

    /// One caller per role in a fresh organisation.
    pub async fn callers(&self, slug: &str) -> (Organisation, Vec<Caller>) {
        let org = self.org(slug).await;
        let mut out = vec![];
        for role in Role::ALL {
            out.push(
                self.caller(
                    org.id,
                    &format!("{}@{slug}.test", role.as_str()),
                    role,
                    Locale::En,
                    None,
                )
                .await,
            );
        }
        (org, out)
    }

    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap()
    }

    pub async fn api(
        &self,
        c: &Caller,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = Self::client()
            .request(method, self.url(path))
            .bearer_auth(&c.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let json = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
        };
        (status, json)
    }

    /// Signs in through the login form; returns a client holding the session cookie and the
    /// CSRF token of the session.
    pub async fn browser_login(&self, email: &str) -> (reqwest::Client, String) {
        let client = Self::client();
        let page = client
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = extract_csrf(&page);
        let resp = client
            .post(self.url("/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", PASSWORD),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 303, "login should redirect");
        let home = client
            .get(self.url("/settings"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        (client, extract_csrf(&home))
    }
}

pub fn extract_csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// A signed-in browser's GET: status and body.
pub async fn get_page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let resp = client.get(app.url(path)).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// A signed-in browser's form POST: status, `Location` (after a redirect) and body.
pub async fn post_form(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    let resp = client.post(app.url(path)).form(form).send().await.unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, location, resp.text().await.unwrap())
}
