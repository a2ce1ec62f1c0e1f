//! Invitation e-mails end to end: the real server and worker deliver over SMTP to a small sink
//! running inside the test, which records each message as it arrived on the wire.
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::smtp::{self, run_sink, Inbox, Mail};
use common::{Caller, TestApp};
use rapport_domain::model::*;
use rapport_domain::*;
use rapport_server::state::AppState;
use rapport_storage::{testing, Actor, OrgSettings};
use reqwest::Method;
use serde_json::json;
use tokio::net::TcpListener;

const PUBLIC_URL: &str = "http://feedback.example";

struct World {
    app: TestApp,
    manager: Caller,
    org: OrgId,
    survey: i64,
    inbox: Inbox,
    smtp_port: u16,
    _worker: tokio::sync::watch::Sender<bool>,
}

/// The server and its worker, configured to deliver to `smtp_port`, with a published survey.
async fn world(db: testing::TestDb, sink: Option<TcpListener>, smtp_port: u16) -> World {
    world_with(db, sink, smtp_port, chrono::Duration::zero()).await
}

async fn world_with(
    db: testing::TestDb,
    sink: Option<TcpListener>,
    smtp_port: u16,
    reminder_after: chrono::Duration,
) -> World {
    let inbox: Inbox = Arc::default();
    if let Some(l) = sink {
        tokio::spawn(run_sink(l, inbox.clone()));
    }
    let tweak = move |c: &mut rapport_server::Config| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{smtp_port}"));
        c.public_url = Some(PUBLIC_URL.into());
        c.mail_from = "Aurora Feedback <feedback@aurora.example>".into();
        c.reminder_after = reminder_after;
    };
    let mut config = rapport_server::Config::new(db.url.clone(), "127.0.0.1:0".parse().unwrap());
    tweak(&mut config);
    let app = TestApp::spawn_on(db, tweak).await;
    // The worker, on the same database and configuration as the server.
    let state = AppState {
        store: app.store.clone(),
        i18n: Arc::new(rapport_server::i18n::I18n::load()),
        metrics: Arc::new(rapport_server::metrics::Metrics::new("test")),
        config: Arc::new(config),
        wake: Arc::new(tokio::sync::Notify::new()),
        semantic: None,
    };
    let (stop, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(rapport_server::jobs::run_worker(
        state,
        "email-test".into(),
        rx,
    ));

    let org = app.org("aurora").await;
    let manager = app
        .caller(org.id, "m@aurora.test", Role::CxManager, Locale::En, None)
        .await;
    let a = Actor::user(org.id, manager.user.id);
    let s = &app.store;
    let j = s
        .create_journey(
            a,
            &NewJourney {
                name: Name::parse("n", "Claims").unwrap(),
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
                stage_id: j.stages[3].stage.id,
                name: Name::parse("n", "claims line").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let survey = s
        .create_survey(
            a,
            tp.id,
            &Name::parse("n", "After the call").unwrap(),
            &rapport_domain::survey::default_definition(),
            "pub-email",
        )
        .await
        .unwrap();
    s.set_survey_status(a, survey.id, rapport_domain::voc::SurveyStatus::Published)
        .await
        .unwrap();
    World {
        app,
        manager,
        org: org.id,
        survey: survey.id.0,
        inbox,
        smtp_port,
        _worker: stop,
    }
}

impl World {
    async fn customer(&self, ext: &str, locale: Locale, consent: bool) -> i64 {
        let c = self
            .app
            .store
            .create_customer(
                Actor::system(self.org),
                &NewCustomer {
                    external_id: Name::parse("e", ext).unwrap(),
                    name: Name::parse("n", "נועה כהן").unwrap(),
                    locale,
                    email: Some(Email::parse("e", &format!("{ext}@example.com")).unwrap()),
                    phone: None,
                    consent: Consent {
                        email: consent,
                        sms: false,
                        research: false,
                    },
                },
            )
            .await
            .unwrap();
        c.id.0
    }

    async fn invite(&self, customer: i64) -> serde_json::Value {
        let (status, body) = self
            .app
            .api(
                &self.manager,
                Method::POST,
                &format!("/api/v1/surveys/{}/invitations", self.survey),
                Some(json!({"customer_id": customer, "send_email": true})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Waits until the sink holds `n` messages (or fails after `secs`).
    async fn wait_for(&self, n: usize, secs: u64) -> Vec<Mail> {
        smtp::wait_for(&self.inbox, n, secs).await
    }

    /// Waits until no job is queued or running, so "no mail" means nothing was sent.
    async fn settle(&self) {
        self.app.settle_jobs(10).await
    }
}

fn parse(mail: &Mail) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(&mail.data)
        .expect("a parseable message")
}

async fn sink() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

async fn invitation_in_the_customers_language_with_one_reminder(db: testing::TestDb) {
    let (l, port) = sink().await;
    let w = world(db, Some(l), port).await;
    let customer = w.customer("noa", Locale::He, true).await;
    let created = w.invite(customer).await;
    let path = created["path"].as_str().unwrap().to_string();

    // The invitation, then (reminders are due at once in this test) its single reminder.
    let mails = w.wait_for(2, 20).await;
    w.settle().await;
    assert_eq!(w.inbox.lock().unwrap().len(), 2, "exactly one reminder");
    let first = parse(&mails[0]);
    assert_eq!(mails[0].to, vec!["noa@example.com".to_string()]);
    assert_eq!(first.subject(), Some("Org aurora: איך היינו?"));
    let text = first.body_text(0).unwrap().to_string();
    let html = first.body_html(0).unwrap().to_string();
    let link = format!("{PUBLIC_URL}{path}");
    assert!(text.contains(&link), "{text}");
    assert!(text.contains("שלום נועה כהן"), "{text}");
    assert!(html.contains("dir=\"rtl\""), "{html}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    let reminder = parse(&mails[1]);
    assert_eq!(
        reminder.subject(),
        Some("Org aurora: תזכורת קצרה — איך היינו?")
    );
    assert!(reminder.body_text(0).unwrap().contains(&link));

    // The link opens the survey, and the invitation is recorded as sent and reminded.
    let page = TestApp::client()
        .get(w.app.url(&path))
        .send()
        .await
        .unwrap();
    // The respondent pages are built separately; while `/s/{public_id}` does not exist yet
    // either, only the link's format and the stored invitation can be checked.
    let public_page = TestApp::client()
        .get(w.app.url("/s/pub-email"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    if public_page != 404 {
        assert_eq!(
            page.status().as_u16(),
            200,
            "the e-mailed link opens the survey"
        );
        let body = page.text().await.unwrap();
        assert!(body.contains("איך היינו?"), "in the customer's language");
    }
    let token = path.trim_start_matches("/i/");
    let (_, inv) = w
        .app
        .store
        .find_invitation(&rapport_server::auth::secrets::sha256_hex(token))
        .await
        .unwrap()
        .unwrap();
    assert!(inv.sent_at.is_some() && inv.reminder_sent_at.is_some());
    assert_eq!(inv.channel, "email");
}

async fn no_consent_no_mail_and_cooldown_suppresses(db: testing::TestDb) {
    let (l, port) = sink().await;
    let w = world(db, Some(l), port).await;
    let no_consent = w.customer("quiet", Locale::En, false).await;
    w.invite(no_consent).await;
    w.settle().await;
    assert!(
        w.inbox.lock().unwrap().is_empty(),
        "no mail without consent"
    );

    // Greek customer: the first invitation goes out (with its reminder); a second one within
    // the cooldown is suppressed.
    w.app
        .store
        .update_org_settings(
            Actor::system(w.org),
            &OrgSettings {
                redact_pii: false,
                survey_cooldown_days: 30,
            },
        )
        .await
        .unwrap();
    let eleni = w.customer("eleni", Locale::El, true).await;
    w.invite(eleni).await;
    let mails = w.wait_for(2, 20).await;
    assert_eq!(
        parse(&mails[0]).subject(),
        Some("Org aurora: πώς τα πήγαμε;")
    );
    w.settle().await;
    w.invite(eleni).await;
    w.settle().await;
    assert_eq!(
        w.inbox.lock().unwrap().len(),
        2,
        "the second invitation within the cooldown sends nothing"
    );
}

async fn smtp_down_is_retried_until_delivered(db: testing::TestDb) {
    // Reserve a port, then close it: the first attempts find nobody listening.
    let (l, port) = sink().await;
    drop(l);
    let w = world(db, None, port).await;
    let customer = w.customer("late", Locale::En, true).await;
    w.invite(customer).await;
    // Connection refused fails at once; by now the first attempt (at most ~1 s after the
    // request) has failed and the job waits for its retry, neither done nor given up.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(w.inbox.lock().unwrap().is_empty());
    let counts = w.app.store.job_counts().await.unwrap();
    assert!(
        counts.iter().any(|(s, n)| s == "queued" && *n > 0)
            && !counts.iter().any(|(s, _)| s == "done" || s == "failed"),
        "{counts:?}"
    );
    let listener = TcpListener::bind(("127.0.0.1", w.smtp_port)).await.unwrap();
    tokio::spawn(run_sink(listener, w.inbox.clone()));
    let mails = w.wait_for(1, 30).await;
    assert_eq!(mails[0].to, vec!["late@example.com".to_string()]);
    assert_eq!(
        parse(&mails[0]).subject(),
        Some("Org aurora: how did we do?")
    );
}

async fn no_reminder_once_answered(db: testing::TestDb) {
    let (l, port) = sink().await;
    let w = world_with(db, Some(l), port, chrono::Duration::seconds(3)).await;
    let customer = w.customer("answers", Locale::En, true).await;
    let created = w.invite(customer).await;
    w.wait_for(1, 20).await;
    // The customer answers through the link before the reminder is due.
    let token = created["path"].as_str().unwrap().trim_start_matches("/i/");
    let (org, inv) = w
        .app
        .store
        .find_invitation(&rapport_server::auth::secrets::sha256_hex(token))
        .await
        .unwrap()
        .unwrap();
    let survey = w
        .app
        .store
        .get_survey(org, rapport_domain::voc::SurveyId(w.survey))
        .await
        .unwrap();
    let raw = std::collections::BTreeMap::from([(
        "nps".to_string(),
        rapport_domain::survey::RawAnswer::Number(9.0),
    )]);
    w.app
        .store
        .insert_response(
            org,
            &rapport_domain::voc::NewResponse {
                survey_id: survey.id,
                version: survey.version,
                customer_id: Some(inv.customer_id),
                agent_id: None,
                invitation_id: Some(inv.id),
                locale: Locale::En,
                source: rapport_domain::voc::ResponseSource::Invitation,
                idempotency_key: None,
                external_id: None,
                submitted_at: chrono::Utc::now(),
                answers: survey.definition.parse_answers(&raw).unwrap(),
            },
        )
        .await
        .unwrap();
    // Past the reminder's due time, with every job finished: still only the invitation.
    tokio::time::sleep(Duration::from_secs(4)).await;
    w.settle().await;
    assert_eq!(
        w.inbox.lock().unwrap().len(),
        1,
        "no reminder after an answer"
    );
    let (_, inv) = w
        .app
        .store
        .find_invitation(&rapport_server::auth::secrets::sha256_hex(token))
        .await
        .unwrap()
        .unwrap();
    assert!(inv.used_at.is_some() && inv.reminder_sent_at.is_none());
}

on_both!(
    invitation_in_the_customers_language_with_one_reminder,
    no_consent_no_mail_and_cooldown_suppresses,
    smtp_down_is_retried_until_delivered,
    no_reminder_once_answered
);
