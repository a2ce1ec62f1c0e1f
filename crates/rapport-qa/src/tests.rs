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

#[allow(dead_code)]
fn crit<'a>(e: &'a Evaluation, name: &str) -> &'a CriterionScore {
    e.criteria.iter().find(|c| c.name == name).unwrap()
}

#[test]
fn smoke_print() {
    let e = eval(
        "en",
        Some("Dana Levi"),
        &[
            ("customer", "My internet has been down for three days and I'm furious!"),
            ("agent", "I'm so sorry to hear that, Dana. That must be really frustrating. Let me take a look."),
            ("customer", "It's still not working."),
            ("agent", "That's not my department, you'll have to call the technicians. It's company policy."),
        ],
    );
    for c in &e.criteria {
        eprintln!("{} {:?} {:?}", c.name, c.score, c.details);
    }
    eprintln!("{}", serde_json::to_string(&e).unwrap());
}
