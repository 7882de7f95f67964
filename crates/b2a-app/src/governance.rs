//! Agent governance: the registry, issuing, exchanging and revoking tokens, and the standing of
//! every verified token (revoked? agent suspended?) checked on each request.
//!
//! Revocations and suspensions live in the ledger. Each gateway keeps them in memory and reloads
//! them when the ledger's trust stamp changes (any process, any replica) or after
//! [`SNAPSHOT_MAX_AGE`], so the per-request check costs a stamp read and two set lookups. The
//! order transaction checks them again in the ledger, so money never moves on a stale view.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use b2a_ledger::{
    Actor, AgentRecord, AgentStatus, GrantRecord, GrantState, LedgerError, Refusal, Registry,
    TrustSnapshot,
};
use b2a_model::{AgentId, Confirmation, Limits, Money};
use b2a_trust::{Claims, ExchangeRequest, IssueRequest, IssuedToken, TokenError, TokenService};
use serde::Serialize;
use time::OffsetDateTime;

/// The longest a gateway trusts its in-memory revocations without asking the ledger again,
/// whatever the trust stamp says.
pub const SNAPSHOT_MAX_AGE: Duration = Duration::from_secs(5);

/// How often, at most, the ledger's trust stamp is read: under load, a revocation committed by
/// another process is seen within this long (a revocation through this gateway, at once).
pub const STAMP_INTERVAL: Duration = Duration::from_millis(1);

/// Why a governance operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GovernanceError {
    /// Signing or verification refused.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The ledger failed or refused.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The token is revoked, or its agent suspended.
    #[error("{}", refusal_text(.0))]
    Refused(Refusal),
    /// Agent tokens are issued only to registered agents.
    #[error(
        "agent {0} is not registered; register it first (POST /v1/admin/agents or `b2a agents register`)"
    )]
    AgentNotRegistered(AgentId),
    /// The agent registered keys, and `cnf.jkt` is none of them.
    #[error("{jkt} is not the thumbprint of a key agent {agent} registered")]
    KeyNotRegistered {
        /// The agent.
        agent: AgentId,
        /// The thumbprint asked for.
        jkt: String,
    },
    /// A registered key is not a usable public JWK.
    #[error("keys/{index}: {reason}")]
    InvalidKey {
        /// Its position.
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

fn refusal_text(r: &Refusal) -> String {
    match r {
        Refusal::Revoked(jti) => format!("token {jti} has been revoked"),
        Refusal::AncestorRevoked(jti) => {
            format!("token {jti}, which this token was exchanged from, has been revoked")
        }
        Refusal::AgentSuspended => "the token's agent is suspended".to_owned(),
    }
}

impl From<Refusal> for GovernanceError {
    fn from(r: Refusal) -> Self {
        GovernanceError::Refused(r)
    }
}

/// What the holder of a token may read about it (`GET /v1/tokens/self`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenStatus {
    /// Always `active`: a revoked or expired token cannot ask.
    pub status: &'static str,
    /// Its claims.
    pub jti: String,
    /// Its issuer.
    pub iss: String,
    /// Its subject.
    pub sub: AgentId,
    /// Its role.
    pub role: b2a_model::Role,
    /// The person it acts for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<b2a_model::Principal>,
    /// Its capabilities.
    pub cap: Vec<b2a_model::Capability>,
    /// Its limits.
    pub limits: Limits,
    /// Its consent.
    pub consent: b2a_model::Consent,
    /// Its binding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// The tokens it was exchanged from, oldest first.
    pub chain: Vec<String>,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When it expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// What orders under it (and tokens exchanged from it) have spent, in its currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spent: Option<Money>,
    /// What it may still spend: the least that remains of its own total and of every
    /// ancestor's (spend under a sibling counts against a shared ancestor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<Money>,
    /// Orders placed under it in the last 24 hours.
    pub orders_last_24h: u32,
}

struct Loaded {
    stamp: u64,
    at: Instant,
    snapshot: Arc<TrustSnapshot>,
}

/// When the trust stamp was last read, in nanoseconds since `Governance::epoch`.
struct StampCheck {
    epoch: Instant,
    last: AtomicU64,
}

impl StampCheck {
    /// Whether the stamp is due for a read (and, if so, marks it read now).
    fn due(&self) -> bool {
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let last = self.last.load(Ordering::Relaxed);
        if now.saturating_sub(last) < STAMP_INTERVAL.as_nanos() as u64 {
            return false;
        }
        self.last.store(now, Ordering::Relaxed);
        true
    }
}

/// The registry, token issuance and the standing of tokens.
pub struct Governance {
    ledger: Arc<dyn Registry>,
    tokens: Arc<TokenService>,
    loaded: RwLock<Option<Loaded>>,
    stamp_check: StampCheck,
}

impl std::fmt::Debug for Governance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Governance")
            .field("issuer", &self.tokens.issuer())
            .finish_non_exhaustive()
    }
}

/// Refuses a binding to a key the agent did not register (when it registered any).
fn check_binding(agent: &AgentRecord, cnf: Option<&Confirmation>) -> Result<(), GovernanceError> {
    let Some(cnf) = cnf else { return Ok(()) };
    if agent.keys.is_empty()
        || agent
            .keys
            .iter()
            .any(|k| b2a_trust::jwk_thumbprint(k).is_ok_and(|t| t == cnf.jkt))
    {
        return Ok(());
    }
    Err(GovernanceError::KeyNotRegistered {
        agent: agent.id.clone(),
        jkt: cnf.jkt.clone(),
    })
}

/// The grant a verified token stands for.
pub fn grant_of(claims: &Claims) -> GrantRecord {
    let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    GrantRecord {
        jti: claims.jti.clone(),
        parent: claims.parent().map(str::to_owned),
        agent: claims.sub.clone(),
        role: claims.role,
        principal: claims.principal.clone(),
        limits: claims.limits.clone(),
        issued_at: at(claims.iat),
        expires_at: at(claims.exp),
    }
}

impl Governance {
    /// Governance over this ledger, signing and verifying with `tokens`.
    pub fn new(ledger: Arc<dyn Registry>, tokens: Arc<TokenService>) -> Self {
        Self {
            ledger,
            tokens,
            loaded: RwLock::new(None),
            stamp_check: StampCheck {
                epoch: Instant::now(),
                last: AtomicU64::new(0),
            },
        }
    }

    /// The token service.
    pub fn tokens(&self) -> &Arc<TokenService> {
        &self.tokens
    }

    /// Verifies a token and checks its standing: not revoked (nor any token it was exchanged
    /// from), its agent not suspended.
    pub async fn admit(&self, token: &str) -> Result<Arc<Claims>, GovernanceError> {
        let claims = self.tokens.verify(token)?;
        let snapshot = self.snapshot().await?;
        match snapshot.refusal(&claims.jti, &claims.chain, &claims.sub) {
            Some(r) => Err(r.into()),
            None => Ok(claims),
        }
    }

    /// The revocations and suspensions as the ledger now has them.
    async fn snapshot(&self) -> Result<Arc<TrustSnapshot>, LedgerError> {
        let due = self.stamp_check.due();
        let mut stamp = None;
        {
            let loaded = self.loaded.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(l) = loaded.as_ref()
                && l.at.elapsed() < SNAPSHOT_MAX_AGE
            {
                if !due {
                    return Ok(Arc::clone(&l.snapshot));
                }
                let now = self.ledger.trust_stamp();
                if now == l.stamp {
                    return Ok(Arc::clone(&l.snapshot));
                }
                stamp = Some(now);
            }
        }
        let stamp = stamp.unwrap_or_else(|| self.ledger.trust_stamp());
        let snapshot = Arc::new(
            self.ledger
                .trust_snapshot(OffsetDateTime::now_utc())
                .await?,
        );
        *self.loaded.write().unwrap_or_else(PoisonError::into_inner) = Some(Loaded {
            stamp,
            at: Instant::now(),
            snapshot: Arc::clone(&snapshot),
        });
        Ok(snapshot)
    }

    /// Forgets the in-memory snapshot, so the next check reads the ledger.
    fn invalidate(&self) {
        *self.loaded.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Signs a token and records its grant (with a `token.issued` audit entry). An agent token
    /// is issued only to a registered, active agent, bound (if at all) to one of its keys.
    pub async fn issue(
        &self,
        req: &IssueRequest,
        by: &Actor,
    ) -> Result<IssuedToken, GovernanceError> {
        if req.role == b2a_model::Role::Agent {
            let agent = self
                .ledger
                .agent(&req.agent)
                .await?
                .ok_or_else(|| GovernanceError::AgentNotRegistered(req.agent.clone()))?;
            if agent.status == AgentStatus::Suspended {
                return Err(Refusal::AgentSuspended.into());
            }
            check_binding(&agent, req.cnf.as_ref())?;
        }
        let issued = self.tokens.issue(req)?;
        self.ledger
            .record_grant(&grant_of(&issued.claims), by)
            .await?;
        Ok(issued)
    }

    /// Exchanges a verified token for a narrower child (a `token.exchanged` audit entry).
    pub async fn exchange(
        &self,
        parent: &Claims,
        req: &ExchangeRequest,
    ) -> Result<IssuedToken, GovernanceError> {
        if parent.cnf.is_none()
            && req.cnf.is_some()
            && let Some(agent) = self.ledger.agent(&parent.sub).await?
        {
            check_binding(&agent, req.cnf.as_ref())?;
        }
        let child = self.tokens.exchange(parent, req)?;
        // A trusted issuer's token has no grant yet: its children's spend counts against it.
        self.ledger.ensure_grant(&grant_of(parent)).await?;
        let by = Actor {
            name: parent.actor(),
            credential: parent.jti.clone(),
        };
        self.ledger
            .record_grant(&grant_of(&child.claims), &by)
            .await?;
        Ok(child)
    }

    /// Revokes a token (and with it every token exchanged from it), at once.
    pub async fn revoke(
        &self,
        jti: &str,
        reason: &str,
        by: &Actor,
    ) -> Result<GrantRecord, GovernanceError> {
        let grant = self
            .ledger
            .revoke_grant(jti, reason, by, OffsetDateTime::now_utc())
            .await?;
        self.invalidate();
        Ok(grant)
    }

    /// Registers an agent.
    pub async fn register_agent(
        &self,
        agent: &AgentRecord,
        by: &Actor,
    ) -> Result<(), GovernanceError> {
        for (index, key) in agent.keys.iter().enumerate() {
            if key.get("d").is_some() {
                return Err(GovernanceError::InvalidKey {
                    index,
                    reason: "this is a private key; register the public key only".into(),
                });
            }
            b2a_trust::jwk_thumbprint(key).map_err(|e| GovernanceError::InvalidKey {
                index,
                reason: e.to_string(),
            })?;
        }
        self.ledger.register_agent(agent, by).await?;
        Ok(())
    }

    /// The registered agents.
    pub async fn agents(&self) -> Result<Vec<AgentRecord>, GovernanceError> {
        Ok(self.ledger.agents().await?)
    }

    /// Suspends or reactivates an agent, at once.
    pub async fn set_agent_status(
        &self,
        id: &AgentId,
        status: AgentStatus,
        by: &Actor,
    ) -> Result<AgentRecord, GovernanceError> {
        let agent = self.ledger.set_agent_status(id, status, by).await?;
        self.invalidate();
        Ok(agent)
    }

    /// What the holder may read about its own token: claims, spend and remaining budget.
    pub async fn status(
        &self,
        claims: &Claims,
        now: OffsetDateTime,
    ) -> Result<TokenStatus, GovernanceError> {
        let grant = grant_of(claims);
        // A trusted issuer's token may not be known yet; the brand's own always are.
        if self.ledger.grant_state(&claims.jti, now).await?.is_none() {
            self.ledger.ensure_grant(&grant).await?;
        }
        let own = self.grant_state(&claims.jti, now).await?;
        let mut remaining: Option<u64> = None;
        for jti in claims.chain.iter().chain(std::iter::once(&claims.jti)) {
            let state = self.grant_state(jti, now).await?;
            if let Some(total) = state.grant.limits.total {
                let left = total.saturating_sub(state.spent);
                remaining = Some(remaining.map_or(left, |r| r.min(left)));
            }
        }
        let money = |amount: u64| claims.limits.money(Some(amount));
        Ok(TokenStatus {
            status: "active",
            jti: claims.jti.clone(),
            iss: claims.iss.clone(),
            sub: claims.sub.clone(),
            role: claims.role,
            principal: claims.principal.clone(),
            cap: claims.cap.clone(),
            limits: claims.limits.clone(),
            consent: claims.consent.clone(),
            cnf: claims.cnf.clone(),
            chain: claims.chain.clone(),
            issued_at: grant.issued_at,
            expires_at: grant.expires_at,
            spent: money(own.spent),
            remaining: remaining.and_then(money),
            orders_last_24h: own.orders_last_24h,
        })
    }

    async fn grant_state(
        &self,
        jti: &str,
        now: OffsetDateTime,
    ) -> Result<GrantState, GovernanceError> {
        self.ledger
            .grant_state(jti, now)
            .await?
            .ok_or_else(|| LedgerError::GrantNotFound(jti.to_owned()).into())
    }
}
