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
    MissingIdempotencyKey => "missing_idempotency_key", 400, "The Idempotency-Key header is required";
    MissingToken => "missing_token", 401, "A bearer token is required";
    InvalidToken => "invalid_token", 401, "The bearer token is not valid";
    TokenExpired => "token_expired", 401, "The bearer token has expired";
    InsufficientCapability => "insufficient_capability", 403, "The token lacks the capability this route needs";
    NotFound => "not_found", 404, "No such route";
    ProductNotFound => "product_not_found", 404, "No such product in the published catalog";
    QuoteNotFound => "quote_not_found", 404, "No such quote for this agent";
    OrderNotFound => "order_not_found", 404, "No such order for this agent";
    CatalogVersionNotFound => "catalog_version_not_found", 404, "No such catalog version";
    MethodNotAllowed => "method_not_allowed", 405, "The route does not accept this method";
    NotAcceptable => "not_acceptable", 406, "No response media type the client accepts is available";
    QuoteExpired => "quote_expired", 409, "The quote has expired";
    NothingToRollBack => "nothing_to_roll_back", 409, "There is no earlier publication to roll back to";
    QuoteAlreadyOrdered => "quote_already_ordered", 409, "The quote was already ordered";
    InsufficientStock => "insufficient_stock", 409, "Not enough stock for a line";
    PayloadTooLarge => "payload_too_large", 413, "The request body is too large";
    UnsupportedMediaType => "unsupported_media_type", 415, "The request body must be application/json";
    UnknownSku => "unknown_sku", 422, "A SKU is not sold in the published catalog";
    CatalogInvalid => "catalog_invalid", 422, "The catalog version fails validation and was not published";
    CatalogUnparsable => "catalog_unparsable", 422, "The uploaded catalog does not parse";
    SkuUnavailable => "sku_unavailable", 422, "A SKU cannot be ordered now";
    DuplicateSku => "duplicate_sku", 422, "A SKU appears on more than one line";
    MixedCurrencies => "mixed_currencies", 422, "The lines are priced in different currencies";
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
