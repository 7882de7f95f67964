//! The wire contract: the JSON Schemas of `schemas/`, request validation, the route table that
//! `/openapi.json` is built from, request body types, and the one table of error codes.
//!
//! No HTTP types here: statuses are plain numbers; the server turns them into responses.
//!
//! ```
//! use b2a_contract::Contract;
//! use serde_json::json;
//!
//! let contract = Contract::load()?;
//! let ok = json!({"lines": [{"sku": "VC-1", "quantity": 1}], "ship_to": {"country": "FR"}});
//! assert!(contract.validate("quote-request", &ok).is_ok());
//! let bad = json!({"lines": [{"sku": "VC-1", "quantity": -1}], "ship_to": {"country": "FR"}});
//! let violations = contract.validate("quote-request", &bad).unwrap_err();
//! assert_eq!(violations[0].pointer, "/lines/0/quantity");
//! # Ok::<_, b2a_contract::ContractError>(())
//! ```

mod codes;
mod openapi;
mod requests;
mod schemas;
mod tools;

pub use codes::ErrorCode;
pub use openapi::{ROUTES, RouteDoc};
pub use requests::{
    AgentRegistrationBody, CounterBody, CounterLineBody, DeliveryBody, FieldError, MoneyBody,
    OrderActionBody, OrderRequestBody, QuoteRequestBody, RevocationBody, StockLevelBody,
    TokenExchangeBody, TokenRequestBody,
};
pub use schemas::{Contract, ContractError, SCHEMA_BASE, Violation};
pub use tools::{TOOL_INPUTS, TOOLS, ToolDoc, tool};
