//! The brand's audit key: one Ed25519 key that signs the checkpoints of the audit log, kept in
//! `<data>/audit/key.p8` (owner-only), created on first use. Unlike the token keys it is not
//! rotated: auditors keep it, and every checkpoint it signed stays checkable with it. It is
//! published in the JWK Set beside the token keys, marked `"b2a_use": "audit-checkpoint"`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

use crate::TokenError;
use crate::keys::{read_key, thumbprint, write_key};

/// The audit key and its id.
#[derive(Clone)]
pub struct AuditKey {
    key: SigningKey,
    kid: String,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl AuditKey {
    /// Opens the audit key under `data_dir`, creating it if there is none.
    pub fn open_or_create(data_dir: &Path) -> Result<Self, TokenError> {
        let dir = data_dir.join("audit");
        let io = |e: std::io::Error| TokenError::KeyStore(format!("{}: {e}", dir.display()));
        fs::create_dir_all(&dir).map_err(io)?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
        let path = dir.join("key.p8");
        if !path.exists() {
            let key = SigningKey::generate(&mut rand::rngs::OsRng);
            match write_key(&path, &key) {
                Ok(()) => return Ok(Self::from_key(key)),
                // Another process created it meanwhile: read theirs.
                Err(_) if path.exists() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Self::from_key(read_key(&path)?))
    }

    /// An audit key held in memory (tests, tools).
    pub fn from_key(key: SigningKey) -> Self {
        let kid = thumbprint(&URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()));
        Self { key, kid }
    }

    /// The key that signs checkpoints.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// Its id: the RFC 7638 thumbprint of the public key, a checkpoint's `key_id`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.key.verifying_key().as_bytes()),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
            "b2a_use": "audit-checkpoint",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_created_once_owner_only_and_read_back() {
        let dir = tempfile::tempdir().expect("dir");
        let first = AuditKey::open_or_create(dir.path()).expect("created");
        let again = AuditKey::open_or_create(dir.path()).expect("read back");
        assert_eq!(first.kid(), again.kid());
        assert_eq!(
            first.signing_key().to_bytes(),
            again.signing_key().to_bytes()
        );
        let mode = fs::metadata(dir.path().join("audit/key.p8"))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(first.jwk()["kid"], first.kid());
        assert_eq!(first.jwk()["b2a_use"], "audit-checkpoint");
    }
}
