//! Behaviour per language: negation, contrast, effort, churn, escalation, deflection,
//! spelling variants, language id and PII.

use rapport_text::{Engine, PiiKind, Polarity};

fn label(text: &str) -> Polarity {
    Engine::global()
        .analyze(text, None)
        .sentiment
        .expect("supported language")
        .label
}

fn score(text: &str) -> f32 {
    Engine::global()
        .analyze(text, None)
        .sentiment
        .expect("supported language")
        .score
}

fn signal(text: &str, name: &str) -> f32 {
    let s = Engine::global().analyze(text, None).signals;
    match name {
        "effort" => s.effort,
        "churn" => s.churn_intent,
        "escalation" => s.escalation_risk,
        _ => s.policy_deflection,
    }
}

fn emotion(text: &str, name: &str) -> f32 {
    Engine::global()
        .analyze(text, None)
        .emotions
        .into_iter()
        .find(|e| e.name == name)
        .map_or(0.0, |e| e.score)
}

#[test]
fn detects_languages() {
    let e = Engine::global();
    assert_eq!(
        e.analyze("The delivery was late again", None).language,
        "en"
    );
    assert_eq!(e.analyze("המשלוח שוב התעכב", None).language, "he");
    assert_eq!(e.analyze("Η παράδοση άργησε πάλι", None).language, "el");
    let fr = e.analyze("Bonjour, la livraison est encore en retard", None);
    assert_eq!((fr.language.as_str(), fr.sentiment), ("und", None));
    assert_eq!(e.analyze("Доставка опять опоздала", None).language, "und");
    assert_eq!(e.analyze("", None).language, "und");
    // A caller-supplied language skips detection.
    let forced = e.analyze("ok", Some("he-IL"));
    assert_eq!(
        (forced.language.as_str(), forced.language_confidence),
        ("he", 1.0)
    );
}

#[test]
fn english_negation_and_contrast() {
    assert_eq!(label("The agent was helpful"), Polarity::Positive);
    assert_eq!(
        label("The agent was not helpful at all"),
        Polarity::Negative
    );
    assert!(
        score("The staff was lovely but I waited an hour on hold")
            < score("I waited an hour on hold but the staff was lovely")
    );
    assert_eq!(
        label("Sooo frustrating!!! Still waiting for a call back"),
        Polarity::Negative
    );
}

#[test]
fn hebrew_negation_prefixes_and_niqqud() {
    assert_eq!(label("השירות היה מצוין"), Polarity::Positive);
    assert_eq!(label("השירות לא היה טוב"), Polarity::Negative);
    // Prefixed and pointed forms find the same words.
    assert_eq!(label("וְהַשֵּׁירוּת הָיָה מְצֻיָּן"), Polarity::Positive);
    assert!(
        score("הנציגה הייתה נחמדה אבל חיכיתי שעה") < score("חיכיתי שעה אבל הנציגה הייתה נחמדה")
    );
}

#[test]
fn greek_accents_final_sigma_and_negation() {
    assert_eq!(label("Εξαιρετική εξυπηρέτηση"), Polarity::Positive);
    assert_eq!(label("ΕΞΑΙΡΕΤΙΚΗ ΕΞΥΠΗΡΕΤΗΣΗ"), Polarity::Positive);
    assert_eq!(label("Δεν είμαι ευχαριστημένος"), Polarity::Negative);
    assert!(
        score("Ευγενικός υπάλληλος αλλά περίμενα μία ώρα")
            < score("Περίμενα μία ώρα αλλά ο υπάλληλος ήταν ευγενικός")
    );
}

#[test]
fn effort_in_each_language() {
    assert!(signal("I called three times and nobody answered", "effort") > 0.5);
    assert!(signal("נאלצתי להתקשר שוב", "effort") > 0.5);
    assert!(signal("πήρα τηλέφωνο τρεις φορές", "effort") > 0.5);
    assert_eq!(signal("Thanks, the parcel arrived", "effort"), 0.0);
}

#[test]
fn churn_escalation_and_deflection() {
    assert!(signal("That's it, I'm leaving", "churn") > 0.5);
    assert!(signal("אני עוזב אתכם", "churn") > 0.5);
    assert!(signal("Αλλάζω πάροχο", "churn") > 0.5);
    assert_eq!(signal("I'm not leaving, just asking", "churn"), 0.0);
    assert!(signal("I'll post this everywhere", "escalation") > 0.5);
    assert!(signal("אני פונה לעורך דין", "escalation") > 0.5);
    assert!(signal("Θα κάνω καταγγελία", "escalation") > 0.5);
    assert!(signal("זו מדיניות החברה", "deflection") > 0.5);
    assert!(signal("Είναι πολιτική της εταιρείας", "deflection") > 0.5);
    assert!(signal("Sorry, that's company policy", "deflection") > 0.5);
}

#[test]
fn emotions() {
    assert!(emotion("Thank you so much for your help", "gratitude") > 0.5);
    assert!(emotion("תודה רבה!", "gratitude") > 0.5);
    assert!(emotion("I'm really disappointed", "disappointment") > 0.5);
    assert!(emotion("אני מודאגת שהכסף לא יחזור", "worry") > 0.5);
    assert!(emotion("Δεν καταλαβαίνω τον λογαριασμό", "confusion") > 0.5);
    assert!(emotion("This is outrageous", "anger") > 0.5);
}

#[test]
fn topics_and_keywords() {
    let a = Engine::global().analyze("The app crashed at checkout and I was charged twice", None);
    let names: Vec<&str> = a.topics.iter().map(|t| t.name.as_str()).collect();
    assert!(
        names.contains(&"digital_app") && names.contains(&"price_billing"),
        "{names:?}"
    );
    assert!(!a.keywords.is_empty());
    let he = Engine::global().analyze("המשלוח לא הגיע והשליח לא ענה", None);
    assert!(he.topics.iter().any(|t| t.name == "delivery"));
}

#[test]
fn pii_is_redacted_and_not_analysed() {
    let a = Engine::global().analyze("Call me on +44 7700 900123 or mail jo@example.com", None);
    let kinds: Vec<PiiKind> = a.pii.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [PiiKind::Phone, PiiKind::Email]);
    assert_eq!(a.redacted_text, "Call me on [PHONE] or mail [EMAIL]");
    assert!(a.keywords.iter().all(|k| !k.contains("example")));
}

#[test]
fn themes_trace_back_to_verbatims() {
    let t = rapport_text::themes(&[
        "I waited an hour on hold",
        "Waiting time was awful",
        "Great staff, very kind",
        "The wait was too long",
    ]);
    let w = t
        .themes
        .iter()
        .find(|t| t.name == "waiting_time")
        .expect("waiting theme");
    assert_eq!(w.size, 3);
    assert!(w
        .representative_ids
        .iter()
        .all(|id| ["0", "1", "3"].contains(&id.as_str())));
}

#[test]
fn custom_taxonomy() {
    let tax =
        rapport_text::CueSet::parse("parking\ten\t1\tparking\nparking\the\t1\tחניה\n").unwrap();
    let e = Engine::new().with_taxonomy(tax);
    assert_eq!(
        e.analyze("No parking anywhere", None).topics[0].name,
        "parking"
    );
    assert_eq!(e.analyze("אין חניה", None).topics[0].name, "parking");
}
