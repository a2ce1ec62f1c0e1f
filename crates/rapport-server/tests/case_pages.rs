//! Case pages over real HTTP, without JavaScript: the inbox and the case page for team leads
//! (English and Hebrew), notes and transitions by form post (legal and refused), escaping of
//! hostile text, and who may see what.

mod common;

use common::{get_page as get, post_form as post};

use chrono::{Duration, Utc};
use common::{Caller, TestApp};
use rapport_domain::alerts::{Condition, Trigger};
use rapport_domain::cases::*;
use rapport_domain::model::*;
use rapport_domain::survey::{default_definition, RawAnswer};
use rapport_domain::voc::*;
use rapport_domain::*;
use rapport_server::auth::secrets;
use rapport_storage::Actor;

both_backends!(
    lead_reads_the_inbox_and_the_case_page,
    hebrew_pages_are_right_to_left_with_isolated_numbers,
    notes_and_transitions_post_redirect_get,
    refused_changes_name_the_field,
    hostile_text_is_escaped_and_bidi_neutralised,
    agents_are_refused_and_other_organisations_see_nothing,
);

struct World {
    app: TestApp,
    org: OrgId,
    lead: Caller,
    agent: Caller,
    customer: Customer,
    touchpoint: TouchpointId,
    case: Case,
    late: Case,
}

async fn open(
    app: &TestApp,
    org: OrgId,
    title: &str,
    customer: Option<CustomerId>,
    touchpoint: Option<TouchpointId>,
    response: Option<ResponseId>,
    opened_at: chrono::DateTime<Utc>,
) -> Case {
    app.store
        .open_case(
            Actor::system(org),
            &NewCase {
                title: title.into(),
                priority: Priority::High,
                source: if response.is_some() {
                    CaseSource::Response
                } else {
                    CaseSource::Manual
                },
                response_id: response,
                source_ref: None,
                customer_id: customer,
                touchpoint_id: touchpoint,
                agent_id: None,
                owner_id: None,
                triggers: if response.is_some() {
                    vec![Trigger {
                        rule_id: AlertRuleId(1),
                        rule_name: "Detractors get a call".into(),
                        condition: Condition::NpsAtMost { value: 6 },
                        observed: "3".into(),
                    }]
                } else {
                    vec![]
                },
                original_nps: Some(3),
                opened_at,
                notify_owner: false,
            },
        )
        .await
        .unwrap()
        .0
}

async fn world(app: TestApp) -> World {
    let (org, callers) = app.callers("cs").await;
    let by_role = |r: Role| callers.iter().find(|c| c.user.role == r).unwrap().clone();
    let a = Actor::system(org.id);
    let journey = app
        .store
        .create_journey(
            a,
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
            a,
            &NewTouchpoint {
                stage_id: journey.stages[3].stage.id,
                name: Name::parse("n", "Claims line").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: None,
                position: None,
            },
        )
        .await
        .unwrap();
    let survey = app
        .store
        .create_survey(
            a,
            tp.id,
            &Name::parse("n", "After the claim").unwrap(),
            &default_definition(),
            &secrets::random_hex(12),
        )
        .await
        .unwrap();
    let survey = app
        .store
        .set_survey_status(a, survey.id, SurveyStatus::Published)
        .await
        .unwrap();
    let customer = app
        .store
        .create_customer(
            a,
            &NewCustomer {
                external_id: Name::parse("e", "C-77").unwrap(),
                name: Name::parse("n", "Dana Levi").unwrap(),
                locale: Locale::En,
                email: None,
                phone: None,
                consent: Default::default(),
            },
        )
        .await
        .unwrap();
    let mut ids = vec![];
    for (nps, text) in [
        (3, "They kept me on hold for an hour"),
        (9, "Lovely people at the branch"),
    ] {
        let raw = std::collections::BTreeMap::from([
            ("nps".to_string(), RawAnswer::Number(nps as f64)),
            (
                if nps <= 6 { "why_low" } else { "why_high" }.to_string(),
                RawAnswer::Text(text.into()),
            ),
        ]);
        let (r, _) = app
            .store
            .insert_response(
                org.id,
                &NewResponse {
                    survey_id: survey.id,
                    version: survey.version,
                    customer_id: Some(customer.id),
                    agent_id: None,
                    invitation_id: None,
                    locale: Locale::En,
                    source: ResponseSource::Api,
                    idempotency_key: None,
                    external_id: None,
                    submitted_at: Utc::now() - Duration::hours(2),
                    answers: survey.definition.parse_answers(&raw).unwrap(),
                },
            )
            .await
            .unwrap();
        ids.push(r);
    }
    let case = open(
        &app,
        org.id,
        "Kept on hold for an hour",
        Some(customer.id),
        Some(tp.id),
        Some(ids[0]),
        Utc::now() - Duration::hours(1),
    )
    .await;
    // High priority: 8 h to first contact, so a case opened 3 days ago is past its target.
    let late = open(
        &app,
        org.id,
        "Refund never arrived",
        Some(customer.id),
        Some(tp.id),
        None,
        Utc::now() - Duration::days(3),
    )
    .await;
    World {
        org: org.id,
        lead: by_role(Role::TeamLead),
        agent: by_role(Role::Agent),
        customer,
        touchpoint: tp.id,
        case,
        late,
        app,
    }
}

/// The `<tr>` of the inbox that links to `case`.
fn row<'a>(html: &'a str, case: &Case) -> &'a str {
    let marker = format!("data-case=\"{}\"", case.id.0);
    let start = html.find(&marker).expect("row of the case");
    let end = html[start..].find("</tr>").unwrap() + start;
    let open = html[..start].rfind("<tr").unwrap();
    &html[open..end]
}

async fn lead_reads_the_inbox_and_the_case_page(app: TestApp) {
    let w = world(app).await;
    let (client, _) = w.app.browser_login(&w.lead.user.email).await;

    let (status, html) = get(&client, &w.app, "/cases").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("href=\"/cases\" aria-current=\"page\""),
        "nav entry"
    );
    assert!(html.contains("Kept on hold for an hour"));
    assert!(html.contains("Refund never arrived"));
    // Counts: two open, one past its target.
    assert!(
        html.contains("data-count=\"open\"><span class=\"big\"><bdi>2</bdi>"),
        "{html}"
    );
    assert!(html.contains("data-count=\"breached\"><span class=\"big\"><bdi>1</bdi>"));
    let fresh = row(&html, &w.case);
    assert!(fresh.contains("due in <bdi>7</bdi> h"), "{fresh}");
    assert!(fresh.contains("<time datetime="));
    assert!(fresh.contains(&format!("href=\"/customers/{}\"", w.customer.id)));
    assert!(fresh.contains("Dana Levi") && fresh.contains("Claims line"));
    assert!(fresh.contains("High") && fresh.contains("New"));
    assert!(!fresh.contains("Past target"));
    let late = row(&html, &w.late);
    assert!(late.contains("class=\"case breached\""), "{late}");
    assert!(late.contains("Past target"), "flagged in words, not colour");
    assert!(late.contains("overdue by <bdi>"));

    // Filters: breached only, a touchpoint, owner "me" (nobody owns these), any state.
    let (_, html) = get(&client, &w.app, "/cases?breached=1").await;
    assert!(html.contains("Refund never arrived") && !html.contains("Kept on hold"));
    let (_, html) = get(
        &client,
        &w.app,
        &format!("/cases?touchpoint={}&state=any", w.touchpoint),
    )
    .await;
    assert!(html.contains("Refund never arrived") && html.contains("Kept on hold"));
    let (_, html) = get(&client, &w.app, "/cases?owner=me").await;
    assert!(!html.contains("Kept on hold") && html.contains("No cases match"));
    let (_, html) = get(&client, &w.app, "/cases?state=resolved").await;
    assert!(!html.contains("Kept on hold"));
    let (status, _) = get(&client, &w.app, "/cases?state=sideways").await;
    assert_eq!(status, 422);

    // The case page: why it opened, what they said, their history, the forms.
    let (status, html) = get(&client, &w.app, &format!("/cases/{}", w.case.id)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Detractors get a call"));
    assert!(html.contains("NPS answer of 6 or lower"));
    assert!(
        html.contains("<bdi class=\"num\">3</bdi>"),
        "observed value"
    );
    assert!(
        html.contains("They kept me on hold for an hour"),
        "original comment"
    );
    assert!(
        html.contains("Lovely people at the branch"),
        "their other answer"
    );
    assert!(
        html.contains(&format!("href=\"/cases/{}\"", w.late.id)),
        "their earlier case"
    );
    assert!(html.contains("name=\"csrf\""));
    for state in ["contacted", "in_dialogue", "resolved", "closed"] {
        assert!(
            html.contains(&format!("<option value=\"{state}\"")),
            "{state}"
        );
    }
    assert!(
        !html.contains("<option value=\"new\""),
        "only legal next states"
    );
    for kind in ["customer_said", "we_did", "we_promised", "internal"] {
        assert!(html.contains(&format!("value=\"{kind}\"")), "{kind}");
    }
    assert!(html.contains("list=\"rc-suggestions\"") && html.contains("waiting_time"));
}

async fn hebrew_pages_are_right_to_left_with_isolated_numbers(app: TestApp) {
    let w = world(app).await;
    let he = w
        .app
        .caller(w.org, "lead-he@cs.test", Role::TeamLead, Locale::He, None)
        .await;
    let (client, _) = w.app.browser_login(&he.user.email).await;
    let (status, html) = get(&client, &w.app, "/cases").await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"he\" dir=\"rtl\">"));
    assert!(html.contains("פניות"));
    let late = row(&html, &w.late);
    assert!(late.contains("עבר את היעד"), "{late}");
    assert!(late.contains("באיחור של"), "{late}");
    let fresh = row(&html, &w.case);
    assert!(fresh.contains("בעוד <bdi>7</bdi> שעות"), "{fresh}");

    let (status, html) = get(&client, &w.app, &format!("/cases/{}", w.case.id)).await;
    assert_eq!(status, 200);
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("למה נפתחה הפנייה"));
    assert!(html.contains("מה הלקוח/ה סיפר/ה לנו"));
    // The customer's English words keep their own direction inside the Hebrew page.
    assert!(html.contains("<blockquote class=\"comment\" lang=\"en\" dir=\"ltr\">"));
    assert!(html.contains("<bdi>Kept on hold for an hour</bdi>"));
    // Dates in the reader's order (day.month.year), in a machine-readable <time>.
    let day = w.case.created_at.format("%-d.%-m.%Y").to_string();
    assert!(html.contains(&day), "{day}");
}

async fn notes_and_transitions_post_redirect_get(app: TestApp) {
    let w = world(app).await;
    let (client, csrf) = w.app.browser_login(&w.lead.user.email).await;
    let base = format!("/cases/{}", w.case.id);

    for (kind, text) in [
        ("customer_said", "I waited an hour and nobody picked up"),
        ("we_did", "Called back, apologised, booked the claim"),
        ("we_promised", "A cheque by Friday"),
        ("internal", "Check the queue staffing on Mondays"),
    ] {
        let (status, location, _) = post(
            &client,
            &w.app,
            &format!("{base}/notes"),
            &[("csrf", &csrf), ("kind", kind), ("body", text)],
        )
        .await;
        assert_eq!(status, 303, "{kind}");
        assert_eq!(location.as_deref(), Some(format!("{base}#log").as_str()));
    }
    let (status, location, _) = post(
        &client,
        &w.app,
        &format!("{base}/transition"),
        &[("csrf", &csrf), ("to", "contacted"), ("reason", "")],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.unwrap().starts_with(&base));
    let case = w.app.store.get_case(w.org, w.case.id).await.unwrap();
    assert_eq!(case.state, CaseState::Contacted);
    assert!(case.first_contact_at.is_some());

    let (status, _, _) = post(
        &client,
        &w.app,
        &format!("{base}/assign"),
        &[
            ("csrf", &csrf),
            ("owner_id", &w.agent.user.id.0.to_string()),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, _) = post(
        &client,
        &w.app,
        &format!("{base}/root-causes"),
        &[
            ("csrf", &csrf),
            ("root_causes", "waiting_time, Phone Queue"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, _) = post(
        &client,
        &w.app,
        &format!("{base}/transition"),
        &[
            ("csrf", &csrf),
            ("to", "resolved"),
            ("outcome", "won_back"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let case = w.app.store.get_case(w.org, w.case.id).await.unwrap();
    assert_eq!(case.state, CaseState::Resolved);
    assert_eq!(case.outcome, Some(Outcome::WonBack));
    assert_eq!(case.owner_id, Some(w.agent.user.id));
    assert_eq!(case.root_causes, vec!["waiting_time", "phone_queue"]);

    // The page shows the log: each note kind labelled, who and when.
    let (_, html) = get(&client, &w.app, &base).await;
    for (class, label) in [
        ("note-customer_said", "What the customer told us"),
        ("note-we_did", "What we did"),
        ("note-we_promised", "What we promised"),
        ("note-internal", "Internal note"),
    ] {
        assert!(
            html.contains(&format!("class=\"event note {class}\"")),
            "{class}"
        );
        assert!(html.contains(label), "{label}");
    }
    assert!(html.contains("A cheque by Friday"));
    assert!(html.contains(&w.lead.user.display_name), "who");
    assert!(html.contains("data-state=\"resolved\"") && html.contains("Won back"));
    // From resolved, only reopening is offered.
    assert!(html.contains("<option value=\"in_dialogue\""));
    assert!(!html.contains("<option value=\"closed\""));

    // Without the session's token, nothing changes.
    let (status, _, _) = post(
        &client,
        &w.app,
        &format!("{base}/notes"),
        &[("csrf", "forged"), ("kind", "internal"), ("body", "x")],
    )
    .await;
    assert_eq!(status, 403);
    let events = w.app.store.case_events(w.org, w.case.id).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "note").count(), 4);
}

async fn refused_changes_name_the_field(app: TestApp) {
    let w = world(app).await;
    let (client, csrf) = w.app.browser_login(&w.lead.user.email).await;
    let base = format!("/cases/{}", w.case.id);

    // Illegal: a new case cannot move back to "new".
    let (status, _, html) = post(
        &client,
        &w.app,
        &format!("{base}/transition"),
        &[("csrf", &csrf), ("to", "new")],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("cannot move to that state"));
    assert!(html.contains("id=\"move-to\" name=\"to\" required aria-invalid=\"true\""));

    // Closing without a reason: the reason field is named, and the page is the case page.
    let (status, _, html) = post(
        &client,
        &w.app,
        &format!("{base}/transition"),
        &[("csrf", &csrf), ("to", "closed"), ("reason", "  ")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Please give a reason"));
    assert!(html.contains(
        "id=\"move-reason\" name=\"reason\" rows=\"3\" maxlength=\"2000\" aria-invalid=\"true\""
    ));
    assert!(
        html.contains("<option value=\"closed\" selected>"),
        "keeps the choice"
    );

    // Resolving needs an outcome.
    let (status, _, html) = post(
        &client,
        &w.app,
        &format!("{base}/transition"),
        &[("csrf", &csrf), ("to", "resolved"), ("outcome", "")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("won back or not recovered"));

    // An empty note keeps the kind chosen.
    let (status, _, html) = post(
        &client,
        &w.app,
        &format!("{base}/notes"),
        &[("csrf", &csrf), ("kind", "we_promised"), ("body", "   ")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Please write the entry"));
    assert!(html.contains("value=\"we_promised\" checked"));

    let case = w.app.store.get_case(w.org, w.case.id).await.unwrap();
    assert_eq!(case.state, CaseState::New, "nothing moved");
    assert!(w
        .app
        .store
        .case_events(w.org, w.case.id)
        .await
        .unwrap()
        .iter()
        .all(|e| e.kind != "note" && e.kind != "transition"));

    // A legal close with a reason goes through.
    let (status, _, _) = post(
        &client,
        &w.app,
        &format!("{base}/transition"),
        &[("csrf", &csrf), ("to", "closed"), ("reason", "Duplicate")],
    )
    .await;
    assert_eq!(status, 303);
}

async fn hostile_text_is_escaped_and_bidi_neutralised(app: TestApp) {
    let w = world(app).await;
    let hostile = open(
        &w.app,
        w.org,
        "<img src=x onerror=alert(1)> refund",
        None,
        None,
        None,
        Utc::now(),
    )
    .await;
    let (client, csrf) = w.app.browser_login(&w.lead.user.email).await;
    let base = format!("/cases/{}", hostile.id);
    let (status, _, _) = post(
        &client,
        &w.app,
        &format!("{base}/notes"),
        &[
            ("csrf", &csrf),
            ("kind", "customer_said"),
            ("body", "<script>alert(2)</script> \u{202E}gnp.exe"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    for path in ["/cases".to_string(), base.clone()] {
        let (status, html) = get(&client, &w.app, &path).await;
        assert_eq!(status, 200);
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{path}"
        );
        assert!(!html.contains('\u{202E}'), "{path}");
    }
    let (_, html) = get(&client, &w.app, &base).await;
    assert!(!html.contains("<script>alert(2)"));
    assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"));
    assert!(html.contains("\u{FFFD}gnp.exe"));
}

async fn agents_are_refused_and_other_organisations_see_nothing(app: TestApp) {
    let w = world(app).await;
    let (agent, csrf) = w.app.browser_login(&w.agent.user.email).await;
    let (status, _) = get(&agent, &w.app, "/cases").await;
    assert_eq!(status, 403);
    let (status, _) = get(&agent, &w.app, &format!("/cases/{}", w.case.id)).await;
    assert_eq!(status, 403);
    let (status, _, _) = post(
        &agent,
        &w.app,
        &format!("/cases/{}/notes", w.case.id),
        &[("csrf", &csrf), ("kind", "internal"), ("body", "x")],
    )
    .await;
    assert_eq!(status, 403);
    let (_, home) = get(&agent, &w.app, "/").await;
    assert!(!home.contains("href=\"/cases\""), "no nav entry for agents");

    let other_org = w.app.org("other").await;
    let other = w
        .app
        .caller(
            other_org.id,
            "lead@other.test",
            Role::TeamLead,
            Locale::En,
            None,
        )
        .await;
    let (client, csrf) = w.app.browser_login(&other.user.email).await;
    let (status, _) = get(&client, &w.app, &format!("/cases/{}", w.case.id)).await;
    assert_eq!(status, 404);
    let (status, _, _) = post(
        &client,
        &w.app,
        &format!("/cases/{}/transition", w.case.id),
        &[("csrf", &csrf), ("to", "contacted")],
    )
    .await;
    assert_eq!(status, 404);
    let (status, html) = get(&client, &w.app, "/cases?state=any").await;
    assert_eq!(status, 200);
    assert!(!html.contains("Kept on hold"));
    assert_eq!(
        w.app.store.get_case(w.org, w.case.id).await.unwrap().state,
        CaseState::New
    );
}

/// In a real browser, the Hebrew case page runs right to left: the note's frame is on the
/// inline start (the right) and the side column of forms sits on the left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hebrew_case_page_in_a_real_browser() {
    let Some(browser) = common::browser::start().await else {
        return;
    };
    let app = TestApp::spawn(common::Backend::Sqlite).await.unwrap();
    let w = world(app).await;
    let he = w
        .app
        .caller(w.org, "lead-he@cs.test", Role::TeamLead, Locale::He, None)
        .await;
    w.app
        .store
        .add_case_note(
            Actor::user(w.org, he.user.id),
            w.case.id,
            NoteKind::CustomerSaid,
            "חיכיתי שעה על הקו",
            Utc::now(),
        )
        .await
        .unwrap();
    let c = browser.client.clone();
    c.goto(&w.app.url("/login")).await.unwrap();
    c.find(fantoccini::Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(&he.user.email)
        .await
        .unwrap();
    c.find(fantoccini::Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(common::PASSWORD)
        .await
        .unwrap();
    c.find(fantoccini::Locator::Css("form.card button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(fantoccini::Locator::Css("header nav"))
        .await
        .unwrap();
    c.goto(&w.app.url(&format!("/cases/{}", w.case.id)))
        .await
        .unwrap();
    let dir = c
        .execute("return document.documentElement.dir", vec![])
        .await
        .unwrap();
    assert_eq!(dir, "rtl");
    let frame = c
        .execute(
            "const s = getComputedStyle(document.querySelector('li.note-customer_said')); \
             return [s.borderRightWidth, s.borderLeftWidth];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        frame,
        serde_json::json!(["5px", "1px"]),
        "frame on the right"
    );
    let main = common::browser::left_of(&c, ".case-main").await;
    let side = common::browser::left_of(&c, ".case-side").await;
    assert!(
        side < main,
        "forms column on the left in RTL: {side} vs {main}"
    );
}
