use std::sync::Arc;
use std::time::Duration;

use b2a_model::{AgentId, Capability, Principal, Role};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{KeyRing, TokenError};

/// The JOSE `typ` of a b2a capability token (RFC 8725 explicit typing).
pub const TOKEN_TYPE: &str = "b2a-cap+jwt";

/// Leeway for clock skew between issuers and this gateway.
const LEEWAY_SECONDS: u64 = 30;

/// The longest lifetime a token may be issued with.
const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// The claims of a capability token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    /// Issuer: the brand's issuer URL.
    pub iss: String,
    /// Audience: the gateway's audience URL.
    pub aud: String,
    /// Subject: the agent (or operator, auditor) identifier.
    pub sub: AgentId,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not before, seconds since the epoch.
    pub nbf: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Unique token id; revocation and audit refer to it.
    pub jti: String,
    /// Who holds the token.
    pub role: Role,
    /// Pairwise pseudonym of the person the agent acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// What the token allows.
    pub cap: Vec<Capability>,
}

impl Claims {
    /// Whether the token carries `capability`.
    pub fn allows(&self, capability: Capability) -> bool {
        self.cap.contains(&capability)
    }

    /// `role:sub`, how the audit log names the holder.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.role, self.sub)
    }
}

/// What to issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRequest {
    /// Who will hold it.
    pub role: Role,
    /// Its subject.
    pub agent: AgentId,
    /// The person an agent acts for.
    pub principal: Option<Principal>,
    /// What it allows; empty means the role's defaults.
    pub capabilities: Vec<Capability>,
    /// How long it lives.
    pub ttl: Duration,
}

/// A freshly signed token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// Its `jti`.
    pub jti: String,
    /// Its expiry.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Its claims.
    #[serde(skip)]
    pub claims: Claims,
}

/// Issues and verifies tokens for one issuer and audience.
#[derive(Debug, Clone)]
pub struct TokenService {
    keys: KeyRing,
    issuer: String,
    audience: String,
    /// Tokens whose signature, header and claims were verified, by their exact text. A hit
    /// skips only the signature check: the validity window is checked again on every use.
    verified: Arc<VerifiedTokens>,
}

/// The most verified tokens remembered; beyond it the least recently used are forgotten.
const VERIFIED_CAPACITY: usize = 10_000;

struct VerifiedTokens(quick_cache::sync::Cache<String, Claims>);

impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedTokens")
            .field("len", &self.0.len())
            .finish()
    }
}

impl TokenService {
    /// A service signing with `keys`, issuing as `issuer` for `audience`.
    pub fn new(keys: KeyRing, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            keys,
            issuer: issuer.into(),
            audience: audience.into(),
            verified: Arc::new(VerifiedTokens(quick_cache::sync::Cache::new(
                VERIFIED_CAPACITY,
            ))),
        }
    }

    /// The `iss` value tokens must carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `aud` value tokens must carry.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The key ring.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// Signs a new token. Refuses capabilities the role may not hold.
    pub fn issue(&self, req: &IssueRequest) -> Result<IssuedToken, TokenError> {
        if req.ttl.is_zero() || req.ttl > MAX_TTL {
            return Err(TokenError::InvalidLifetime);
        }
        let mut cap = if req.capabilities.is_empty() {
            req.role.default_capabilities().to_vec()
        } else {
            req.capabilities.clone()
        };
        cap.sort();
        cap.dedup();
        check_role(req.role, &cap)?;
        let now = OffsetDateTime::now_utc();
        let expires_at = now + req.ttl;
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: req.agent.clone(),
            exp: expires_at.unix_timestamp(),
            nbf: now.unix_timestamp(),
            iat: now.unix_timestamp(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
            role: req.role,
            principal: req.principal.clone(),
            cap,
        };
        let key = self.keys.active();
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(TOKEN_TYPE.to_owned());
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &key.encoding)
            .map_err(|e| TokenError::KeyStore(e.to_string()))?;
        let expires_at = OffsetDateTime::from_unix_timestamp(claims.exp)
            .map_err(|_| TokenError::InvalidLifetime)?;
        Ok(IssuedToken {
            token,
            jti: claims.jti.clone(),
            expires_at,
            claims,
        })
    }

    /// Verifies signature, type, algorithm, issuer, audience, validity window and role.
    ///
    /// A token verified before is recognized by its exact text and only its validity window is
    /// checked again (signature verification is the costly part, and its result for a given
    /// text cannot change while the key is held).
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        if let Some(claims) = self.verified.0.get(token) {
            let now = OffsetDateTime::now_utc().unix_timestamp();
            let leeway = LEEWAY_SECONDS.cast_signed();
            if now > claims.exp.saturating_add(leeway) {
                self.verified.0.remove(token);
                return Err(TokenError::Expired);
            }
            if now < claims.nbf.saturating_sub(leeway) {
                return Err(TokenError::NotYetValid);
            }
            return Ok(claims);
        }
        let claims = self.verify_signed(token)?;
        self.verified.0.insert(token.to_owned(), claims.clone());
        Ok(claims)
    }

    fn verify_signed(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::UnsupportedAlgorithm);
        }
        if header.typ.as_deref() != Some(TOKEN_TYPE) {
            return Err(TokenError::WrongType);
        }
        let kid = header.kid.as_deref().ok_or(TokenError::UnknownKey)?;
        let key = self.keys.find(kid).ok_or(TokenError::UnknownKey)?;

        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.algorithms = vec![Algorithm::EdDSA];
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation).map_err(
            |e| match e.kind() {
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::MissingRequiredClaim(c) => {
                    TokenError::InvalidClaims(format!("missing `{c}`"))
                }
                ErrorKind::Json(e) => TokenError::InvalidClaims(e.to_string()),
                ErrorKind::InvalidAlgorithm => TokenError::UnsupportedAlgorithm,
                _ => TokenError::Malformed,
            },
        )?;
        let claims = data.claims;
        if claims.jti.is_empty() {
            return Err(TokenError::InvalidClaims("empty `jti`".into()));
        }
        check_role(claims.role, &claims.cap)?;
        Ok(claims)
    }
}

fn check_role(role: Role, caps: &[Capability]) -> Result<(), TokenError> {
    match caps.iter().find(|c| !role.allowed().contains(c)) {
        Some(&capability) => Err(TokenError::CapabilityNotAllowed { role, capability }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::{Value, json};

    use super::*;

    struct Fixture {
        _dir: tempfile::TempDir,
        svc: TokenService,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = KeyRing::open_or_create(dir.path()).expect("keys");
        let svc = TokenService::new(keys, "https://brand.example", "https://brand.example/v1");
        Fixture { _dir: dir, svc }
    }

    fn request(role: Role, caps: Vec<Capability>) -> IssueRequest {
        IssueRequest {
            role,
            agent: AgentId::parse("shopper-1").expect("id"),
            principal: Some(Principal::parse("p-123").expect("principal")),
            capabilities: caps,
            ttl: Duration::from_secs(600),
        }
    }

    /// Signs arbitrary claims with the fixture's key and header overrides.
    fn sign(f: &Fixture, claims: &Value, tweak: impl FnOnce(&mut Header)) -> String {
        let key = f.svc.keys().active();
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(TOKEN_TYPE.into());
        header.kid = Some(key.kid.clone());
        tweak(&mut header);
        jsonwebtoken::encode(&header, claims, &key.encoding).expect("signed")
    }

    fn valid_claims(f: &Fixture) -> Value {
        let issued = f.svc.issue(&request(Role::Agent, vec![])).expect("issued");
        serde_json::to_value(issued.claims).expect("json")
    }

    #[test]
    fn issued_tokens_verify_with_their_claims() {
        let f = fixture();
        let issued = f
            .svc
            .issue(&request(Role::Agent, vec![Capability::OrdersWrite]))
            .expect("ok");
        let claims = f.svc.verify(&issued.token).expect("verifies");
        assert_eq!(claims.cap, vec![Capability::OrdersWrite]);
        assert_eq!(
            claims.principal.as_ref().map(Principal::as_str),
            Some("p-123")
        );
        assert_eq!(claims.jti, issued.jti);
        assert_eq!(claims.actor(), "agent:shopper-1");
    }

    #[test]
    fn issuance_refuses_capabilities_outside_the_role() {
        let f = fixture();
        let err = f
            .svc
            .issue(&request(Role::Agent, vec![Capability::AuditRead]));
        assert!(matches!(err, Err(TokenError::CapabilityNotAllowed { .. })));
        let zero = IssueRequest {
            ttl: Duration::ZERO,
            ..request(Role::Agent, vec![])
        };
        assert!(matches!(
            f.svc.issue(&zero),
            Err(TokenError::InvalidLifetime)
        ));
    }

    #[test]
    fn refuses_tampered_expired_and_foreign_tokens() {
        let f = fixture();
        let good = valid_claims(&f);

        let mut expired = good.clone();
        expired["exp"] = json!(OffsetDateTime::now_utc().unix_timestamp() - 3600);
        assert!(matches!(
            f.svc.verify(&sign(&f, &expired, |_| ())),
            Err(TokenError::Expired)
        ));

        let mut early = good.clone();
        early["nbf"] = json!(OffsetDateTime::now_utc().unix_timestamp() + 3600);
        assert!(matches!(
            f.svc.verify(&sign(&f, &early, |_| ())),
            Err(TokenError::NotYetValid)
        ));

        let mut foreign = good.clone();
        foreign["iss"] = json!("https://evil.example");
        assert!(matches!(
            f.svc.verify(&sign(&f, &foreign, |_| ())),
            Err(TokenError::WrongIssuer)
        ));

        let mut other_aud = good.clone();
        other_aud["aud"] = json!("https://other.example");
        assert!(matches!(
            f.svc.verify(&sign(&f, &other_aud, |_| ())),
            Err(TokenError::WrongAudience)
        ));

        let mut no_jti = good.clone();
        no_jti.as_object_mut().expect("object").remove("jti");
        assert!(matches!(
            f.svc.verify(&sign(&f, &no_jti, |_| ())),
            Err(TokenError::InvalidClaims(_))
        ));

        let mut escalated = good.clone();
        escalated["cap"] = json!(["audit:read"]);
        assert!(matches!(
            f.svc.verify(&sign(&f, &escalated, |_| ())),
            Err(TokenError::CapabilityNotAllowed { .. })
        ));

        let mut unknown_cap = good.clone();
        unknown_cap["cap"] = json!(["orders:delete"]);
        assert!(matches!(
            f.svc.verify(&sign(&f, &unknown_cap, |_| ())),
            Err(TokenError::InvalidClaims(_))
        ));

        let untyped = sign(&f, &good, |h| h.typ = Some("JWT".into()));
        assert!(matches!(f.svc.verify(&untyped), Err(TokenError::WrongType)));

        let unknown_kid = sign(&f, &good, |h| h.kid = Some("nope".into()));
        assert!(matches!(
            f.svc.verify(&unknown_kid),
            Err(TokenError::UnknownKey)
        ));
    }

    #[test]
    fn a_remembered_token_is_still_refused_once_expired_and_a_forgery_is_not_remembered() {
        let f = fixture();
        let issued = f
            .svc
            .issue(&request(Role::Agent, vec![Capability::OrdersWrite]))
            .expect("ok");
        let claims = f.svc.verify(&issued.token).expect("verifies");
        assert_eq!(f.svc.verify(&issued.token).expect("again"), claims);

        // The same text, remembered, after its expiry (past the leeway).
        let mut stale = claims.clone();
        stale.exp = OffsetDateTime::now_utc().unix_timestamp() - 3600;
        f.svc.verified.0.insert(issued.token.clone(), stale);
        assert!(matches!(
            f.svc.verify(&issued.token),
            Err(TokenError::Expired)
        ));
        // Forgotten once refused: the next use is verified afresh (and the token is genuine).
        assert_eq!(
            f.svc.verify(&issued.token).expect("verified afresh"),
            claims
        );

        // A token differing in one signature character is verified afresh and refused.
        let mut forged = f
            .svc
            .issue(&request(Role::Agent, vec![Capability::OrdersWrite]))
            .expect("ok")
            .token;
        f.svc.verify(&forged).expect("genuine");
        let at = forged.len() - 10;
        let swapped = if forged.as_bytes()[at] == b'A' {
            "B"
        } else {
            "A"
        };
        forged.replace_range(at..=at, swapped);
        assert!(matches!(
            f.svc.verify(&forged),
            Err(TokenError::BadSignature)
        ));
    }

    #[test]
    fn refuses_a_forged_signature_and_alg_none() {
        let f = fixture();
        let token = sign(&f, &valid_claims(&f), |_| ());
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        // Claims changed after signing.
        let mut claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).expect("b64")).expect("json");
        claims["sub"] = json!("someone-else");
        parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
        assert!(matches!(
            f.svc.verify(&parts.join(".")),
            Err(TokenError::BadSignature)
        ));

        // `alg: none` with no signature.
        let header = json!({"alg": "none", "typ": TOKEN_TYPE});
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            parts[1]
        );
        assert!(f.svc.verify(&none).is_err());

        // HS256 keyed with the public key (algorithm confusion).
        let header = json!({"alg": "HS256", "typ": TOKEN_TYPE, "kid": f.svc.keys().active().kid});
        let hs = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            parts[1]
        );
        assert!(matches!(
            f.svc.verify(&hs),
            Err(TokenError::UnsupportedAlgorithm)
        ));

        assert!(matches!(
            f.svc.verify("not a token"),
            Err(TokenError::Malformed)
        ));
    }

    #[test]
    fn jwks_publishes_the_active_key() {
        let f = fixture();
        let jwks = f.svc.keys().jwks();
        assert_eq!(jwks["keys"][0]["kid"], json!(f.svc.keys().active().kid));
        assert_eq!(jwks["keys"][0]["crv"], json!("Ed25519"));
        assert!(
            jwks["keys"][0].get("d").is_none(),
            "private part must never be published"
        );
    }
}
