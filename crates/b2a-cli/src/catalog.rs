//! `b2a catalog …`: load, validate, list, publish and roll back catalog versions.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use b2a_app::Shop;
use b2a_graph::{
    CatalogFormat, CatalogSource, CatalogStore, FeedBase, FeedFormat, GraphError, JsonLdProfileSet,
    PublishReport, RdfFormat, ValidationReport, format_for_path,
};
use b2a_server::DataDir;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{
    CatalogCommand, CatalogLoadArgs, CatalogPublishArgs, CatalogValidateArgs, DataArgs, FormatArg,
    SyntaxArgs,
};
use crate::config::FileConfig;

/// The operator the CLI acts as in the audit log.
const ACTOR: &str = "operator:cli";

pub(crate) async fn run(cmd: CatalogCommand, file: FileConfig) -> anyhow::Result<()> {
    let data = |d: Option<PathBuf>| {
        d.or_else(|| file.data_dir())
            .context("--data DIR is required (or B2A_DATA)")
    };
    match cmd {
        CatalogCommand::Load(a) => {
            let dir = DataDir::create(&data(a.data.clone())?)?;
            load(&dir.shop(Duration::from_secs(900)).await?, a).await
        }
        CatalogCommand::Validate(a) => validate(a).await,
        CatalogCommand::Generate(a) => {
            tokio::task::spawn_blocking(move || crate::generate::run(a)).await?
        }
        CatalogCommand::Versions(DataArgs { data: d }) => versions(&open(&data(d)?).await?),
        CatalogCommand::Publish(CatalogPublishArgs {
            data: d,
            number: version,
        }) => {
            let shop = open(&data(d)?).await?;
            print_publication(
                &shop
                    .publish_catalog(version, ACTOR)
                    .await
                    .map_err(explain)?,
            );
            Ok(())
        }
        CatalogCommand::Rollback(DataArgs { data: d }) => {
            let shop = open(&data(d)?).await?;
            print_publication(&shop.rollback_catalog(ACTOR).await.map_err(explain)?);
            Ok(())
        }
    }
}

async fn open(path: &Path) -> anyhow::Result<Shop> {
    if !path.is_dir() {
        bail!(
            "{} does not exist; load a catalog into it first with `b2a catalog load --data {}`",
            path.display(),
            path.display()
        );
    }
    Ok(DataDir::create(path)?
        .shop(Duration::from_secs(900))
        .await?)
}

fn format_of(
    path: &Path,
    forced: Option<FormatArg>,
    base: &FeedBase,
) -> anyhow::Result<CatalogFormat> {
    let format: CatalogFormat = match forced {
        Some(FormatArg::Turtle) => RdfFormat::Turtle.into(),
        Some(FormatArg::Ntriples) => RdfFormat::NTriples.into(),
        Some(FormatArg::Nquads) => RdfFormat::NQuads.into(),
        Some(FormatArg::Trig) => RdfFormat::TriG.into(),
        Some(FormatArg::Jsonld) => RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        }
        .into(),
        Some(FormatArg::Rdfxml) => RdfFormat::RdfXml.into(),
        Some(FormatArg::Csv) => FeedFormat::Csv.into(),
        Some(FormatArg::Jsonl) => FeedFormat::JsonLines.into(),
        None => format_for_path(path).with_context(|| {
            format!(
                "{}: unknown extension; use .ttl, .nt, .nq, .trig, .jsonld, .rdf, .csv, .jsonl \
                 or .ndjson, or --format",
                path.display()
            )
        })?,
    };
    Ok(format.with_base(base.clone()))
}

/// Opens every file (wrapped so the progress bar counts bytes) before anything is loaded.
fn sources(
    files: &[PathBuf],
    syntax: &SyntaxArgs,
    bar: &ProgressBar,
) -> anyhow::Result<Vec<CatalogSource<Box<dyn Read + Send>>>> {
    let mut out = Vec::with_capacity(files.len());
    let mut total = 0;
    for path in files {
        let format = format_of(path, syntax.format, &syntax.base)?;
        let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        total += f.metadata().map(|m| m.len()).unwrap_or(0);
        let reader: Box<dyn Read + Send> = Box::new(bar.wrap_read(BufReader::new(f)));
        out.push(CatalogSource {
            name: path.display().to_string(),
            format,
            reader,
        });
    }
    bar.set_length(total);
    Ok(out)
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bytes}/{total_bytes} ({bytes_per_sec}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn rate(triples: usize, elapsed: Duration) -> String {
    let per_sec = triples as f64 / elapsed.as_secs_f64().max(1e-6);
    format!(
        "{triples} triples in {:.2} s ({per_sec:.0} triples/s)",
        elapsed.as_secs_f64()
    )
}

async fn load(shop: &Shop, a: CatalogLoadArgs) -> anyhow::Result<()> {
    let bar = progress_bar();
    let sources = sources(&a.files, &a.syntax, &bar)?;
    let started = Instant::now();
    let tick = bar.clone();
    let loaded = shop
        .load_catalog(sources, move |n| tick.set_message(format!("{n} triples")))
        .await
        .map_err(explain)?;
    bar.finish_and_clear();
    println!(
        "loaded version {}: {}",
        loaded.version,
        rate(loaded.triples, started.elapsed())
    );
    if !loaded.stock.is_empty() {
        println!(
            "stock of {} SKUs given to the ledger (SKUs already stocked keep their level)",
            loaded.stock.len()
        );
    }
    if a.publish {
        // Publishing validates first and refuses an invalid version, listing every issue.
        let published = match shop.publish_catalog(loaded.version, ACTOR).await {
            Ok(published) => published,
            Err(b2a_app::ShopError::Graph(GraphError::Invalid(report))) => {
                print_issues(&report);
                bail!(
                    "version {} is invalid ({} errors) and was not published",
                    loaded.version,
                    report.total
                );
            }
            Err(e) => return Err(e.into()),
        };
        println!("version {} is valid", loaded.version);
        print_publication(&published);
        return Ok(());
    }
    let report = shop.validate_catalog(loaded.version).await?;
    if !report.is_valid() {
        print_issues(&report);
        bail!(
            "version {} is invalid ({} errors) and was not published",
            loaded.version,
            report.total
        );
    }
    println!("version {} is valid", loaded.version);
    println!("publish it with `b2a catalog publish {}`", loaded.version);
    Ok(())
}

async fn validate(a: CatalogValidateArgs) -> anyhow::Result<()> {
    let bar = progress_bar();
    let sources = sources(&a.files, &a.syntax, &bar)?;
    let report = tokio::task::spawn_blocking(move || -> Result<ValidationReport, GraphError> {
        let store = CatalogStore::in_memory()?;
        let loaded = store.load_sources(sources, |_| ())?;
        store.validate(loaded.version)
    })
    .await?
    .map_err(|e| explain(e.into()))?;
    bar.finish_and_clear();
    if report.is_valid() {
        println!("valid");
        return Ok(());
    }
    print_issues(&report);
    bail!("the catalog is invalid ({} errors)", report.total)
}

fn versions(shop: &Shop) -> anyhow::Result<()> {
    let catalog = shop.catalog();
    let published = catalog.published_version();
    println!(
        "{:>7}  {:>10}  {:>8}  published",
        "version", "triples", "products"
    );
    for v in catalog.versions()? {
        let mark = if Some(v) == published { "*" } else { "" };
        println!(
            "{v:>7}  {:>10}  {:>8}  {mark}",
            catalog.triple_count(v)?,
            catalog.product_count(v)?
        );
    }
    Ok(())
}

fn print_issues(report: &ValidationReport) {
    for i in &report.issues {
        println!("error: {} {}: {}", i.subject, i.field, i.message);
    }
    if report.total > report.issues.len() {
        println!("… and {} more errors", report.total - report.issues.len());
    }
}

fn print_publication(r: &PublishReport) {
    let what = if r.rollback {
        "rolled back to"
    } else {
        "published"
    };
    let previous = r
        .previous
        .map_or_else(|| "nothing".to_owned(), |v| format!("version {v}"));
    println!(
        "{what} version {} (was {previous}): {} products added, {} removed, {} changed, {} unchanged",
        r.version, r.diff.added, r.diff.removed, r.diff.changed, r.diff.unchanged
    );
}

/// Prints a refused publication's errors before reporting it.
fn explain(e: b2a_app::ShopError) -> anyhow::Error {
    if let b2a_app::ShopError::Graph(GraphError::Invalid(report)) = &e {
        print_issues(report);
    }
    e.into()
}
