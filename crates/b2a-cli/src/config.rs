//! The optional TOML config file and the resolution of flags: command line, then environment
//! (both handled by clap), then file, then default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
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
    max_body_bytes: Option<usize>,
    max_catalog_bytes: Option<usize>,
    sparql_timeout: Option<String>,
    sparql_max_rows: Option<usize>,
    sparql_max_concurrent: Option<usize>,
    #[serde(default)]
    token: TokenFileConfig,
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
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
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
    pub(crate) max_body_bytes: usize,
    pub(crate) max_catalog_bytes: usize,
    pub(crate) sparql_timeout: Duration,
    pub(crate) sparql_max_rows: usize,
    pub(crate) sparql_max_concurrent: usize,
}

pub(crate) fn parse_duration(text: &str, what: &str) -> anyhow::Result<Duration> {
    let d = humantime::parse_duration(text)
        .with_context(|| format!("{what} `{text}` is not a duration such as 15m, 1h or 7d"))?;
    if d.is_zero() {
        bail!("{what} must be longer than zero");
    }
    Ok(d)
}

impl ServeSettings {
    pub(crate) fn resolve(
        args: ServeArgs,
        file: FileConfig,
        default_data: Option<&str>,
    ) -> anyhow::Result<Self> {
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
        Ok(Self {
            data,
            addr,
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
            max_body_bytes: None,
            max_catalog_bytes: None,
            sparql_timeout: None,
            sparql_max_rows: None,
            sparql_max_concurrent: None,
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
        };
        let s = IssueSettings::resolve(a, f).expect("resolves");
        assert!(matches!(s.role, RoleArg::Auditor));
        assert_eq!(s.agent, "aud-1");
        assert_eq!(s.ttl, Duration::from_secs(3600));
    }
}
