//! Capability tokens: Ed25519 signing keys, issuance, verification and the JWKS.
//!
//! A token is a JWT with explicit type `b2a-cap+jwt`, signed with EdDSA by the brand (or with
//! EdDSA or ES256 by a trusted issuer, within that issuer's ceiling). Verification pins the
//! algorithms, looks the key up by `kid`, and requires `iss`, `aud`, `sub`, `exp`, `nbf`, `jti`.
//! Capabilities a token's role may not carry, and limits this gateway does not know, make the
//! token invalid (fail closed). A holder may exchange a token for a narrower child; a token bound
//! to a key (`cnf.jkt`) is usable only with DPoP proofs ([`DpopVerifier`]).
//!
//! ```
//! use b2a_model::{AgentId, Capability, Role};
//! use b2a_trust::{IssueRequest, KeyRing, TokenService};
//! use std::time::Duration;
//!
//! let dir = tempfile::tempdir()?;
//! let keys = KeyRing::open_or_create(dir.path())?;
//! let svc = TokenService::new(keys, "https://brand.example", "https://brand.example");
//! let issued = svc.issue(&IssueRequest::new(
//!     Role::Agent,
//!     AgentId::parse("shopper-1")?,
//!     vec![Capability::CatalogRead],
//!     Duration::from_secs(3600),
//! ))?;
//! let claims = svc.verify(&issued.token)?;
//! assert_eq!(claims.sub, AgentId::parse("shopper-1")?);
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

mod audit_key;
mod detached;
mod dpop;
mod issuers;
mod keys;
mod token;
mod vault;

pub use audit_key::AuditKey;
pub use detached::{DetachedSignature, canonical_json, sign_detached, verify_detached};
pub use dpop::{DPOP_PROOF_TYPE, DpopError, DpopVerifier, jwk_thumbprint, proof_claims};
pub use issuers::{Ceiling, TrustedIssuer};
pub use keys::{KeyRing, SigningKeyInfo};
pub use token::{
    ALGORITHMS, Claims, ExchangeRequest, IssueRequest, IssuedToken, LEEWAY_SECONDS, MAX_CHAIN,
    TOKEN_TYPE, TokenService,
};
pub use vault::{VaultError, VaultKey};

/// Why a token was refused or could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The text is not a JWT.
    #[error("the token is not a well-formed JWT")]
    Malformed,
    /// The header names another algorithm than the pinned one.
    #[error("the token's algorithm is not accepted (EdDSA, or ES256 from a trusted issuer)")]
    UnsupportedAlgorithm,
    /// The header's `typ` is not `b2a-cap+jwt`.
    #[error("the token's type is not b2a-cap+jwt")]
    WrongType,
    /// No key with the header's `kid` is known.
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the token's signature does not verify")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` is not this brand.
    #[error("the token was issued for another issuer")]
    WrongIssuer,
    /// `aud` is not this gateway.
    #[error("the token is meant for another audience")]
    WrongAudience,
    /// A required claim is missing or has the wrong type.
    #[error("the token's claims are invalid: {0}")]
    InvalidClaims(String),
    /// The token claims a capability its role may not hold.
    #[error("role {role} may not hold capability {capability}")]
    CapabilityNotAllowed {
        /// The token's role.
        role: b2a_model::Role,
        /// The capability it may not hold.
        capability: b2a_model::Capability,
    },
    /// `limits` names a constraint this gateway does not know: it fails closed.
    #[error("the token's limits name an unknown constraint `{0}`")]
    UnknownLimit(String),
    /// Limits that are invalid on their own (an amount without a currency, ...).
    #[error("{0}")]
    InvalidGrant(b2a_model::GrantViolation),
    /// An exchange asked for more than the parent token grants.
    #[error("the exchange asks for more than the token grants: {0}")]
    Widening(b2a_model::GrantViolation),
    /// A trusted issuer's token grants more than the issuer may.
    #[error("the token grants more than its issuer may on this gateway: {0}")]
    AboveIssuerCeiling(String),
    /// The requested lifetime is zero or too long.
    #[error("token lifetime must be between 1 second and 365 days")]
    InvalidLifetime,
    /// Key material could not be read or written.
    #[error("key store: {0}")]
    KeyStore(String),
}
