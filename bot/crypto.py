"""Encryption at rest of API keys and Slack tokens (AES-256-GCM from `cryptography`).

A sealed value reads `enc:v1:<key id>:<base64 nonce + ciphertext>`. The key id names which of the
configured keys sealed it, so several keys can be live during a rotation (the first one seals, all
open). Every value is sealed with associated data naming what it is and whose it is (for example
`cortex_key:T123`), so a ciphertext copied into another workspace's row does not open.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.config import ENCRYPTION_KEY_BYTES, ConfigError, Settings, sqlite_path

log = logging.getLogger(__name__)

PREFIX = "enc:v1:"
KEY_ID_LENGTH = 8
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A stored secret does not open with any configured key, or belongs to another row."""


def new_key() -> str:
    """A fresh key in the form ENCRYPTION_KEYS expects (what `cortex-bot keygen` prints)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(ENCRYPTION_KEY_BYTES)).decode()


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:KEY_ID_LENGTH]


class Keyring:
    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        self._sealing_id = _key_id(keys[0])
        self._ciphers = {_key_id(key): AESGCM(key) for key in keys}
        self._sealing = self._ciphers[self._sealing_id]

    @property
    def key_ids(self) -> frozenset[str]:
        """The ids of the keys this keyring opens with (a sealed value names the one it needs)."""
        return frozenset(self._ciphers)

    @classmethod
    def from_encoded(cls, encoded: Sequence[str]) -> Keyring:
        return cls([base64.urlsafe_b64decode(key.encode()) for key in encoded])

    def seal(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._sealing.encrypt(nonce, plaintext.encode(), context.encode())
        payload = base64.urlsafe_b64encode(nonce + sealed).decode()
        return f"{PREFIX}{self._sealing_id}:{payload}"

    def open(self, value: str, context: str) -> str:
        key_id, payload = self._split(value)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(
                f"a stored secret ({context.split(':')[0]}) was sealed with key {key_id}, "
                "which is not in ENCRYPTION_KEYS"
            )
        raw = base64.urlsafe_b64decode(payload.encode())
        try:
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except InvalidTag:
            raise DecryptionError(
                f"a stored secret ({context.split(':')[0]}) does not belong to this row "
                "or was altered"
            ) from None

    def needs_resealing(self, value: str) -> bool:
        """Whether `value` is plaintext or sealed with a key other than the first one."""
        return not is_sealed(value) or self._split(value)[0] != self._sealing_id

    def reseal(self, value: str, context: str) -> str:
        plaintext = self.open(value, context) if is_sealed(value) else value
        return self.seal(plaintext, context)

    @staticmethod
    def _split(value: str) -> tuple[str, str]:
        if not is_sealed(value):
            raise DecryptionError("a stored secret is not in the sealed format")
        key_id, _, payload = value.removeprefix(PREFIX).partition(":")
        return key_id, payload


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def load_keyring(settings: Settings) -> Keyring:
    """The configured keys; for the embedded SQLite default of one workspace, a generated key
    file beside the database. A shared database or an OAuth install (many workspaces' tokens) must
    not lose its keys with a file, so it needs ENCRYPTION_KEYS."""
    if settings.encryption_keys:
        return Keyring.from_encoded([key.get_secret_value() for key in settings.encryption_keys])
    database_file = sqlite_path(settings.database_url)
    if database_file is None:
        raise ConfigError(
            "ENCRYPTION_KEYS is required with this DATABASE_URL "
            "(make one with `cortex-bot keygen`)."
        )
    if settings.uses_oauth:
        raise ConfigError(
            "ENCRYPTION_KEYS is required with SLACK_CLIENT_ID (OAuth installs for many "
            "workspaces): make one with `cortex-bot keygen`."
        )
    key_file = database_file.with_name(database_file.name + ".key")
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_key() + "\n")
        log.warning(
            "ENCRYPTION_KEYS is not set: generated %s to encrypt stored keys. Back it up with the "
            "database, or set ENCRYPTION_KEYS for production.",
            key_file,
        )
    return Keyring.from_encoded([key_file.read_text().strip()])
