use std::fmt;

use crate::ModelError;

/// A GS1 Global Trade Item Number (GTIN-8, -12, -13 or -14) with a correct check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Gtin(String);

impl Gtin {
    /// Parses 8, 12, 13 or 14 digits and checks the GS1 mod-10 check digit.
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        let bad = |why: String| ModelError::invalid("gtin", format!("`{text}`: {why}"));
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("only digits are allowed".into()));
        }
        if ![8, 12, 13, 14].contains(&text.len()) {
            return Err(bad(format!(
                "{} digits; a GTIN has 8, 12, 13 or 14",
                text.len()
            )));
        }
        let digits: Vec<u32> = text.bytes().map(|b| u32::from(b - b'0')).collect();
        let (body, check) = digits.split_at(digits.len() - 1);
        // From the right of the body, weights alternate 3, 1, 3, ...
        let sum: u32 = body
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
            .sum();
        let expected = (10 - sum % 10) % 10;
        if check[0] != expected {
            return Err(bad(format!(
                "check digit is {}, expected {expected}",
                check[0]
            )));
        }
        Ok(Self(text.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_gtins_of_every_length() {
        for ok in [
            "96385074",
            "036000291452",
            "4006381333931",
            "3799120001147",
            "10012345678902",
        ] {
            assert!(Gtin::parse(ok).is_ok(), "{ok} refused");
        }
    }

    #[test]
    fn refuses_wrong_check_digits_lengths_and_characters() {
        for bad in [
            "4006381333932",
            "400638133393",
            "40063813339311",
            "40063813339A1",
            "",
            "1234567",
        ] {
            assert!(Gtin::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
