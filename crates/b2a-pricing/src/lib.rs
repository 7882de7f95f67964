//! Pricing: turns a quote request and the catalog's list prices into priced lines and a total.
//!
//! Pure: takes values, returns values. Today a quote is priced at list price; the rules of the
//! pricing issue (tiers, promotions, guardrails, negotiation) grow here.
//!
//! ```
//! use b2a_model::{Currency, Money, Quantity, Sku};
//! use b2a_pricing::{price_lines, ListedLine};
//!
//! let line = ListedLine {
//!     sku: Sku::parse("VC-1")?,
//!     name: "Veste".into(),
//!     quantity: Quantity::new(2)?,
//!     unit_price: Money::new(18_900, Currency::EUR),
//! };
//! let priced = price_lines(vec![line])?;
//! assert_eq!(priced.total.amount(), 37_800);
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

use b2a_model::{ModelError, Money, Quantity, QuoteLine, Sku};

/// A requested line with the catalog's list price of one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedLine {
    /// What.
    pub sku: Sku,
    /// Catalog name.
    pub name: String,
    /// How many.
    pub quantity: Quantity,
    /// List price of one unit.
    pub unit_price: Money,
}

/// Lines with their totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLines {
    /// One priced line per listed line, in order.
    pub lines: Vec<QuoteLine>,
    /// Sum of the line totals.
    pub total: Money,
}

/// Why lines could not be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PricingError {
    /// There was nothing to price.
    #[error("a quote needs at least one line")]
    NoLines,
    /// The lines are listed in different currencies.
    #[error("lines are priced in different currencies ({0} and {1})")]
    MixedCurrencies(&'static str, &'static str),
    /// A total left the range of minor units.
    #[error("amount overflow")]
    Overflow,
}

impl From<ModelError> for PricingError {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::CurrencyMismatch { left, right } => Self::MixedCurrencies(left, right),
            _ => Self::Overflow,
        }
    }
}

/// Prices lines at list price: `line_total = unit_price × quantity`, `total = Σ line_total`.
/// Exact integer arithmetic; overflow and mixed currencies are refused.
pub fn price_lines(listed: Vec<ListedLine>) -> Result<PricedLines, PricingError> {
    let currency = listed
        .first()
        .ok_or(PricingError::NoLines)?
        .unit_price
        .currency();
    let mut total = Money::zero(currency);
    let mut lines = Vec::with_capacity(listed.len());
    for l in listed {
        let line_total = l.unit_price.checked_mul(l.quantity.get())?;
        total = total.checked_add(line_total)?;
        lines.push(QuoteLine {
            sku: l.sku,
            name: l.name,
            quantity: l.quantity,
            unit_price: l.unit_price,
            line_total,
        });
    }
    Ok(PricedLines { lines, total })
}

#[cfg(test)]
mod tests {
    use b2a_model::Currency;

    use super::*;

    fn line(sku: &str, qty: i64, unit: i64, currency: Currency) -> ListedLine {
        ListedLine {
            sku: Sku::parse(sku).expect("valid sku"),
            name: sku.to_owned(),
            quantity: Quantity::new(qty).expect("valid quantity"),
            unit_price: Money::new(unit, currency),
        }
    }

    #[test]
    fn totals_are_the_sum_of_unit_price_times_quantity() {
        let priced = price_lines(vec![
            line("A", 3, 1_490, Currency::EUR),
            line("B", 1, 24_900, Currency::EUR),
        ])
        .expect("priced");
        assert_eq!(priced.lines[0].line_total.amount(), 4_470);
        assert_eq!(priced.lines[1].line_total.amount(), 24_900);
        assert_eq!(priced.total, Money::new(29_370, Currency::EUR));
    }

    #[test]
    fn refuses_empty_mixed_and_overflowing_quotes() {
        assert_eq!(price_lines(vec![]), Err(PricingError::NoLines));
        let usd = Currency::parse("USD").expect("usd");
        assert_eq!(
            price_lines(vec![
                line("A", 1, 100, Currency::EUR),
                line("B", 1, 100, usd)
            ]),
            Err(PricingError::MixedCurrencies("EUR", "USD"))
        );
        assert_eq!(
            price_lines(vec![line("A", 999, i64::MAX / 2, Currency::EUR)]),
            Err(PricingError::Overflow)
        );
    }
}
