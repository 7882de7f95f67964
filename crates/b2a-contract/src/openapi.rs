//! The route table and the OpenAPI 3.1 document built from it and from `schemas/`.

use serde_json::{Map, Value, json};

use crate::{Contract, ErrorCode};

/// One route of the REST binding, as documented in `/openapi.json`.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    /// HTTP method, lowercase.
    pub method: &'static str,
    /// OpenAPI path template.
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// The capability its token needs (`""`: any valid token); `None` for public routes.
    pub capability: Option<&'static str>,
    /// Schema of the request body.
    pub request: Option<&'static str>,
    /// Success status and schema of its body.
    pub response: (u16, &'static str),
    /// `(name, location, description)` of each parameter.
    pub params: &'static [(&'static str, &'static str, &'static str)],
    /// Error codes this route may answer with, beyond the ones every route may.
    pub errors: &'static [ErrorCode],
}

const ID: (&str, &str, &str) = ("id", "path", "Identifier");

/// What `/v1/sparql` may answer besides success, whichever way the query is sent.
const SPARQL_ERRORS: &[ErrorCode] = &[
    ErrorCode::SparqlMalformed,
    ErrorCode::SparqlUpdateNotAllowed,
    ErrorCode::SparqlServiceNotAllowed,
    ErrorCode::SparqlDatasetNotAllowed,
    ErrorCode::SparqlFunctionUnsupported,
    ErrorCode::NotAcceptable,
    ErrorCode::SparqlTimeout,
    ErrorCode::SparqlBusy,
    ErrorCode::RateLimited,
    ErrorCode::UnsupportedMediaType,
    ErrorCode::CatalogUnavailable,
];

/// Every route of the REST binding.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc {
        method: "get",
        path: "/.well-known/b2a",
        summary: "Brand manifest: identity, endpoints, token issuer and audience, limits",
        capability: None,
        request: None,
        response: (200, "manifest"),
        params: &[],
        errors: &[],
    },
    RouteDoc {
        method: "get",
        path: "/.well-known/jwks.json",
        summary: "The brand's public token-signing keys",
        capability: None,
        request: None,
        response: (200, "jwks"),
        params: &[],
        errors: &[],
    },
    RouteDoc {
        method: "get",
        path: "/.well-known/oauth-protected-resource",
        summary: "The MCP endpoint (/mcp, docs/mcp.md) as an OAuth protected resource (RFC 9728): its URL, the brand's token issuer, the capabilities as scopes",
        capability: None,
        request: None,
        response: (200, "protected-resource"),
        params: &[],
        errors: &[],
    },
    RouteDoc {
        method: "get",
        path: "/.well-known/oauth-protected-resource/mcp",
        summary: "The same document at the path RFC 9728 derives from the resource's URL (/mcp)",
        capability: None,
        request: None,
        response: (200, "protected-resource"),
        params: &[],
        errors: &[],
    },
    RouteDoc {
        method: "get",
        path: "/openapi.json",
        summary: "This document: every route of the REST binding with its capability, bodies and error codes",
        capability: None,
        request: None,
        response: (200, "openapi-document"),
        params: &[],
        errors: &[],
    },
    RouteDoc {
        method: "get",
        path: "/schemas/{file}",
        summary: "One JSON Schema of the wire contract (each is also a component of this document)",
        capability: None,
        request: None,
        response: (200, "json-schema"),
        params: &[("file", "path", "The schema's file name, e.g. quote.json")],
        errors: &[ErrorCode::NotFound],
    },
    RouteDoc {
        method: "get",
        path: "/healthz",
        summary: "Liveness and the published catalog version",
        capability: None,
        request: None,
        response: (200, "health"),
        params: &[],
        errors: &[],
    },
    RouteDoc {
        method: "get",
        path: "/v1/products",
        summary: "Search sellable items of the published catalog",
        capability: Some("catalog:read"),
        request: None,
        response: (200, "product-page"),
        params: &[
            (
                "q",
                "query",
                "Free text (French or English); every word must begin a word of the name, description, keywords, brand, colour, material, size, category labels, SKU, GTIN or MPN; case, accents and a final plural s/x are ignored",
            ),
            ("category", "query", "Category slug; includes subcategories"),
            ("brand", "query", "Brand name (case and accents ignored)"),
            ("color", "query", "Colour, in any language of the catalog"),
            ("size", "query", "Size"),
            ("material", "query", "Material"),
            (
                "attr.{property}",
                "query",
                "Any product property listed in the facets, e.g. attr.weight=1.2 kg",
            ),
            ("currency", "query", "ISO 4217 currency of the offers"),
            (
                "min_price",
                "query",
                "Lowest price in minor units (needs currency)",
            ),
            (
                "max_price",
                "query",
                "Highest price in minor units (needs currency)",
            ),
            (
                "in_stock",
                "query",
                "true: only offers InStock or LimitedAvailability",
            ),
            (
                "sort",
                "query",
                "relevance (default; SKU order without q), price, -price, name, -name or sku",
            ),
            (
                "cursor",
                "query",
                "next_cursor of the previous page, with the same sort",
            ),
            ("limit", "query", "Page size, 1 to 100 (default 20)"),
        ],
        errors: &[ErrorCode::InvalidQuery, ErrorCode::CatalogUnavailable],
    },
    RouteDoc {
        method: "get",
        path: "/v1/products/{id}",
        summary: "One product or product group: schema.org JSON-LD (default), plain JSON (Accept: application/json) or Turtle (Accept: text/turtle)",
        capability: Some("catalog:read"),
        request: None,
        response: (200, "product"),
        params: &[ID],
        errors: &[
            ErrorCode::ProductNotFound,
            ErrorCode::InvalidPath,
            ErrorCode::NotAcceptable,
        ],
    },
    RouteDoc {
        method: "get",
        path: "/v1/products/{id}/related",
        summary: "Items related to a product or group: rel=variant (default), accessory, similar or bundle",
        capability: Some("catalog:read"),
        request: None,
        response: (200, "related"),
        params: &[
            ID,
            ("rel", "query", "variant, accessory, similar or bundle"),
        ],
        errors: &[
            ErrorCode::ProductNotFound,
            ErrorCode::InvalidPath,
            ErrorCode::InvalidQuery,
        ],
    },
    RouteDoc {
        method: "get",
        path: "/v1/catalog",
        summary: "The published public catalog, whole: text/turtle (default), application/n-triples or application/ld+json by Accept; ETag and If-None-Match",
        capability: Some("catalog:read"),
        request: None,
        response: (200, "catalog-export"),
        params: &[(
            "If-None-Match",
            "header",
            "The ETag of a copy you hold; 304 when it is still current",
        )],
        errors: &[ErrorCode::NotAcceptable, ErrorCode::CatalogUnavailable],
    },
    RouteDoc {
        method: "get",
        path: "/v1/categories",
        summary: "The taxonomy: every category with its parent and product count",
        capability: Some("catalog:read"),
        request: None,
        response: (200, "categories"),
        params: &[],
        errors: &[ErrorCode::CatalogUnavailable],
    },
    RouteDoc {
        method: "get",
        path: "/v1/pricing-policy",
        summary: "The pricing policy in force: rule kinds, their bounds as percentages, shipping, the attributes pricing uses and those it never uses (no token needed)",
        capability: None,
        request: None,
        response: (200, "pricing-policy"),
        params: &[],
        errors: &[],
    },
    RouteDoc {
        method: "post",
        path: "/v1/quotes",
        summary: "Price lines for a destination under the pricing policy: a signed quote with every adjustment explained, valid until expires_at; a target is answered at once as a first counter-offer",
        capability: Some("quotes:write"),
        request: Some("quote-request"),
        response: (201, "quote"),
        params: &[],
        errors: &[
            ErrorCode::UnknownSku,
            ErrorCode::SkuUnavailable,
            ErrorCode::DuplicateSku,
            ErrorCode::MixedCurrencies,
            ErrorCode::CurrencyNotPriced,
            ErrorCode::DestinationNotServed,
            ErrorCode::DeliveryUnavailable,
            ErrorCode::SkuNotPriceable,
            ErrorCode::CategoryNotAllowed,
        ],
    },
    RouteDoc {
        method: "get",
        path: "/v1/quotes/{id}",
        summary: "One of your quotes: its current version, with the earlier versions in history",
        capability: Some("quotes:write"),
        request: None,
        response: (200, "quote"),
        params: &[ID],
        errors: &[ErrorCode::QuoteNotFound],
    },
    RouteDoc {
        method: "post",
        path: "/v1/quotes/{id}/counter",
        summary: "Counter-offer a target total or target line prices; the answer is accepted, countered, final_offer (each with a new signed version) or rejected, with its reason",
        capability: Some("quotes:write"),
        request: Some("counter-request"),
        response: (200, "counter-result"),
        params: &[ID],
        errors: &[
            ErrorCode::QuoteNotFound,
            ErrorCode::QuoteExpired,
            ErrorCode::QuoteAccepted,
            ErrorCode::QuoteAlreadyOrdered,
            ErrorCode::QuoteConflict,
            ErrorCode::CounterLineUnknown,
            ErrorCode::MixedCurrencies,
        ],
    },
    RouteDoc {
        method: "post",
        path: "/v1/quotes/{id}/accept",
        summary: "Accept the current version: the brand is bound to its price until it expires; only an accepted quote can be ordered",
        capability: Some("quotes:write"),
        request: None,
        response: (200, "quote"),
        params: &[ID],
        errors: &[
            ErrorCode::QuoteNotFound,
            ErrorCode::QuoteExpired,
            ErrorCode::QuoteAlreadyOrdered,
            ErrorCode::QuoteConflict,
        ],
    },
    RouteDoc {
        method: "post",
        path: "/v1/orders",
        summary: "Order one of your quotes (Idempotency-Key required)",
        capability: Some("orders:write"),
        request: Some("order-request"),
        response: (201, "order"),
        params: &[(
            "Idempotency-Key",
            "header",
            "Unique per intended order; replays return the original order",
        )],
        errors: &[
            ErrorCode::MissingIdempotencyKey,
            ErrorCode::IdempotencyKeyReused,
            ErrorCode::IdempotencyKeyInFlight,
            ErrorCode::QuoteNotFound,
            ErrorCode::QuoteExpired,
            ErrorCode::QuoteNotAccepted,
            ErrorCode::QuoteAlreadyOrdered,
            ErrorCode::InsufficientStock,
            ErrorCode::PerOrderLimitExceeded,
            ErrorCode::BudgetExceeded,
            ErrorCode::DailyOrderLimitReached,
            ErrorCode::LimitCurrencyMismatch,
            ErrorCode::CategoryNotAllowed,
        ],
    },
    RouteDoc {
        method: "get",
        path: "/v1/orders",
        summary: "Your orders, newest first",
        capability: Some("orders:read"),
        request: None,
        response: (200, "order-page"),
        params: &[
            ("limit", "query", "Page size, 1 to 100 (default 20)"),
            ("cursor", "query", "next_cursor of the previous page"),
        ],
        errors: &[ErrorCode::InvalidQuery],
    },
    RouteDoc {
        method: "get",
        path: "/v1/orders/{id}",
        summary: "One of your orders",
        capability: Some("orders:read"),
        request: None,
        response: (200, "order"),
        params: &[ID],
        errors: &[ErrorCode::OrderNotFound],
    },
    RouteDoc {
        method: "get",
        path: "/v1/orders/{id}/events",
        summary: "The history of one of your orders; with Accept: text/event-stream, live as server-sent events",
        capability: Some("orders:read"),
        request: None,
        response: (200, "order-events"),
        params: &[ID],
        errors: &[ErrorCode::OrderNotFound, ErrorCode::NotAcceptable],
    },
    RouteDoc {
        method: "post",
        path: "/v1/orders/{id}/cancel",
        summary: "Cancel one of your orders before shipment: its stock and budget are released",
        capability: Some("orders:cancel"),
        request: Some("order-action"),
        response: (200, "order"),
        params: &[ID],
        errors: &[ErrorCode::OrderNotFound, ErrorCode::OrderTransitionInvalid],
    },
    RouteDoc {
        method: "post",
        path: "/v1/orders/{id}/returns",
        summary: "Ask to return one of your delivered orders within the return window; refunded by the brand on receipt",
        capability: Some("returns:write"),
        request: Some("order-action"),
        response: (200, "order"),
        params: &[ID],
        errors: &[
            ErrorCode::OrderNotFound,
            ErrorCode::OrderTransitionInvalid,
            ErrorCode::ReturnWindowClosed,
        ],
    },
    RouteDoc {
        method: "get",
        path: "/v1/admin/approvals",
        summary: "Orders held for a person's approval, oldest first, each with the reason",
        capability: Some("admin"),
        request: None,
        response: (200, "order-page"),
        params: &[
            ("limit", "query", "Page size, 1 to 100 (default 20)"),
            ("cursor", "query", "next_cursor of the previous page"),
        ],
        errors: &[ErrorCode::InvalidQuery],
    },
    RouteDoc {
        method: "get",
        path: "/v1/admin/orders/{id}",
        summary: "Any order with its fulfilment details (from the vault) and history",
        capability: Some("admin"),
        request: None,
        response: (200, "admin-order"),
        params: &[ID],
        errors: &[ErrorCode::OrderNotFound],
    },
    RouteDoc {
        method: "post",
        path: "/v1/admin/orders/{id}/{action}",
        summary: "approve or reject an order held for approval, ship a confirmed one, deliver a shipped one, refund a returned one; the operator and the reason are recorded",
        capability: Some("admin"),
        request: Some("order-action"),
        response: (200, "order"),
        params: &[
            ID,
            ("action", "path", "approve, reject, ship, deliver or refund"),
        ],
        errors: &[ErrorCode::OrderNotFound, ErrorCode::OrderTransitionInvalid],
    },
    RouteDoc {
        method: "get",
        path: "/v1/admin/stock/{sku}",
        summary: "The units on hand of a SKU",
        capability: Some("admin"),
        request: None,
        response: (200, "stock-level"),
        params: &[("sku", "path", "The SKU")],
        errors: &[ErrorCode::InvalidPath, ErrorCode::UnknownSku],
    },
    RouteDoc {
        method: "put",
        path: "/v1/admin/stock/{sku}",
        summary: "Set the units on hand of a SKU (audited)",
        capability: Some("admin"),
        request: Some("stock-level"),
        response: (200, "stock-level"),
        params: &[("sku", "path", "The SKU")],
        errors: &[ErrorCode::InvalidPath],
    },
    RouteDoc {
        method: "get",
        path: "/v1/sparql",
        summary: "Read-only SPARQL 1.1 over the published catalog (query parameter `query`); results in JSON, XML, CSV or TSV, graphs in Turtle or N-Triples, by Accept",
        capability: Some("catalog:sparql"),
        request: None,
        response: (200, "sparql-results"),
        params: &[("query", "query", "The SPARQL query")],
        errors: SPARQL_ERRORS,
    },
    RouteDoc {
        method: "post",
        path: "/v1/sparql",
        summary: "The same with the query in an application/sparql-query body or an application/x-www-form-urlencoded `query` field",
        capability: Some("catalog:sparql"),
        request: None,
        response: (200, "sparql-results"),
        params: &[],
        errors: SPARQL_ERRORS,
    },
    RouteDoc {
        method: "post",
        path: "/v1/admin/catalog/versions",
        summary: "Upload a catalog (RDF body: text/turtle, application/n-triples, application/n-quads, application/trig, application/ld+json, application/rdf+xml; or a product feed: text/csv, application/jsonl, application/x-ndjson) as a new version, validated, not yet published; a feed's stock column seeds the ledger and never enters the graph",
        capability: Some("admin"),
        request: None,
        response: (201, "catalog-version"),
        params: &[(
            "base",
            "query",
            "IRI a product feed's products, offers, brands and categories are named under (default https://brand.example/)",
        )],
        errors: &[
            ErrorCode::CatalogUnparsable,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::PayloadTooLarge,
            ErrorCode::InvalidQuery,
        ],
    },
    RouteDoc {
        method: "get",
        path: "/v1/admin/catalog/versions",
        summary: "Every loaded catalog version and which one is published",
        capability: Some("admin"),
        request: None,
        response: (200, "catalog-versions"),
        params: &[],
        errors: &[],
    },
    RouteDoc {
        method: "get",
        path: "/v1/admin/catalog/versions/{id}",
        summary: "One catalog version with its validation report",
        capability: Some("admin"),
        request: None,
        response: (200, "catalog-version"),
        params: &[ID],
        errors: &[ErrorCode::CatalogVersionNotFound, ErrorCode::InvalidPath],
    },
    RouteDoc {
        method: "post",
        path: "/v1/admin/catalog/versions/{id}/publish",
        summary: "Validate and publish a version atomically; reports products added, removed, changed",
        capability: Some("admin"),
        request: None,
        response: (200, "publish-report"),
        params: &[ID],
        errors: &[
            ErrorCode::CatalogVersionNotFound,
            ErrorCode::CatalogInvalid,
            ErrorCode::InvalidPath,
        ],
    },
    RouteDoc {
        method: "post",
        path: "/v1/admin/catalog/rollback",
        summary: "Publish again the version published before the current one",
        capability: Some("admin"),
        request: None,
        response: (200, "publish-report"),
        params: &[],
        errors: &[ErrorCode::NothingToRollBack],
    },
    RouteDoc {
        method: "get",
        path: "/v1/admin/principals/{id}",
        summary: "Everything held about a principal: orders with their fulfilment details, quotes, audit entries (an access request)",
        capability: Some("admin"),
        request: None,
        response: (200, "principal-export"),
        params: &[("id", "path", "The principal's pseudonym")],
        errors: &[ErrorCode::InvalidPath],
    },
    RouteDoc {
        method: "get",
        path: "/v1/privacy/self",
        summary: "Everything held about the principal this token acts for (needs privacy:self)",
        capability: Some("privacy:self"),
        request: None,
        response: (200, "principal-export"),
        params: &[],
        errors: &[ErrorCode::InsufficientCapability],
    },
    RouteDoc {
        method: "delete",
        path: "/v1/admin/principals/{id}",
        summary: "Erase a principal's personal data: its vault key and rows (crypto-shredding); logged",
        capability: Some("admin"),
        request: None,
        response: (200, "erasure"),
        params: &[("id", "path", "The principal's pseudonym")],
        errors: &[ErrorCode::InvalidPath],
    },
    RouteDoc {
        method: "get",
        path: "/v1/audit/checkpoint",
        summary: "The newest signed checkpoint of the audit log",
        capability: Some("audit:read"),
        request: None,
        response: (200, "audit-checkpoint"),
        params: &[],
        errors: &[],
    },
    RouteDoc {
        method: "post",
        path: "/v1/audit/checkpoint",
        summary: "Sign the audit log as it is now (the newest checkpoint if it has not grown)",
        capability: Some("audit:read"),
        request: None,
        response: (200, "audit-checkpoint"),
        params: &[],
        errors: &[],
    },
    RouteDoc {
        method: "get",
        path: "/v1/audit/entries",
        summary: "Entries of the audit log, oldest first, filtered",
        capability: Some("audit:read"),
        request: None,
        response: (200, "audit-page"),
        params: &[
            ("cursor", "query", "next_cursor of the previous page"),
            ("limit", "query", "Page size, 1 to 500 (default 100)"),
            ("agent", "query", "Entries the agent acted in, or about it"),
            (
                "principal",
                "query",
                "Entries naming this principal pseudonym",
            ),
            (
                "order",
                "query",
                "Entries about this order (its id among their subjects)",
            ),
            (
                "subject",
                "query",
                "Entries about this subject: a quote, a token's jti, a SKU, ...",
            ),
            (
                "action",
                "query",
                "Entries of this action, e.g. order.placed",
            ),
            (
                "since",
                "query",
                "RFC 3339 time: entries at or after it (to the second)",
            ),
            (
                "until",
                "query",
                "RFC 3339 time: entries before it (to the second)",
            ),
        ],
        errors: &[ErrorCode::InvalidQuery],
    },
    RouteDoc {
        method: "get",
        path: "/v1/audit/entries/{seq}/proof",
        summary: "The inclusion proof of an entry in the tree of a size (default: the newest checkpoint's)",
        capability: Some("audit:read"),
        request: None,
        response: (200, "audit-proof"),
        params: &[
            ("seq", "path", "The entry's sequence number, from 0"),
            (
                "size",
                "query",
                "The tree's size (default: the newest checkpoint's)",
            ),
        ],
        errors: &[
            ErrorCode::InvalidPath,
            ErrorCode::InvalidQuery,
            ErrorCode::AuditEntryNotFound,
        ],
    },
    RouteDoc {
        method: "get",
        path: "/v1/audit/consistency",
        summary: "The consistency proof between two sizes of the audit log",
        capability: Some("audit:read"),
        request: None,
        response: (200, "audit-consistency"),
        params: &[
            ("from", "query", "The smaller size"),
            (
                "to",
                "query",
                "The larger size (default: the newest checkpoint's)",
            ),
        ],
        errors: &[ErrorCode::InvalidQuery],
    },
    RouteDoc {
        method: "get",
        path: "/v1/audit/orders/{id}/trail",
        summary: "The whole story of an order, each entry proven against one signed checkpoint (JSON); or as W3C PROV-O (Accept: text/turtle or application/n-triples)",
        capability: Some("audit:read"),
        request: None,
        response: (200, "audit-bundle"),
        params: &[("id", "path", "The order's id")],
        errors: &[
            ErrorCode::InvalidPath,
            ErrorCode::OrderNotFound,
            ErrorCode::NotAcceptable,
        ],
    },
    RouteDoc {
        method: "post",
        path: "/v1/admin/agents",
        summary: "Register an agent (its tokens can then be issued)",
        capability: Some("admin"),
        request: Some("agent-registration"),
        response: (201, "agent"),
        params: &[],
        errors: &[ErrorCode::AgentExists],
    },
    RouteDoc {
        method: "get",
        path: "/v1/admin/agents",
        summary: "The registered agents and their status",
        capability: Some("admin"),
        request: None,
        response: (200, "agents"),
        params: &[],
        errors: &[],
    },
    RouteDoc {
        method: "post",
        path: "/v1/admin/agents/{id}/suspend",
        summary: "Suspend an agent: its tokens are refused at once",
        capability: Some("admin"),
        request: None,
        response: (200, "agent"),
        params: &[("id", "path", "The agent's id")],
        errors: &[ErrorCode::AgentNotFound],
    },
    RouteDoc {
        method: "post",
        path: "/v1/admin/agents/{id}/reactivate",
        summary: "Reactivate a suspended agent",
        capability: Some("admin"),
        request: None,
        response: (200, "agent"),
        params: &[("id", "path", "The agent's id")],
        errors: &[ErrorCode::AgentNotFound],
    },
    RouteDoc {
        method: "put",
        path: "/v1/admin/pricing-policy",
        summary: "Load a new version of the pricing policy (application/toml or application/json); every field is checked before anything is stored; audited",
        capability: Some("admin"),
        request: None,
        response: (200, "pricing-policy-loaded"),
        params: &[],
        errors: &[
            ErrorCode::PricingPolicyInvalid,
            ErrorCode::UnsupportedMediaType,
        ],
    },
    RouteDoc {
        method: "get",
        path: "/v1/admin/pricing-policy",
        summary: "The pricing policy in force, whole, with its version",
        capability: Some("admin"),
        request: None,
        response: (200, "pricing-policy-loaded"),
        params: &[],
        errors: &[ErrorCode::PricingPolicyNotFound],
    },
    RouteDoc {
        method: "post",
        path: "/v1/admin/tokens",
        summary: "Issue a capability token with limits, consent and an optional key binding",
        capability: Some("admin"),
        request: Some("token-request"),
        response: (201, "issued-token"),
        params: &[],
        errors: &[ErrorCode::AgentNotRegistered, ErrorCode::KeyNotRegistered],
    },
    RouteDoc {
        method: "post",
        path: "/v1/admin/tokens/{jti}/revoke",
        summary: "Revoke a token and every token exchanged from it, at once",
        capability: Some("admin"),
        request: Some("token-revocation"),
        response: (200, "token-revoked"),
        params: &[("jti", "path", "The token's jti")],
        errors: &[ErrorCode::TokenNotFound],
    },
    RouteDoc {
        method: "post",
        path: "/v1/tokens/exchange",
        summary: "Exchange the presented token for a narrower child (any token)",
        capability: Some(""),
        request: Some("token-exchange"),
        response: (201, "issued-token"),
        params: &[],
        errors: &[ErrorCode::TokenExchangeWider],
    },
    RouteDoc {
        method: "get",
        path: "/v1/tokens/self",
        summary: "The presented token: claims, spent, remaining budget, expiry, status",
        capability: Some(""),
        request: None,
        response: (200, "token-status"),
        params: &[],
        errors: &[],
    },
];

/// Rewrites `$ref`s between schema files into component references and drops `$id`/`$schema`.
fn componentize(name: &str, value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$id" | "$schema", _) => {}
                    ("$ref", Value::String(r)) => {
                        let target = if let Some(local) = r.strip_prefix("#/") {
                            format!("#/components/schemas/{name}/{local}")
                        } else {
                            let (file, frag) = r.split_once('#').unwrap_or((r, ""));
                            let file = file.trim_end_matches(".json");
                            format!(
                                "#/components/schemas/{file}{}",
                                frag.trim_start_matches('#')
                            )
                        };
                        out.insert(k.clone(), Value::String(target));
                    }
                    _ => {
                        out.insert(k.clone(), componentize(name, v));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| componentize(name, v)).collect()),
        other => other.clone(),
    }
}

impl Contract {
    /// The OpenAPI 3.1 document of the REST binding, served at `/openapi.json`.
    pub fn openapi(&self, server_url: &str, version: &str) -> Value {
        let schemas: Map<String, Value> = self
            .names()
            .filter_map(|n| self.schema(n).map(|s| (n.to_owned(), componentize(n, s))))
            .collect();
        let problem = json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/problem"}}});
        let mut paths = Map::new();
        for r in ROUTES {
            let mut op = Map::new();
            op.insert("summary".into(), json!(r.summary));
            op.insert("operationId".into(), json!(operation_id(r)));
            let params: Vec<Value> = r
                .params
                .iter()
                .map(|(n, loc, d)| {
                    json!({"name": n, "in": loc, "description": d, "required": *loc != "query", "schema": {"type": "string"}})
                })
                .collect();
            if !params.is_empty() {
                op.insert("parameters".into(), Value::Array(params));
            }
            if let Some(req) = r.request {
                op.insert(
                    "requestBody".into(),
                    json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{req}")}}}}),
                );
            }
            let media = match r.response.1 {
                "product" => "application/ld+json",
                "sparql-results" => "application/sparql-results+json",
                "catalog-export" => "text/turtle",
                _ => "application/json",
            };
            let mut responses = Map::new();
            responses.insert(
                r.response.0.to_string(),
                json!({"description": "Success", "content": {media: {"schema": {"$ref": format!("#/components/schemas/{}", r.response.1)}}}}),
            );
            let mut codes: Vec<ErrorCode> = r.errors.to_vec();
            if r.capability.is_some() {
                codes.extend([
                    ErrorCode::MissingToken,
                    ErrorCode::TokenSignatureInvalid,
                    ErrorCode::TokenRevoked,
                    ErrorCode::DpopProofRequired,
                    ErrorCode::AgentSuspended,
                    ErrorCode::RateLimited,
                    ErrorCode::TokenExpired,
                    ErrorCode::InsufficientCapability,
                ]);
            }
            if r.request.is_some() {
                codes.extend([
                    ErrorCode::MalformedJson,
                    ErrorCode::ValidationFailed,
                    ErrorCode::PayloadTooLarge,
                    ErrorCode::UnsupportedMediaType,
                ]);
            }
            codes.push(ErrorCode::InternalError);
            for c in codes {
                let entry = responses
                    .entry(c.status().to_string())
                    .or_insert_with(|| json!({"description": "", "content": problem.clone()}));
                let d = entry["description"].as_str().unwrap_or_default();
                let d = if d.is_empty() {
                    c.as_str().to_owned()
                } else {
                    format!("{d}, {}", c.as_str())
                };
                entry["description"] = json!(d);
            }
            op.insert("responses".into(), Value::Object(responses));
            match r.capability {
                Some("") => {
                    op.insert("security".into(), json!([{"capabilityToken": []}]));
                }
                Some(cap) => {
                    op.insert("security".into(), json!([{"capabilityToken": [cap]}]));
                    op.insert("x-b2a-capability".into(), json!(cap));
                }
                None => {}
            }
            let item = paths.entry(r.path.to_owned()).or_insert_with(|| json!({}));
            item[r.method] = Value::Object(op);
        }
        json!({
            "openapi": "3.1.0",
            "info": {
                "title": "b2a — Brand-to-Agent gateway",
                "version": version,
                "description": "REST binding of the b2a protocol. Bodies are described by the JSON Schemas served under /schemas/. Errors are RFC 9457 problem+json with a stable code.",
            },
            "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
            "servers": [{"url": server_url}],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "capabilityToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA, typ b2a-cap+jwt)"}
                }
            }
        })
    }
}

fn operation_id(r: &RouteDoc) -> String {
    let words: Vec<&str> = r
        .path
        .split(['/', '.', '-', '{', '}'])
        .filter(|w| !w.is_empty() && *w != "v1" && *w != "well" && *w != "known")
        .collect();
    format!("{}_{}", r.method, words.join("_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_references_only_existing_components() {
        let c = Contract::load().expect("schemas");
        let doc = c.openapi("http://127.0.0.1:8787", "0.1.0");
        let text = doc.to_string();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("#/components/schemas/") {
            rest = &rest[i + "#/components/schemas/".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            assert!(c.schema(&name).is_some(), "dangling reference to {name}");
        }
        assert_eq!(
            doc["paths"]["/v1/orders"]["post"]["x-b2a-capability"],
            "orders:write"
        );
        assert!(
            doc["paths"]["/v1/orders"]["post"]["responses"]["409"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("insufficient_stock"))
        );
    }
}
