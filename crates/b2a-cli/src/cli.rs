//! Command-line interface. Every flag can also be set by a `B2A_*` environment variable or in
//! the TOML file named by `--config`; the command line wins over the environment, which wins
//! over the file, which wins over the built-in default.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// b2a — the Brand-to-Agent gateway: serves a brand's catalog, quotes and orders to AI shopping
/// agents under signed capability tokens, with an audit log auditors verify offline.
#[derive(Debug, Parser)]
#[command(name = "b2a", version, propagate_version = true, max_term_width = 100)]
pub(crate) struct Cli {
    /// TOML file with defaults for any flag (keys are flag names with `_`, e.g. `public_url`).
    #[arg(long, global = true, env = "B2A_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Load the demo brand (Maison Vercors) into a data directory and serve it.
    ///
    /// Creates DIR if needed, loads and publishes the demo catalog, seeds stock, writes
    /// DIR/demo-tokens.json (agent, operator and auditor tokens) and prints how to call the
    /// gateway. Running it again on the same DIR reuses the data and issues fresh tokens.
    Demo(ServeArgs),
    /// Serve an existing data directory.
    Serve(ServeArgs),
    /// Issue and revoke capability tokens. Works while the gateway runs on the same DIR.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Register, list, suspend and reactivate agents. Works while the gateway runs on the same
    /// DIR; a suspension takes effect at once.
    #[command(subcommand)]
    Agents(AgentsCommand),
    /// Rotate, list and retire the brand's token-signing keys. A running gateway picks the
    /// change up within a second.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage catalog versions: load, validate, publish, roll back. Commands that take --data
    /// work on a data directory whose gateway is stopped.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Load and show the pricing policy: rules, guardrails, negotiation. Works while the gateway
    /// runs on the same DIR; a new policy prices every quote made after it.
    #[command(subcommand)]
    Pricing(PricingCommand),
    /// Set stock levels. Works while the gateway runs on the same ledger; each change is
    /// audited.
    #[command(subcommand)]
    Stock(StockCommand),
    /// Export the audit log or prove an order's trail (from the data directory), and check an
    /// export or a proof bundle offline, trusting neither the gateway nor its database: only the
    /// brand's audit key (see docs/audit.md).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Personal data: the retention purge (see docs/privacy.md).
    #[command(subcommand)]
    Privacy(PrivacyCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum PrivacyCommand {
    /// Delete the fulfilment details of the orders closed more than the retention period ago,
    /// each purge in the audit log (`privacy.purged`); prints how many. Works beside a running
    /// gateway (which also purges hourly).
    Purge(PurgeArgs),
}

/// Flags of `privacy purge`.
#[derive(Debug, Args)]
pub(crate) struct PurgeArgs {
    /// Data directory (its embedded ledger).
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// A PostgreSQL ledger instead of the data directory's.
    #[arg(long, env = "B2A_LEDGER", value_name = "URL")]
    pub(crate) ledger: Option<String>,
    /// How long details are kept after their order is closed [default: 90d, or the file's
    /// `retention`].
    #[arg(long, env = "B2A_RETENTION", value_name = "DURATION")]
    pub(crate) retention: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Export the log: sign its head as a checkpoint, then write `entries.jsonl` (the entries up
    /// to that checkpoint, as stored), `leaves.txt` (their leaf hashes as the ledger stored them),
    /// `checkpoints.json` (every kept checkpoint up to it) and `jwks.json` (the audit key).
    Export(AuditExportArgs),
    /// Write the proven trail of one order (entries, their inclusion proofs, the signed
    /// checkpoint they lead to): a bundle `verify-bundle` checks alone.
    Prove(AuditProveArgs),
    /// Verify an exported log: recompute the Merkle tree from the entries, check every
    /// checkpoint's signature and that the entries up to its size hash to its root. Names the
    /// first entry altered, removed, moved or inserted; exits 1 when anything is wrong.
    Verify(AuditVerifyArgs),
    /// Verify a proof bundle on its own: the checkpoint's signature, then each entry's inclusion
    /// proof up to the checkpoint's root. Exits 1 when anything is wrong.
    VerifyBundle(AuditBundleArgs),
}

/// Where the log is read: the data directory's ledger, or a PostgreSQL ledger.
#[derive(Debug, Args)]
pub(crate) struct AuditSource {
    /// Data directory (its audit key signs the checkpoint).
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// A PostgreSQL ledger URL, when the gateway runs on one [default: the data directory's
    /// embedded ledger].
    #[arg(long, env = "B2A_LEDGER", value_name = "URL")]
    pub(crate) ledger: Option<String>,
}

/// Flags of `audit export`.
#[derive(Debug, Args)]
pub(crate) struct AuditExportArgs {
    #[command(flatten)]
    pub(crate) source: AuditSource,
    /// The directory to write (created; files in it are replaced).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
}

/// Flags of `audit prove`.
#[derive(Debug, Args)]
pub(crate) struct AuditProveArgs {
    #[command(flatten)]
    pub(crate) source: AuditSource,
    /// The order.
    #[arg(value_name = "ORDER_ID")]
    pub(crate) order: String,
    /// The bundle to write.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

/// Flags of `audit verify`.
#[derive(Debug, Args)]
pub(crate) struct AuditVerifyArgs {
    /// The export directory: `entries.jsonl` (one entry per line, in RFC 8785 form, in order)
    /// and `checkpoints.json` (the signed checkpoints).
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// The audit key: a JWK Set (the gateway's /.well-known/jwks.json) or one JWK.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
}

/// Flags of `audit verify-bundle`.
#[derive(Debug, Args)]
pub(crate) struct AuditBundleArgs {
    /// The bundle (JSON).
    #[arg(value_name = "FILE")]
    pub(crate) bundle: PathBuf,
    /// The audit key: a JWK Set (the gateway's /.well-known/jwks.json) or one JWK.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StockCommand {
    /// Set the units on hand of every SKU of a CSV file with a header row `sku,stock` (or
    /// `sku,quantity`); SKUs not stocked yet are added. All or nothing: a faulty row stores
    /// nothing.
    Import(StockImportArgs),
}

/// Flags of `stock import`.
#[derive(Debug, Args)]
pub(crate) struct StockImportArgs {
    /// Data directory (its embedded ledger).
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// A PostgreSQL ledger instead of the data directory's.
    #[arg(long, env = "B2A_LEDGER", value_name = "URL")]
    pub(crate) ledger: Option<String>,
    /// The CSV file.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PricingCommand {
    /// Check a policy file (TOML, or JSON when it ends in .json) and make it the policy in
    /// force: a new version, recorded in the audit log. Nothing is stored if any field is wrong.
    Load(PricingLoadArgs),
    /// Check a policy file without loading it; prints what agents would read of it.
    Check(PricingCheckArgs),
    /// Print the policy in force, whole (JSON), with its version.
    Show(DataArgs),
}

/// Flags of `pricing load`.
#[derive(Debug, Args)]
pub(crate) struct PricingLoadArgs {
    /// Data directory.
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// The policy file.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

/// Flags of `pricing check`.
#[derive(Debug, Args)]
pub(crate) struct PricingCheckArgs {
    /// The policy file.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CatalogCommand {
    /// Load catalog files as one new version; validate it; publish it with --publish.
    ///
    /// Formats by extension: .ttl, .nt, .nq, .trig, .jsonld, .rdf, and product feeds .csv,
    /// .jsonl, .ndjson (or --format). Named graphs in N-Quads and TriG are merged into the
    /// version. The stock column of feeds seeds the ledger (SKUs without stock yet); it never
    /// enters the graph. Creates DIR if needed.
    Load(CatalogLoadArgs),
    /// Check catalog files without storing them. Prints every error; exits non-zero if any.
    Validate(CatalogValidateArgs),
    /// List loaded versions, their size, and which one is published.
    Versions(DataArgs),
    /// Validate and publish a loaded version (atomic; reports products added, removed, changed).
    Publish(CatalogPublishArgs),
    /// Publish again the version that was published before the current one.
    Rollback(DataArgs),
    /// Write a synthetic catalog shaped like the Berlin SPARQL Benchmark's, for load tests.
    ///
    /// A product type tree, products with features and numeric and textual properties,
    /// producers, vendors, offers and reviews (about 350 triples per product), in the schema.org
    /// and SKOS shape the gateway reads: it loads and validates like a brand catalog. The same
    /// --products and --seed give the same bytes on every machine. Writes N-Triples, or Turtle
    /// when FILE ends in .ttl, and nothing else.
    Generate(CatalogGenerateArgs),
}

/// Just a data directory.
#[derive(Debug, Args)]
pub(crate) struct DataArgs {
    /// Data directory.
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
}

/// RDF syntaxes a catalog may be written in.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    /// Turtle (.ttl).
    Turtle,
    /// N-Triples (.nt).
    Ntriples,
    /// N-Quads (.nq).
    Nquads,
    /// TriG (.trig).
    Trig,
    /// JSON-LD (.jsonld); the schema.org context is known offline.
    Jsonld,
    /// RDF/XML (.rdf).
    Rdfxml,
    /// Product feed, CSV with a header row (.csv).
    Csv,
    /// Product feed, JSON Lines (.jsonl, .ndjson).
    Jsonl,
}

/// Flags of `catalog load`.
#[derive(Debug, Args)]
pub(crate) struct CatalogLoadArgs {
    /// Data directory.
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// Publish the version if it is valid.
    #[arg(long)]
    pub(crate) publish: bool,
    #[command(flatten)]
    pub(crate) syntax: SyntaxArgs,
    /// Catalog files, loaded together as one version.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
}

/// How catalog files are read, shared by `catalog load` and `catalog validate`.
#[derive(Debug, Args)]
pub(crate) struct SyntaxArgs {
    /// Syntax of every file, instead of guessing from extensions.
    #[arg(long, value_enum)]
    pub(crate) format: Option<FormatArg>,
    /// IRI the products, offers, brands and categories of product feeds are named under.
    #[arg(
        long,
        env = "B2A_FEED_BASE",
        value_name = "URL",
        default_value = b2a_graph::FeedBase::DEFAULT,
        value_parser = feed_base
    )]
    pub(crate) base: b2a_graph::FeedBase,
}

/// Flags of `catalog generate`.
#[derive(Debug, Args)]
pub(crate) struct CatalogGenerateArgs {
    /// Number of products, 1 to 10000000.
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..=crate::generate::MAX_PRODUCTS)
    )]
    pub(crate) products: u64,
    /// Seed of the pseudo-random generator.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,
    /// Output file (.nt: N-Triples, .ttl: Turtle); replaced if it exists.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

/// Flags of `catalog validate`.
#[derive(Debug, Args)]
pub(crate) struct CatalogValidateArgs {
    #[command(flatten)]
    pub(crate) syntax: SyntaxArgs,
    /// Catalog files, checked together as one catalog.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
}

/// A `--base` value: an absolute IRI (a `/` is appended unless it ends with `/`, `#` or `:`).
fn feed_base(text: &str) -> Result<b2a_graph::FeedBase, String> {
    b2a_graph::FeedBase::parse(text).map_err(|_| {
        format!("`{text}` is not an absolute IRI without a query, such as https://brand.example/")
    })
}

/// Flags of `catalog publish`.
#[derive(Debug, Args)]
pub(crate) struct CatalogPublishArgs {
    /// Data directory.
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// The version to publish (see `b2a catalog versions`).
    #[arg(value_name = "VERSION")]
    pub(crate) number: u32,
}

/// Flags of `demo` and `serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Data directory [default for demo: ./demo-data; required for serve].
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8787].
    #[arg(long, env = "B2A_ADDR", value_name = "HOST:PORT")]
    pub(crate) addr: Option<SocketAddr>,
    /// URL agents reach the gateway at; on first start it becomes the token issuer and audience
    /// [default: http://ADDR].
    #[arg(long, env = "B2A_PUBLIC_URL", value_name = "URL")]
    pub(crate) public_url: Option<String>,
    /// Brand name shown in the manifest [default: Maison Vercors].
    #[arg(long, env = "B2A_BRAND_NAME", value_name = "NAME")]
    pub(crate) brand_name: Option<String>,
    /// Brand web site shown in the manifest [default: https://vercors.example].
    #[arg(long, env = "B2A_BRAND_URL", value_name = "URL")]
    pub(crate) brand_url: Option<String>,
    /// How long a quote stays valid, e.g. 15m [default: 15m].
    #[arg(long, env = "B2A_QUOTE_TTL", value_name = "DURATION")]
    pub(crate) quote_ttl: Option<String>,
    /// How often the audit log's head is signed as a checkpoint when it grew, e.g. 1m
    /// [default: 1m]; auditors may also ask for one (`POST /v1/audit/checkpoint`).
    #[arg(long, env = "B2A_CHECKPOINT_INTERVAL", value_name = "DURATION")]
    pub(crate) checkpoint_interval: Option<String>,
    /// How long fulfilment details are kept after their order is closed (delivered, rejected,
    /// cancelled, refunded), e.g. 90d; purged hourly [default: 90d].
    #[arg(long, env = "B2A_RETENTION", value_name = "DURATION")]
    pub(crate) retention: Option<String>,
    /// Largest accepted request body in bytes [default: 65536].
    #[arg(long, env = "B2A_MAX_BODY_BYTES", value_name = "BYTES")]
    pub(crate) max_body_bytes: Option<usize>,
    /// Largest catalog an operator may upload through the API, in bytes [default: 67108864].
    #[arg(long, env = "B2A_MAX_CATALOG_BYTES", value_name = "BYTES")]
    pub(crate) max_catalog_bytes: Option<usize>,
    /// A SPARQL query is stopped after this long, e.g. 5s [default: 5s].
    #[arg(long, env = "B2A_SPARQL_TIMEOUT", value_name = "DURATION")]
    pub(crate) sparql_timeout: Option<String>,
    /// Most solutions or triples of one SPARQL answer [default: 10000].
    #[arg(long, env = "B2A_SPARQL_MAX_ROWS", value_name = "N")]
    pub(crate) sparql_max_rows: Option<usize>,
    /// SPARQL queries one agent may run at once [default: 2].
    #[arg(long, env = "B2A_SPARQL_MAX_CONCURRENT", value_name = "N")]
    pub(crate) sparql_max_concurrent: Option<usize>,
    /// Per-agent rate of a class of requests, CLASS=PER_SECOND[:BURST], comma-separated; classes:
    /// catalog, sparql, quotes, orders, tokens, audit, admin [defaults: catalog, audit, admin
    /// 100:200; quotes, tokens 10:20; sparql, orders 5:10].
    #[arg(
        long,
        env = "B2A_RATE",
        value_delimiter = ',',
        value_name = "CLASS=N[:BURST]"
    )]
    pub(crate) rate: Vec<String>,
    /// How old a DPoP proof's iat may be, e.g. 60s [default: 60s].
    #[arg(long, env = "B2A_DPOP_WINDOW", value_name = "DURATION")]
    pub(crate) dpop_window: Option<String>,
    /// Serve the catalog (search, products, related, categories) without a token too;
    /// anonymous readers are rate-limited by client address.
    #[arg(long, env = "B2A_PUBLIC_CATALOG")]
    pub(crate) public_catalog: bool,
    /// The ledger: a PostgreSQL URL (postgres://user@host/db) for several gateway replicas on one
    /// ledger; [default: the embedded SQLite ledger of --data]. Migrations run at start.
    #[arg(long, env = "B2A_LEDGER", value_name = "URL")]
    pub(crate) ledger: Option<String>,
    /// How long after delivery an agent may ask for a return [default: 30d].
    #[arg(long, env = "B2A_RETURN_WINDOW", value_name = "DURATION")]
    pub(crate) return_window: Option<String>,
    /// Risk rule: an agent's orders in the last hour beyond which the next waits for approval
    /// [default: 20; 0 turns the rule off].
    #[arg(long, env = "B2A_MAX_ORDERS_PER_HOUR", value_name = "N")]
    pub(crate) max_orders_per_hour: Option<u32>,
    /// Risk rule: a line of more units than this waits for approval [default: 20; 0 turns the
    /// rule off].
    #[arg(long, env = "B2A_MAX_LINE_QUANTITY", value_name = "N")]
    pub(crate) max_line_quantity: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Sign a capability token and print it on stdout. Works while the gateway runs.
    Issue(Box<IssueArgs>),
    /// Revoke a token (and every token exchanged from it), at once, on every gateway sharing
    /// the ledger.
    Revoke(RevokeArgs),
}

/// Flags of `token revoke`.
#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    /// Data directory.
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// Why, for the audit log.
    #[arg(long, default_value = "", value_name = "TEXT")]
    pub(crate) reason: String,
    /// The token's jti (printed by `token issue`).
    #[arg(value_name = "JTI")]
    pub(crate) jti: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AgentsCommand {
    /// Register an agent: its tokens can then be issued.
    Register(RegisterArgs),
    /// List registered agents and their status.
    List(DataArgs),
    /// Suspend an agent: its tokens are refused at once.
    Suspend(AgentArgs),
    /// Reactivate a suspended agent.
    Reactivate(AgentArgs),
}

/// Flags of `agents register`.
#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    /// Data directory.
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// A display name.
    #[arg(long, value_name = "NAME")]
    pub(crate) name: String,
    /// How to reach the agent's developer (an e-mail address or URL).
    #[arg(long, value_name = "CONTACT")]
    pub(crate) contact: String,
    /// A file holding a public JWK (Ed25519 or P-256) its tokens may be bound to; repeatable.
    #[arg(long = "key", value_name = "FILE")]
    pub(crate) keys: Vec<PathBuf>,
    /// The agent's id: the `sub` of its tokens.
    #[arg(value_name = "ID")]
    pub(crate) id: String,
}

/// A data directory and an agent id.
#[derive(Debug, Args)]
pub(crate) struct AgentArgs {
    /// Data directory.
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// The agent's id.
    #[arg(value_name = "ID")]
    pub(crate) id: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Create a new signing key; the older keys keep verifying until retired.
    Rotate(DataArgs),
    /// List the keys (kid, signing or verifying only).
    List(DataArgs),
    /// Retire a key that no longer signs: the tokens it signed stop verifying.
    Retire(RetireArgs),
}

/// Flags of `keys retire`.
#[derive(Debug, Args)]
pub(crate) struct RetireArgs {
    /// Data directory.
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// The key's kid (see `b2a keys list`).
    #[arg(value_name = "KID")]
    pub(crate) kid: String,
}

/// Roles a token can be issued for.
#[derive(Debug, Clone, Copy, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RoleArg {
    /// A third-party shopping agent.
    Agent,
    /// The brand's operator.
    Operator,
    /// A read-only auditor.
    Auditor,
}

/// Flags of `token issue`. Each may also come from the `[token]` table of the config file.
#[derive(Debug, Args)]
pub(crate) struct IssueArgs {
    /// Data directory whose keys sign the token.
    #[arg(long, env = "B2A_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// Role of the holder (required).
    #[arg(long, value_enum, env = "B2A_TOKEN_ROLE")]
    pub(crate) role: Option<RoleArg>,
    /// Subject: the agent's (or operator's, auditor's) identifier (required).
    #[arg(long, env = "B2A_TOKEN_AGENT", value_name = "ID")]
    pub(crate) agent: Option<String>,
    /// Pairwise pseudonym of the person the agent acts for.
    #[arg(long, env = "B2A_TOKEN_PRINCIPAL", value_name = "P")]
    pub(crate) principal: Option<String>,
    /// Capabilities, comma-separated (e.g. catalog:read,quotes:write) [default: all of the role's].
    #[arg(
        long,
        env = "B2A_TOKEN_CAP",
        value_delimiter = ',',
        value_name = "CAP,..."
    )]
    pub(crate) cap: Vec<String>,
    /// Lifetime, e.g. 1h, 7d [default: 7d].
    #[arg(long, env = "B2A_TOKEN_TTL", value_name = "DURATION")]
    pub(crate) ttl: Option<String>,
    /// Currency of the amount limits (ISO 4217, e.g. EUR); required with any amount.
    #[arg(long, value_name = "CODE")]
    pub(crate) currency: Option<String>,
    /// Largest total of one order, e.g. 200.00.
    #[arg(long, value_name = "AMOUNT")]
    pub(crate) per_order: Option<String>,
    /// Most all orders under the token (and tokens exchanged from it) may spend, e.g. 300.00.
    #[arg(long, value_name = "AMOUNT")]
    pub(crate) total: Option<String>,
    /// Orders above this total wait for a person's approval, e.g. 150.00.
    #[arg(long, value_name = "AMOUNT")]
    pub(crate) approval_above: Option<String>,
    /// Category slugs the token may buy in (with their subcategories), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "SLUG,...")]
    pub(crate) categories: Vec<String>,
    /// Most orders in any 24 hours.
    #[arg(long, value_name = "N")]
    pub(crate) max_orders_per_day: Option<u32>,
    /// Purposes the person consented to, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "PURPOSE,...")]
    pub(crate) consent_purposes: Vec<String>,
    /// Attributes the person consented to share, comma-separated (e.g. loyalty_tier).
    #[arg(long, value_delimiter = ',', value_name = "ATTRIBUTE,...")]
    pub(crate) consent_attributes: Vec<String>,
    /// Bind the token to the key with this RFC 7638 thumbprint: it then works only with DPoP
    /// proofs signed by that key.
    #[arg(long, value_name = "THUMBPRINT")]
    pub(crate) bind_jkt: Option<String>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
