"""Static files storage of the production settings."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    return tuple(
        (
            extension,
            tuple(
                p for p in rules if "sourceMappingURL" not in (p if isinstance(p, str) else p[0])
            ),
        )
        for extension, rules in patterns
    )


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed names (cache forever), gzip/brotli copies, served by WhiteNoise, but without
    rewriting ``sourceMappingURL`` comments: the vendored libraries in ``static/vendor`` are copied
    verbatim and name ``.map`` files we do not ship, and the stock storage fails
    ``collectstatic`` on a reference it cannot find. (A browser asks for a map only when its
    developer tools are open; it gets a 404.)"""

    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
