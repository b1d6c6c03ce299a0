"""Secrets at rest: a versioned key ring and AES-256-GCM tokens bound to their place.

The master keys are 32 random bytes each (never a passphrase), so no slow KDF is needed: HKDF
derives one subkey per purpose, and every value gets a fresh 96-bit nonce. The associated data
binds each token to the record it belongs to ("<table>|<column>|<row id>"), so a ciphertext
copied into another row or column does not decrypt. Tokens carry their key id, which is what
makes rotation (`medianest keys rotate`) possible. See docs/decisions/0004-secrets-at-rest.md.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
import stat
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from medianest.settings import Settings

KEY_BYTES = 32
MAX_KEY_ID = 65535
DEFAULT_KEY_FILE = "secret.key"

# Shown in the documentation to illustrate the format; anyone who copies it gets refused.
DOCUMENTED_EXAMPLE_KEY = "RhC1XTESrkIEw2uVpyuk6e67jmwKWm4pus20nWzdnHY="  # pragma: allowlist secret

_DENIED_KEYS = frozenset(
    {
        bytes(KEY_BYTES),
        b"\xff" * KEY_BYTES,
        bytes(range(KEY_BYTES)),
        bytes(range(1, KEY_BYTES + 1)),
        base64.b64decode(DOCUMENTED_EXAMPLE_KEY),
    }
)
# Words that mark a value as a template someone forgot to fill in. All are long enough that a
# random base64 key contains one by chance with negligible probability.
_PLACEHOLDER_MARKERS = ("changeme", "change-me", "change_me", "example", "placeholder", "generate")
_MIN_DISTINCT_BYTES = 16  # 32 random bytes have ~30 distinct values; fewer means a pattern

_KEY_ADVICE = (
    "Set MEDIANEST_SECRET_KEY, or MEDIANEST_SECRET_KEY_FILE naming a file with mode 600, to 32 "
    "random bytes in base64, made with: "
    'python -c "import secrets,base64;print(base64.b64encode(secrets.token_bytes(32)).decode())"'
)


class WeakKeyError(ValueError):
    """The configured secret key is missing, malformed, too short or a known placeholder."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}. {_KEY_ADVICE}")


class DecryptionError(Exception):
    """A token is malformed, tampered with, moved to another context or under an unknown key.

    The message never contains plaintext or key material.
    """


def _check_key(key_id: int, key: bytes) -> None:
    if not 1 <= key_id <= MAX_KEY_ID:
        raise WeakKeyError(f"key id {key_id} is outside 1..{MAX_KEY_ID}")
    if len(key) != KEY_BYTES:
        raise WeakKeyError(f"key {key_id} is {len(key)} bytes long, not {KEY_BYTES}")
    if key in _DENIED_KEYS or b"changeme" in key.lower():
        raise WeakKeyError(f"key {key_id} is a published example or placeholder")
    if len(set(key)) < _MIN_DISTINCT_BYTES:
        raise WeakKeyError(f"key {key_id} is a repeating pattern, not random bytes")
    if all(32 <= byte < 127 for byte in key):
        raise WeakKeyError(f"key {key_id} is printable text (a passphrase?), not random bytes")


def _decode_key(text: str, key_id: int) -> bytes:
    if any(marker in text.lower() for marker in _PLACEHOLDER_MARKERS):
        raise WeakKeyError(f"key {key_id} is a placeholder")
    try:
        # Either base64 alphabet is fine; validate=True refuses stray characters.
        return base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        raise WeakKeyError(f"key {key_id} is not valid base64") from None


def _parse_entry(entry: str) -> tuple[int, str]:
    id_text, separator, key_text = entry.partition(":")
    if not separator:
        raise WeakKeyError("with several keys, every entry must look like '<id>:<base64 key>'")
    if not re.fullmatch(r"\d{1,5}", id_text.strip()):
        raise WeakKeyError("a key id must be a number from 1 to 65535")
    return int(id_text), key_text.strip()


def _ensure_private(path: Path) -> None:
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise WeakKeyError(
            f"secret key file {path} is accessible by group or others: run chmod 600 {path}"
        )


def _read_key_file(path: Path) -> KeyRing:
    _ensure_private(path)
    return KeyRing.parse(path.read_text(encoding="utf-8"))


def _create_key_file(path: Path) -> None:
    """Write a fresh key ring to `path` unless it exists (then another process won the race).

    The key goes to a private temporary file first (O_EXCL, mode 0600 from the start, so it is
    never world-readable) and is then hard-linked into place: the link is atomic and never
    replaces an existing file, so a concurrent reader sees either no file or the whole key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(KeyRing._generate().serialize())
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: keep its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@dataclass(frozen=True)
class KeyRing:
    """Master keys by id; `active` encrypts, every key decrypts."""

    keys: Mapping[int, bytes] = field(repr=False)
    active: int

    def __post_init__(self) -> None:
        if not self.keys:
            raise WeakKeyError("no secret key given")
        for key_id, key in self.keys.items():
            _check_key(key_id, key)
        if self.active not in self.keys:
            raise ValueError(f"active key id {self.active} is not in the key ring")
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

    @classmethod
    def _generate(cls, key_id: int = 1) -> KeyRing:
        return cls({key_id: secrets.token_bytes(KEY_BYTES)}, active=key_id)

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """Read `<id>:<base64>` entries (comma/newline separated, first active) or a bare key."""
        entries = [entry.strip() for entry in re.split(r"[,\r\n]", text)]
        entries = [entry for entry in entries if entry and not entry.startswith("#")]
        if not entries:
            raise WeakKeyError("no secret key given")
        if len(entries) == 1 and ":" not in entries[0]:
            return cls({1: _decode_key(entries[0], 1)}, active=1)
        keys: dict[int, bytes] = {}
        for entry in entries:
            key_id, key_text = _parse_entry(entry)
            if key_id in keys:
                raise WeakKeyError(f"key id {key_id} appears more than once")
            keys[key_id] = _decode_key(key_text, key_id)
        return cls(keys, active=next(iter(keys)))

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        """The configured key ring, else `<data_dir>/secret.key` (created on first use)."""
        if settings.secret_key is not None:
            return cls.parse(settings.secret_key.get_secret_value())
        if settings.secret_key_file is not None:
            if not settings.secret_key_file.is_file():
                missing = settings.secret_key_file
                raise WeakKeyError(f"MEDIANEST_SECRET_KEY_FILE names {missing}, which is missing")
            return _read_key_file(settings.secret_key_file)
        path = settings.data_dir / DEFAULT_KEY_FILE
        if not path.exists():
            _create_key_file(path)
        return _read_key_file(path)

    def with_new_key(self) -> KeyRing:
        """This ring plus a fresh random key under the next id, which becomes active."""
        new_id = max(self.keys) + 1
        if new_id > MAX_KEY_ID:
            raise ValueError(f"key ids are exhausted (the highest is {MAX_KEY_ID})")
        return KeyRing({**self.keys, new_id: secrets.token_bytes(KEY_BYTES)}, active=new_id)

    def without(self, key_id: int) -> KeyRing:
        """This ring minus a retired key (never the active one)."""
        if key_id == self.active:
            raise ValueError("the active key cannot be removed; add a new key first")
        if key_id not in self.keys:
            raise KeyError(f"no key with id {key_id}")
        return KeyRing({k: v for k, v in self.keys.items() if k != key_id}, active=self.active)

    def serialize(self) -> str:
        """The key file format: one `<id>:<base64>` per line, the active key first."""
        order = [self.active, *sorted(k for k in self.keys if k != self.active)]
        return "".join(f"{k}:{base64.b64encode(self.keys[k]).decode('ascii')}\n" for k in order)

    def subkey(self, purpose: str, key_id: int | None = None) -> bytes:
        """A 32-byte key for one purpose, so session signing and encryption never share bytes."""
        if not purpose:
            raise ValueError("a subkey needs a purpose")
        master = self.keys[self.active if key_id is None else key_id]
        info = b"medianest/" + purpose.encode("utf-8") + b"/v1"
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info)
        return hkdf.derive(master)


_VERSION = 1
_PREFIX = f"v{_VERSION}."
_HEADER = struct.Struct(">BH")  # format version, key id
_NONCE_BYTES = 12
_TAG_BYTES = 16
_MASK = "••••"


class SecretBox:
    """Encrypts short secrets (API keys, tokens) into ASCII tokens for a TEXT column."""

    def __init__(self, ring: KeyRing, purpose: str = "secrets-at-rest") -> None:
        self.ring = ring
        self._ciphers = {key_id: AESGCM(ring.subkey(purpose, key_id)) for key_id in ring.keys}

    def subkey(self, purpose: str) -> bytes:
        """32 bytes for one purpose (signing a cookie, …), derived from the active key."""
        return self.ring.subkey(purpose)

    def install_id(self, purpose: str) -> str:
        """A stable UUID for this install and purpose; it changes only when the oldest key retires.

        Public by design (e.g. a client identifier a service sees): it reveals nothing of the key.
        """
        seed = self.ring.subkey(purpose, key_id=min(self.ring.keys))
        return str(uuid.UUID(bytes=seed[:16], version=4))

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Encrypt under the active key; `context` names its place, e.g.
        "service_connections|api_key|<name>"."""
        header = _HEADER.pack(_VERSION, self.ring.active)
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self.ring.active].encrypt(
            nonce, plaintext.encode("utf-8"), _associated_data(header, context)
        )
        return _PREFIX + base64.urlsafe_b64encode(header + nonce + sealed).decode("ascii")

    def decrypt(self, token: str, *, context: str) -> str:
        """The plaintext, or DecryptionError when the token is not authentic for this context."""
        payload = _decode_token(token)
        header, key_id = payload[: _HEADER.size], _key_id(payload)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(f"token is under key id {key_id}, which is not in the key ring")
        nonce = payload[_HEADER.size : _HEADER.size + _NONCE_BYTES]
        sealed = payload[_HEADER.size + _NONCE_BYTES :]
        try:
            plaintext = cipher.decrypt(nonce, sealed, _associated_data(header, context))
            return plaintext.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise DecryptionError(
                "token does not authenticate for this context (tampered, moved or wrong key)"
            ) from None

    def key_id(self, token: str) -> int:
        """The id of the key that encrypted the token (DecryptionError when malformed)."""
        return _key_id(_decode_token(token))

    def needs_rotation(self, token: str) -> bool:
        """True when the token is not under the active key."""
        return self.key_id(token) != self.ring.active

    def rotate(self, token: str, *, context: str) -> str:
        """The same secret re-encrypted under the active key."""
        return self.encrypt(self.decrypt(token, context=context), context=context)

    @staticmethod
    def mask(value: str | None) -> str | None:
        """What an API response may show of a secret: nothing, or the last 4 characters if long."""
        if not value:
            return None
        return _MASK + value[-4:] if len(value) >= 12 else _MASK


def _associated_data(header: bytes, context: str) -> bytes:
    if not context:
        raise ValueError("a context is required: it binds the secret to its place")
    # The header has a fixed length, so header + context is unambiguous.
    return header + context.encode("utf-8")


def _decode_token(token: str) -> bytes:
    if not isinstance(token, str) or not token.startswith(_PREFIX) or not token.isascii():
        raise DecryptionError("malformed token")
    body = token[len(_PREFIX) :]
    try:
        payload = base64.urlsafe_b64decode(body)
    except ValueError:  # binascii.Error included
        raise DecryptionError("malformed token") from None
    # Refuse non-canonical spellings, so every change to the text is a change to the bytes.
    if base64.urlsafe_b64encode(payload).decode("ascii") != body:
        raise DecryptionError("malformed token")
    if len(payload) < _HEADER.size + _NONCE_BYTES + _TAG_BYTES:
        raise DecryptionError("malformed token")
    if payload[0] != _VERSION:
        raise DecryptionError(f"unsupported token version {payload[0]}")
    return payload


def _key_id(payload: bytes) -> int:
    return _HEADER.unpack_from(payload)[1]
