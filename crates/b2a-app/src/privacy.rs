//! Personal data in the vault: fulfilment details sealed with their owner's key before they
//! reach the ledger (`b2a_trust::VaultKey`), opened for operators, and erased on request by
//! destroying the owner's key with the rows (crypto-shredding). The owner of an order's details
//! is its principal's pseudonym, or its agent when the order has no principal.

use b2a_ledger::{Actor, Erasure, LedgerError};
use b2a_model::{AgentId, Order, OrderId, Principal};
use b2a_trust::VaultKey;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Shop, ShopError};

/// Who owns personal data given for an order of `principal` placed by `agent`.
fn owner(principal: Option<&Principal>, agent: &AgentId) -> String {
    match principal {
        Some(p) => p.as_str().to_owned(),
        None => format!("agent:{agent}"),
    }
}

fn corrupt(e: impl std::fmt::Display) -> ShopError {
    ShopError::Ledger(LedgerError::Corrupt(e.to_string()))
}

/// What operators see of erased details.
fn erased() -> Value {
    json!({"erased": true})
}

impl Shop {
    /// `details` sealed for the owner of an order of `principal` by `agent` (its key made on
    /// first use).
    pub(crate) async fn seal_details(
        &self,
        principal: Option<&Principal>,
        agent: &AgentId,
        details: &Value,
    ) -> Result<Value, ShopError> {
        let owner = owner(principal, agent);
        let stored = self
            .ledger()
            .vault_key(&owner, VaultKey::generate().as_bytes())
            .await?;
        let key = VaultKey::from_bytes(&stored).map_err(corrupt)?;
        Ok(Value::String(
            key.seal(&owner, details.to_string().as_bytes()),
        ))
    }

    /// The fulfilment details of `order` as the vault holds them (`stored`), opened: `None`
    /// when it has none, `{"erased": true}` once erased.
    pub(crate) async fn open_details(
        &self,
        order: &Order,
        stored: Option<Value>,
    ) -> Result<Option<Value>, ShopError> {
        let sealed = match stored {
            None if order.fulfilment_ref.is_some() => return Ok(Some(erased())),
            None => return Ok(None),
            Some(Value::String(s)) if VaultKey::is_sealed(&s) => s,
            // Details stored before the vault was sealed.
            Some(plain) => return Ok(Some(plain)),
        };
        let owner = owner(order.principal.as_ref(), &order.agent);
        let Some(stored) = self.ledger().stored_vault_key(&owner).await? else {
            return Ok(Some(erased()));
        };
        let key = VaultKey::from_bytes(&stored).map_err(corrupt)?;
        match key.open(&owner, &sealed) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).map_err(corrupt)?)),
            // Sealed with a key erased and made anew since.
            Err(_) => Ok(Some(erased())),
        }
    }

    /// Retention: deletes the fulfilment details of the orders closed more than `retention` ago,
    /// each purge logged. Returns the orders purged.
    pub async fn purge_personal_data(
        &self,
        retention: std::time::Duration,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<Vec<OrderId>, ShopError> {
        let closed_before = now - retention;
        Ok(self
            .ledger()
            .purge_personal_data(closed_before, by, now)
            .await?)
    }

    /// Purges as [`Self::purge_personal_data`] every `every`, for as long as the task runs; a
    /// failure is logged and tried again at the next tick.
    pub async fn purge_every(self, retention: std::time::Duration, every: std::time::Duration) {
        let by = Actor {
            name: "system".into(),
            credential: String::new(),
        };
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match self
                .purge_personal_data(retention, &by, OffsetDateTime::now_utc())
                .await
            {
                Ok(purged) if !purged.is_empty() => {
                    tracing::info!(orders = purged.len(), "personal data purged (retention)");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "no retention purge this time"),
            }
        }
    }

    /// Erases everything personal held about `principal`: its vault key and rows, logged.
    pub async fn erase_principal(
        &self,
        principal: &Principal,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<Erasure, ShopError> {
        Ok(self.ledger().erase_principal(principal, by, now).await?)
    }
}
