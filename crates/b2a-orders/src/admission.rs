//! Admission: the limits an order is checked against, grant by grant of its token's chain.

use b2a_model::Money;

use crate::{GrantState, LedgerError};

/// Longest chain of grants an order walks (its token's grant and its ancestors). Token
/// exchange never nests this deep; a longer chain is a loop or a corrupt store.
pub const MAX_CHAIN: usize = 16;

/// Seconds in the window of `max_orders_per_day`.
pub const DAY_SECONDS: i64 = 86_400;

/// Whether the grant described by `state` lets an order of `total` through: not revoked, priced
/// in its currency, within its per-order limit, its remaining budget and its daily count.
pub fn admit(state: &GrantState, total: Money) -> Result<(), LedgerError> {
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

/// The states of the grant `jti` and of every grant it was exchanged from, nearest first,
/// `state_of` telling each (`None`: the ledger does not know it).
pub fn chain<'s>(
    jti: &str,
    state_of: impl Fn(&str) -> Option<&'s GrantState>,
) -> Result<Vec<GrantState>, LedgerError> {
    let mut links = Vec::new();
    let mut next = Some(jti);
    while let Some(link) = next {
        if links.len() == MAX_CHAIN {
            return Err(LedgerError::Corrupt(format!(
                "token {jti} has more than {MAX_CHAIN} ancestors"
            )));
        }
        let state = state_of(link).ok_or_else(|| LedgerError::GrantNotFound(link.to_owned()))?;
        next = state.grant.parent.as_deref();
        links.push(state.clone());
    }
    Ok(links)
}

/// Minor units as stored: a limit beyond `i64::MAX` is no limit at all.
pub fn saturating(minor: u64) -> i64 {
    i64::try_from(minor).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use b2a_model::{AgentId, Currency, Limits, Role};
    use time::macros::datetime;

    use super::*;
    use crate::GrantRecord;

    fn state(jti: &str, parent: Option<&str>, limits: Limits) -> GrantState {
        GrantState {
            grant: GrantRecord {
                jti: jti.into(),
                parent: parent.map(Into::into),
                agent: AgentId::parse("agent-1").expect("agent id"),
                role: Role::Agent,
                principal: None,
                limits,
                issued_at: datetime!(2026-11-21 08:00 UTC),
                expires_at: datetime!(2026-11-22 08:00 UTC),
            },
            revoked_at: None,
            spent: 0,
            orders_last_24h: 0,
        }
    }

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    fn limits(per_order: Option<u64>, total: Option<u64>, per_day: Option<u32>) -> Limits {
        Limits {
            currency: Some(Currency::EUR),
            per_order,
            total,
            max_orders_per_day: per_day,
            ..Limits::default()
        }
    }

    #[test]
    fn each_limit_refuses_with_its_own_error() {
        let free = state("g", None, Limits::default());
        assert!(admit(&free, eur(1_000_000)).is_ok());

        let capped = state("g", None, limits(Some(100), None, None));
        assert!(
            admit(&capped, eur(100)).is_ok(),
            "the limit itself is allowed"
        );
        assert!(matches!(
            admit(&capped, eur(101)),
            Err(LedgerError::PerOrderLimitExceeded { .. })
        ));

        let mut budget = state("g", None, limits(None, Some(500), None));
        budget.spent = 450;
        assert!(admit(&budget, eur(50)).is_ok());
        match admit(&budget, eur(51)) {
            Err(LedgerError::BudgetExceeded { remaining, .. }) => assert_eq!(remaining, eur(50)),
            other => panic!("expected budget_exceeded, got {other:?}"),
        }

        let mut daily = state("g", None, limits(None, None, Some(2)));
        daily.orders_last_24h = 2;
        assert!(matches!(
            admit(&daily, eur(1)),
            Err(LedgerError::DailyOrderLimitReached { limit: 2 })
        ));

        let mut revoked = state("g", None, Limits::default());
        revoked.revoked_at = Some(datetime!(2026-11-21 09:00 UTC));
        assert!(matches!(
            admit(&revoked, eur(1)),
            Err(LedgerError::GrantRevoked(_))
        ));
    }

    #[test]
    fn amounts_without_a_currency_fail_closed() {
        let no_currency = state(
            "g",
            None,
            Limits {
                per_order: Some(100),
                ..Limits::default()
            },
        );
        assert!(matches!(
            admit(&no_currency, eur(1)),
            Err(LedgerError::LimitCurrencyMismatch { .. })
        ));
        let usd = state("g", None, limits(Some(100), None, None));
        assert!(matches!(
            admit(&usd, Money::new(1, Currency::parse("USD").expect("USD"))),
            Err(LedgerError::LimitCurrencyMismatch { .. })
        ));
    }

    #[test]
    fn a_chain_is_walked_to_its_root_and_never_forever() {
        let grants = [
            state("child", Some("parent"), Limits::default()),
            state("parent", Some("root"), Limits::default()),
            state("root", None, Limits::default()),
        ];
        let find = |jti: &str| grants.iter().find(|g| g.grant.jti == jti);
        let links = chain("child", find).expect("chain");
        let names: Vec<&str> = links.iter().map(|l| l.grant.jti.as_str()).collect();
        assert_eq!(names, ["child", "parent", "root"]);

        assert!(matches!(
            chain("orphan", find),
            Err(LedgerError::GrantNotFound(j)) if j == "orphan"
        ));
        let looped = [
            state("a", Some("b"), Limits::default()),
            state("b", Some("a"), Limits::default()),
        ];
        let find = |jti: &str| looped.iter().find(|g| g.grant.jti == jti);
        assert!(matches!(chain("a", find), Err(LedgerError::Corrupt(_))));
    }
}
