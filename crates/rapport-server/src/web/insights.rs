//! Insight pages: the journey map with metrics, responses and their drill-down.

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
