//! The frontline queues with the semantic tier: the "listen next" queue and the praise
//! suggestions also weigh how much a conversation resembles the organisation's known poor and
//! good examples (the rules are `rapport_domain::frontline::examples`). Without the model both
//! keep their fast-tier behaviour, said once in the log.

use std::collections::{HashMap, HashSet};
use std::sync::Once;

use chrono::{Duration, Utc};
use rapport_domain::frontline::examples::{
    example_kind, example_turns, rank_praise, ExampleKind, RESEMBLES, RESEMBLES_CELEBRATED_MOMENT,
};
use rapport_domain::frontline::*;
use rapport_domain::model::User;
use rapport_domain::*;
use rapport_storage::{ConversationFilter, StorageError};

use crate::frontline as svc;
use crate::state::AppState;

/// Examples are looked for in this many days of conversations …
const EXAMPLE_DAYS: i64 = 180;
/// … and the newest this many of each kind are used (each costs one transcript read).
const MAX_EXAMPLES: usize = 24;
/// Conversations not yet praised that resemble celebrated moments, added to the suggestions.
const MAX_NEW_PRAISE: usize = 10;

fn say_fast_tier_once() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        tracing::info!(
            "listen next and praise suggestions without the semantic tier (no model file): \
             ranked by emotion, QA, flags and recency only"
        )
    });
}

/// The known examples of one kind: their example turns, and every conversation someone already
/// recognised (kudos, a legacy story, the customer's praise).
struct Examples {
    turns: HashSet<(ConversationId, i32)>,
    recognised: HashSet<ConversationId>,
}

#[tracing::instrument(skip(state, viewer), fields(org = viewer.org_id.0))]
async fn examples(
    state: &AppState,
    viewer: &User,
    kind: ExampleKind,
) -> Result<Examples, StorageError> {
    let org = viewer.org_id;
    let mut recognised: HashSet<ConversationId> = state
        .store
        .list_kudos(org, viewer.id, None, 500)
        .await?
        .into_iter()
        .filter_map(|k| k.conversation_id)
        .collect();
    recognised.extend(
        state
            .store
            .list_stories(org, None, None, true)
            .await?
            .into_iter()
            .filter_map(|s| s.conversation_id),
    );
    let praised: HashSet<ConversationId> = state
        .store
        .praise_suggestions(org, None, 200)
        .await?
        .into_iter()
        .filter_map(|p| p.conversation_id)
        .collect();
    // Newest first, from the storage.
    let recent = state
        .store
        .list_conversations(
            org,
            &ConversationFilter {
                since: Some(Utc::now() - Duration::days(EXAMPLE_DAYS)),
                analysed_only: true,
                limit: 2000,
                ..Default::default()
            },
        )
        .await?;
    let chosen: Vec<ConversationId> = recent
        .iter()
        .filter(|c| {
            let known = recognised.contains(&c.id) || praised.contains(&c.id);
            example_kind(c, known) == Some(kind)
        })
        .take(MAX_EXAMPLES)
        .map(|c| c.id)
        .collect();
    let mut turns = HashSet::new();
    for id in chosen {
        let detail = match state.store.get_conversation(org, id).await {
            Ok(d) => d,
            // Deleted meanwhile.
            Err(StorageError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        for i in example_turns(kind, &detail.turns) {
            if let Ok(i) = i32::try_from(i) {
                turns.insert((id, i));
            }
        }
    }
    recognised.extend(praised);
    Ok(Examples { turns, recognised })
}

/// Per conversation in `among`, how much it resembles the known examples of `kind` (best
/// cosine, and its turn that matched); `None` without the semantic tier.
async fn resembling(
    state: &AppState,
    viewer: &User,
    kind: ExampleKind,
    among: HashSet<ConversationId>,
) -> Result<Option<(HashMap<ConversationId, (f32, i32)>, Examples)>, StorageError> {
    let Some(sem) = &state.semantic else {
        say_fast_tier_once();
        return Ok(None);
    };
    let ex = examples(state, viewer, kind).await?;
    let scores = sem
        .resemblance(state.store.as_ref(), viewer.org_id, ex.turns.clone(), among)
        .await?;
    Ok(Some((scores, ex)))
}

/// Conversations worth hearing next (strong emotion, low lift, unusual topics, low QA, and
/// with the semantic tier those resembling known problems), from the last 30 days of the
/// caller's scope, leaving out what they already listened to.
pub async fn listen_next_for(
    s: &AppState,
    user: &User,
    limit: usize,
) -> Result<Vec<ListenSuggestion>, StorageError> {
    let (_, team) = svc::scope(user);
    let org = user.org_id;
    let candidates = s
        .store
        .list_conversations(
            org,
            &ConversationFilter {
                team_id: team,
                since: Some(Utc::now() - Duration::days(30)),
                analysed_only: true,
                limit: 1000,
                ..Default::default()
            },
        )
        .await?;
    let heard: HashSet<ConversationId> = s
        .store
        .listening_entries(
            org,
            user.id,
            Utc::now().date_naive() - Duration::days(365),
            Utc::now().date_naive(),
        )
        .await?
        .into_iter()
        .filter_map(|e| e.conversation_id)
        .collect();
    let candidates: Vec<ConversationSummary> = candidates
        .into_iter()
        .filter(|c| !heard.contains(&c.id))
        .collect();
    let among = candidates.iter().map(|c| c.id).collect();
    let resemblance: HashMap<ConversationId, f32> =
        match resembling(s, user, ExampleKind::Poor, among).await? {
            Some((scores, _)) => scores.into_iter().map(|(c, (s, _))| (c, s)).collect(),
            None => HashMap::new(),
        };
    Ok(listen_next_with(candidates, &resemblance, limit))
}

/// Customer praise not yet recognised, in the caller's scope; with the semantic tier, the
/// moments resembling ones already celebrated come first, and conversations nobody marked as
/// praise but whose customer said something close to a celebrated moment are added.
pub async fn praise_for(
    s: &AppState,
    user: &User,
    limit: usize,
) -> Result<Vec<PraiseSuggestion>, StorageError> {
    let (_, team) = svc::scope(user);
    let org = user.org_id;
    let mut list = s.store.praise_suggestions(org, team, 200).await?;
    let recent = s
        .store
        .list_conversations(
            org,
            &ConversationFilter {
                team_id: team,
                since: Some(Utc::now() - Duration::days(30)),
                analysed_only: true,
                limit: 1000,
                ..Default::default()
            },
        )
        .await?;
    let mut among: HashSet<ConversationId> =
        list.iter().filter_map(|p| p.conversation_id).collect();
    among.extend(recent.iter().filter(|c| c.agent_id.is_some()).map(|c| c.id));
    let Some((scores, ex)) = resembling(s, user, ExampleKind::Good, among).await? else {
        list.truncate(limit);
        return Ok(list);
    };
    let listed: HashSet<ConversationId> = list.iter().filter_map(|p| p.conversation_id).collect();
    let mut fresh: Vec<(&ConversationSummary, f32, i32)> = recent
        .iter()
        .filter(|c| !listed.contains(&c.id) && !ex.recognised.contains(&c.id))
        .filter_map(|c| {
            let (cos, turn) = scores.get(&c.id)?;
            (*cos >= RESEMBLES).then_some((c, *cos, *turn))
        })
        .collect();
    fresh.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (c, _, turn) in fresh.into_iter().take(MAX_NEW_PRAISE) {
        let (Some(agent_id), Some(agent_name)) = (c.agent_id, c.agent_name.clone()) else {
            continue;
        };
        let detail = match s.store.get_conversation(org, c.id).await {
            Ok(d) => d,
            Err(StorageError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        // Only the customer's own words are praise.
        let Some(t) = usize::try_from(turn)
            .ok()
            .and_then(|i| detail.turns.get(i))
            .filter(|t| t.speaker == conversation::Speaker::Customer)
        else {
            continue;
        };
        list.push(PraiseSuggestion {
            agent_id,
            agent_name,
            conversation_id: Some(c.id),
            response_id: None,
            quote: t.text.chars().take(600).collect(),
            at: c.started_at,
            reasons: vec![RESEMBLES_CELEBRATED_MOMENT.to_string()],
        });
    }
    let resemblance: HashMap<ConversationId, f32> =
        scores.into_iter().map(|(c, (s, _))| (c, s)).collect();
    Ok(rank_praise(list, &resemblance, limit))
}
