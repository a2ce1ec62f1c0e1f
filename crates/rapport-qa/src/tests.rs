use super::*;
use rapport_domain::conversation::parse_json;

/// Evaluate a conversation given as `(speaker, text)` pairs with the default rubric.
fn eval(lang: &str, customer: Option<&str>, turns: &[(&str, &str)]) -> Evaluation {
    let turns: Vec<serde_json::Value> = turns
        .iter()
        .map(|(s, t)| serde_json::json!({"speaker": s, "text": t}))
        .collect();
    let json = serde_json::json!({
        "id": "t1", "channel": "phone", "customer": customer, "language": lang, "turns": turns
    });
    let t = parse_json(&json.to_string()).unwrap();
    evaluate_with(Engine::global(), &Rubric::default_rubric(), &t).1
}

fn crit<'a>(e: &'a Evaluation, name: &str) -> &'a CriterionScore {
    e.criteria.iter().find(|c| c.name == name).unwrap()
}

#[test]
fn malformed_rubric_names_the_field() {
    let err =
        Rubric::from_json(r#"{"name": "x", "criteria": [{"name": "empathy", "weight": "high"}]}"#)
            .unwrap_err();
    assert!(err.to_string().starts_with("criteria[0].weight:"), "{err}");
    let err = Rubric::from_json(
        r#"{"name": "x", "criteria": [{"name": "e", "agent": {"positive": {"he": ["טוב", 3]}}}]}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("criteria[0].agent.positive.he[1]:"),
        "{err}"
    );
    let err = Rubric::from_json(
        r#"{"name": "x", "criteria": [{"name": "e", "agent": {"positive": {"fr": ["bon"]}}}]}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("criteria[0].agent.positive.fr:"),
        "{err}"
    );
    let err = Rubric::from_json(
        r#"{"name": "x", "criteria": [{"name": "e", "agent": {"negative": {"en": ["* bad"]}}}]}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("criteria[0].agent.negative.en[0]:"),
        "{err}"
    );
    let err = Rubric::from_json(r#"{"name": "x", "criterias": []}"#).unwrap_err();
    assert!(err.to_string().starts_with("criterias:"), "{err}");
    assert!(matches!(Rubric::from_json("{"), Err(QaError::Json { .. })));
}

#[test]
fn default_rubric_has_the_seed_003_traits() {
    assert_eq!(
        criterion_names(&Rubric::default_rubric()),
        [
            "empathy",
            "active_listening",
            "ownership",
            "complaint_handling",
            "positive_language",
            "personalisation",
            "resilience",
            "resolution"
        ]
    );
}

/// `(criterion, language, turns, turn that must be evidence, effect)`.
fn check(
    name: &str,
    lang: &str,
    customer: Option<&str>,
    turns: &[(&str, &str)],
    turn: usize,
    effect: Effect,
) {
    let e = eval(lang, customer, turns);
    let c = crit(&e, name);
    assert!(
        c.details
            .iter()
            .any(|d| d.turn == turn && d.effect == effect),
        "{name}/{lang}: expected {effect:?} at turn {turn}, got {:?}",
        c.details
    );
}

#[test]
fn empathy_in_each_language() {
    check(
        "empathy",
        "en",
        None,
        &[
            ("customer", "My flight was cancelled and I'm stuck."),
            (
                "agent",
                "That must be so stressful, I completely understand.",
            ),
        ],
        1,
        Effect::Raised,
    );
    check(
        "empathy",
        "he",
        None,
        &[
            ("customer", "הטיסה שלי בוטלה ואני תקוע."),
            ("agent", "אני מבין אותך, זה בטח מלחיץ מאוד."),
        ],
        1,
        Effect::Raised,
    );
    check(
        "empathy",
        "el",
        None,
        &[
            ("customer", "Η πτήση μου ακυρώθηκε και έχω κολλήσει."),
            ("agent", "Καταλαβαίνω απόλυτα πόσο αγχωτικό είναι."),
        ],
        1,
        Effect::Raised,
    );
    check(
        "empathy",
        "en",
        None,
        &[
            ("customer", "I've waited two hours."),
            ("agent", "Calm down, that's not my problem."),
        ],
        1,
        Effect::Lowered,
    );
    check(
        "empathy",
        "he",
        None,
        &[
            ("customer", "חיכיתי שעתיים."),
            ("agent", "תירגעי, זו לא הבעיה שלי."),
        ],
        1,
        Effect::Lowered,
    );
    check(
        "empathy",
        "el",
        None,
        &[
            ("customer", "Περίμενα δύο ώρες."),
            ("agent", "Ηρεμήστε, δεν είναι δικό μου πρόβλημα."),
        ],
        1,
        Effect::Lowered,
    );
}

#[test]
fn active_listening_in_each_language() {
    check(
        "active_listening",
        "en",
        None,
        &[
            ("customer", "The app logs me out."),
            (
                "agent",
                "Just to confirm, it logs you out after you update it?",
            ),
        ],
        1,
        Effect::Raised,
    );
    check(
        "active_listening",
        "he",
        None,
        &[
            ("customer", "האפליקציה מנתקת אותי."),
            ("agent", "אם הבנתי נכון, זה קורה אחרי העדכון?"),
        ],
        1,
        Effect::Raised,
    );
    check(
        "active_listening",
        "el",
        None,
        &[
            ("customer", "Η εφαρμογή με αποσυνδέει."),
            ("agent", "Αν κατάλαβα καλά, συμβαίνει μετά την ενημέρωση;"),
        ],
        1,
        Effect::Raised,
    );
    check(
        "active_listening",
        "en",
        None,
        &[
            ("agent", "Did you restart it?"),
            (
                "customer",
                "You're not listening, I already explained that.",
            ),
        ],
        1,
        Effect::Lowered,
    );
    check(
        "active_listening",
        "he",
        None,
        &[
            ("agent", "הפעלת מחדש?"),
            ("customer", "אתה לא מקשיב, כבר הסברתי."),
        ],
        1,
        Effect::Lowered,
    );
    check(
        "active_listening",
        "el",
        None,
        &[
            ("agent", "Κάνατε επανεκκίνηση;"),
            ("customer", "Δεν με ακούτε, σας το εξήγησα ήδη."),
        ],
        1,
        Effect::Lowered,
    );
}

#[test]
fn interruptions_lower_active_listening() {
    let json = r#"{"id": "o", "channel": "phone", "language": "en", "turns": [
        {"speaker": "customer", "text": "So the problem is that every time I", "start": 0, "end": 6},
        {"speaker": "agent", "text": "Yes yes, restart the router.", "start": 3, "end": 5}]}"#;
    let t = parse_json(json).unwrap();
    let e = evaluate_with(Engine::global(), &Rubric::default_rubric(), &t).1;
    let c = crit(&e, "active_listening");
    assert_eq!(c.details[0].cue, "interrupted the customer");
    assert_eq!(c.evidence, [1]);
}

#[test]
fn ownership_in_each_language() {
    check(
        "ownership",
        "en",
        None,
        &[
            ("customer", "My parcel is lost."),
            ("agent", "Leave it with me, I'll call you back tomorrow."),
        ],
        1,
        Effect::Raised,
    );
    check(
        "ownership",
        "he",
        None,
        &[
            ("customer", "החבילה שלי אבדה."),
            ("agent", "אני אטפל בזה אישית ואחזור אלייך מחר."),
        ],
        1,
        Effect::Raised,
    );
    check(
        "ownership",
        "el",
        None,
        &[
            ("customer", "Το δέμα μου χάθηκε."),
            ("agent", "Αφήστε το σε μένα, θα σας καλέσω αύριο."),
        ],
        1,
        Effect::Raised,
    );
    check(
        "ownership",
        "en",
        None,
        &[
            ("customer", "My parcel is lost."),
            (
                "agent",
                "That's not my department, you'll have to call the courier.",
            ),
        ],
        1,
        Effect::Lowered,
    );
    check(
        "ownership",
        "he",
        None,
        &[
            ("customer", "החבילה שלי אבדה."),
            ("agent", "זה לא המחלקה שלי, תצטרכי להתקשר לשליחויות."),
        ],
        1,
        Effect::Lowered,
    );
    check(
        "ownership",
        "el",
        None,
        &[
            ("customer", "Το δέμα μου χάθηκε."),
            (
                "agent",
                "Δεν είναι στο τμήμα μου, πρέπει να καλέσετε την εταιρεία κούριερ.",
            ),
        ],
        1,
        Effect::Lowered,
    );
}

#[test]
fn complaint_handling_in_each_language() {
    check(
        "complaint_handling",
        "en",
        None,
        &[
            ("customer", "You charged me twice, this is terrible."),
            ("agent", "I apologise. I've refunded the second payment."),
        ],
        1,
        Effect::Raised,
    );
    check(
        "complaint_handling",
        "he",
        None,
        &[
            ("customer", "חייבתם אותי פעמיים, זה נורא."),
            ("agent", "אני מתנצלת. ביצעתי זיכוי על החיוב השני."),
        ],
        1,
        Effect::Raised,
    );
    check(
        "complaint_handling",
        "el",
        None,
        &[
            ("customer", "Με χρεώσατε δύο φορές, είναι απαράδεκτο."),
            (
                "agent",
                "Ζητώ συγγνώμη. Έκανα επιστροφή χρημάτων για τη δεύτερη χρέωση.",
            ),
        ],
        1,
        Effect::Raised,
    );
    check(
        "complaint_handling",
        "en",
        None,
        &[
            ("customer", "You charged me twice, this is terrible."),
            ("agent", "That's not our fault, you should have checked."),
        ],
        1,
        Effect::Lowered,
    );
}

#[test]
fn positive_language_in_each_language() {
    check(
        "positive_language",
        "en",
        None,
        &[
            ("customer", "Can I change my plan?"),
            ("agent", "I can't do that, it's company policy."),
        ],
        1,
        Effect::Lowered,
    );
    check(
        "positive_language",
        "he",
        None,
        &[
            ("customer", "אפשר להחליף מסלול?"),
            ("agent", "אי אפשר, זו מדיניות החברה."),
        ],
        1,
        Effect::Lowered,
    );
    check(
        "positive_language",
        "el",
        None,
        &[
            ("customer", "Μπορώ να αλλάξω πρόγραμμα;"),
            ("agent", "Δεν γίνεται, είναι πολιτική της εταιρείας."),
        ],
        1,
        Effect::Lowered,
    );
    check(
        "positive_language",
        "en",
        None,
        &[
            ("customer", "Can I change my plan?"),
            (
                "agent",
                "Absolutely, I'd be happy to. The good news is there's no fee.",
            ),
        ],
        1,
        Effect::Raised,
    );
    check(
        "positive_language",
        "he",
        None,
        &[
            ("customer", "אפשר להחליף מסלול?"),
            ("agent", "בשמחה, אשמח לעזור. החדשות הטובות הן שאין עמלה."),
        ],
        1,
        Effect::Raised,
    );
    check(
        "positive_language",
        "el",
        None,
        &[
            ("customer", "Μπορώ να αλλάξω πρόγραμμα;"),
            (
                "agent",
                "Ευχαρίστως. Τα καλά νέα είναι ότι δεν υπάρχει χρέωση.",
            ),
        ],
        1,
        Effect::Raised,
    );
}

#[test]
fn personalisation_uses_the_customer_name() {
    // From the customer reference.
    check(
        "personalisation",
        "en",
        Some("Dana Levi"),
        &[
            ("customer", "Hi, my bill is wrong."),
            ("agent", "Hi Dana, let me look."),
        ],
        1,
        Effect::Raised,
    );
    // From the customer introducing themselves, with Hebrew prefixes and Greek vocatives.
    check(
        "personalisation",
        "en",
        Some("C-1"),
        &[
            ("customer", "Hi, my name is Omar."),
            ("agent", "Thanks, Omar, let me look."),
        ],
        1,
        Effect::Raised,
    );
    check(
        "personalisation",
        "he",
        Some("C-1"),
        &[
            ("customer", "שלום, שמי דנה."),
            ("agent", "תודה לדנה על הסבלנות, אני בודק."),
        ],
        1,
        Effect::Raised,
    );
    check(
        "personalisation",
        "el",
        Some("C-1"),
        &[
            ("customer", "Γεια σας, με λένε Γιώργος."),
            ("agent", "Ευχαριστώ, κύριε Γιώργο, το ελέγχω."),
        ],
        1,
        Effect::Raised,
    );
    // A known name never used lowers the score without pointing at a turn.
    let e = eval(
        "en",
        Some("Dana Levi"),
        &[
            ("customer", "Hi, my bill is wrong."),
            ("agent", "Let me look."),
        ],
    );
    assert!(crit(&e, "personalisation").score.unwrap() < 50);
    // An id is not a name.
    let e = eval(
        "en",
        Some("CUST-1234"),
        &[
            ("customer", "Hi, my bill is wrong."),
            ("agent", "Let me look."),
        ],
    );
    assert_eq!(crit(&e, "personalisation").score, Some(50));
}

#[test]
fn resilience_only_counts_replies_to_anger() {
    let angry = [(
        "customer",
        "This is outrageous, I'm furious with you people!",
    )];
    let mut turns = angry.to_vec();
    turns.push((
        "agent",
        "I understand your frustration, let's sort this out.",
    ));
    check("resilience", "en", None, &turns, 1, Effect::Raised);
    let mut turns = angry.to_vec();
    turns.push(("agent", "Calm down or I'm going to hang up."));
    check("resilience", "en", None, &turns, 1, Effect::Lowered);
    check(
        "resilience",
        "he",
        None,
        &[
            ("customer", "זו חוצפה! אני כועס מאוד!"),
            ("agent", "תירגע, אל תצעק עליי."),
        ],
        1,
        Effect::Lowered,
    );
    check(
        "resilience",
        "he",
        None,
        &[
            ("customer", "זו חוצפה! אני כועס מאוד!"),
            ("agent", "אני מבין את הכעס, בוא נפתור את זה."),
        ],
        1,
        Effect::Raised,
    );
    check(
        "resilience",
        "el",
        None,
        &[
            ("customer", "Είναι απαράδεκτο! Είμαι έξαλλος!"),
            ("agent", "Ηρεμήστε, μη φωνάζετε."),
        ],
        1,
        Effect::Lowered,
    );
    check(
        "resilience",
        "el",
        None,
        &[
            ("customer", "Είναι απαράδεκτο! Είμαι έξαλλος!"),
            ("agent", "Καταλαβαίνω τον θυμό σας, ας το λύσουμε."),
        ],
        1,
        Effect::Raised,
    );
    // Never angry: does not apply, and is left out of the overall score.
    let e = eval(
        "en",
        None,
        &[
            ("customer", "Can I change my address?"),
            ("agent", "Of course."),
        ],
    );
    assert_eq!(crit(&e, "resilience").score, None);
}

#[test]
fn resolution_looks_at_the_end() {
    check(
        "resolution",
        "en",
        None,
        &[
            ("customer", "My card doesn't work."),
            ("agent", "I've unblocked it."),
            ("customer", "It works now, problem solved."),
        ],
        2,
        Effect::Raised,
    );
    check(
        "resolution",
        "he",
        None,
        &[
            ("customer", "הכרטיס לא עובד."),
            ("agent", "שחררתי את החסימה."),
            ("customer", "עובד עכשיו, הבעיה נפתרה."),
        ],
        2,
        Effect::Raised,
    );
    check(
        "resolution",
        "el",
        None,
        &[
            ("customer", "Η κάρτα δεν λειτουργεί."),
            ("agent", "Την ξεμπλόκαρα."),
            ("customer", "Λειτουργεί τώρα, λύθηκε."),
        ],
        2,
        Effect::Raised,
    );
    check(
        "resolution",
        "en",
        None,
        &[
            ("customer", "My card doesn't work."),
            ("agent", "Try again tomorrow."),
            (
                "customer",
                "It's still not working, this is a waste of time.",
            ),
        ],
        2,
        Effect::Lowered,
    );
    check(
        "resolution",
        "he",
        None,
        &[
            ("customer", "הכרטיס לא עובד."),
            ("agent", "נסי שוב מחר."),
            ("customer", "זה עדיין לא עובד, חבל על הזמן."),
        ],
        2,
        Effect::Lowered,
    );
    check(
        "resolution",
        "el",
        None,
        &[
            ("customer", "Η κάρτα δεν λειτουργεί."),
            ("agent", "Δοκιμάστε αύριο."),
            ("customer", "Ακόμα δεν λειτουργεί, χάσιμο χρόνου."),
        ],
        2,
        Effect::Lowered,
    );
}

#[test]
fn praise_turns_in_each_language() {
    for (lang, text) in [
        ("en", "You were so helpful, Dana, thank you!"),
        ("he", "תודה רבה, עזרת לי מאוד"),
        ("el", "Σας ευχαριστώ πολύ!"),
    ] {
        let json = serde_json::json!({"id": "p", "channel": "chat", "language": lang,
            "turns": [{"speaker": "agent", "text": "OK"}, {"speaker": "customer", "text": text}]});
        let t = parse_json(&json.to_string()).unwrap();
        let (analyses, e) = evaluate_with(Engine::global(), &Rubric::default_rubric(), &t);
        assert_eq!(praise_turns(&t, &analyses), [1], "{lang}");
        assert!(e.flags.contains(&"customer_praise"), "{lang}");
    }
}

#[test]
fn stable_json_shape() {
    let e = eval("en", None, &[("customer", "Hello")]);
    let v = serde_json::to_value(&e).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["criteria", "customer", "flags", "id", "overall"]);
    assert_eq!(v["flags"], serde_json::json!(["no_agent_turns"]));
    assert_eq!(v["overall"], serde_json::Value::Null);
    let c = v["criteria"][0].as_object().unwrap();
    assert_eq!(c.keys().collect::<Vec<_>>(), ["evidence", "name", "score"]);
}

#[test]
fn odd_input_never_panics() {
    let texts = [
        "\u{202e}שמי \u{200f}דנה!!!???",
        "my name is",
        "שמי",
        "με λένε",
        "😡😡😡 ΗΡΕΜΗΣΤΕ",
        "* * *",
        "I'm I'm I'm sorry sorry",
        "ｆｕｌｌｗｉｄｔｈ text ﬁ",
    ];
    for (i, a) in texts.iter().enumerate() {
        for b in &texts[i..] {
            let json = serde_json::json!({"id": "x", "channel": "chat", "customer": b,
                "turns": [{"speaker": "customer", "text": a}, {"speaker": "agent", "text": b},
                          {"speaker": "customer", "text": b}]});
            let Ok(t) = parse_json(&json.to_string()) else {
                continue;
            };
            let e = evaluate_with(Engine::global(), &Rubric::default_rubric(), &t).1;
            assert!(e.criteria.iter().all(|c| c.score.is_none_or(|s| s <= 100)));
            // Without analyses (or with too few), evaluation still works.
            let e = evaluate(&Rubric::default_rubric(), &t, &[]);
            assert_eq!(e.criteria.len(), 8);
        }
    }
}
