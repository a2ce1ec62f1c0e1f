//! Shared application state, cheap to clone into every handler.

use std::sync::Arc;

use rapport_storage::Storage;

use crate::{i18n::I18n, metrics::Metrics, Config};

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Storage>,
    pub i18n: Arc<I18n>,
    pub metrics: Arc<Metrics>,
    pub config: Arc<Config>,
    /// Wakes the background worker when new jobs are queued.
    pub wake: Arc<tokio::sync::Notify>,
    /// The semantic tier, when its model file is installed.
    pub semantic: Option<Arc<crate::semantic::Semantic>>,
}
