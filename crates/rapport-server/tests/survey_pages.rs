//! Survey pages over real HTTP, without JavaScript: the respondent's public and personal links
//! (steps, follow-ups, errors, single-use invitations) and survey management by role.

mod common;

use chrono::{Duration, Utc};
use common::{Caller, TestApp};
use rapport_domain::model::*;
use rapport_domain::survey::{default_definition, SurveyDefinition};
use rapport_domain::voc::*;
use rapport_domain::*;
use rapport_server::auth::secrets;
use rapport_storage::{Actor, NewInvitation};
use reqwest::Method;
use serde_json::json;

both_backends!(
    public_link_is_answered_end_to_end,
    follow_up_question_is_shown_only_to_detractors,
    validation_error_re_renders_the_step_and_stores_nothing,
    invitation_is_answered_once_by_its_customer,
    closed_draft_and_unknown_surveys_explain_themselves,
    respondent_form_without_csrf_is_refused,
    managers_create_edit_publish_preview_and_close,
    survey_management_follows_roles,
    choices_and_chained_conditions_run_in_three_steps,
);

struct World {
    app: TestApp,
    org: OrgId,
    manager: Caller,
    lead: Caller,
    agent: Caller,
    touchpoint: TouchpointId,
    survey: Survey,
}

async fn world(app: TestApp) -> World {
    let (org, callers) = app.callers("sv").await;
    let by_role = |r: Role| callers.iter().find(|c| c.user.role == r).unwrap().clone();
    let a = Actor::system(org.id);
    let journey = app
        .store
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
    let tp = app
        .store
        .create_touchpoint(
            a,
            &NewTouchpoint {
                stage_id: journey.stages[3].stage.id,
                name: Name::parse("n", "Claims line").unwrap(),
                channel: Channel::Phone,
                owner_id: None,
                promise: Some(Text::parse("p", "We call back within a day").unwrap()),
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
    World {
        org: org.id,
        manager: by_role(Role::CxManager),
        lead: by_role(Role::TeamLead),
        agent: by_role(Role::Agent),
        touchpoint: tp.id,
        survey,
        app,
    }
}

impl World {
    fn public(&self) -> String {
        format!("/s/{}", self.survey.public_id)
    }

    async fn responses(&self) -> Vec<Response> {
        self.app
            .store
            .list_responses(
                self.org,
                &ResponseFilter {
                    survey: Some(self.survey.id),
                    ..Default::default()
                },
                100,
                0,
            )
            .await
            .unwrap()
            .0
    }
}

/// The value of the first `<input name=…>` on a page.
fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..].split('"').next().unwrap().to_string())
}

/// A respondent's browser: its cookies, and the hidden fields of the page it is on.
struct Respondent {
    client: reqwest::Client,
    base: String,
    path: String,
    hidden: Vec<(String, String)>,
}

impl Respondent {
    async fn open(app: &TestApp, path: &str, accept_language: Option<&str>) -> (u16, String, Self) {
        let client = TestApp::client();
        let mut req = client.get(app.url(path));
        if let Some(l) = accept_language {
            req = req.header("accept-language", l);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let html = resp.text().await.unwrap();
        let mut r = Respondent {
            client,
            base: app.base.clone(),
            path: path.split('?').next().unwrap().to_string(),
            hidden: vec![],
        };
        r.read(&html);
        (status, html, r)
    }

    /// Keeps every hidden input of the page, as a browser would post it back.
    fn read(&mut self, html: &str) {
        self.hidden = html
            .split("<input type=\"hidden\" name=\"")
            .skip(1)
            .filter_map(|rest| {
                let name = rest.split('"').next()?;
                let value = rest.split("value=\"").nth(1)?.split('"').next()?;
                Some((name.to_string(), value.to_string()))
            })
            .collect();
    }

    async fn post(&mut self, go: &str, answers: &[(&str, &str)]) -> (u16, String) {
        let mut form: Vec<(String, String)> = self
            .hidden
            .iter()
            .filter(|(k, _)| !answers.iter().any(|(a, _)| k == &format!("a.{a}")))
            .cloned()
            .collect();
        form.push(("go".into(), go.into()));
        for (k, v) in answers {
            form.push((format!("a.{k}"), v.to_string()));
        }
        let resp = self
            .client
            .post(format!("{}{}", self.base, self.path))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let html = resp.text().await.unwrap();
        self.read(&html);
        (status, html)
    }
}

const HE_NPS: &str = "עד כמה סביר שתמליצו עלינו לחבר או לעמית?";
const EN_WHY_LOW: &str = "What disappointed you, and what should we have done?";
const EN_WHY_HIGH: &str = "What did we do well?";

async fn public_link_is_answered_end_to_end(app: TestApp) {
    let w = world(app).await;
    // Pages that carry answers stay out of caches and Referer headers.
    let r = TestApp::client()
        .get(w.app.url(&w.public()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    // The browser's language picks the page's language when the link does not.
    let (status, html, _) = Respondent::open(&w.app, &w.public(), Some("el-GR,el;q=0.9")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"el\" dir=\"ltr\">"), "{html}");

    let (status, html, mut r) =
        Respondent::open(&w.app, &format!("{}?lang=he", w.public()), Some("en")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"he\" dir=\"rtl\">"));
    assert!(html.contains(HE_NPS));
    assert!(html.contains("<fieldset") && html.contains("<legend"));
    assert!(html.contains("type=\"radio\""), "NPS is a radio group");
    assert!(
        !html.contains("/logout") && !html.contains("header class=\"top\""),
        "no staff navigation"
    );
    assert!(!html.contains("<script"), "works without JavaScript");
    assert_eq!(
        r.hidden
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.len()),
        Some(64)
    );
    assert!(html.contains("שלב <bdi>1</bdi> מתוך <bdi>2</bdi>") || html.contains("שלב 1 מתוך 2"));

    let (status, html) = r.post("next", &[("nps", "9")]).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("מה עשינו טוב?"),
        "promoter follow-up in Hebrew"
    );
    assert!(!html.contains("מה אכזב אתכם"));
    assert_eq!(
        input_value(&html, "a.nps").as_deref(),
        Some("9"),
        "earlier answer carried"
    );

    let answers = [
        ("why_high", "דנה הייתה נהדרת"),
        ("csat", "5"),
        ("promise.expectation", "5"),
        ("promise.experience", "7"),
    ];
    let before = r.hidden.clone();
    let (status, html) = r.post("next", &answers).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("תודה רבה — אנחנו קוראים כל תשובה."), "{html}");

    let stored = w.responses().await;
    assert_eq!(stored.len(), 1);
    let resp = &stored[0];
    assert_eq!(resp.locale, Locale::He);
    assert_eq!(resp.source, ResponseSource::PublicLink);
    assert_eq!(resp.customer_id, None);
    assert_eq!(resp.touchpoint_id, w.touchpoint);
    assert_eq!((resp.nps, resp.csat), (Some(9), Some(5)));
    assert_eq!((resp.expectation, resp.experience), (Some(5), Some(7)));
    assert_eq!(resp.comment.as_deref(), Some("דנה הייתה נהדרת"));

    // Sending the last step again (a refresh, a double click) does not store a second response.
    r.hidden = before;
    let (status, _) = r.post("next", &answers).await;
    assert_eq!(status, 200);
    assert_eq!(w.responses().await.len(), 1);
}

async fn follow_up_question_is_shown_only_to_detractors(app: TestApp) {
    let w = world(app).await;
    let (_, _, mut r) = Respondent::open(&w.app, &w.public(), Some("en")).await;
    let (status, html) = r.post("next", &[("nps", "3")]).await;
    assert_eq!(status, 200);
    assert!(html.contains(EN_WHY_LOW));
    assert!(!html.contains(EN_WHY_HIGH));

    // Back keeps the answer; changing it to a promoter swaps the follow-up.
    let (status, html) = r.post("back", &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"3\" checked"), "{html}");
    assert!(!html.contains(EN_WHY_LOW));
    let (_, html) = r.post("next", &[("nps", "10")]).await;
    assert!(html.contains(EN_WHY_HIGH));
    assert!(!html.contains(EN_WHY_LOW));

    // A detractor's answer to the promoter question (hand-crafted form) is not stored.
    let (_, _, mut d) = Respondent::open(&w.app, &w.public(), Some("en")).await;
    d.post("next", &[("nps", "2")]).await;
    let (status, html) = d
        .post(
            "next",
            &[("why_low", "Nobody called back"), ("why_high", "sneaky")],
        )
        .await;
    assert_eq!(status, 200, "{html}");
    let stored = w.responses().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].comment.as_deref(), Some("Nobody called back"));
    assert!(stored[0].answers.contains_key("why_low"));
    assert!(!stored[0].answers.contains_key("why_high"));
}

async fn validation_error_re_renders_the_step_and_stores_nothing(app: TestApp) {
    let w = world(app).await;
    let (_, _, mut r) = Respondent::open(&w.app, &w.public(), Some("en")).await;
    // The required NPS question left empty.
    let (status, html) = r.post("next", &[]).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"err-nps\""), "{html}");
    assert!(html.contains("Please answer this question."));
    assert!(
        html.contains("href=\"#q-nps\""),
        "error summary links to the question"
    );
    // Out of range.
    let (status, html) = r.post("next", &[("nps", "11")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("Please choose one of the answers offered."));
    // Half an expectation pair, on the last step: the step comes back with both answers kept.
    let (status, _) = r.post("next", &[("nps", "6")]).await;
    assert_eq!(status, 200);
    let (status, html) = r
        .post("next", &[("why_low", "slow"), ("promise.expectation", "6")])
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"err-promise\""));
    assert!(html.contains("Please answer both what you expected and what you got."));
    assert!(html.contains(">slow</textarea>"), "typed text kept");
    assert_eq!(input_value(&html, "a.nps").as_deref(), Some("6"));
    assert!(w.responses().await.is_empty(), "nothing stored");
    // Fixed, it goes through.
    let (status, _) = r
        .post(
            "next",
            &[
                ("why_low", "slow"),
                ("promise.expectation", "6"),
                ("promise.experience", "3"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let stored = w.responses().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].expectation, stored[0].experience),
        (Some(6), Some(3))
    );
}

async fn invitation_is_answered_once_by_its_customer(app: TestApp) {
    let w = world(app).await;
    let customer = w
        .app
        .store
        .create_customer(
            Actor::system(w.org),
            &NewCustomer {
                external_id: Name::parse("e", "C-77").unwrap(),
                name: Name::parse("n", "Ελένη Παπαδοπούλου").unwrap(),
                locale: Locale::El,
                email: None,
                phone: None,
                consent: Consent::default(),
            },
        )
        .await
        .unwrap();
    let (status, body) = w
        .app
        .api(
            &w.manager,
            Method::POST,
            &format!("/api/v1/surveys/{}/invitations", w.survey.id),
            Some(json!({"customer_id": customer.id.0, "agent_id": w.agent.user.id.0})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let path = body["path"].as_str().unwrap().to_string();

    // The customer's language, whatever the browser says.
    let (status, html, mut r) = Respondent::open(&w.app, &path, Some("en")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"el\" dir=\"ltr\">"));
    assert!(html.contains("Πόσο πιθανό είναι να μας συστήσετε"));
    let (status, _) = r.post("next", &[("nps", "4")]).await;
    assert_eq!(status, 200);
    let before = r.hidden.clone();
    let (status, html) = r.post("next", &[("why_low", "Περίμενα μία ώρα")]).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Σας ευχαριστούμε — διαβάζουμε κάθε απάντηση."));
    let stored = w.responses().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].customer_id, Some(customer.id));
    assert_eq!(stored[0].agent_id, Some(w.agent.user.id));
    assert_eq!(stored[0].source, ResponseSource::Invitation);
    assert_eq!(stored[0].locale, Locale::El);
    assert_eq!(stored[0].nps, Some(4));

    // Used: the link and a replayed form both say so, in Greek, and store nothing more.
    let (status, html, _) = Respondent::open(&w.app, &path, None).await;
    assert_eq!(status, 410);
    assert!(html.contains("Έχετε ήδη απαντήσει"), "{html}");
    r.hidden = before;
    let (status, _) = r.post("next", &[("why_low", "ξανά")]).await;
    assert_eq!(status, 410);
    let mut fresh = Respondent::open(&w.app, &w.public(), None).await.2;
    let fresh_form = fresh.hidden.clone();
    fresh.path = path.clone();
    let (status, _) = fresh.post("next", &[("nps", "1")]).await;
    assert_eq!(status, 410);
    assert_eq!(w.responses().await.len(), 1);

    // Expired.
    let token = secrets::random_hex(24);
    w.app
        .store
        .create_invitation(
            Actor::system(w.org),
            &NewInvitation {
                survey_id: w.survey.id,
                customer_id: customer.id,
                agent_id: None,
                interaction_ref: None,
                token_hash: secrets::sha256_hex(&token),
                channel: "link".into(),
                expires_at: Utc::now() - Duration::hours(1),
            },
        )
        .await
        .unwrap();
    let (status, html, _) = Respondent::open(&w.app, &format!("/i/{token}"), None).await;
    assert_eq!(status, 410);
    assert!(html.contains("Η πρόσκληση αυτή έχει λήξει."));
    fresh.path = format!("/i/{token}");
    fresh.hidden = fresh_form;
    let (status, _) = fresh.post("next", &[("nps", "10")]).await;
    assert_eq!(status, 410);

    // Unknown and malformed tokens.
    for bad in [secrets::random_hex(24), "x".repeat(300), "%E2%80%AE".into()] {
        let (status, html, _) = Respondent::open(&w.app, &format!("/i/{bad}"), Some("he")).await;
        assert_eq!(status, 404, "{bad}");
        assert!(html.contains("לא מצאנו את ההזמנה"));
    }
    assert_eq!(w.responses().await.len(), 1, "nothing else stored");
}

async fn closed_draft_and_unknown_surveys_explain_themselves(app: TestApp) {
    let w = world(app).await;
    let (_, _, mut r) = Respondent::open(&w.app, &w.public(), Some("en")).await;
    w.app
        .store
        .set_survey_status(Actor::system(w.org), w.survey.id, SurveyStatus::Closed)
        .await
        .unwrap();
    let (status, html, _) = Respondent::open(&w.app, &w.public(), Some("he")).await;
    assert_eq!(status, 410);
    assert!(html.contains("הסקר הזה נסגר"));
    assert!(html.contains("dir=\"rtl\""));
    // A form opened before it closed cannot slip in.
    let (status, _) = r.post("next", &[("nps", "8")]).await;
    assert_eq!(status, 410);
    assert!(w.responses().await.is_empty());

    let draft = w
        .app
        .store
        .create_survey(
            Actor::system(w.org),
            w.touchpoint,
            &Name::parse("n", "Draft").unwrap(),
            &default_definition(),
            &secrets::random_hex(12),
        )
        .await
        .unwrap();
    let (status, html, _) =
        Respondent::open(&w.app, &format!("/s/{}", draft.public_id), Some("en")).await;
    assert_eq!(status, 404);
    assert!(html.contains("not open yet"));
    let (status, html, _) = Respondent::open(&w.app, "/s/nosuchsurvey", Some("el")).await;
    assert_eq!(status, 404);
    assert!(html.contains("Δεν βρήκαμε αυτή την έρευνα"));
}

async fn respondent_form_without_csrf_is_refused(app: TestApp) {
    let w = world(app).await;
    let (_, _, r) = Respondent::open(&w.app, &w.public(), None).await;
    let url = w.app.url(&w.public());
    let without = r
        .client
        .post(&url)
        .form(&[("step", "0"), ("go", "next"), ("a.nps", "9")])
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 403);
    let wrong = r
        .client
        .post(&url)
        .form(&[
            ("csrf", "0".repeat(64).as_str()),
            ("go", "next"),
            ("a.nps", "9"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    // The right token from another browser (no matching cookie) is refused too.
    let csrf = r
        .hidden
        .iter()
        .find(|(k, _)| k == "csrf")
        .unwrap()
        .1
        .clone();
    let other = TestApp::client()
        .post(&url)
        .form(&[("csrf", csrf.as_str()), ("go", "next"), ("a.nps", "9")])
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);
    assert!(w.responses().await.is_empty());
}

async fn managers_create_edit_publish_preview_and_close(app: TestApp) {
    let w = world(app).await;
    let (client, csrf) = w.app.browser_login(&w.manager.user.email).await;
    let html = client
        .get(w.app.url("/surveys"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("After the claim"));
    assert!(
        html.contains(&w.public()),
        "published survey links to its public page"
    );
    assert!(html.contains("Claims line"), "grouped under its touchpoint");

    let resp = client
        .post(w.app.url("/surveys"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("touchpoint_id", &w.touchpoint.0.to_string()),
            ("name", "Callback check"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let loc = resp.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = loc.trim_start_matches("/surveys/").parse().unwrap();
    let created = w.app.store.get_survey(w.org, SurveyId(id)).await.unwrap();
    assert_eq!(created.status, SurveyStatus::Draft);
    assert_eq!(created.definition.questions.len(), 6, "standard definition");
    let page = client
        .get(w.app.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<textarea"));
    assert!(
        page.contains("We call back within a day"),
        "the touchpoint's promise is shown"
    );
    assert!(page.contains("&quot;nps&quot;") || page.contains("\"nps\""));

    // An invalid definition names the field and saves nothing.
    let mut bad = serde_json::to_value(&created.definition).unwrap();
    bad["questions"][0]["prompt"]
        .as_object_mut()
        .unwrap()
        .remove("el");
    let resp = client
        .post(w.app.url(&loc))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Renamed"),
            ("definition", &bad.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.unwrap();
    assert!(html.contains("definition.questions[0].prompt.el"), "{html}");
    let resp = client
        .post(w.app.url(&loc))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Renamed"),
            ("definition", "{\"locales\": [\"en\"], \"title\": {\"en\": \"x\"}, \"questions\": [{\"key\": \"q\", \"type\": \"nps\", \"prompt\": {\"en\": \"?\"}, \"colour\": 1}]}"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.unwrap();
    assert!(html.contains("definition.questions"), "{html}");
    assert!(html.contains("colour"));
    let same = w.app.store.get_survey(w.org, SurveyId(id)).await.unwrap();
    assert_eq!((same.name.as_str(), same.version), ("Callback check", 1));

    // A valid edit of a draft changes it in place.
    let mut def = created.definition.clone();
    def.questions.retain(|q| q.key != "ces");
    let edit = |name: &'static str, def: &SurveyDefinition| {
        let body = serde_json::to_string(def).unwrap();
        let client = client.clone();
        let url = w.app.url(&loc);
        let csrf = csrf.clone();
        async move {
            client
                .post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("name", name),
                    ("definition", &body),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let resp = edit("Callback check v1", &def).await;
    assert_eq!(resp.status(), 303);
    let s1 = w.app.store.get_survey(w.org, SurveyId(id)).await.unwrap();
    assert_eq!(
        (s1.name.as_str(), s1.version, s1.definition.questions.len()),
        ("Callback check v1", 1, 5)
    );

    // Publish: the public link opens.
    let resp = client
        .post(w.app.url(&format!("{loc}/publish")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let public = format!("/s/{}", s1.public_id);
    assert_eq!(Respondent::open(&w.app, &public, None).await.0, 200);
    // Editing a published survey makes a new version.
    def.questions.retain(|q| q.key != "csat");
    assert_eq!(edit("Callback check v2", &def).await.status(), 303);
    let s2 = w.app.store.get_survey(w.org, SurveyId(id)).await.unwrap();
    assert_eq!((s2.version, s2.status), (2, SurveyStatus::Published));
    let page = client
        .get(w.app.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("version <bdi class=\"num\">3</bdi>") || page.contains("version 3"),
        "next save is announced as version 3"
    );

    // Preview in Hebrew walks through the steps and stores nothing.
    let html = client
        .get(w.app.url(&format!("{loc}/preview?lang=he")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("dir=\"rtl\"") && html.contains(HE_NPS));
    assert!(html.contains("תצוגה מקדימה"));
    let nonce = input_value(&html, "nonce").unwrap();
    let preview_post = |fields: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = w.app.url(&format!("{loc}/preview"));
        let mut form = vec![
            ("csrf", csrf.clone()),
            ("lang", "he".to_string()),
            ("nonce", nonce.clone()),
        ];
        form.extend(fields);
        async move { client.post(url).form(&form).send().await.unwrap() }
    };
    let r = preview_post(vec![
        ("step", "0".into()),
        ("go", "next".into()),
        ("a.nps", "2".into()),
    ])
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("מה אכזב אתכם"));
    let r = preview_post(vec![
        ("step", "1".into()),
        ("go", "next".into()),
        ("a.nps", "2".into()),
        ("a.why_low", "בדיקה".into()),
    ])
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("תודה רבה"), "{html}");
    assert!(html.contains("התשובות כאן לא נשמרות"));
    let (items, _) = w
        .app
        .store
        .list_responses(
            w.org,
            &ResponseFilter {
                survey: Some(SurveyId(id)),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert!(items.is_empty(), "preview stores nothing");

    // Close: the public link now explains it has closed.
    let resp = client
        .post(w.app.url(&format!("{loc}/close")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(Respondent::open(&w.app, &public, None).await.0, 410);
    // Publishing without the CSRF token is refused.
    let resp = client
        .post(w.app.url(&format!("{loc}/publish")))
        .form(&[("csrf", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        w.app
            .store
            .get_survey(w.org, SurveyId(id))
            .await
            .unwrap()
            .status,
        SurveyStatus::Closed
    );
}

async fn survey_management_follows_roles(app: TestApp) {
    let w = world(app).await;
    let survey_page = format!("/surveys/{}", w.survey.id);
    // Agents see none of it.
    let (agent, csrf) = w.app.browser_login(&w.agent.user.email).await;
    for path in [
        "/surveys",
        survey_page.as_str(),
        &format!("{survey_page}/preview"),
    ] {
        let r = agent.get(w.app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let r = agent
        .post(w.app.url(&format!("{survey_page}/close")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Team leads read, but cannot create, edit, publish or close.
    let (lead, csrf) = w.app.browser_login(&w.lead.user.email).await;
    let html = lead
        .get(w.app.url("/surveys"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("After the claim"));
    assert!(
        !html.contains("action=\"/surveys\""),
        "no create form for leads"
    );
    let html = lead
        .get(w.app.url(&survey_page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<textarea"), "read-only for leads");
    assert!(!html.contains("/close\""));
    assert_eq!(
        lead.get(w.app.url(&format!("{survey_page}/preview?lang=el")))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let tp = w.touchpoint.0.to_string();
    let def = serde_json::to_string(&w.survey.definition).unwrap();
    let attempts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/surveys".into(),
            vec![("csrf", &csrf), ("touchpoint_id", &tp), ("name", "x")],
        ),
        (
            survey_page.clone(),
            vec![("csrf", &csrf), ("name", "x"), ("definition", &def)],
        ),
        (format!("{survey_page}/close"), vec![("csrf", &csrf)]),
        (format!("{survey_page}/publish"), vec![("csrf", &csrf)]),
    ];
    for (path, form) in attempts {
        let r = lead
            .post(w.app.url(&path))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let after = w.app.store.get_survey(w.org, w.survey.id).await.unwrap();
    assert_eq!(
        (after.name.as_str(), after.version, after.status),
        ("After the claim", 1, SurveyStatus::Published)
    );
    assert_eq!(
        w.app.store.list_surveys(w.org, None).await.unwrap().len(),
        1
    );

    // Another organisation's manager cannot see this survey.
    let other = w.app.org("other").await;
    let stranger = w
        .app
        .caller(other.id, "cx@other.test", Role::CxManager, Locale::En, None)
        .await;
    let (client, _) = w.app.browser_login(&stranger.user.email).await;
    let r = client.get(w.app.url(&survey_page)).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

async fn choices_and_chained_conditions_run_in_three_steps(app: TestApp) {
    let w = world(app).await;
    let def: SurveyDefinition = serde_json::from_value(json!({
        "locales": ["en"],
        "title": {"en": "Your visit"},
        "questions": [
            {"key": "channel", "type": "single_choice", "required": true, "prompt": {"en": "How did you reach us?"},
             "options": [{"key": "phone", "label": {"en": "By phone"}}, {"key": "web", "label": {"en": "Online"}}]},
            {"key": "topics", "type": "multiple_choice", "prompt": {"en": "What was it about?"},
             "options": [{"key": "price", "label": {"en": "Price"}}, {"key": "speed", "label": {"en": "Speed"}},
                         {"key": "staff", "label": {"en": "Staff"}}]},
            {"key": "wait", "type": "rating", "min": 1, "max": 5, "prompt": {"en": "How was the waiting time?"},
             "show_if": {"question": "channel", "any_of": ["phone"]}},
            {"key": "more", "type": "free_text", "prompt": {"en": "What made the wait hard?"},
             "show_if": {"question": "wait", "at_most": 2}},
            {"key": "sat", "type": "csat", "prompt": {"en": "How satisfied are you overall?"}}
        ]
    }))
    .unwrap();
    def.validate().unwrap();
    let a = Actor::system(w.org);
    let survey = w
        .app
        .store
        .create_survey(
            a,
            w.touchpoint,
            &Name::parse("n", "Visit").unwrap(),
            &def,
            &secrets::random_hex(12),
        )
        .await
        .unwrap();
    w.app
        .store
        .set_survey_status(a, survey.id, SurveyStatus::Published)
        .await
        .unwrap();
    let public = format!("/s/{}", survey.public_id);

    // By phone, with a poor wait: three steps, the multiple choice carried along.
    let (status, html, mut r) = Respondent::open(&w.app, &public, None).await;
    assert_eq!(status, 200);
    assert!(html.contains("type=\"checkbox\"") && html.contains("How did you reach us?"));
    assert!(!html.contains("How was the waiting time?"));
    let mut form = r.hidden.clone();
    form.extend([
        ("go".to_string(), "next".to_string()),
        ("a.channel".into(), "phone".into()),
        ("a.topics".into(), "price".into()),
        ("a.topics".into(), "staff".into()),
    ]);
    let resp = r
        .client
        .post(w.app.url(&public))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    r.read(&html);
    assert!(html.contains("How was the waiting time?"));
    assert!(html.contains("Step 2 of 3"), "{html}");
    assert_eq!(r.hidden.iter().filter(|(k, _)| k == "a.topics").count(), 2);
    let (_, html) = r.post("next", &[("wait", "1")]).await;
    assert!(
        html.contains("What made the wait hard?")
            && html.contains("How satisfied are you overall?")
    );
    let (status, _) = r
        .post("next", &[("more", "forty minutes"), ("sat", "2")])
        .await;
    assert_eq!(status, 200);

    // Online: the phone step is skipped both ways, and its follow-up never appears.
    let (_, _, mut o) = Respondent::open(&w.app, &public, None).await;
    let (_, html) = o.post("next", &[("channel", "web")]).await;
    assert!(html.contains("Step 3 of 3"), "{html}");
    assert!(html.contains("How satisfied are you overall?"));
    assert!(!html.contains("What made the wait hard?"));
    let (_, html) = o.post("back", &[("sat", "5")]).await;
    assert!(html.contains("Step 1 of 3") && html.contains("value=\"web\" checked"));
    let (_, html) = o.post("next", &[("channel", "web")]).await;
    assert!(
        html.contains("value=\"5\" checked"),
        "answer kept across Back"
    );
    let (status, _) = o.post("next", &[("sat", "5")]).await;
    assert_eq!(status, 200);

    let (stored, _) = w
        .app
        .store
        .list_responses(
            w.org,
            &ResponseFilter {
                survey: Some(survey.id),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    let phone = stored.iter().find(|x| x.csat == Some(2)).unwrap();
    assert_eq!(
        phone.answers["topics"],
        rapport_domain::survey::Answer::Choices(vec!["price".into(), "staff".into()])
    );
    assert_eq!(
        phone.answers["wait"],
        rapport_domain::survey::Answer::Number(1)
    );
    assert_eq!(phone.comment.as_deref(), Some("forty minutes"));
    let web = stored.iter().find(|x| x.csat == Some(5)).unwrap();
    assert!(!web.answers.contains_key("wait") && !web.answers.contains_key("more"));
}
