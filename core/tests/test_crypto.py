"""Secrets at rest: round trips, tamper and context refusals, rotation, weak keys, the key file."""

from __future__ import annotations

import base64
import os
import re
import secrets
import stat
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medianest.security.crypto import (
    DOCUMENTED_EXAMPLE_KEY,
    DecryptionError,
    KeyRing,
    SecretBox,
    WeakKeyError,
)
from medianest.settings import Settings

CONTEXT = "users|plex_token|5f0c6a8e-3b1d-4c55-9a8e-2f7d1c0b9e11"


def random_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def token_bytes(token: str) -> bytes:
    return base64.urlsafe_b64decode(token.removeprefix("v1."))


def bytes_token(payload: bytes) -> str:
    return "v1." + base64.urlsafe_b64encode(payload).decode()


def settings_for(tmp_path: Path, **values: object) -> Settings:
    # Explicit values, no .env: the developer's own environment must not leak into the tests.
    values = {"data_dir": tmp_path / "data", "secret_key": None, "secret_key_file": None, **values}
    return Settings(_env_file=None, **values)


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.parse(random_key())


@pytest.fixture
def box(ring: KeyRing) -> SecretBox:
    return SecretBox(ring)


# --- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("plaintext", ["plex-token-abc123", "", "clé ✓ 🎬 ключ", "x" * 5000])
def test_round_trip(box: SecretBox, plaintext: str) -> None:
    token = box.encrypt(plaintext, context=CONTEXT)

    assert token.startswith("v1.")
    assert token.isascii()
    assert plaintext not in token or plaintext == ""
    assert box.decrypt(token, context=CONTEXT) == plaintext


@given(plaintext=st.text(), context=st.text(min_size=1))
def test_decrypt_inverts_encrypt_for_any_text_and_context(plaintext: str, context: str) -> None:
    box = SecretBox(KeyRing.parse(random_key()))

    assert box.decrypt(box.encrypt(plaintext, context=context), context=context) == plaintext


def test_token_layout_is_version_key_id_nonce_ciphertext_tag(ring: KeyRing) -> None:
    box = SecretBox(ring.with_new_key())
    payload = token_bytes(box.encrypt("abcd", context=CONTEXT))

    assert payload[0] == 1
    assert int.from_bytes(payload[1:3], "big") == 2 == box.key_id(box.encrypt("x", context=CONTEXT))
    assert len(payload) == 3 + 12 + len("abcd") + 16


def test_every_encryption_uses_a_fresh_nonce(box: SecretBox) -> None:
    tokens = [box.encrypt("same secret", context=CONTEXT) for _ in range(10_000)]

    nonces = {token_bytes(token)[3:15] for token in tokens}
    assert len(nonces) == 10_000
    assert len(set(tokens)) == 10_000


def test_an_empty_context_is_refused(box: SecretBox) -> None:
    with pytest.raises(ValueError, match="context"):
        box.encrypt("secret", context="")


# --- refusals ----------------------------------------------------------------------------


def test_flipping_any_byte_of_a_token_is_detected(box: SecretBox) -> None:
    payload = token_bytes(box.encrypt("api-key-0123456789", context=CONTEXT))

    for position in range(len(payload)):
        for mask in (0x01, 0x80):
            tampered = bytearray(payload)
            tampered[position] ^= mask
            with pytest.raises(DecryptionError):
                box.decrypt(bytes_token(bytes(tampered)), context=CONTEXT)


def test_changing_any_character_of_a_token_is_detected(box: SecretBox) -> None:
    token = box.encrypt("api-key-0123456789", context=CONTEXT)

    for position in range(len(token)):
        replacement = "B" if token[position] != "B" else "C"
        with pytest.raises(DecryptionError):
            box.decrypt(token[:position] + replacement + token[position + 1 :], context=CONTEXT)


def test_a_non_canonical_spelling_of_a_valid_token_is_refused(box: SecretBox) -> None:
    token = box.encrypt("api-key-0123456789", context=CONTEXT)  # 49 bytes: 4 unused bits at the end
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    body = token.rstrip("=")
    last = alphabet[alphabet.index(body[-1]) ^ 1]
    respelled = body[:-1] + last + token[len(body) :]

    assert token_bytes(respelled) == token_bytes(token)  # lenient decoders see the same bytes
    with pytest.raises(DecryptionError):
        box.decrypt(respelled, context=CONTEXT)


@pytest.mark.parametrize(
    "token",
    ["", "v1.", "v2.AQAB", "AQABuF6SzExF1afclK", "v1.!!!!", "v1.AQAB", "v1.é", None, b"v1.AQAB"],
)
def test_malformed_tokens_are_refused(box: SecretBox, token: object) -> None:
    with pytest.raises(DecryptionError):
        box.decrypt(token, context=CONTEXT)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "other_context",
    [
        "users|plex_token|6a1d7b9f-0000-4c55-9a8e-2f7d1c0b9e11",  # another row
        "users|email_token|5f0c6a8e-3b1d-4c55-9a8e-2f7d1c0b9e11",  # another column
        "services|api_key|plex",  # another table
    ],
)
def test_a_token_moved_elsewhere_does_not_decrypt(box: SecretBox, other_context: str) -> None:
    token = box.encrypt("admin's plex token", context=CONTEXT)

    with pytest.raises(DecryptionError):
        box.decrypt(token, context=other_context)


def test_swapping_two_services_keys_is_detected(box: SecretBox) -> None:
    overseerr = box.encrypt("overseerr-key", context="services|api_key|overseerr")
    kuma = box.encrypt("kuma-key", context="services|api_key|uptime_kuma")

    with pytest.raises(DecryptionError):
        box.decrypt(overseerr, context="services|api_key|uptime_kuma")
    with pytest.raises(DecryptionError):
        box.decrypt(kuma, context="services|api_key|overseerr")


def test_unknown_key_id_is_refused(ring: KeyRing) -> None:
    token = SecretBox(ring.with_new_key()).encrypt("secret", context=CONTEXT)

    with pytest.raises(DecryptionError, match="key id 2"):
        SecretBox(ring).decrypt(token, context=CONTEXT)


def test_same_key_id_with_another_key_is_refused(box: SecretBox) -> None:
    token = box.encrypt("secret", context=CONTEXT)

    with pytest.raises(DecryptionError):
        SecretBox(KeyRing.parse(random_key())).decrypt(token, context=CONTEXT)


def test_a_token_for_another_purpose_does_not_decrypt(ring: KeyRing) -> None:
    token = SecretBox(ring, purpose="plugin-settings").encrypt("secret", context=CONTEXT)

    with pytest.raises(DecryptionError):
        SecretBox(ring).decrypt(token, context=CONTEXT)


def test_decryption_errors_reveal_neither_plaintext_nor_key() -> None:
    key_text = random_key()
    ring = KeyRing.parse(key_text)
    box = SecretBox(ring)
    plaintext = "sentinel-plaintext-4711"
    token = box.encrypt(plaintext, context=CONTEXT)
    forbidden = [plaintext, key_text, ring.keys[1].hex(), ring.subkey("secrets-at-rest").hex()]

    attempts = [
        lambda: box.decrypt(token, context="users|plex_token|other"),
        lambda: box.decrypt(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), context=CONTEXT),
        lambda: SecretBox(ring.with_new_key().without(1)).decrypt(token, context=CONTEXT),
        lambda: box.decrypt("v1.garbage", context=CONTEXT),
    ]
    for attempt in attempts:
        with pytest.raises(DecryptionError) as caught:
            attempt()
        message = str(caught.value) + repr(caught.value)
        assert not any(secret in message for secret in forbidden)
        error = caught.value  # no chained exception that a traceback would print
        assert error.__cause__ is None
        assert error.__context__ is None or error.__suppress_context__


# --- rotation ----------------------------------------------------------------------------


def test_rotation_moves_tokens_to_the_new_key_and_retires_the_old(ring: KeyRing) -> None:
    old_box = SecretBox(ring)
    contexts = [f"services|api_key|s{i}" for i in range(5)]
    old_tokens = {ctx: old_box.encrypt(f"key-{ctx[-1]}", context=ctx) for ctx in contexts}
    rotated_ring = KeyRing.parse(ring.with_new_key().serialize())  # survives the key file
    box = SecretBox(rotated_ring)

    assert rotated_ring.active == 2
    for context, token in old_tokens.items():
        assert box.needs_rotation(token)
        assert box.decrypt(token, context=context) == f"key-{context[-1]}"

    rotated = {context: box.rotate(token, context=context) for context, token in old_tokens.items()}
    assert {box.key_id(token) for token in rotated.values()} == {2}
    assert not any(box.needs_rotation(token) for token in rotated.values())

    retired = SecretBox(rotated_ring.without(1))
    for context, token in rotated.items():
        assert retired.decrypt(token, context=context) == f"key-{context[-1]}"
    for context, token in old_tokens.items():
        with pytest.raises(DecryptionError):
            retired.decrypt(token, context=context)


def test_rotate_refuses_a_token_from_another_context(ring: KeyRing) -> None:
    token = SecretBox(ring).encrypt("secret", context=CONTEXT)

    with pytest.raises(DecryptionError):
        SecretBox(ring.with_new_key()).rotate(token, context="users|plex_token|someone-else")


def test_the_active_key_cannot_be_removed(ring: KeyRing) -> None:
    with pytest.raises(ValueError, match="active"):
        ring.without(ring.active)
    with pytest.raises(KeyError):
        ring.without(99)


def test_serialize_puts_the_active_key_first_and_parses_back(ring: KeyRing) -> None:
    rotated = ring.with_new_key().with_new_key()
    lines = rotated.serialize().splitlines()

    assert [line.split(":")[0] for line in lines] == ["3", "1", "2"]
    assert KeyRing.parse(rotated.serialize()) == rotated
    assert KeyRing.parse(",".join(lines)) == rotated


def test_parse_accepts_ids_commas_newlines_and_comments() -> None:
    first, second = random_key(), random_key()

    ring = KeyRing.parse(f"# rotated last spring\n 7:{first} ,\n\n3:{second}\n")

    assert ring.active == 7
    assert sorted(ring.keys) == [3, 7]
    assert ring.keys[7] == base64.b64decode(first)


def test_key_material_stays_out_of_repr(ring: KeyRing) -> None:
    assert base64.b64encode(ring.keys[1]).decode() not in repr(ring)
    assert ring.keys[1].hex() not in repr(ring)


def test_subkeys_differ_per_purpose_and_per_key(ring: KeyRing) -> None:
    two = ring.with_new_key()
    subkeys = {
        two.subkey("secrets-at-rest", 1),
        two.subkey("session-signing", 1),
        two.subkey("secrets-at-rest", 2),
        two.subkey("secrets-at-rest"),  # the active key, 2
        two.keys[1],
        two.keys[2],
    }

    assert len(subkeys) == 5
    assert all(len(subkey) == 32 for subkey in subkeys)
    assert two.subkey("session-signing", 1) == ring.subkey("session-signing")


def test_an_install_id_survives_key_rotation_and_differs_per_install_and_purpose(
    ring: KeyRing,
) -> None:
    # What the Plex plugin sends plex.tv as its client identifier (`core.secrets.install_id`).
    purpose = "plex/client-identifier"
    install_id = SecretBox(ring).install_id(purpose)

    assert SecretBox(ring.with_new_key()).install_id(purpose) == install_id
    assert SecretBox(ring).install_id("another/purpose") != install_id
    assert SecretBox(KeyRing._generate()).install_id(purpose) != install_id
    assert uuid.UUID(install_id).version == 4


# --- weak keys ---------------------------------------------------------------------------


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


# Random keys make random texts: the ids name the case, so every xdist worker collects the same.
WEAK_KEYS = [
    ("", "no secret key"),
    ("changeme", "placeholder"),
    ("CHANGEME-please-" + random_key(), "placeholder"),
    ("<generated-32-byte-key>", "placeholder"),
    (b64(bytes(32)), "example or placeholder"),
    (DOCUMENTED_EXAMPLE_KEY, "example or placeholder"),
    (b64(b"changeme" + secrets.token_bytes(24)), "example or placeholder"),
    (b64(bytes(range(8)) * 4), "repeating pattern"),
    (b64(b"The quick brown fox jumps over 1"), "printable text"),
    (b64(secrets.token_bytes(16)), "16 bytes long"),
    (b64(secrets.token_bytes(64)), "64 bytes long"),
    ("not base64 at all!", "not valid base64"),
    ("1:" + random_key()[:-2] + "é=", "not valid base64"),
    (f"1:{random_key()}\n1:{random_key()}", "appears more than once"),
    (f"0:{random_key()}", "outside 1..65535"),
    (f"65536:{random_key()}", "outside 1..65535"),
    (f"one:{random_key()}", "number from 1 to 65535"),
    (f"{random_key()}\n2:{random_key()}", "every entry must look like"),
    (f"1:{random_key()},2:changeme", "placeholder"),
]


@pytest.mark.parametrize(
    ("text", "reason"), WEAK_KEYS, ids=[f"{n}-{reason}" for n, (_, reason) in enumerate(WEAK_KEYS)]
)
def test_weak_or_malformed_keys_are_refused(text: str, reason: str) -> None:
    with pytest.raises(WeakKeyError, match=reason) as caught:
        KeyRing.parse(text)

    message = str(caught.value)
    assert "MEDIANEST_SECRET_KEY," in message
    assert "MEDIANEST_SECRET_KEY_FILE" in message
    assert "secrets.token_bytes(32)" in message
    assert not any(len(part) > 20 and part in message for part in text.replace(",", "\n").split())


def test_the_example_key_in_the_docs_is_refused() -> None:
    record = Path(__file__).resolve().parents[2] / "docs" / "decisions" / "0004-secrets-at-rest.md"
    examples = re.findall(r"MEDIANEST_SECRET_KEY=([^`\s]+)", record.read_text(encoding="utf-8"))

    assert examples
    for example in examples:
        with pytest.raises(WeakKeyError, match="example"):
            KeyRing.parse(example)


def test_a_freshly_generated_key_is_accepted() -> None:
    for _ in range(200):
        assert KeyRing.parse(random_key()).active == 1


def test_urlsafe_base64_is_accepted() -> None:
    raw = secrets.token_bytes(32)

    assert KeyRing.parse(base64.urlsafe_b64encode(raw).decode()).keys[1] == raw


# --- settings and the key file -----------------------------------------------------------


def test_secret_key_setting_wins(tmp_path: Path) -> None:
    key_text = random_key()

    ring = KeyRing.from_settings(settings_for(tmp_path, secret_key=key_text))

    assert ring.keys[1] == base64.b64decode(key_text)
    assert not (tmp_path / "data").exists()


def test_weak_secret_key_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WeakKeyError, match="placeholder"):
        KeyRing.from_settings(settings_for(tmp_path, secret_key="changeme"))


def test_secret_key_file_setting(tmp_path: Path) -> None:
    key_file = tmp_path / "medianest.key"
    key_file.write_text(f"4:{random_key()}\n")
    key_file.chmod(0o400)

    assert KeyRing.from_settings(settings_for(tmp_path, secret_key_file=key_file)).active == 4


def test_missing_secret_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WeakKeyError, match=r"MEDIANEST_SECRET_KEY_FILE names .* missing"):
        KeyRing.from_settings(settings_for(tmp_path, secret_key_file=tmp_path / "absent.key"))


def test_default_key_file_is_created_private_and_exclusive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[tuple[int, int]] = []
    real_open = os.open

    def spying_open(path, flags, mode=0o777, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append((flags, mode))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spying_open)
    previous_umask = os.umask(0)  # the file mode must come from os.open, not from the umask
    try:
        ring = KeyRing.from_settings(settings_for(tmp_path))
    finally:
        os.umask(previous_umask)

    key_file = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert any(flags & os.O_CREAT and flags & os.O_EXCL and mode == 0o600 for flags, mode in opened)
    assert KeyRing.parse(key_file.read_text()) == ring
    assert sorted(path.name for path in key_file.parent.iterdir()) == ["secret.key"]


def test_default_key_file_is_reused(tmp_path: Path) -> None:
    first = KeyRing.from_settings(settings_for(tmp_path))
    second = KeyRing.from_settings(settings_for(tmp_path))

    assert first == second
    token = SecretBox(first).encrypt("survives a restart", context=CONTEXT)
    assert SecretBox(second).decrypt(token, context=CONTEXT) == "survives a restart"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    KeyRing.from_settings(settings_for(tmp_path))
    key_file = tmp_path / "data" / "secret.key"
    key_file.chmod(mode)

    with pytest.raises(WeakKeyError, match="chmod 600"):
        KeyRing.from_settings(settings_for(tmp_path))
    with pytest.raises(WeakKeyError, match="chmod 600"):
        KeyRing.from_settings(settings_for(tmp_path, secret_key_file=key_file))


def test_a_damaged_key_file_is_refused_not_replaced(tmp_path: Path) -> None:
    key_file = tmp_path / "data" / "secret.key"
    key_file.parent.mkdir()
    key_file.write_text("")
    key_file.chmod(0o600)

    with pytest.raises(WeakKeyError, match="no secret key"):
        KeyRing.from_settings(settings_for(tmp_path))
    assert key_file.read_text() == ""


# --- masking -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (None, None),
        ("", None),
        ("short", "••••"),
        ("elevenchars", "••••"),
        ("twelve-chars", "••••hars"),
        ("a-long-plex-token-XYZ9", "••••XYZ9"),
    ],
)
def test_mask(value: str | None, masked: str | None) -> None:
    assert SecretBox.mask(value) == masked
