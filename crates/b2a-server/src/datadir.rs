//! The data directory of a gateway: catalog graph, ledger, signing keys and identity.
//!
//! ```text
//! DIR/identity.json   issuer and audience every token carries
//! DIR/keys/           Ed25519 signing keys of tokens and quotes (owner-only)
//! DIR/audit/key.p8    the Ed25519 key that signs audit checkpoints (owner-only)
//! DIR/catalog/        Oxigraph (RocksDB) store of catalog versions
//! DIR/ledger.sqlite   the embedded ledger (WAL)
//! ```

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use b2a_app::{AuditLog, Governance, OrderRules, Shop};
use b2a_contract::Contract;
use b2a_graph::CatalogStore;
use b2a_ledger::{Ledger, SqliteLedger};
use b2a_trust::{AuditKey, DpopVerifier, KeyRing, TokenService, TrustedIssuer};
use serde::{Deserialize, Serialize};

use crate::{AppState, GatewayConfig, RateLimits};

/// Who this gateway is to its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `iss` of every token.
    pub issuer: String,
    /// `aud` of every token.
    pub audience: String,
}

/// Why a data directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// The directory has not been initialised.
    #[error(
        "{0} is not a b2a data directory; create one with `b2a catalog load --data {0} FILE --publish` or `b2a demo --data {0}`"
    )]
    NotInitialised(String),
    /// The directory has a catalog but no token identity yet.
    #[error(
        "{0} has no token identity yet: start the gateway on it once (`b2a serve --data {0}`), which fixes the issuer and audience"
    )]
    NoIdentity(String),
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        reason: String,
    },
    /// A component failed to open.
    #[error("{0}")]
    Open(String),
}

/// A gateway's data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    path: PathBuf,
}

const IDENTITY: &str = "identity.json";

impl DataDir {
    /// Uses `path`, creating it (owner-only) if needed.
    pub fn create(path: &Path) -> Result<Self, DataDirError> {
        let io = |e: std::io::Error| DataDirError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        fs::create_dir_all(path).map_err(io)?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(io)?;
        Ok(Self {
            path: path.to_owned(),
        })
    }

    /// Uses a directory that `b2a demo` or `b2a catalog load` created.
    pub fn existing(path: &Path) -> Result<Self, DataDirError> {
        if !path.join(IDENTITY).is_file() && !path.join("catalog").is_dir() {
            return Err(DataDirError::NotInitialised(path.display().to_string()));
        }
        Ok(Self {
            path: path.to_owned(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored identity, or a new one for `public_url` (stored for every later start, so
    /// tokens stay valid whatever address the gateway is later served on).
    pub fn identity_or_init(&self, public_url: &str) -> Result<Identity, DataDirError> {
        match self.identity() {
            Ok(id) => Ok(id),
            Err(DataDirError::NoIdentity(_)) => {
                let id = Identity {
                    issuer: public_url.to_owned(),
                    audience: public_url.to_owned(),
                };
                let path = self.path.join(IDENTITY);
                let text = serde_json::to_string_pretty(&id)
                    .map_err(|e| DataDirError::Open(e.to_string()))?;
                fs::write(&path, text + "\n").map_err(|e| DataDirError::Io {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
                Ok(id)
            }
            Err(e) => Err(e),
        }
    }

    /// The stored identity.
    pub fn identity(&self) -> Result<Identity, DataDirError> {
        let path = self.path.join(IDENTITY);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DataDirError::NoIdentity(self.path.display().to_string()));
            }
            Err(e) => {
                return Err(DataDirError::Io {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                });
            }
        };
        serde_json::from_str(&text).map_err(|e| DataDirError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Token issuance and verification with this directory's keys and identity.
    pub fn token_service(&self) -> Result<TokenService, DataDirError> {
        let id = self.identity()?;
        let keys =
            KeyRing::open_or_create(&self.path).map_err(|e| DataDirError::Open(e.to_string()))?;
        Ok(TokenService::new(keys, id.issuer, id.audience))
    }

    /// Token issuance, the agent registry and revocation, on this directory's keys and ledger
    /// (as the CLI uses them beside a running gateway).
    pub async fn governance(&self) -> Result<Governance, DataDirError> {
        let tokens = Arc::new(self.token_service()?);
        let ledger: Arc<dyn Ledger> = Arc::new(self.ledger().await?);
        Ok(Governance::new(ledger, tokens))
    }

    /// The embedded ledger.
    pub async fn ledger(&self) -> Result<SqliteLedger, DataDirError> {
        SqliteLedger::open(&self.path.join("ledger.sqlite"))
            .await
            .map_err(|e| DataDirError::Open(e.to_string()))
    }

    /// The catalog store (RocksDB allows one process at a time).
    pub fn catalog(&self) -> Result<CatalogStore, DataDirError> {
        let path = self.path.join("catalog");
        CatalogStore::open(&path).map_err(|e| {
            let e = e.to_string();
            if e.to_ascii_lowercase().contains("lock") {
                DataDirError::Open(format!(
                    "the catalog store {} is in use: is a gateway running on this data directory? \
                     stop it before running catalog commands ({e})",
                    path.display()
                ))
            } else {
                DataDirError::Open(format!("{}: {e}", path.display()))
            }
        })
    }

    /// The catalog and the embedded ledger, as the operations see them, signing quotes with
    /// `tokens`.
    pub async fn shop_with(
        &self,
        tokens: Arc<TokenService>,
        quote_ttl: Duration,
    ) -> Result<Shop, DataDirError> {
        let ledger: Arc<dyn Ledger> = Arc::new(self.ledger().await?);
        self.shop_on(ledger, tokens, quote_ttl)
    }

    fn shop_on(
        &self,
        ledger: Arc<dyn Ledger>,
        tokens: Arc<TokenService>,
        quote_ttl: Duration,
    ) -> Result<Shop, DataDirError> {
        let catalog = Arc::new(self.catalog()?);
        Ok(Shop::new(catalog, ledger, tokens, quote_ttl))
    }

    /// The catalog and the ledger, as the operations see them (the catalog commands of the CLI).
    /// Quotes are signed with this directory's keys; before the gateway's first start there is
    /// no token identity yet, and none is needed to sign a quote.
    pub async fn shop(&self, quote_ttl: Duration) -> Result<Shop, DataDirError> {
        let tokens = match self.identity() {
            Ok(_) => self.token_service()?,
            Err(DataDirError::NoIdentity(_)) => TokenService::new(
                KeyRing::open_or_create(&self.path)
                    .map_err(|e| DataDirError::Open(e.to_string()))?,
                "",
                "",
            ),
            Err(e) => return Err(e),
        };
        self.shop_with(Arc::new(tokens), quote_ttl).await
    }

    /// The audit log of `ledger`, its checkpoints signed with this directory's audit key and
    /// named after the host of the token issuer fixed at the first start (`shop.example/audit`),
    /// so that the origin stays the same whatever address the gateway is later served on.
    pub fn audit_log(&self, ledger: Arc<dyn Ledger>) -> Result<AuditLog, DataDirError> {
        let issuer = self.identity()?.issuer;
        let key =
            AuditKey::open_or_create(&self.path).map_err(|e| DataDirError::Open(e.to_string()))?;
        let host = issuer
            .split_once("://")
            .map_or(issuer.as_str(), |(_, rest)| rest)
            .trim_end_matches('/');
        Ok(AuditLog::new(ledger, key, format!("{host}/audit")))
    }

    /// Everything a running gateway needs: this directory's catalog and keys, and its embedded
    /// ledger or the PostgreSQL ledger at `ledger_url` (shared by several replicas); tokens of
    /// `trusted` issuers are accepted too.
    pub async fn app_state(
        &self,
        config: GatewayConfig,
        settings: ShopSettings,
        trusted: Vec<TrustedIssuer>,
    ) -> Result<AppState, DataDirError> {
        let tokens = Arc::new(self.token_service()?.with_trusted_issuers(trusted));
        let contract = Arc::new(Contract::load().map_err(|e| DataDirError::Open(e.to_string()))?);
        let ledger: Arc<dyn Ledger> = match &settings.ledger_url {
            None => Arc::new(self.ledger().await?),
            Some(url) => Arc::new(
                b2a_ledger::PostgresLedger::connect(url)
                    .await
                    .map_err(|e| DataDirError::Open(format!("ledger {}: {e}", redact(url))))?,
            ),
        };
        let audit = self.audit_log(ledger.clone())?;
        let governance = Governance::new(ledger.clone(), Arc::clone(&tokens));
        let shop = self
            .shop_on(ledger, tokens, settings.quote_ttl)?
            .with_order_rules(settings.order_rules);
        Ok(AppState {
            audit: Arc::new(audit),
            governance: Arc::new(governance),
            dpop: Arc::new(DpopVerifier::new(config.dpop_window)),
            rate_limits: Arc::new(RateLimits::new(&config.rate_limits)),
            shop,
            contract,
            sparql_gate: crate::AgentGate::new(config.sparql_max_concurrent),
            config: Arc::new(config),
        })
    }
}

/// What the operations of a gateway are set up with.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopSettings {
    /// How long quotes stay valid.
    pub quote_ttl: Duration,
    /// Risk rules and the return window.
    pub order_rules: OrderRules,
    /// A PostgreSQL URL, or `None` for the embedded ledger of the data directory.
    pub ledger_url: Option<String>,
}

impl Default for ShopSettings {
    fn default() -> Self {
        Self {
            quote_ttl: Duration::from_secs(900),
            order_rules: OrderRules::default(),
            ledger_url: None,
        }
    }
}

/// A URL with its password, if any, left out (for messages and logs).
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
