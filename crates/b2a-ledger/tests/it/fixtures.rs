//! Fixtures of the conformance suite: quotes, grants, agents, order commands, audit records and
//! snapshots.

use b2a_audit::{AuditEntry, AuditRecord, verify_chain};
use b2a_ledger::{Actor, AgentRecord, AgentStatus, GrantRecord, Ledger, LedgerError, PlaceOrder};
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
