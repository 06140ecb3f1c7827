#!/usr/bin/env python3
"""Makes content-key-vectors.json, vectors for encrypted data (version 1) and the
start-code wrapped key (version 1), with Python's `cryptography` and hashlib and none
of Studyhall's code. Not part of the test run: run it by hand to remake the vectors.
The formats are described in docs/formats.md."""

import base64
import hashlib
import json

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"SHE1"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encrypt(key: bytes, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, MAGIC + aad)


content_key = hashlib.sha256(b"studyhall test vector: content key").digest()
nonce = hashlib.sha256(b"studyhall test vector: nonce").digest()[:12]
aad = b"novacron-developer@1/items/section-1.json"
plaintext = b'{"items":[{"id":"q1","type":"single_choice"}]}'

code_typed = "7k3m q9xd-4htr-2wpo"  # as a candidate might type it
code_canonical = "7K3MQ9XD4HTR2WP0"
salt = bytes(range(16))
iterations = 600_000
wrapping_key = hashlib.pbkdf2_hmac("sha256", code_canonical.encode(), salt, iterations, 32)
wrap_nonce = hashlib.sha256(b"studyhall test vector: wrap nonce").digest()[:12]
wrapped = encrypt(wrapping_key, wrap_nonce, b"studyhall start-code wrap v1", content_key)

vectors = {
    "about": "Made by make-content-vectors.py with Python's cryptography and hashlib.",
    "content_key": content_key.hex(),
    "encrypted_data": {
        "aad": aad.hex(),
        "plaintext": plaintext.hex(),
        "data": encrypt(content_key, nonce, aad, plaintext).hex(),
    },
    "start_code_wrap": {
        "code_typed": code_typed,
        "wrapping_key": wrapping_key.hex(),
        "wrap": json.dumps(
            {
                "v": 1,
                "kdf": "PBKDF2-HMAC-SHA256",
                "iterations": iterations,
                "salt": b64u(salt),
                "wrapped": b64u(wrapped),
            },
            separators=(",", ":"),
        ),
    },
}
with open("content-key-vectors.json", "w") as out:
    json.dump(vectors, out, indent=2)
    out.write("\n")
