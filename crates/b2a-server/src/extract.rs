//! Extractors: a verified capability grant, a schema-validated body, a checked query string
//! and the Idempotency-Key header. Each refuses with a problem response before a handler runs.

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use b2a_app::Caller;
use b2a_contract::{
    AgentRegistrationBody, CounterBody, ErrorCode, OrderActionBody, OrderRequestBody,
    QuoteRequestBody, RevocationBody, StockLevelBody, TokenExchangeBody, TokenRequestBody,
};
use b2a_ledger::Actor;
use b2a_model::Capability;
use b2a_trust::{Claims, DpopError};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::{ApiError, AppState, RateClass, RateState};

/// What a route needs of a token, as a type: a capability (or none beyond a valid token) and
/// the rate-limit class its requests count against.
pub(crate) trait Need: Send + Sync + 'static {
    const CAP: Option<Capability>;
    const CLASS: RateClass;
}

macro_rules! needs {
    ($($name:ident => $cap:expr, $class:ident;)*) => {$(
        #[derive(Debug)]
        pub(crate) struct $name;
        impl Need for $name {
            const CAP: Option<Capability> = $cap;
            const CLASS: RateClass = RateClass::$class;
        }
    )*};
}

needs! {
    CatalogRead => Some(Capability::CatalogRead), Catalog;
    CatalogSparql => Some(Capability::CatalogSparql), Sparql;
    QuotesWrite => Some(Capability::QuotesWrite), Quotes;
    OrdersWrite => Some(Capability::OrdersWrite), Orders;
    OrdersRead => Some(Capability::OrdersRead), Orders;
    OrdersCancel => Some(Capability::OrdersCancel), Orders;
    ReturnsWrite => Some(Capability::ReturnsWrite), Orders;
    PrivacySelf => Some(Capability::PrivacySelf), Orders;
    AuditRead => Some(Capability::AuditRead), Audit;
    Admin => Some(Capability::Admin), Admin;
    AnyToken => None, Tokens;
    McpMessage => None, Mcp;
}

/// A verified token in good standing (not revoked, agent not suspended, DPoP proof valid when
/// the token is bound) that carries what `N` needs, within its agent's rate limit.
#[derive(Debug)]
pub(crate) struct Grant<N> {
    pub(crate) claims: Arc<Claims>,
    need: PhantomData<N>,
}

impl<N> Grant<N> {
    /// The acting agent.
    pub(crate) fn caller(&self) -> Caller {
        Caller::from_claims(&self.claims)
    }

    /// The holder, as the audit log names it.
    pub(crate) fn actor(&self) -> Actor {
        Actor {
            name: self.claims.actor(),
            credential: self.claims.jti.clone(),
        }
    }
}

/// The claims of a token already admitted for this request by the gateway itself (the MCP door,
/// for the routes its tools call in-process): the route checks capability, DPoP binding and rate
/// as always but does not verify the token a second time. Only in-process code can put it on a
/// request.
#[derive(Debug, Clone)]
pub(crate) struct Admitted(pub(crate) Arc<Claims>);

/// Where the rate-limit middleware finds the state of the bucket a request drew from.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateSlot(pub(crate) Arc<OnceLock<RateState>>);

/// The token of `Authorization: Bearer <token>` or `Authorization: DPoP <token>`.
fn presented_token(parts: &Parts) -> Result<&str, ApiError> {
    let missing = || {
        ApiError::new(
            ErrorCode::MissingToken,
            "send a capability token as `Authorization: Bearer <token>` (or `DPoP <token>` with a DPoP proof)",
        )
        .at("Authorization")
        .with_header(header::WWW_AUTHENTICATE, r#"Bearer realm="b2a", DPoP algs="EdDSA ES256""#)
    };
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?;
    value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("dpop"))
                .then_some(rest)
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(missing)
}

/// Checks the DPoP proof of a bound token for this request.
fn check_dpop(parts: &Parts, state: &AppState, token: &str, jkt: &str) -> Result<(), ApiError> {
    let mut proofs = parts.headers.get_all("dpop").iter();
    let proof = match (proofs.next(), proofs.next()) {
        (Some(p), None) => p
            .to_str()
            .map_err(|_| DpopError::Malformed("not ASCII".into()))?,
        (None, _) => return Err(DpopError::Missing.into()),
        (Some(_), Some(_)) => {
            return Err(DpopError::Malformed("send exactly one DPoP header".into()).into());
        }
    };
    let htu = format!("{}{}", state.config.public_url, parts.uri.path());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    state
        .dpop
        .verify(proof, parts.method.as_str(), &htu, token, jkt, now)
        .map_err(ApiError::from)
}

/// Takes one request of `class` from the bucket of `key` (an agent, or a client address),
/// leaving the bucket's state for the `RateLimit-*` headers; 429 when it is empty.
fn take_rate(parts: &Parts, state: &AppState, class: RateClass, key: &str) -> Result<(), ApiError> {
    let rate = state.rate_limits.check(class, key);
    let (Ok(bucket) | Err(bucket)) = rate;
    if let Some(slot) = parts.extensions.get::<RateSlot>() {
        let _ = slot.0.set(bucket);
    }
    if rate.is_err() {
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "{key} sent more `{}` requests than its rate ({} at once); retry in {} s",
                class.as_str(),
                bucket.limit,
                bucket.reset_seconds
            ),
        )
        .with_header_value(header::RETRY_AFTER, bucket.reset_seconds.to_string()));
    }
    Ok(())
}

/// Who reads the catalog: an agent with `catalog:read`, or — when the brand serves its catalog
/// publicly (`--public-catalog`) — anyone without a token, rate-limited by client address.
#[derive(Debug)]
pub(crate) struct Reader;

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.config.public_catalog && !parts.headers.contains_key(header::AUTHORIZATION) {
            let client = parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(
                    || "anonymous".to_owned(),
                    |c| format!("client {}", c.0.ip()),
                );
            take_rate(parts, state, RateClass::Catalog, &client)?;
            return Ok(Reader);
        }
        Grant::<CatalogRead>::from_request_parts(parts, state)
            .await
            .map(|_| Reader)
    }
}

impl<N: Need> FromRequestParts<AppState> for Grant<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = presented_token(parts)?;
        let claims = match parts.extensions.get::<Admitted>() {
            Some(Admitted(claims)) => Arc::clone(claims),
            None => state.governance.admit(token).await?,
        };
        if let Some(cnf) = &claims.cnf {
            check_dpop(parts, state, token, &cnf.jkt)?;
        }
        if let Some(cap) = N::CAP
            && !claims.allows(cap)
        {
            return Err(ApiError::new(
                ErrorCode::InsufficientCapability,
                format!("this route needs the capability `{cap}`, which the token does not carry"),
            )
            .at("Authorization"));
        }
        take_rate(parts, state, N::CLASS, claims.sub.as_str())?;
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

macro_rules! wire_requests {
    ($($body:ty => $schema:literal,)*) => {$(
        impl WireRequest for $body {
            const SCHEMA: &'static str = $schema;
        }
    )*};
}

wire_requests! {
    QuoteRequestBody => "quote-request",
    OrderActionBody => "order-action",
    StockLevelBody => "stock-level",
    CounterBody => "counter-request",
    OrderRequestBody => "order-request",
    TokenRequestBody => "token-request",
    TokenExchangeBody => "token-exchange",
    RevocationBody => "token-revocation",
    AgentRegistrationBody => "agent-registration",
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
            return Err(invalid_body(violations));
        }
        let fingerprint = hex::encode(Sha256::digest(b2a_audit::entry::canonical(&value)));
        let body = serde_json::from_value(value)
            .map_err(|e| ApiError::new(ErrorCode::ValidationFailed, e.to_string()))?;
        Ok(Valid { body, fingerprint })
    }
}

/// The `validation_failed` problem of a document's violations (deepest first): the first named
/// in the detail and the pointer, every one in `errors`.
pub(crate) fn invalid_body(violations: Vec<b2a_contract::Violation>) -> ApiError {
    let (pointer, detail) = violations.first().map_or_else(
        || (String::new(), "body: invalid".to_owned()),
        |first| {
            let at = if first.pointer.is_empty() {
                "body"
            } else {
                &first.pointer
            };
            (first.pointer.clone(), format!("{at}: {}", first.message))
        },
    );
    let all = violations
        .into_iter()
        .map(|v| (v.pointer, v.message))
        .collect();
    ApiError::new(ErrorCode::ValidationFailed, detail)
        .at(pointer)
        .with_errors(all)
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

/// A JSON body that may be left out entirely (no `Content-Type`, no bytes); when sent, it is
/// validated like [`Valid`].
#[derive(Debug)]
pub(crate) struct OptionalBody<T>(pub(crate) Option<T>);

impl<T: WireRequest> FromRequest<AppState> for OptionalBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let empty = !req.headers().contains_key(header::CONTENT_TYPE)
            && req
                .headers()
                .get(header::CONTENT_LENGTH)
                .is_none_or(|v| v.as_bytes() == b"0");
        if empty {
            return Ok(OptionalBody(None));
        }
        Valid::<T>::from_request(req, state)
            .await
            .map(|v| OptionalBody(Some(v.body)))
    }
}
