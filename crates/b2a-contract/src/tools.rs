//! The MCP binding's tools, as data: each calls one route of [`ROUTES`] with its arguments; its
//! input schema is a definition of `schemas/mcp-tools.json`, its output schema the route's
//! response schema. Both are served bundled ([`Contract::bundled`]): MCP clients resolve no
//! `$ref` across files.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::{Contract, ROUTES, RouteDoc};

/// The schema file holding every tool's input schema, one `$defs` entry per tool.
pub const TOOL_INPUTS: &str = "mcp-tools";

/// One tool of the MCP binding.
#[derive(Debug, Clone, Copy)]
pub struct ToolDoc {
    /// The tool's name (stable: agents are written against it).
    pub name: &'static str,
    /// A short human title.
    pub title: &'static str,
    /// What it is for, for the model (the tool's description names its route after it).
    pub description: &'static str,
    /// The route it calls: method (lowercase) and path template, as in [`ROUTES`].
    pub method: &'static str,
    /// The route's path template.
    pub path: &'static str,
    /// `(path parameter, argument)`: arguments put into the path.
    pub path_args: &'static [(&'static str, &'static str)],
    /// `(header, argument)`: arguments sent as request headers.
    pub header_args: &'static [(&'static str, &'static str)],
    /// The media type it asks the route for.
    pub accept: &'static str,
    /// It changes nothing.
    pub read_only: bool,
    /// It may end something that cannot be resumed (an order cancelled, a return asked).
    pub destructive: bool,
    /// Calling it again with the same arguments has no further effect.
    pub idempotent: bool,
}

impl ToolDoc {
    /// The route it calls (every tool has one: checked when the contract loads).
    pub fn route(&self) -> Option<&'static RouteDoc> {
        ROUTES
            .iter()
            .find(|r| r.method == self.method && r.path == self.path)
    }
}

const JSON: &str = "application/json";
const QUOTE: &[(&str, &str)] = &[("id", "quote_id")];
const ORDER: &[(&str, &str)] = &[("id", "order_id")];
const PRODUCT: &[(&str, &str)] = &[("id", "product_id")];

/// A tool that reads.
const fn read(name: &'static str, title: &'static str, path: &'static str) -> ToolDoc {
    ToolDoc {
        name,
        title,
        description: "",
        method: "get",
        path,
        path_args: &[],
        header_args: &[],
        accept: JSON,
        read_only: true,
        destructive: false,
        idempotent: true,
    }
}

/// A tool that writes (not idempotent, not destructive unless said).
const fn write(name: &'static str, title: &'static str, path: &'static str) -> ToolDoc {
    ToolDoc {
        method: "post",
        read_only: false,
        idempotent: false,
        ..read(name, title, path)
    }
}

/// Every tool of the MCP binding.
pub const TOOLS: &[ToolDoc] = &[
    ToolDoc {
        description: "Find products: free text, category, brand, colour, size, material, price range (minor units, with currency), stock; pages with cursor.",
        ..read("search_products", "Search products", "/v1/products")
    },
    ToolDoc {
        description: "Read one product or product group (schema.org JSON-LD): offers, price, availability, variants, properties.",
        path_args: PRODUCT,
        accept: "application/ld+json",
        ..read("get_product", "Read a product", "/v1/products/{id}")
    },
    ToolDoc {
        description: "Variants, accessories, similar items or bundles of a product.",
        path_args: PRODUCT,
        ..read(
            "get_related_products",
            "Related products",
            "/v1/products/{id}/related",
        )
    },
    ToolDoc {
        description: "The category tree, with each category's slug for search_products.",
        ..read("list_categories", "List categories", "/v1/categories")
    },
    ToolDoc {
        description: "Ask for a price: SKUs and quantities for a destination country. The answer is a signed quote explaining every adjustment; give a target to open a negotiation.",
        ..write("request_quote", "Request a quote", "/v1/quotes")
    },
    ToolDoc {
        description: "Counter one of your open quotes with a target total or target unit prices; the brand answers accepted, countered, final_offer or rejected, with its reason.",
        path_args: QUOTE,
        ..write("counter_offer", "Counter-offer", "/v1/quotes/{id}/counter")
    },
    ToolDoc {
        description: "Accept the current version of one of your quotes, so that it can be ordered before it expires.",
        path_args: QUOTE,
        idempotent: true,
        ..write("accept_quote", "Accept a quote", "/v1/quotes/{id}/accept")
    },
    ToolDoc {
        description: "Order one of your accepted quotes, within your token's limits. idempotency_key is required: a retry with the same key and arguments returns the same order.",
        header_args: &[("idempotency-key", "idempotency_key")],
        idempotent: true,
        ..write("place_order", "Place an order", "/v1/orders")
    },
    ToolDoc {
        description: "Read one of your orders: status, lines, total, delivery.",
        path_args: ORDER,
        ..read("get_order", "Read an order", "/v1/orders/{id}")
    },
    ToolDoc {
        description: "Your orders, newest first; pages with cursor.",
        ..read("list_orders", "List orders", "/v1/orders")
    },
    ToolDoc {
        description: "Cancel one of your orders before it ships; its stock and spend are released.",
        path_args: ORDER,
        destructive: true,
        idempotent: true,
        ..write("cancel_order", "Cancel an order", "/v1/orders/{id}/cancel")
    },
    ToolDoc {
        description: "Ask to return one of your delivered orders, within the return window.",
        path_args: ORDER,
        destructive: true,
        idempotent: true,
        ..write(
            "request_return",
            "Request a return",
            "/v1/orders/{id}/returns",
        )
    },
    ToolDoc {
        description: "The pricing policy in force: what adjusts prices and by how much at most, shipping, negotiation rules, and the attributes pricing never uses.",
        ..read("get_pricing_policy", "Pricing policy", "/v1/pricing-policy")
    },
    ToolDoc {
        description: "Your token: capabilities, limits, what you have spent and what remains, its status.",
        ..read("get_token_status", "Token status", "/v1/tokens/self")
    },
    ToolDoc {
        description: "Run a read-only SPARQL 1.1 SELECT or ASK query over the published catalog (schema.org vocabulary).",
        accept: "application/sparql-results+json",
        ..read("sparql_query", "SPARQL query", "/v1/sparql")
    },
];

/// The tool named `name`.
pub fn tool(name: &str) -> Option<&'static ToolDoc> {
    TOOLS.iter().find(|t| t.name == name)
}

impl Contract {
    /// The schema at `pointer` in the file `name` (`""`: the whole file) with every schema it
    /// refers to, directly or not, under `$defs` (keyed by file name, `money.json`) and every
    /// `$ref` rewritten to point there: one self-contained JSON Schema 2020-12 document.
    pub fn bundled(&self, name: &str, pointer: &str) -> Option<Value> {
        let root = self.schema(name)?.pointer(pointer)?;
        let mut wanted = BTreeSet::new();
        let whole = pointer.is_empty();
        let mut out = rewrite(root, &mut |r| {
            let (file, frag) = split_ref(r, name);
            if whole && file == name {
                format!("#{frag}")
            } else {
                wanted.insert(file.to_owned());
                format!("#/$defs/{file}.json{frag}")
            }
        });
        let mut defs = Map::new();
        while let Some(file) = wanted.iter().find(|f| !defs.contains_key(&key(f))).cloned() {
            let doc = self.schema(&file)?;
            let mut refs = Vec::new();
            let def = rewrite(doc, &mut |r| {
                let (target, frag) = split_ref(r, &file);
                refs.push(target.to_owned());
                format!("#/$defs/{target}.json{frag}")
            });
            wanted.extend(refs);
            defs.insert(key(&file), def);
        }
        if let Value::Object(map) = &mut out {
            map.insert(
                "$schema".into(),
                "https://json-schema.org/draft/2020-12/schema".into(),
            );
            if !defs.is_empty() {
                let own = map
                    .entry("$defs")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(own) = own {
                    own.extend(defs);
                }
            }
        }
        Some(out)
    }
}

fn key(file: &str) -> String {
    format!("{file}.json")
}

/// The file (without `.json`; `here` for a local reference) and the fragment of a `$ref`.
fn split_ref<'a>(r: &'a str, here: &'a str) -> (&'a str, &'a str) {
    let (file, frag) = r.split_once('#').unwrap_or((r, ""));
    let file = file.trim_end_matches(".json");
    (if file.is_empty() { here } else { file }, frag)
}

/// `value` without `$id`/`$schema`, each `$ref` replaced by `to(ref)`.
fn rewrite(value: &Value, to: &mut dyn FnMut(&str) -> String) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| *k != "$id" && *k != "$schema")
                .map(|(k, v)| match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => (k.clone(), Value::String(to(r))),
                    _ => (k.clone(), rewrite(v, to)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| rewrite(v, to)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn contract() -> Contract {
        Contract::load().expect("schemas load")
    }

    fn compiled(schema: &Value) -> jsonschema::Validator {
        jsonschema::validator_for(schema).expect("a bundled schema compiles alone")
    }

    #[test]
    fn every_tool_has_a_route_an_input_and_an_object_output() {
        let c = contract();
        let mut names = BTreeSet::new();
        for t in TOOLS {
            assert!(names.insert(t.name), "{} is listed once", t.name);
            let route = t.route().expect("the tool's route exists");
            let input = c
                .bundled(TOOL_INPUTS, &format!("/$defs/{}", t.name))
                .expect("the tool's input schema exists");
            assert_eq!(input["type"], "object", "{}", t.name);
            compiled(&input);
            let output = c.bundled(route.response.1, "").expect("output schema");
            assert_eq!(output["type"], "object", "{}", t.name);
            compiled(&output);
            for (param, arg) in t.path_args {
                assert!(t.path.contains(&format!("{{{param}}}")), "{}", t.name);
                assert!(input["properties"].get(arg).is_some(), "{}: {arg}", t.name);
            }
        }
    }

    #[test]
    fn a_bundled_schema_validates_as_the_files_do() {
        let c = contract();
        let quote_request = compiled(&c.bundled(TOOL_INPUTS, "/$defs/request_quote").expect("s"));
        let ok = json!({"lines": [{"sku": "VC-1", "quantity": 1}], "ship_to": {"country": "FR"}});
        assert!(quote_request.is_valid(&ok));
        assert!(c.validate("quote-request", &ok).is_ok());
        let bad = json!({"lines": [{"sku": "VC-1", "quantity": 0}], "ship_to": {"country": "FR"}});
        assert!(!quote_request.is_valid(&bad));
        let extra = json!({"lines": [{"sku": "VC-1", "quantity": 1}], "ship_to": {"country": "FR"}, "x": 1});
        assert!(
            !quote_request.is_valid(&extra),
            "unknown fields are refused"
        );

        let counter = compiled(&c.bundled(TOOL_INPUTS, "/$defs/counter_offer").expect("s"));
        let id = "q_0123456789abcdef0123456789abcdef";
        let money = json!({"amount": 15000, "currency": "EUR"});
        assert!(counter.is_valid(&json!({"quote_id": id, "target_total": money})));
        assert!(
            !counter.is_valid(&json!({"quote_id": id})),
            "a target is needed"
        );
        assert!(!counter.is_valid(
            &json!({"quote_id": id, "target_total": money, "lines": [{"sku": "VC-1", "unit_price": money}]})
        ));
        assert!(!counter.is_valid(
            &json!({"quote_id": id, "target_total": {"amount": 1.5, "currency": "EUR"}})
        ));

        let quote = c.bundled("quote", "").expect("quote");
        assert_eq!(
            quote["properties"]["history"]["items"]["$ref"], "#",
            "a schema's reference to itself is its root"
        );
        assert!(quote["$defs"].get("money.json").is_some());
        let product = c.bundled("product", "").expect("product");
        compiled(&product);
        assert!(
            product["$defs"].get("text").is_some(),
            "local definitions stay"
        );
    }
}
