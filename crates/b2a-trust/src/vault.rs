//! Sealing personal data for the vault: each owner (a principal's pseudonym, or the agent an
//! order without a principal came from) has its own random 256-bit key, which the ledger keeps
//! apart from the sealed rows. Destroying an owner's key makes every row sealed with it
//! unreadable at once, wherever copies of the rows went (crypto-shredding).
//!
//! A sealed value is `v1.` followed by the base64 of a random 24-byte nonce and the
//! XChaCha20-Poly1305 ciphertext of the data, with the owner as associated data (a row moved to
//! another owner does not open).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

/// The prefix of a sealed value.
const SEALED: &str = "v1.";
const NONCE: usize = 24;

/// An owner's vault key: the encryption key, then the salt of the owner's audit commitments
/// (`b2a_audit::entry::commit`), destroyed together.
#[derive(Clone, PartialEq, Eq)]
pub struct VaultKey([u8; 64]);

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultKey(..)")
    }
}

/// Why a sealed value does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// Not a sealed value, or a damaged one.
    #[error("not a sealed vault value")]
    Malformed,
    /// Sealed with another key or for another owner, or altered.
    #[error("the vault value does not open with this owner's key")]
    WrongKey,
    /// A stored key of the wrong length.
    #[error("a vault key is 64 bytes")]
    BadKey,
}

impl VaultKey {
    /// A new random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 64];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The key as stored.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A stored key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VaultError> {
        Ok(Self(bytes.try_into().map_err(|_| VaultError::BadKey)?))
    }

    /// The salt of the owner's audit commitments.
    pub fn salt(&self) -> [u8; 32] {
        let mut salt = [0u8; 32];
        salt.copy_from_slice(&self.0[32..]);
        salt
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0[..32]).into())
    }

    /// `data` sealed for `owner`.
    pub fn seal(&self, owner: &str, data: &[u8]) -> String {
        let mut nonce = [0u8; NONCE];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: data,
            aad: owner.as_bytes(),
        };
        // Encryption in memory fails only beyond 256 GiB of data.
        let sealed = self
            .cipher()
            .encrypt(&XNonce::from(nonce), payload)
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{SEALED}{}", STANDARD.encode(out))
    }

    /// The data of `sealed`, if it was sealed for `owner` with this key.
    pub fn open(&self, owner: &str, sealed: &str) -> Result<Vec<u8>, VaultError> {
        let text = sealed.strip_prefix(SEALED).ok_or(VaultError::Malformed)?;
        let bytes = STANDARD.decode(text).map_err(|_| VaultError::Malformed)?;
        if bytes.len() < NONCE {
            return Err(VaultError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE);
        let nonce: [u8; NONCE] = nonce.try_into().map_err(|_| VaultError::Malformed)?;
        let payload = Payload {
            msg: ciphertext,
            aad: owner.as_bytes(),
        };
        self.cipher()
            .decrypt(&XNonce::from(nonce), payload)
            .map_err(|_| VaultError::WrongKey)
    }

    /// Whether `text` is a sealed value (else a row from before the vault was sealed).
    pub fn is_sealed(text: &str) -> bool {
        text.starts_with(SEALED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_its_key_and_owner() {
        let key = VaultKey::generate();
        let sealed = key.seal("pp-1", b"{\"name\":\"Ada\"}");
        assert!(VaultKey::is_sealed(&sealed));
        assert!(!sealed.contains("Ada"));
        assert_eq!(
            key.open("pp-1", &sealed).expect("opens"),
            b"{\"name\":\"Ada\"}"
        );
        assert_eq!(key.open("pp-2", &sealed), Err(VaultError::WrongKey));
        assert_eq!(
            VaultKey::generate().open("pp-1", &sealed),
            Err(VaultError::WrongKey),
            "another key: what erasure leaves"
        );
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).expect("ascii");
        assert!(key.open("pp-1", &altered).is_err());
        assert_ne!(
            key.seal("pp-1", b"x"),
            key.seal("pp-1", b"x"),
            "fresh nonces"
        );
        let stored = VaultKey::from_bytes(key.as_bytes()).expect("64 bytes");
        assert_eq!(
            stored.open("pp-1", &sealed).expect("opens"),
            b"{\"name\":\"Ada\"}"
        );
        assert_eq!(VaultKey::from_bytes(&[0; 32]), Err(VaultError::BadKey));
    }
}
