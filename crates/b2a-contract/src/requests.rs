//! Request bodies, after their schema has accepted them, and their conversion to domain values.

use b2a_model::{CountryCode, ModelError, Quantity, QuoteId, QuoteRequest, RequestedLine, Sku};
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
        Ok(QuoteRequest { lines, ship_to })
    }
}

/// `POST /v1/orders` body (schema `order-request`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRequestBody {
    /// The quote to order.
    pub quote_id: String,
}

impl OrderRequestBody {
    /// The quote id.
    pub fn quote_id(&self) -> Result<QuoteId, FieldError> {
        QuoteId::parse(self.quote_id.clone()).map_err(at("/quote_id"))
    }
}
