//! RFC 9457 problem responses. The status of every error comes from the code table of
//! `b2a-contract`; this module only maps domain errors to codes.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use b2a_app::{GovernanceError, ShopError};
use b2a_contract::{ErrorCode, FieldError};
use b2a_graph::{GraphError, ValidationReport};
use b2a_ledger::{LedgerError, Refusal};
use b2a_pricing::PricingError;
use b2a_trust::{DpopError, TokenError};
use serde_json::{Value, json};

tokio::task_local! {
    /// The id of the request being served, set by the request-id middleware.
    pub(crate) static REQUEST_ID: String;
}

/// The current request's id (`unknown` outside a request).
pub(crate) fn request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// An error answered as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    detail: String,
    pointer: Option<String>,
    /// Rarely used parts, boxed to keep `Result<_, ApiError>` small.
    extras: Option<Box<Extras>>,
}

#[derive(Debug, Default)]
struct Extras {
    /// Extension members of the problem (`errors`, `validation`).
    members: Vec<(&'static str, Value)>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// An error with a code and a detail a person can act on.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            pointer: None,
            extras: None,
        }
    }

    /// Names the offending field (JSON pointer, query parameter or header).
    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// Lists every violation of a body (the `errors` member).
    pub fn with_errors(self, errors: Vec<(String, String)>) -> Self {
        let list = errors
            .into_iter()
            .map(|(p, d)| json!({"pointer": p, "detail": d}))
            .collect();
        self.with_member("errors", list)
    }

    /// Adds an extension member to the problem (RFC 9457 §3.2), e.g. `validation`.
    pub fn with_member(mut self, name: &'static str, value: Value) -> Self {
        self.extras
            .get_or_insert_default()
            .members
            .push((name, value));
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: HeaderName, value: &'static str) -> Self {
        self.extras
            .get_or_insert_default()
            .headers
            .push((name, HeaderValue::from_static(value)));
        self
    }

    /// Adds a response header with a computed value (skipped if it is not a valid value).
    pub fn with_header_value(mut self, name: HeaderName, value: String) -> Self {
        if let Ok(v) = HeaderValue::from_str(&value) {
            self.extras.get_or_insert_default().headers.push((name, v));
        }
        self
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// An internal failure: the detail goes to the log, the caller gets the request id.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(request_id = %request_id(), error = %err, "internal error");
        Self::new(
            ErrorCode::InternalError,
            "the gateway failed to serve this request; quote the request id to the brand's operator",
        )
    }
}

impl ApiError {
    /// The problem document (RFC 9457) and the extra headers of the response.
    fn into_parts(self) -> (Value, Vec<(HeaderName, HeaderValue)>) {
        let mut body = json!({
            "type": self.code.type_uri(),
            "title": self.code.title(),
            "status": self.code.status(),
            "detail": self.detail,
            "code": self.code.as_str(),
            "request_id": request_id(),
        });
        if let Some(p) = self.pointer {
            body["pointer"] = Value::String(p);
        }
        let extras = self.extras.map(|e| *e).unwrap_or_default();
        for (name, value) in extras.members {
            body[name] = value;
        }
        (body, extras.headers)
    }

    /// The problem document (RFC 9457) this error is answered with.
    pub(crate) fn problem(self) -> Value {
        self.into_parts().0
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (body, headers) = self.into_parts();
        let mut resp = (status, body.to_string()).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        for (name, value) in headers {
            h.insert(name, value);
        }
        resp
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::new(ErrorCode::ValidationFailed, e.message).at(e.pointer)
    }
}

/// A 401 with the `WWW-Authenticate` challenge RFC 6750 and RFC 9449 ask for.
fn unauthorized(code: ErrorCode, detail: String, dpop: bool) -> ApiError {
    let challenge = if dpop {
        r#"DPoP realm="b2a", error="invalid_dpop_proof", algs="EdDSA ES256""#
    } else {
        r#"Bearer realm="b2a", error="invalid_token""#
    };
    ApiError::new(code, detail)
        .at(if dpop { "DPoP" } else { "Authorization" })
        .with_header(header::WWW_AUTHENTICATE, challenge)
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        let detail = e.to_string();
        let code = match e {
            TokenError::Malformed => ErrorCode::TokenMalformed,
            TokenError::UnsupportedAlgorithm => ErrorCode::TokenAlgorithmNotAllowed,
            TokenError::WrongType => ErrorCode::TokenTypeInvalid,
            TokenError::UnknownKey => ErrorCode::TokenKeyUnknown,
            TokenError::BadSignature => ErrorCode::TokenSignatureInvalid,
            TokenError::Expired => ErrorCode::TokenExpired,
            TokenError::NotYetValid => ErrorCode::TokenNotYetValid,
            TokenError::WrongIssuer => ErrorCode::TokenIssuerInvalid,
            TokenError::WrongAudience => ErrorCode::TokenAudienceInvalid,
            TokenError::UnknownLimit(_) => ErrorCode::TokenLimitUnknown,
            TokenError::AboveIssuerCeiling(_) => ErrorCode::TokenAboveIssuerCeiling,
            TokenError::InvalidClaims(_) | TokenError::CapabilityNotAllowed { .. } => {
                ErrorCode::TokenClaimsInvalid
            }
            // Issuance and exchange: the request asked for something invalid.
            TokenError::Widening(v) => {
                return ApiError::new(ErrorCode::TokenExchangeWider, detail)
                    .at(format!("/{}", v.field.replace('.', "/")));
            }
            TokenError::InvalidGrant(v) => {
                return ApiError::new(ErrorCode::ValidationFailed, detail)
                    .at(format!("/{}", v.field.replace('.', "/")));
            }
            TokenError::InvalidLifetime => {
                return ApiError::new(ErrorCode::ValidationFailed, detail).at("/ttl_seconds");
            }
            // The key directory could not be read or written.
            e @ TokenError::KeyStore(_) => return ApiError::internal(e),
        };
        unauthorized(code, detail, false)
    }
}

impl From<DpopError> for ApiError {
    fn from(e: DpopError) -> Self {
        let code = match e {
            DpopError::Missing => ErrorCode::DpopProofRequired,
            DpopError::Replayed => ErrorCode::DpopProofReplayed,
            DpopError::Malformed(_)
            | DpopError::BadSignature
            | DpopError::KeyMismatch(_)
            | DpopError::WrongMethod(_)
            | DpopError::WrongUrl(_)
            | DpopError::WrongToken
            | DpopError::Stale(_) => ErrorCode::DpopProofInvalid,
        };
        unauthorized(code, e.to_string(), true)
    }
}

impl From<GovernanceError> for ApiError {
    fn from(e: GovernanceError) -> Self {
        let detail = e.to_string();
        match e {
            GovernanceError::Token(t) => t.into(),
            GovernanceError::Ledger(l) => l.into(),
            GovernanceError::Refused(Refusal::AgentSuspended) => {
                ApiError::new(ErrorCode::AgentSuspended, detail).at("Authorization")
            }
            GovernanceError::Refused(Refusal::Revoked(_) | Refusal::AncestorRevoked(_)) => {
                unauthorized(ErrorCode::TokenRevoked, detail, false)
            }
            GovernanceError::AgentNotRegistered(_) => {
                ApiError::new(ErrorCode::AgentNotRegistered, detail).at("/agent")
            }
            GovernanceError::KeyNotRegistered { .. } => {
                ApiError::new(ErrorCode::KeyNotRegistered, detail).at("/cnf/jkt")
            }
            GovernanceError::InvalidKey { index, .. } => {
                ApiError::new(ErrorCode::ValidationFailed, detail).at(format!("/keys/{index}"))
            }
        }
    }
}

impl From<ShopError> for ApiError {
    fn from(e: ShopError) -> Self {
        let detail = e.to_string();
        match e {
            ShopError::UnknownSku { index, .. } => {
                ApiError::new(ErrorCode::UnknownSku, detail).at(format!("/lines/{index}/sku"))
            }
            ShopError::SkuUnavailable { index, .. } => {
                ApiError::new(ErrorCode::SkuUnavailable, detail).at(format!("/lines/{index}/sku"))
            }
            ShopError::DuplicateSku { index, .. } => {
                ApiError::new(ErrorCode::DuplicateSku, detail).at(format!("/lines/{index}/sku"))
            }
            ShopError::ProductNotFound(_) => ApiError::new(ErrorCode::ProductNotFound, detail),
            ShopError::QuoteNotFound(_) => ApiError::new(ErrorCode::QuoteNotFound, detail),
            ShopError::OrderNotFound(_) => ApiError::new(ErrorCode::OrderNotFound, detail),
            ShopError::AuditEntryNotFound { .. } => {
                ApiError::new(ErrorCode::AuditEntryNotFound, detail).at("seq")
            }
            ShopError::AuditSizeBeyondLog { field, .. } => {
                ApiError::new(ErrorCode::InvalidQuery, detail).at(field)
            }
            ShopError::CategoryNotAllowed { index, .. } => {
                ApiError::new(ErrorCode::CategoryNotAllowed, detail)
                    .at(format!("/lines/{index}/sku"))
            }
            ShopError::Pricing(p) => p.into(),
            ShopError::Policy(p) => {
                ApiError::new(ErrorCode::PricingPolicyInvalid, detail).at(policy_pointer(&p.field))
            }
            ShopError::Graph(g) => g.into(),
            ShopError::Ledger(l) => l.into(),
            e @ ShopError::Task(_) => ApiError::internal(e),
        }
    }
}

/// `volume_tiers[1].discount_percent` → `/volume_tiers/1/discount_percent`.
fn policy_pointer(field: &str) -> String {
    let path = field.replace('[', ".").replace(']', "");
    format!("/{}", path.replace('.', "/"))
}

impl From<PricingError> for ApiError {
    fn from(e: PricingError) -> Self {
        let detail = e.to_string();
        match e {
            PricingError::MixedCurrencies(..) => ApiError::new(ErrorCode::MixedCurrencies, detail),
            PricingError::CurrencyNotInPolicy { .. } => {
                ApiError::new(ErrorCode::CurrencyNotPriced, detail).at("/lines")
            }
            PricingError::DuplicateLine { .. } => {
                ApiError::new(ErrorCode::DuplicateSku, detail).at("/lines")
            }
            PricingError::NotPriceable { .. } => ApiError::new(ErrorCode::SkuNotPriceable, detail),
            PricingError::DestinationNotServed { .. } => {
                ApiError::new(ErrorCode::DestinationNotServed, detail).at("/ship_to/country")
            }
            PricingError::SpeedNotOffered { .. } => {
                ApiError::new(ErrorCode::DeliveryUnavailable, detail).at("/delivery/speed")
            }
            PricingError::DeliveryUnavailable { .. } => {
                ApiError::new(ErrorCode::DeliveryUnavailable, detail).at("/delivery/deliver_by")
            }
            PricingError::CounterLineUnknown { index, .. }
            | PricingError::CounterLineDuplicated { index, .. } => {
                ApiError::new(ErrorCode::CounterLineUnknown, detail)
                    .at(format!("/lines/{index}/sku"))
            }
            PricingError::QuoteAlreadyAccepted => {
                ApiError::new(ErrorCode::QuoteAccepted, detail).at("id")
            }
            PricingError::NoLines | PricingError::CounterOutOfRange => {
                ApiError::new(ErrorCode::ValidationFailed, detail).at("/lines")
            }
            // Bounds stored for other lines, or arithmetic on the brand's own prices.
            e @ (PricingError::BoundsMismatch | PricingError::Overflow) => ApiError::internal(e),
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        let detail = e.to_string();
        match e {
            LedgerError::QuoteNotFound(_) => ApiError::new(ErrorCode::QuoteNotFound, detail).at("/quote_id"),
            LedgerError::QuoteExpired(_) => ApiError::new(ErrorCode::QuoteExpired, detail).at("/quote_id"),
            LedgerError::QuoteAlreadyOrdered { .. } => {
                ApiError::new(ErrorCode::QuoteAlreadyOrdered, detail).at("/quote_id")
            }
            LedgerError::QuoteNotAccepted(_) => {
                ApiError::new(ErrorCode::QuoteNotAccepted, detail).at("/quote_id")
            }
            LedgerError::OrderNotFound(_) => ApiError::new(ErrorCode::OrderNotFound, detail).at("id"),
            LedgerError::InvalidTransition { .. } => {
                ApiError::new(ErrorCode::OrderTransitionInvalid, detail).at("id")
            }
            LedgerError::ReturnWindowClosed { .. } => {
                ApiError::new(ErrorCode::ReturnWindowClosed, detail).at("id")
            }
            LedgerError::QuoteAccepted(_) => ApiError::new(ErrorCode::QuoteAccepted, detail).at("id"),
            LedgerError::QuoteChanged { .. } => ApiError::new(ErrorCode::QuoteConflict, detail).at("id"),
            LedgerError::InsufficientStock { .. } | LedgerError::UnknownSku(_) => {
                ApiError::new(ErrorCode::InsufficientStock, detail)
            }
            LedgerError::IdempotencyMismatch => ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was already used with a different request body; use a new key for a new order",
            )
            .at("Idempotency-Key"),
            LedgerError::IdempotencyInFlight => ApiError::new(ErrorCode::IdempotencyKeyInFlight, detail)
                .at("Idempotency-Key")
                .with_header(header::RETRY_AFTER, "1"),
            LedgerError::GrantRevoked(_) => unauthorized(ErrorCode::TokenRevoked, detail, false),
            LedgerError::AgentSuspended(_) => ApiError::new(ErrorCode::AgentSuspended, detail),
            LedgerError::PerOrderLimitExceeded { .. } => {
                ApiError::new(ErrorCode::PerOrderLimitExceeded, detail).at("/quote_id")
            }
            LedgerError::BudgetExceeded { .. } => {
                ApiError::new(ErrorCode::BudgetExceeded, detail).at("/quote_id")
            }
            LedgerError::DailyOrderLimitReached { .. } => {
                ApiError::new(ErrorCode::DailyOrderLimitReached, detail)
            }
            LedgerError::LimitCurrencyMismatch { .. } => {
                ApiError::new(ErrorCode::LimitCurrencyMismatch, detail).at("/quote_id")
            }
            LedgerError::GrantNotFound(_) => ApiError::new(ErrorCode::TokenNotFound, detail).at("jti"),
            LedgerError::AgentNotFound(_) => ApiError::new(ErrorCode::AgentNotFound, detail).at("id"),
            LedgerError::AgentExists(_) => ApiError::new(ErrorCode::AgentExists, detail).at("/id"),
            e @ (LedgerError::Corrupt(_) | LedgerError::Storage(_)) => ApiError::internal(e),
        }
    }
}

impl From<GraphError> for ApiError {
    fn from(e: GraphError) -> Self {
        let detail = e.to_string();
        match e {
            GraphError::NothingPublished => ApiError::new(ErrorCode::CatalogUnavailable, detail),
            GraphError::UnknownVersion(_) => {
                ApiError::new(ErrorCode::CatalogVersionNotFound, detail).at("id")
            }
            GraphError::NothingToRollBack => ApiError::new(ErrorCode::NothingToRollBack, detail),
            GraphError::Parse(_) => ApiError::new(ErrorCode::CatalogUnparsable, detail),
            GraphError::Invalid(report) => {
                let validation = validation_json(&report);
                ApiError::new(ErrorCode::CatalogInvalid, detail)
                    .with_member("validation", validation)
            }
            e @ (GraphError::Inconsistent(_) | GraphError::Query(_) | GraphError::Storage(_)) => {
                ApiError::internal(e)
            }
        }
    }
}

/// A validation report as `schemas/validation-report.json`.
pub(crate) fn validation_json(r: &ValidationReport) -> Value {
    json!({"valid": r.is_valid(), "total": r.total, "issues": r.issues})
}
