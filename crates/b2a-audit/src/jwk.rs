//! The audit key as the brand publishes it: an Ed25519 public key in a JWK Set (the gateway's
//! `/.well-known/jwks.json`) or as a single JWK, chosen by its `kid` (a checkpoint's `key_id`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::VerifyingKey;
use serde_json::Value;

/// Why no audit key could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The document is neither a JWK Set nor a JWK.
    #[error("not a JWK Set nor a JWK: {0}")]
    NotJwk(&'static str),
    /// No key of the set has this id.
    #[error("no key with kid {0}")]
    NoSuchKey(String),
    /// Several keys could be meant and no id says which.
    #[error("the set holds several Ed25519 keys; the checkpoint's key_id must name one")]
    Ambiguous,
    /// The key is not an Ed25519 public key.
    #[error("key {kid}: {reason}")]
    NotEd25519 {
        /// Its id, or empty.
        kid: String,
        /// Why.
        reason: &'static str,
    },
}

/// The Ed25519 key of `doc` (a JWK Set or a JWK) whose `kid` is `key_id`; without `key_id`, the
/// set's only Ed25519 key.
pub fn verifying_key(doc: &Value, key_id: Option<&str>) -> Result<VerifyingKey, KeyError> {
    let Some(keys) = doc.get("keys") else {
        if let (Some(wanted), Some(kid)) = (key_id, doc.get("kid").and_then(Value::as_str))
            && wanted != kid
        {
            return Err(KeyError::NoSuchKey(wanted.to_owned()));
        }
        return ed25519(doc);
    };
    let keys = keys
        .as_array()
        .ok_or(KeyError::NotJwk("keys is not an array"))?;
    let kid = |k: &Value| k.get("kid").and_then(Value::as_str).map(str::to_owned);
    match key_id {
        Some(wanted) => keys
            .iter()
            .find(|k| kid(k).as_deref() == Some(wanted))
            .ok_or_else(|| KeyError::NoSuchKey(wanted.to_owned()))
            .and_then(ed25519),
        None => {
            let mut found = keys.iter().filter_map(|k| ed25519(k).ok());
            match (found.next(), found.next()) {
                (Some(key), None) => Ok(key),
                (None, _) => Err(KeyError::NotJwk("the set holds no Ed25519 key")),
                (Some(_), Some(_)) => Err(KeyError::Ambiguous),
            }
        }
    }
}

/// The public key of an OKP/Ed25519 JWK.
fn ed25519(jwk: &Value) -> Result<VerifyingKey, KeyError> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    let fail = |reason| KeyError::NotEd25519 {
        kid: field("kid").unwrap_or_default().to_owned(),
        reason,
    };
    if !jwk.is_object() {
        return Err(KeyError::NotJwk("not a JSON object"));
    }
    if field("kty") != Some("OKP") || field("crv") != Some("Ed25519") {
        return Err(fail("not kty OKP, crv Ed25519"));
    }
    let x = field("x").ok_or_else(|| fail("no x"))?;
    let bytes: [u8; 32] = URL_SAFE_NO_PAD
        .decode(x)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| fail("x is not base64url of 32 bytes"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| fail("x is not a valid Ed25519 point"))
}

/// `key` as a JWK with the id `kid`, marked as the audit log's key (`use` = `sig`; the
/// `b2a_use` member says it signs checkpoints, not tokens).
pub fn jwk(key: &VerifyingKey, kid: &str) -> Value {
    serde_json::json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": URL_SAFE_NO_PAD.encode(key.as_bytes()),
        "kid": kid,
        "use": "sig",
        "b2a_use": "audit-checkpoint",
    })
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_are_found_by_id_in_a_set_or_alone() {
        let a = SigningKey::from_bytes(&[1; 32]).verifying_key();
        let b = SigningKey::from_bytes(&[2; 32]).verifying_key();
        let set = json!({"keys": [jwk(&a, "a"), jwk(&b, "b"), {"kty": "EC", "kid": "c"}]});
        assert_eq!(verifying_key(&set, Some("b")), Ok(b));
        assert_eq!(verifying_key(&set, Some("a")), Ok(a));
        assert_eq!(
            verifying_key(&set, Some("z")),
            Err(KeyError::NoSuchKey("z".into()))
        );
        assert_eq!(verifying_key(&set, None), Err(KeyError::Ambiguous));
        assert!(matches!(
            verifying_key(&set, Some("c")),
            Err(KeyError::NotEd25519 { .. })
        ));
        assert_eq!(verifying_key(&jwk(&a, "a"), None), Ok(a));
        assert_eq!(verifying_key(&jwk(&a, "a"), Some("a")), Ok(a));
        assert!(verifying_key(&jwk(&a, "a"), Some("b")).is_err());
        let mut short = jwk(&a, "a");
        short["x"] = json!("AAAA");
        assert!(verifying_key(&short, None).is_err());
        assert!(verifying_key(&json!([1]), None).is_err());
    }
}
