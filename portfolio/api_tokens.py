"""API tokens: stored hashed, expiring, revocable by their owner, revoked with the password.

The tokens are django-rest-knox's ``AuthToken`` rows: the database keeps a SHA-512 digest of the
token and its first 15 characters (to find the row), never the token, so a leaked database or
backup hands out no working token. A token is 64 hex characters (256 random bits) sent as
``Authorization: Token <token>``, as before.

- ``api_token_issue``: a new token per request (the token cannot be shown twice), valid for
  ``API_TOKEN_TTL_DAYS`` (90 by default). A user keeps at most ``MAX_TOKENS_PER_USER`` live
  tokens: issuing one more revokes the oldest; expired ones are deleted on the way.
- ``api_token_revoke``: the token the request came with (``DELETE /api/v1/auth/token/``).
- ``api_tokens_revoke_all``: every token of a user; runs when the user's password changes, by
  any route (admin, ``changepassword``, a password reset): a ``pre_save`` on the user compares
  the stored password hash with the new one. Django's transparent re-hash of an unchanged
  password (a stronger hasher after an upgrade) is not a change and keeps the tokens.

``TokenAuthentication`` is knox's, with the expiry checked without a write per request and
without knox's scan of all of the user's tokens on every request (one query per request, the
token joined with its user).
"""

import binascii
import datetime
from hmac import compare_digest

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher, is_password_usable
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from drf_spectacular.authentication import TokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions

#: Live tokens one user may hold (one per script or device); the oldest goes first.
MAX_TOKENS_PER_USER = 10


def token_lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)


def _expires_at(token: AuthToken) -> datetime.datetime:
    # A token made in the admin without an expiry still expires a lifetime after it was made.
    return token.expiry or token.created + token_lifetime()


@transaction.atomic
def api_token_issue(*, user) -> tuple[str, AuthToken]:
    """A new token for ``user``: ``(token, row)``; the token is shown once, only its digest kept."""
    now = timezone.now()
    tokens = AuthToken.objects.filter(user=user)
    tokens.filter(expiry__lte=now).delete()
    live = list(tokens.order_by("-created").values_list("digest", flat=True))
    if len(live) >= MAX_TOKENS_PER_USER:
        AuthToken.objects.filter(digest__in=live[MAX_TOKENS_PER_USER - 1 :]).delete()
    instance, token = AuthToken.objects.create(user=user, expiry=token_lifetime())
    return token, instance


def api_token_revoke(*, token: AuthToken) -> None:
    AuthToken.objects.filter(digest=token.digest).delete()


def api_tokens_revoke_all(*, user) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


class TokenAuthentication(KnoxTokenAuthentication):
    """``Authorization: Token <token>`` → the user, if the token is known, unexpired, and its
    user active; otherwise 401 with ``WWW-Authenticate: Token``."""

    keyword = "Token"  # DRF's name for the prefix (the OpenAPI scheme reads it)

    def authenticate_credentials(self, token: bytes):
        invalid = exceptions.AuthenticationFailed("Invalid token.")
        try:
            text = token.decode("utf-8")
            digest = hash_token(text)
        except (UnicodeDecodeError, TypeError, binascii.Error):
            raise invalid from None
        candidates = AuthToken.objects.filter(
            token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH]
        ).select_related("user")
        now = timezone.now()
        for auth_token in candidates:
            if compare_digest(digest, auth_token.digest):
                if _expires_at(auth_token) <= now:
                    raise exceptions.AuthenticationFailed("Token expired.")
                return self.validate_user(auth_token)
        raise invalid


class ValuegateTokenScheme(TokenScheme):
    """OpenAPI: the same ``tokenAuth`` scheme (``Authorization: Token …``) as before knox."""

    target_class = "portfolio.api_tokens.TokenAuthentication"
    priority = 1


# --- a password change revokes the user's tokens ------------------------------------------------


def _is_rehash(old: str, new: str, user) -> bool:
    """Django re-hashing an unchanged password (``check_password``'s setter clears
    ``_password``, its marker of a real change) with other hasher parameters."""
    if getattr(user, "_password", None) is not None:
        return False
    if not (is_password_usable(old) and is_password_usable(new)):
        return False
    try:
        before, after = identify_hasher(old).decode(old), identify_hasher(new).decode(new)
    except (ValueError, NotImplementedError):
        return False

    def params(decoded: dict) -> dict:
        return {k: v for k, v in decoded.items() if k not in {"salt", "hash"}}

    return params(before) != params(after)


def _note_password_change(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and "password" not in update_fields:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if (
        old is not None
        and old != instance.password
        and not _is_rehash(old, instance.password, instance)
    ):
        instance._valuegate_password_changed = True


def _revoke_tokens_after_password_change(sender, instance, raw=False, **kwargs):
    if getattr(instance, "_valuegate_password_changed", False):
        instance._valuegate_password_changed = False
        api_tokens_revoke_all(user=instance)


def connect_password_signals() -> None:
    user_model = get_user_model()
    pre_save.connect(
        _note_password_change, sender=user_model, dispatch_uid="valuegate.password_change"
    )
    post_save.connect(
        _revoke_tokens_after_password_change,
        sender=user_model,
        dispatch_uid="valuegate.password_change_revokes_tokens",
    )
