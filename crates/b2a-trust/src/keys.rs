use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::TokenError;

/// One signing key with its public parts.
#[derive(Clone)]
pub struct SigningKeyInfo {
    /// RFC 7638 JWK thumbprint of the public key.
    pub kid: String,
    /// Base64url of the 32-byte public key (the JWK `x`).
    pub x: String,
    pub(crate) encoding: EncodingKey,
    pub(crate) decoding: DecodingKey,
}

impl std::fmt::Debug for SigningKeyInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyInfo")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKeyInfo {
    fn from_signing_key(key: &SigningKey) -> Result<Self, TokenError> {
        let der = key
            .to_pkcs8_der()
            .map_err(|e| TokenError::KeyStore(e.to_string()))?;
        let x = URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
        let decoding = DecodingKey::from_ed_components(&x).map_err(|_| TokenError::UnknownKey)?;
        Ok(Self {
            kid: thumbprint(&x),
            x,
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            decoding,
        })
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid, "alg": "EdDSA", "use": "sig"})
    }
}

/// RFC 7638 thumbprint of an Ed25519 public key: SHA-256 over the required members in
/// lexicographic order, base64url without padding.
pub(crate) fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// Writes `key` to a new file at `path` (PKCS #8 DER, owner-only), flushed to disk.
pub(crate) fn write_key(path: &Path, key: &SigningKey) -> Result<(), TokenError> {
    let der = key
        .to_pkcs8_der()
        .map_err(|e| TokenError::KeyStore(e.to_string()))?;
    let io = |e: std::io::Error| TokenError::KeyStore(format!("{}: {e}", path.display()));
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    f.write_all(der.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)
}

/// Reads a key [`write_key`] wrote.
pub(crate) fn read_key(path: &Path) -> Result<SigningKey, TokenError> {
    let der =
        fs::read(path).map_err(|e| TokenError::KeyStore(format!("{}: {e}", path.display())))?;
    SigningKey::from_pkcs8_der(&der)
        .map_err(|e| TokenError::KeyStore(format!("{}: {e}", path.display())))
}

/// The brand's signing keys, kept in `<data>/keys/` with owner-only permissions. The newest
/// key signs; every key in the directory verifies. Retired keys move to `keys/retired/`.
#[derive(Debug, Clone)]
pub struct KeyRing {
    dir: PathBuf,
    /// The key files this ring was read from, sorted.
    files: Vec<PathBuf>,
    active: SigningKeyInfo,
    all: Vec<SigningKeyInfo>,
}

fn key_files(dir: &Path) -> Result<Vec<PathBuf>, TokenError> {
    let io = |e: std::io::Error| TokenError::KeyStore(format!("{}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "p8"))
        .collect();
    // File names start with a creation timestamp, so the last one is the newest.
    files.sort();
    Ok(files)
}

impl KeyRing {
    /// Opens the key directory under `data_dir`, creating a first key if there is none.
    pub fn open_or_create(data_dir: &Path) -> Result<Self, TokenError> {
        let dir = data_dir.join("keys");
        let io = |e: std::io::Error| TokenError::KeyStore(format!("{}: {e}", dir.display()));
        fs::create_dir_all(&dir).map_err(io)?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
        if key_files(&dir)?.is_empty() {
            Self::create(&dir)?;
        }
        Self::read(dir)
    }

    fn read(dir: PathBuf) -> Result<Self, TokenError> {
        let files = key_files(&dir)?;
        let mut all = Vec::with_capacity(files.len());
        for path in &files {
            all.push(SigningKeyInfo::from_signing_key(&read_key(path)?)?);
        }
        let active = all
            .last()
            .cloned()
            .ok_or_else(|| TokenError::KeyStore(format!("{}: no signing key", dir.display())))?;
        Ok(Self {
            dir,
            files,
            active,
            all,
        })
    }

    /// The ring as the directory now holds it, if its key files changed since this one was read.
    pub fn reload_if_changed(&self) -> Result<Option<Self>, TokenError> {
        if key_files(&self.dir)? == self.files {
            return Ok(None);
        }
        Self::read(self.dir.clone()).map(Some)
    }

    /// Creates a new key that signs from now on; the older keys keep verifying.
    pub fn rotate(&self) -> Result<Self, TokenError> {
        Self::create(&self.dir)?;
        Self::read(self.dir.clone())
    }

    /// Retires a key that no longer signs: tokens it signed stop verifying. The file moves to
    /// `keys/retired/`. The signing key cannot be retired (rotate first).
    pub fn retire(&self, kid: &str) -> Result<Self, TokenError> {
        if self.active.kid == kid {
            return Err(TokenError::KeyStore(format!(
                "{kid} is the signing key; rotate first, then retire it"
            )));
        }
        let index = self
            .all
            .iter()
            .position(|k| k.kid == kid)
            .ok_or(TokenError::UnknownKey)?;
        let from = &self.files[index];
        let retired = self.dir.join("retired");
        let io = |e: std::io::Error| TokenError::KeyStore(format!("{}: {e}", retired.display()));
        fs::create_dir_all(&retired).map_err(io)?;
        fs::set_permissions(&retired, fs::Permissions::from_mode(0o700)).map_err(io)?;
        let name = from.file_name().ok_or(TokenError::UnknownKey)?;
        fs::rename(from, retired.join(name)).map_err(io)?;
        Self::read(self.dir.clone())
    }

    fn create(dir: &Path) -> Result<SigningKeyInfo, TokenError> {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let info = SigningKeyInfo::from_signing_key(&key)?;
        // Nanoseconds, so that two rotations in one second still sort in creation order.
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        write_key(&dir.join(format!("{stamp:021}-{}.p8", info.kid)), &key)?;
        Ok(info)
    }

    /// The keys, oldest first.
    pub fn all(&self) -> &[SigningKeyInfo] {
        &self.all
    }

    /// How many keys verify.
    pub fn len(&self) -> usize {
        self.all.len()
    }

    /// Whether the ring is empty (never: a ring always has its signing key).
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// The key that signs new tokens.
    pub fn active(&self) -> &SigningKeyInfo {
        &self.active
    }

    /// The key with this `kid`, if it still verifies.
    pub fn find(&self, kid: &str) -> Option<&SigningKeyInfo> {
        self.all.iter().find(|k| k.kid == kid)
    }

    /// The public keys as a JWK Set.
    pub fn jwks(&self) -> Value {
        json!({"keys": self.all.iter().map(SigningKeyInfo::jwk).collect::<Vec<_>>()})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_persist_with_owner_only_permissions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = KeyRing::open_or_create(dir.path()).expect("created");
        let again = KeyRing::open_or_create(dir.path()).expect("reopened");
        assert_eq!(first.active().kid, again.active().kid);
        let file = fs::read_dir(dir.path().join("keys"))
            .expect("keys dir")
            .filter_map(Result::ok)
            .next()
            .expect("one key file");
        let mode = file.metadata().expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn kid_is_the_rfc7638_thumbprint() {
        // RFC 8037 appendix A.3: thumbprint of the example Ed25519 key.
        assert_eq!(
            thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }
}
