//! The one table of error codes. It is the only place an HTTP status is chosen; `docs/errors.md`
//! documents every row (a test keeps the two in step).

macro_rules! error_codes {
    ($($variant:ident => $code:literal, $status:literal, $title:literal;)*) => {
        /// A stable, documented error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(#[doc = $title] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The stable snake_case code.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status it answers with.
            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// A short, constant summary.
            pub fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title,)* }
            }
        }
    };
}

error_codes! {
    MalformedJson => "malformed_json", 400, "The request body is not valid JSON";
    ValidationFailed => "validation_failed", 400, "The request body does not match its schema";
    InvalidQuery => "invalid_query", 400, "A query parameter is invalid";
    InvalidPath => "invalid_path", 400, "A path parameter is invalid";
    SparqlMalformed => "sparql_malformed", 400, "The SPARQL query does not parse";
    SparqlUpdateNotAllowed => "sparql_update_not_allowed", 400, "SPARQL updates are not allowed";
    SparqlServiceNotAllowed => "sparql_service_not_allowed", 400, "SPARQL SERVICE calls are not allowed";
    SparqlDatasetNotAllowed => "sparql_dataset_not_allowed", 400, "The query's dataset cannot be chosen";
    SparqlFunctionUnsupported => "sparql_function_unsupported", 400, "The SPARQL query calls a function this endpoint does not provide";
    MissingIdempotencyKey => "missing_idempotency_key", 400, "The Idempotency-Key header is required";
    MissingToken => "missing_token", 401, "A bearer token is required";
    TokenMalformed => "token_malformed", 401, "The bearer token is not a well-formed JWT";
    TokenAlgorithmNotAllowed => "token_algorithm_not_allowed", 401, "The token's signing algorithm is not accepted";
    TokenTypeInvalid => "token_type_invalid", 401, "The token's typ header is not b2a-cap+jwt";
    TokenKeyUnknown => "token_key_unknown", 401, "The token was signed by a key this gateway does not know";
    TokenSignatureInvalid => "token_signature_invalid", 401, "The token's signature does not verify";
    TokenExpired => "token_expired", 401, "The bearer token has expired";
    TokenNotYetValid => "token_not_yet_valid", 401, "The bearer token is not valid yet";
    TokenIssuerInvalid => "token_issuer_invalid", 401, "The token was issued by another issuer";
    TokenAudienceInvalid => "token_audience_invalid", 401, "The token is meant for another audience";
    TokenClaimsInvalid => "token_claims_invalid", 401, "A required claim is missing or invalid";
    TokenLimitUnknown => "token_limit_unknown", 401, "The token's limits name a constraint this gateway does not enforce";
    TokenAboveIssuerCeiling => "token_above_issuer_ceiling", 401, "The token grants more than its issuer may";
    TokenRevoked => "token_revoked", 401, "The token, or one it was exchanged from, has been revoked";
    DpopProofRequired => "dpop_proof_required", 401, "The token is bound to a key and needs a DPoP proof";
    DpopProofInvalid => "dpop_proof_invalid", 401, "The DPoP proof does not hold for this request";
    DpopProofReplayed => "dpop_proof_replayed", 401, "The DPoP proof was already used";
    InsufficientCapability => "insufficient_capability", 403, "The token lacks the capability this route needs";
    OriginNotAllowed => "origin_not_allowed", 403, "Requests from this web origin are not accepted";
    AgentSuspended => "agent_suspended", 403, "The token's agent is suspended";
    TokenExchangeWider => "token_exchange_wider", 403, "The exchange asks for more than the token grants";
    PerOrderLimitExceeded => "per_order_limit_exceeded", 403, "The order total is above the token's per-order limit";
    BudgetExceeded => "budget_exceeded", 403, "The order would exceed the token's total budget";
    DailyOrderLimitReached => "daily_order_limit_reached", 403, "The token's orders-per-day limit is reached";
    CategoryNotAllowed => "category_not_allowed", 403, "A line is outside the categories the token may buy in";
    NotFound => "not_found", 404, "No such route";
    ProductNotFound => "product_not_found", 404, "No such product in the published catalog";
    QuoteNotFound => "quote_not_found", 404, "No such quote for this agent";
    OrderNotFound => "order_not_found", 404, "No such order for this agent";
    AgentNotFound => "agent_not_found", 404, "No such registered agent";
    TokenNotFound => "token_not_found", 404, "No such token was issued";
    CatalogVersionNotFound => "catalog_version_not_found", 404, "No such catalog version";
    PricingPolicyNotFound => "pricing_policy_not_found", 404, "No pricing policy was loaded";
    AuditEntryNotFound => "audit_entry_not_found", 404, "No such entry in the audit log's tree of that size";
    MethodNotAllowed => "method_not_allowed", 405, "The route does not accept this method";
    NotAcceptable => "not_acceptable", 406, "No response media type the client accepts is available";
    QuoteExpired => "quote_expired", 409, "The quote has expired";
    AgentExists => "agent_exists", 409, "An agent with this id is already registered";
    NothingToRollBack => "nothing_to_roll_back", 409, "There is no earlier publication to roll back to";
    QuoteAlreadyOrdered => "quote_already_ordered", 409, "The quote was already ordered";
    QuoteAccepted => "quote_accepted", 409, "The quote was accepted: its price is bound and no longer negotiable";
    QuoteNotAccepted => "quote_not_accepted", 409, "Only an accepted quote can be ordered";
    QuoteConflict => "quote_conflict", 409, "The quote changed meanwhile (another counter-offer or acceptance)";
    OrderTransitionInvalid => "order_transition_invalid", 409, "The order's status does not allow this action";
    ReturnWindowClosed => "return_window_closed", 409, "The return window of the order has closed";
    IdempotencyKeyInFlight => "idempotency_key_in_flight", 409, "A request with this Idempotency-Key is still being processed";
    InsufficientStock => "insufficient_stock", 409, "Not enough stock for a line";
    PayloadTooLarge => "payload_too_large", 413, "The request body is too large";
    UnsupportedMediaType => "unsupported_media_type", 415, "The request body must be application/json";
    UnknownSku => "unknown_sku", 422, "A SKU is not sold in the published catalog";
    CatalogInvalid => "catalog_invalid", 422, "The catalog version fails validation and was not published";
    CatalogUnparsable => "catalog_unparsable", 422, "The uploaded catalog does not parse";
    SkuUnavailable => "sku_unavailable", 422, "A SKU cannot be ordered now";
    DuplicateSku => "duplicate_sku", 422, "A SKU appears on more than one line";
    MixedCurrencies => "mixed_currencies", 422, "The lines are priced in different currencies";
    CurrencyNotPriced => "currency_not_priced", 422, "The lines are listed in a currency the pricing policy does not price";
    DestinationNotServed => "destination_not_served", 422, "The brand does not ship to this country";
    DeliveryUnavailable => "delivery_unavailable", 422, "No delivery service meets the request";
    SkuNotPriceable => "sku_not_priceable", 422, "The brand's pricing bounds leave no price for a SKU";
    CounterLineUnknown => "counter_line_unknown", 422, "A counter-offer names a SKU that is not on the quote, or names it twice";
    PricingPolicyInvalid => "pricing_policy_invalid", 422, "The pricing policy fails validation and was not loaded";
    AgentNotRegistered => "agent_not_registered", 422, "Agent tokens are issued only to registered agents";
    KeyNotRegistered => "key_not_registered", 422, "The binding names a key the agent did not register";
    LimitCurrencyMismatch => "limit_currency_mismatch", 422, "The order's currency is not the token's limits' currency";
    IdempotencyKeyReused => "idempotency_key_reused", 422, "The Idempotency-Key was used with another request";
    SparqlTimeout => "sparql_timeout", 422, "The SPARQL query ran past its time limit and was stopped";
    RateLimited => "rate_limited", 429, "Too many requests of this kind from this agent right now";
    InternalError => "internal_error", 500, "The gateway failed; the request id identifies the failure in its log";
    CatalogUnavailable => "catalog_unavailable", 503, "No catalog version is published";
    SparqlBusy => "sparql_busy", 503, "Every SPARQL worker is busy";
}

impl ErrorCode {
    /// The RFC 9457 `type` URI of this code.
    pub fn type_uri(self) -> String {
        format!("urn:b2a:problem:{}", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_with_error_statuses() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert!(
                c.as_str()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_')
            );
            assert!((400..600).contains(&c.status()));
        }
    }

    #[test]
    fn docs_errors_md_documents_every_code() {
        let doc = include_str!("../../../docs/errors.md");
        for c in ErrorCode::ALL {
            let heading = format!("### `{}`", c.as_str());
            assert!(doc.contains(&heading), "docs/errors.md lacks {heading}");
            assert!(
                doc.contains(&format!("{heading} — {}", c.status())),
                "docs/errors.md gives {} another status than {}",
                c.as_str(),
                c.status()
            );
        }
    }
}
