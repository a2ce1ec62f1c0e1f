//! Runs the text engine over a response's comment and stores the result next to it.

use rapport_domain::voc::{ResponseAnalysis, ResponseId};
use rapport_storage::Job;

use super::JobError;
use crate::state::AppState;

pub async fn analyze_response(state: &AppState, job: &Job) -> Result<(), JobError> {
    let org = job
        .org_id
        .ok_or_else(|| JobError::Permanent("analysis job without organisation".into()))?;
    let id = job.payload["response_id"]
        .as_i64()
        .ok_or_else(|| JobError::Permanent("payload lacks response_id".into()))?;
    let response = state.store.get_response(org, ResponseId(id)).await?;
    let Some(comment) = response
        .comment
        .clone()
        .filter(|_| response.analysis.is_none())
    else {
        // Nothing to read, or read already (a retried job): only the loop is left to close.
        return super::alerts::close_loop(state, org, &response).await;
    };
    let settings = state.store.org_settings(org).await?;
    // The engine is CPU work; keep it off the async threads.
    let text = comment.clone();
    let mut analysis =
        tokio::task::spawn_blocking(move || rapport_text::Engine::global().analyze(&text, None))
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
    // The semantic tier reads the redacted text (no personal data goes into a vector) and
    // refines sentiment and emotions.
    let mut embedding = None;
    if let Some(sem) = &state.semantic {
        if let Some(e) = sem.embed(vec![analysis.redacted_text.clone()]).await.pop() {
            let e2 = e.clone();
            analysis = tokio::task::spawn_blocking(move || {
                rapport_text::Engine::global().analyze_with_embedding(&comment, None, &e2)
            })
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
            embedding = Some(e);
        }
    }
    let result = ResponseAnalysis {
        language: analysis.language.clone(),
        sentiment_label: analysis
            .sentiment
            .as_ref()
            .and_then(|s| serde_json::to_value(s.label).ok())
            .and_then(|v| v.as_str().map(str::to_string)),
        sentiment_score: analysis.sentiment.as_ref().map(|s| f64::from(s.score)),
        topics: analysis.topics.iter().map(|t| t.name.clone()).collect(),
        redacted_comment: (settings.redact_pii && !analysis.pii.is_empty())
            .then(|| analysis.redacted_text.clone()),
        detail: serde_json::to_value(&analysis).map_err(|e| JobError::Permanent(e.to_string()))?,
    };
    state
        .store
        .set_response_analysis(response.id, &result)
        .await?;
    if let Some(e) = embedding {
        state
            .store
            .put_response_embedding(
                org,
                response.id,
                crate::semantic::MODEL_NAME,
                &crate::semantic::quantize(&e),
            )
            .await?;
    }
    // The response as now stored (a redacted comment replaces the original), without reading
    // it back.
    let mut response = response;
    if let Some(redacted) = &result.redacted_comment {
        response.comment = Some(redacted.clone());
    }
    response.analysis = Some(result);
    super::alerts::close_loop(state, org, &response).await
}
