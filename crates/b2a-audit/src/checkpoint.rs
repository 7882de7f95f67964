//! Signed checkpoints of the audit log, in the C2SP `tlog-checkpoint` form: the body
//! `<origin>\n<tree size>\n<base64 root hash>\n`, signed with the brand's Ed25519 audit key.
//!
//! Served as [`SignedCheckpoint`]: the fields, the exact body, the signature (base64 of the
//! 64-byte Ed25519 signature of the body's bytes) and the key's id (its JWKS `kid`). The `note`
//! is the same checkpoint as a C2SP signed note (the body, an empty line, then
//! `— <origin> <base64(key hash ‖ signature)>`), for tools that read that format.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;

/// What a checkpoint says: the log `origin` had `size` entries with root `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name (the brand's origin, e.g. `shop.example/audit`).
    pub origin: String,
    /// Number of entries.
    pub size: u64,
    /// RFC 9162 root hash of those entries.
    pub root: Hash,
}

/// A checkpoint with its signature, as the auditor API serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCheckpoint {
    /// The log's name.
    pub origin: String,
    /// Number of entries.
    pub size: u64,
    /// Base64 of the root hash.
    pub root_hash: String,
    /// The signed text: `<origin>\n<size>\n<root_hash>\n`.
    pub body: String,
    /// Base64 of the Ed25519 signature of `body`.
    pub signature: String,
    /// The signing key's id (`kid` in the JWKS).
    pub key_id: String,
    /// The same checkpoint as a C2SP signed note (checked against the signature when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why a checkpoint is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The body is not `<origin>\n<size>\n<base64 root>\n`.
    #[error("checkpoint body is malformed: {0}")]
    Malformed(&'static str),
    /// The fields do not say what the body says.
    #[error("checkpoint field {0} differs from its body")]
    FieldMismatch(&'static str),
    /// The signature is not base64 of 64 bytes.
    #[error("checkpoint signature is not base64 of an Ed25519 signature")]
    BadSignatureEncoding,
    /// The signature does not verify with the key.
    #[error("checkpoint signature does not verify with the key")]
    BadSignature,
    /// Signed with another key than the one given.
    #[error("checkpoint is signed by key {found}, not {expected}")]
    OtherKey {
        /// The key id the checkpoint names.
        found: String,
        /// The key id given to verify it.
        expected: String,
    },
}

impl Checkpoint {
    /// The signed text.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }

    /// Reads a body back.
    pub fn parse(body: &str) -> Result<Self, CheckpointError> {
        let text = body
            .strip_suffix('\n')
            .ok_or(CheckpointError::Malformed("it does not end with a newline"))?;
        let mut lines = text.split('\n');
        let (Some(origin), Some(size), Some(root), None) =
            (lines.next(), lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::Malformed("it does not have three lines"));
        };
        if origin.is_empty() {
            return Err(CheckpointError::Malformed("the origin is empty"));
        }
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || size.starts_with('0') && size != "0"
        {
            return Err(CheckpointError::Malformed(
                "the size is not a decimal number",
            ));
        }
        let size = size
            .parse()
            .map_err(|_| CheckpointError::Malformed("the size is not a decimal number"))?;
        let root = STANDARD
            .decode(root)
            .ok()
            .and_then(|r| Hash::try_from(r).ok())
            .ok_or(CheckpointError::Malformed(
                "the root is not base64 of 32 bytes",
            ))?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }

    /// Signs the checkpoint with `key`, whose JWKS id is `key_id`.
    pub fn sign(&self, key: &SigningKey, key_id: &str) -> SignedCheckpoint {
        let body = self.body();
        let signature = key.sign(body.as_bytes()).to_bytes();
        let note = note(&body, &self.origin, &key.verifying_key(), &signature);
        SignedCheckpoint {
            origin: self.origin.clone(),
            size: self.size,
            root_hash: STANDARD.encode(self.root),
            body,
            signature: STANDARD.encode(signature),
            key_id: key_id.to_owned(),
            note: Some(note),
        }
    }
}

/// The checkpoint as a C2SP signed note: the body, an empty line, and one signature line.
fn note(body: &str, origin: &str, key: &VerifyingKey, signature: &[u8; 64]) -> String {
    let mut signed = note_key_hash(origin, key).to_vec();
    signed.extend_from_slice(signature);
    format!("{body}\n\u{2014} {origin} {}\n", STANDARD.encode(signed))
}

/// The C2SP signed-note key hash: the first 4 bytes of
/// `SHA-256(<name> ‖ "\n" ‖ 0x01 ‖ <32-byte public key>)` (0x01: the Ed25519 algorithm).
pub fn note_key_hash(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([0x01]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

impl SignedCheckpoint {
    /// Checks the signature of the body with `key` and that the fields say what the body says;
    /// returns what it says. When `key_id` is given, the checkpoint must name it.
    pub fn verify(
        &self,
        key: &VerifyingKey,
        key_id: Option<&str>,
    ) -> Result<Checkpoint, CheckpointError> {
        if let Some(expected) = key_id
            && expected != self.key_id
        {
            return Err(CheckpointError::OtherKey {
                found: self.key_id.clone(),
                expected: expected.to_owned(),
            });
        }
        let bytes: [u8; 64] = STANDARD
            .decode(&self.signature)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or(CheckpointError::BadSignatureEncoding)?;
        key.verify(self.body.as_bytes(), &Signature::from_bytes(&bytes))
            .map_err(|_| CheckpointError::BadSignature)?;
        let checkpoint = Checkpoint::parse(&self.body)?;
        if checkpoint.origin != self.origin {
            return Err(CheckpointError::FieldMismatch("origin"));
        }
        if checkpoint.size != self.size {
            return Err(CheckpointError::FieldMismatch("size"));
        }
        if STANDARD.encode(checkpoint.root) != self.root_hash {
            return Err(CheckpointError::FieldMismatch("root_hash"));
        }
        if let Some(given) = &self.note
            && *given != note(&self.body, &self.origin, key, &bytes)
        {
            return Err(CheckpointError::FieldMismatch("note"));
        }
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            origin: "shop.example/audit".into(),
            size: 42,
            root: [9; 32],
        }
    }

    #[test]
    fn a_signed_checkpoint_verifies_and_reads_back() {
        let signed = checkpoint().sign(&key(), "kid-1");
        assert_eq!(
            signed.body,
            "shop.example/audit\n42\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n"
        );
        let back = signed
            .verify(&key().verifying_key(), Some("kid-1"))
            .expect("verifies");
        assert_eq!(back, checkpoint());
        let note = signed.note.as_deref().expect("a note");
        assert!(note.starts_with(&signed.body));
        assert!(note.contains("\n\n\u{2014} shop.example/audit "));
    }

    #[test]
    fn any_change_fails() {
        let signed = checkpoint().sign(&key(), "kid-1");
        let vk = key().verifying_key();
        let mut body = signed.clone();
        body.body = body.body.replace("42", "43");
        assert_eq!(body.verify(&vk, None), Err(CheckpointError::BadSignature));
        let mut size = signed.clone();
        size.size = 43;
        assert_eq!(
            size.verify(&vk, None),
            Err(CheckpointError::FieldMismatch("size"))
        );
        let other = SigningKey::from_bytes(&[8; 32]).verifying_key();
        assert_eq!(
            signed.verify(&other, None),
            Err(CheckpointError::BadSignature)
        );
        assert!(matches!(
            signed.verify(&vk, Some("kid-2")),
            Err(CheckpointError::OtherKey { .. })
        ));
    }

    #[test]
    fn malformed_bodies_are_named() {
        for body in [
            "o\n1\n",
            "o\n1\nAAAA\n",
            "o\n01\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n",
            "\n1\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n",
            "o\n1\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=",
        ] {
            assert!(
                matches!(Checkpoint::parse(body), Err(CheckpointError::Malformed(_))),
                "{body:?}"
            );
        }
    }
}
