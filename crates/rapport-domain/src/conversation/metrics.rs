//! What a conversation did to the customer and how it was held: the customer's emotional
//! trajectory (start, lowest, end) and lift, who talked how much, the customer's longest
//! uninterrupted stretch, how fast the agent answered, and how often both spoke at once.
//! Sentiment per turn comes from the text engine; this module only does the arithmetic.

use serde::Serialize;
use utoipa::ToSchema;

use super::{Speaker, Transcript, Turn};
use crate::DomainError;

/// How talk share was measured: by seconds when every turn has both times, else by words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TalkBasis {
    Seconds,
    Words,
}

/// The customer's longest run of consecutive turns without the agent speaking.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Monologue {
    /// Index of the run's first turn.
    pub first_turn: usize,
    pub turns: usize,
    pub words: usize,
    /// Present when the run's turns have times.
    pub seconds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConversationMetrics {
    /// Sentiment (−1…1) of the customer's first, lowest and last analysed turns.
    pub customer_start: Option<f32>,
    pub customer_lowest: Option<f32>,
    pub customer_end: Option<f32>,
    /// End minus start: how much better (or worse) the customer felt by the end. Needs two
    /// analysed customer turns.
    pub emotional_lift: Option<f32>,
    /// The agent's share of the talk, 0–1.
    pub agent_talk_share: Option<f64>,
    pub talk_basis: TalkBasis,
    pub longest_customer_monologue: Option<Monologue>,
    /// Median seconds from the end of a customer turn to the start of the agent's reply, over
    /// replies that did not start before the customer finished.
    pub median_response_seconds: Option<f64>,
    /// Times a speaker started before the other had finished, and the seconds of overlap.
    pub overtalk_count: usize,
    pub overtalk_seconds: Option<f64>,
}

fn words(t: &Turn) -> usize {
    t.text().split_whitespace().count()
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
}

/// Computes the metrics; `sentiment[i]` is turn `i`'s score, `None` when not analysed.
pub fn metrics(
    t: &Transcript,
    sentiment: &[Option<f32>],
) -> Result<ConversationMetrics, DomainError> {
    let turns = t.turns();
    if sentiment.len() != turns.len() {
        return Err(DomainError::new(
            "sentiment",
            format!("needs one score per turn ({} turns)", turns.len()),
        ));
    }
    let customer: Vec<f32> = turns
        .iter()
        .zip(sentiment)
        .filter(|(turn, _)| turn.speaker() == Speaker::Customer)
        .filter_map(|(_, s)| *s)
        .collect();
    let start = customer.first().copied();
    let end = customer.last().copied();
    let lowest = customer.iter().copied().reduce(f32::min);
    let lift = (customer.len() >= 2).then(|| end.unwrap_or(0.0) - start.unwrap_or(0.0));

    let timed = turns
        .iter()
        .all(|t| t.start().is_some() && t.end().is_some());
    let amount = |t: &Turn| {
        if timed {
            t.end().unwrap_or(0.0) - t.start().unwrap_or(0.0)
        } else {
            words(t) as f64
        }
    };
    let total: f64 = turns.iter().map(amount).sum();
    let agent: f64 = turns
        .iter()
        .filter(|t| t.speaker() == Speaker::Agent)
        .map(amount)
        .sum();
    let agent_talk_share = (total > 0.0).then(|| agent / total);

    let mut longest: Option<Monologue> = None;
    let mut i = 0;
    while i < turns.len() {
        if turns[i].speaker() != Speaker::Customer {
            i += 1;
            continue;
        }
        let first = i;
        while i < turns.len() && turns[i].speaker() == Speaker::Customer {
            i += 1;
        }
        let run = &turns[first..i];
        let seconds = match (run[0].start(), run[run.len() - 1].end()) {
            (Some(s), Some(e)) => Some(e - s),
            _ => None,
        };
        let m = Monologue {
            first_turn: first,
            turns: run.len(),
            words: run.iter().map(words).sum(),
            seconds,
        };
        let longer = match (&longest, seconds) {
            (None, _) => true,
            (Some(best), Some(s)) if best.seconds.is_some() => s > best.seconds.unwrap_or(0.0),
            (Some(best), _) => m.words > best.words,
        };
        if longer {
            longest = Some(m);
        }
    }

    let mut latencies = Vec::new();
    let mut overtalk_count = 0;
    let mut overlap = 0.0;
    let mut any_times = false;
    for pair in turns.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.speaker() == b.speaker() {
            continue;
        }
        let (Some(a_end), Some(b_start)) = (a.end(), b.start()) else {
            continue;
        };
        any_times = true;
        let gap = b_start - a_end;
        if gap < 0.0 {
            overtalk_count += 1;
            overlap += -gap;
        } else if a.speaker() == Speaker::Customer {
            latencies.push(gap);
        }
    }
    Ok(ConversationMetrics {
        customer_start: start,
        customer_lowest: lowest,
        customer_end: end,
        emotional_lift: lift,
        agent_talk_share,
        talk_basis: if timed {
            TalkBasis::Seconds
        } else {
            TalkBasis::Words
        },
        longest_customer_monologue: longest,
        median_response_seconds: median(latencies),
        overtalk_count,
        overtalk_seconds: any_times.then_some(overlap),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::Metadata;
    use crate::Channel;

    /// Speaker, text and optional (start, end) seconds.
    type Row<'a> = (Speaker, &'a str, Option<(f64, f64)>);

    fn transcript(turns: &[Row<'_>]) -> Transcript {
        let turns = turns
            .iter()
            .map(|(s, text, t)| Turn::new(*s, text, t.map(|t| t.0), t.map(|t| t.1)).unwrap())
            .collect();
        Transcript::new(Metadata::new("c-1", Channel::Phone), turns).unwrap()
    }

    #[test]
    fn a_call_that_turned_around() {
        use Speaker::*;
        let t = transcript(&[
            (
                Customer,
                "I have called three times and nobody fixed it",
                Some((0.0, 6.0)),
            ),
            (
                Agent,
                "I am sorry, that should not have happened",
                Some((7.0, 10.0)),
            ),
            (Customer, "It is really frustrating", Some((9.5, 12.0))),
            (Customer, "my whole week was wasted", Some((12.0, 15.0))),
            (
                Agent,
                "I will book the technician myself for tomorrow morning",
                Some((17.0, 21.0)),
            ),
            (Customer, "Thank you, that is great", Some((21.5, 23.0))),
        ]);
        let s = [Some(-0.6), None, Some(-0.8), Some(-0.7), None, Some(0.7)];
        let m = metrics(&t, &s).unwrap();
        assert_eq!(
            (m.customer_start, m.customer_lowest, m.customer_end),
            (Some(-0.6), Some(-0.8), Some(0.7))
        );
        assert!((m.emotional_lift.unwrap() - 1.3).abs() < 1e-6);
        assert_eq!(m.talk_basis, TalkBasis::Seconds);
        // Agent spoke 3 + 4 = 7 s of 6 + 3 + 2.5 + 3 + 4 + 1.5 = 20 s.
        assert!((m.agent_talk_share.unwrap() - 0.35).abs() < 1e-9);
        let mono = m.longest_customer_monologue.unwrap();
        assert_eq!(
            (mono.first_turn, mono.turns, mono.words, mono.seconds),
            (0, 1, 9, Some(6.0))
        );
        // Replies after customer turns: 7 − 6 = 1 s, 17 − 15 = 2 s → median 1.5 s.
        assert_eq!(m.median_response_seconds, Some(1.5));
        // The customer started 0.5 s before the agent finished.
        assert_eq!((m.overtalk_count, m.overtalk_seconds), (1, Some(0.5)));
    }

    #[test]
    fn without_times_talk_is_counted_in_words_and_runs_are_merged() {
        use Speaker::*;
        let t = transcript(&[
            (Agent, "שלום, במה אפשר לעזור", None),
            (Customer, "ההזמנה לא הגיעה", None),
            (Customer, "וחיכיתי כל היום בבית", None),
            (Agent, "אבדוק מיד", None),
        ]);
        let m = metrics(&t, &[None, Some(-0.5), None, None]).unwrap();
        assert_eq!(m.talk_basis, TalkBasis::Words);
        assert!((m.agent_talk_share.unwrap() - 6.0 / 13.0).abs() < 1e-9);
        let mono = m.longest_customer_monologue.unwrap();
        assert_eq!((mono.turns, mono.words, mono.seconds), (2, 7, None));
        assert_eq!(
            m.emotional_lift, None,
            "one analysed customer turn has no lift"
        );
        assert_eq!(
            (m.median_response_seconds, m.overtalk_seconds),
            (None, None)
        );
    }

    #[test]
    fn one_score_per_turn() {
        let t = transcript(&[(Speaker::Agent, "hello", None)]);
        assert_eq!(metrics(&t, &[]).unwrap_err().field, "sentiment");
    }
}
