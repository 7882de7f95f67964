#!/usr/bin/env python3
"""Checks a b2a quote's signature with an independent JOSE library (PyJWT) and RFC 8785
canonicalizer (rfc8785), as an agent or an auditor would.

Usage: verify_quote.py QUOTE.json JWKS.json
Exit 0 when the signature verifies, 1 when it does not, 2 on bad input.

The quote's `signature.jws` is `<header>..<signature>`: a JWS with a detached payload. The
payload is the RFC 8785 canonical JSON of the quote without its `signature` and `history`
members; put it back between the dots, base64url-encoded, and verify as any compact JWS.
"""

import base64
import json
import sys

import jwt
import rfc8785


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def verify(quote: dict, jwks: dict) -> None:
    sig = quote["signature"]
    header_b64, _, signature_b64 = sig["jws"].partition("..")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    if header.get("alg") != "EdDSA" or header.get("kid") != sig["kid"]:
        raise ValueError(f"unexpected header {header}")
    key = next((k for k in jwks["keys"] if k.get("kid") == header["kid"]), None)
    if key is None:
        raise ValueError(f"kid {header['kid']} is not in the JWKS")
    payload = {k: v for k, v in quote.items() if k not in ("signature", "history")}
    token = f"{header_b64}.{b64url(rfc8785.dumps(payload))}.{signature_b64}"
    jwt.PyJWS().decode_complete(token, key=jwt.PyJWK(key).key, algorithms=["EdDSA"])


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        quote = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        jwks = json.load(f)
    try:
        verify(quote, jwks)
    except Exception as e:  # noqa: BLE001 - any failure is a failed verification
        print(f"signature does not verify: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print("signature verifies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
