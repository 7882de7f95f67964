//! The trust marker: a file beside the ledger that grows by one byte at every committed
//! revocation, suspension or reactivation, so every process on the ledger notices at the cost of
//! one `stat`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::LedgerError;

/// The marker file `<ledger path>-trust`.
#[derive(Debug, Clone)]
pub(super) struct TrustMarker {
    path: PathBuf,
}

impl TrustMarker {
    /// The marker of the ledger file at `ledger`, created (owner-only) if missing.
    pub(super) fn beside(ledger: &Path) -> Result<Self, LedgerError> {
        let mut name = ledger.as_os_str().to_owned();
        name.push("-trust");
        let marker = Self {
            path: PathBuf::from(name),
        };
        marker
            .append(b"")
            .map_err(|e| marker.error(&e, "cannot be created"))?;
        Ok(marker)
    }

    /// Records that a trust change was committed. Call after the commit, never before: a
    /// process that sees the marker grow must find the change when it reads the ledger.
    pub(super) fn bump(&self) -> Result<(), LedgerError> {
        self.append(b".").map_err(|e| {
            self.error(
                &e,
                "was not updated, so other processes may not notice the committed change",
            )
        })
    }

    /// The marker's length: changes at every bump, by any process.
    pub(super) fn stamp(&self) -> u64 {
        std::fs::metadata(&self.path).map_or(0, |m| m.len())
    }

    fn append(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(&self.path)?.write_all(bytes)
    }

    fn error(&self, e: &std::io::Error, what: &str) -> LedgerError {
        LedgerError::Storage(format!("trust marker {} {what}: {e}", self.path.display()))
    }
}
