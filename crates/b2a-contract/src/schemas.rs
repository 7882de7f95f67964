use std::collections::BTreeMap;

use jsonschema::{Registry, Validator};
use serde_json::Value;

/// The base URI of every schema's `$id`; `$ref`s between schemas are relative to it.
pub const SCHEMA_BASE: &str = "https://schemas.b2a.example/v1/";

macro_rules! embedded_schemas {
    ($($name:literal),* $(,)?) => {
        /// `(name, text)` of every file of `schemas/`, embedded at build time.
        const FILES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../../schemas/", $name, ".json"))),)*
        ];
    };
}

embedded_schemas!(
    "adjustment",
    "admin-order",
    "agent",
    "agent-registration",
    "agents",
    "audit-bundle",
    "audit-checkpoint",
    "audit-consistency",
    "audit-entry",
    "audit-page",
    "audit-proof",
    "catalog-export",
    "catalog-version",
    "categories",
    "catalog-versions",
    "consent",
    "counter-request",
    "counter-result",
    "delivery",
    "erasure",
    "fulfilment",
    "health",
    "issued-token",
    "json-schema",
    "jwks",
    "limits",
    "manifest",
    "mcp-tools",
    "money",
    "openapi-document",
    "order",
    "order-action",
    "order-event",
    "order-events",
    "order-page",
    "order-request",
    "pricing-policy",
    "pricing-policy-loaded",
    "principal-export",
    "problem",
    "publish-report",
    "product",
    "product-page",
    "product-summary",
    "protected-resource",
    "quote",
    "quote-line",
    "quote-request",
    "related",
    "sku",
    "sparql-results",
    "stock-level",
    "token-exchange",
    "token-request",
    "token-revocation",
    "token-revoked",
    "token-status",
    "validation-report",
);

/// The schemas could not be loaded: a bug in `schemas/`, caught by the test suite.
#[derive(Debug, thiserror::Error)]
#[error("schema {name}: {reason}")]
pub struct ContractError {
    /// The schema file.
    pub name: String,
    /// What is wrong.
    pub reason: String,
}

/// One way a document fails its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer to the offending value (`""` for the document itself).
    pub pointer: String,
    /// What is wrong with it.
    pub message: String,
}

/// The loaded wire contract: every schema, compiled once.
pub struct Contract {
    documents: BTreeMap<&'static str, Value>,
    validators: BTreeMap<&'static str, Validator>,
    /// Each MCP tool's input schema, bundled, by tool name.
    tool_inputs: BTreeMap<&'static str, (Value, Validator)>,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract")
            .field("schemas", &self.documents.keys())
            .finish()
    }
}

impl Contract {
    /// Parses and compiles every embedded schema.
    pub fn load() -> Result<Self, ContractError> {
        let mut documents = BTreeMap::new();
        for (name, text) in FILES {
            let doc: Value = serde_json::from_str(text).map_err(|e| ContractError {
                name: (*name).into(),
                reason: e.to_string(),
            })?;
            let expected_id = format!("{SCHEMA_BASE}{name}.json");
            if doc.get("$id").and_then(Value::as_str) != Some(expected_id.as_str()) {
                return Err(ContractError {
                    name: (*name).into(),
                    reason: format!("$id must be {expected_id}"),
                });
            }
            documents.insert(*name, doc);
        }
        let registry = Registry::new()
            .extend(
                documents
                    .iter()
                    .map(|(name, doc)| (format!("{SCHEMA_BASE}{name}.json"), doc.clone())),
            )
            .and_then(|b| b.prepare())
            .map_err(|e| ContractError {
                name: "registry".into(),
                reason: e.to_string(),
            })?;
        let mut validators = BTreeMap::new();
        for (name, doc) in &documents {
            let v = jsonschema::options()
                .with_registry(&registry)
                .should_validate_formats(true)
                .build(doc)
                .map_err(|e| ContractError {
                    name: (*name).into(),
                    reason: e.to_string(),
                })?;
            validators.insert(*name, v);
        }
        let mut contract = Self {
            documents,
            validators,
            tool_inputs: BTreeMap::new(),
        };
        for tool in crate::TOOLS {
            let fail = |reason: String| ContractError {
                name: format!("{}#/$defs/{}", crate::TOOL_INPUTS, tool.name),
                reason,
            };
            if tool.route().is_none() {
                return Err(fail(format!("no route {} {}", tool.method, tool.path)));
            }
            let schema = contract
                .bundled(crate::TOOL_INPUTS, &format!("/$defs/{}", tool.name))
                .ok_or_else(|| fail("no such definition".into()))?;
            let v = jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| fail(e.to_string()))?;
            contract.tool_inputs.insert(tool.name, (schema, v));
        }
        Ok(contract)
    }

    /// The input schema of the MCP tool `tool`, bundled (self-contained).
    pub fn tool_input(&self, tool: &str) -> Option<&Value> {
        self.tool_inputs.get(tool).map(|(schema, _)| schema)
    }

    /// Validates the arguments of a call of the MCP tool `tool`; returns every violation.
    pub fn validate_tool_arguments(
        &self,
        tool: &str,
        arguments: &Value,
    ) -> Result<(), Vec<Violation>> {
        match self.tool_inputs.get(tool) {
            Some((_, validator)) => violations(validator, arguments),
            None => Err(vec![Violation {
                pointer: String::new(),
                message: format!("no tool {tool}"),
            }]),
        }
    }

    /// Names of every schema (`quote`, `money`, ...).
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.documents.keys().copied()
    }

    /// The schema document named `name`.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.documents.get(name)
    }

    /// Validates `instance` against the schema `name`; returns every violation.
    ///
    /// An unknown schema name is a programming error and reported as a violation at the root.
    pub fn validate(&self, name: &str, instance: &Value) -> Result<(), Vec<Violation>> {
        let Some(validator) = self.validators.get(name) else {
            return Err(vec![Violation {
                pointer: String::new(),
                message: format!("no schema {name}"),
            }]);
        };
        violations(validator, instance)
    }
}

/// Every way `instance` fails `validator`, deepest first.
fn violations(validator: &Validator, instance: &Value) -> Result<(), Vec<Violation>> {
    let mut violations: Vec<Violation> = validator
        .iter_errors(instance)
        .flat_map(|e| {
            let at = e.instance_path().to_string();
            match e.kind() {
                // Point at each unexpected field itself, not at the object holding it.
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    unexpected
                        .iter()
                        .map(|field| Violation {
                            pointer: format!(
                                "{at}/{}",
                                field.replace('~', "~0").replace('/', "~1")
                            ),
                            message: format!("unknown field `{field}`"),
                        })
                        .collect::<Vec<_>>()
                }
                // Point at the missing field.
                jsonschema::error::ValidationErrorKind::Required { property } => {
                    let field = property.as_str().unwrap_or_default();
                    vec![Violation {
                        pointer: format!("{at}/{}", field.replace('~', "~0").replace('/', "~1")),
                        message: format!("missing required field `{field}`"),
                    }]
                }
                _ => vec![Violation {
                    pointer: at,
                    message: e.to_string(),
                }],
            }
        })
        .collect();
    if violations.is_empty() {
        return Ok(());
    }
    // Deepest first: the most specific field is the most useful to point at.
    violations.sort_by(|a, b| {
        b.pointer
            .matches('/')
            .count()
            .cmp(&a.pointer.matches('/').count())
    });
    Err(violations)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_schema_loads_and_cross_references_resolve() {
        let c = Contract::load().expect("schemas load");
        assert_eq!(c.names().count(), FILES.len());
        let quote_line = json!({
            "sku": "VC-1", "name": "x", "quantity": 1,
            "list_price": {"amount": 100, "currency": "EUR"},
            "unit_price": {"amount": 100, "currency": "EUR"},
            "adjustments": [],
            "line_total": {"amount": 100, "currency": "EUR"}
        });
        assert_eq!(c.validate("quote-line", &quote_line), Ok(()));
        let mut float = quote_line.clone();
        float["unit_price"]["amount"] = json!(1.5);
        let errs = c
            .validate("quote-line", &float)
            .expect_err("a float amount is refused");
        assert_eq!(errs[0].pointer, "/unit_price/amount");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let c = Contract::load().expect("schemas load");
        let body = json!({"quote_id": "q_0123456789abcdef0123456789abcdef", "coupon": "X"});
        let errs = c
            .validate("order-request", &body)
            .expect_err("unknown field refused");
        assert_eq!(errs[0].pointer, "/coupon");
        assert!(errs[0].message.contains("coupon"), "{errs:?}");
    }
}
