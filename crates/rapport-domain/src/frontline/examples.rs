//! Known good and poor examples: which conversations (and which of their turns) an
//! organisation already knows to be a problem or a moment worth celebrating, and how much
//! resembling them weighs in the "listen next" queue and the praise suggestions.
//!
//! The resemblance itself (a cosine between sentence embeddings) is computed by the server's
//! semantic tier; here it is only a number passed in.

use std::collections::HashMap;

use super::{ConversationSummary, PraiseSuggestion, TurnView};
use crate::conversation::Speaker;
use crate::ConversationId;

/// The reason a conversation resembling known problems is suggested for listening.
pub const RESEMBLES_KNOWN_PROBLEM: &str = "resembles_known_problem";
/// The reason a praise suggestion resembles moments already celebrated.
pub const RESEMBLES_CELEBRATED_MOMENT: &str = "resembles_celebrated_moment";

/// Cosine (multilingual-e5-small, `query:` prefix) from which a turn counts as resembling an
/// example turn. Measured on service sentences: paraphrases score about 0.93, the same
/// complaint in another language 0.86–0.9, unrelated sentences 0.78–0.85 (e5's cosines are
/// bunched high, so the threshold is too).
pub const RESEMBLES: f32 = 0.88;

/// QA overall below which a conversation is a known poor example (as "low QA" in the queue).
const POOR_QA: i32 = 50;
/// QA overall from which a conversation the customer left happier is a known good example.
const GOOD_QA: i32 = 85;
/// Peak anger from which a conversation is a known poor example.
const POOR_ANGER: f32 = 0.7;
/// Evaluation flags that make a conversation a known poor example.
const POOR_FLAGS: [&str; 3] = ["churn_risk", "escalation_risk", "policy_deflection"];
const ANGER: [&str; 2] = ["anger", "frustration"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExampleKind {
    Poor,
    Good,
}

/// Whether a conversation is a known example. Good when people recognised it (kudos, a
/// legacy story, the customer's praise: `recognised`) or its QA is high and the customer left
/// happier than they came; poor when its QA is low, the evaluation flagged churn, escalation
/// or policy deflection, or the customer's anger peaked. Recognition wins: a conversation
/// that began in anger and was turned around is exactly what is celebrated.
pub fn example_kind(c: &ConversationSummary, recognised: bool) -> Option<ExampleKind> {
    if !c.analysed {
        return None;
    }
    if recognised {
        return Some(ExampleKind::Good);
    }
    let poor = c.qa_overall.is_some_and(|q| q < POOR_QA)
        || c.flags.iter().any(|f| POOR_FLAGS.contains(&f.as_str()))
        || c.peak_anger.is_some_and(|a| a >= POOR_ANGER);
    if poor {
        return Some(ExampleKind::Poor);
    }
    let good =
        c.qa_overall.is_some_and(|q| q >= GOOD_QA) && c.emotional_lift.is_some_and(|l| l > 0.0);
    good.then_some(ExampleKind::Good)
}

/// The turns that carry an example: in a poor one the customer's anger or distress and any
/// turn with a churn, escalation or policy-deflection signal; in a good one the customer's
/// warm words. Greetings and neutral turns are left out, or every conversation would resemble
/// every example.
pub fn example_turns(kind: ExampleKind, turns: &[TurnView]) -> Vec<usize> {
    turns
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            let Some(i) = &t.insight else {
                return false;
            };
            match kind {
                ExampleKind::Poor => {
                    let angry = i
                        .emotion
                        .as_deref()
                        .is_some_and(|e| ANGER.contains(&e) && i.emotion_score >= 0.4);
                    let distressed =
                        t.speaker == Speaker::Customer && i.sentiment.is_some_and(|s| s <= -0.4);
                    let signalled = i.signals.iter().any(|s| s != "effort");
                    angry || distressed || signalled
                }
                ExampleKind::Good => {
                    t.speaker == Speaker::Customer && i.sentiment.is_some_and(|s| s >= 0.5)
                }
            }
        })
        .map(|(i, _)| i)
        .collect()
}

/// What resembling an example adds to a priority: nothing below [`RESEMBLES`], then from 1
/// (about a churn flag) up to 3 for a near-identical turn.
pub fn weight(cosine: f32) -> Option<f64> {
    (cosine.is_finite() && cosine >= RESEMBLES)
        .then(|| 1.0 + 2.0 * f64::from((cosine - RESEMBLES) / (1.0 - RESEMBLES)).min(1.0))
}

/// Praise suggestions, those resembling moments already celebrated first (closest first,
/// with the reason), then the others newest first. `resemblance` holds, per conversation, the
/// best cosine of its turns to the turns of known good examples.
pub fn rank_praise(
    suggestions: Vec<PraiseSuggestion>,
    resemblance: &HashMap<ConversationId, f32>,
    limit: usize,
) -> Vec<PraiseSuggestion> {
    let mut scored: Vec<(Option<f64>, PraiseSuggestion)> = suggestions
        .into_iter()
        .map(|mut s| {
            let w = s
                .conversation_id
                .and_then(|c| resemblance.get(&c))
                .and_then(|c| weight(*c));
            if w.is_some() && !s.reasons.iter().any(|r| r == RESEMBLES_CELEBRATED_MOMENT) {
                s.reasons.push(RESEMBLES_CELEBRATED_MOMENT.to_string());
            }
            (w, s)
        })
        .collect();
    scored.sort_by(|(wa, a), (wb, b)| {
        wb.unwrap_or(0.0)
            .total_cmp(&wa.unwrap_or(0.0))
            .then(b.at.cmp(&a.at))
    });
    scored.truncate(limit);
    scored.into_iter().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontline::TurnInsight;
    use crate::UserId;
    use chrono::{TimeZone, Utc};

    fn summary(id: i64) -> ConversationSummary {
        ConversationSummary {
            id: ConversationId(id),
            external_id: format!("c{id}"),
            channel: crate::journey::Channel::Phone,
            agent_id: None,
            agent_name: None,
            team_id: None,
            customer_id: None,
            touchpoint_id: None,
            started_at: Utc
                .with_ymd_and_hms(2026, 10, 1, 9, 0, id as u32 % 60)
                .unwrap(),
            language: None,
            turn_count: 4,
            handle_seconds: None,
            analysed: true,
            customer_start: None,
            customer_lowest: None,
            customer_end: None,
            emotional_lift: Some(0.1),
            peak_anger: Some(0.1),
            qa_overall: Some(70),
            flags: vec![],
            topics: vec!["billing".into()],
        }
    }

    fn turn(
        speaker: Speaker,
        sentiment: f32,
        emotion: Option<(&str, f32)>,
        signals: &[&str],
    ) -> TurnView {
        TurnView {
            speaker,
            text: "…".into(),
            start: None,
            end: None,
            insight: Some(TurnInsight {
                sentiment: Some(sentiment),
                emotion: emotion.map(|e| e.0.to_string()),
                emotion_score: emotion.map(|e| e.1).unwrap_or(0.0),
                signals: signals.iter().map(|s| s.to_string()).collect(),
                topics: vec![],
            }),
        }
    }

    #[test]
    fn examples_are_chosen_by_qa_flags_anger_and_recognition() {
        let plain = summary(1);
        assert_eq!(example_kind(&plain, false), None);
        assert_eq!(example_kind(&plain, true), Some(ExampleKind::Good));
        let low = ConversationSummary {
            qa_overall: Some(30),
            ..summary(2)
        };
        assert_eq!(example_kind(&low, false), Some(ExampleKind::Poor));
        let deflected = ConversationSummary {
            flags: vec!["policy_deflection".into()],
            ..summary(3)
        };
        assert_eq!(example_kind(&deflected, false), Some(ExampleKind::Poor));
        let angry = ConversationSummary {
            peak_anger: Some(0.8),
            ..summary(4)
        };
        assert_eq!(example_kind(&angry, false), Some(ExampleKind::Poor));
        // Turned around and recognised: celebrated, not a problem.
        assert_eq!(example_kind(&angry, true), Some(ExampleKind::Good));
        let great = ConversationSummary {
            qa_overall: Some(90),
            ..summary(5)
        };
        assert_eq!(example_kind(&great, false), Some(ExampleKind::Good));
        let unanalysed = ConversationSummary {
            analysed: false,
            ..low
        };
        assert_eq!(example_kind(&unanalysed, true), None);
    }

    #[test]
    fn example_turns_skip_the_neutral_ones() {
        let turns = vec![
            turn(Speaker::Agent, 0.2, None, &[]),
            turn(Speaker::Customer, -0.7, Some(("anger", 0.8)), &[]),
            turn(Speaker::Agent, -0.1, None, &["policy_deflection"]),
            turn(Speaker::Customer, 0.0, None, &["effort"]),
            turn(Speaker::Customer, 0.8, Some(("gratitude", 0.7)), &[]),
            turn(Speaker::Agent, 0.9, None, &[]),
            TurnView {
                insight: None,
                ..turn(Speaker::Customer, 0.0, None, &[])
            },
        ];
        assert_eq!(example_turns(ExampleKind::Poor, &turns), vec![1, 2]);
        assert_eq!(example_turns(ExampleKind::Good, &turns), vec![4]);
    }

    #[test]
    fn resemblance_ranks_a_calm_conversation_into_the_queue() {
        let mut calm: Vec<ConversationSummary> = (0..40).map(summary).collect();
        calm.push(ConversationSummary {
            peak_anger: Some(0.9),
            emotional_lift: Some(-1.0),
            ..summary(100)
        });
        let none = crate::frontline::listen_next(calm.clone(), 5);
        assert_eq!(none.len(), 1, "only the angry one without resemblance");

        let resemblance: HashMap<ConversationId, f32> = [
            (ConversationId(7), 0.95),
            // Below the threshold: e5 puts unrelated sentences around 0.8.
            (ConversationId(8), 0.84),
            (ConversationId(9), f32::NAN),
        ]
        .into();
        let next = crate::frontline::listen_next_with(calm, &resemblance, 5);
        let ids: Vec<i64> = next.iter().map(|s| s.conversation.id.0).collect();
        assert_eq!(ids, vec![100, 7]);
        assert_eq!(next[1].reasons, vec![RESEMBLES_KNOWN_PROBLEM]);
        assert!(
            next[1].priority >= 2.0 && next[1].priority <= 3.0,
            "{}",
            next[1].priority
        );
    }

    #[test]
    fn weight_is_monotone_and_bounded() {
        assert_eq!(weight(RESEMBLES - 0.01), None);
        assert_eq!(weight(RESEMBLES), Some(1.0));
        assert!(weight(0.95).unwrap() < weight(0.99).unwrap());
        assert_eq!(weight(1.5), Some(3.0));
        assert_eq!(weight(f32::INFINITY), None);
    }

    #[test]
    fn praise_resembling_celebrated_moments_comes_first() {
        let praise = |id: i64, day: u32| PraiseSuggestion {
            agent_id: UserId(1),
            agent_name: "Noa".into(),
            conversation_id: Some(ConversationId(id)),
            response_id: None,
            quote: "thank you".into(),
            at: Utc.with_ymd_and_hms(2026, 10, day, 9, 0, 0).unwrap(),
            reasons: vec![],
        };
        let list = vec![praise(1, 5), praise(2, 3), praise(3, 1), praise(4, 4)];
        let resemblance: HashMap<ConversationId, f32> = [
            (ConversationId(3), 0.91),
            (ConversationId(2), 0.97),
            (ConversationId(4), 0.5),
        ]
        .into();
        let ranked = rank_praise(list.clone(), &resemblance, 3);
        let ids: Vec<i64> = ranked
            .iter()
            .map(|s| s.conversation_id.unwrap().0)
            .collect();
        assert_eq!(ids, vec![2, 3, 1]);
        assert_eq!(ranked[0].reasons, vec![RESEMBLES_CELEBRATED_MOMENT]);
        assert!(ranked[2].reasons.is_empty());
        // Without the semantic tier: newest first, unchanged.
        let plain = rank_praise(list, &HashMap::new(), 10);
        let ids: Vec<i64> = plain.iter().map(|s| s.conversation_id.unwrap().0).collect();
        assert_eq!(ids, vec![1, 4, 2, 3]);
    }
}
