//! Extractors: a verified capability grant, a schema-validated body, a checked query string
//! and the Idempotency-Key header. Each refuses with a problem response before a handler runs.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use b2a_app::Caller;
use b2a_contract::{ErrorCode, OrderRequestBody, QuoteRequestBody};
use b2a_model::Capability;
use b2a_trust::Claims;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::{ApiError, AppState};

/// A capability a route needs, as a type.
pub(crate) trait Need: Send + Sync + 'static {
    const CAP: Capability;
}

macro_rules! needs {
    ($($name:ident => $cap:ident),* $(,)?) => {$(
        #[derive(Debug)]
        pub(crate) struct $name;
        impl Need for $name {
            const CAP: Capability = Capability::$cap;
        }
    )*};
}

needs!(CatalogSparql => CatalogSparql, CatalogRead => CatalogRead, QuotesWrite => QuotesWrite, OrdersWrite => OrdersWrite,
       OrdersRead => OrdersRead, AuditRead => AuditRead, Admin => Admin);

/// A verified token that carries the capability `N`.
#[derive(Debug)]
pub(crate) struct Grant<N> {
    pub(crate) claims: Claims,
    need: PhantomData<N>,
}

impl<N> Grant<N> {
    /// The acting agent.
    pub(crate) fn caller(&self) -> Caller {
        Caller {
            agent: self.claims.sub.clone(),
            principal: self.claims.principal.clone(),
            credential: self.claims.jti.clone(),
        }
    }
}

impl<N: Need> FromRequestParts<AppState> for Grant<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let missing = || {
            ApiError::new(
                ErrorCode::MissingToken,
                "send a capability token as `Authorization: Bearer <token>`",
            )
            .at("Authorization")
            .with_header(header::WWW_AUTHENTICATE, r#"Bearer realm="b2a""#)
        };
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(missing)?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(missing)?;
        let claims = state.tokens.verify(token)?;
        if !claims.allows(N::CAP) {
            return Err(ApiError::new(
                ErrorCode::InsufficientCapability,
                format!(
                    "this route needs the capability `{}`, which the token does not carry",
                    N::CAP
                ),
            )
            .at("Authorization"));
        }
        Ok(Grant {
            claims,
            need: PhantomData,
        })
    }
}

/// A request body type and the schema that describes it.
pub(crate) trait WireRequest: DeserializeOwned {
    const SCHEMA: &'static str;
}

impl WireRequest for QuoteRequestBody {
    const SCHEMA: &'static str = "quote-request";
}

impl WireRequest for OrderRequestBody {
    const SCHEMA: &'static str = "order-request";
}

/// A JSON body that its schema accepted, and the digest of its canonical form (for
/// idempotency: the same key with another body is refused, whitespace and key order aside).
#[derive(Debug)]
pub(crate) struct Valid<T> {
    pub(crate) body: T,
    pub(crate) fingerprint: String,
}

impl<T: WireRequest> FromRequest<AppState> for Valid<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if json_type != Some(true) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as `Content-Type: application/json`",
            )
            .at("Content-Type"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("the body exceeds {} bytes", state.config.max_body_bytes),
                )
            } else {
                ApiError::new(
                    ErrorCode::MalformedJson,
                    format!("the body could not be read: {r}"),
                )
            }
        })?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::new(
                ErrorCode::MalformedJson,
                format!(
                    "the body is not valid JSON: {e} (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        if let Err(violations) = state.contract.validate(T::SCHEMA, &value) {
            let first = &violations[0];
            let detail = format!(
                "{}: {}",
                if first.pointer.is_empty() {
                    "body"
                } else {
                    &first.pointer
                },
                first.message
            );
            let pointer = first.pointer.clone();
            let all = violations
                .into_iter()
                .map(|v| (v.pointer, v.message))
                .collect();
            return Err(ApiError::new(ErrorCode::ValidationFailed, detail)
                .at(pointer)
                .with_errors(all));
        }
        let fingerprint = hex::encode(Sha256::digest(b2a_audit::canonical_json(&value).as_bytes()));
        let body = serde_json::from_value(value)
            .map_err(|e| ApiError::new(ErrorCode::ValidationFailed, e.to_string()))?;
        Ok(Valid { body, fingerprint })
    }
}

/// A query string that deserializes into `T` (unknown parameters are refused).
#[derive(Debug)]
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|r| ApiError::new(ErrorCode::InvalidQuery, r.body_text()))
    }
}

/// The required `Idempotency-Key` header: 1 to 255 visible ASCII characters.
#[derive(Debug)]
pub(crate) struct IdempotencyKey(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Err(ApiError::new(
                ErrorCode::MissingIdempotencyKey,
                "send an `Idempotency-Key` header (for example a UUID) so that a retried order is not placed twice",
            )
            .at("Idempotency-Key"));
        };
        let key = value
            .to_str()
            .ok()
            .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()));
        match key {
            Some(k) => Ok(IdempotencyKey(k.to_owned())),
            None => Err(ApiError::new(
                ErrorCode::MissingIdempotencyKey,
                "the `Idempotency-Key` header must be 1 to 255 visible ASCII characters",
            )
            .at("Idempotency-Key")),
        }
    }
}

/// The `{id}` path parameter, parsed into an identifier type — else 400 `invalid_path`.
#[derive(Debug)]
pub(crate) struct PathId<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for PathId<T>
where
    T: TryFrom<String, Error = b2a_model::ModelError> + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let invalid = |detail: String| ApiError::new(ErrorCode::InvalidPath, detail).at("id");
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|r| invalid(r.body_text()))?;
        T::try_from(text)
            .map(PathId)
            .map_err(|e| invalid(e.to_string()))
    }
}
