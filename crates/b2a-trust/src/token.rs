use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use b2a_model::{
    AgentId, Capability, Confirmation, Consent, LIMIT_NAMES, Limits, Principal, Role,
    check_capabilities_within,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::{KeyRing, TokenError, TrustedIssuer};

/// The JOSE `typ` of a b2a capability token (RFC 8725 explicit typing).
pub const TOKEN_TYPE: &str = "b2a-cap+jwt";

/// The algorithms a token may be signed with: EdDSA (the brand's keys) and ES256 (accepted from
/// trusted issuers). Anything else, `none` and HMAC included, is refused before any key is used.
pub const ALGORITHMS: [Algorithm; 2] = [Algorithm::EdDSA, Algorithm::ES256];

/// Leeway for clock skew between issuers and this gateway.
pub const LEEWAY_SECONDS: u64 = 30;

/// The longest lifetime a token may be issued with.
const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// The most tokens one may exchange in a row from one original grant.
pub const MAX_CHAIN: usize = 8;

/// The claims of a capability token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    /// Issuer: the brand's issuer URL (or a trusted issuer's).
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
    /// Unique token id; revocation, budgets and audit refer to it. A trusted issuer's `jti` is
    /// namespaced by the verifier as `<issuer name>/<jti>`, so it never meets a brand `jti`.
    pub jti: String,
    /// Who holds the token.
    pub role: Role,
    /// Pairwise pseudonym of the person the agent acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// What the token allows.
    pub cap: Vec<Capability>,
    /// Spending limits; an unknown member makes the token invalid.
    #[serde(default, skip_serializing_if = "Limits::is_empty")]
    pub limits: Limits,
    /// What the person agreed to share.
    #[serde(default, skip_serializing_if = "Consent::is_empty")]
    pub consent: Consent,
    /// The key the holder must prove possession of (DPoP), if the token is bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// The `jti`s of the tokens this one was exchanged from, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<String>,
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

    /// The token this one was exchanged from.
    pub fn parent(&self) -> Option<&str> {
        self.chain.last().map(String::as_str)
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
    /// Spending limits.
    pub limits: Limits,
    /// The person's consent.
    pub consent: Consent,
    /// Proof-of-possession binding.
    pub cnf: Option<Confirmation>,
    /// How long it lives.
    pub ttl: Duration,
}

impl IssueRequest {
    /// A request with no limits, consent or binding.
    pub fn new(role: Role, agent: AgentId, capabilities: Vec<Capability>, ttl: Duration) -> Self {
        Self {
            role,
            agent,
            principal: None,
            capabilities,
            limits: Limits::default(),
            consent: Consent::default(),
            cnf: None,
            ttl,
        }
    }
}

/// What the holder of a token asks for when exchanging it for a narrower one. Whatever is left
/// out is inherited from the parent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExchangeRequest {
    /// A subset of the parent's capabilities; empty keeps them all.
    pub capabilities: Vec<Capability>,
    /// Lower or equal limits.
    pub limits: Limits,
    /// A subset of the parent's consent; `None` keeps it.
    pub consent: Option<Consent>,
    /// A binding; a bound parent's binding is kept when `None`.
    pub cnf: Option<Confirmation>,
    /// A lifetime ending no later than the parent's; `None` ends with the parent.
    pub ttl: Option<Duration>,
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
    keys: Arc<RwLock<Arc<KeyRing>>>,
    /// When the key directory was last compared with the ring (unix ms).
    keys_checked: Arc<AtomicI64>,
    issuer: String,
    audience: String,
    trusted: Arc<Vec<TrustedIssuer>>,
    /// Tokens whose signature, header and claims were verified, by the SHA-256 of their text,
    /// with the `kid` that signed them. A hit skips only the signature check: the validity
    /// window is checked again on every use, and the key must still be held.
    verified: Arc<VerifiedTokens>,
}

/// The most verified tokens remembered; beyond it the least recently used are forgotten.
const VERIFIED_CAPACITY: usize = 10_000;

/// How often the key directory is compared with the keys in memory.
const KEY_CHECK_INTERVAL_MS: i64 = 1_000;

type TokenDigest = [u8; 32];

struct VerifiedTokens(quick_cache::sync::Cache<TokenDigest, (Arc<str>, Arc<Claims>)>);

impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedTokens")
            .field("len", &self.0.len())
            .finish()
    }
}

fn digest(token: &str) -> TokenDigest {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).into()
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

impl TokenService {
    /// A service signing with `keys`, issuing as `issuer` for `audience`.
    pub fn new(keys: KeyRing, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            keys: Arc::new(RwLock::new(Arc::new(keys))),
            keys_checked: Arc::new(AtomicI64::new(0)),
            issuer: issuer.into(),
            audience: audience.into(),
            trusted: Arc::new(Vec::new()),
            verified: Arc::new(VerifiedTokens(quick_cache::sync::Cache::new(
                VERIFIED_CAPACITY,
            ))),
        }
    }

    /// Also accepts the tokens of these issuers, each within its ceiling.
    pub fn with_trusted_issuers(mut self, issuers: Vec<TrustedIssuer>) -> Self {
        self.trusted = Arc::new(issuers);
        self
    }

    /// The trusted external issuers.
    pub fn trusted_issuers(&self) -> &[TrustedIssuer] {
        &self.trusted
    }

    /// The `iss` value tokens must carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `aud` value tokens must carry.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The key ring as it is now (after picking up keys rotated or retired on disk).
    pub fn keys(&self) -> Arc<KeyRing> {
        self.refresh_keys(true);
        self.ring()
    }

    fn ring(&self) -> Arc<KeyRing> {
        Arc::clone(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reloads the key ring when the key directory changed (another process rotated or
    /// retired a key). Unless `now`, at most once per [`KEY_CHECK_INTERVAL_MS`].
    fn refresh_keys(&self, now: bool) {
        let t = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let t = i64::try_from(t).unwrap_or(i64::MAX);
        let last = self.keys_checked.load(Ordering::Relaxed);
        if !now && t - last < KEY_CHECK_INTERVAL_MS {
            return;
        }
        self.keys_checked.store(t, Ordering::Relaxed);
        let ring = self.ring();
        match ring.reload_if_changed() {
            Ok(Some(fresh)) => {
                tracing::info!(active = %fresh.active().kid, keys = fresh.len(), "signing keys reloaded");
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(fresh);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "signing keys could not be reloaded"),
        }
    }

    /// Signs a new token. Refuses capabilities the role may not hold and invalid limits.
    pub fn issue(&self, req: &IssueRequest) -> Result<IssuedToken, TokenError> {
        if req.ttl.is_zero() || req.ttl > MAX_TTL {
            return Err(TokenError::InvalidLifetime);
        }
        let mut cap = if req.capabilities.is_empty() {
            req.role.default_capabilities()
        } else {
            req.capabilities.clone()
        };
        cap.sort();
        cap.dedup();
        check_role(req.role, &cap).map_err(|e| {
            TokenError::InvalidGrant(b2a_model::GrantViolation {
                field: "cap".into(),
                reason: e.to_string(),
            })
        })?;
        req.limits.validate().map_err(TokenError::InvalidGrant)?;
        let now = now_unix();
        let ttl = i64::try_from(req.ttl.as_secs()).map_err(|_| TokenError::InvalidLifetime)?;
        self.sign(Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: req.agent.clone(),
            exp: now + ttl,
            nbf: now,
            iat: now,
            jti: new_jti(),
            role: req.role,
            principal: req.principal.clone(),
            cap,
            limits: req.limits.clone(),
            consent: req.consent.clone(),
            cnf: req.cnf.clone(),
            chain: Vec::new(),
        })
    }

    /// Signs a child of `parent` (verified claims) that is never wider: a subset of its
    /// capabilities and consent, limits lower or equal, an expiry no later, the same binding.
    pub fn exchange(
        &self,
        parent: &Claims,
        req: &ExchangeRequest,
    ) -> Result<IssuedToken, TokenError> {
        if parent.chain.len() + 1 >= MAX_CHAIN {
            return Err(TokenError::Widening(b2a_model::GrantViolation {
                field: "chain".into(),
                reason: format!(
                    "a token may be exchanged at most {} times in a row",
                    MAX_CHAIN - 1
                ),
            }));
        }
        let mut cap = if req.capabilities.is_empty() {
            parent.cap.clone()
        } else {
            req.capabilities.clone()
        };
        cap.sort();
        cap.dedup();
        check_capabilities_within(&cap, &parent.cap).map_err(TokenError::Widening)?;
        let limits = parent.limits.narrowed(&req.limits);
        limits.validate().map_err(TokenError::InvalidGrant)?;
        limits
            .check_within(&parent.limits)
            .map_err(TokenError::Widening)?;
        let consent = req
            .consent
            .clone()
            .unwrap_or_else(|| parent.consent.clone());
        consent
            .check_within(&parent.consent)
            .map_err(TokenError::Widening)?;
        let cnf = match (&parent.cnf, &req.cnf) {
            (Some(p), Some(c)) if p != c => {
                return Err(TokenError::Widening(b2a_model::GrantViolation {
                    field: "cnf.jkt".into(),
                    reason: "a child of a bound token stays bound to the same key".into(),
                }));
            }
            (p, c) => c.clone().or_else(|| p.clone()),
        };
        let now = now_unix();
        let exp = match req.ttl {
            None => parent.exp,
            Some(ttl) if ttl.is_zero() => return Err(TokenError::InvalidLifetime),
            Some(ttl) => {
                let exp = now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
                if exp > parent.exp {
                    return Err(TokenError::Widening(b2a_model::GrantViolation {
                        field: "ttl_seconds".into(),
                        reason: format!(
                            "the parent token expires in {} s; ask for that or less",
                            (parent.exp - now).max(0)
                        ),
                    }));
                }
                exp
            }
        };
        let mut chain = parent.chain.clone();
        chain.push(parent.jti.clone());
        self.sign(Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: parent.sub.clone(),
            exp,
            nbf: now,
            iat: now,
            jti: new_jti(),
            role: parent.role,
            principal: parent.principal.clone(),
            cap,
            limits,
            consent,
            cnf,
            chain,
        })
    }

    fn sign(&self, claims: Claims) -> Result<IssuedToken, TokenError> {
        let ring = self.keys();
        let key = ring.active();
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

    /// Verifies signature, type, algorithm, issuer, audience, validity window, role and limits.
    ///
    /// A token verified before is recognized by the SHA-256 of its text and only its validity
    /// window (and that its key is still held) is checked again: signature verification is the
    /// costly part, and its result for a given text cannot change while the key is held.
    /// Revocation and suspension are the caller's to check (they live in the ledger).
    pub fn verify(&self, token: &str) -> Result<Arc<Claims>, TokenError> {
        self.refresh_keys(false);
        let key = digest(token);
        if let Some((kid, claims)) = self.verified.0.get(&key) {
            let held = self.ring().find(&kid).is_some()
                || self.trusted.iter().any(|t| t.key(&kid).is_some());
            if held {
                let window = check_window(&claims, now_unix());
                if matches!(window, Err(TokenError::Expired)) {
                    self.verified.0.remove(&key);
                }
                return window.map(|()| claims);
            }
            self.verified.0.remove(&key);
        }
        let (kid, claims) = match self.verify_signed(token) {
            Err(TokenError::UnknownKey) => {
                // Perhaps a key rotated in by another process a moment ago.
                self.refresh_keys(true);
                self.verify_signed(token)?
            }
            other => other?,
        };
        let claims = Arc::new(claims);
        self.verified
            .0
            .insert(key, (kid.into(), Arc::clone(&claims)));
        Ok(claims)
    }

    fn verify_signed(&self, token: &str) -> Result<(String, Claims), TokenError> {
        check_algorithm(token)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.typ.as_deref() != Some(TOKEN_TYPE) {
            return Err(TokenError::WrongType);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let ring = self.ring();
        let (issuer, alg, key, trusted): (&str, Algorithm, &DecodingKey, Option<&TrustedIssuer>) =
            if let Some(k) = ring.find(&kid) {
                (&self.issuer, Algorithm::EdDSA, &k.decoding, None)
            } else {
                let (t, (alg, key)) = self
                    .trusted
                    .iter()
                    .find_map(|t| t.key(&kid).map(|k| (t, k)))
                    .ok_or(TokenError::UnknownKey)?;
                (&t.issuer, alg, key, Some(t))
            };
        if header.alg != alg {
            return Err(TokenError::UnsupportedAlgorithm);
        }
        let mut validation = Validation::new(alg);
        validation.algorithms = vec![alg];
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[&self.audience]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        let data =
            jsonwebtoken::decode::<Value>(token, key, &validation).map_err(|e| match e.kind() {
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
            })?;
        if let Some(limits) = data.claims.get("limits").and_then(Value::as_object)
            && let Some(unknown) = limits.keys().find(|k| !LIMIT_NAMES.contains(&k.as_str()))
        {
            return Err(TokenError::UnknownLimit(unknown.clone()));
        }
        let mut claims: Claims = serde_json::from_value(data.claims)
            .map_err(|e| TokenError::InvalidClaims(e.to_string()))?;
        if claims.jti.is_empty() || claims.jti.len() > 128 {
            return Err(TokenError::InvalidClaims(
                "`jti` must have 1 to 128 characters".into(),
            ));
        }
        check_role(claims.role, &claims.cap)?;
        claims
            .limits
            .validate()
            .map_err(|v| TokenError::InvalidClaims(v.to_string()))?;
        if let Some(t) = trusted {
            t.check_ceiling(&claims)?;
            claims.jti = format!("{}/{}", t.name, claims.jti);
        }
        Ok((kid, claims))
    }
}

/// Refuses an algorithm outside [`ALGORITHMS`] by reading the header's `alg` as text, so that
/// `none` and HMAC are named as such rather than as a malformed token.
fn check_algorithm(token: &str) -> Result<(), TokenError> {
    let header = token.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| TokenError::Malformed)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
    let alg = value.get("alg").and_then(Value::as_str).unwrap_or("");
    if ALGORITHMS.iter().any(|a| format!("{a:?}") == alg) {
        Ok(())
    } else {
        Err(TokenError::UnsupportedAlgorithm)
    }
}

fn check_window(claims: &Claims, now: i64) -> Result<(), TokenError> {
    let leeway = LEEWAY_SECONDS.cast_signed();
    if now > claims.exp.saturating_add(leeway) {
        return Err(TokenError::Expired);
    }
    if now < claims.nbf.saturating_sub(leeway) {
        return Err(TokenError::NotYetValid);
    }
    Ok(())
}

fn new_jti() -> String {
    uuid::Uuid::new_v4().simple().to_string()
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
    use crate::Ceiling;

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
            principal: Some(Principal::parse("p-123").expect("principal")),
            ..IssueRequest::new(
                role,
                AgentId::parse("shopper-1").expect("id"),
                caps,
                Duration::from_secs(600),
            )
        }
    }

    /// Signs arbitrary claims with the fixture's key and header overrides.
    fn sign(f: &Fixture, claims: &Value, tweak: impl FnOnce(&mut Header)) -> String {
        let ring = f.svc.keys();
        let key = ring.active();
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
        assert!(matches!(err, Err(TokenError::InvalidGrant(v)) if v.field == "cap"));
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
        let mut stale = (*claims).clone();
        stale.exp = OffsetDateTime::now_utc().unix_timestamp() - 3600;
        let kid: Arc<str> = f.svc.keys().active().kid.clone().into();
        f.svc
            .verified
            .0
            .insert(digest(&issued.token), (kid, Arc::new(stale)));
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

    #[test]
    fn unknown_limits_fail_closed_and_limits_round_trip() {
        let f = fixture();
        let mut req = request(Role::Agent, vec![Capability::OrdersWrite]);
        req.limits = Limits {
            currency: Some(b2a_model::Currency::EUR),
            total: Some(30_000),
            ..Limits::default()
        };
        let issued = f.svc.issue(&req).expect("issued");
        assert_eq!(f.svc.verify(&issued.token).expect("ok").limits, req.limits);

        let mut claims = serde_json::to_value(&issued.claims).expect("json");
        claims["jti"] = json!("other");
        claims["limits"]["per_merchant"] = json!(5);
        assert!(matches!(
            f.svc.verify(&sign(&f, &claims, |_| ())),
            Err(TokenError::UnknownLimit(name)) if name == "per_merchant"
        ));
    }

    #[test]
    fn exchange_narrows_and_refuses_to_widen() {
        let f = fixture();
        let mut req = request(
            Role::Agent,
            vec![Capability::OrdersWrite, Capability::CatalogRead],
        );
        req.limits = Limits {
            currency: Some(b2a_model::Currency::EUR),
            total: Some(30_000),
            ..Limits::default()
        };
        let parent = f.svc.issue(&req).expect("issued").claims;
        let child = f
            .svc
            .exchange(
                &parent,
                &ExchangeRequest {
                    capabilities: vec![Capability::CatalogRead],
                    limits: Limits {
                        total: Some(10_000),
                        ..Limits::default()
                    },
                    ttl: Some(Duration::from_secs(60)),
                    ..ExchangeRequest::default()
                },
            )
            .expect("narrower");
        let verified = f.svc.verify(&child.token).expect("child verifies");
        assert_eq!(verified.chain, vec![parent.jti.clone()]);
        assert_eq!(verified.parent(), Some(parent.jti.as_str()));
        assert_eq!(verified.limits.total, Some(10_000));
        assert_eq!(verified.limits.currency, Some(b2a_model::Currency::EUR));
        assert!(verified.exp <= parent.exp);

        let wider = |r: ExchangeRequest| f.svc.exchange(&parent, &r);
        assert!(matches!(
            wider(ExchangeRequest {
                capabilities: vec![Capability::QuotesWrite],
                ..ExchangeRequest::default()
            }),
            Err(TokenError::Widening(v)) if v.field == "cap"
        ));
        assert!(matches!(
            wider(ExchangeRequest {
                limits: Limits { total: Some(30_001), ..Limits::default() },
                ..ExchangeRequest::default()
            }),
            Err(TokenError::Widening(v)) if v.field == "limits.total"
        ));
        assert!(matches!(
            wider(ExchangeRequest {
                ttl: Some(Duration::from_secs(3600)),
                ..ExchangeRequest::default()
            }),
            Err(TokenError::Widening(v)) if v.field == "ttl_seconds"
        ));
    }

    #[test]
    fn a_rotated_key_signs_and_the_old_one_verifies_until_retired() {
        let f = fixture();
        let old = f.svc.issue(&request(Role::Agent, vec![])).expect("issued");
        // Another process (the CLI) rotates the keys of the same directory.
        let rotated = f.svc.keys().rotate().expect("rotated");
        let old_kid = f.svc.keys().all()[0].kid.clone();
        assert_ne!(rotated.active().kid, old_kid);
        let new = f.svc.issue(&request(Role::Agent, vec![])).expect("issued");
        let header = jsonwebtoken::decode_header(&new.token).expect("header");
        assert_eq!(header.kid.as_deref(), Some(rotated.active().kid.as_str()));
        assert!(f.svc.verify(&old.token).is_ok(), "old key still verifies");
        assert_eq!(
            f.svc.keys().jwks()["keys"].as_array().map(Vec::len),
            Some(2)
        );

        rotated.retire(&old_kid).expect("retired");
        // A running service compares its ring with the directory once a second; `keys()`
        // compares at once, as the second would.
        assert_eq!(f.svc.keys().len(), 1);
        assert!(matches!(
            f.svc.verify(&old.token),
            Err(TokenError::UnknownKey)
        ));
        assert!(f.svc.verify(&new.token).is_ok());
        assert!(
            rotated.retire(&rotated.active().kid).is_err(),
            "the signing key stays"
        );
    }

    #[test]
    fn trusted_issuer_tokens_are_accepted_within_the_ceiling_only() {
        use jsonwebtoken::EncodingKey;
        use p256::pkcs8::EncodePrivateKey;

        let f = fixture();
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret.to_pkcs8_der().expect("der");
        let jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string()).expect("jwk");
        let mut jwk = jwk;
        jwk["kid"] = json!("idp-1");
        let ceiling = Ceiling {
            roles: vec![Role::Agent],
            capabilities: vec![Capability::CatalogRead, Capability::OrdersWrite],
            limits: Limits {
                currency: Some(b2a_model::Currency::EUR),
                total: Some(50_000),
                ..Limits::default()
            },
            max_ttl: Duration::from_secs(3600),
        };
        let idp = TrustedIssuer::new(
            "idp",
            "https://idp.example",
            &json!({"keys": [jwk]}),
            ceiling,
        )
        .expect("issuer");
        let svc = f.svc.clone().with_trusted_issuers(vec![idp]);
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = |total: u64| {
            json!({"iss": "https://idp.example", "aud": "https://brand.example/v1", "sub": "shopper-9",
                   "exp": now + 600, "nbf": now, "iat": now, "jti": "abc", "role": "agent",
                   "cap": ["catalog:read"], "limits": {"currency": "EUR", "total": total}})
        };
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some(TOKEN_TYPE.into());
        header.kid = Some("idp-1".into());
        let key = EncodingKey::from_ec_der(der.as_bytes());
        let within = jsonwebtoken::encode(&header, &claims(40_000), &key).expect("signed");
        let verified = svc.verify(&within).expect("within the ceiling");
        assert_eq!(verified.jti, "idp/abc", "namespaced jti");
        let above = jsonwebtoken::encode(&header, &claims(60_000), &key).expect("signed");
        assert!(matches!(
            svc.verify(&above),
            Err(TokenError::AboveIssuerCeiling(_))
        ));
        // The brand's own service without the issuer does not know the key.
        assert!(matches!(f.svc.verify(&within), Err(TokenError::UnknownKey)));
    }
}
