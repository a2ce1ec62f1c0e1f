//! Request extractors for the API that turn every malformed input into a JSON error naming the
//! field, instead of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body of type `T`, checked for content type, size, syntax, types and unknown fields.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let limit = req
            .extensions()
            .get::<BodyLimit>()
            .map(|l| l.0)
            .unwrap_or(1024 * 1024);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(limit))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// The configured body limit, placed in request extensions so rejections can quote it.
#[derive(Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Where a JSON document has a NUL character in a string or key (`turns[0].text`), if anywhere.
/// PostgreSQL cannot store NUL in text: without this, such a body fails deep in a query as a
/// 500 instead of a 422 naming the field. Only documents that escape one are walked.
fn nul_path(bytes: &[u8]) -> Option<String> {
    fn join(at: &str, key: &str) -> String {
        if at.is_empty() {
            key.to_string()
        } else {
            format!("{at}.{key}")
        }
    }
    fn find(v: &serde_json::Value, at: String) -> Option<String> {
        use serde_json::Value;
        match v {
            Value::String(s) => s.contains('\0').then_some(at),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, x)| find(x, format!("{at}[{i}]"))),
            Value::Object(map) => map.iter().find_map(|(k, x)| {
                if k.contains('\0') {
                    Some(join(&at, &k.replace('\0', "")))
                } else {
                    find(x, join(&at, k))
                }
            }),
            _ => None,
        }
    }
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return None;
    }
    let doc: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    find(&doc, String::new()).map(|p| if p.is_empty() { "body".into() } else { p })
}

/// Deserialises JSON, reporting the path of the offending field (`stages[2].name`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(field) = nul_path(bytes) {
        return Err(ApiError::invalid(field, "must not contain NUL characters"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        let field = if let Some(unknown) = message
            .strip_prefix("unknown field `")
            .and_then(|r| r.split('`').next())
        {
            // serde_path_to_error may or may not already end the path with the unknown key.
            Some(if path == "." || path.is_empty() {
                unknown.to_string()
            } else if path == unknown || path.ends_with(&format!(".{unknown}")) {
                path
            } else {
                format!("{path}.{unknown}")
            })
        } else if path == "." || path.is_empty() {
            None
        } else {
            Some(path)
        };
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => ApiError::BadRequest {
                field: None,
                message: format!("malformed JSON: {message}"),
            },
            Category::Data => match field {
                Some(field) => ApiError::Invalid { field, message },
                None => ApiError::BadRequest {
                    field: None,
                    message: format!("wrong JSON shape: {message}"),
                },
            },
        }
    })
}

/// A path parameter, e.g. a numeric id; a bad one is a 400 naming `id`.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| ApiError::BadRequest {
                field: Some("id".into()),
                message: format!("bad path parameter: {}", e.body_text()),
            })
    }
}

/// Query-string parameters; a bad one is a 400 naming it.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                // Serde names unknown and missing parameters only in its message; the path
                // is then just `.`.
                let field = ["unknown field `", "missing field `"]
                    .iter()
                    .find_map(|p| message.strip_prefix(p))
                    .and_then(|r| r.split('`').next())
                    .map(str::to_string)
                    .unwrap_or(path);
                ApiError::BadRequest {
                    field: Some(field),
                    message: format!("bad query parameter: {message}"),
                }
            })
    }
}
