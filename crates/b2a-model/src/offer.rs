//! What an offer says beyond its prices: the adjustments that made each unit price, the
//! delivery it includes, where its negotiation stands, and the brand's signature.

use serde::{Deserialize, Serialize};

use crate::Money;

/// The kind of rule that moved a unit price away from the list price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// A discount for buying many units of one SKU.
    VolumeTier,
    /// A rise for scarce stock in demand, or a cut for overstock.
    StockDemand,
    /// A promotion running at quote time.
    Promotion,
    /// A loyalty discount, used only with the person's consent.
    Loyalty,
    /// A discount for buying the items of a bundle together.
    Bundle,
    /// The price was held inside the brand's published bounds (ceiling, daily change) or its
    /// private floor.
    Guardrail,
    /// A concession made in negotiation.
    Negotiation,
}

impl AdjustmentKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AdjustmentKind::VolumeTier => "volume_tier",
            AdjustmentKind::StockDemand => "stock_demand",
            AdjustmentKind::Promotion => "promotion",
            AdjustmentKind::Loyalty => "loyalty",
            AdjustmentKind::Bundle => "bundle",
            AdjustmentKind::Guardrail => "guardrail",
            AdjustmentKind::Negotiation => "negotiation",
        }
    }
}

/// One change to a unit price, with the rule that made it and why, in words a person
/// understands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    /// The id of the rule in the pricing policy (`volume-10`, `winter-sale`, ...).
    pub rule: String,
    /// Its kind.
    pub kind: AdjustmentKind,
    /// The change of one unit's price: negative for a discount.
    pub amount: Money,
    /// Why, for a person.
    pub reason: String,
}

/// How fast a parcel travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speed {
    /// The zone's standard service.
    Standard,
    /// The zone's express service.
    Express,
}

/// The delivery a quote includes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The shipping zone of the destination.
    pub zone: String,
    /// The service.
    pub speed: Speed,
    /// Days from order to delivery, at most.
    pub days: u32,
    /// What it costs, for the whole quote.
    pub price: Money,
    /// Why this price (free above a threshold, the service chosen to meet a date, ...).
    pub reason: String,
}

/// Where a quote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    /// Offered; the agent may counter or accept.
    Open,
    /// The brand's final offer: no more counters; the agent may accept it until it expires.
    Final,
    /// Accepted: the brand is bound to it until it expires, and an order may be placed on it.
    Accepted,
}

impl QuoteStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteStatus::Open => "open",
            QuoteStatus::Final => "final",
            QuoteStatus::Accepted => "accepted",
        }
    }
}

/// The brand's answer to a counter-offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// The target is met: the new version is priced at the target (or the quote already was).
    Accepted,
    /// A new version meets the agent part of the way.
    Countered,
    /// A new version that is the brand's last word.
    FinalOffer,
    /// No new version: the negotiation is closed; the current version stands.
    Rejected,
}

impl Answer {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Accepted => "accepted",
            Answer::Countered => "countered",
            Answer::FinalOffer => "final_offer",
            Answer::Rejected => "rejected",
        }
    }
}

/// Where a quote's negotiation stands, as of this version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NegotiationState {
    /// Counter-offers the brand will answer with a new version, in all.
    pub max_rounds: u32,
    /// The counter-offer this version answers (its target total), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Money>,
    /// The answer that made this version, if it answers a counter-offer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answer>,
    /// Why, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The brand's signature over a quote version: a JWS (RFC 7515) in compact form with a detached
/// payload (`<header>..<signature>`), the payload being the RFC 8785 canonical JSON of the quote
/// without its `signature` and `history` members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteSignature {
    /// The algorithm, `EdDSA`.
    pub alg: String,
    /// The signing key in the brand's JWKS.
    pub kid: String,
    /// `<base64url header>..<base64url signature>`.
    pub jws: String,
}
