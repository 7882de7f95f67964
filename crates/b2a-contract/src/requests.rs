//! Request bodies, after their schema has accepted them, and their conversion to domain values.

use b2a_model::{
    AgentId, Capability, Confirmation, Consent, CountryCode, Currency, Limits, ModelError, Money,
    Principal, Quantity, QuoteId, QuoteRequest, RequestedLine, Role, Sku, Speed,
};
use b2a_pricing::Counter;
use serde::Deserialize;

/// A field that the schema accepted but the domain refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer of the field.
    pub pointer: String,
    /// Why.
    pub message: String,
}

fn at(pointer: impl Into<String>) -> impl FnOnce(ModelError) -> FieldError {
    let pointer = pointer.into();
    move |e| FieldError {
        pointer,
        message: e.to_string(),
    }
}

/// `POST /v1/quotes` body (schema `quote-request`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequestBody {
    /// The lines.
    pub lines: Vec<LineBody>,
    /// Destination.
    pub ship_to: ShipToBody,
    /// The delivery wanted.
    #[serde(default)]
    pub delivery: DeliveryBody,
    /// A total the agent hopes for.
    pub target: Option<MoneyBody>,
}

/// The delivery wanted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryBody {
    /// `standard` or `express`.
    pub speed: Option<Speed>,
    /// `YYYY-MM-DD`.
    pub deliver_by: Option<String>,
}

/// An amount (schema `money`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyBody {
    /// Minor units.
    pub amount: i64,
    /// ISO 4217.
    pub currency: Currency,
}

impl From<MoneyBody> for Money {
    fn from(m: MoneyBody) -> Money {
        Money::new(m.amount, m.currency)
    }
}

/// One requested line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    /// SKU text.
    pub sku: String,
    /// Quantity.
    pub quantity: i64,
}

/// Destination.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipToBody {
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl QuoteRequestBody {
    /// The domain request, or the first field the domain refuses.
    pub fn into_domain(self) -> Result<QuoteRequest, FieldError> {
        let mut lines: Vec<RequestedLine> = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.into_iter().enumerate() {
            let sku = Sku::parse(l.sku).map_err(at(format!("/lines/{i}/sku")))?;
            let quantity = Quantity::new(l.quantity).map_err(at(format!("/lines/{i}/quantity")))?;
            lines.push(RequestedLine { sku, quantity });
        }
        let ship_to = CountryCode::parse(&self.ship_to.country).map_err(at("/ship_to/country"))?;
        let deliver_by = self
            .delivery
            .deliver_by
            .as_deref()
            .map(|d| {
                time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                    .map_err(|_| FieldError {
                        pointer: "/delivery/deliver_by".into(),
                        message: format!("`{d}` is not a date such as 2026-12-24"),
                    })
            })
            .transpose()?;
        Ok(QuoteRequest {
            lines,
            ship_to,
            speed: self.delivery.speed,
            deliver_by,
            target: self.target.map(Money::from),
        })
    }
}

/// `POST /v1/quotes/{id}/counter` body (schema `counter-request`): exactly one member.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterBody {
    /// A target total, delivery included.
    pub target_total: Option<MoneyBody>,
    /// Target unit prices of some lines.
    pub lines: Option<Vec<CounterLineBody>>,
}

/// A target unit price for one line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterLineBody {
    /// The line's SKU.
    pub sku: String,
    /// The unit price hoped for.
    pub unit_price: MoneyBody,
}

impl CounterBody {
    /// The counter-offer, or the first field the domain refuses.
    pub fn into_counter(self) -> Result<Counter, FieldError> {
        match (self.target_total, self.lines) {
            (Some(t), None) => Ok(Counter::Total(t.into())),
            (None, Some(lines)) => lines
                .into_iter()
                .enumerate()
                .map(|(i, l)| {
                    let sku = Sku::parse(l.sku).map_err(at(format!("/lines/{i}/sku")))?;
                    Ok((sku, l.unit_price.into()))
                })
                .collect::<Result<_, _>>()
                .map(Counter::LinePrices),
            _ => Err(FieldError {
                pointer: String::new(),
                message: "give exactly one of target_total and lines".into(),
            }),
        }
    }
}

/// `POST /v1/orders` body (schema `order-request`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRequestBody {
    /// The quote to order.
    pub quote_id: String,
    /// Fulfilment details (schema `fulfilment`): personal data, for the vault. Kept as the JSON
    /// the schema accepted.
    pub fulfilment: Option<serde_json::Value>,
}

/// The optional body of an order action (schema `order-action`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderActionBody {
    /// Why.
    pub reason: Option<String>,
}

/// `PUT /v1/admin/stock/{sku}` body (schema `stock-level`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockLevelBody {
    /// Ignored when sent: the path names the SKU.
    pub sku: Option<String>,
    /// Units on hand.
    pub quantity: u32,
}

impl OrderRequestBody {
    /// The quote id.
    pub fn quote_id(&self) -> Result<QuoteId, FieldError> {
        QuoteId::parse(self.quote_id.clone()).map_err(at("/quote_id"))
    }
}

fn capabilities(names: &[String]) -> Result<Vec<Capability>, FieldError> {
    names
        .iter()
        .enumerate()
        .map(|(i, c)| c.parse().map_err(at(format!("/cap/{i}"))))
        .collect()
}

/// `POST /v1/admin/tokens` body (schema `token-request`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequestBody {
    /// Who will hold it.
    pub role: Role,
    /// Its subject.
    pub agent: String,
    /// The person an agent acts for.
    pub principal: Option<String>,
    /// Capabilities; empty means the role's defaults.
    #[serde(default)]
    pub cap: Vec<String>,
    /// Spending limits.
    #[serde(default)]
    pub limits: Limits,
    /// The person's consent.
    #[serde(default)]
    pub consent: Consent,
    /// Lifetime in seconds.
    pub ttl_seconds: Option<u64>,
    /// Proof-of-possession binding.
    pub cnf: Option<Confirmation>,
}

impl TokenRequestBody {
    /// The subject.
    pub fn agent(&self) -> Result<AgentId, FieldError> {
        AgentId::parse(self.agent.clone()).map_err(at("/agent"))
    }

    /// The principal.
    pub fn principal(&self) -> Result<Option<Principal>, FieldError> {
        self.principal
            .clone()
            .map(Principal::parse)
            .transpose()
            .map_err(at("/principal"))
    }

    /// The capabilities.
    pub fn capabilities(&self) -> Result<Vec<Capability>, FieldError> {
        capabilities(&self.cap)
    }
}

/// `POST /v1/tokens/exchange` body (schema `token-exchange`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenExchangeBody {
    /// A subset of the token's capabilities.
    #[serde(default)]
    pub cap: Vec<String>,
    /// Lower or equal limits.
    #[serde(default)]
    pub limits: Limits,
    /// A subset of the token's consent.
    pub consent: Option<Consent>,
    /// A lifetime ending no later than the token's.
    pub ttl_seconds: Option<u64>,
    /// A binding.
    pub cnf: Option<Confirmation>,
}

impl TokenExchangeBody {
    /// The capabilities.
    pub fn capabilities(&self) -> Result<Vec<Capability>, FieldError> {
        capabilities(&self.cap)
    }
}

/// `POST /v1/admin/tokens/{jti}/revoke` body (schema `token-revocation`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationBody {
    /// Why, for the audit log.
    pub reason: Option<String>,
}

/// `POST /v1/admin/agents` body (schema `agent-registration`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentRegistrationBody {
    /// Its id.
    pub id: String,
    /// A display name.
    pub name: String,
    /// How to reach its developer.
    pub contact: String,
    /// Public JWKs its tokens may be bound to.
    #[serde(default)]
    pub keys: Vec<serde_json::Value>,
}

impl AgentRegistrationBody {
    /// The id.
    pub fn id(&self) -> Result<AgentId, FieldError> {
        AgentId::parse(self.id.clone()).map_err(at("/id"))
    }
}
