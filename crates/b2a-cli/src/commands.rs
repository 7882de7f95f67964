//! What each subcommand does.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use b2a_app::Governance;
use b2a_ledger::{Actor, AgentRecord, AgentStatus};
use b2a_model::{
    AgentId, Capability, Confirmation, Consent, Currency, Limits, Money, Principal, Role,
};
use b2a_server::{AppState, DataDir, GatewayConfig, ShopSettings};
use b2a_trust::{IssueRequest, IssuedToken};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::{
    AgentsCommand, Cli, Command, IssueArgs, KeysCommand, PricingCommand, PrivacyCommand, PurgeArgs,
    RegisterArgs, RevokeArgs, RoleArg, ServeArgs, StockCommand, StockImportArgs, TokenCommand,
};
use crate::config::{FileConfig, IssueSettings, ServeSettings};

const DEMO_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = FileConfig::load(cli.config.as_deref())?;
    match cli.command {
        Command::Demo(args) => demo(args, file).await,
        Command::Serve(args) => serve(args, file).await,
        Command::Token(TokenCommand::Issue(args)) => issue(*args, file).await,
        Command::Token(TokenCommand::Revoke(args)) => revoke(args, file).await,
        Command::Agents(cmd) => agents(cmd, file).await,
        Command::Keys(cmd) => keys(cmd, file),
        Command::Catalog(cmd) => crate::catalog::run(cmd, file).await,
        Command::Pricing(cmd) => pricing(cmd, file).await,
        Command::Stock(StockCommand::Import(args)) => stock_import(args, file).await,
        Command::Audit(cmd) => crate::audit::run(cmd, file).await,
        Command::Privacy(PrivacyCommand::Purge(args)) => purge(args, file).await,
    }
}

fn gateway_config(s: &ServeSettings) -> GatewayConfig {
    GatewayConfig {
        public_url: s.public_url.clone(),
        brand_name: s.brand_name.clone(),
        brand_url: s.brand_url.clone(),
        max_body_bytes: s.max_body_bytes,
        max_catalog_bytes: s.max_catalog_bytes,
        sparql_timeout: s.sparql_timeout,
        sparql_max_rows: s.sparql_max_rows,
        sparql_max_concurrent: s.sparql_max_concurrent,
        rate_limits: s.rate_limits.clone(),
        dpop_window: s.dpop_window,
        public_catalog: s.public_catalog,
    }
}

async fn open_state(dir: &DataDir, s: &ServeSettings) -> anyhow::Result<AppState> {
    let settings = ShopSettings {
        quote_ttl: s.quote_ttl,
        order_rules: s.order_rules,
        ledger_url: s.ledger.clone(),
    };
    let state = dir
        .app_state(gateway_config(s), settings, s.trusted_issuers.clone())
        .await?;
    let id = dir.identity()?;
    if id.issuer != s.public_url {
        tracing::warn!(
            issuer = %id.issuer,
            public_url = %s.public_url,
            "tokens of this data directory carry the issuer it was created with, not --public-url"
        );
    }
    Ok(state)
}

/// How often the gateway indexes new audit entries for the auditor's filters (a filtered read
/// catches up first in any case).
const AUDIT_INDEX_INTERVAL: Duration = Duration::from_secs(1);

async fn listen_and_serve(state: AppState, s: &ServeSettings) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(s.addr)
        .await
        .with_context(|| format!("cannot listen on {}", s.addr))?;
    tracing::info!(addr = %s.addr, public_url = %s.public_url, "b2a gateway listening");
    tokio::spawn(std::sync::Arc::clone(&state.audit).checkpoint_every(s.checkpoint_interval));
    tokio::spawn(std::sync::Arc::clone(&state.audit).index_every(AUDIT_INDEX_INTERVAL));
    tokio::spawn(
        state
            .shop
            .clone()
            .purge_every(s.retention, Duration::from_secs(3600)),
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    };
    b2a_server::serve(listener, b2a_server::router(state), shutdown).await?;
    Ok(())
}

async fn demo(args: ServeArgs, file: FileConfig) -> anyhow::Result<()> {
    let s = ServeSettings::resolve(args, file, Some("demo-data"))?;
    let dir = DataDir::create(&s.data)?;
    dir.identity_or_init(&s.public_url)?;
    let state = open_state(&dir, &s).await?;
    let seeded = b2a_app::demo::seed(&state.shop)
        .await
        .context("loading the demo brand")?;
    if seeded.published_now {
        tracing::info!(
            version = seeded.version,
            stock_rows = seeded.stock_rows,
            "demo catalog published"
        );
    } else {
        tracing::info!(
            version = seeded.version,
            "reusing the demo data already in {}",
            s.data.display()
        );
    }
    let gov = &state.governance;
    let shopper = AgentId::parse("demo-shopper")?;
    if !gov.agents().await?.iter().any(|a| a.id == shopper) {
        let agent = AgentRecord {
            id: shopper.clone(),
            name: "Demo shopping agent".into(),
            contact: "demo@agents.example".into(),
            keys: vec![],
            status: AgentStatus::Active,
            registered_at: OffsetDateTime::now_utc(),
        };
        gov.register_agent(&agent, &cli_actor()).await?;
    }
    let mut tokens = Vec::new();
    for (role, agent) in [
        (Role::Agent, "demo-shopper"),
        (Role::Operator, "demo-operator"),
        (Role::Auditor, "demo-auditor"),
    ] {
        let mut req = IssueRequest::new(role, AgentId::parse(agent)?, vec![], DEMO_TOKEN_TTL);
        if role == Role::Agent {
            req.principal = Some(Principal::parse("demo-principal-1")?);
            req.limits = Limits {
                currency: Some(Currency::EUR),
                per_order: Some(100_000),
                total: Some(500_000),
                ..Limits::default()
            };
        }
        tokens.push(gov.issue(&req, &cli_actor()).await?);
    }
    let base = &s.public_url;
    let doc = json!({
        "base_url": base,
        "agent_token": tokens[0].token,
        "operator_token": tokens[1].token,
        "auditor_token": tokens[2].token,
    });
    let path = s.data.join("demo-tokens.json");
    write_private(&path, &(serde_json::to_string_pretty(&doc)? + "\n"))?;
    print_banner(&s, &path, &tokens[0].token, &tokens[2].token);
    listen_and_serve(state, &s).await
}

fn print_banner(s: &ServeSettings, tokens_path: &Path, agent: &str, auditor: &str) {
    let base = &s.public_url;
    println!(
        "\nb2a demo: {brand} is served at {base}\n\
         tokens (agent, operator, auditor): {path}\n\n\
         Try, from another terminal:\n\n\
         curl -s {base}/.well-known/b2a\n\n\
         curl -s -H 'Authorization: Bearer {agent}' \\\n  '{base}/v1/products?q=waterproof+winter+coat&max_price=20000&currency=EUR'\n\n\
         curl -s -H 'Authorization: Bearer {auditor}' '{base}/v1/audit/entries?limit=5'\n\n\
         MCP clients: {base}/mcp with the header `Authorization: Bearer <agent token>` (docs/mcp.md).\n\n\
         The README walks through a quote and an order. Stop with Ctrl-C.\n",
        brand = s.brand_name,
        path = tokens_path.display(),
    );
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

/// How the audit log names the operator at the host's command line.
fn cli_actor() -> Actor {
    Actor {
        name: "operator:cli".into(),
        credential: String::new(),
    }
}

async fn serve(args: ServeArgs, file: FileConfig) -> anyhow::Result<()> {
    let s = ServeSettings::resolve(args, file, None)?;
    let dir = DataDir::existing(&s.data)?;
    dir.identity_or_init(&s.public_url)?;
    let state = open_state(&dir, &s).await?;
    if state.shop.catalog().published_version().is_none() {
        tracing::warn!(
            "no catalog version is published: catalog routes answer 503 catalog_unavailable"
        );
    }
    listen_and_serve(state, &s).await
}

async fn issue(args: IssueArgs, file: FileConfig) -> anyhow::Result<()> {
    let s = IssueSettings::resolve(args, file)?;
    let dir = DataDir::existing(&s.data)?;
    let role = match s.role {
        RoleArg::Agent => Role::Agent,
        RoleArg::Operator => Role::Operator,
        RoleArg::Auditor => Role::Auditor,
    };
    let capabilities = s
        .cap
        .iter()
        .map(|c| c.trim().parse::<Capability>())
        .collect::<Result<Vec<_>, _>>()?;
    let currency = s
        .currency
        .as_deref()
        .map(Currency::parse)
        .transpose()
        .context("--currency")?;
    let amount = |text: &Option<String>, flag: &str| -> anyhow::Result<Option<u64>> {
        let Some(text) = text else { return Ok(None) };
        let currency = currency.with_context(|| format!("{flag} needs --currency"))?;
        let money = Money::parse_decimal(text, currency).with_context(|| flag.to_owned())?;
        Ok(Some(
            u64::try_from(money.amount())
                .with_context(|| format!("{flag} must not be negative"))?,
        ))
    };
    let limits = Limits {
        currency,
        per_order: amount(&s.per_order, "--per-order")?,
        total: amount(&s.total, "--total")?,
        approval_above: amount(&s.approval_above, "--approval-above")?,
        categories: (!s.categories.is_empty()).then(|| s.categories.iter().cloned().collect()),
        max_orders_per_day: s.max_orders_per_day,
    };
    let req = IssueRequest {
        principal: s
            .principal
            .map(Principal::parse)
            .transpose()
            .context("--principal")?,
        limits,
        consent: Consent {
            purposes: s.consent_purposes.iter().cloned().collect(),
            attributes: s.consent_attributes.iter().cloned().collect(),
        },
        cnf: s.bind_jkt.map(|jkt| Confirmation { jkt }),
        ..IssueRequest::new(
            role,
            AgentId::parse(s.agent).context("--agent")?,
            capabilities,
            s.ttl,
        )
    };
    let issued: IssuedToken = dir.governance().await?.issue(&req, &cli_actor()).await?;
    println!("{}", issued.token);
    eprintln!(
        "jti {} expires {}",
        issued.jti,
        issued.expires_at.format(&Rfc3339)?
    );
    Ok(())
}

pub(crate) fn data_dir(
    data: Option<std::path::PathBuf>,
    file: &FileConfig,
) -> anyhow::Result<DataDir> {
    let path = data
        .or_else(|| file.data_dir())
        .context("--data DIR is required (or B2A_DATA)")?;
    Ok(DataDir::existing(&path)?)
}

async fn revoke(args: RevokeArgs, file: FileConfig) -> anyhow::Result<()> {
    let gov = data_dir(args.data, &file)?.governance().await?;
    let grant = gov.revoke(&args.jti, &args.reason, &cli_actor()).await?;
    eprintln!("revoked {} (agent {})", grant.jti, grant.agent);
    Ok(())
}

async fn agents(cmd: AgentsCommand, file: FileConfig) -> anyhow::Result<()> {
    match cmd {
        AgentsCommand::Register(args) => register(args, file).await,
        AgentsCommand::List(args) => {
            let gov = data_dir(args.data, &file)?.governance().await?;
            for a in gov.agents().await? {
                println!(
                    "{}\t{}\t{}\t{} key(s)\t{}",
                    a.id,
                    a.status.as_str(),
                    a.name,
                    a.keys.len(),
                    a.registered_at.format(&Rfc3339)?
                );
            }
            Ok(())
        }
        AgentsCommand::Suspend(args) => set_status(args, file, AgentStatus::Suspended).await,
        AgentsCommand::Reactivate(args) => set_status(args, file, AgentStatus::Active).await,
    }
}

async fn register(args: RegisterArgs, file: FileConfig) -> anyhow::Result<()> {
    let gov: Governance = data_dir(args.data, &file)?.governance().await?;
    let mut keys = Vec::with_capacity(args.keys.len());
    for path in &args.keys {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        keys.push(
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a JSON JWK", path.display()))?,
        );
    }
    let agent = AgentRecord {
        id: AgentId::parse(args.id)?,
        name: args.name,
        contact: args.contact,
        keys,
        status: AgentStatus::Active,
        registered_at: OffsetDateTime::now_utc(),
    };
    gov.register_agent(&agent, &cli_actor()).await?;
    eprintln!("registered {}", agent.id);
    Ok(())
}

async fn set_status(
    args: crate::cli::AgentArgs,
    file: FileConfig,
    status: AgentStatus,
) -> anyhow::Result<()> {
    let gov = data_dir(args.data, &file)?.governance().await?;
    let agent = gov
        .set_agent_status(&AgentId::parse(args.id)?, status, &cli_actor())
        .await?;
    eprintln!("{} is {}", agent.id, agent.status.as_str());
    Ok(())
}

fn keys(cmd: KeysCommand, file: FileConfig) -> anyhow::Result<()> {
    let ring = match cmd {
        KeysCommand::Rotate(a) => {
            let ring = data_dir(a.data, &file)?.token_service()?.keys().rotate()?;
            eprintln!(
                "{} now signs; the older keys keep verifying",
                ring.active().kid
            );
            ring
        }
        KeysCommand::List(a) => (*data_dir(a.data, &file)?.token_service()?.keys()).clone(),
        KeysCommand::Retire(a) => {
            let ring = data_dir(a.data, &file)?
                .token_service()?
                .keys()
                .retire(&a.kid)?;
            eprintln!("{} retired; the tokens it signed no longer verify", a.kid);
            ring
        }
    };
    for k in ring.all() {
        let role = if k.kid == ring.active().kid {
            "signing"
        } else {
            "verifying"
        };
        println!("{}\t{role}", k.kid);
    }
    Ok(())
}

/// Reads a policy file: its text, and whether it is TOML (anything but `.json`).
fn policy_file(path: &Path) -> anyhow::Result<(String, bool)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let toml = path.extension().and_then(|e| e.to_str()) != Some("json");
    Ok((text, toml))
}

async fn pricing(cmd: PricingCommand, file: FileConfig) -> anyhow::Result<()> {
    match cmd {
        PricingCommand::Load(args) => {
            let (text, toml) = policy_file(&args.file)?;
            let ledger = data_dir(args.data, &file)?.ledger().await?;
            let stored = b2a_app::load_policy(
                &ledger,
                &text,
                toml,
                &cli_actor(),
                OffsetDateTime::now_utc(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
            eprintln!("pricing policy v{} is in force", stored.version);
            Ok(())
        }
        PricingCommand::Check(args) => {
            let (text, toml) = policy_file(&args.file)?;
            let policy = b2a_app::parse_policy(&text, toml)
                .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&policy.public_summary())?
            );
            eprintln!("{}: valid", args.file.display());
            Ok(())
        }
        PricingCommand::Show(args) => {
            let ledger = data_dir(args.data, &file)?.ledger().await?;
            match b2a_ledger::Policies::policy(&ledger).await? {
                Some(p) => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&serde_json::json!({
                            "version": p.version,
                            "loaded_at": p.loaded_at.format(&Rfc3339)?,
                            "loaded_by": p.loaded_by,
                            "policy": p.body,
                        }))?
                    );
                    Ok(())
                }
                None => anyhow::bail!("no pricing policy was loaded: quotes are at list price"),
            }
        }
    }
}

/// Reads `sku,stock` (or `sku,quantity`) rows; every faulty row is named.
fn stock_levels(path: &Path) -> anyhow::Result<Vec<(b2a_model::Sku, u32)>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.trim()));
    let (Some(sku_at), Some(qty_at)) = (column(&["sku"]), column(&["stock", "quantity"])) else {
        anyhow::bail!(
            "{}: the header row must name `sku` and `stock` (or `quantity`)",
            path.display()
        );
    };
    let mut levels = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let sku = b2a_model::Sku::parse(row.get(sku_at).unwrap_or("").trim());
        let qty = row.get(qty_at).unwrap_or("").trim().parse::<u32>();
        match (sku, qty) {
            (Ok(s), Ok(q)) => levels.push((s, q)),
            (Err(e), _) => errors.push(format!("line {line}: sku: {e}")),
            (_, Err(_)) => errors.push(format!(
                "line {line}: stock: `{}` is not a whole number of units",
                row.get(qty_at).unwrap_or("")
            )),
        }
    }
    if !errors.is_empty() {
        anyhow::bail!(
            "{}: nothing imported\n{}",
            path.display(),
            errors.join("\n")
        );
    }
    Ok(levels)
}

async fn purge(args: PurgeArgs, file: FileConfig) -> anyhow::Result<()> {
    let retention = crate::config::retention(args.retention, &file)?;
    let dir = data_dir(args.data, &file)?;
    let ledger: std::sync::Arc<dyn b2a_ledger::Ledger> = match args.ledger {
        Some(url) => std::sync::Arc::new(b2a_ledger::PostgresLedger::connect(&url).await?),
        None => std::sync::Arc::new(dir.ledger().await?),
    };
    let closed_before = OffsetDateTime::now_utc() - retention;
    let purged = ledger
        .purge_personal_data(closed_before, &cli_actor(), OffsetDateTime::now_utc())
        .await?;
    eprintln!(
        "purged the personal data of {} orders closed before {}",
        purged.len(),
        closed_before.format(&Rfc3339)?
    );
    Ok(())
}

async fn stock_import(args: StockImportArgs, file: FileConfig) -> anyhow::Result<()> {
    let levels = stock_levels(&args.file)?;
    let ledger: std::sync::Arc<dyn b2a_ledger::Ledger> = match args.ledger {
        Some(url) => std::sync::Arc::new(b2a_ledger::PostgresLedger::connect(&url).await?),
        None => std::sync::Arc::new(data_dir(args.data, &file)?.ledger().await?),
    };
    let changed = ledger
        .set_stock(&levels, &cli_actor(), OffsetDateTime::now_utc())
        .await?;
    eprintln!("{} SKUs read, {changed} levels changed", levels.len());
    Ok(())
}
