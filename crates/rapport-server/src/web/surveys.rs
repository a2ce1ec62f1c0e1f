//! Survey pages: the respondent's public and invitation pages, and survey management.

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
