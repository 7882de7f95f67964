//! The limits an order is checked against, the same for every backend: each backend loads the
//! [`GrantState`] of every grant of the order's chain inside the order's transaction and asks
//! [`admit`] about each.

use b2a_model::Money;

use crate::{GrantState, LedgerError};

/// Longest chain of grants an order walks (its token's grant and its ancestors). Token
/// exchange never nests this deep; a longer chain is a loop or a corrupt store.
pub(crate) const MAX_CHAIN: usize = 16;

/// Seconds in the window of `max_orders_per_day`.
pub(crate) const DAY_SECONDS: i64 = 86_400;

/// Whether the grant described by `state` lets an order of `total` through: not revoked, priced
/// in its currency, within its per-order limit, its remaining budget and its daily count.
pub(crate) fn admit(state: &GrantState, total: Money) -> Result<(), LedgerError> {
    let grant = &state.grant;
    let limits = &grant.limits;
    if state.revoked_at.is_some() {
        return Err(LedgerError::GrantRevoked(grant.jti.clone()));
    }
    let has_amounts = limits.per_order.is_some() || limits.total.is_some();
    if limits.currency.is_some_and(|c| c != total.currency())
        || (limits.currency.is_none() && has_amounts)
    {
        // An amount without a currency cannot be compared: fail closed.
        return Err(LedgerError::LimitCurrencyMismatch {
            limit: limits.currency.map_or("none", |c| c.code()).to_owned(),
            order: total.currency().code().to_owned(),
        });
    }
    let money = |minor: u64| Money::new(saturating(minor), total.currency());
    if let Some(per_order) = limits.per_order.map(money)
        && total.amount() > per_order.amount()
    {
        return Err(LedgerError::PerOrderLimitExceeded {
            limit: per_order,
            total,
        });
    }
    if let Some(limit) = limits.total.map(money) {
        let remaining = limit
            .amount()
            .saturating_sub(saturating(state.spent))
            .max(0);
        if total.amount() > remaining {
            return Err(LedgerError::BudgetExceeded {
                jti: grant.jti.clone(),
                limit,
                remaining: Money::new(remaining, total.currency()),
                requested: total,
            });
        }
    }
    if let Some(limit) = limits.max_orders_per_day
        && state.orders_last_24h >= limit
    {
        return Err(LedgerError::DailyOrderLimitReached { limit });
    }
    Ok(())
}

/// Minor units as stored: a limit beyond `i64::MAX` is no limit at all.
pub(crate) fn saturating(minor: u64) -> i64 {
    i64::try_from(minor).unwrap_or(i64::MAX)
}
