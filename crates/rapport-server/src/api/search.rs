//! `GET /api/v1/search/similar`: verbatims and conversation turns close in meaning to a text,
//! in any language (semantic tier), or sharing its taxonomy topic (fast tier, when the model
//! file is not installed).

use axum::extract::State;
use axum::Json;
use rapport_domain::frontline::TurnView;
use rapport_domain::voc::ResponseFilter;
use rapport_domain::ConversationId;
use rapport_storage::EmbeddedText;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiQuery;
use crate::auth::{Auth, Leads};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::frontline as svc;
use crate::semantic::SearchScope;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(similar))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    /// The text to match (1–2,000 characters), in any language.
    pub text: String,
    /// `responses`, `turns` or `all` (default).
    pub scope: Option<SearchScope>,
    /// At most this many hits (1–50, default 10).
    pub limit: Option<usize>,
}

/// One similar text.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarHit {
    /// `response` or `turn`.
    pub kind: &'static str,
    /// Cosine similarity (semantic tier) or shared-keyword score (fast tier), in [0, 1].
    pub score: f32,
    pub text: String,
    pub response_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub turn: Option<i32>,
    pub language: Option<String>,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarResult {
    /// `semantic` (embeddings) or `fast` (the query's taxonomy topic and shared keywords).
    pub tier: &'static str,
    pub items: Vec<SimilarHit>,
}

/// Verbatims and conversation turns similar in meaning to `text` — across languages when the
/// semantic tier is installed. Team leads see their own team's conversations only.
#[utoipa::path(get, path = "/api/v1/search/similar", tag = "analytics", security(("bearer" = [])),
    params(SimilarQuery),
    responses((status = 200, body = SimilarResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn similar(
    auth: Auth<Leads>,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<SimilarQuery>,
) -> ApiResult<Json<SimilarResult>> {
    let text = q.text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(ApiError::invalid("text", "must be 1 to 2,000 characters"));
    }
    let limit = q.limit.unwrap_or(10);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 50"));
    }
    let scope = q.scope.unwrap_or(SearchScope::All);
    let org = auth.user.org_id;
    let Some(sem) = &s.semantic else {
        return Ok(Json(
            fast_similar(&s, &auth.user, text, scope, limit).await?,
        ));
    };
    // Ask for extra candidates: some turns may belong to teams this user may not see.
    let hits = sem
        .similar(s.store.as_ref(), org, text, scope, limit * 3)
        .await?;
    let mut items = Vec::new();
    for (t, score) in hits {
        if items.len() >= limit {
            break;
        }
        match t {
            EmbeddedText::Response(id) => {
                let Ok(r) = s.store.get_response(org, id).await else {
                    continue; // deleted since the index was read
                };
                items.push(SimilarHit {
                    kind: "response",
                    score: round3(score),
                    text: r.comment.unwrap_or_default(),
                    response_id: Some(r.id.0),
                    conversation_id: None,
                    turn: None,
                    language: r.analysis.map(|a| a.language),
                    submitted_at: Some(r.submitted_at),
                });
            }
            EmbeddedText::Turn(c, i) => {
                if let Some(hit) = turn_hit(&s, &auth.user, c, i, score).await? {
                    items.push(hit);
                }
            }
        }
    }
    Ok(Json(SimilarResult {
        tier: "semantic",
        items,
    }))
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

async fn turn_hit(
    s: &AppState,
    user: &rapport_domain::model::User,
    c: ConversationId,
    i: i32,
    score: f32,
) -> ApiResult<Option<SimilarHit>> {
    let Ok(conv) = s.store.get_conversation(user.org_id, c).await else {
        return Ok(None);
    };
    if svc::check_agent_visible(user, conv.summary.agent_id, conv.summary.team_id).is_err() {
        return Ok(None);
    }
    let Some(TurnView { text, .. }) = usize::try_from(i).ok().and_then(|i| conv.turns.get(i))
    else {
        return Ok(None);
    };
    Ok(Some(SimilarHit {
        kind: "turn",
        score: round3(score),
        text: text.clone(),
        response_id: None,
        conversation_id: Some(c.0),
        turn: Some(i),
        language: conv.summary.language.clone(),
        submitted_at: Some(conv.summary.started_at),
    }))
}

/// Without the model: recent verbatims that share the query's strongest taxonomy topic,
/// ranked by shared keywords. Honest about being the weaker tier (`"tier": "fast"`).
async fn fast_similar(
    s: &AppState,
    user: &rapport_domain::model::User,
    text: &str,
    scope: SearchScope,
    limit: usize,
) -> ApiResult<SimilarResult> {
    let engine = rapport_text::Engine::global();
    let a = engine.analyze(text, None);
    let mut items = Vec::new();
    if let (Some(topic), true) = (a.topics.first(), scope != SearchScope::Turns) {
        let filter = ResponseFilter {
            topic: Some(topic.name.clone()),
            ..Default::default()
        };
        let (rows, _) = s.store.list_responses(user.org_id, &filter, 200, 0).await?;
        let query_kw: Vec<&str> = a.keywords.iter().map(String::as_str).collect();
        let query_label = a.sentiment.as_ref().map(|s| s.label);
        // Same topic, then the same polarity (a complaint is like a complaint), then shared
        // keywords.
        let mut scored: Vec<(f32, rapport_domain::voc::Response)> = rows
            .into_iter()
            .filter_map(|r| {
                let an = r.analysis.as_ref()?;
                let kws: Vec<&str> = an.detail["keywords"]
                    .as_array()
                    .map(|v| v.iter().filter_map(|k| k.as_str()).collect())
                    .unwrap_or_default();
                let shared = kws.iter().filter(|k| query_kw.contains(k)).count();
                let same_polarity = query_label.is_some_and(|q| {
                    serde_json::to_value(q)
                        .ok()
                        .as_ref()
                        .and_then(|v| v.as_str())
                        == an.sentiment_label.as_deref()
                });
                let score = 0.5
                    + if same_polarity { 0.25 } else { 0.0 }
                    + 0.25 * shared as f32 / query_kw.len().max(1) as f32;
                Some((score, r))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.id.0.cmp(&a.1.id.0)));
        for (score, r) in scored.into_iter().take(limit) {
            items.push(SimilarHit {
                kind: "response",
                score: round3(score),
                text: r.comment.clone().unwrap_or_default(),
                response_id: Some(r.id.0),
                conversation_id: None,
                turn: None,
                language: r.analysis.as_ref().map(|a| a.language.clone()),
                submitted_at: Some(r.submitted_at),
            });
        }
    }
    Ok(SimilarResult {
        tier: "fast",
        items,
    })
}
