#!/usr/bin/env python3
"""Checks a b2a audit proof bundle with independent code — Python's hashlib, the `cryptography`
package for Ed25519 and the `rfc8785` canonicalizer — following only the formats of
docs/audit.md.

Usage: verify_audit_bundle.py BUNDLE.json JWKS.json
Exit 0 when the checkpoint's signature and every entry's inclusion proof verify, 1 when one does
not, 2 on bad input.

- The checkpoint body is `<origin>\\n<size>\\n<base64 root hash>\\n`; `signature` is base64 of the
  Ed25519 signature of the body's bytes by the JWKS key whose `kid` is `key_id`.
- An entry's leaf hash is SHA-256(0x00 || RFC 8785 canonical JSON of the entry); an interior
  node's is SHA-256(0x01 || left || right); `proof` lists base64 hashes nearest the leaf first
  (RFC 9162, section 2.1.3.2, verified below as the RFC writes it).
"""

import base64
import hashlib
import json
import sys

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def included(leaf: bytes, index: int, size: int, proof: list, root: bytes) -> bool:
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify(bundle: dict, jwks: dict) -> int:
    cp = bundle["checkpoint"]
    key = next((k for k in jwks["keys"] if k.get("kid") == cp["key_id"]), None)
    if key is None or key.get("kty") != "OKP" or key.get("crv") != "Ed25519":
        raise ValueError(f"no Ed25519 key {cp['key_id']} in the JWKS")
    public = Ed25519PublicKey.from_public_bytes(b64url_decode(key["x"]))
    public.verify(base64.b64decode(cp["signature"], validate=True), cp["body"].encode())
    origin, size, root, rest = cp["body"].split("\n")
    if rest != "" or origin != cp["origin"] or int(size) != cp["size"] or root != cp["root_hash"]:
        raise ValueError("the checkpoint's fields differ from its signed body")
    root = base64.b64decode(root, validate=True)
    for proven in bundle["entries"]:
        entry = proven["entry"]
        leaf = hashlib.sha256(b"\x00" + rfc8785.dumps(entry)).digest()
        proof = [base64.b64decode(p, validate=True) for p in proven["proof"]]
        if not included(leaf, entry["seq"], int(size), proof, root):
            raise ValueError(f"entry {entry['seq']} is not included in the checkpoint")
    return len(bundle["entries"])


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            bundle = json.load(f)
        with open(sys.argv[2], encoding="utf-8") as f:
            jwks = json.load(f)
    except (OSError, ValueError) as e:
        print(f"verify_audit_bundle: {e}", file=sys.stderr)
        return 2
    try:
        n = verify(bundle, jwks)
    except (InvalidSignature, ValueError, KeyError, TypeError) as e:
        print(f"verify_audit_bundle: FAILED: {e!r}", file=sys.stderr)
        return 1
    print(f"verify_audit_bundle: checkpoint signature and {n} inclusion proofs verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
