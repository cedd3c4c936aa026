"""``make bench``: a generated portfolio in PostgreSQL and the measurements over it.

``generate`` fills a fresh database, ``measure`` prints the table, ``load`` is the HTTP load
client. ``scripts/bench.sh`` runs them in order (see ``benchmarks/README.md``).
"""
