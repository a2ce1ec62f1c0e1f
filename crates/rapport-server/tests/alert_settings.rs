//! The closed-loop panel on `/insights` (figures hand-computed from cases made through the
//! store) and `/settings/alerts` over real HTTP without JavaScript: rules listed, added,
//! switched off and deleted, the recommended rules, the SLA policy, refused input (422 with
//! the field named, nothing stored), who may see the page, and escaping of hostile names.

mod common;

use common::{get_page as get, post_form as post};

use chrono::{Duration, Utc};
use common::{Caller, TestApp};
use rapport_domain::alerts::{Condition, MatchMode};
use rapport_domain::cases::*;
use rapport_domain::model::*;
use rapport_domain::survey::{default_definition, RawAnswer};
use rapport_domain::voc::*;
use rapport_domain::*;
use rapport_server::auth::secrets;
use rapport_storage::{Actor, NewInvitation};

both_backends!(
    insights_panel_shows_hand_computed_figures,
    settings_list_create_disable_delete_and_sla,
    bad_threshold_is_refused_with_the_field_named,
    team_leads_are_refused,
    hostile_rule_names_are_escaped,
    hebrew_pages_are_right_to_left,
);

struct World {
    app: TestApp,
    org: OrgId,
    manager: Caller,
    lead: Caller,
    touchpoint: TouchpointId,
}

async fn world(app: TestApp) -> World {
    let (org, callers) = app.callers("al").await;
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
    World {
        org: org.id,
        manager: by_role(Role::CxManager),
        lead: by_role(Role::TeamLead),
        touchpoint: tp.id,
        app,
    }
}

/// The big number of the panel's `data-stat` entry.
fn stat(html: &str, id: &str) -> String {
    let marker = format!("data-stat=\"{id}\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("stat {id}"));
    let rest = &html[start..];
    let b = rest.find("<bdi>").unwrap() + 5;
    let e = rest[b..].find("</bdi>").unwrap() + b;
    rest[b..e].to_string()
}

async fn open(
    w: &World,
    customer: Option<CustomerId>,
    agent: Option<UserId>,
    nps: i32,
    opened_at: chrono::DateTime<Utc>,
) -> Case {
    w.app
        .store
        .open_case(
            Actor::system(w.org),
            &NewCase {
                title: format!("NPS {nps}"),
                priority: Priority::Normal,
                source: CaseSource::Manual,
                response_id: None,
                source_ref: None,
                customer_id: customer,
                touchpoint_id: None,
                agent_id: agent,
                owner_id: None,
                triggers: vec![],
                original_nps: Some(nps),
                opened_at,
                notify_owner: false,
            },
        )
        .await
        .unwrap()
        .0
}

async fn customer(w: &World, ext: &str) -> Customer {
    w.app
        .store
        .create_customer(
            Actor::system(w.org),
            &NewCustomer {
                external_id: Name::parse("e", ext).unwrap(),
                name: Name::parse("n", &format!("Customer {ext}")).unwrap(),
                locale: Locale::En,
                email: None,
                phone: None,
                consent: Default::default(),
            },
        )
        .await
        .unwrap()
}

async fn move_to(
    w: &World,
    id: CaseId,
    to: CaseState,
    outcome: Option<Outcome>,
    at: chrono::DateTime<Utc>,
) {
    w.app
        .store
        .transition_case(
            Actor::system(w.org),
            id,
            &Transition {
                to,
                outcome,
                reason: None,
            },
            at,
        )
        .await
        .unwrap();
}

async fn insights_panel_shows_hand_computed_figures(app: TestApp) {
    let w = world(app).await;
    let s = w.app.store.clone();
    let a = Actor::system(w.org);
    let team = s
        .create_team(
            a,
            &NewTeam {
                name: Name::parse("n", "Claims crew").unwrap(),
                lead_id: None,
            },
        )
        .await
        .unwrap();
    let agent = w
        .app
        .caller(
            w.org,
            "agent2@al.test",
            Role::Agent,
            Locale::En,
            Some(team.id),
        )
        .await;
    let c1 = customer(&w, "C-1").await;
    let c2 = customer(&w, "C-2").await;
    let now = Utc::now();
    // A: contacted after 2 h, won back after a day, then answered the follow-up with a 9.
    let ta = now - Duration::days(10);
    let case_a = open(&w, Some(c1.id), Some(agent.user.id), 3, ta).await;
    move_to(
        &w,
        case_a.id,
        CaseState::Contacted,
        None,
        ta + Duration::hours(2),
    )
    .await;
    move_to(
        &w,
        case_a.id,
        CaseState::Resolved,
        Some(Outcome::WonBack),
        ta + Duration::days(1),
    )
    .await;
    s.set_case_root_causes(a, case_a.id, &["waiting_time".into()], now)
        .await
        .unwrap();
    // B: the same customer again five days ago (a repeat), contacted after 4 h, still open
    // and within its resolution target, so not yet judged.
    let tb = now - Duration::days(5);
    let case_b = open(&w, Some(c1.id), None, 5, tb).await;
    move_to(
        &w,
        case_b.id,
        CaseState::Contacted,
        None,
        tb + Duration::hours(4),
    )
    .await;
    s.set_case_root_causes(
        a,
        case_b.id,
        &["waiting_time".into(), "billing".into()],
        now,
    )
    .await
    .unwrap();
    // C: never contacted in three days: past its 24 h first-contact target.
    open(&w, Some(c2.id), None, 2, now - Duration::days(3)).await;
    // D: an hour old, no customer: neither met nor missed yet.
    open(&w, None, None, 4, now - Duration::hours(1)).await;

    // The follow-up answer of case A, through a real invitation.
    let survey = s
        .create_survey(
            a,
            w.touchpoint,
            &Name::parse("n", "After the claim").unwrap(),
            &default_definition(),
            &secrets::random_hex(12),
        )
        .await
        .unwrap();
    let survey = s
        .set_survey_status(a, survey.id, SurveyStatus::Published)
        .await
        .unwrap();
    let inv = s
        .create_invitation(
            a,
            &NewInvitation {
                survey_id: survey.id,
                customer_id: c1.id,
                agent_id: None,
                interaction_ref: None,
                token_hash: secrets::sha256_hex(&secrets::random_hex(16)),
                channel: "email".into(),
                expires_at: now + Duration::days(7),
            },
        )
        .await
        .unwrap();
    s.set_case_followup_invitation(w.org, case_a.id, inv.id)
        .await
        .unwrap();
    let raw = std::collections::BTreeMap::from([("nps".to_string(), RawAnswer::Number(9.0))]);
    let (resp, _) = s
        .insert_response(
            w.org,
            &NewResponse {
                survey_id: survey.id,
                version: survey.version,
                customer_id: Some(c1.id),
                agent_id: None,
                invitation_id: Some(inv.id),
                locale: Locale::En,
                source: ResponseSource::Invitation,
                idempotency_key: None,
                external_id: None,
                submitted_at: now,
                answers: survey.definition.parse_answers(&raw).unwrap(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        s.record_case_followup(w.org, resp).await.unwrap(),
        Some(case_a.id)
    );

    let (client, _) = w.app.browser_login(&w.manager.user.email).await;
    let (status, html) = get(&client, &w.app, "/insights").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"h-closed-loop\""), "{html}");
    // The lead: 1 of 1 followed-up detractors is no longer a detractor.
    assert!(
        html.contains("data-figure=\"recovery\"><bdi>100%</bdi> recovered"),
        "{html}"
    );
    assert!(
        html.contains("<bdi class=\"n\" dir=\"ltr\">n = 1</bdi>"),
        "{html}"
    );
    assert_eq!(stat(&html, "opened"), "4");
    assert_eq!(stat(&html, "open-now"), "3");
    assert_eq!(stat(&html, "breached-now"), "1");
    assert!(html.contains("href=\"/cases?breached=1\""));
    // Median of 2 h and 4 h.
    assert_eq!(stat(&html, "median-contact"), "3.0");
    // A met both targets, C missed first contact; B and D are not judged yet.
    assert_eq!(stat(&html, "sla"), "50%");
    assert_eq!(stat(&html, "closure"), "25%");
    assert_eq!(stat(&html, "won-back"), "1");
    // B repeats A for the same customer: 1 of the 3 cases with a customer.
    assert_eq!(stat(&html, "repeat"), "33%");
    // NPS of the original 3 and the follow-up 9.
    assert!(html.contains("\u{2212}100 → 100"), "{html}");
    // Root causes ranked: waiting_time on two cases, billing on one.
    let wt = html
        .find("data-root=\"waiting_time\"")
        .expect("waiting_time");
    let bi = html.find("data-root=\"billing\"").expect("billing");
    assert!(wt < bi);
    assert!(
        html[wt..].starts_with("data-root=\"waiting_time\"><code>waiting_time</code> · 2 cases")
    );
    // Teams by name, not id.
    assert!(html.contains("Claims crew"), "{html}");
    assert!(html.contains("How these figures are computed"));

    // An agent sees no closed-loop panel (its figures are for managers).
    let agent_client = w.app.browser_login(&agent.user.email).await.0;
    let (status, html) = get(&agent_client, &w.app, "/insights").await;
    assert_eq!(status, 200);
    assert!(!html.contains("h-closed-loop"));
    // A team lead does not either.
    let lead = w.app.browser_login(&w.lead.user.email).await.0;
    let (_, html) = get(&lead, &w.app, "/insights").await;
    assert!(!html.contains("h-closed-loop"));
}

fn sla_form(csrf: &str, high_first: &str, high_res: &str) -> Vec<(String, String)> {
    let mut f = vec![("csrf".to_string(), csrf.to_string())];
    for (p, first, res) in [
        ("low", "72", "336"),
        ("normal", "24", "168"),
        ("high", high_first, high_res),
        ("urgent", "2", "24"),
    ] {
        f.push((format!("{p}.first_contact_hours"), first.to_string()));
        f.push((format!("{p}.resolution_hours"), res.to_string()));
    }
    f
}

fn pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

async fn settings_list_create_disable_delete_and_sla(app: TestApp) {
    let w = world(app).await;
    let s = w.app.store.clone();
    let (client, csrf) = w.app.browser_login(&w.manager.user.email).await;

    // Reachable from the organisation settings.
    let (_, settings) = get(&client, &w.app, "/settings").await;
    assert!(settings.contains("href=\"/settings/alerts\""), "{settings}");

    let (status, html) = get(&client, &w.app, "/settings/alerts").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("There are no alert rules yet"));
    assert!(html.contains("action=\"/settings/alerts/defaults\""));

    // The recommended rules, once only.
    let (status, loc, _) = post(
        &client,
        &w.app,
        "/settings/alerts/defaults",
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(loc.unwrap().starts_with("/settings/alerts?saved=defaults"));
    post(
        &client,
        &w.app,
        "/settings/alerts/defaults",
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(s.list_alert_rules(w.org).await.unwrap().len(), 3);
    let (_, html) = get(&client, &w.app, "/settings/alerts?saved=defaults").await;
    assert!(html.contains("The recommended rules were added."));
    assert!(html.contains("Detractor (NPS 0–6)"));
    assert!(html.contains("NPS answer of 6 or lower"));
    assert!(html.contains("any of these holds"));
    assert!(!html.contains("action=\"/settings/alerts/defaults\""));

    // A new rule scoped to a touchpoint, two conditions, any of them.
    let tp = format!("touchpoint:{}", w.touchpoint.0);
    let (status, loc, body) = post(
        &client,
        &w.app,
        "/settings/alerts",
        &[
            ("csrf", &csrf),
            ("name", "Long holds"),
            ("scope", &tp),
            ("match_mode", "any"),
            ("c1_kind", "nps_at_most"),
            ("c1_value", "4"),
            ("c2_kind", "topic"),
            ("c2_value", "waiting_time"),
            ("c3_kind", ""),
            ("c3_value", ""),
            ("priority", "high"),
            ("create_case", "1"),
            ("notify", "1"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert!(loc.unwrap().starts_with("/settings/alerts?saved=rule"));
    let rules = s.list_alert_rules(w.org).await.unwrap();
    let rule = rules.iter().find(|r| r.spec.name == "Long holds").unwrap();
    assert_eq!(rule.spec.touchpoint_id, Some(w.touchpoint));
    assert_eq!(rule.spec.match_mode, MatchMode::Any);
    assert_eq!(
        rule.spec.conditions,
        vec![
            Condition::NpsAtMost { value: 4 },
            Condition::Topic {
                topic: "waiting_time".into()
            }
        ]
    );
    assert_eq!(rule.spec.priority, Priority::High);
    assert!(rule.spec.create_case && rule.spec.notify && rule.spec.enabled);
    let (_, html) = get(&client, &w.app, "/settings/alerts").await;
    let row_at = html.find(&format!("data-rule=\"{}\"", rule.id.0)).unwrap();
    let row = &html[row_at..row_at + html[row_at..].find("</tr>").unwrap()];
    assert!(row.contains("Touchpoint: <bdi>Claims line</bdi>"), "{row}");
    assert!(row.contains("opens a case, e-mails the owner"), "{row}");
    assert!(row.contains("Switch off"));

    // Switched off, then deleted.
    let (status, _, _) = post(
        &client,
        &w.app,
        &format!("/settings/alerts/{}/toggle", rule.id.0),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(!s.get_alert_rule(w.org, rule.id).await.unwrap().spec.enabled);
    let (_, html) = get(&client, &w.app, "/settings/alerts").await;
    let row_at = html.find(&format!("data-rule=\"{}\"", rule.id.0)).unwrap();
    assert!(html[row_at..]
        .split("</tr>")
        .next()
        .unwrap()
        .contains("Switch on"));
    // Without the token nothing changes.
    let (status, _, _) = post(
        &client,
        &w.app,
        &format!("/settings/alerts/{}/delete", rule.id.0),
        &[("csrf", "wrong")],
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = post(
        &client,
        &w.app,
        &format!("/settings/alerts/{}/delete", rule.id.0),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(s.list_alert_rules(w.org).await.unwrap().len(), 3);

    // The service levels.
    let f = sla_form(&csrf, "4", "48");
    let (status, loc, body) = post(&client, &w.app, "/settings/sla", &pairs(&f)).await;
    assert_eq!(status, 303, "{body}");
    assert!(loc.unwrap().contains("saved=sla"));
    let p = s.sla_policy(w.org).await.unwrap();
    assert_eq!(p.high.first_contact_hours, 4);
    assert_eq!(p.high.resolution_hours, 48);
    assert_eq!(p.urgent.first_contact_hours, 2);
    let (_, html) = get(&client, &w.app, "/settings/alerts?saved=sla").await;
    assert!(
        html.contains("name=\"high.first_contact_hours\" value=\"4\""),
        "{html}"
    );

    // Resolution before first contact is refused, the field named, nothing changed.
    let f = sla_form(&csrf, "10", "5");
    let (status, _, body) = post(&client, &w.app, "/settings/sla", &pairs(&f)).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("high.resolution_hours"));
    assert!(
        body.contains(
            "id=\"sla-high-resolution_hours\" name=\"high.resolution_hours\" value=\"5\""
        ),
        "{body}"
    );
    assert!(body.contains("aria-invalid=\"true\""));
    assert_eq!(
        s.sla_policy(w.org).await.unwrap().high.first_contact_hours,
        4
    );
}

async fn bad_threshold_is_refused_with_the_field_named(app: TestApp) {
    let w = world(app).await;
    let (client, csrf) = w.app.browser_login(&w.manager.user.email).await;
    for (kind, value, field) in [
        ("nps_at_most", "11", "conditions[0].value"),
        ("nps_at_most", "", "conditions[0].value"),
        ("negative_sentiment", "1.5", "conditions[0].min_anger"),
    ] {
        let (status, _, body) = post(
            &client,
            &w.app,
            "/settings/alerts",
            &[
                ("csrf", &csrf),
                ("name", "Angry detractors"),
                ("c1_kind", kind),
                ("c1_value", value),
                ("priority", "urgent"),
                ("create_case", "1"),
            ],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains(&format!("<code lang=\"en\" dir=\"ltr\">{field}</code>")),
            "{body}"
        );
        assert!(body.contains("This threshold is out of range or missing."));
        // The control is marked and points at the explanation; what was typed is kept.
        assert!(
            body.contains(&format!(
                "id=\"rule-c1_value\" name=\"c1_value\" value=\"{value}\" maxlength=\"64\" aria-invalid=\"true\" aria-describedby=\"rule-error\""
            )),
            "{body}"
        );
        assert!(body.contains("value=\"Angry detractors\""));
        assert!(body.contains(&format!("<option value=\"{kind}\" selected")));
        assert!(body.contains("<option value=\"urgent\" selected"));
    }
    // A rule that neither opens a case nor notifies names its field too.
    let (status, _, body) = post(
        &client,
        &w.app,
        "/settings/alerts",
        &[
            ("csrf", &csrf),
            ("name", "Quiet"),
            ("c1_kind", "nps_at_most"),
            ("c1_value", "3"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains(">create_case</code>"));
    assert!(w
        .app
        .store
        .list_alert_rules(w.org)
        .await
        .unwrap()
        .is_empty());
}

async fn team_leads_are_refused(app: TestApp) {
    let w = world(app).await;
    let (client, csrf) = w.app.browser_login(&w.lead.user.email).await;
    let (status, _) = get(&client, &w.app, "/settings/alerts").await;
    assert_eq!(status, 403);
    let (status, _, _) = post(
        &client,
        &w.app,
        "/settings/alerts/defaults",
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 403);
    let f = sla_form(&csrf, "4", "48");
    let (status, _, _) = post(&client, &w.app, "/settings/sla", &pairs(&f)).await;
    assert_eq!(status, 403);
    assert!(w
        .app
        .store
        .list_alert_rules(w.org)
        .await
        .unwrap()
        .is_empty());
    let (_, settings) = get(&client, &w.app, "/settings").await;
    assert!(!settings.contains("/settings/alerts"));
}

async fn hostile_rule_names_are_escaped(app: TestApp) {
    let w = world(app).await;
    let (client, csrf) = w.app.browser_login(&w.manager.user.email).await;
    let hostile = "<script>alert(1)</script>\u{202E}gnp.exe";
    let (status, _, body) = post(
        &client,
        &w.app,
        "/settings/alerts",
        &[
            ("csrf", &csrf),
            ("name", hostile),
            ("c1_kind", "nps_at_most"),
            ("c1_value", "6"),
            ("create_case", "1"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let (_, html) = get(&client, &w.app, "/settings/alerts").await;
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(
        html.contains("<bdi>&lt;script&gt;alert(1)&lt;/script&gt;\u{FFFD}gnp.exe</bdi>"),
        "{html}"
    );
    // Refused with the hostile name kept: escaped in the input's value too.
    let (status, _, body) = post(
        &client,
        &w.app,
        "/settings/alerts",
        &[
            ("csrf", &csrf),
            ("name", hostile),
            ("c1_kind", "nps_at_most"),
            ("c1_value", "99"),
            ("create_case", "1"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(!body.contains("<script>alert(1)"));
    assert!(body.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;"));
}

async fn hebrew_pages_are_right_to_left(app: TestApp) {
    let w = world(app).await;
    let he = w
        .app
        .caller(w.org, "menahel@al.test", Role::CxManager, Locale::He, None)
        .await;
    let c = customer(&w, "C-9").await;
    let t = Utc::now() - Duration::days(2);
    let case = open(&w, Some(c.id), None, 3, t).await;
    move_to(
        &w,
        case.id,
        CaseState::Contacted,
        None,
        t + Duration::hours(5),
    )
    .await;
    let (client, _) = w.app.browser_login(&he.user.email).await;
    let (status, html) = get(&client, &w.app, "/settings/alerts").await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"he\" dir=\"rtl\">"), "{html}");
    assert!(html.contains("כללי התראה ורמות שירות"));
    assert!(html.contains("הוספת הכללים המומלצים"));
    let (_, html) = get(&client, &w.app, "/insights").await;
    assert!(html.contains("לולאה סגורה"), "{html}");
    assert_eq!(stat(&html, "opened"), "1");
    assert_eq!(stat(&html, "median-contact"), "5.0");
    assert!(html.contains("עדיין אין תשובות מעקב"));
}
