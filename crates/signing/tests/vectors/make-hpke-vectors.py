#!/usr/bin/env python3
"""Makes hpke-x25519-sha256-aes256gcm.json, the sealed-envelope test vectors, with
Python's `cryptography` (OpenSSL) and none of Studyhall's code. Not part of the test
run: run it by hand (python3 make-hpke-vectors.py) only to remake the vectors.

RFC 9180 Appendix A has no vector for DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 /
AES-256-GCM, so:
- "fixed" is computed step by step from RFC 9180 §4-§5 with a fixed ephemeral key,
  and the script checks that OpenSSL's HPKE (cryptography.hazmat.primitives.hpke)
  opens the same computation with empty aad;
- "python_sealed" is an envelope sealed by OpenSSL's HPKE itself (random ephemeral
  key; its API has no aad, so aad is empty).
"""

import base64
import hashlib
import hmac
import json
import struct

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_public(private: X25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


# RFC 9180 §4 with HKDF-SHA256.
def extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()


def expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def labeled_extract(suite_id, salt, label, ikm):
    return extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def labeled_expand(suite_id, prk, label, info, length):
    return expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite_id + label + info, length)


KEM_SUITE = b"KEM" + struct.pack(">H", 0x0020)
HPKE_SUITE = b"HPKE" + struct.pack(">HHH", 0x0020, 0x0001, 0x0002)


def seal_base(pk_r: bytes, sk_e: X25519PrivateKey, info: bytes, aad: bytes, pt: bytes):
    """RFC 9180 SetupBaseS + Seal (sequence number 0)."""
    enc = raw_public(sk_e)
    dh = sk_e.exchange(X25519PublicKey.from_public_bytes(pk_r))
    eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    shared_secret = labeled_expand(KEM_SUITE, eae_prk, b"shared_secret", enc + pk_r, 32)
    psk_id_hash = labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(HPKE_SUITE, b"", b"info_hash", info)
    context = b"\0" + psk_id_hash + info_hash
    secret = labeled_extract(HPKE_SUITE, shared_secret, b"secret", b"")
    key = labeled_expand(HPKE_SUITE, secret, b"key", context, 32)
    base_nonce = labeled_expand(HPKE_SUITE, secret, b"base_nonce", context, 12)
    return enc, AESGCM(key).encrypt(base_nonce, pt, aad)


def studyhall_info(kid: str, typ: str) -> bytes:
    return b"studyhall sealed v1\0" + kid.encode() + b"\0" + typ.encode()


def envelope(kid: str, typ: str, enc: bytes, ct: bytes) -> str:
    return json.dumps(
        {"v": 1, "kid": kid, "typ": typ, "enc": b64u(enc), "ct": b64u(ct)},
        separators=(",", ":"),
    )


sk_r_bytes = hashlib.sha256(b"studyhall test vector: recipient").digest()
sk_e_bytes = hashlib.sha256(b"studyhall test vector: ephemeral").digest()
sk_r = X25519PrivateKey.from_private_bytes(sk_r_bytes)
sk_e = X25519PrivateKey.from_private_bytes(sk_e_bytes)
pk_r = raw_public(sk_r)
x = b64u(pk_r)
kid = b64u(hashlib.sha256(('{"crv":"X25519","kty":"OKP","x":"%s"}' % x).encode()).digest())
suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

typ = "studyhall/result+jws"
aad = b"exam-1@3"
pt = b"eyJhbGciOiJFZERTQSJ9.a-result.a-signature"
info = studyhall_info(kid, typ)
enc, ct = seal_base(pk_r, sk_e, info, aad, pt)

# The step-by-step computation agrees with OpenSSL's HPKE (which has no aad).
enc0, ct0 = seal_base(pk_r, sk_e, info, b"", pt)
assert suite.decrypt(enc0 + ct0, sk_r, info=info) == pt

py_typ = "studyhall/content-key"
py_pt = bytes(range(32))
py_info = studyhall_info(kid, py_typ)
sealed = suite.encrypt(py_pt, sk_r.public_key(), info=py_info)
assert suite.decrypt(sealed, sk_r, info=py_info) == py_pt

vectors = {
    "about": "Made by make-hpke-vectors.py with Python's cryptography (OpenSSL); "
    "suite DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, base mode.",
    "recipient_private_jwk": {"kty": "OKP", "crv": "X25519", "x": x, "d": b64u(sk_r_bytes)},
    "recipient_kid": kid,
    "fixed": {
        "skE": sk_e_bytes.hex(),
        "typ": typ,
        "info": info.hex(),
        "aad": aad.hex(),
        "plaintext": pt.hex(),
        "enc": enc.hex(),
        "ct": ct.hex(),
        "envelope": envelope(kid, typ, enc, ct),
    },
    "python_sealed": {
        "typ": py_typ,
        "aad": "",
        "plaintext": py_pt.hex(),
        "envelope": envelope(kid, py_typ, sealed[:32], sealed[32:]),
    },
}
with open("hpke-x25519-sha256-aes256gcm.json", "w") as out:
    json.dump(vectors, out, indent=2)
    out.write("\n")
