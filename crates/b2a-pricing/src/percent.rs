//! Percentages in basis points, and the one rounding rule that applies them to money.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Basis points in one percent.
const BP_PER_PERCENT: u32 = 100;
/// Basis points in a whole (100 %).
const BP_PER_WHOLE: i128 = 10_000;

/// A percentage, held as a whole number of basis points (1 bp = 0.01 %).
///
/// In a policy file and in JSON it is a **number of percent** with at most two decimals:
/// `12.5` is 1 250 bp, `8` is 800 bp. Negative numbers, a third decimal and more than
/// [`Percent::MAX`] (1 000 %) are refused.
///
/// It displays as the shortest decimal that is exact, followed by ` %`: `12.5 %`, `8 %`,
/// `0.25 %`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Percent(u32);

/// Which way a product of an amount and a percentage is made a whole minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rounding {
    /// Half away from zero: the rule for every adjustment.
    HalfAwayFromZero,
    /// Towards positive infinity: for lower bounds, so they are never below what they express.
    Up,
    /// Towards negative infinity: for upper bounds, so they are never above what they express.
    Down,
}

impl Percent {
    /// Zero percent.
    pub const ZERO: Percent = Percent(0);
    /// One hundred percent.
    pub const HUNDRED: Percent = Percent(10_000);
    /// The largest percentage a policy may state: 1 000 %.
    pub const MAX: Percent = Percent(100_000);

    /// A percentage of `bp` basis points (`1250` = 12.5 %). Values above [`Percent::MAX`] can
    /// be built but are refused by [`crate::PricingPolicy::validate`] and do not deserialize.
    pub const fn from_bp(bp: u32) -> Self {
        Percent(bp)
    }

    /// A whole number of percent (`from_percent(8)` = 8 %), saturating at `u32::MAX` bp.
    pub const fn from_percent(percent: u32) -> Self {
        Percent(percent.saturating_mul(BP_PER_PERCENT))
    }

    /// The basis points.
    pub const fn bp(self) -> u32 {
        self.0
    }

    /// This percentage of `amount` minor units, **rounded half away from zero** to a whole minor
    /// unit: `amount × bp / 10 000`. Saturates at the bounds of `i64` (only reachable with
    /// amounts beyond any real price); the engine uses [`Percent::checked_of`].
    ///
    /// ```
    /// use b2a_pricing::Percent;
    /// assert_eq!(Percent::from_bp(1_250).of(1_000), 125);
    /// assert_eq!(Percent::from_bp(500).of(1_490), 75); // 74.5 → 75
    /// assert_eq!(Percent::from_bp(500).of(-1_490), -75); // −74.5 → −75
    /// ```
    pub fn of(self, amount: i64) -> i64 {
        self.checked_of(amount)
            .unwrap_or(if amount < 0 { i64::MIN } else { i64::MAX })
    }

    /// [`Percent::of`], or `None` when the result does not fit in an `i64`.
    pub fn checked_of(self, amount: i64) -> Option<i64> {
        self.apply(amount, Rounding::HalfAwayFromZero)
    }

    /// This percentage of `amount`, rounded as asked.
    pub(crate) fn apply(self, amount: i64, rounding: Rounding) -> Option<i64> {
        let product = i128::from(amount) * i128::from(self.0);
        let quotient = product.div_euclid(BP_PER_WHOLE);
        let remainder = product.rem_euclid(BP_PER_WHOLE); // 0 ≤ remainder < 10 000
        let rounded = match rounding {
            Rounding::Down => quotient,
            Rounding::Up => quotient + i128::from(remainder != 0),
            Rounding::HalfAwayFromZero => {
                // `quotient` is the floor: for a negative product, exactly half rounds down
                // (away from zero); for a positive one, exactly half rounds up.
                let twice = 2 * remainder;
                if twice > BP_PER_WHOLE || (twice == BP_PER_WHOLE && product > 0) {
                    quotient + 1
                } else {
                    quotient
                }
            }
        };
        i64::try_from(rounded).ok()
    }

    /// `amount × (100 % + self)` rounded as asked: a bound above `amount`.
    pub(crate) fn above(self, amount: i64, rounding: Rounding) -> Option<i64> {
        amount.checked_add(self.apply(amount, rounding)?)
    }

    /// `amount × (100 % − self)` rounded as asked: a bound below `amount`.
    pub(crate) fn below(self, amount: i64, rounding: Rounding) -> Option<i64> {
        // Rounding the result one way is rounding the part taken off the other way.
        let taken = match rounding {
            Rounding::Up => Rounding::Down,
            Rounding::Down => Rounding::Up,
            Rounding::HalfAwayFromZero => Rounding::HalfAwayFromZero,
        };
        amount.checked_sub(self.apply(amount, taken)?)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / BP_PER_PERCENT;
        match self.0 % BP_PER_PERCENT {
            0 => write!(f, "{whole} %"),
            frac if frac % 10 == 0 => write!(f, "{whole}.{} %", frac / 10),
            frac => write!(f, "{whole}.{frac:02} %"),
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_multiple_of(BP_PER_PERCENT) {
            s.serialize_u32(self.0 / BP_PER_PERCENT)
        } else {
            // A number of hundredths: the nearest double prints back as the same two decimals.
            s.serialize_f64(f64::from(self.0) / f64::from(BP_PER_PERCENT))
        }
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PercentVisitor)
    }
}

struct PercentVisitor;

impl PercentVisitor {
    fn whole<E: serde::de::Error>(percent: u64) -> Result<Percent, E> {
        percent
            .checked_mul(u64::from(BP_PER_PERCENT))
            .filter(|bp| *bp <= u64::from(Percent::MAX.0))
            .and_then(|bp| u32::try_from(bp).ok())
            .map(Percent)
            .ok_or_else(|| E::custom(format!("{percent} % is above the maximum of 1000 %")))
    }
}

impl serde::de::Visitor<'_> for PercentVisitor {
    type Value = Percent;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number of percent from 0 to 1000 with at most two decimals")
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Percent, E> {
        Self::whole(v)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Percent, E> {
        match u64::try_from(v) {
            Ok(v) => Self::whole(v),
            Err(_) => Err(E::custom(format!("{v} %: a percentage cannot be negative"))),
        }
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Percent, E> {
        if !v.is_finite() {
            return Err(E::custom("a percentage must be a finite number"));
        }
        if v < 0.0 {
            return Err(E::custom(format!("{v} %: a percentage cannot be negative")));
        }
        if v > 1_000.0 {
            return Err(E::custom(format!("{v} % is above the maximum of 1000 %")));
        }
        let hundredths = v * f64::from(BP_PER_PERCENT);
        let rounded = hundredths.round();
        // Decimal text with two decimals parses to a double within far less than 1e-6 of a
        // whole number of hundredths; a third decimal is at least 0.1 away.
        if (hundredths - rounded).abs() > 1e-6 {
            return Err(E::custom(format!(
                "{v} %: a percentage has at most two decimals"
            )));
        }
        // 0 ≤ rounded ≤ 100 000, so the conversion is exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(Percent(rounded as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero() {
        let five = Percent::from_bp(500);
        assert_eq!(five.of(1_490), 75); // 74.5
        assert_eq!(five.of(-1_490), -75);
        assert_eq!(five.of(1_489), 74); // 74.45
        assert_eq!(five.of(1_491), 75); // 74.55
        assert_eq!(five.of(-1_489), -74);
        assert_eq!(Percent::from_bp(1).of(5_000), 1); // 0.5
        assert_eq!(Percent::from_bp(1).of(4_999), 0);
        assert_eq!(Percent::from_bp(1).of(-5_000), -1);
        assert_eq!(Percent::ZERO.of(i64::MAX), 0);
        assert_eq!(Percent::HUNDRED.of(i64::MIN), i64::MIN);
        assert_eq!(Percent::from_bp(20_000).checked_of(i64::MAX), None);
        assert_eq!(Percent::from_bp(20_000).of(i64::MAX), i64::MAX);
        assert_eq!(Percent::from_bp(20_000).of(i64::MIN), i64::MIN);
    }

    #[test]
    fn bounds_round_inwards() {
        let fifteen = Percent::from_bp(1_500);
        // 8 261 × 1.15 = 9 500.15 → a floor rounds up.
        assert_eq!(fifteen.above(8_261, Rounding::Up), Some(9_501));
        assert_eq!(fifteen.above(8_261, Rounding::Down), Some(9_500));
        // 999 × 0.85 = 849.15
        assert_eq!(fifteen.below(999, Rounding::Up), Some(850));
        assert_eq!(fifteen.below(999, Rounding::Down), Some(849));
        assert_eq!(fifteen.below(1_000, Rounding::Up), Some(850));
    }

    #[test]
    fn serde_is_a_number_of_percent() {
        let p: Percent = serde_json::from_str("12.5").expect("12.5");
        assert_eq!(p.bp(), 1_250);
        assert_eq!(serde_json::to_string(&p).expect("json"), "12.5");
        let p: Percent = serde_json::from_str("8").expect("8");
        assert_eq!(p.bp(), 800);
        assert_eq!(serde_json::to_string(&p).expect("json"), "8");
        let p: Percent = serde_json::from_str("8.07").expect("8.07");
        assert_eq!(p.bp(), 807);
        assert_eq!(serde_json::to_string(&p).expect("json"), "8.07");
        let p: Percent = serde_json::from_str("1000").expect("1000");
        assert_eq!(p, Percent::MAX);
        for bad in ["-1", "-0.5", "12.345", "1000.01", "1001", "\"5\"", "1e400"] {
            assert!(
                serde_json::from_str::<Percent>(bad).is_err(),
                "{bad} was accepted"
            );
        }
    }

    #[test]
    fn every_two_decimal_value_round_trips() {
        for bp in (0..=Percent::MAX.0).step_by(7) {
            let p = Percent::from_bp(bp);
            let json = serde_json::to_string(&p).expect("json");
            let back: Percent = serde_json::from_str(&json).expect("back");
            assert_eq!(back, p, "{json}");
        }
    }

    #[test]
    fn displays_the_shortest_exact_decimal() {
        assert_eq!(Percent::from_bp(1_250).to_string(), "12.5 %");
        assert_eq!(Percent::from_bp(800).to_string(), "8 %");
        assert_eq!(Percent::from_bp(25).to_string(), "0.25 %");
        assert_eq!(Percent::from_bp(640).to_string(), "6.4 %");
        assert_eq!(Percent::from_bp(666).to_string(), "6.66 %");
        assert_eq!(Percent::ZERO.to_string(), "0 %");
    }
}
