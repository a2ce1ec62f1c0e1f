//! The respondent page in a real browser (headless Chromium through ChromeDriver): in Hebrew
//! the page is right-to-left, the NPS scale runs from 0 at the right to 10 at the left, and
//! Next sits left of Back; in English both run the other way.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test is skipped with a
//! message, except under CI (`CI` set), where a missing browser is a failure.

mod common;

use common::browser::left_of;
use common::TestApp;
use fantoccini::Locator;
use rapport_domain::model::*;
use rapport_domain::survey::default_definition;
use rapport_domain::voc::{ResponseFilter, ResponseSource, SurveyStatus};
use rapport_domain::*;
use rapport_server::auth::secrets;
use rapport_storage::{testing, Actor};

/// The visible face of a scale option: the label around the radio.
fn option(name: &str, value: i32) -> String {
    format!("label[for='{}-{value}']", name.replace('.', "-"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn respondent_scales_and_buttons_follow_reading_direction() {
    let Some(browser) = common::browser::start().await else {
        return;
    };
    let app = TestApp::spawn_on(testing::sqlite(), |_| {}).await;
    let org = app.org("br").await;
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
    app.store
        .set_survey_status(a, survey.id, SurveyStatus::Published)
        .await
        .unwrap();
    let public = app.url(&format!("/s/{}", survey.public_id));

    let c = browser.client.clone();

    c.goto(&format!("{public}?lang=he")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("fieldset#q-nps"))
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
    assert_eq!((dir.as_str(), lang.as_str()), (Some("rtl"), Some("he")));
    let zero = left_of(&c, &option("a.nps", 0)).await;
    let ten = left_of(&c, &option("a.nps", 10)).await;
    assert!(
        zero > ten,
        "Hebrew NPS runs right to left: 0 at {zero}, 10 at {ten}"
    );
    // The low label sits at the 0 end, the high label at the 10 end.
    let low = left_of(&c, ".scale-ends .low").await;
    let high = left_of(&c, ".scale-ends .high").await;
    assert!(
        low > high,
        "low label {low} should be right of high label {high}"
    );

    // Keyboard: focus the scale and pick 9 with the arrow keys, then go on.
    c.find(Locator::Css("#a-nps-8"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#a-nps-8"))
        .await
        .unwrap()
        .send_keys("\u{E014}") // ArrowRight: in RTL that is the previous option.
        .await
        .unwrap();
    let chosen = c
        .execute(
            "return document.querySelector('input[name=\"a.nps\"]:checked').value",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        chosen == "7" || chosen == "9",
        "arrow keys move within the radio group, got {chosen}"
    );
    c.find(Locator::Css(&option("a.nps", 9)))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("button.next"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("fieldset#q-why_high"))
        .await
        .unwrap();
    let next = left_of(&c, "button.next").await;
    let back = left_of(&c, "button.back").await;
    assert!(
        next < back,
        "Hebrew: Next {next} should be left of Back {back}"
    );
    let exp1 = left_of(&c, &option("a.promise.expectation", 1)).await;
    let exp7 = left_of(&c, &option("a.promise.expectation", 7)).await;
    assert!(exp1 > exp7, "expectation scale runs right to left too");
    c.find(Locator::Css("textarea"))
        .await
        .unwrap()
        .send_keys("דנה הייתה נהדרת")
        .await
        .unwrap();
    c.find(Locator::Css("button.next"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("p.thanks"))
        .await
        .unwrap();
    let (stored, _) = app
        .store
        .list_responses(
            org.id,
            &ResponseFilter {
                survey: Some(survey.id),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].nps, stored[0].locale, stored[0].source),
        (Some(9), Locale::He, ResponseSource::PublicLink)
    );

    // English: 0 at the left, Back left of Next.
    c.goto(&format!("{public}?lang=en")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("fieldset#q-nps"))
        .await
        .unwrap();
    let dir = c
        .execute("return document.documentElement.dir", vec![])
        .await
        .unwrap();
    assert_eq!(dir, "ltr");
    let zero = left_of(&c, &option("a.nps", 0)).await;
    let ten = left_of(&c, &option("a.nps", 10)).await;
    assert!(
        zero < ten,
        "English NPS runs left to right: 0 at {zero}, 10 at {ten}"
    );
    c.find(Locator::Css(&option("a.nps", 3)))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("button.next"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("fieldset#q-why_low"))
        .await
        .unwrap();
    let next = left_of(&c, "button.next").await;
    let back = left_of(&c, "button.back").await;
    assert!(
        back < next,
        "English: Back {back} should be left of Next {next}"
    );
    c.close().await.unwrap();
    drop(browser);
}
