use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// An ISO 4217 currency that b2a knows the minor-unit exponent of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

impl Currency {
    /// The euro.
    pub const EUR: Currency = Currency {
        code: "EUR",
        exponent: 2,
    };

    /// Parses an ISO 4217 alphabetic code such as `EUR`. Codes without a minor unit (`XXX`,
    /// `XAU`, ...) are refused: they are not money an order can be priced in.
    pub fn parse(code: &str) -> Result<Self, ModelError> {
        let iso = iso_currency::Currency::from_code(code).ok_or_else(|| {
            ModelError::invalid("currency", format!("`{code}` is not an ISO 4217 code"))
        })?;
        let exponent = iso
            .exponent()
            .and_then(|e| u8::try_from(e).ok())
            .filter(|e| *e <= 4)
            .ok_or_else(|| {
                ModelError::invalid("currency", format!("`{code}` has no minor unit"))
            })?;
        Ok(Currency {
            code: iso.code(),
            exponent,
        })
    }

    /// The three-letter code.
    pub fn code(self) -> &'static str {
        self.code
    }

    /// Number of decimal digits of the minor unit (2 for EUR, 0 for JPY).
    pub fn exponent(self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// An amount of money: an integer count of minor units and a currency. Never a float.
///
/// Rounding rule: amounts are exact; arithmetic is checked and refuses to overflow. Decimal
/// text with more fraction digits than the currency's exponent is refused, never rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    amount: i64,
    currency: Currency,
}

impl Money {
    /// An amount in minor units.
    pub fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Zero in the given currency.
    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// Parses decimal text such as `189.00` or `14.9` exactly into minor units.
    pub fn parse_decimal(text: &str, currency: Currency) -> Result<Self, ModelError> {
        let bad = |why: &str| ModelError::invalid("amount", format!("`{text}`: {why}"));
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int, frac) = match digits.split_once('.') {
            Some((_, "")) => return Err(bad("expected digits after the decimal point")),
            Some(parts) => parts,
            None => (digits, ""),
        };
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("expected digits before the decimal point"));
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("expected digits after the decimal point"));
        }
        let exp = usize::from(currency.exponent);
        if frac.len() > exp {
            return Err(bad(&format!("{currency} has {exp} decimal places")));
        }
        let scale = 10_i64.pow(u32::from(currency.exponent));
        let int: i64 = int.parse().map_err(|_| ModelError::Overflow)?;
        let frac_value: i64 = if frac.is_empty() {
            0
        } else {
            let padded = format!("{frac:0<exp$}");
            padded.parse().map_err(|_| ModelError::Overflow)?
        };
        let amount = int
            .checked_mul(scale)
            .and_then(|a| a.checked_add(frac_value))
            .ok_or(ModelError::Overflow)?;
        Ok(Self::new(if negative { -amount } else { amount }, currency))
    }

    /// The amount in minor units.
    pub fn amount(self) -> i64 {
        self.amount
    }

    /// The currency.
    pub fn currency(self) -> Currency {
        self.currency
    }

    /// Sum of two amounts in the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money, ModelError> {
        if self.currency != other.currency {
            return Err(ModelError::CurrencyMismatch {
                left: self.currency.code,
                right: other.currency.code,
            });
        }
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(ModelError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// The amount times a whole quantity.
    pub fn checked_mul(self, factor: u32) -> Result<Money, ModelError> {
        let amount = self
            .amount
            .checked_mul(i64::from(factor))
            .ok_or(ModelError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = u32::from(self.currency.exponent);
        if exp == 0 {
            return write!(f, "{} {}", self.amount, self.currency);
        }
        let scale = 10_i64.pow(exp);
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        let scale = scale.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / scale,
            abs % scale,
            self.currency,
            width = exp as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimals_exactly() {
        let eur = Currency::EUR;
        assert_eq!(
            Money::parse_decimal("189.00", eur).map(Money::amount),
            Ok(18_900)
        );
        assert_eq!(
            Money::parse_decimal("14.9", eur).map(Money::amount),
            Ok(1_490)
        );
        assert_eq!(Money::parse_decimal("7", eur).map(Money::amount), Ok(700));
        assert_eq!(
            Money::parse_decimal("-0.05", eur).map(Money::amount),
            Ok(-5)
        );
        let jpy = Currency::parse("JPY").map_err(|e| e.to_string());
        assert_eq!(
            jpy.map(|c| Money::parse_decimal("1200", c).map(Money::amount)),
            Ok(Ok(1200))
        );
    }

    #[test]
    fn refuses_what_it_would_have_to_round() {
        for bad in [
            "1.234",
            "",
            ".5",
            "1.",
            "1,00",
            "1e3",
            "abc",
            "99999999999999999999",
        ] {
            assert!(
                Money::parse_decimal(bad, Currency::EUR).is_err(),
                "{bad} was accepted"
            );
        }
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::new(i64::MAX, Currency::EUR);
        assert_eq!(
            a.checked_add(Money::new(1, Currency::EUR)),
            Err(ModelError::Overflow)
        );
        assert_eq!(a.checked_mul(2), Err(ModelError::Overflow));
        let usd = Currency::parse("USD").map(|c| Money::new(1, c));
        assert!(matches!(
            usd.map(|u| Money::new(1, Currency::EUR).checked_add(u)),
            Ok(Err(ModelError::CurrencyMismatch { .. }))
        ));
    }

    #[test]
    fn displays_with_the_currency_exponent() {
        assert_eq!(Money::new(18_900, Currency::EUR).to_string(), "189.00 EUR");
        assert_eq!(Money::new(-5, Currency::EUR).to_string(), "-0.05 EUR");
    }

    #[test]
    fn refuses_unknown_currencies() {
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("eur").is_err());
        assert!(Currency::parse("XXX").is_err());
        assert_eq!(Currency::parse("MXN").map(Currency::exponent), Ok(2));
        assert_eq!(Currency::parse("KWD").map(Currency::exponent), Ok(3));
    }
}
