"""Encrypting personal fields at rest: Fernet under keys kept outside the database.

``settings.TSUNAGU_FIELD_KEYS`` holds one or more Fernet keys (from the
environment's comma-separated ``TSUNAGU_FIELD_KEY``). The first encrypts;
every one of them decrypts, so a key is rotated by putting a new one first,
running ``tsunagu rotate-field-keys`` (which re-encrypts every stored token
under the first key) and then dropping the old one.

A token is authenticated (AES-128-CBC with HMAC-SHA256): a changed or
foreign token does not decrypt, it raises ``FieldDecryptError``. Plaintexts
and keys never reach a log or an error message.
"""

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class FieldDecryptError(Exception):
    """A token that none of the configured keys decrypts (wrong key, or tampered)."""


def field_encrypt(plaintext: str) -> str:
    """``plaintext`` encrypted under the first configured key, as an ASCII token."""
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def field_decrypt(token: str) -> str:
    """The plaintext of ``token``; raises ``FieldDecryptError`` if no key opens it."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise FieldDecryptError("no configured field key decrypts this token") from None


def field_reencrypt(token: str) -> str:
    """``token`` encrypted again under the first key, keeping its original timestamp.

    Raises ``FieldDecryptError`` if no key opens it.
    """
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise FieldDecryptError("no configured field key decrypts this token") from None


def field_keys_check() -> None:
    """Raise ``ValueError`` unless every configured key is a valid Fernet key."""
    _fernet()


def _fernet() -> MultiFernet:
    # Read at call time (tests and a reloaded configuration may change the
    # keys); the cipher objects of one key list are built once.
    return _fernet_for(tuple(settings.TSUNAGU_FIELD_KEYS))


@functools.lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ValueError("TSUNAGU_FIELD_KEY holds no key")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError):
        # Fernet's own message is safe, but say which setting is wrong and
        # never echo the key.
        raise ValueError(
            "TSUNAGU_FIELD_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated"
        ) from None
