//! Trusted external issuers: another party's JWKS and the most its tokens may grant here.

use std::time::Duration;

use b2a_model::{Capability, Limits, Role, check_capabilities_within};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};

use crate::{Claims, TokenError};

/// The most a trusted issuer's token may grant on this gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceiling {
    /// Roles its tokens may have (usually only `agent`).
    pub roles: Vec<Role>,
    /// Capabilities its tokens may carry.
    pub capabilities: Vec<Capability>,
    /// Limits its tokens must stay within (as a child within its parent: a limit set here must
    /// be set, lower or equal, by the token).
    pub limits: Limits,
    /// The longest lifetime (`exp - iat`) of its tokens.
    pub max_ttl: Duration,
}

/// Another issuer whose tokens this gateway accepts within a ceiling.
#[derive(Clone)]
pub struct TrustedIssuer {
    /// A short name, used to namespace its tokens' `jti` (`<name>/<jti>`).
    pub name: String,
    /// The `iss` its tokens carry.
    pub issuer: String,
    keys: Vec<(String, Algorithm, DecodingKey)>,
    /// The most it may grant.
    pub ceiling: Ceiling,
}

impl std::fmt::Debug for TrustedIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedIssuer")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("kids", &self.kids())
            .finish_non_exhaustive()
    }
}

impl TrustedIssuer {
    /// An issuer from its JWK Set. Every key must have a `kid` and be Ed25519 (EdDSA) or P-256
    /// (ES256); any other key is refused rather than skipped.
    pub fn new(
        name: impl Into<String>,
        issuer: impl Into<String>,
        jwks: &serde_json::Value,
        ceiling: Ceiling,
    ) -> Result<Self, TokenError> {
        let name = name.into();
        let bad = |why: String| TokenError::KeyStore(format!("trusted issuer {name}: {why}"));
        if name.is_empty() || name.contains('/') {
            return Err(bad("the name must be non-empty and have no `/`".into()));
        }
        let set: JwkSet =
            serde_json::from_value(jwks.clone()).map_err(|e| bad(format!("not a JWK Set: {e}")))?;
        let mut keys = Vec::with_capacity(set.keys.len());
        for jwk in &set.keys {
            let kid = jwk
                .common
                .key_id
                .clone()
                .ok_or_else(|| bad("a key has no `kid`".into()))?;
            let alg = algorithm_of(jwk).ok_or_else(|| {
                bad(format!(
                    "key {kid} is neither Ed25519 nor P-256 (EdDSA or ES256)"
                ))
            })?;
            let key = DecodingKey::from_jwk(jwk).map_err(|e| bad(format!("key {kid}: {e}")))?;
            keys.push((kid, alg, key));
        }
        if keys.is_empty() {
            return Err(bad("its JWK Set has no key".into()));
        }
        Ok(Self {
            name,
            issuer: issuer.into(),
            keys,
            ceiling,
        })
    }

    /// The `kid`s of its keys.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(|(k, ..)| k.as_str()).collect()
    }

    pub(crate) fn key(&self, kid: &str) -> Option<(Algorithm, &DecodingKey)> {
        self.keys
            .iter()
            .find(|(k, ..)| k == kid)
            .map(|(_, alg, key)| (*alg, key))
    }

    /// Refuses claims that go beyond the ceiling.
    pub(crate) fn check_ceiling(&self, claims: &Claims) -> Result<(), TokenError> {
        let over = |why: String| {
            let why = why.replace("the parent token", "the issuer's ceiling");
            TokenError::AboveIssuerCeiling(format!("{}: {why}", self.name))
        };
        let c = &self.ceiling;
        if !c.roles.contains(&claims.role) {
            return Err(over(format!("it may not issue {} tokens", claims.role)));
        }
        check_capabilities_within(&claims.cap, &c.capabilities).map_err(|v| over(v.to_string()))?;
        claims
            .limits
            .check_within(&c.limits)
            .map_err(|v| over(v.to_string()))?;
        let ttl = claims.exp.saturating_sub(claims.iat);
        if ttl > i64::try_from(c.max_ttl.as_secs()).unwrap_or(i64::MAX) {
            return Err(over(format!(
                "its tokens may live {} s at most, this one {ttl} s",
                c.max_ttl.as_secs()
            )));
        }
        if !claims.chain.is_empty() {
            return Err(over("its tokens may not claim a chain of parents".into()));
        }
        Ok(())
    }
}

fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve};
    match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Some(Algorithm::EdDSA)
        }
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
            Some(Algorithm::ES256)
        }
        _ => None,
    }
}
