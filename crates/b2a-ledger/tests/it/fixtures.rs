//! Fixtures of the conformance suite: quotes, grants, agents, order commands, audit records and
//! snapshots.

use b2a_audit::entry::{Entry, Record};
use b2a_audit::merkle::{MemoryTree, inclusion_proof, inclusion_ranges, leaf_hash, range_nodes};
use b2a_ledger::{
    Actor, AgentRecord, AgentStatus, AuditQuery, GrantRecord, Ledger, LedgerError, PlaceOrder,
    StoredEntry,
};
use b2a_ledger::{NewQuote, RiskRules};
use b2a_model::{
    AgentId, CountryCode, Currency, Delivery, Limits, Money, NegotiationState, Quantity, Quote,
    QuoteId, QuoteLine, QuoteStatus, Role, Sku, Speed,
};
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The credential quotes are created with.
pub(crate) const QUOTE_JTI: &str = "jti-test";
/// The credential orders are placed with.
pub(crate) const ORDER_JTI: &str = "jti-order";

/// When every fixture quote is made.
pub(crate) const CREATED: OffsetDateTime = datetime!(2026-11-21 08:00 UTC);

/// When every fixture quote expires.
pub(crate) fn expires() -> OffsetDateTime {
    CREATED + Duration::minutes(15)
}

/// The instant orders are placed at: inside the quotes' validity.
pub(crate) fn now() -> OffsetDateTime {
    CREATED + Duration::minutes(5)
}

pub(crate) fn sku(text: &str) -> Sku {
    Sku::parse(text).expect("fixture SKU is valid")
}

pub(crate) fn agent(text: &str) -> AgentId {
    AgentId::parse(text).expect("fixture agent id is valid")
}

/// An accepted quote made to `to` for `lines` of `(sku, quantity)`, priced 10.00 EUR + 1.00 per
/// line index, delivered free.
pub(crate) fn quote(to: &str, lines: &[(&str, u32)]) -> Quote {
    let lines: Vec<QuoteLine> = lines
        .iter()
        .zip(0_i64..)
        .map(|(&(code, quantity), i)| {
            let unit_price = Money::new(1_000 + 100 * i, Currency::EUR);
            QuoteLine {
                sku: sku(code),
                name: format!("Product {code}"),
                quantity: Quantity::new(i64::from(quantity)).expect("fixture quantity is valid"),
                list_price: unit_price,
                unit_price,
                adjustments: Vec::new(),
                line_total: unit_price
                    .checked_mul(quantity)
                    .expect("fixture line total fits"),
            }
        })
        .collect();
    let total = lines
        .iter()
        .try_fold(Money::zero(Currency::EUR), |sum, l| {
            sum.checked_add(l.line_total)
        })
        .expect("fixture total fits");
    Quote {
        id: QuoteId::generate(),
        round: 0,
        status: QuoteStatus::Accepted,
        agent: agent(to),
        principal: None,
        lines,
        ship_to: CountryCode::parse("FR").expect("FR is a country code"),
        delivery: Delivery {
            zone: "fr".into(),
            speed: Speed::Standard,
            days: 3,
            price: Money::zero(Currency::EUR),
            reason: "Free standard delivery".into(),
        },
        subtotal: total,
        total,
        vat_included: true,
        policy_version: 0,
        negotiation: NegotiationState {
            max_rounds: 0,
            target: None,
            answer: None,
            reason: None,
        },
        created_at: CREATED,
        expires_at: expires(),
        signature: None,
    }
}

/// The same quote, still open (not accepted).
pub(crate) fn open_quote(to: &str, lines: &[(&str, u32)]) -> Quote {
    Quote {
        status: QuoteStatus::Open,
        ..quote(to, lines)
    }
}

/// A one-unit quote of `code` made to `to` at `price`.
pub(crate) fn quote_at(to: &str, code: &str, price: Money) -> Quote {
    let mut q = quote(to, &[(code, 1)]);
    q.lines[0].list_price = price;
    q.lines[0].unit_price = price;
    q.lines[0].line_total = price;
    q.subtotal = price;
    q.total = price;
    q
}

/// `q`, made again so that it is valid at `at` (created 5 minutes before, expiring 10 after).
pub(crate) fn valid_at(mut q: Quote, at: OffsetDateTime) -> Quote {
    q.created_at = at - Duration::minutes(5);
    q.expires_at = at + Duration::minutes(10);
    q
}

/// An amount in euro cents.
pub(crate) fn eur(cents: i64) -> Money {
    Money::new(cents, Currency::EUR)
}

/// Limits in euros: a budget of `total` cents, and a per-order limit if given.
pub(crate) fn eur_limits(total: u64, per_order: Option<u64>) -> Limits {
    Limits {
        currency: Some(Currency::EUR),
        total: Some(total),
        per_order,
        ..Limits::default()
    }
}

/// An agent token `jti` issued to `to` with `limits`, an hour before [`CREATED`], valid two days.
pub(crate) fn grant(jti: &str, to: &str, limits: Limits) -> GrantRecord {
    GrantRecord {
        jti: jti.into(),
        parent: None,
        agent: agent(to),
        role: Role::Agent,
        principal: None,
        limits,
        issued_at: CREATED - Duration::hours(1),
        expires_at: CREATED + Duration::days(2),
    }
}

/// A token `jti` exchanged from `parent`, with `limits`.
pub(crate) fn child(jti: &str, parent: &GrantRecord, limits: Limits) -> GrantRecord {
    GrantRecord {
        jti: jti.into(),
        parent: Some(parent.jti.clone()),
        issued_at: CREATED,
        expires_at: CREATED + Duration::days(1),
        limits,
        ..parent.clone()
    }
}

/// The command that orders `q` under `key`, with the fingerprint a client sending the same body
/// would produce, at [`now`], with a token without limits.
pub(crate) fn order_cmd(q: &Quote, key: &str) -> PlaceOrder {
    let unlimited = grant(ORDER_JTI, q.agent.as_str(), Limits::default());
    order_under(q, key, &unlimited)
}

/// [`order_cmd`] with the token of grant `g`.
pub(crate) fn order_under(q: &Quote, key: &str, g: &GrantRecord) -> PlaceOrder {
    PlaceOrder {
        quote_id: q.id.clone(),
        agent: q.agent.clone(),
        credential: g.jti.clone(),
        grant: g.clone(),
        idempotency_key: key.into(),
        fingerprint: format!("sha256:{}", q.id),
        now: now(),
        risk: RiskRules::default(),
        fulfilment: None,
        commitments: Default::default(),
    }
}

/// The operator acting on the registry and on grants.
pub(crate) fn operator() -> Actor {
    Actor {
        name: "operator:ops".into(),
        credential: "jti-ops".into(),
    }
}

/// The CLI on the host.
pub(crate) fn cli() -> Actor {
    Actor {
        name: "cli:root".into(),
        credential: String::new(),
    }
}

/// The registration of agent `id`, with one key and a personal contact address.
pub(crate) fn registration(id: &str) -> AgentRecord {
    AgentRecord {
        id: agent(id),
        name: format!("Agent {id}"),
        contact: format!("dev@{id}.example"),
        keys: vec![json!({"kty": "OKP", "crv": "Ed25519", "x": format!("key-of-{id}")})],
        status: AgentStatus::Active,
        registered_at: CREATED,
    }
}

/// Registers agent `id` by the operator.
pub(crate) async fn register(ledger: &dyn Ledger, id: &str) {
    ledger
        .register_agent(&registration(id), &operator())
        .await
        .expect("agent registers");
}

/// Sets the status of agent `id`, by the operator.
pub(crate) async fn set_status(ledger: &dyn Ledger, id: &str, status: AgentStatus) -> AgentRecord {
    ledger
        .set_agent_status(&agent(id), status, &operator())
        .await
        .expect("status is set")
}

/// Records `g` as issued by the operator.
pub(crate) async fn issue(ledger: &dyn Ledger, g: &GrantRecord) {
    ledger
        .record_grant(g, &operator())
        .await
        .expect("grant is recorded");
}

/// Revokes `jti` by the operator at [`now`].
pub(crate) async fn revoke(ledger: &dyn Ledger, jti: &str) -> GrantRecord {
    ledger
        .revoke_grant(jti, "key leaked", &operator(), now())
        .await
        .expect("grant is revoked")
}

/// The spend (minor units) and 24-hour order count of `jti` at `at`.
pub(crate) async fn usage(ledger: &dyn Ledger, jti: &str, at: OffsetDateTime) -> (u64, u32) {
    let state = ledger
        .grant_state(jti, at)
        .await
        .expect("grant state is readable")
        .unwrap_or_else(|| panic!("grant {jti} is recorded"));
    (state.spent, state.orders_last_24h)
}

/// The actions of the audit log, oldest first.
pub(crate) async fn actions(ledger: &dyn Ledger) -> Vec<String> {
    audit_log(ledger)
        .await
        .into_iter()
        .map(|e| e.record.action)
        .collect()
}

/// A stand-alone audit record (what token issuance or the CLI would append).
pub(crate) fn record(actor: &str, subject: &str) -> Record {
    Record {
        at: "2026-11-21T08:30:00Z".into(),
        actor: actor.into(),
        credential: String::new(),
        principal: None,
        action: "test.appended".into(),
        subjects: vec![subject.into()],
        payload: json!({"subject": subject, "nested": {"b": 2, "a": [1, 2]}}),
        commitments: Default::default(),
    }
}

/// A page of the audit log: up to `limit` entries from `from_seq`.
pub(crate) fn page(from_seq: u64, limit: u32) -> AuditQuery {
    AuditQuery {
        from_seq,
        limit,
        ..AuditQuery::default()
    }
}

/// The whole audit log as stored, oldest first, read page by page.
pub(crate) async fn stored_audit_log(ledger: &dyn Ledger) -> Vec<StoredEntry> {
    let mut all: Vec<StoredEntry> = Vec::new();
    loop {
        let from = all.last().map_or(0, |e| e.seq + 1);
        let page = ledger
            .audit_entries(&page(from, 16))
            .await
            .expect("audit entries are readable");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// An entry as stored, read back.
pub(crate) fn parsed(stored: &StoredEntry) -> Entry {
    let entry: Entry = serde_json::from_str(&stored.body).expect("a stored entry is an entry");
    assert_eq!(entry.seq, stored.seq, "the body's seq is the row's");
    assert_eq!(
        entry.canonical(),
        stored.body.as_bytes(),
        "the body is the entry's canonical JSON"
    );
    entry
}

/// The whole audit log, oldest first.
pub(crate) async fn audit_log(ledger: &dyn Ledger) -> Vec<Entry> {
    stored_audit_log(ledger).await.iter().map(parsed).collect()
}

/// The whole audit log, after checking it as an auditor would: entries numbered from 0 without
/// gap, the ledger's head the root of the tree of their bytes (computed here, independently of
/// the ledger's nodes), and every entry's inclusion proof from the ledger's stored nodes the
/// one that tree gives.
pub(crate) async fn verified_audit_log(ledger: &dyn Ledger) -> Vec<Entry> {
    let stored = stored_audit_log(ledger).await;
    let mut tree = MemoryTree::new();
    for (i, entry) in stored.iter().enumerate() {
        assert_eq!(
            entry.seq, i as u64,
            "entries are numbered from 0 without gap"
        );
        tree.push(leaf_hash(entry.body.as_bytes()));
    }
    let head = ledger.audit_head().await.expect("the head is readable");
    assert_eq!(head.size, tree.size(), "the head counts every entry");
    assert_eq!(
        head.root,
        tree.root(),
        "the head's root is the entries' tree's"
    );
    assert_proofs(ledger, &tree, 0..tree.size()).await;
    stored.iter().map(parsed).collect()
}

/// Asserts that the inclusion proof of each entry of `seqs` in the whole log, made from the
/// ledger's stored nodes, is the one `tree` (built independently from the entries' bytes) gives.
pub(crate) async fn assert_proofs(
    ledger: &dyn Ledger,
    tree: &MemoryTree,
    seqs: impl IntoIterator<Item = u64>,
) {
    let size = tree.size();
    for seq in seqs {
        let ids: Vec<_> = inclusion_ranges(seq, size)
            .expect("in the tree")
            .into_iter()
            .flat_map(|(start, end)| range_nodes(start, end))
            .collect();
        let nodes = ledger.audit_nodes(&ids).await.expect("nodes are readable");
        assert_eq!(
            inclusion_proof(seq, size, |id| nodes.get(&id).copied()),
            tree.inclusion_proof(seq, size),
            "entry {seq}: the proof from stored nodes"
        );
    }
}

/// What a refused operation must leave untouched.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    pub(crate) stock: Vec<(Sku, Option<u32>)>,
    pub(crate) orders: u64,
    pub(crate) audit: Vec<Entry>,
}

impl Snapshot {
    pub(crate) async fn take(ledger: &dyn Ledger, skus: &[&str]) -> Self {
        let mut stock = Vec::new();
        for code in skus {
            let s = sku(code);
            let level = ledger.stock(&s).await.expect("stock is readable");
            stock.push((s, level));
        }
        Self {
            stock,
            orders: ledger.order_count().await.expect("order count is readable"),
            audit: audit_log(ledger).await,
        }
    }
}

/// Units on hand of a stocked SKU.
pub(crate) async fn on_hand(ledger: &dyn Ledger, code: &str) -> u32 {
    ledger
        .stock(&sku(code))
        .await
        .expect("stock is readable")
        .unwrap_or_else(|| panic!("{code} is stocked"))
}

/// Seeds `levels` into an empty ledger, checking that every row was inserted.
pub(crate) async fn seed(ledger: &dyn Ledger, levels: &[(&str, u32)]) {
    let levels: Vec<(Sku, u32)> = levels.iter().map(|&(c, n)| (sku(c), n)).collect();
    let inserted = ledger.seed_stock(&levels).await.expect("stock seeds");
    assert_eq!(inserted, levels.len() as u64, "every SKU was new");
}

/// Creates `q` with the fixture credential, no bounds, and each line's unit price as its base
/// price.
pub(crate) async fn create(ledger: &dyn Ledger, q: &Quote) {
    let base: Vec<(Sku, u32, Money)> = q
        .lines
        .iter()
        .map(|l| (l.sku.clone(), l.quantity.get(), l.unit_price))
        .collect();
    ledger
        .create_quote(NewQuote {
            quote: q,
            bounds: &json!({"fixture": true}),
            base_prices: &base,
            credential: QUOTE_JTI,
        })
        .await
        .expect("quote is stored");
}

/// Places `cmd`, expects the ledger to refuse it, and checks that the refusal changed nothing:
/// the stock of `skus`, the order count and the audit log. Returns the error.
pub(crate) async fn refused(ledger: &dyn Ledger, cmd: &PlaceOrder, skus: &[&str]) -> LedgerError {
    let before = Snapshot::take(ledger, skus).await;
    let err = ledger
        .place_order(cmd)
        .await
        .expect_err("the ledger refuses");
    assert_eq!(
        Snapshot::take(ledger, skus).await,
        before,
        "the refusal ({err:?}) changed something"
    );
    err
}

/// The hash chain of an older ledger: its `audit_log` table with two entries (valid in either
/// backend's SQL).
pub(crate) const OLD_CHAIN_SQL: &str = "
    CREATE TABLE audit_log (
        seq BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, credential TEXT NOT NULL,
        action TEXT NOT NULL, subject TEXT NOT NULL, details TEXT NOT NULL,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
    INSERT INTO audit_log VALUES
        (1, '2026-11-20T10:00:00Z', 'operator:ops', '', 'stock.set', 'VC-A',
         '{\"from\":null,\"to\":5}', 'x', 'y'),
        (2, '2026-11-20T10:05:00Z', 'agent:alice', 'jti-1', 'quote.created', 'q_1',
         '{\"round\":1}', 'y', 'z');";

/// Checks, on a ledger reopened over [`OLD_CHAIN_SQL`], that the chain's entries were carried
/// over in order and that the log goes on after them.
pub(crate) async fn the_old_chain_was_carried_over(ledger: &dyn Ledger) {
    let log = verified_audit_log(ledger).await;
    assert_eq!(log.len(), 2, "both entries carried over");
    assert_eq!(log[0].record.action, "stock.set");
    assert_eq!(log[0].record.subjects, ["VC-A"]);
    assert_eq!(log[0].record.payload, json!({"from": null, "to": 5}));
    assert_eq!(log[1].record.actor, "agent:alice");
    assert_eq!(log[1].record.credential, "jti-1");
    assert_eq!(log[1].record.at, "2026-11-20T10:05:00Z");
    let next = ledger
        .append_audit(record("system", "after"))
        .await
        .expect("appended after the carry-over");
    assert_eq!(next.seq, 2);
    assert_eq!(verified_audit_log(ledger).await.len(), 3);
}
