//! Fixtures of the conformance suite: quotes, order commands, audit records and snapshots.

use b2a_audit::{AuditEntry, AuditRecord, verify_chain};
use b2a_ledger::{Ledger, LedgerError, PlaceOrder};
use b2a_model::{AgentId, CountryCode, Currency, Money, Quantity, Quote, QuoteId, QuoteLine, Sku};
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

/// A quote made to `to` for `lines` of `(sku, quantity)`, priced 10.00 EUR + 1.00 per line index.
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
                unit_price,
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
        agent: agent(to),
        principal: None,
        lines,
        ship_to: CountryCode::parse("FR").expect("FR is a country code"),
        total,
        created_at: CREATED,
        expires_at: expires(),
    }
}

/// The command that orders `q` under `key`, with the fingerprint a client sending the same body
/// would produce, at [`now`].
pub(crate) fn order_cmd(q: &Quote, key: &str) -> PlaceOrder {
    PlaceOrder {
        quote_id: q.id.clone(),
        agent: q.agent.clone(),
        credential: ORDER_JTI.into(),
        idempotency_key: key.into(),
        fingerprint: format!("sha256:{}", q.id),
        now: now(),
    }
}

/// A stand-alone audit record (what token issuance or the CLI would append).
pub(crate) fn record(actor: &str, subject: &str) -> AuditRecord {
    AuditRecord {
        at: "2026-11-21T08:30:00Z".into(),
        actor: actor.into(),
        credential: String::new(),
        action: "test.appended".into(),
        subject: subject.into(),
        details: json!({"subject": subject, "nested": {"b": 2, "a": [1, 2]}}),
    }
}

/// The whole audit log, oldest first, read page by page.
pub(crate) async fn audit_log(ledger: &dyn Ledger) -> Vec<AuditEntry> {
    let mut all: Vec<AuditEntry> = Vec::new();
    loop {
        let after = all.last().map_or(0, |e| e.seq);
        let page = ledger
            .audit_entries(after, 16)
            .await
            .expect("audit entries are readable");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// The whole audit log, after checking that its hash chain verifies from the first entry.
pub(crate) async fn verified_audit_log(ledger: &dyn Ledger) -> Vec<AuditEntry> {
    let log = audit_log(ledger).await;
    if let Some(first) = log.first() {
        assert_eq!(first.seq, 1, "the log starts at seq 1");
        assert_eq!(first.prev_hash, "0".repeat(64), "the log starts at genesis");
    }
    if let Err(e) = verify_chain(&log) {
        panic!("audit chain does not verify: {e}");
    }
    log
}

/// What a refused operation must leave untouched.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    pub(crate) stock: Vec<(Sku, Option<u32>)>,
    pub(crate) orders: u64,
    pub(crate) audit: Vec<AuditEntry>,
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

/// Creates `q` with the fixture credential.
pub(crate) async fn create(ledger: &dyn Ledger, q: &Quote) {
    ledger
        .create_quote(q, QUOTE_JTI)
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
