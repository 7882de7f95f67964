//! `b2a audit`: the export of the log and the proof of an order's trail, read from the data
//! directory's ledger (or a PostgreSQL one) and signed with its audit key; and the auditor's
//! offline checks, which read files only — an export directory or a proof bundle, and the
//! brand's published audit key — and recompute everything from the entries' bytes
//! (`b2a_audit::verify`), so they trust neither the gateway nor its database.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use b2a_audit::checkpoint::SignedCheckpoint;
use b2a_audit::merkle::NodeId;
use b2a_audit::verify::{Bundle, LogVerifier, decode_hash, encode_hash, verify_bundle};
use b2a_ledger::Ledger;
use b2a_model::OrderId;
use ed25519_dalek::VerifyingKey;
use time::OffsetDateTime;

use crate::cli::{
    AuditBundleArgs, AuditCommand, AuditExportArgs, AuditProveArgs, AuditSource, AuditVerifyArgs,
};
use crate::config::FileConfig;

/// The entries of an export: one per line, in order.
const ENTRIES: &str = "entries.jsonl";
/// The signed checkpoints of an export: a JSON array.
const CHECKPOINTS: &str = "checkpoints.json";
/// The audit key of an export: a JWK Set.
const JWKS: &str = "jwks.json";
/// Entries read from the ledger at a time while exporting.
const EXPORT_PAGE: u64 = 10_000;
/// The leaf hashes the ledger stored for each entry (base64, one per line, in
/// order): optional; with them, an altered entry is named even where no checkpoint narrows it.
const LEAVES: &str = "leaves.txt";

pub(crate) async fn run(cmd: AuditCommand, file: FileConfig) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Export(args) => export(args, file).await,
        AuditCommand::Prove(args) => prove(args, file).await,
        AuditCommand::Verify(args) => verify_export(&args),
        AuditCommand::VerifyBundle(args) => verify_bundle_file(&args),
    }
}

/// The audit log of `source`, with the data directory's audit key.
async fn open_log(
    source: AuditSource,
    file: &FileConfig,
) -> anyhow::Result<(b2a_app::AuditLog, Arc<dyn Ledger>)> {
    let dir = crate::commands::data_dir(source.data, file)?;
    let ledger: Arc<dyn Ledger> = match source.ledger {
        Some(url) => Arc::new(b2a_ledger::PostgresLedger::connect(&url).await?),
        None => Arc::new(dir.ledger().await?),
    };
    Ok((dir.audit_log(Arc::clone(&ledger))?, ledger))
}

/// Creates (or replaces) the file `name` in `dir`, buffered.
fn create(dir: &Path, name: &str) -> anyhow::Result<BufWriter<File>> {
    let path = dir.join(name);
    Ok(BufWriter::new(
        File::create(&path).with_context(|| format!("writing {}", path.display()))?,
    ))
}

/// Writes `value` as pretty JSON to the file `path`.
fn write_json(path: &Path, value: &impl serde::Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

async fn export(args: AuditExportArgs, file: FileConfig) -> anyhow::Result<()> {
    let (log, ledger) = open_log(args.source, &file).await?;
    let checkpoint = log.make_checkpoint(OffsetDateTime::now_utc()).await?;
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut entries = create(out, ENTRIES)?;
    let mut leaves = create(out, LEAVES)?;
    let mut next = 0u64;
    while next < checkpoint.size {
        let want = u32::try_from(EXPORT_PAGE.min(checkpoint.size - next))?;
        let page = log.stored_entries(next, want).await?;
        let ids: Vec<NodeId> = page
            .iter()
            .map(|e| NodeId {
                level: 0,
                index: e.seq,
            })
            .collect();
        let recorded = ledger.audit_nodes(&ids).await?;
        if page.is_empty() {
            bail!("the log ends at entry {next}, before the size its checkpoint signs");
        }
        for (entry, id) in page.iter().zip(&ids) {
            if entry.seq != next {
                bail!("entry {next} is missing from the log");
            }
            let leaf = recorded
                .get(id)
                .with_context(|| format!("the leaf of entry {next} is missing"))?;
            writeln!(entries, "{}", entry.body)?;
            writeln!(leaves, "{}", encode_hash(leaf))?;
            next += 1;
        }
    }
    entries.flush()?;
    leaves.flush()?;
    let checkpoints: Vec<SignedCheckpoint> = log
        .checkpoints()
        .await?
        .into_iter()
        .filter(|c| c.size <= checkpoint.size)
        .collect();
    write_json(&out.join(CHECKPOINTS), &checkpoints)?;
    write_json(
        &out.join(JWKS),
        &serde_json::json!({"keys": [log.key().jwk()]}),
    )?;
    eprintln!(
        "exported {} entries and {} checkpoints to {dir}; check with: b2a audit verify {dir} --key {dir}/{JWKS} \
         (better: with the key from the brand's /.well-known/jwks.json)",
        checkpoint.size,
        checkpoints.len(),
        dir = out.display(),
    );
    Ok(())
}

async fn prove(args: AuditProveArgs, file: FileConfig) -> anyhow::Result<()> {
    let order = OrderId::parse(args.order).context("ORDER_ID")?;
    let (log, _) = open_log(args.source, &file).await?;
    let bundle = log.trail(&order, OffsetDateTime::now_utc()).await?;
    write_json(&args.out, &bundle)?;
    eprintln!(
        "wrote {} entries proven against the checkpoint of size {} to {}",
        bundle.entries.len(),
        bundle.checkpoint.size,
        args.out.display()
    );
    Ok(())
}

/// Reads a JSON file.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&text)
        .with_context(|| format!("{} is not what it should be", path.display()))
}

/// The audit key of the file `path` (a JWK Set or a JWK) with the id `key_id`.
fn audit_key(path: &Path, key_id: Option<&str>) -> anyhow::Result<VerifyingKey> {
    let doc: serde_json::Value = read_json(path)?;
    b2a_audit::jwk::verifying_key(&doc, key_id)
        .with_context(|| format!("the audit key in {}", path.display()))
}

/// The one key id every checkpoint names (the log is checked with one key).
fn key_id(checkpoints: &[SignedCheckpoint]) -> anyhow::Result<Option<&str>> {
    let mut ids = checkpoints.iter().map(|c| c.key_id.as_str());
    let first = ids.next();
    if let Some(other) = ids.find(|id| Some(*id) != first) {
        bail!(
            "the checkpoints are signed by several keys ({} and {other}); verify each key's \
             checkpoints separately",
            first.unwrap_or_default()
        );
    }
    Ok(first)
}

fn verify_export(args: &AuditVerifyArgs) -> anyhow::Result<()> {
    let checkpoints_path = args.dir.join(CHECKPOINTS);
    let checkpoints: Vec<SignedCheckpoint> = if checkpoints_path.exists() {
        read_json(&checkpoints_path)?
    } else {
        Vec::new()
    };
    let key_id = key_id(&checkpoints)?;
    let key = audit_key(&args.key, key_id)?;
    let mut verifier =
        LogVerifier::new(&checkpoints, &key, key_id).context("the log does not verify")?;
    let entries_path = args.dir.join(ENTRIES);
    let mut reader = BufReader::with_capacity(
        1 << 20,
        File::open(&entries_path).with_context(|| format!("reading {}", entries_path.display()))?,
    );
    let leaves_path = args.dir.join(LEAVES);
    let mut leaves = match File::open(&leaves_path) {
        Ok(file) => Some(BufReader::new(file).lines()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", leaves_path.display())),
    };
    let mut line = Vec::with_capacity(4096);
    let mut seq = 0u64;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading {}", entries_path.display()))?;
        if read == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let recorded = match leaves.as_mut().and_then(Iterator::next) {
            None => None,
            Some(leaf) => {
                let leaf = leaf.with_context(|| format!("reading {}", leaves_path.display()))?;
                Some(decode_hash(&leaf).with_context(|| {
                    format!(
                        "{} line {}: not a base64 hash",
                        leaves_path.display(),
                        seq + 1
                    )
                })?)
            }
        };
        verifier
            .push(&line, recorded.as_ref())
            .context("the log does not verify")?;
        seq += 1;
    }
    let report = verifier.finish().context("the log does not verify")?;
    let sizes = report
        .checkpoints
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    #[allow(clippy::print_stdout)]
    {
        println!(
            "verified: {} entries, root {}",
            report.entries,
            encode_hash(&report.root)
        );
        if report.checkpoints.is_empty() {
            println!("no signed checkpoint: nothing vouches for these entries");
        } else {
            println!(
                "checkpoints at sizes {sizes}: signed by key {} and matched by the entries",
                key_id.unwrap_or_default()
            );
        }
        if report.unsigned > 0 {
            println!(
                "{} entries after the last checkpoint are not signed yet",
                report.unsigned
            );
        }
    }
    Ok(())
}

fn verify_bundle_file(args: &AuditBundleArgs) -> anyhow::Result<()> {
    let bundle: Bundle = read_json(&args.bundle)?;
    let key_id = bundle.checkpoint.key_id.as_str();
    let key = audit_key(&args.key, Some(key_id))?;
    let proven =
        verify_bundle(&bundle, &key, Some(key_id)).context("the bundle does not verify")?;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "verified: {proven} entries included in the log {} of {} entries, checkpoint signed by key {key_id}",
            bundle.checkpoint.origin, bundle.checkpoint.size
        );
    }
    Ok(())
}
