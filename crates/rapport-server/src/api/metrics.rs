//! `GET /api/v1/metrics`: NPS, CSAT, CES and the expectation gap by any dimension and period.

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
