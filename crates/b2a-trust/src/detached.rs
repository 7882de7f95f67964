//! Detached JWS signatures (RFC 7515, appendix F) over the RFC 8785 canonical JSON of a document:
//! how the brand signs what it offers (quotes), so that an agent now and an auditor later can
//! check it with the JWKS and any JOSE library.
//!
//! The signature is `<base64url header>..<base64url signature>`; the payload it covers is the
//! canonical JSON of the document, which the verifier recomputes from the document it holds and
//! puts back between the two dots.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::Serialize;
use serde_json::json;

use crate::{KeyRing, TokenError};

/// A detached signature and the key that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachedSignature {
    /// `EdDSA`.
    pub alg: &'static str,
    /// The key's id in the JWKS.
    pub kid: String,
    /// `<base64url header>..<base64url signature>`.
    pub jws: String,
}

/// RFC 8785 canonical JSON of `value`.
pub fn canonical_json(value: &impl Serialize) -> Result<Vec<u8>, TokenError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| TokenError::KeyStore(e.to_string()))
}

/// Signs the canonical JSON of `document` with the ring's active key; the header carries `typ`
/// (what kind of document it is) and the key's `kid`.
pub fn sign_detached(
    ring: &KeyRing,
    typ: &str,
    document: &impl Serialize,
) -> Result<DetachedSignature, TokenError> {
    let key = ring.active();
    let header = json!({"alg": "EdDSA", "kid": key.kid, "typ": typ});
    let header = URL_SAFE_NO_PAD.encode(canonical_json(&header)?);
    let payload = URL_SAFE_NO_PAD.encode(canonical_json(document)?);
    let input = format!("{header}.{payload}");
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &key.encoding, Algorithm::EdDSA)
        .map_err(|e| TokenError::KeyStore(e.to_string()))?;
    Ok(DetachedSignature {
        alg: "EdDSA",
        kid: key.kid.clone(),
        jws: format!("{header}..{signature}"),
    })
}

/// Checks a detached signature over the canonical JSON of `document` with the ring's key named
/// by the header's `kid`; the header must say `EdDSA` and `typ`.
pub fn verify_detached(
    ring: &KeyRing,
    typ: &str,
    jws: &str,
    document: &impl Serialize,
) -> Result<(), TokenError> {
    let (header_b64, signature) = jws.split_once("..").ok_or(TokenError::Malformed)?;
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(header_b64)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(TokenError::Malformed)?;
    if header["alg"] != "EdDSA" {
        return Err(TokenError::UnsupportedAlgorithm);
    }
    if header["typ"] != typ {
        return Err(TokenError::WrongType);
    }
    let kid = header["kid"].as_str().ok_or(TokenError::UnknownKey)?;
    let key = ring.find(kid).ok_or(TokenError::UnknownKey)?;
    let payload = URL_SAFE_NO_PAD.encode(canonical_json(document)?);
    let input = format!("{header_b64}.{payload}");
    match jsonwebtoken::crypto::verify(signature, input.as_bytes(), &key.decoding, Algorithm::EdDSA)
    {
        Ok(true) => Ok(()),
        _ => Err(TokenError::BadSignature),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_any_change_breaks_it() {
        let dir = tempfile::tempdir().expect("dir");
        let ring = KeyRing::open_or_create(dir.path()).expect("ring");
        let doc = json!({"total": {"amount": 18900, "currency": "EUR"}, "id": "q_1", "note": "é"});
        let sig = sign_detached(&ring, "b2a-quote+jws", &doc).expect("signed");
        assert_eq!(sig.kid, ring.active().kid);
        assert!(sig.jws.contains(".."));
        verify_detached(&ring, "b2a-quote+jws", &sig.jws, &doc).expect("verifies");
        // Member order does not matter: the payload is canonical.
        let reordered: serde_json::Value = serde_json::from_str(
            r#"{"note":"é","id":"q_1","total":{"currency":"EUR","amount":18900}}"#,
        )
        .expect("json");
        verify_detached(&ring, "b2a-quote+jws", &sig.jws, &reordered).expect("verifies");
        let altered =
            json!({"total": {"amount": 18800, "currency": "EUR"}, "id": "q_1", "note": "é"});
        assert!(matches!(
            verify_detached(&ring, "b2a-quote+jws", &sig.jws, &altered),
            Err(TokenError::BadSignature)
        ));
        assert!(matches!(
            verify_detached(&ring, "b2a-cap+jwt", &sig.jws, &doc),
            Err(TokenError::WrongType)
        ));
    }

    #[test]
    fn canonical_json_follows_rfc_8785() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"b": [1, {"z": null, "a": true}], "a": "\u00e9\n"}"#)
                .expect("json");
        assert_eq!(
            String::from_utf8(canonical_json(&v).expect("jcs")).expect("utf8"),
            "{\"a\":\"é\\n\",\"b\":[1,{\"a\":true,\"z\":null}]}"
        );
    }
}
