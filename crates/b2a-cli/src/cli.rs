//! Command-line interface. Every flag can also be set by a `B2A_*` environment variable or in
//! the TOML file named by `--config`; the command line wins over the environment, which wins
//! over the file, which wins over the built-in default.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// b2a — the Brand-to-Agent gateway: serves a brand's catalog, quotes and orders to AI shopping
/// agents under signed capability tokens, with a hash-chained audit log.
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
    /// Issue capability tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage catalog versions: load, validate, publish, roll back. Commands that take --data
    /// work on a data directory whose gateway is stopped.
    #[command(subcommand)]
    Catalog(CatalogCommand),
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
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Sign a capability token and print it on stdout. Works while the gateway runs.
    Issue(IssueArgs),
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
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
