//! What a capability token grants beyond its capabilities: spending limits, the person's consent
//! and the key it is bound to — and the rule that a token exchanged from another is never wider.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::{Capability, Currency, Money};

/// The spending limits of a grant. Amounts are minor units of `currency`.
///
/// Unknown members are refused (`deny_unknown_fields`): a limit this gateway does not know how
/// to enforce must fail closed, never be ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The currency of every amount; required as soon as one amount is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// The largest total of one order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_order: Option<u64>,
    /// The most all orders of this grant (and of every token exchanged from it) may spend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Orders whose total is above this wait for a person's approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_above: Option<u64>,
    /// Category slugs (with their descendants) the grant may buy in; absent means any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<BTreeSet<String>>,
    /// The most orders in any 24 hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_orders_per_day: Option<u32>,
}

/// The members `limits` may have, for the error that names an unknown one.
pub const LIMIT_NAMES: [&str; 6] = [
    "currency",
    "per_order",
    "total",
    "approval_above",
    "categories",
    "max_orders_per_day",
];

/// Why a set of limits, consent or capabilities is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct GrantViolation {
    /// The offending member, as a dotted path (`limits.total`, `cap`, `exp`).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl GrantViolation {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl Limits {
    /// Whether no limit is set.
    pub fn is_empty(&self) -> bool {
        *self == Limits::default()
    }

    fn amounts(&self) -> [(&'static str, Option<u64>); 3] {
        [
            ("per_order", self.per_order),
            ("total", self.total),
            ("approval_above", self.approval_above),
        ]
    }

    /// Checks the limits on their own: a currency when any amount is set, amounts that fit a
    /// 64-bit signed count, named categories, a positive daily count.
    pub fn validate(&self) -> Result<(), GrantViolation> {
        for (name, amount) in self.amounts() {
            if let Some(a) = amount {
                if self.currency.is_none() {
                    return Err(GrantViolation::new(
                        "limits.currency",
                        format!("required when limits.{name} is set"),
                    ));
                }
                if i64::try_from(a).is_err() {
                    return Err(GrantViolation::new(
                        format!("limits.{name}"),
                        "amount too large",
                    ));
                }
            }
        }
        if let Some(cats) = &self.categories
            && let Some(bad) = cats.iter().find(|c| !is_slug(c))
        {
            return Err(GrantViolation::new(
                "limits.categories",
                format!("`{bad}` is not a category slug (lower-case letters, digits and `-`)"),
            ));
        }
        if self.max_orders_per_day == Some(0) {
            return Err(GrantViolation::new(
                "limits.max_orders_per_day",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// Checks that `self` (a child's limits) is no wider than `parent`'s: same currency, every
    /// amount and count lower or equal, categories a subset. A limit the parent sets must be
    /// set by the child too.
    pub fn check_within(&self, parent: &Limits) -> Result<(), GrantViolation> {
        if parent.currency.is_some() && self.currency != parent.currency {
            return Err(GrantViolation::new(
                "limits.currency",
                format!("must stay {}", parent.currency.map_or("", |c| c.code())),
            ));
        }
        for ((name, mine), (_, theirs)) in self.amounts().into_iter().zip(parent.amounts()) {
            wider_number(name, mine, theirs)?;
        }
        wider_number(
            "max_orders_per_day",
            self.max_orders_per_day,
            parent.max_orders_per_day,
        )?;
        if let Some(theirs) = &parent.categories {
            match &self.categories {
                None => {
                    return Err(GrantViolation::new(
                        "limits.categories",
                        "the parent token is limited to some categories; name a subset of them",
                    ));
                }
                Some(mine) => {
                    if let Some(extra) = mine.difference(theirs).next() {
                        return Err(GrantViolation::new(
                            "limits.categories",
                            format!("`{extra}` is not among the parent token's categories"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The limits of a child that asks for `requested`: whatever it does not set is inherited.
    pub fn narrowed(&self, requested: &Limits) -> Limits {
        Limits {
            currency: requested.currency.or(self.currency),
            per_order: requested.per_order.or(self.per_order),
            total: requested.total.or(self.total),
            approval_above: requested.approval_above.or(self.approval_above),
            categories: requested
                .categories
                .clone()
                .or_else(|| self.categories.clone()),
            max_orders_per_day: requested.max_orders_per_day.or(self.max_orders_per_day),
        }
    }

    /// `amount` in this grant's currency, when it has one.
    pub fn money(&self, amount: Option<u64>) -> Option<Money> {
        let currency = self.currency?;
        Some(Money::new(i64::try_from(amount?).ok()?, currency))
    }
}

fn wider_number<T: PartialOrd + std::fmt::Display + Copy>(
    name: &str,
    mine: Option<T>,
    theirs: Option<T>,
) -> Result<(), GrantViolation> {
    match (mine, theirs) {
        (_, None) => Ok(()),
        (None, Some(t)) => Err(GrantViolation::new(
            format!("limits.{name}"),
            format!("the parent token sets {t}; set it to {t} or less"),
        )),
        (Some(m), Some(t)) if m > t => Err(GrantViolation::new(
            format!("limits.{name}"),
            format!("{m} is above the parent token's {t}"),
        )),
        _ => Ok(()),
    }
}

fn is_slug(s: &str) -> bool {
    (1..=100).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// What the person agreed to share with the brand through this token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// Purposes, e.g. `order_fulfilment`, `loyalty_pricing`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub purposes: BTreeSet<String>,
    /// Attributes the pricing engine may read, e.g. `loyalty_tier`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub attributes: BTreeSet<String>,
}

impl Consent {
    /// Whether nothing is consented.
    pub fn is_empty(&self) -> bool {
        self.purposes.is_empty() && self.attributes.is_empty()
    }

    /// Checks that `self` consents to nothing `parent` does not.
    pub fn check_within(&self, parent: &Consent) -> Result<(), GrantViolation> {
        for (name, mine, theirs) in [
            ("purposes", &self.purposes, &parent.purposes),
            ("attributes", &self.attributes, &parent.attributes),
        ] {
            if let Some(extra) = mine.difference(theirs).next() {
                return Err(GrantViolation::new(
                    format!("consent.{name}"),
                    format!("`{extra}` was not consented to in the parent token"),
                ));
            }
        }
        Ok(())
    }
}

/// Proof-of-possession binding (RFC 7800 `cnf`): the token is usable only with DPoP proofs
/// signed by the key with this RFC 7638 thumbprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// Base64url SHA-256 JWK thumbprint of the holder's public key.
    pub jkt: String,
}

/// Checks that every capability of `child` is in `parent`.
pub fn check_capabilities_within(
    child: &[Capability],
    parent: &[Capability],
) -> Result<(), GrantViolation> {
    match child.iter().find(|c| !parent.contains(c)) {
        Some(c) => Err(GrantViolation::new(
            "cap",
            format!("`{c}` is not among the parent token's capabilities"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(per_order: u64, total: u64) -> Limits {
        Limits {
            currency: Some(Currency::EUR),
            per_order: Some(per_order),
            total: Some(total),
            ..Limits::default()
        }
    }

    #[test]
    fn unknown_limits_are_refused() {
        let err = serde_json::from_str::<Limits>(r#"{"currency":"EUR","per_merchant":5}"#);
        assert!(err.is_err_and(|e| e.to_string().contains("per_merchant")));
    }

    #[test]
    fn amounts_need_a_currency() {
        let l = Limits {
            total: Some(100),
            ..Limits::default()
        };
        assert_eq!(
            l.validate().map_err(|e| e.field),
            Err("limits.currency".into())
        );
        assert!(eur(10, 100).validate().is_ok());
        let zero = Limits {
            max_orders_per_day: Some(0),
            ..Limits::default()
        };
        assert!(zero.validate().is_err());
        let bad_cat = Limits {
            categories: Some(["Coats".to_owned()].into()),
            ..Limits::default()
        };
        assert!(bad_cat.validate().is_err());
    }

    #[test]
    fn a_child_may_only_narrow() {
        let parent = Limits {
            categories: Some(["coats".to_owned(), "boots".to_owned()].into()),
            max_orders_per_day: Some(5),
            ..eur(20_000, 30_000)
        };
        let asked = Limits {
            total: Some(10_000),
            ..Limits::default()
        };
        let child = parent.narrowed(&asked);
        assert_eq!(child.total, Some(10_000));
        assert_eq!(child.per_order, Some(20_000), "inherited");
        assert!(child.check_within(&parent).is_ok());

        let wider = parent.narrowed(&Limits {
            total: Some(30_001),
            ..Limits::default()
        });
        assert_eq!(
            wider.check_within(&parent).map_err(|e| e.field),
            Err("limits.total".into())
        );
        let other_cat = parent.narrowed(&Limits {
            categories: Some(["bags".to_owned()].into()),
            ..Limits::default()
        });
        assert_eq!(
            other_cat.check_within(&parent).map_err(|e| e.field),
            Err("limits.categories".into())
        );
        let more_orders = parent.narrowed(&Limits {
            max_orders_per_day: Some(6),
            ..Limits::default()
        });
        assert!(more_orders.check_within(&parent).is_err());
        // Dropping a limit the parent sets is widening.
        let unlimited = Limits {
            currency: Some(Currency::EUR),
            ..Limits::default()
        };
        assert!(unlimited.check_within(&parent).is_err());
        // Anything is within an unlimited parent.
        assert!(parent.check_within(&Limits::default()).is_ok());
    }

    #[test]
    fn consent_and_capabilities_may_only_narrow() {
        let parent = Consent {
            purposes: ["order_fulfilment".to_owned()].into(),
            attributes: ["loyalty_tier".to_owned()].into(),
        };
        assert!(Consent::default().check_within(&parent).is_ok());
        let more = Consent {
            attributes: ["birth_date".to_owned()].into(),
            ..Consent::default()
        };
        assert_eq!(
            more.check_within(&parent).map_err(|e| e.field),
            Err("consent.attributes".into())
        );
        use Capability::*;
        assert!(check_capabilities_within(&[CatalogRead], &[CatalogRead, OrdersWrite]).is_ok());
        assert!(check_capabilities_within(&[OrdersWrite], &[CatalogRead]).is_err());
    }
}
