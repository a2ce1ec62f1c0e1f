//! The HTTP layer's one error type, and the one place errors become responses.
//!
//! Every error is JSON: `{"error": {"code", "message", "field"?}}`. Web pages turn the same
//! errors into HTML in `web::errors`. A 500 never shows internals; they go to the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_domain::DomainError;
use rapport_storage::StorageError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Input that parsed but breaks a rule (wrong type, unknown field, invalid value).
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// Input that could not be read at all (malformed JSON or form).
    #[error("{message}")]
    BadRequest {
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    Conflict { field: String, message: String },
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("expected Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("{0}")]
    RateLimited(String),
    #[error("the form has expired or did not come from Rapport; reload the page and try again")]
    CsrfRejected,
    #[error("the database is unavailable; try again shortly")]
    Unavailable,
    /// The request ran past `request_timeout` (e.g. the database stopped answering mid-query).
    #[error("the request took too long; try again shortly")]
    TimedOut,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::CsrfRejected => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable | ApiError::TimedOut => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::Forbidden => "forbidden",
            ApiError::CsrfRejected => "csrf_rejected",
            ApiError::NotFound(_) => "not_found",
            ApiError::Invalid { .. } => "invalid",
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Conflict { .. } => "conflict",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Unavailable => "unavailable",
            ApiError::TimedOut => "timeout",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The JSON error object, for answers that report several errors (batch items).
    pub fn detail(&self) -> ErrorDetail {
        ErrorDetail {
            code: self.code(),
            message: self.to_string(),
            field: self.field().map(str::to_string),
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Invalid { field, .. } | ApiError::Conflict { field, .. } => Some(field),
            ApiError::BadRequest { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        let status = self.status();
        let body = ErrorBody {
            error: self.detail(),
        };
        let mut resp = (status, axum::Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"rapport\""),
            );
        }
        resp
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::Invalid {
            field: e.field,
            message: e.reason,
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound { entity } => ApiError::NotFound(entity),
            StorageError::Conflict { field, message } => ApiError::Conflict {
                field: field.into(),
                message,
            },
            StorageError::Invalid { field, message } => ApiError::Invalid {
                field: field.into(),
                message,
            },
            StorageError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
