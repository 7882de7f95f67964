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
fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The brand's signing keys, kept in `<data>/keys/` with owner-only permissions.
#[derive(Debug, Clone)]
pub struct KeyRing {
    active: SigningKeyInfo,
    all: Vec<SigningKeyInfo>,
}

impl KeyRing {
    /// Opens the key directory under `data_dir`, creating a first key if there is none.
    pub fn open_or_create(data_dir: &Path) -> Result<Self, TokenError> {
        let dir = data_dir.join("keys");
        let io = |e: std::io::Error| TokenError::KeyStore(format!("{}: {e}", dir.display()));
        fs::create_dir_all(&dir).map_err(io)?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "p8"))
            .collect();
        // File names start with a creation timestamp, so the last one is the newest.
        files.sort();
        let mut all = Vec::with_capacity(files.len());
        for path in &files {
            let der = fs::read(path).map_err(io)?;
            let key = SigningKey::from_pkcs8_der(&der)
                .map_err(|e| TokenError::KeyStore(format!("{}: {e}", path.display())))?;
            all.push(SigningKeyInfo::from_signing_key(&key)?);
        }
        if all.is_empty() {
            all.push(Self::create(&dir)?);
        }
        let active = all.last().cloned().ok_or(TokenError::UnknownKey)?;
        Ok(Self { active, all })
    }

    fn create(dir: &Path) -> Result<SigningKeyInfo, TokenError> {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let info = SigningKeyInfo::from_signing_key(&key)?;
        let der = key
            .to_pkcs8_der()
            .map_err(|e| TokenError::KeyStore(e.to_string()))?;
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let path = dir.join(format!("{stamp:012}-{}.p8", info.kid));
        let io = |e: std::io::Error| TokenError::KeyStore(format!("{}: {e}", path.display()));
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(io)?;
        f.write_all(der.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok(info)
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
