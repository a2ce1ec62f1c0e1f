//! `/settings/webhooks` over real HTTP without JavaScript: endpoints listed, added (secret
//! shown once), switched and deleted; the delivery log with its state filter and "Send again";
//! inbound sources added (secret shown once) and deleted; refused input (422 with the field
//! named, nothing stored); who may see the pages; escaping of hostile text; Hebrew is RTL.

mod common;

use common::{get_page as get, post_form as post};

use chrono::Utc;
use common::{Caller, TestApp};
use rapport_domain::model::*;
use rapport_domain::survey::default_definition;
use rapport_domain::webhooks::{DeliveryAttempt, DeliveryState, WebhookSpec};
use rapport_domain::*;
use rapport_server::auth::secrets;
use rapport_storage::Actor;

both_backends!(
    endpoints_listed_added_switched_deleted,
    deliveries_are_shown_and_dead_ones_sent_again,
    inbound_sources_added_and_deleted,
    bad_url_is_refused_with_the_field_named,
    managers_are_refused_and_other_orgs_hidden,
    hostile_text_is_escaped,
    hebrew_page_is_right_to_left,
);

struct World {
    app: TestApp,
    org: OrgId,
    admin: Caller,
    manager: Caller,
    touchpoint: TouchpointId,
}

async fn world(app: TestApp) -> World {
    let (org, callers) = app.callers("wh").await;
    let by_role = |r: Role| callers.iter().find(|c| c.user.role == r).unwrap().clone();
    let journey = app
        .store
        .create_journey(
            Actor::system(org.id),
            &NewJourney {
                name: Name::parse("n", "Claims").unwrap(),
                description: None,
                locale: Locale::En,
            },
        )
        .await
        .unwrap();
    let tp = app
        .store
        .create_touchpoint(
            Actor::system(org.id),
            &NewTouchpoint {
                stage_id: journey.stages[0].stage.id,
                name: Name::parse("n", "Claims line").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    World {
        org: org.id,
        admin: by_role(Role::Admin),
        manager: by_role(Role::CxManager),
        touchpoint: tp.id,
        app,
    }
}

/// The text of the element with `id`, tags removed.
fn secret_in(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{id} in {html}"));
    let rest = &html[start..];
    let b = rest.find("whsec_").unwrap();
    rest[b..].split('<').next().unwrap().to_string()
}

fn spec(url: &str) -> WebhookSpec {
    WebhookSpec {
        url: url.into(),
        description: "CRM".into(),
        events: vec!["*".into()],
        active: true,
    }
}

async fn endpoints_listed_added_switched_deleted(app: TestApp) {
    let w = world(app).await;
    let s = w.app.store.clone();
    let (client, csrf) = w.app.browser_login(&w.admin.user.email).await;

    let (_, settings) = get(&client, &w.app, "/settings").await;
    assert!(
        settings.contains("href=\"/settings/webhooks\""),
        "{settings}"
    );

    let (status, html) = get(&client, &w.app, "/settings/webhooks").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("There are no webhook endpoints yet."));
    for e in rapport_domain::webhooks::EVENTS {
        assert!(html.contains(&format!("value=\"{e}\"")), "{e}");
    }

    let (status, _, html) = post(
        &client,
        &w.app,
        "/settings/webhooks",
        &[
            ("csrf", &csrf),
            ("url", "https://crm.example.org/hooks"),
            ("description", "Our CRM"),
            ("events", "case.created"),
            ("events", "case.closed"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{html}");
    let secret = secret_in(&html, "new-secret");
    assert_eq!(secret.len(), "whsec_".len() + 64, "{secret}");
    assert!(html.contains("it will not be shown again"));
    let hooks = s.list_webhooks(w.org).await.unwrap();
    assert_eq!(hooks.len(), 1);
    let hook = &hooks[0];
    assert_eq!(hook.spec.url, "https://crm.example.org/hooks");
    assert_eq!(hook.spec.description, "Our CRM");
    assert_eq!(hook.spec.events, vec!["case.created", "case.closed"]);
    assert!(hook.spec.active);

    // Listed, and the secret is not shown again.
    let (_, html) = get(&client, &w.app, "/settings/webhooks").await;
    assert!(!html.contains(&secret));
    assert!(!html.contains("whsec_"));
    assert!(html.contains("https://crm.example.org/hooks"));
    assert!(html.contains("Our CRM"));
    assert!(html.contains("case.closed"));
    assert!(html.contains(&format!("data-webhook=\"{}\"", hook.id.0)));

    // Switched off and on again.
    let base = format!("/settings/webhooks/{}", hook.id.0);
    let (status, loc, _) = post(
        &client,
        &w.app,
        &format!("{base}/toggle"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(loc.unwrap().starts_with("/settings/webhooks?saved=toggle"));
    assert!(!s.get_webhook(w.org, hook.id).await.unwrap().spec.active);
    let (_, html) = get(&client, &w.app, "/settings/webhooks?saved=toggle").await;
    assert!(html.contains("The endpoint was switched."));
    assert!(html.contains("Switch on"));
    post(
        &client,
        &w.app,
        &format!("{base}/toggle"),
        &[("csrf", &csrf)],
    )
    .await;
    assert!(s.get_webhook(w.org, hook.id).await.unwrap().spec.active);

    // Without the CSRF token nothing happens.
    let (status, _, _) = post(&client, &w.app, &format!("{base}/delete"), &[]).await;
    assert_eq!(status, 403);
    assert_eq!(s.list_webhooks(w.org).await.unwrap().len(), 1);

    let (status, loc, _) = post(
        &client,
        &w.app,
        &format!("{base}/delete"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(loc.unwrap().starts_with("/settings/webhooks?saved=deleted"));
    assert!(s.list_webhooks(w.org).await.unwrap().is_empty());
}

async fn deliveries_are_shown_and_dead_ones_sent_again(app: TestApp) {
    let w = world(app).await;
    let s = w.app.store.clone();
    // Nothing listens on port 1: should the worker get there first, its attempt fails and the
    // states set below still win (a settled delivery is not sent again).
    let hook = s
        .create_webhook(
            Actor::system(w.org),
            &spec("http://127.0.0.1:1/h"),
            "whsec_x",
        )
        .await
        .unwrap();
    let now = Utc::now();
    let mut ids = vec![];
    for (event, code, error, state) in [
        (
            "case.created",
            503,
            Some("service unavailable"),
            DeliveryState::Dead,
        ),
        ("case.closed", 200, None, DeliveryState::Delivered),
    ] {
        let queued = s
            .emit_event(w.org, event, &serde_json::json!({ "case": 1 }), None, now)
            .await
            .unwrap();
        assert_eq!(queued, 1);
        let d = s
            .list_deliveries(w.org, hook.id, None, 50)
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.event == event)
            .unwrap();
        s.record_delivery_attempt(
            d.id,
            &DeliveryAttempt {
                at: now,
                status: Some(code),
                error: error.map(str::to_string),
                duration_ms: 42,
            },
            state,
        )
        .await
        .unwrap();
        ids.push(d);
    }
    let dead = &ids[0];

    let (client, csrf) = w.app.browser_login(&w.admin.user.email).await;
    let base = format!("/settings/webhooks/{}", hook.id.0);
    let (status, html) = get(&client, &w.app, &base).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("case.created"));
    assert!(html.contains("case.closed"));
    assert!(html.contains(&dead.delivery_id));
    assert!(html.contains("503"));
    assert!(html.contains("service unavailable"));
    assert!(html.contains("Attempt log ("));
    assert!(html.contains("42 ms"));
    let redeliver = format!("{base}/deliveries/{}/redeliver", dead.id);
    assert!(html.contains(&format!("action=\"{redeliver}\"")), "{html}");
    // Only the failed one can be sent again.
    assert_eq!(html.matches("/redeliver\"").count(), 1, "{html}");

    // The state filter.
    let (_, html) = get(&client, &w.app, &format!("{base}?state=dead")).await;
    assert!(html.contains("case.created"));
    assert!(
        !html.contains("<bdi dir=\"ltr\">case.closed</bdi>"),
        "{html}"
    );
    let (_, html) = get(&client, &w.app, &format!("{base}?state=delivered")).await;
    assert!(html.contains("case.closed"));
    assert!(
        !html.contains("<bdi dir=\"ltr\">case.created</bdi>"),
        "{html}"
    );
    let (_, html) = get(&client, &w.app, &format!("{base}?state=pending")).await;
    assert!(html.contains("No deliveries in this view."));
    let (status, _) = get(&client, &w.app, &format!("{base}?state=lost")).await;
    assert_eq!(status, 422);

    let (status, loc, _) = post(&client, &w.app, &redeliver, &[("csrf", &csrf)]).await;
    assert_eq!(status, 303);
    assert!(loc
        .unwrap()
        .starts_with(&format!("{base}?saved=redelivered")));
    let again = s
        .list_deliveries(w.org, hook.id, Some(DeliveryState::Dead), 50)
        .await
        .unwrap();
    assert!(again.iter().all(|d| d.id != dead.id), "{again:?}");
    let (_, html) = get(&client, &w.app, &format!("{base}?saved=redelivered")).await;
    assert!(html.contains("The delivery was queued to be sent again."));
}

async fn inbound_sources_added_and_deleted(app: TestApp) {
    let w = world(app).await;
    let s = w.app.store.clone();
    let survey = s
        .create_survey(
            Actor::system(w.org),
            w.touchpoint,
            &Name::parse("n", "After the ticket").unwrap(),
            &default_definition(),
            &secrets::random_hex(12),
        )
        .await
        .unwrap();
    let (client, csrf) = w.app.browser_login(&w.admin.user.email).await;
    let (_, html) = get(&client, &w.app, "/settings/webhooks").await;
    assert!(html.contains("There are no inbound sources yet."));
    assert!(html.contains("After the ticket"));
    let sid = survey.id.0.to_string();

    // A pointer without its slash is refused, named, with the input kept.
    let (status, _, html) = post(
        &client,
        &w.app,
        "/settings/inbound-sources",
        &[
            ("csrf", &csrf),
            ("name", "Helpdesk"),
            ("survey_id", &sid),
            ("event_pointer", "/type"),
            ("ticket_pointer", "ticket.id"),
            ("customer_pointer", "/ticket/requester"),
            ("trigger_values", "ticket.solved"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("<code lang=\"en\" dir=\"ltr\">ticket_pointer</code>"));
    assert!(html.contains("value=\"ticket.id\""));
    assert!(s.list_inbound_sources(w.org).await.unwrap().is_empty());

    let (status, _, html) = post(
        &client,
        &w.app,
        "/settings/inbound-sources",
        &[
            ("csrf", &csrf),
            ("name", "Helpdesk"),
            ("survey_id", &sid),
            ("event_pointer", "/type"),
            ("ticket_pointer", "/ticket/id"),
            ("customer_pointer", "/ticket/requester"),
            ("email_pointer", ""),
            ("trigger_values", "ticket.solved, ticket.closed"),
            ("new_customers_consent_to_email", "1"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{html}");
    let secret = secret_in(&html, "new-secret");
    let sources = s.list_inbound_sources(w.org).await.unwrap();
    assert_eq!(sources.len(), 1);
    let src = &sources[0];
    assert_eq!(src.name, "Helpdesk");
    assert_eq!(src.mapping.survey_id, survey.id.0);
    assert_eq!(
        src.mapping.trigger_values,
        vec!["ticket.solved", "ticket.closed"]
    );
    assert_eq!(src.mapping.email_pointer, None);
    assert!(src.mapping.new_customers_consent_to_email);
    let path = format!("/api/v1/inbound/{}", src.public_id);
    assert!(html.contains(&path));

    let (_, html) = get(&client, &w.app, "/settings/webhooks").await;
    assert!(!html.contains(&secret));
    assert!(html.contains(&path));
    assert!(html.contains("Helpdesk"));

    let (status, loc, _) = post(
        &client,
        &w.app,
        &format!("/settings/inbound-sources/{}/delete", src.id),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(loc.unwrap().contains("saved=source-deleted"));
    assert!(s.list_inbound_sources(w.org).await.unwrap().is_empty());
}

async fn bad_url_is_refused_with_the_field_named(app: TestApp) {
    let w = world(app).await;
    let (client, csrf) = w.app.browser_login(&w.admin.user.email).await;
    let (status, _, html) = post(
        &client,
        &w.app,
        "/settings/webhooks",
        &[
            ("csrf", &csrf),
            ("url", "ftp://files.example.org"),
            ("description", "Kept description"),
            ("events", "case.updated"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("<code lang=\"en\" dir=\"ltr\">url</code>"),
        "{html}"
    );
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("value=\"ftp://files.example.org\""));
    assert!(html.contains("value=\"Kept description\""));
    // The chosen event stays chosen, "all" does not.
    assert!(html.contains("value=\"case.updated\" checked"), "{html}");
    assert!(!html.contains("value=\"*\" checked"), "{html}");
    assert!(!html.contains("whsec_"));
    assert!(w.app.store.list_webhooks(w.org).await.unwrap().is_empty());

    // No event at all is refused too.
    let (status, _, html) = post(
        &client,
        &w.app,
        "/settings/webhooks",
        &[("csrf", &csrf), ("url", "https://ok.example.org")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("<code lang=\"en\" dir=\"ltr\">events</code>"));
    assert!(w.app.store.list_webhooks(w.org).await.unwrap().is_empty());
}

async fn managers_are_refused_and_other_orgs_hidden(app: TestApp) {
    let w = world(app).await;
    let s = w.app.store.clone();
    let (client, csrf) = w.app.browser_login(&w.manager.user.email).await;
    let (status, _) = get(&client, &w.app, "/settings/webhooks").await;
    assert_eq!(status, 403);
    let (status, _, _) = post(
        &client,
        &w.app,
        "/settings/webhooks",
        &[
            ("csrf", &csrf),
            ("url", "https://x.example.org"),
            ("events", "*"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(s.list_webhooks(w.org).await.unwrap().is_empty());
    let (_, settings) = get(&client, &w.app, "/settings").await;
    assert!(!settings.contains("/settings/webhooks"));

    // Another organisation's endpoint does not exist for this administrator.
    let (other, callers) = w.app.callers("other").await;
    let _ = callers;
    let theirs = s
        .create_webhook(
            Actor::system(other.id),
            &spec("https://theirs.example.org"),
            "whsec_y",
        )
        .await
        .unwrap();
    let (client, csrf) = w.app.browser_login(&w.admin.user.email).await;
    let base = format!("/settings/webhooks/{}", theirs.id.0);
    let (status, html) = get(&client, &w.app, &base).await;
    assert_eq!(status, 404, "{html}");
    for action in ["toggle", "delete"] {
        let (status, _, _) = post(
            &client,
            &w.app,
            &format!("{base}/{action}"),
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 404, "{action}");
    }
    let (_, html) = get(&client, &w.app, "/settings/webhooks").await;
    assert!(!html.contains("theirs.example.org"));
    let still = s.get_webhook(other.id, theirs.id).await.unwrap();
    assert!(still.spec.active);
}

async fn hostile_text_is_escaped(app: TestApp) {
    let w = world(app).await;
    let (client, csrf) = w.app.browser_login(&w.admin.user.email).await;
    let hostile = "<script>alert(1)</script>\u{202E}gnp.exe";
    // Refused (no events): what was typed comes back escaped.
    let url = "https://evil.example.org/\"><script>x()</script>";
    let (status, _, html) = post(
        &client,
        &w.app,
        "/settings/webhooks",
        &[("csrf", &csrf), ("url", url), ("description", hostile)],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"));

    let (status, _, _) = post(
        &client,
        &w.app,
        "/settings/webhooks",
        &[
            ("csrf", &csrf),
            ("url", url),
            ("description", hostile),
            ("events", "*"),
        ],
    )
    .await;
    assert_eq!(status, 201);
    let (_, html) = get(&client, &w.app, "/settings/webhooks").await;
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains('\u{202E}'));
    assert!(
        html.contains("<bdi>&lt;script&gt;alert(1)&lt;/script&gt;\u{FFFD}gnp.exe</bdi>"),
        "{html}"
    );
    assert!(html.contains(
        "<bdi dir=\"ltr\">https://evil.example.org/&quot;&gt;&lt;script&gt;x()&lt;/script&gt;</bdi>"
    ));
    let hook = &w.app.store.list_webhooks(w.org).await.unwrap()[0];
    let (_, html) = get(
        &client,
        &w.app,
        &format!("/settings/webhooks/{}", hook.id.0),
    )
    .await;
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains('\u{202E}'));
}

async fn hebrew_page_is_right_to_left(app: TestApp) {
    let w = world(app).await;
    let he = w
        .app
        .caller(w.org, "menahel@wh.test", Role::Admin, Locale::He, None)
        .await;
    let hook = w
        .app
        .store
        .create_webhook(
            Actor::system(w.org),
            &spec("https://crm.example.org/h"),
            "whsec_x",
        )
        .await
        .unwrap();
    let (client, _) = w.app.browser_login(&he.user.email).await;
    let (status, html) = get(&client, &w.app, "/settings/webhooks").await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"he\" dir=\"rtl\">"), "{html}");
    assert!(html.contains("וובהוקים ושילובים"));
    assert!(html.contains("<bdi dir=\"ltr\">https://crm.example.org/h</bdi>"));
    let (status, html) = get(
        &client,
        &w.app,
        &format!("/settings/webhooks/{}", hook.id.0),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("משלוחי וובהוקים"));
}
