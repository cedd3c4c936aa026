"""How the search fields' tests (use case, value owner, people) put hostile text into a query
string: percent-encoded as a browser would, except ``LONE_SURROGATE``."""

from urllib.parse import quote_plus

#: U+D800, a lone surrogate, as its UTF-8 bytes: sent as they are, never valid UTF-8.
LONE_SURROGATE = "%ED%A0%80"


def as_query(text: str) -> str:
    """``text`` as a query string value."""
    return text if text == LONE_SURROGATE else quote_plus(text)
