//! Personal data in the vault: fulfilment details sealed with their owner's key before they
//! reach the ledger (`b2a_trust::VaultKey`), opened for operators, and erased on request by
//! destroying the owner's key with the rows (crypto-shredding). The owner of an order's details
//! is its principal's pseudonym, or its agent when the order has no principal.

use std::collections::BTreeMap;

use b2a_ledger::{Actor, AuditQuery, Erasure, LedgerError};
use b2a_model::{AgentId, Order, OrderId, Principal, QuoteId};
use b2a_trust::VaultKey;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Shop, ShopError};

/// The most orders, and the most audit entries, one access export holds.
const EXPORT_LIMIT: u32 = 10_000;

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
    /// first use), and the salted commitment of each of its fields for the audit entry: proof of
    /// what they were while the owner's salt exists, nothing once it is erased.
    pub(crate) async fn seal_details(
        &self,
        principal: Option<&Principal>,
        agent: &AgentId,
        details: &Value,
    ) -> Result<(Value, BTreeMap<String, String>), ShopError> {
        let owner = owner(principal, agent);
        let stored = self
            .vault()
            .vault_key(&owner, VaultKey::generate().as_bytes())
            .await?;
        let key = VaultKey::from_bytes(&stored).map_err(corrupt)?;
        let salt = key.salt();
        let commitments = details
            .as_object()
            .map(|fields| {
                fields
                    .iter()
                    .map(|(name, value)| {
                        // A field's value as its text (an address, a list of lines, as its JSON).
                        let text = value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned);
                        (name.clone(), b2a_audit::entry::commit(&salt, name, &text))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let sealed = Value::String(key.seal(&owner, details.to_string().as_bytes()));
        Ok((sealed, commitments))
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
        let Some(stored) = self.vault().stored_vault_key(&owner).await? else {
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
            .vault()
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

    /// Everything held about `principal` (an access request): its orders with their fulfilment
    /// details (opened while they exist), the quotes made for it, and the audit entries naming
    /// its pseudonym.
    pub async fn principal_export(
        &self,
        principal: &Principal,
        now: OffsetDateTime,
    ) -> Result<Value, ShopError> {
        let mut orders = Vec::new();
        for order in self
            .vault()
            .orders_of_principal(principal, EXPORT_LIMIT)
            .await?
        {
            let stored = self.vault().fulfilment(&order.id).await?;
            let fulfilment = self.open_details(&order, stored).await?;
            orders.push(json!({"order": order, "fulfilment": fulfilment}));
        }
        let query = AuditQuery {
            principal: Some(principal.as_str().to_owned()),
            limit: EXPORT_LIMIT,
            ..AuditQuery::default()
        };
        let entries = self
            .audit_store()
            .audit_entries(&query)
            .await?
            .iter()
            .map(|e| serde_json::from_str::<Value>(&e.body).map_err(corrupt))
            .collect::<Result<Vec<_>, _>>()?;
        // The quotes made for the principal, each as it stands now.
        let mut quotes = BTreeMap::new();
        for entry in &entries {
            let (Some("quote.created"), Some(id), Some(agent)) = (
                entry["action"].as_str(),
                entry["subjects"][0].as_str(),
                entry["actor"]
                    .as_str()
                    .and_then(|a| a.strip_prefix("agent:")),
            ) else {
                continue;
            };
            let (Ok(id), Ok(agent)) = (QuoteId::parse(id), AgentId::parse(agent)) else {
                continue;
            };
            if let Some(quote) = self.offers().quote(&id, &agent).await? {
                quotes.insert(id.as_str().to_owned(), json!(quote));
            }
        }
        let generated_at = now
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(corrupt)?;
        Ok(json!({
            "principal": principal,
            "generated_at": generated_at,
            "orders": orders,
            "quotes": quotes.into_values().collect::<Vec<_>>(),
            "audit_entries": entries,
        }))
    }

    /// Erases everything personal held about `principal`: its vault key and rows, logged.
    pub async fn erase_principal(
        &self,
        principal: &Principal,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<Erasure, ShopError> {
        Ok(self.vault().erase_principal(principal, by, now).await?)
    }
}
