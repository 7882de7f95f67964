//! The optional TOML config file and the resolution of flags: command line, then environment
//! (both handled by clap), then file, then default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::cli::ServeArgs;

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
}

impl FileConfig {
    pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub(crate) fn data(&self) -> Option<PathBuf> {
        self.data.clone()
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
        Ok(Self {
            data,
            addr,
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
