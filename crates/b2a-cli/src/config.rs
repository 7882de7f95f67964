//! The optional TOML config file and the resolution of flags: command line, then environment
//! (both handled by clap), then file, then default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use b2a_model::{Capability, Limits, Role};
use b2a_server::{Rate, RateClass};
use b2a_trust::{Ceiling, TrustedIssuer};
use serde::Deserialize;

use crate::cli::{IssueArgs, RoleArg, ServeArgs};

/// Keys a config file may set; unknown keys are an error.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    data: Option<PathBuf>,
    addr: Option<SocketAddr>,
    public_url: Option<String>,
    brand_name: Option<String>,
    brand_url: Option<String>,
    quote_ttl: Option<String>,
    checkpoint_interval: Option<String>,
    retention: Option<String>,
    max_body_bytes: Option<usize>,
    max_catalog_bytes: Option<usize>,
    sparql_timeout: Option<String>,
    sparql_max_rows: Option<usize>,
    sparql_max_concurrent: Option<usize>,
    dpop_window: Option<String>,
    public_catalog: Option<bool>,
    ledger: Option<String>,
    return_window: Option<String>,
    max_orders_per_hour: Option<u32>,
    max_line_quantity: Option<u32>,
    /// `[rate_limits]`: `catalog = { per_second = 100, burst = 200 }`, ...
    #[serde(default)]
    rate_limits: BTreeMap<String, Rate>,
    /// `[[trusted_issuers]]`: other issuers whose tokens are accepted within a ceiling.
    #[serde(default)]
    trusted_issuers: Vec<TrustedIssuerFile>,
    #[serde(default)]
    token: TokenFileConfig,
    /// The directory of the file, for relative paths in it.
    #[serde(skip)]
    dir: Option<PathBuf>,
}

/// One `[[trusted_issuers]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustedIssuerFile {
    /// Short name; its tokens' jti become `<name>/<jti>`.
    name: String,
    /// The `iss` its tokens carry.
    issuer: String,
    /// Its JWK Set, as a file (relative paths are relative to the config file).
    jwks_file: PathBuf,
    /// Roles it may issue [default: agent].
    #[serde(default = "default_roles")]
    roles: Vec<Role>,
    /// Capabilities it may grant [default: catalog:read].
    #[serde(default = "default_caps")]
    cap: Vec<Capability>,
    /// Limits its tokens must stay within.
    #[serde(default)]
    limits: Limits,
    /// The longest lifetime of its tokens [default: 1h].
    #[serde(default = "default_max_ttl")]
    max_ttl: String,
}

fn default_roles() -> Vec<Role> {
    vec![Role::Agent]
}

fn default_caps() -> Vec<Capability> {
    vec![Capability::CatalogRead]
}

fn default_max_ttl() -> String {
    "1h".into()
}

impl TrustedIssuerFile {
    fn load(self, base: &Path) -> anyhow::Result<TrustedIssuer> {
        let path = base.join(&self.jwks_file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("trusted issuer {}: reading {}", self.name, path.display()))?;
        let jwks: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("trusted issuer {}: parsing {}", self.name, path.display()))?;
        self.limits
            .validate()
            .with_context(|| format!("trusted issuer {}: limits", self.name))?;
        let ceiling = Ceiling {
            roles: self.roles,
            capabilities: self.cap,
            limits: self.limits,
            max_ttl: parse_duration(&self.max_ttl, "max_ttl")?,
        };
        Ok(TrustedIssuer::new(self.name, self.issuer, &jwks, ceiling)?)
    }
}

/// The `[token]` table: defaults for `b2a token issue`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenFileConfig {
    role: Option<RoleArg>,
    agent: Option<String>,
    principal: Option<String>,
    #[serde(default)]
    cap: Vec<String>,
    ttl: Option<String>,
}

/// Settings of `token issue` after resolution.
#[derive(Debug)]
pub(crate) struct IssueSettings {
    pub(crate) data: PathBuf,
    pub(crate) role: RoleArg,
    pub(crate) agent: String,
    pub(crate) principal: Option<String>,
    pub(crate) cap: Vec<String>,
    pub(crate) ttl: Duration,
    pub(crate) currency: Option<String>,
    pub(crate) per_order: Option<String>,
    pub(crate) total: Option<String>,
    pub(crate) approval_above: Option<String>,
    pub(crate) categories: Vec<String>,
    pub(crate) max_orders_per_day: Option<u32>,
    pub(crate) consent_purposes: Vec<String>,
    pub(crate) consent_attributes: Vec<String>,
    pub(crate) bind_jkt: Option<String>,
}

impl IssueSettings {
    pub(crate) fn resolve(args: IssueArgs, file: FileConfig) -> anyhow::Result<Self> {
        let t = file.token;
        Ok(Self {
            data: args
                .data
                .or(file.data)
                .context("--data DIR is required (or B2A_DATA)")?,
            role: args
                .role
                .or(t.role)
                .context("--role is required: agent, operator or auditor")?,
            agent: args.agent.or(t.agent).context("--agent ID is required")?,
            principal: args.principal.or(t.principal),
            cap: if args.cap.is_empty() { t.cap } else { args.cap },
            ttl: parse_duration(&args.ttl.or(t.ttl).unwrap_or_else(|| "7d".into()), "--ttl")?,
            currency: args.currency,
            per_order: args.per_order,
            total: args.total,
            approval_above: args.approval_above,
            categories: args.categories,
            max_orders_per_day: args.max_orders_per_day,
            consent_purposes: args.consent_purposes,
            consent_attributes: args.consent_attributes,
            bind_jkt: args.bind_jkt,
        })
    }
}

impl FileConfig {
    /// The `data` key.
    pub(crate) fn data_dir(&self) -> Option<PathBuf> {
        self.data.clone()
    }

    pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut file: Self =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        file.dir = path.parent().map(Path::to_owned);
        Ok(file)
    }
}

/// Settings of `demo` and `serve` after resolution.
#[derive(Debug)]
pub(crate) struct ServeSettings {
    pub(crate) data: PathBuf,
    pub(crate) addr: SocketAddr,
    pub(crate) public_url: String,
    pub(crate) brand_name: String,
    pub(crate) brand_url: String,
    pub(crate) quote_ttl: Duration,
    pub(crate) checkpoint_interval: Duration,
    pub(crate) retention: Duration,
    pub(crate) max_body_bytes: usize,
    pub(crate) max_catalog_bytes: usize,
    pub(crate) sparql_timeout: Duration,
    pub(crate) sparql_max_rows: usize,
    pub(crate) sparql_max_concurrent: usize,
    pub(crate) rate_limits: BTreeMap<RateClass, Rate>,
    pub(crate) dpop_window: Duration,
    pub(crate) public_catalog: bool,
    pub(crate) trusted_issuers: Vec<TrustedIssuer>,
    /// A PostgreSQL URL, or `None` for the embedded ledger.
    pub(crate) ledger: Option<String>,
    pub(crate) order_rules: b2a_app::OrderRules,
}

fn rate_class(name: &str) -> anyhow::Result<RateClass> {
    RateClass::ALL
        .into_iter()
        .find(|c| c.as_str() == name)
        .with_context(|| {
            let known: Vec<_> = RateClass::ALL.iter().map(|c| c.as_str()).collect();
            format!("rate class `{name}` is not one of {}", known.join(", "))
        })
}

/// `CLASS=PER_SECOND[:BURST]`.
fn parse_rate(text: &str) -> anyhow::Result<(RateClass, Rate)> {
    let bad = || format!("--rate `{text}` is not CLASS=PER_SECOND[:BURST], e.g. orders=5:10");
    let (class, numbers) = text.split_once('=').with_context(bad)?;
    let (per_second, burst) = match numbers.split_once(':') {
        Some((r, b)) => (r.parse::<u32>(), b.parse::<u32>()),
        None => (
            numbers.parse::<u32>(),
            numbers.parse::<u32>().map(|r| r.saturating_mul(2)),
        ),
    };
    let rate = Rate {
        per_second: per_second.ok().filter(|r| *r > 0).with_context(bad)?,
        burst: burst.ok().filter(|b| *b > 0).with_context(bad)?,
    };
    Ok((rate_class(class.trim())?, rate))
}

pub(crate) fn parse_duration(text: &str, what: &str) -> anyhow::Result<Duration> {
    let d = humantime::parse_duration(text)
        .with_context(|| format!("{what} `{text}` is not a duration such as 15m, 1h or 7d"))?;
    if d.is_zero() {
        bail!("{what} must be longer than zero");
    }
    Ok(d)
}

/// How long personal data is kept after its order is closed: the flag, else the file, else 90
/// days.
pub(crate) fn retention(flag: Option<String>, file: &FileConfig) -> anyhow::Result<Duration> {
    parse_duration(
        &flag
            .or_else(|| file.retention.clone())
            .unwrap_or_else(|| "90d".into()),
        "--retention",
    )
}

impl ServeSettings {
    pub(crate) fn resolve(
        args: ServeArgs,
        file: FileConfig,
        default_data: Option<&str>,
    ) -> anyhow::Result<Self> {
        let retention = retention(args.retention.clone(), &file)?;
        let data = args
            .data
            .or(file.data)
            .or_else(|| default_data.map(PathBuf::from))
            .context("--data DIR is required (or B2A_DATA, or `data` in the config file)")?;
        let addr = args
            .addr
            .or(file.addr)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8787)));
        let public_url = args
            .public_url
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("--public-url must start with http:// or https://");
        }
        let quote_ttl = parse_duration(
            &args
                .quote_ttl
                .or(file.quote_ttl)
                .unwrap_or_else(|| "15m".into()),
            "--quote-ttl",
        )?;
        let checkpoint_interval = parse_duration(
            &args
                .checkpoint_interval
                .or(file.checkpoint_interval)
                .unwrap_or_else(|| "1m".into()),
            "--checkpoint-interval",
        )?;

        let max_body_bytes = args
            .max_body_bytes
            .or(file.max_body_bytes)
            .unwrap_or(64 * 1024);
        if !(1024..=16 * 1024 * 1024).contains(&max_body_bytes) {
            bail!("--max-body-bytes must be between 1024 and 16777216");
        }
        let max_catalog_bytes = args
            .max_catalog_bytes
            .or(file.max_catalog_bytes)
            .unwrap_or(64 * 1024 * 1024);
        if !(1024..=1024 * 1024 * 1024).contains(&max_catalog_bytes) {
            bail!("--max-catalog-bytes must be between 1024 and 1073741824");
        }
        let sparql_timeout = parse_duration(
            &args
                .sparql_timeout
                .or(file.sparql_timeout)
                .unwrap_or_else(|| "5s".into()),
            "--sparql-timeout",
        )?;
        let sparql_max_rows = args
            .sparql_max_rows
            .or(file.sparql_max_rows)
            .unwrap_or(10_000);
        let sparql_max_concurrent = args
            .sparql_max_concurrent
            .or(file.sparql_max_concurrent)
            .unwrap_or(2);
        if sparql_max_rows == 0 || sparql_max_concurrent == 0 {
            bail!("--sparql-max-rows and --sparql-max-concurrent must be at least 1");
        }
        let mut rate_limits = BTreeMap::new();
        for (name, rate) in file.rate_limits {
            if rate.per_second == 0 || rate.burst == 0 {
                bail!("rate_limits.{name}: per_second and burst must be at least 1");
            }
            rate_limits.insert(rate_class(&name)?, rate);
        }
        for text in &args.rate {
            let (class, rate) = parse_rate(text)?;
            rate_limits.insert(class, rate);
        }
        let dpop_window = parse_duration(
            &args
                .dpop_window
                .or(file.dpop_window)
                .unwrap_or_else(|| "60s".into()),
            "--dpop-window",
        )?;
        let return_window = parse_duration(
            &args
                .return_window
                .or(file.return_window)
                .unwrap_or_else(|| "30d".into()),
            "--return-window",
        )?;
        let ledger = args.ledger.or(file.ledger);
        if let Some(url) = &ledger
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            bail!("--ledger must be a PostgreSQL URL (postgres://user@host:5432/db)");
        }
        let off_if_zero = |n: u32| (n > 0).then_some(n);
        let order_rules = b2a_app::OrderRules {
            risk: b2a_ledger::RiskRules {
                max_orders_per_agent_per_hour: off_if_zero(
                    args.max_orders_per_hour
                        .or(file.max_orders_per_hour)
                        .unwrap_or(20),
                ),
                max_line_quantity: off_if_zero(
                    args.max_line_quantity
                        .or(file.max_line_quantity)
                        .unwrap_or(20),
                ),
            },
            return_window: time::Duration::try_from(return_window)
                .context("--return-window is too long")?,
        };
        let base = file.dir.clone().unwrap_or_default();
        let trusted_issuers = file
            .trusted_issuers
            .into_iter()
            .map(|t| t.load(&base))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            data,
            addr,
            rate_limits,
            dpop_window,
            public_catalog: args.public_catalog || file.public_catalog.unwrap_or(false),
            trusted_issuers,
            ledger,
            order_rules,
            max_catalog_bytes,
            sparql_timeout,
            sparql_max_rows,
            sparql_max_concurrent,
            public_url,
            brand_name: args
                .brand_name
                .or(file.brand_name)
                .unwrap_or_else(|| "Maison Vercors".into()),
            brand_url: args
                .brand_url
                .or(file.brand_url)
                .unwrap_or_else(|| "https://vercors.example".into()),
            quote_ttl,
            checkpoint_interval,
            retention,
            max_body_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ServeArgs {
        ServeArgs {
            data: None,
            addr: None,
            public_url: None,
            brand_name: None,
            brand_url: None,
            quote_ttl: None,
            checkpoint_interval: None,
            retention: None,
            max_body_bytes: None,
            max_catalog_bytes: None,
            sparql_timeout: None,
            sparql_max_rows: None,
            sparql_max_concurrent: None,
            rate: vec![],
            dpop_window: None,
            public_catalog: false,
            ledger: None,
            return_window: None,
            max_orders_per_hour: None,
            max_line_quantity: None,
        }
    }

    fn file(text: &str) -> FileConfig {
        toml::from_str(text).expect("valid config")
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() {
        let f = || file("data = \"/srv/b2a\"\nbrand_name = \"From File\"\nquote_ttl = \"5m\"\n");
        let s = ServeSettings::resolve(args(), f(), None).expect("resolves");
        assert_eq!(s.data, PathBuf::from("/srv/b2a"));
        assert_eq!(s.brand_name, "From File");
        assert_eq!(s.quote_ttl, Duration::from_secs(300));
        assert_eq!(s.public_url, "http://127.0.0.1:8787");

        let flags = ServeArgs {
            brand_name: Some("From Flag".into()),
            addr: Some("0.0.0.0:9000".parse().expect("addr")),
            ..args()
        };
        let s = ServeSettings::resolve(flags, f(), None).expect("resolves");
        assert_eq!(s.brand_name, "From Flag");
        assert_eq!(s.public_url, "http://0.0.0.0:9000");
    }

    #[test]
    fn bad_settings_are_refused_with_the_flag_named() {
        let err = ServeSettings::resolve(args(), FileConfig::default(), None)
            .expect_err("serve needs --data");
        assert!(err.to_string().contains("--data"));
        let err = ServeSettings::resolve(
            ServeArgs {
                quote_ttl: Some("soon".into()),
                ..args()
            },
            FileConfig::default(),
            Some("d"),
        )
        .expect_err("bad duration");
        assert!(err.to_string().contains("--quote-ttl"));
        let err = ServeSettings::resolve(
            ServeArgs {
                public_url: Some("ftp://x".into()),
                ..args()
            },
            FileConfig::default(),
            Some("d"),
        )
        .expect_err("bad url");
        assert!(err.to_string().contains("--public-url"));
        assert!(
            toml::from_str::<FileConfig>("colour = \"blue\"").is_err(),
            "unknown keys are refused"
        );
    }

    #[test]
    fn token_defaults_come_from_the_token_table() {
        let f = file(
            "data = \"/srv/b2a\"\n[token]\nrole = \"auditor\"\nagent = \"aud-1\"\nttl = \"1h\"\n",
        );
        let a = IssueArgs {
            data: None,
            role: None,
            agent: None,
            principal: None,
            cap: vec![],
            ttl: None,
            currency: None,
            per_order: None,
            total: None,
            approval_above: None,
            categories: vec![],
            max_orders_per_day: None,
            consent_purposes: vec![],
            consent_attributes: vec![],
            bind_jkt: None,
        };
        let s = IssueSettings::resolve(a, f).expect("resolves");
        assert!(matches!(s.role, RoleArg::Auditor));
        assert_eq!(s.agent, "aud-1");
        assert_eq!(s.ttl, Duration::from_secs(3600));
    }
}
