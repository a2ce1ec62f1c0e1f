//! Password reset and session rotation end to end: the real server and its worker send the
//! reset e-mail over SMTP to a sink in the test; the link is taken from the message as it
//! arrived on the wire and used through the real pages.
mod common;

use std::time::Duration;

use common::smtp::{self, spawn_sink, Inbox, Mail};
use common::{extract_csrf, Caller, TestApp, PASSWORD};
use rapport_domain::model::User;
use rapport_domain::*;
use rapport_server::auth::{password, secrets};
use rapport_storage::{testing, ResetTokenState};

on_both!(
    the_link_in_the_email_works_once_and_ends_every_session,
    unknown_and_inactive_addresses_get_the_same_answer_and_no_mail,
    expired_links_are_refused_and_change_nothing,
    bad_links_get_a_clear_localised_page,
    forgot_and_reset_forms_need_the_csrf_token,
    hebrew_users_get_a_hebrew_email,
    two_simultaneous_uses_exactly_one_wins,
    requests_are_throttled_per_address,
    administrators_send_reset_links_from_the_users_page
);

const PUBLIC_URL: &str = "http://rapport.example";
const NEW_PASSWORD: &str = "a brand new passphrase";

struct World {
    app: TestApp,
    inbox: Inbox,
}

async fn world(db: testing::TestDb, ttl: chrono::Duration) -> World {
    let (port, inbox) = spawn_sink().await;
    let app = TestApp::spawn_on(db, move |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.public_url = Some(PUBLIC_URL.into());
        c.password_reset_ttl = ttl;
    })
    .await;
    World { app, inbox }
}

async fn default_world(db: testing::TestDb) -> World {
    world(db, chrono::Duration::minutes(60)).await
}

impl World {
    async fn user(&self, slug: &str, email: &str, role: Role, locale: Locale) -> Caller {
        let org = self.app.org(slug).await;
        self.app.caller(org.id, email, role, locale, None).await
    }

    /// Waits until the sink holds `n` messages (or fails after 20 s).
    async fn wait_for(&self, n: usize) -> Vec<Mail> {
        smtp::wait_for(&self.inbox, n, 20).await
    }

    /// Waits until no job is queued or running, so "no mail" means nothing was sent.
    async fn settle(&self) {
        self.app.settle_jobs(20).await
    }

    /// Asks for a reset link as an anonymous browser would: status and page.
    async fn forgot(&self, client: &reqwest::Client, email: &str) -> (u16, String) {
        let page = get(client, &self.app, "/password/forgot").await.1;
        let csrf = extract_csrf(&page);
        let r = client
            .post(self.app.url("/password/forgot"))
            .form(&[("csrf", csrf.as_str()), ("email", email)])
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Requests a link for `email` and returns the token of the `n`-th message's link.
    async fn link_for(&self, email: &str, n: usize) -> String {
        let (status, _) = self.forgot(&TestApp::client(), email).await;
        assert_eq!(status, 200);
        let mails = self.wait_for(n).await;
        token_of(&mails[n - 1])
    }

    /// Posts the new-password form for `token` with a fresh anonymous browser.
    async fn reset(&self, token: &str, password: &str, confirm: &str) -> (u16, String) {
        reset_with(&self.app, &TestApp::client(), token, password, confirm).await
    }

    async fn can_log_in(&self, email: &str, password: &str) -> bool {
        login(&self.app, &TestApp::client(), email, password).await == 303
    }
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn reset_with(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
    password: &str,
    confirm: &str,
) -> (u16, String) {
    let page = get(client, app, "/password/forgot").await.1;
    let csrf = extract_csrf(&page);
    let r = client
        .post(app.url("/password/reset"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("token", token),
            ("password", password),
            ("confirm", confirm),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    if status == 303 {
        assert_eq!(r.headers()["location"], "/login?reset=1");
    }
    (status, r.text().await.unwrap())
}

async fn login(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> u16 {
    let page = get(client, app, "/login").await.1;
    let csrf = extract_csrf(&page);
    client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn parsed(mail: &Mail) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(&mail.data)
        .expect("a parsable message")
}

/// The token of the reset link in a message's plain-text part.
fn token_of(mail: &Mail) -> String {
    let text = parsed(mail).body_text(0).unwrap().to_string();
    let prefix = format!("{PUBLIC_URL}/password/reset?token=");
    let start = text.find(&prefix).expect("the message has a reset link") + prefix.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    assert_eq!(token.len(), 64, "{text}");
    token
}

async fn state_of(app: &TestApp, token: &str) -> Option<ResetTokenState> {
    app.store
        .password_reset_state(&secrets::sha256_hex(token), chrono::Utc::now())
        .await
        .unwrap()
}

async fn password_hash(app: &TestApp, user: &User) -> Option<String> {
    app.store
        .user_credentials(&Email::parse("e", &user.email).unwrap())
        .await
        .unwrap()
        .unwrap()
        .1
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

async fn the_link_in_the_email_works_once_and_ends_every_session(db: testing::TestDb) {
    let w = default_world(db).await;
    let dana = w.user("pr", "dana@pr.test", Role::Agent, Locale::En).await;
    let (laptop, _) = w.app.browser_login("dana@pr.test").await;
    let (phone, _) = w.app.browser_login("dana@pr.test").await;
    assert!(signed_in(&laptop, &w.app).await && signed_in(&phone, &w.app).await);

    // The login page leads to the form; the answer promises a link that works for an hour.
    let anon = TestApp::client();
    let login_page = get(&anon, &w.app, "/login").await.1;
    assert!(login_page.contains("href=\"/password/forgot\""));
    let (status, page) = w.forgot(&anon, "Dana@PR.test").await;
    assert_eq!(status, 200);
    assert!(page.contains("is on its way"), "{page}");
    assert!(page.contains("60 minutes"), "{page}");

    let mails = w.wait_for(1).await;
    assert_eq!(mails[0].to, vec!["dana@pr.test".to_string()]);
    let msg = parsed(&mails[0]);
    assert_eq!(msg.subject(), Some("Reset your Rapport password"));
    let html = msg.body_html(0).unwrap().to_string();
    let token = token_of(&mails[0]);
    assert!(html.contains(&format!("/password/reset?token={token}")));
    // Only the token's hash is stored, and it is usable.
    assert!(matches!(
        state_of(&w.app, &token).await,
        Some(ResetTokenState::Usable { user, .. }) if user == dana.user.id
    ));

    // The link opens the form; the page is kept out of caches and referrers.
    let link = format!("/password/reset?token={token}");
    let r = anon.get(w.app.url(&link)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let form = r.text().await.unwrap();
    assert!(form.contains("name=\"confirm\""), "{form}");

    // Mistakes are shown on the form and change nothing.
    let before = password_hash(&w.app, &dana.user).await;
    let (status, page) = w.reset(&token, "short", "short").await;
    assert_eq!(status, 422);
    assert!(page.contains("at least 10 characters"), "{page}");
    let (status, page) = w.reset(&token, NEW_PASSWORD, "another passphrase").await;
    assert_eq!(status, 422);
    assert!(page.contains("are not the same"), "{page}");
    assert_eq!(password_hash(&w.app, &dana.user).await, before);
    assert!(signed_in(&laptop, &w.app).await);

    // The real change: redirected to sign in with a notice, every session ended.
    let (status, _) = w.reset(&token, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, 303);
    let notice = get(&anon, &w.app, "/login?reset=1").await.1;
    assert!(
        notice.contains("Your password has been changed"),
        "{notice}"
    );
    assert!(!signed_in(&laptop, &w.app).await, "old sessions end");
    assert!(!signed_in(&phone, &w.app).await, "old sessions end");
    assert!(!w.can_log_in("dana@pr.test", PASSWORD).await);
    assert!(w.can_log_in("dana@pr.test", NEW_PASSWORD).await);
    let hash = password_hash(&w.app, &dana.user).await.unwrap();
    assert!(hash.starts_with("$argon2id$"));
    assert!(password::verify(NEW_PASSWORD, Some(&hash)));

    // A second use is refused with a page that says why, and changes nothing.
    let (status, page) = get(&anon, &w.app, &link).await;
    assert_eq!(status, 410);
    assert!(page.contains("already been used"), "{page}");
    let (status, page) = w
        .reset(&token, "yet another passphrase", "yet another passphrase")
        .await;
    assert_eq!(status, 410);
    assert!(page.contains("already been used"), "{page}");
    assert_eq!(password_hash(&w.app, &dana.user).await.unwrap(), hash);

    // Both steps are in the audit log.
    let audit = w.app.store.list_audit(dana.user.org_id, 50).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"issue_password_reset"), "{actions:?}");
    let done = audit.iter().find(|e| e.action == "reset_password").unwrap();
    assert_eq!(done.actor_id, Some(dana.user.id));
    assert_eq!(done.entity_id, dana.user.id.0.to_string());
}

async fn unknown_and_inactive_addresses_get_the_same_answer_and_no_mail(db: testing::TestDb) {
    let w = default_world(db).await;
    let known = w.user("ua", "known@ua.test", Role::Agent, Locale::En).await;
    let gone = w
        .app
        .caller(
            known.user.org_id,
            "gone@ua.test",
            Role::Agent,
            Locale::En,
            None,
        )
        .await;
    w.app
        .store
        .deactivate_user(
            rapport_storage::Actor::system(known.user.org_id),
            gone.user.id,
        )
        .await
        .unwrap();
    // One browser, so the pages differ in nothing but what they would reveal.
    let client = TestApp::client();
    let (s_known, p_known) = w.forgot(&client, "known@ua.test").await;
    let (s_unknown, p_unknown) = w.forgot(&client, "nobody@ua.test").await;
    let (s_gone, p_gone) = w.forgot(&client, "gone@ua.test").await;
    assert_eq!((s_known, s_unknown, s_gone), (200, 200, 200));
    assert_eq!(p_known, p_unknown);
    assert_eq!(p_known, p_gone);
    w.wait_for(1).await;
    w.settle().await;
    let mails = w.inbox.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "only the active account gets a message");
    assert_eq!(mails[0].to, vec!["known@ua.test".to_string()]);
}

async fn expired_links_are_refused_and_change_nothing(db: testing::TestDb) {
    let w = world(db, chrono::Duration::seconds(2)).await;
    let ed = w.user("ex", "ed@ex.test", Role::Viewer, Locale::En).await;
    let token = w.link_for("ed@ex.test", 1).await;
    let before = password_hash(&w.app, &ed.user).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        state_of(&w.app, &token).await,
        Some(ResetTokenState::Expired)
    );
    let anon = TestApp::client();
    let (status, page) = get(&anon, &w.app, &format!("/password/reset?token={token}")).await;
    assert_eq!(status, 410);
    assert!(page.contains("has expired"), "{page}");
    let (status, page) = w.reset(&token, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, 410);
    assert!(page.contains("has expired"), "{page}");
    // Straight at the store too: an expired token is never consumed.
    let consumed = w
        .app
        .store
        .reset_password(&secrets::sha256_hex(&token), "x", chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(consumed, None);
    assert_eq!(password_hash(&w.app, &ed.user).await, before);
    assert!(w.can_log_in("ed@ex.test", PASSWORD).await);
}

async fn bad_links_get_a_clear_localised_page(db: testing::TestDb) {
    let w = default_world(db).await;
    let anon = TestApp::client();
    let unknown = secrets::random_hex(32);
    for (path, status) in [
        ("/password/reset".to_string(), 400),
        ("/password/reset?token=".to_string(), 400),
        ("/password/reset?token=not-a-token".to_string(), 400),
        (format!("/password/reset?token={}'--", &unknown[..60]), 400),
        (format!("/password/reset?token={unknown}"), 404),
    ] {
        let (s, page) = get(&anon, &w.app, &path).await;
        assert_eq!(s, status, "{path}");
        assert!(page.contains("is not valid"), "{path}: {page}");
        assert!(page.contains("href=\"/password/forgot\""), "{path}");
    }
    // In the visitor's language.
    let r = anon
        .get(w.app.url(&format!("/password/reset?token={unknown}")))
        .header("accept-language", "he")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let page = r.text().await.unwrap();
    assert!(page.contains("dir=\"rtl\""), "{page}");
    assert!(page.contains("קישור איפוס הסיסמה הזה אינו תקף"), "{page}");
    let (s, _) = w.reset(&unknown, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(s, 404);
}

async fn forgot_and_reset_forms_need_the_csrf_token(db: testing::TestDb) {
    let w = default_world(db).await;
    let cy = w.user("cs", "cy@cs.test", Role::Agent, Locale::En).await;
    let client = TestApp::client();
    get(&client, &w.app, "/password/forgot").await;
    for form in [
        vec![("email", "cy@cs.test")],
        vec![("email", "cy@cs.test"), ("csrf", "forged")],
    ] {
        let r = client
            .post(w.app.url("/password/forgot"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    w.settle().await;
    assert!(w.inbox.lock().unwrap().is_empty(), "nothing sent");

    let token = w.link_for("cy@cs.test", 1).await;
    let before = password_hash(&w.app, &cy.user).await;
    for csrf in [None, Some("forged")] {
        let mut form = vec![
            ("token", token.as_str()),
            ("password", NEW_PASSWORD),
            ("confirm", NEW_PASSWORD),
        ];
        if let Some(c) = csrf {
            form.push(("csrf", c));
        }
        let r = client
            .post(w.app.url("/password/reset"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    assert!(matches!(
        state_of(&w.app, &token).await,
        Some(ResetTokenState::Usable { .. })
    ));
    assert_eq!(password_hash(&w.app, &cy.user).await, before);
}

async fn hebrew_users_get_a_hebrew_email(db: testing::TestDb) {
    let w = default_world(db).await;
    w.user("he", "noa@he.test", Role::TeamLead, Locale::He)
        .await;
    let token = w.link_for("noa@he.test", 1).await;
    let mails = w.wait_for(1).await;
    let msg = parsed(&mails[0]);
    assert_eq!(msg.subject(), Some("איפוס הסיסמה שלך ב־Rapport"));
    let text = msg.body_text(0).unwrap();
    assert!(text.contains("שלום"), "{text}");
    assert!(text.contains("60 דקות"), "{text}");
    let html = msg.body_html(0).unwrap();
    assert!(html.contains("lang=\"he\" dir=\"rtl\""), "{html}");
    // The form itself follows the visitor's language.
    let r = TestApp::client()
        .get(w.app.url(&format!("/password/reset?token={token}")))
        .header("accept-language", "he-IL")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("בחירת סיסמה חדשה"));
}

async fn two_simultaneous_uses_exactly_one_wins(db: testing::TestDb) {
    let w = default_world(db).await;
    let rae = w.user("ra", "rae@ra.test", Role::Agent, Locale::En).await;
    // Through the pages: two browsers post the same link at once.
    let token = w.link_for("rae@ra.test", 1).await;
    let (a, b) = (TestApp::client(), TestApp::client());
    let (ra, rb) = tokio::join!(
        reset_with(&w.app, &a, &token, "first passphrase!", "first passphrase!"),
        reset_with(
            &w.app,
            &b,
            &token,
            "second passphrase!",
            "second passphrase!"
        ),
    );
    let mut statuses = [ra.0, rb.0];
    statuses.sort();
    assert_eq!(statuses, [303, 410], "{ra:?} {rb:?}");
    let winner = if ra.0 == 303 {
        "first passphrase!"
    } else {
        "second passphrase!"
    };
    let loser = if ra.0 == 303 {
        "second passphrase!"
    } else {
        "first passphrase!"
    };
    assert!(w.can_log_in("rae@ra.test", winner).await);
    assert!(!w.can_log_in("rae@ra.test", loser).await);

    // Straight at the store, many at once: one consumes the token, the rest find it used.
    let token = w.link_for("rae@ra.test", 2).await;
    let hash = secrets::sha256_hex(&token);
    let mut tasks = vec![];
    for i in 0..8 {
        let store = w.app.store.clone();
        let hash = hash.clone();
        tasks.push(tokio::spawn(async move {
            store
                .reset_password(&hash, &format!("hash-{i}"), chrono::Utc::now())
                .await
                .unwrap()
        }));
    }
    let mut won = vec![];
    for t in tasks {
        if let Some(who) = t.await.unwrap() {
            won.push(who);
        }
    }
    assert_eq!(won, vec![(rae.user.org_id, rae.user.id)]);
    assert_eq!(state_of(&w.app, &token).await, Some(ResetTokenState::Used));
}

async fn requests_are_throttled_per_address(db: testing::TestDb) {
    let w = default_world(db).await;
    w.user("th", "tia@th.test", Role::Agent, Locale::En).await;
    let client = TestApp::client();
    for _ in 0..3 {
        assert_eq!(w.forgot(&client, "tia@th.test").await.0, 200);
    }
    let (status, page) = w.forgot(&client, "tia@th.test").await;
    assert_eq!(status, 429);
    assert!(page.contains("Too many reset links"), "{page}");
    // Unknown addresses are counted the same way, so the throttle reveals nothing either.
    for _ in 0..3 {
        assert_eq!(w.forgot(&client, "nobody@th.test").await.0, 200);
    }
    assert_eq!(w.forgot(&client, "nobody@th.test").await.0, 429);
    w.wait_for(3).await;
    w.settle().await;
    assert_eq!(
        w.inbox.lock().unwrap().len(),
        3,
        "throttled requests send nothing"
    );
}

async fn administrators_send_reset_links_from_the_users_page(db: testing::TestDb) {
    let w = default_world(db).await;
    let admin = w.user("ad", "admin@ad.test", Role::Admin, Locale::En).await;
    let org = admin.user.org_id;
    let agent = w
        .app
        .caller(org, "agent@ad.test", Role::Agent, Locale::El, None)
        .await;
    w.app
        .caller(org, "lead@ad.test", Role::TeamLead, Locale::En, None)
        .await;
    let other = w
        .user("ad2", "else@ad2.test", Role::Agent, Locale::En)
        .await;
    let path = format!("/users/{}/password-reset", agent.user.id);

    let (client, csrf) = w.app.browser_login("admin@ad.test").await;
    let (_, users) = get(&client, &w.app, "/users").await;
    assert!(users.contains(&format!("action=\"{path}\"")), "{users}");
    // Without the form's token: refused.
    let r = client.post(w.app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 403);
    // Not an administrator: refused, whatever the form carries.
    let (lead_client, lead_csrf) = w.app.browser_login("lead@ad.test").await;
    let r = lead_client
        .post(w.app.url(&path))
        .form(&[("csrf", lead_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (_, lead_users) = get(&lead_client, &w.app, "/users").await;
    assert!(!lead_users.contains("/password-reset"));
    // Another organisation's user does not exist for this administrator.
    let r = client
        .post(
            w.app
                .url(&format!("/users/{}/password-reset", other.user.id)),
        )
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    w.settle().await;
    assert!(w.inbox.lock().unwrap().is_empty());

    let r = client
        .post(w.app.url(&path))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = get(&client, &w.app, &back).await;
    assert!(page.contains("on its way to agent@ad.test"), "{page}");
    let mails = w.wait_for(1).await;
    assert_eq!(mails[0].to, vec!["agent@ad.test".to_string()]);
    assert_eq!(
        parsed(&mails[0]).subject(),
        Some("Επαναφορά του κωδικού σας στο Rapport"),
        "in the user's language"
    );
    let token = token_of(&mails[0]);
    let (status, _) = w.reset(&token, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, 303);
    assert!(w.can_log_in("agent@ad.test", NEW_PASSWORD).await);
    let audit = w.app.store.list_audit(org, 50).await.unwrap();
    let issued = audit
        .iter()
        .find(|e| e.action == "issue_password_reset")
        .unwrap();
    assert_eq!(
        issued.actor_id,
        Some(admin.user.id),
        "the administrator asked"
    );
}
