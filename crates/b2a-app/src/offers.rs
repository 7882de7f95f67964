//! Offers: pricing a quote under the policy in force, signing every version, answering
//! counter-offers, binding an accepted quote, and the pricing policy itself (load, publish).
//!
//! What the pricing engine sees is gathered here and nowhere else: the lines' quantities and
//! product facts, stock, cost, demand and recent prices from the ledger, the date, the
//! destination, and — only when the token's consent names it — the principal's loyalty tier.

use std::collections::HashSet;
use std::sync::{Arc, PoisonError};

use b2a_graph::SkuOffer;
use b2a_ledger::{Acceptance, Actor, NewQuote, Policies, Revision, StoredPolicy};
use b2a_model::{
    Answer, Currency, NegotiationState, Quote, QuoteId, QuoteRequest, QuoteSignature, QuoteStatus,
    Sku,
};
use b2a_pricing::{
    ConsentedAttributes, Counter, CurrentOffer, Destination, LineInput, NegotiationBounds,
    PricingContext, PricingPolicy, PublicPolicy, answer_counter, price_quote,
};
use time::{Duration, OffsetDateTime};

use crate::{Caller, Shop, ShopError};

/// The `typ` of a quote signature's JWS header.
pub const QUOTE_SIGNATURE_TYPE: &str = "b2a-quote+jws";

/// How far back a principal's orders count towards a loyalty tier.
const LOYALTY_WINDOW: Duration = Duration::days(365);

/// How far back quoted prices bound today's (the daily-change guardrail).
const PRICE_WINDOW: Duration = Duration::hours(24);

/// A SKU's published offer and its category slugs.
type Listing = (SkuOffer, Vec<String>);

/// A quote with its earlier versions.
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteHistory {
    /// The current version.
    pub current: Quote,
    /// Earlier versions, oldest first.
    pub history: Vec<Quote>,
}

/// The brand's answer to a counter-offer and the quote as it now stands.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterOutcome {
    /// The answer.
    pub answer: Answer,
    /// Why, for a person.
    pub reason: String,
    /// The current version (new when the answer made one).
    pub quote: Quote,
}

/// The pricing policy in force, as agents may read it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublishedPolicy {
    /// Its version (0: none was loaded; list prices only).
    pub version: u64,
    /// When it was loaded.
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    /// Rule kinds, bounds and the attributes used and never used.
    #[serde(flatten)]
    pub policy: PublicPolicy,
}

/// A parsed policy and its version, kept while the ledger's newest version is the same.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache(std::sync::Mutex<Option<(u64, Arc<PricingPolicy>)>>);

impl Shop {
    /// The pricing policy in force and its version; without a loaded policy, list prices only
    /// in `currency` (version 0).
    async fn policy_in_force(
        &self,
        currency: Currency,
    ) -> Result<(u64, Arc<PricingPolicy>, Option<StoredPolicy>), ShopError> {
        let Some(stored) = self.policies().policy().await? else {
            return Ok((0, Arc::new(PricingPolicy::list_prices_only(currency)), None));
        };
        let mut cache = self
            .policy_cache
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((v, p)) = cache.as_ref()
            && *v == stored.version
        {
            return Ok((*v, Arc::clone(p), Some(stored)));
        }
        let policy = PricingPolicy::from_json(&stored.body.to_string()).map_err(|e| {
            ShopError::Task(format!(
                "stored pricing policy v{} is unreadable: {e}",
                stored.version
            ))
        })?;
        let policy = Arc::new(policy);
        *cache = Some((stored.version, Arc::clone(&policy)));
        Ok((stored.version, policy, Some(stored)))
    }

    /// Checks, parses and stores a new version of the pricing policy (TOML or JSON text),
    /// audited; it prices every quote made from now on.
    pub async fn load_policy(
        &self,
        text: &str,
        toml: bool,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<StoredPolicy, ShopError> {
        load_policy(self.policies(), text, toml, by, now).await
    }

    /// The pricing policy in force as agents may read it: rule kinds, bounds as percentages,
    /// attributes used and never used — never a cost, a floor or a negotiation parameter.
    pub async fn published_policy(&self) -> Result<PublishedPolicy, ShopError> {
        let (version, policy, stored) = self.policy_in_force(Currency::EUR).await?;
        Ok(PublishedPolicy {
            version,
            updated_at: stored.map(|s| s.loaded_at),
            policy: policy.public_summary(),
        })
    }

    /// Prices a request under the policy in force, signs the quote and records it (with its
    /// audit entry). A request with a target is answered at once as a first counter-offer.
    pub async fn create_quote(
        &self,
        caller: &Caller,
        request: QuoteRequest,
        now: OffsetDateTime,
    ) -> Result<Quote, ShopError> {
        let mut seen = HashSet::new();
        for (index, line) in request.lines.iter().enumerate() {
            if !seen.insert(line.sku.clone()) {
                return Err(ShopError::DuplicateSku {
                    index,
                    sku: line.sku.clone(),
                });
            }
        }
        let skus: Vec<Sku> = request.lines.iter().map(|l| l.sku.clone()).collect();
        let listed = self.listed(&skus)?;
        Self::check_categories(
            caller,
            skus.iter()
                .zip(&listed)
                .map(|(sku, l)| (sku, l.as_ref().map(|(_, cats)| cats.as_slice()))),
        )?;
        let mut offers = Vec::with_capacity(listed.len());
        for (index, (line, found)) in request.lines.iter().zip(listed).enumerate() {
            let (offer, categories) = found.ok_or_else(|| ShopError::UnknownSku {
                index,
                sku: line.sku.clone(),
            })?;
            if !offer.availability.is_orderable() {
                return Err(ShopError::SkuUnavailable {
                    index,
                    sku: line.sku.clone(),
                    availability: offer.availability,
                });
            }
            offers.push((offer, categories));
        }
        let currency = offers[0].0.price.currency();
        let (policy_version, policy, _) = self.policy_in_force(currency).await?;
        let window = policy.stock_demand.as_ref().map_or(Duration::ZERO, |s| {
            Duration::hours(i64::from(s.window_hours))
        });
        let signals = self
            .offers()
            .pricing_signals(&skus, now - window, now - PRICE_WINDOW)
            .await?;
        let inputs: Vec<LineInput> = request
            .lines
            .iter()
            .zip(offers)
            .zip(signals)
            .map(|((line, (offer, categories)), signals)| LineInput {
                sku: line.sku.clone(),
                name: offer.name,
                categories,
                quantity: line.quantity,
                list_price: offer.price,
                cost: signals.cost.map(|c| c.cost),
                stock: signals.stock,
                demand: signals.demand,
                recent_unit_prices: signals.recent_prices,
            })
            .collect();
        let ctx = PricingContext {
            now,
            destination: Destination {
                country: request.ship_to,
                speed: request.speed,
                deliver_by: request.deliver_by,
            },
            attributes: self.consented_attributes(caller, &policy, now).await?,
        };
        let priced = price_quote(&policy, &inputs, &ctx)?;
        let base_prices: Vec<(Sku, u32, b2a_model::Money)> = priced
            .lines
            .iter()
            .map(|l| (l.line.sku.clone(), l.line.quantity.get(), l.base_unit_price))
            .collect();
        let quote = self.sign(Quote {
            id: QuoteId::generate(),
            round: 0,
            status: QuoteStatus::Open,
            agent: caller.agent.clone(),
            principal: caller.principal.clone(),
            lines: priced.lines.into_iter().map(|l| l.line).collect(),
            ship_to: request.ship_to,
            delivery: priced.delivery,
            subtotal: priced.subtotal,
            total: priced.total,
            vat_included: priced.vat_included,
            policy_version,
            negotiation: NegotiationState {
                max_rounds: priced.bounds.max_rounds,
                target: None,
                answer: None,
                reason: None,
            },
            created_at: now,
            expires_at: now + self.quote_ttl(),
            signature: None,
        })?;
        let bounds = serde_json::to_value(&priced.bounds)
            .map_err(|e| ShopError::Task(format!("bounds serialization: {e}")))?;
        self.offers()
            .create_quote(NewQuote {
                quote: &quote,
                bounds: &bounds,
                base_prices: &base_prices,
                credential: &caller.credential,
            })
            .await?;
        match request.target {
            Some(target) => Ok(self
                .counter(caller, quote.id, Counter::Total(target), now)
                .await?
                .quote),
            None => Ok(quote),
        }
    }

    /// Each SKU's offer and categories in the published catalog (`None`: not sold), from the
    /// publish-time index (in memory: no store read).
    fn listed(&self, skus: &[Sku]) -> Result<Vec<Option<Listing>>, ShopError> {
        skus.iter()
            .map(|s| self.catalog().listing(s).map_err(ShopError::from))
            .collect()
    }

    /// The loyalty tier of the caller's principal — only when its token's consent names the
    /// attribute and the policy has loyalty tiers; otherwise nothing is read at all.
    async fn consented_attributes(
        &self,
        caller: &Caller,
        policy: &PricingPolicy,
        now: OffsetDateTime,
    ) -> Result<ConsentedAttributes, ShopError> {
        let consented = caller
            .consent
            .attributes
            .contains(b2a_pricing::LOYALTY_ATTRIBUTE);
        let (Some(loyalty), Some(principal), true) = (
            policy.loyalty.as_ref(),
            caller.principal.as_ref(),
            consented,
        ) else {
            return Ok(ConsentedAttributes::none());
        };
        let orders = self
            .offers()
            .principal_orders(principal, now - LOYALTY_WINDOW)
            .await?;
        let tier = loyalty.tier_for(orders).map(|t| t.tier.clone());
        Ok(ConsentedAttributes::from_consent(
            Some(&caller.consent),
            tier,
        ))
    }

    /// Signs a quote version with the brand's active key.
    fn sign(&self, mut quote: Quote) -> Result<Quote, ShopError> {
        quote.signature = None;
        let ring = self.tokens().keys();
        let sig = b2a_trust::sign_detached(&ring, QUOTE_SIGNATURE_TYPE, &quote.signed_payload())
            .map_err(|e| ShopError::Task(format!("quote signature: {e}")))?;
        quote.signature = Some(QuoteSignature {
            alg: sig.alg.to_owned(),
            kid: sig.kid,
            jws: sig.jws,
        });
        Ok(quote)
    }

    /// One of the caller's quotes with its earlier versions.
    pub async fn quote_history(
        &self,
        caller: &Caller,
        id: QuoteId,
    ) -> Result<QuoteHistory, ShopError> {
        let record = self
            .offers()
            .quote_record(&id, &caller.agent)
            .await?
            .ok_or(ShopError::QuoteNotFound(id))?;
        Ok(QuoteHistory {
            current: record.current,
            history: record.history,
        })
    }

    /// Answers a counter-offer on one of the caller's quotes: deterministically, from the
    /// quote's current version and its private bounds; a new version is signed and recorded.
    pub async fn counter(
        &self,
        caller: &Caller,
        id: QuoteId,
        counter: Counter,
        now: OffsetDateTime,
    ) -> Result<CounterOutcome, ShopError> {
        let record = self
            .offers()
            .quote_record(&id, &caller.agent)
            .await?
            .ok_or(ShopError::QuoteNotFound(id.clone()))?;
        let current = record.current;
        if let Some(order) = record.order {
            return Err(b2a_ledger::LedgerError::QuoteAlreadyOrdered { quote: id, order }.into());
        }
        if current.expires_at <= now {
            return Err(b2a_ledger::LedgerError::QuoteExpired(id).into());
        }
        let bounds: NegotiationBounds = serde_json::from_value(record.bounds)
            .map_err(|e| ShopError::Task(format!("quote bounds unreadable: {e}")))?;
        let offer = CurrentOffer {
            lines: &current.lines,
            delivery_price: current.delivery.price,
            total: current.total,
            round: current.round,
            status: current.status,
        };
        let decision = answer_counter(&bounds, &offer, &counter)?;
        let target = counter.target_total(&offer)?;
        let new_version = match decision.revision {
            Some(rev) => Some(self.sign(Quote {
                round: current.round + 1,
                status: rev.status,
                lines: rev.lines,
                subtotal: rev.subtotal,
                total: rev.total,
                negotiation: NegotiationState {
                    max_rounds: current.negotiation.max_rounds,
                    target: Some(target),
                    answer: Some(decision.answer),
                    reason: Some(decision.reason.clone()),
                },
                created_at: now,
                expires_at: now + self.quote_ttl(),
                signature: None,
                ..current.clone()
            })?),
            None => None,
        };
        let quote = self
            .offers()
            .revise_quote(&Revision {
                quote_id: current.id.clone(),
                agent: caller.agent.clone(),
                credential: caller.credential.clone(),
                from_round: current.round,
                target,
                answer: decision.answer,
                reason: decision.reason.clone(),
                new_version,
                now,
            })
            .await?;
        Ok(CounterOutcome {
            answer: decision.answer,
            reason: decision.reason,
            quote,
        })
    }

    /// Accepts the current version of one of the caller's quotes: the brand is bound to its
    /// price until it expires, and an order may be placed on it. Accepting again is harmless.
    pub async fn accept_quote(
        &self,
        caller: &Caller,
        id: QuoteId,
        now: OffsetDateTime,
    ) -> Result<Quote, ShopError> {
        let current = self.quote(caller, id).await?;
        if current.status == QuoteStatus::Accepted {
            return Ok(current);
        }
        let accepted = self.sign(Quote {
            status: QuoteStatus::Accepted,
            ..current
        })?;
        Ok(self
            .offers()
            .accept_quote(&Acceptance {
                accepted,
                credential: caller.credential.clone(),
                now,
            })
            .await?)
    }
}

/// Parses and checks a pricing policy: TOML, or JSON.
pub fn parse_policy(text: &str, toml: bool) -> Result<PricingPolicy, ShopError> {
    if toml {
        PricingPolicy::from_toml(text)
    } else {
        PricingPolicy::from_json(text)
    }
    .map_err(ShopError::Policy)
}

/// Checks a pricing policy and stores it as the newest version of `ledger`'s, audited: it prices
/// every quote made from now on, in every gateway on that ledger. Nothing is stored if it fails.
pub async fn load_policy(
    ledger: &dyn Policies,
    text: &str,
    toml: bool,
    by: &Actor,
    now: OffsetDateTime,
) -> Result<StoredPolicy, ShopError> {
    let policy = parse_policy(text, toml)?;
    let body = serde_json::to_value(&policy)
        .map_err(|e| ShopError::Task(format!("policy serialization: {e}")))?;
    Ok(ledger.store_policy(&body, by, now).await?)
}
