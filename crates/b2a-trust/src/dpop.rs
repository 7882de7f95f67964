//! DPoP proofs (RFC 9449): a holder of a key-bound access token (`cnf.jkt`) proves, request by
//! request, that it holds the private key the token is bound to.
//!
//! A proof is a JWT with header `typ: dpop+jwt`, `alg` EdDSA (Ed25519) or ES256 (P-256) and the
//! public key as `jwk`, and claims `jti`, `htm`, `htu`, `iat` and `ath`. [`DpopVerifier`] checks,
//! in this order (RFC 9449 §4.3): the structure; `typ`, `alg` and `jwk`; the signature; that the
//! key's RFC 7638 thumbprint is the token's `cnf.jkt`; `htm`; `htu`; `ath`; `iat`; and finally
//! that the `jti` was not used before with the same key. A proof is remembered only once it
//! passed every other check, so a refused proof never blocks a correct retry.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use quick_cache::sync::{Cache, EntryAction, EntryResult};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The JOSE `typ` of a DPoP proof (RFC 9449 §4.2).
pub const DPOP_PROOF_TYPE: &str = "dpop+jwt";

/// How far in the future a proof's `iat` may be, for clocks running ahead of this gateway's.
const FUTURE_SKEW_SECONDS: i64 = 30;

/// The most proofs remembered for replay detection; beyond it the least used are forgotten.
const REPLAY_CAPACITY: usize = 100_000;

/// The longest `jti` accepted, in characters.
const MAX_JTI_CHARS: usize = 256;

/// The longest proof accepted, in bytes (a proof is a few hundred bytes).
const MAX_PROOF_BYTES: usize = 8 * 1024;

/// Why a DPoP proof was refused. The messages say what the client must change.
#[derive(Debug, thiserror::Error)]
pub enum DpopError {
    /// The request carries no proof.
    #[error(
        "the request carries no DPoP proof: the access token is bound to a key (`cnf.jkt`), so \
         send a `DPoP` header holding a proof JWT signed with that key (RFC 9449)"
    )]
    Missing,
    /// The proof is not a JWT, or its header or claims are not what a DPoP proof must carry.
    #[error("malformed DPoP proof: {0}")]
    Malformed(String),
    /// The signature does not verify with the public key in the proof's header.
    #[error(
        "the DPoP proof's signature does not verify with the public key in its `jwk` header: \
         sign `<header>.<claims>` with the private key of that `jwk`"
    )]
    BadSignature,
    /// The proof is signed with another key than the one the access token is bound to.
    #[error("the DPoP proof is signed with another key than the access token is bound to: {0}")]
    KeyMismatch(String),
    /// The proof's `htm` is not this request's method.
    #[error("the DPoP proof is for another HTTP method: {0}")]
    WrongMethod(String),
    /// The proof's `htu` is not this request's URL.
    #[error("the DPoP proof is for another URL: {0}")]
    WrongUrl(String),
    /// The proof's `ath` is not the hash of the access token sent with it.
    #[error(
        "the DPoP proof's `ath` is not the hash of the access token sent with it: set `ath` to \
         base64url(SHA-256(access token)), without padding, for the token in the Authorization \
         header"
    )]
    WrongToken,
    /// The proof's `iat` is too old, or too far in the future.
    #[error("the DPoP proof's `iat` is outside the accepted window: {0}")]
    Stale(String),
    /// The proof's `jti` was already used with the same key within the window.
    #[error(
        "this DPoP proof was already used (the same `jti` with the same key): make a fresh proof, \
         with a new `jti`, for every request"
    )]
    Replayed,
}

/// Verifies DPoP proofs and remembers their `jti` to refuse replays.
///
/// Share one verifier (behind an `Arc`) between all requests, so that every request sees the
/// same replay cache. The cache holds at most 100 000 proofs; a gateway receiving more proofs
/// than that within one window may forget some before their window ends.
pub struct DpopVerifier {
    /// How old a proof's `iat` may be, in seconds.
    window: i64,
    /// `(jkt, jti)` of accepted proofs → the last second at which the proof's `iat` is fresh.
    seen: Cache<(String, String), i64>,
}

impl std::fmt::Debug for DpopVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopVerifier")
            .field("window_seconds", &self.window)
            .field("remembered", &self.seen.len())
            .finish()
    }
}

impl DpopVerifier {
    /// A verifier accepting proofs whose `iat` is at most `window` in the past (whole seconds)
    /// and at most 30 seconds in the future (clock skew). A proof's `jti` is remembered, per
    /// key, until its `iat` leaves the window; within it, the same `jti` is refused.
    pub fn new(window: Duration) -> Self {
        Self {
            window: i64::try_from(window.as_secs()).unwrap_or(i64::MAX),
            seen: Cache::new(REPLAY_CAPACITY),
        }
    }

    /// Checks `proof` (the `DPoP` header value) for a request `method` (e.g. `"POST"`) to `htu`
    /// (the absolute URL without query and fragment, as the gateway is reached), presented with
    /// `access_token` (the raw token text) that is bound to the key thumbprint `jkt` (the
    /// token's `cnf.jkt`). `now` is the current time in seconds since the epoch.
    ///
    /// URLs are compared after normalization: scheme and host in lower case, the default port
    /// dropped, an empty path as `/`, percent-encodings in upper case (and decoded where they
    /// encode an unreserved character), dot segments removed, query and fragment ignored.
    pub fn verify(
        &self,
        proof: &str,
        method: &str,
        htu: &str,
        access_token: &str,
        jkt: &str,
        now: i64,
    ) -> Result<(), DpopError> {
        let parsed = Parsed::parse(proof)?;
        let (alg, key) = parsed.key()?;
        parsed.check_signature(alg, &key)?;
        let claims = parsed.claims()?;

        let proof_jkt = jwk_thumbprint(parsed.jwk()?)?;
        if proof_jkt != jkt {
            return Err(DpopError::KeyMismatch(format!(
                "the proof's `jwk` has the thumbprint `{proof_jkt}`, the token's `cnf.jkt` is \
                 `{jkt}`; sign proofs with the key the token was issued for"
            )));
        }
        if claims.htm != method {
            return Err(DpopError::WrongMethod(format!(
                "the proof's htm `{}` is not this request's method `{method}`",
                claims.htm
            )));
        }
        check_url(claims.htu, htu)?;
        if claims.ath != access_token_hash(access_token) {
            return Err(DpopError::WrongToken);
        }
        self.check_iat(claims.iat, now)?;
        self.remember(jkt, claims.jti, claims.iat, now)
    }

    fn check_iat(&self, iat: i64, now: i64) -> Result<(), DpopError> {
        if iat < now.saturating_sub(self.window) {
            return Err(DpopError::Stale(format!(
                "the proof was made {} s ago (`iat` {iat}) and proofs are accepted for {} s: \
                 make a fresh proof for every request",
                now.saturating_sub(iat),
                self.window
            )));
        }
        if iat > now.saturating_add(FUTURE_SKEW_SECONDS) {
            return Err(DpopError::Stale(format!(
                "the proof's `iat` {iat} is {} s ahead of this gateway's clock (at most \
                 {FUTURE_SKEW_SECONDS} s are tolerated): check the client's clock",
                iat.saturating_sub(now)
            )));
        }
        Ok(())
    }

    /// Records `(jkt, jti)` unless it is already recorded with an `iat` still in the window;
    /// check and record are one atomic step, so two concurrent uses cannot both pass.
    fn remember(&self, jkt: &str, jti: &str, iat: i64, now: i64) -> Result<(), DpopError> {
        let fresh_until = iat.saturating_add(self.window);
        let key = (jkt.to_owned(), jti.to_owned());
        let entry = self.seen.entry(&key, Some(Duration::ZERO), |_, until| {
            if *until >= now {
                EntryAction::Retain(false)
            } else {
                // The earlier use left the window: this is a new proof reusing the `jti`.
                *until = fresh_until;
                EntryAction::Retain(true)
            }
        });
        match entry {
            EntryResult::Retained(true) => Ok(()),
            EntryResult::Vacant(guard) => {
                // Only fails if the placeholder was replaced meanwhile, which needs this guard.
                let _ = guard.insert(fresh_until);
                Ok(())
            }
            // A use being recorded right now by another request is a replay too.
            _ => Err(DpopError::Replayed),
        }
    }
}

/// RFC 7638 thumbprint of a public JWK: SHA-256 over its required members in lexicographic
/// order (OKP/Ed25519: `crv`, `kty`, `x`; EC/P-256: `crv`, `kty`, `x`, `y`), base64url without
/// padding. Refuses other key types and curves, and JWKs missing a required member.
pub fn jwk_thumbprint(jwk: &Value) -> Result<String, DpopError> {
    let member = |name: &str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| DpopError::Malformed(format!("the JWK has no `{name}` string member")))
    };
    // Members are JSON strings; `Value`'s display writes them with the minimal escaping
    // RFC 7638 asks for.
    let text = |s: &str| Value::String(s.to_owned()).to_string();
    let canonical = match member("kty")? {
        "OKP" => {
            let crv = member("crv")?;
            if crv != "Ed25519" {
                return Err(unsupported_curve("OKP", crv, "Ed25519"));
            }
            format!(
                r#"{{"crv":{},"kty":"OKP","x":{}}}"#,
                text(crv),
                text(member("x")?)
            )
        }
        "EC" => {
            let crv = member("crv")?;
            if crv != "P-256" {
                return Err(unsupported_curve("EC", crv, "P-256"));
            }
            format!(
                r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
                text(crv),
                text(member("x")?),
                text(member("y")?)
            )
        }
        other => {
            return Err(DpopError::Malformed(format!(
                "the JWK's key type `{other}` is not supported: use an Ed25519 (`kty` OKP) or \
                 P-256 (`kty` EC) key"
            )));
        }
    };
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

fn unsupported_curve(kty: &str, crv: &str, supported: &str) -> DpopError {
    DpopError::Malformed(format!(
        "the JWK's curve `{crv}` is not supported for `kty` {kty}: use {supported}"
    ))
}

/// The claims of a DPoP proof for a request `method` to `htu` with `access_token`: `htm`,
/// `htu` (any query or fragment dropped, as RFC 9449 requires), `iat`, `jti` and `ath`
/// (base64url of the SHA-256 of the token). Sign them with header `typ` [`DPOP_PROOF_TYPE`],
/// `alg` EdDSA or ES256 and the public key as `jwk`.
pub fn proof_claims(method: &str, htu: &str, access_token: &str, jti: &str, iat: i64) -> Value {
    json!({
        "htm": method,
        "htu": without_query(htu),
        "iat": iat,
        "jti": jti,
        "ath": access_token_hash(access_token),
    })
}

/// `ath`: base64url(SHA-256(access token)), without padding.
fn access_token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

fn without_query(url: &str) -> &str {
    url.find(['?', '#']).map_or(url, |end| &url[..end])
}

/// A proof split into its parts, header and claims decoded but not yet trusted.
struct Parsed<'a> {
    /// `<header>.<claims>`, the signed text.
    signing_input: &'a str,
    signature: &'a str,
    header: Map<String, Value>,
    payload: Map<String, Value>,
}

/// The claims a proof must carry.
struct ProofClaims<'a> {
    jti: &'a str,
    htm: &'a str,
    htu: &'a str,
    iat: i64,
    ath: &'a str,
}

impl<'a> Parsed<'a> {
    fn parse(proof: &'a str) -> Result<Parsed<'a>, DpopError> {
        if proof.trim().is_empty() {
            return Err(DpopError::Missing);
        }
        if proof.len() > MAX_PROOF_BYTES {
            return Err(malformed(format!(
                "the proof has {} bytes, more than the {MAX_PROOF_BYTES} accepted",
                proof.len()
            )));
        }
        let mut parts = proof.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(
                "a proof is a compact JWS: three base64url parts separated by dots",
            ));
        };
        let signing_input = &proof[..header.len() + 1 + payload.len()];
        let header = json_object(header, "header")?;
        let payload = json_object(payload, "claims")?;
        let parsed = Parsed {
            signing_input,
            signature,
            header,
            payload,
        };
        parsed.check_header()?;
        Ok(parsed)
    }

    /// `typ`, `crit` and the presence of a public `jwk`; `alg` is checked with the key.
    fn check_header(&self) -> Result<(), DpopError> {
        match self.header.get("typ") {
            Some(Value::String(t)) if t.eq_ignore_ascii_case(DPOP_PROOF_TYPE) => {}
            other => {
                return Err(malformed(format!(
                    "the header's `typ` is {}, it must be `{DPOP_PROOF_TYPE}`",
                    shown(other)
                )));
            }
        }
        if self.header.contains_key("crit") {
            return Err(malformed(
                "the header has `crit`: no critical header extension is supported in proofs",
            ));
        }
        Ok(())
    }

    /// The algorithm and the verification key, from the header's `alg` and `jwk`.
    fn key(&self) -> Result<(Algorithm, DecodingKey), DpopError> {
        let alg = match self.header.get("alg") {
            Some(Value::String(a)) if a == "EdDSA" => Algorithm::EdDSA,
            Some(Value::String(a)) if a == "ES256" => Algorithm::ES256,
            other => {
                return Err(malformed(format!(
                    "the header's `alg` is {}: proofs must be signed with `EdDSA` (Ed25519) or \
                     `ES256` (P-256)",
                    shown(other)
                )));
            }
        };
        let jwk = self.jwk()?;
        let (name, kty, crv, members) = match alg {
            Algorithm::EdDSA => ("EdDSA", "OKP", "Ed25519", "`kty`, `crv` and `x`"),
            _ => ("ES256", "EC", "P-256", "`kty`, `crv`, `x` and `y`"),
        };
        let member = |m: &str| {
            jwk.get(m).and_then(Value::as_str).ok_or_else(|| {
                malformed(format!(
                    "the header's `jwk` has no `{m}` string; an {name} key needs {members}"
                ))
            })
        };
        // A public key coordinate: its text, and its 32 bytes.
        let coordinate = |m: &str| {
            let text = member(m)?;
            let bytes: [u8; 32] = URL_SAFE_NO_PAD
                .decode(text)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    malformed(format!(
                        "the header's `jwk` member `{m}` must be 32 bytes in base64url without \
                         padding"
                    ))
                })?;
            Ok::<_, DpopError>((text, bytes))
        };
        if member("kty")? != kty || member("crv")? != crv {
            return Err(malformed(format!(
                "the header's `alg` is {name}, so its `jwk` must have `kty` {kty} and `crv` {crv}"
            )));
        }
        let key = match alg {
            Algorithm::EdDSA => {
                let (x, bytes) = coordinate("x")?;
                if ed25519_dalek::VerifyingKey::from_bytes(&bytes).is_err() {
                    return Err(invalid_key(crv));
                }
                DecodingKey::from_ed_components(x)
            }
            _ => DecodingKey::from_ec_components(coordinate("x")?.0, coordinate("y")?.0),
        }
        .map_err(|_| invalid_key(crv))?;
        Ok((alg, key))
    }

    /// The header's `jwk`: an object holding no private key member.
    fn jwk(&self) -> Result<&Value, DpopError> {
        match self.header.get("jwk") {
            Some(jwk @ Value::Object(members)) => {
                const PRIVATE: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];
                if let Some(private) = PRIVATE.iter().find(|m| members.contains_key(**m)) {
                    return Err(malformed(format!(
                        "the header's `jwk` holds a private key member (`{private}`): put only \
                         the public key in the proof, and keep the private key to yourself"
                    )));
                }
                Ok(jwk)
            }
            Some(_) => Err(malformed("the header's `jwk` is not a JSON object")),
            None => Err(malformed(
                "the header has no `jwk`: put the public key the proof is signed with in the \
                 header as a JWK",
            )),
        }
    }

    fn check_signature(&self, alg: Algorithm, key: &DecodingKey) -> Result<(), DpopError> {
        use jsonwebtoken::errors::ErrorKind;
        match jsonwebtoken::crypto::verify(self.signature, self.signing_input.as_bytes(), key, alg)
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(DpopError::BadSignature),
            Err(e) => Err(match e.kind() {
                ErrorKind::Base64(_) => malformed("the signature is not base64url without padding"),
                ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidEddsaKey => {
                    invalid_key(if alg == Algorithm::EdDSA {
                        "Ed25519"
                    } else {
                        "P-256"
                    })
                }
                _ => malformed(format!("the signature could not be checked: {e}")),
            }),
        }
    }

    /// The required claims, with their types.
    fn claims(&self) -> Result<ProofClaims<'_>, DpopError> {
        let text = |name: &str| match self.payload.get(name) {
            Some(Value::String(s)) => Ok(s.as_str()),
            None => Err(malformed(format!(
                "the proof has no `{name}` claim (required: jti, htm, htu, iat, ath)"
            ))),
            Some(_) => Err(malformed(format!("the proof's `{name}` must be a string"))),
        };
        let jti = text("jti")?;
        let jti_chars = jti.chars().count();
        if jti_chars == 0 || jti_chars > MAX_JTI_CHARS {
            return Err(malformed(format!(
                "the proof's `jti` must have 1 to {MAX_JTI_CHARS} characters (it has \
                 {jti_chars}); use a random value unique to each proof"
            )));
        }
        let iat = match self.payload.get("iat") {
            Some(Value::Number(n)) => n.as_i64(),
            None => {
                return Err(malformed(
                    "the proof has no `iat` claim (required: jti, htm, htu, iat, ath)",
                ));
            }
            Some(_) => None,
        }
        .ok_or_else(|| {
            malformed("the proof's `iat` must be an integer: seconds since the epoch")
        })?;
        Ok(ProofClaims {
            jti,
            htm: text("htm")?,
            htu: text("htu")?,
            iat,
            ath: text("ath")?,
        })
    }
}

fn malformed(detail: impl Into<String>) -> DpopError {
    DpopError::Malformed(detail.into())
}

fn invalid_key(crv: &str) -> DpopError {
    malformed(format!(
        "the header's `jwk` is not a valid {crv} public key"
    ))
}

/// How a header value is named in a message: `missing`, or its JSON.
fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "missing".to_owned(), |v| format!("`{v}`"))
}

/// Decodes one base64url part of the proof into a JSON object.
fn json_object(part: &str, what: &str) -> Result<Map<String, Value>, DpopError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| {
        malformed(format!(
            "the proof's {what} is not base64url without padding"
        ))
    })?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(malformed(format!(
            "the proof's {what} is not a JSON object"
        ))),
    }
}

/// Compares the proof's `htu` with the request's URL, both normalized.
fn check_url(proof_htu: &str, request_url: &str) -> Result<(), DpopError> {
    let expected = without_query(request_url);
    let Some(wanted) = normalize_url(expected) else {
        return Err(DpopError::WrongUrl(format!(
            "this request's URL `{expected}` could not be read as an absolute http(s) URL \
             (a gateway configuration error)"
        )));
    };
    match normalize_url(proof_htu) {
        Some(got) if got == wanted => Ok(()),
        Some(_) => Err(DpopError::WrongUrl(format!(
            "the proof's htu `{proof_htu}` is not this request's URL `{expected}` (query and \
             fragment are ignored)"
        ))),
        None => Err(DpopError::WrongUrl(format!(
            "the proof's htu `{proof_htu}` is not an absolute http(s) URL; set it to this \
             request's URL `{expected}`"
        ))),
    }
}

/// RFC 3986 §6.2.2 and §6.2.3 normalization of an absolute http(s) URL, query and fragment
/// dropped. `None` if it is not one (no scheme or host, user info, a bad port or
/// percent-encoding, characters outside printable ASCII).
fn normalize_url(url: &str) -> Option<String> {
    let url = without_query(url);
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    if authority.contains('@') {
        return None;
    }
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, after) = authority.split_at(end + 1);
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host == "[]" {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => match p.parse::<u16>().ok()? {
            n if n == default_port => None,
            n => Some(n),
        },
        Some(_) => return None,
    };
    let path = if path.is_empty() {
        "/".to_owned()
    } else {
        remove_dot_segments(&normalize_percent_encoding(path)?)
    };
    let host = host.to_ascii_lowercase();
    Some(match port {
        Some(port) => format!("{scheme}://{host}:{port}{path}"),
        None => format!("{scheme}://{host}{path}"),
    })
}

/// Upper-cases percent-encodings and decodes those of unreserved characters. `None` if a `%`
/// is not followed by two hex digits.
fn normalize_percent_encoding(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = path.get(i + 1..i + 3)?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return None;
            }
            let byte = u8::from_str_radix(hex, 16).ok()?;
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                out.push(char::from(byte));
            } else {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
            }
            i += 3;
        } else {
            out.push(char::from(b));
            i += 1;
        }
    }
    Some(out)
}

/// RFC 3986 §5.2.4 for an absolute path (starting with `/`).
fn remove_dot_segments(path: &str) -> String {
    let segments: Vec<&str> = path.get(1..).unwrap_or_default().split('/').collect();
    let last = segments.len().saturating_sub(1);
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ed25519_dalek::SigningKey;
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use jsonwebtoken::EncodingKey;

    use super::*;

    const URL: &str = "https://shop.example/v1/orders";
    const TOKEN: &str = "the-access-token";
    const NOW: i64 = 1_800_000_000;
    const WINDOW: Duration = Duration::from_secs(300);

    /// A client holding a proof key.
    struct Client {
        key: EncodingKey,
        alg: Algorithm,
        jwk: Value,
        jkt: String,
    }

    impl Client {
        fn ed25519() -> Self {
            let key = SigningKey::generate(&mut rand::rngs::OsRng);
            let der = key.to_pkcs8_der().expect("pkcs8");
            let x = URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
            Self::new(
                EncodingKey::from_ed_der(der.as_bytes()),
                Algorithm::EdDSA,
                json!({"kty": "OKP", "crv": "Ed25519", "x": x}),
            )
        }

        /// The P-256 key of RFC 7515 appendix A.3, as PKCS#8 (an `ECPrivateKey` holding only
        /// the private scalar `d`, which the public `x` and `y` below derive from).
        fn p256() -> Self {
            let mut der = vec![
                0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x27,
                0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20,
            ];
            der.extend(
                URL_SAFE_NO_PAD
                    .decode("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI")
                    .expect("d"),
            );
            Self::new(
                EncodingKey::from_ec_der(&der),
                Algorithm::ES256,
                json!({
                    "kty": "EC",
                    "crv": "P-256",
                    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
                }),
            )
        }

        fn new(key: EncodingKey, alg: Algorithm, jwk: Value) -> Self {
            let jkt = jwk_thumbprint(&jwk).expect("thumbprint");
            Self { key, alg, jwk, jkt }
        }

        fn header(&self) -> Value {
            let alg = if self.alg == Algorithm::EdDSA {
                "EdDSA"
            } else {
                "ES256"
            };
            json!({"typ": DPOP_PROOF_TYPE, "alg": alg, "jwk": self.jwk})
        }

        fn sign(&self, header: &Value, claims: &Value) -> String {
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let signature =
                jsonwebtoken::crypto::sign(input.as_bytes(), &self.key, self.alg).expect("signed");
            format!("{input}.{signature}")
        }

        /// A proof with `jti` for POST to [`URL`] with [`TOKEN`] at `iat`.
        fn proof(&self, jti: &str, iat: i64) -> String {
            self.sign(&self.header(), &proof_claims("POST", URL, TOKEN, jti, iat))
        }

        /// A proof whose header and claims were changed by `tweak` before signing.
        fn proof_with(&self, tweak: impl FnOnce(&mut Value, &mut Value)) -> String {
            let mut header = self.header();
            let mut claims = proof_claims("POST", URL, TOKEN, "jti-1", NOW);
            tweak(&mut header, &mut claims);
            self.sign(&header, &claims)
        }

        fn check(&self, verifier: &DpopVerifier, proof: &str) -> Result<(), DpopError> {
            verifier.verify(proof, "POST", URL, TOKEN, &self.jkt, NOW)
        }
    }

    fn verifier() -> DpopVerifier {
        DpopVerifier::new(WINDOW)
    }

    fn malformed_detail(result: Result<(), DpopError>) -> String {
        match result {
            Err(DpopError::Malformed(detail)) => detail,
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_proof_passes_once_then_is_a_replay() {
        for client in [Client::ed25519(), Client::p256()] {
            let v = verifier();
            let proof = client.proof("jti-1", NOW);
            client.check(&v, &proof).expect("valid proof");
            assert!(matches!(client.check(&v, &proof), Err(DpopError::Replayed)));
            // A new proof (new jti) for the next request passes.
            client
                .check(&v, &client.proof("jti-2", NOW))
                .expect("fresh proof");
            // The same jti in another, freshly signed proof is still a replay.
            assert!(matches!(
                client.check(&v, &client.proof("jti-1", NOW - 1)),
                Err(DpopError::Replayed)
            ));
        }
    }

    #[test]
    fn the_rfc9449_example_proof_verifies() {
        // RFC 9449 §7.1, figure 13: a proof for GET with the example access token.
        let proof = concat!(
            "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik",
            "VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR",
            "nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE",
            "QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIj",
            "oiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0Z",
            "WRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNF",
            "c05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71E",
            "OptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA",
        );
        let token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
        let jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
        let url = "https://resource.example.org/protectedresource";
        let v = verifier();
        v.verify(proof, "GET", url, token, jkt, 1_562_262_618)
            .expect("the RFC's proof");
        assert!(matches!(
            v.verify(proof, "GET", url, token, jkt, 1_562_262_618),
            Err(DpopError::Replayed)
        ));
        // The claims helper builds exactly the RFC's claims.
        let (_, rest) = proof.split_once('.').expect("parts");
        let (claims, _) = rest.split_once('.').expect("parts");
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).expect("b64")).expect("json");
        assert_eq!(
            proof_claims("GET", url, token, "e1j3V_bKic8-LAEB", 1_562_262_618),
            claims
        );
    }

    #[test]
    fn refuses_another_method() {
        let client = Client::ed25519();
        let v = verifier();
        let proof = client.proof("jti-1", NOW);
        let err = v
            .verify(&proof, "GET", URL, TOKEN, &client.jkt, NOW)
            .expect_err("other method");
        assert!(matches!(err, DpopError::WrongMethod(_)));
        assert!(
            err.to_string()
                .contains("the proof's htm `POST` is not this request's method `GET`"),
            "{err}"
        );
        // Methods are compared exactly.
        assert!(matches!(
            v.verify(&proof, "post", URL, TOKEN, &client.jkt, NOW),
            Err(DpopError::WrongMethod(_))
        ));
    }

    #[test]
    fn refuses_another_url() {
        let client = Client::p256();
        let v = verifier();
        let proof = client.proof("jti-1", NOW);
        let other = "https://shop.example/v1/quotes";
        let err = v
            .verify(&proof, "POST", other, TOKEN, &client.jkt, NOW)
            .expect_err("other URL");
        assert!(matches!(err, DpopError::WrongUrl(_)));
        assert!(
            err.to_string().contains(&format!(
                "the proof's htu `{URL}` is not this request's URL `{other}`"
            )),
            "{err}"
        );
        for other in [
            "https://shop.example:8443/v1/orders",
            "http://shop.example/v1/orders",
            "https://shop.example/v1/orders/",
            "https://other.example/v1/orders",
            "https://shop.example/V1/orders",
        ] {
            assert!(
                matches!(
                    v.verify(&proof, "POST", other, TOKEN, &client.jkt, NOW),
                    Err(DpopError::WrongUrl(_))
                ),
                "{other}"
            );
        }
        let relative = client.proof_with(|_, c| c["htu"] = json!("/v1/orders"));
        let err = client.check(&v, &relative).expect_err("relative htu");
        assert!(
            err.to_string().contains("not an absolute http(s) URL"),
            "{err}"
        );
    }

    #[test]
    fn urls_are_compared_after_normalization() {
        let client = Client::ed25519();
        let v = verifier();
        for (i, htu) in [
            "HTTPS://Shop.Example/v1/orders",
            "https://shop.example:443/v1/orders",
            "https://shop.example/v1/orders?page=2",
            "https://shop.example/v1/orders#top",
            "https://shop.example/v1/./x/../orders",
            "https://shop.example/v1/%6Frders",
        ]
        .into_iter()
        .enumerate()
        {
            let proof = client.proof_with(|_, c| {
                c["htu"] = json!(htu);
                c["jti"] = json!(format!("jti-{i}"));
            });
            client.check(&v, &proof).expect(htu);
        }
        // The request's URL is normalized as well.
        let proof = client.proof("jti-x", NOW);
        v.verify(
            &proof,
            "POST",
            "https://SHOP.example:443/v1/orders?x=1",
            TOKEN,
            &client.jkt,
            NOW,
        )
        .expect("normalized request URL");

        assert_eq!(
            normalize_url("http://[::1]:80").as_deref(),
            Some("http://[::1]/")
        );
        assert_eq!(
            normalize_url("http://Host:8080/a%2fb/%7e/../c").as_deref(),
            Some("http://host:8080/a%2Fb/c")
        );
        assert_eq!(
            normalize_url("https://h/a/b/..").as_deref(),
            Some("https://h/a/")
        );
        assert_eq!(
            normalize_url("https://h/../..").as_deref(),
            Some("https://h/")
        );
        assert_eq!(normalize_url("https://h:/").as_deref(), Some("https://h/"));
        for bad in [
            "/v1/orders",
            "ftp://h/",
            "https://",
            "https:///path",
            "https://user@h/",
            "https://h:99999/",
            "https://h:8x/",
            "https://h/a%zz",
            "https://h/a%4",
            "https://h/a b",
            "https://h/caf\u{e9}",
        ] {
            assert_eq!(normalize_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn refuses_a_proof_made_for_another_token() {
        let client = Client::ed25519();
        let v = verifier();
        let proof = client.proof("jti-1", NOW);
        assert!(matches!(
            v.verify(&proof, "POST", URL, "another-token", &client.jkt, NOW),
            Err(DpopError::WrongToken)
        ));
        let no_ath = client.proof_with(|_, c| {
            c.as_object_mut().expect("object").remove("ath");
        });
        assert!(malformed_detail(client.check(&v, &no_ath)).contains("no `ath` claim"));
    }

    #[test]
    fn refuses_a_key_other_than_the_bound_one() {
        let bound = Client::ed25519();
        let thief = Client::ed25519();
        let v = verifier();
        let proof = thief.proof("jti-1", NOW);
        let err = v
            .verify(&proof, "POST", URL, TOKEN, &bound.jkt, NOW)
            .expect_err("other key");
        assert!(matches!(err, DpopError::KeyMismatch(_)));
        let message = err.to_string();
        assert!(
            message.contains(&thief.jkt) && message.contains(&bound.jkt),
            "{message}"
        );
        // A P-256 key is not the bound Ed25519 key either.
        let p256 = Client::p256();
        assert!(matches!(
            v.verify(
                &p256.proof("jti-1", NOW),
                "POST",
                URL,
                TOKEN,
                &bound.jkt,
                NOW
            ),
            Err(DpopError::KeyMismatch(_))
        ));
        // Nothing was remembered: the bound key's proof with that jti passes.
        bound
            .check(&v, &bound.proof("jti-1", NOW))
            .expect("bound key");
    }

    #[test]
    fn refuses_stale_and_future_proofs() {
        let client = Client::p256();
        let v = verifier();
        let window = i64::try_from(WINDOW.as_secs()).expect("window");
        let at = |jti: &str, iat: i64| client.check(&v, &client.proof(jti, iat));

        at("oldest", NOW - window).expect("exactly the window old");
        let err = at("too-old", NOW - window - 1).expect_err("too old");
        assert!(matches!(err, DpopError::Stale(_)));
        assert!(err.to_string().contains("made 301 s ago"), "{err}");

        at("ahead", NOW + FUTURE_SKEW_SECONDS).expect("within the skew");
        let err = at("too-far", NOW + FUTURE_SKEW_SECONDS + 1).expect_err("future");
        assert!(matches!(err, DpopError::Stale(_)));
        assert!(
            err.to_string().contains("check the client's clock"),
            "{err}"
        );

        assert!(matches!(at("min", i64::MIN), Err(DpopError::Stale(_))));
        assert!(matches!(at("max", i64::MAX), Err(DpopError::Stale(_))));
    }

    #[test]
    fn refuses_a_tampered_proof() {
        let client = Client::ed25519();
        let v = verifier();
        let proof = client.proof("jti-1", NOW);
        let parts: Vec<&str> = proof.split('.').collect();

        let mut claims = proof_claims("POST", URL, TOKEN, "jti-1", NOW);
        claims["jti"] = json!("jti-2");
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            parts[2]
        );
        assert!(matches!(
            client.check(&v, &tampered),
            Err(DpopError::BadSignature)
        ));

        // Signed by another key while naming the bound key in the header.
        let thief = Client::ed25519();
        let forged = thief.sign(
            &client.header(),
            &proof_claims("POST", URL, TOKEN, "j", NOW),
        );
        assert!(matches!(
            client.check(&v, &forged),
            Err(DpopError::BadSignature)
        ));

        // A truncated signature.
        let short = format!("{}.{}.{}", parts[0], parts[1], &parts[2][..20]);
        assert!(matches!(
            client.check(&v, &short),
            Err(DpopError::BadSignature)
        ));
        let garbage = format!("{}.{}.!!", parts[0], parts[1]);
        assert!(malformed_detail(client.check(&v, &garbage)).contains("signature"));

        // None of these was remembered.
        client.check(&v, &proof).expect("the genuine proof");
    }

    #[test]
    fn refuses_malformed_headers() {
        let client = Client::ed25519();
        let v = verifier();
        let check = |tweak: fn(&mut Value, &mut Value)| {
            malformed_detail(client.check(&v, &client.proof_with(tweak)))
        };

        assert!(check(|h, _| h["typ"] = json!("JWT")).contains("`typ` is `\"JWT\"`"));
        assert!(
            check(|h, _| {
                h.as_object_mut().expect("object").remove("typ");
            })
            .contains("`typ` is missing")
        );
        assert!(check(|h, _| h["alg"] = json!("HS256")).contains("`alg` is `\"HS256\"`"));
        assert!(check(|h, _| h["alg"] = json!("RS256")).contains("EdDSA"));
        assert!(check(|h, _| h["crit"] = json!(["exp"])).contains("crit"));
        assert!(
            check(|h, _| {
                h.as_object_mut().expect("object").remove("jwk");
            })
            .contains("no `jwk`")
        );
        assert!(check(|h, _| h["jwk"] = json!("key")).contains("not a JSON object"));
        assert!(
            check(|h, _| h["jwk"]["d"] = json!("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"))
                .contains("private key member (`d`)")
        );
        // The key must match the algorithm.
        assert!(check(|h, _| h["alg"] = json!("ES256")).contains("`kty` EC and `crv` P-256"));
        assert!(check(|h, _| h["jwk"]["crv"] = json!("X25519")).contains("`crv` Ed25519"));
        assert!(check(|h, _| h["jwk"]["x"] = json!("AAAA")).contains("32 bytes"));
        assert!(
            check(|h, _| {
                h["jwk"].as_object_mut().expect("object").remove("x");
            })
            .contains("no `x`")
        );

        // `alg: none`, unsigned.
        let header = json!({"typ": DPOP_PROOF_TYPE, "alg": "none", "jwk": client.jwk});
        let claims = proof_claims("POST", URL, TOKEN, "jti-1", NOW);
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        assert!(malformed_detail(client.check(&v, &none)).contains("`alg` is `\"none\"`"));

        // A P-256 key that is not on the curve.
        let p256 = Client::p256();
        let off_curve = p256.proof_with(|h, _| {
            h["jwk"]["y"] = json!(URL_SAFE_NO_PAD.encode([7u8; 32]));
        });
        assert!(
            malformed_detail(p256.check(&v, &off_curve)).contains("not a valid P-256 public key")
        );
    }

    #[test]
    fn refuses_what_is_not_a_proof() {
        let client = Client::ed25519();
        let v = verifier();
        assert!(matches!(client.check(&v, ""), Err(DpopError::Missing)));
        assert!(matches!(client.check(&v, "  "), Err(DpopError::Missing)));
        for text in ["abc", "a.b", "a.b.c.d", "!.b.c", "e30.!.c"] {
            assert!(
                matches!(client.check(&v, text), Err(DpopError::Malformed(_))),
                "{text}"
            );
        }
        let array = format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode("[]"));
        assert!(malformed_detail(client.check(&v, &array)).contains("header is not a JSON object"));
        let huge = "a".repeat(MAX_PROOF_BYTES + 1);
        assert!(malformed_detail(client.check(&v, &huge)).contains("bytes"));
    }

    #[test]
    fn refuses_missing_or_mistyped_claims() {
        let client = Client::p256();
        let v = verifier();
        let check = |tweak: fn(&mut Value, &mut Value)| {
            malformed_detail(client.check(&v, &client.proof_with(tweak)))
        };
        for claim in ["jti", "htm", "htu", "iat", "ath"] {
            let proof = client.proof_with(|_, c| {
                c.as_object_mut().expect("object").remove(claim);
            });
            let detail = malformed_detail(client.check(&v, &proof));
            assert!(detail.contains(&format!("no `{claim}` claim")), "{detail}");
        }
        assert!(check(|_, c| c["jti"] = json!("")).contains("1 to 256 characters"));
        assert!(check(|_, c| c["jti"] = json!("j".repeat(257))).contains("it has 257"));
        assert!(check(|_, c| c["jti"] = json!(7)).contains("`jti` must be a string"));
        assert!(check(|_, c| c["iat"] = json!(1.8e9)).contains("`iat` must be an integer"));
        assert!(check(|_, c| c["iat"] = json!("1800000000")).contains("`iat` must be an integer"));
        assert!(check(|_, c| c["htm"] = json!(null)).contains("`htm` must be a string"));
        let not_object = client.sign(&client.header(), &json!("claims"));
        assert!(malformed_detail(client.check(&v, &not_object)).contains("claims is not a JSON"));
        // A 256-character jti is fine.
        let long = client.proof_with(|_, c| c["jti"] = json!("j".repeat(256)));
        client.check(&v, &long).expect("256 characters");
    }

    #[test]
    fn only_proofs_that_passed_every_check_are_remembered() {
        let client = Client::ed25519();
        let v = verifier();
        let proof = client.proof("jti-1", NOW);
        for (method, url, token) in [
            ("GET", URL, TOKEN),
            ("POST", "https://shop.example/v1/other", TOKEN),
            ("POST", URL, "other-token"),
        ] {
            assert!(
                v.verify(&proof, method, url, token, &client.jkt, NOW)
                    .is_err()
            );
        }
        client.check(&v, &proof).expect("first complete check");

        // The same jti with another key is another proof.
        let other = Client::ed25519();
        other
            .check(&v, &other.proof("jti-1", NOW))
            .expect("other key");

        // Once the first proof left the window, its jti may be used again.
        let later = NOW + i64::try_from(WINDOW.as_secs()).expect("window") + 1;
        let reused = client.proof("jti-1", later);
        v.verify(&reused, "POST", URL, TOKEN, &client.jkt, later)
            .expect("jti reused after the window");
        assert!(matches!(
            v.verify(&reused, "POST", URL, TOKEN, &client.jkt, later),
            Err(DpopError::Replayed)
        ));
    }

    #[test]
    fn concurrent_uses_of_one_proof_pass_once() {
        fn shared<T: Send + Sync>(_: &T) {}
        let v = Arc::new(verifier());
        shared(&v);
        let client = Arc::new(Client::ed25519());
        let proof = Arc::new(client.proof("jti-1", NOW));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (v, client, proof) = (v.clone(), client.clone(), proof.clone());
                std::thread::spawn(move || client.check(&v, &proof).is_ok())
            })
            .collect();
        let passed = threads
            .into_iter()
            .map(|t| t.join().expect("thread"))
            .filter(|ok| *ok)
            .count();
        assert_eq!(passed, 1);
        assert!(format!("{v:?}").contains("remembered: 1"));
    }

    #[test]
    fn thumbprints_match_the_rfc_examples() {
        // RFC 8037 appendix A.3.
        assert_eq!(
            jwk_thumbprint(&json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            }))
            .expect("Ed25519"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        // RFC 9449 §6.1 (figure 9) for the key of its examples; other members are ignored.
        assert_eq!(
            jwk_thumbprint(&json!({
                "kty": "EC",
                "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
                "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA",
                "crv": "P-256",
                "kid": "ignored",
                "use": "sig",
            }))
            .expect("P-256"),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
        // RFC 7638 §3.1: an RSA key, which proofs here may not use.
        let rsa = json!({
            "kty": "RSA",
            "n": concat!(
                "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1",
                "L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4",
                "QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91Cb",
                "OpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-cs",
                "FCur-kEgU8awapJzKnqDKgw",
            ),
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29",
        });
        let err = jwk_thumbprint(&rsa).expect_err("RSA");
        assert!(
            err.to_string().contains("key type `RSA` is not supported"),
            "{err}"
        );

        for (jwk, detail) in [
            (json!({"crv": "Ed25519", "x": "AA"}), "no `kty`"),
            (json!({"kty": "OKP", "crv": "Ed25519"}), "no `x`"),
            (json!({"kty": "EC", "crv": "P-256", "x": "AA"}), "no `y`"),
            (
                json!({"kty": "EC", "crv": "P-384", "x": "A", "y": "A"}),
                "P-384",
            ),
            (json!({"kty": "OKP", "crv": "X25519", "x": "AA"}), "X25519"),
            (json!({"kty": "oct", "k": "AA"}), "`oct`"),
            (json!("not a key"), "no `kty`"),
        ] {
            let err = jwk_thumbprint(&jwk).expect_err("refused");
            assert!(matches!(err, DpopError::Malformed(_)));
            assert!(err.to_string().contains(detail), "{err}");
        }
    }

    #[test]
    fn proof_claims_drop_query_and_fragment() {
        let claims = proof_claims(
            "POST",
            "https://shop.example/v1/orders?x=1#f",
            TOKEN,
            "j",
            5,
        );
        assert_eq!(
            claims,
            json!({
                "htm": "POST",
                "htu": "https://shop.example/v1/orders",
                "iat": 5,
                "jti": "j",
                "ath": access_token_hash(TOKEN),
            })
        );
        assert_eq!(
            access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }
}
