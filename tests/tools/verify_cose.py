#!/usr/bin/python3
"""An independent verifier of attache tokens, written from docs/token.md with
Debian's python3-cbor2 and python3-nacl only (none of attache's code).

    verify_cose.py PUBLIC_KEY_FILE TEXT

Prints "VALID <claims as JSON>" and exits 0, or "INVALID <why>" and exits 1.
"""
import base64
import datetime
import hashlib
import json
import sys

import cbor2
import nacl.exceptions
import nacl.signing

KINDS = {1: "certificate", 2: "letter", 3: "induction"}


def read_public_key(path):
    fields = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition(":")
            fields[name.strip()] = value.strip()
    if fields.get("attache-pub") != "1":
        raise SystemExit(f"{path}: not an attache public key")
    return base64.b64decode(fields["public"]), fields["issuer"]


def document_hash(*parts):
    """The document claim: SHA-256 of issuer, batch, officer, kind, name,
    programme and issue date (YYYY-MM-DD), each ended by a NUL, cut to 8 bytes."""
    return hashlib.sha256(b"".join(p.encode() + b"\0" for p in parts)).digest()[:8]


def verify(key, issuer, text):
    if "ATT1:" not in text.upper():
        return "not a token"
    b32 = text[text.upper().index("ATT1:") + 5:].strip().upper()
    try:
        raw = base64.b32decode(b32 + "=" * (-len(b32) % 8))
        msg = cbor2.loads(raw)
    except Exception as e:
        return f"malformed: {e}"
    if not isinstance(msg, cbor2.CBORTag) or msg.tag != 18 or len(msg.value) != 4:
        return "not a COSE_Sign1 message"
    protected, unprotected, payload, signature = msg.value
    header = cbor2.loads(protected)
    if header.get(1) != -8:
        return "not EdDSA"
    if header.get(4) != hashlib.sha256(key).digest()[:8]:
        return "kid does not match the key"
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    try:
        nacl.signing.VerifyKey(key).verify(to_be_signed, signature)
    except nacl.exceptions.BadSignatureError:
        return "bad signature"
    claims = cbor2.loads(payload)
    if claims.get(1) != issuer:
        return "issuer does not match"
    kind = claims[-2] if isinstance(claims[-2], str) else KINDS[claims[-2]]
    day = datetime.datetime.fromtimestamp(claims[6], datetime.timezone.utc).strftime("%Y-%m-%d")
    if claims[-1] != document_hash(claims[1], claims[-5], claims[-3], kind, claims[-4],
                                   claims[-6], day):
        return "the document claim is not the hash of the other claims"
    doc = base64.b32encode(claims[-1]).decode()
    return {
        "iss": claims[1], "iat": claims[6], "kind": kind,
        "document_id": f"{kind[0].upper()}-{doc[0:4]}-{doc[4:8]}-{doc[8:12]}",
        "officer_id": claims[-3], "name": claims[-4], "batch": claims[-5],
        "programme": claims[-6],
    }


def main():
    key, issuer = read_public_key(sys.argv[1])
    result = verify(key, issuer, sys.argv[2])
    if isinstance(result, dict):
        print("VALID", json.dumps(result, ensure_ascii=False, sort_keys=True))
        return 0
    print("INVALID", result)
    return 1


if __name__ == "__main__":
    sys.exit(main())
