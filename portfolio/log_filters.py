"""Logging filters of the project (``settings.LOGGING``)."""

import logging

from django.core.exceptions import PermissionDenied


class ForbiddenOneLine(logging.Filter):
    """A refused request is routine (a user following a link they may not use), not a crash:
    Django logs ``Forbidden (Permission denied): /path`` with the exception's full traceback;
    keep the one line (status, path and the reason the code gave) and drop the traceback.
    Other errors keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and isinstance(exc_info[1], PermissionDenied):
            reason = str(exc_info[1])
            if reason:
                record.msg = f"{record.msg} (%s)"
                record.args = (*record.args, reason) if isinstance(record.args, tuple) else reason
            record.exc_info = None
            record.exc_text = None
        return True
