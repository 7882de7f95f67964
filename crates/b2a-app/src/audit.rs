//! The auditor's operations on the audit log: signed checkpoints, entries filtered, inclusion
//! and consistency proofs, and the trail of one order with every entry proven against one
//! signed checkpoint — a bundle `b2a audit verify-bundle` checks alone.
//!
//! Proofs are computed from the perfect nodes the ledger stores (`b2a_audit::merkle`): each
//! proof reads the few nodes it needs in one query (the ledger stores the nodes of the newest
//! entries first when some are missing).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use b2a_audit::checkpoint::{Checkpoint, SignedCheckpoint};
use b2a_audit::merkle::{
    Hash, NodeId, consistency_ranges, empty_root, inclusion_ranges, range_hash, range_nodes,
};
use b2a_audit::verify::{Bundle, ProvenEntry, encode_hash};
use b2a_ledger::{AuditQuery, AuditStore, StoredEntry};
use b2a_model::OrderId;
use b2a_trust::AuditKey;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::ShopError;

/// The most entries a trail holds (an order's story is a few dozen entries).
const MAX_TRAIL: u32 = 1_000;

/// The audit log as auditors see it, and the key that signs its checkpoints.
#[derive(Debug, Clone)]
pub struct AuditLog {
    ledger: Arc<dyn AuditStore>,
    key: AuditKey,
    origin: String,
}

/// A page of entries, as served.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryPage {
    /// The entries, oldest first, each its stored JSON.
    pub items: Vec<Value>,
    /// The sequence number the next page starts at, when there may be more.
    pub next_cursor: Option<String>,
}

/// An inclusion proof: entry `seq` is in the tree of the first `size` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InclusionProof {
    /// The entry.
    pub seq: u64,
    /// The tree's size.
    pub size: u64,
    /// Base64 of the entry's leaf hash.
    pub leaf_hash: String,
    /// Base64 of the tree's root.
    pub root_hash: String,
    /// Base64 hashes, nearest the leaf first (RFC 9162, 2.1.3).
    pub proof: Vec<String>,
}

/// A consistency proof: the tree of the first `from` entries is a prefix of the tree of `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsistencyProof {
    /// The smaller size.
    pub from: u64,
    /// The larger size.
    pub to: u64,
    /// Base64 of the root at `from`.
    pub from_root: String,
    /// Base64 of the root at `to`.
    pub to_root: String,
    /// Base64 hashes (RFC 9162, 2.1.4).
    pub proof: Vec<String>,
}

impl AuditLog {
    /// The log of `ledger`, its checkpoints named `origin` and signed with `key`.
    pub fn new(ledger: Arc<dyn AuditStore>, key: AuditKey, origin: impl Into<String>) -> Self {
        Self {
            ledger,
            key,
            origin: origin.into(),
        }
    }

    /// The key that signs checkpoints (its public half goes in the JWK Set).
    pub fn key(&self) -> &AuditKey {
        &self.key
    }

    /// The checkpoints' origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The newest kept checkpoint; one is made now if none was kept yet.
    pub async fn checkpoint(&self, now: OffsetDateTime) -> Result<SignedCheckpoint, ShopError> {
        match self.ledger.latest_checkpoint().await? {
            Some(kept) => Ok(kept),
            None => self.make_checkpoint(now).await,
        }
    }

    /// Signs the log's head now and keeps the checkpoint — unless the newest kept one is of that
    /// size already, which is returned. (The periodic task and `POST /v1/audit/checkpoint`.)
    pub async fn make_checkpoint(
        &self,
        now: OffsetDateTime,
    ) -> Result<SignedCheckpoint, ShopError> {
        let head = self.ledger.audit_head().await?;
        if let Some(kept) = self.ledger.latest_checkpoint().await?
            && kept.size >= head.size
        {
            return Ok(kept);
        }
        let signed = Checkpoint {
            origin: self.origin.clone(),
            size: head.size,
            root: head.root,
        }
        .sign(self.key.signing_key(), self.key.kid());
        self.ledger.store_checkpoint(&signed, now).await?;
        Ok(signed)
    }

    /// Signs the head every `every` when the log grew ([`Self::make_checkpoint`]), for as long
    /// as the task runs; a failure is logged and tried again at the next tick.
    pub async fn checkpoint_every(self: Arc<Self>, every: std::time::Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.make_checkpoint(OffsetDateTime::now_utc()).await {
                tracing::warn!(error = %e, "no audit checkpoint this time");
            }
        }
    }

    /// Indexes the entries appended since the last tick — their leaves, the tree's nodes and
    /// what auditors filter by —, every `every`, for as long as the task runs: the order's own
    /// transaction writes only the entry's number and bytes, and a filtered read, a proof or a
    /// checkpoint then has little left to catch up. A failure is logged and tried again at the
    /// next tick.
    pub async fn index_every(self: Arc<Self>, every: std::time::Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.ledger.index_audit().await {
                tracing::warn!(error = %e, "the audit index is behind this time");
            }
        }
    }

    /// Every kept checkpoint, smallest first (an export).
    pub async fn checkpoints(&self) -> Result<Vec<SignedCheckpoint>, ShopError> {
        Ok(self.ledger.checkpoints().await?)
    }

    /// The entries `query` selects.
    pub async fn entries(&self, query: &AuditQuery) -> Result<EntryPage, ShopError> {
        let stored = self.ledger.audit_entries(query).await?;
        let next_cursor = if stored.len() == query.limit as usize {
            stored.last().map(|e| (e.seq + 1).to_string())
        } else {
            None
        };
        Ok(EntryPage {
            items: stored.iter().map(served).collect::<Result<_, _>>()?,
            next_cursor,
        })
    }

    /// The entries as stored (the bytes of their leaves), from `from_seq`, at most `limit`.
    pub async fn stored_entries(
        &self,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, ShopError> {
        let query = AuditQuery {
            from_seq,
            limit,
            ..AuditQuery::default()
        };
        Ok(self.ledger.audit_entries(&query).await?)
    }

    /// The inclusion proof of entry `seq` in the tree of `size` entries — by default the size of
    /// the newest checkpoint, whose root the proof then leads to.
    pub async fn inclusion(
        &self,
        seq: u64,
        size: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<InclusionProof, ShopError> {
        let head = self.ledger.audit_size().await?;
        let size = match size {
            Some(size) => size,
            None => self.checkpoint(now).await?.size,
        };
        if size > head {
            return Err(ShopError::AuditSizeBeyondLog {
                field: "size",
                size,
                head,
            });
        }
        if seq >= size {
            return Err(ShopError::AuditEntryNotFound { seq, size });
        }
        let entry = self.entry(seq).await?;
        let ranges = inclusion_ranges(seq, size).unwrap_or_default();
        let nodes = self.nodes(&ranges, size).await?;
        Ok(InclusionProof {
            seq,
            size,
            leaf_hash: encode_hash(&b2a_audit::merkle::leaf_hash(entry.body.as_bytes())),
            root_hash: encode_hash(&nodes.root),
            proof: nodes.hashes.iter().map(encode_hash).collect(),
        })
    }

    /// The consistency proof from the tree of `from` entries to the tree of `to` — by default
    /// the size of the newest checkpoint.
    pub async fn consistency(
        &self,
        from: u64,
        to: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<ConsistencyProof, ShopError> {
        let head = self.ledger.audit_size().await?;
        let to = match to {
            Some(to) => to,
            None => self.checkpoint(now).await?.size,
        };
        if to > head {
            return Err(ShopError::AuditSizeBeyondLog {
                field: "to",
                size: to,
                head,
            });
        }
        if from > to {
            return Err(ShopError::AuditSizeBeyondLog {
                field: "from",
                size: from,
                head: to,
            });
        }
        let ranges = consistency_ranges(from, to).unwrap_or_default();
        let mut all = ranges.clone();
        if from > 0 {
            all.push((0, from));
        }
        let nodes = self.nodes(&all, to).await?;
        let (proof, from_root) = nodes.hashes.split_at(ranges.len());
        let from_root = from_root.first().copied().unwrap_or_else(empty_root);
        Ok(ConsistencyProof {
            from,
            to,
            from_root: encode_hash(&from_root),
            to_root: encode_hash(&nodes.root),
            proof: proof.iter().map(encode_hash).collect(),
        })
    }

    /// The whole story of order `id`, each entry with its inclusion proof in one signed
    /// checkpoint (made now if the newest does not cover every entry of the trail): the quote's
    /// versions, counters and acceptance, the order's placement and every later transition,
    /// and the issue, exchange or revocation of each token of the chain it was charged to.
    pub async fn trail(&self, id: &OrderId, now: OffsetDateTime) -> Result<Bundle, ShopError> {
        let about = |subject: &str| AuditQuery {
            subject: Some(subject.to_owned()),
            limit: MAX_TRAIL,
            ..AuditQuery::default()
        };
        // Each entry parsed once, by sequence number.
        let mut found: BTreeMap<u64, Value> = BTreeMap::new();
        for stored in self.ledger.audit_entries(&about(id.as_str())).await? {
            found.insert(stored.seq, served(&stored)?);
        }
        if found.is_empty() {
            return Err(ShopError::OrderNotFound(id.clone()));
        }
        // The placement names the order's quote, then every token of its chain.
        let mut related: Vec<(String, bool)> = Vec::new();
        for entry in found.values() {
            if entry["action"] == "order.placed"
                && let Some(subjects) = entry["subjects"].as_array()
            {
                for (i, s) in subjects.iter().enumerate().skip(1) {
                    if let Some(s) = s.as_str() {
                        related.push((s.to_owned(), i > 1));
                    }
                }
            }
        }
        for (subject, token) in related {
            for stored in self.ledger.audit_entries(&about(&subject)).await? {
                let entry = served(&stored)?;
                let action = entry["action"].as_str().unwrap_or_default();
                if !token || action.starts_with("token.") {
                    found.insert(stored.seq, entry);
                }
            }
        }
        let newest = found.keys().next_back().copied().unwrap_or_default();
        let mut checkpoint = self.checkpoint(now).await?;
        if checkpoint.size <= newest {
            checkpoint = self.make_checkpoint(now).await?;
        }
        // Every entry's proof from one read of the nodes they need.
        let size = checkpoint.size;
        let per_entry: Vec<Vec<(u64, u64)>> = found
            .keys()
            .map(|&seq| inclusion_ranges(seq, size).unwrap_or_default())
            .collect();
        let nodes = self.nodes(&per_entry.concat(), size).await?;
        let mut hashes = nodes.hashes.iter();
        let entries = found
            .into_values()
            .zip(&per_entry)
            .map(|(entry, ranges)| ProvenEntry {
                entry,
                proof: hashes
                    .by_ref()
                    .take(ranges.len())
                    .map(encode_hash)
                    .collect(),
            })
            .collect();
        Ok(Bundle {
            checkpoint,
            entries,
        })
    }

    async fn entry(&self, seq: u64) -> Result<StoredEntry, ShopError> {
        self.stored_entries(seq, 1)
            .await?
            .pop()
            .filter(|e| e.seq == seq)
            .ok_or_else(|| {
                ShopError::Ledger(b2a_ledger::LedgerError::Corrupt(format!(
                    "audit entry {seq} is missing"
                )))
            })
    }

    /// The hashes of `ranges` of the tree of `size` entries and that tree's root, from the
    /// stored nodes, read in one query.
    async fn nodes(&self, ranges: &[(u64, u64)], size: u64) -> Result<Hashes, ShopError> {
        let mut ids: Vec<NodeId> = ranges
            .iter()
            .flat_map(|&(start, end)| range_nodes(start, end))
            .chain(range_nodes(0, size))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let stored: HashMap<NodeId, Hash> = self.ledger.audit_nodes(&ids).await?;
        let node = |id: NodeId| stored.get(&id).copied();
        let missing = || {
            ShopError::Ledger(b2a_ledger::LedgerError::Corrupt(
                "a node of the audit tree is missing".into(),
            ))
        };
        let hashes = ranges
            .iter()
            .map(|&(start, end)| range_hash(start, end, node).ok_or_else(missing))
            .collect::<Result<Vec<_>, _>>()?;
        let root = if size == 0 {
            empty_root()
        } else {
            range_hash(0, size, node).ok_or_else(missing)?
        };
        Ok(Hashes { hashes, root })
    }
}

/// Hashes of a proof's ranges, and the root of the tree they belong to.
struct Hashes {
    hashes: Vec<Hash>,
    root: Hash,
}

/// A stored entry as served: its JSON, every field as stored.
fn served(stored: &StoredEntry) -> Result<Value, ShopError> {
    serde_json::from_str(&stored.body).map_err(|e| {
        ShopError::Ledger(b2a_ledger::LedgerError::Corrupt(format!(
            "audit entry {}: {e}",
            stored.seq
        )))
    })
}
