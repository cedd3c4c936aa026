"""The API's exception handler: DRF's, with error bodies that can always be rendered.

An error message may echo what the client sent: ``"\\ud800" is not a valid choice``, an unknown
field named ``\\ud800``, ``Invalid pk "…"``. JSON may carry a lone surrogate (``"\\ud800"``),
which Python decodes into a ``str`` that cannot be encoded as UTF-8: rendering such a body raised
``UnicodeEncodeError``, a 500 instead of the 400. Stored data never holds one (DRF's
``CharField`` refuses surrogates), so only error bodies need this: every string in them, keys
included, has its lone surrogates written as ``\\udXXX`` escapes.
"""

from rest_framework.exceptions import ErrorDetail
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = renderable(response.data)
    return response


def renderable(data):
    """``data`` with every string (dict keys too) encodable as UTF-8; unchanged if it was."""
    if isinstance(data, str):
        return _renderable_text(data)
    if isinstance(data, dict):
        return {renderable(key): renderable(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [renderable(item) for item in data]
    return data


def _renderable_text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        safe = text.encode("utf-8", "backslashreplace").decode("utf-8")
        if isinstance(text, ErrorDetail):
            return ErrorDetail(safe, code=text.code)
        return safe
    return text
