use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// Checks `text` against a simple character-class rule and length bound.
fn check(
    kind: &'static str,
    text: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
    rule: &str,
) -> Result<(), ModelError> {
    if text.is_empty() || text.len() > max {
        return Err(ModelError::invalid(
            kind,
            format!("must be 1 to {max} characters long"),
        ));
    }
    if !text.chars().all(allowed) {
        return Err(ModelError::invalid(
            kind,
            format!("`{text}` may only contain {rule}"),
        ));
    }
    Ok(())
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:expr, $allowed:expr, $rule:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses and checks the text.
            pub fn parse(text: impl Into<String>) -> Result<Self, ModelError> {
                let text = text.into();
                check($kind, &text, $max, $allowed, $rule)?;
                Ok(Self(text))
            }

            /// The text of the identifier.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ModelError;
            fn try_from(text: String) -> Result<Self, ModelError> {
                Self::parse(text)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn sku_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'
}

fn slug_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@')
}

fn token_char(c: char) -> bool {
    c.is_ascii_graphic()
}

string_id!(
    /// A stock-keeping unit: what an agent quotes and orders (`VC-ALPJKT-BLK-M`).
    Sku, "sku", 40, sku_char, "uppercase letters, digits and hyphens"
);
string_id!(
    /// The public identifier of a product or product group in the catalog graph.
    ProductId, "product id", 64, |c: char| sku_char(c) || c.is_ascii_lowercase() || c == '_',
    "letters, digits, hyphens and underscores"
);
string_id!(
    /// A registered agent's identifier (the token's `sub`).
    AgentId, "agent id", 128, slug_char, "letters, digits and - _ . : @"
);
string_id!(
    /// Pairwise pseudonym of the person an agent acts for (the token's `principal`).
    Principal, "principal", 128, slug_char, "letters, digits and - _ . : @"
);
string_id!(
    /// A client-chosen key that makes a mutation safe to retry.
    IdempotencyKey, "idempotency key", 255, token_char, "visible ASCII characters"
);
string_id!(
    /// A quote identifier (`q_…`).
    QuoteId, "quote id", 64, slug_char, "letters, digits and - _ . : @"
);
string_id!(
    /// An order identifier (`o_…`).
    OrderId, "order id", 64, slug_char, "letters, digits and - _ . : @"
);

/// An ISO 3166-1 alpha-2 country code, such as `FR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses two uppercase ASCII letters.
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        match text.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok(Self([*a, *b])),
            _ => Err(ModelError::invalid(
                "country",
                format!("`{text}` is not an ISO 3166-1 alpha-2 code such as FR"),
            )),
        }
    }

    /// The two letters.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII uppercase letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl TryFrom<String> for CountryCode {
    type Error = ModelError;
    fn try_from(text: String) -> Result<Self, ModelError> {
        Self::parse(&text)
    }
}

impl From<CountryCode> for String {
    fn from(c: CountryCode) -> String {
        c.as_str().to_owned()
    }
}

impl QuoteId {
    /// A new random, time-ordered quote id.
    pub fn generate() -> Self {
        Self(format!("q_{}", uuid::Uuid::now_v7().simple()))
    }
}

impl OrderId {
    /// A new random, time-ordered order id.
    pub fn generate() -> Self {
        Self(format!("o_{}", uuid::Uuid::now_v7().simple()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_are_uppercase_codes() {
        assert!(Sku::parse("VC-ALPJKT-BLK-M").is_ok());
        for bad in ["", "vc-lower", "VC ALP", "VC/1", &"A".repeat(41)] {
            assert!(Sku::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn ids_round_trip_through_serde() {
        let sku: Result<Sku, _> = serde_json::from_str("\"VC-1\"");
        assert_eq!(
            sku.map(|s| s.as_str().to_owned()).ok().as_deref(),
            Some("VC-1")
        );
        assert!(serde_json::from_str::<Sku>("\"bad sku\"").is_err());
    }

    #[test]
    fn countries_are_two_uppercase_letters() {
        assert_eq!(
            CountryCode::parse("FR").map(|c| c.as_str().to_owned()),
            Ok("FR".to_owned())
        );
        assert!(CountryCode::parse("fr").is_err());
        assert!(CountryCode::parse("FRA").is_err());
    }

    #[test]
    fn generated_ids_are_distinct_and_valid() {
        let a = QuoteId::generate();
        let b = QuoteId::generate();
        assert_ne!(a, b);
        assert!(QuoteId::parse(a.as_str().to_owned()).is_ok());
        assert!(OrderId::parse(OrderId::generate().as_str().to_owned()).is_ok());
    }
}
