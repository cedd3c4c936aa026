"""Secrets at rest (channel URLs and signing secrets, ``usecases.alerts``): Fernet, keyed by
``settings.VALUEGATE_CHANNEL_KEY`` or, when that is empty, by a key derived from SECRET_KEY."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class Unreadable(Exception):
    """The value was sealed with another key (the key or SECRET_KEY changed)."""


def _fernet() -> Fernet:
    key = settings.VALUEGATE_CHANNEL_KEY
    if not key:
        digest = hashlib.sha256(b"valuegate.sealed:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest)
    return Fernet(key)


def seal(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise Unreadable("sealed with another key: enter it again") from error
