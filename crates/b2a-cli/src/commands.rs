//! What each subcommand does.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use b2a_audit::AuditRecord;
use b2a_ledger::Ledger;
use b2a_model::{AgentId, Capability, Principal, Role};
use b2a_server::{AppState, DataDir, GatewayConfig};
use b2a_trust::{IssueRequest, IssuedToken, TokenService};
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use crate::cli::{Cli, Command, IssueArgs, RoleArg, ServeArgs, TokenCommand};
use crate::config::{FileConfig, IssueSettings, ServeSettings};

const DEMO_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = FileConfig::load(cli.config.as_deref())?;
    match cli.command {
        Command::Demo(args) => demo(args, file).await,
        Command::Serve(args) => serve(args, file).await,
        Command::Token(TokenCommand::Issue(args)) => issue(args, file).await,
        Command::Catalog(cmd) => crate::catalog::run(cmd, file).await,
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
    }
}

async fn open_state(dir: &DataDir, s: &ServeSettings) -> anyhow::Result<AppState> {
    let state = dir.app_state(gateway_config(s), s.quote_ttl).await?;
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

async fn listen_and_serve(state: AppState, s: &ServeSettings) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(s.addr)
        .await
        .with_context(|| format!("cannot listen on {}", s.addr))?;
    tracing::info!(addr = %s.addr, public_url = %s.public_url, "b2a gateway listening");
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
    let ledger = state.shop.ledger().clone();
    let mut tokens = Vec::new();
    for (role, agent) in [
        (Role::Agent, "demo-shopper"),
        (Role::Operator, "demo-operator"),
        (Role::Auditor, "demo-auditor"),
    ] {
        let principal = (role == Role::Agent)
            .then(|| Principal::parse("demo-principal-1"))
            .transpose()?;
        let req = IssueRequest {
            role,
            agent: AgentId::parse(agent)?,
            principal,
            capabilities: vec![],
            ttl: DEMO_TOKEN_TTL,
        };
        tokens.push(issue_recorded(&state.tokens, ledger.as_ref(), &req).await?);
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

/// Signs a token and records its issuance in the audit log.
async fn issue_recorded(
    tokens: &TokenService,
    ledger: &dyn Ledger,
    req: &IssueRequest,
) -> anyhow::Result<IssuedToken> {
    let issued = tokens.issue(req)?;
    let c = &issued.claims;
    ledger
        .append_audit(AuditRecord {
            at: time::OffsetDateTime::now_utc().format(&Rfc3339)?,
            actor: "operator:cli".into(),
            credential: String::new(),
            action: "token.issued".into(),
            subject: issued.jti.clone(),
            details: json!({"role": c.role, "sub": c.sub, "cap": c.cap, "exp": c.exp, "principal_bound": c.principal.is_some()}),
        })
        .await?;
    Ok(issued)
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
    let req = IssueRequest {
        role,
        agent: AgentId::parse(s.agent).context("--agent")?,
        principal: s
            .principal
            .map(Principal::parse)
            .transpose()
            .context("--principal")?,
        capabilities,
        ttl: s.ttl,
    };
    let tokens = dir.token_service()?;
    let ledger = dir.ledger().await?;
    let issued = issue_recorded(&tokens, &ledger, &req).await?;
    println!("{}", issued.token);
    eprintln!(
        "jti {} expires {}",
        issued.jti,
        issued.expires_at.format(&Rfc3339)?
    );
    Ok(())
}
