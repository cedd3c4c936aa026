"""Build the OpenTelemetry Collector the suite runs (``make otelcol``; issue 17).

docs/telemetry.md shows a Collector config that forwards spans to Valuegate, and a test runs that
config in a real Collector (``tests/reviews/test_telemetry_docs.py``). The Collector is a Go
program: no release binary can be fetched here, but Debian packages its sources
(``golang-opentelemetry-collector-dev``, with every Go library it needs, and the Go toolchain).
This script takes them from Debian testing, checks each file against the archive's signed index,
and builds ``tests/otelcol/main.go``: the upstream ``otelcol`` command with the core components
the config names (the OTLP receiver, the batch processor, the ``otlphttp`` exporter), as the
OpenTelemetry Collector Builder would generate it.

- ``InRelease`` is verified with ``gpgv`` and the Debian archive keyring; the ``Packages`` index
  by the SHA-256 that ``InRelease`` gives, each ``.deb`` by the SHA-256 the index gives.
- The packages are unpacked (``dpkg-deb -x``) under ``var/otelcol/root``, not installed; Go builds
  in GOPATH mode from ``/usr/share/gocode`` there, as Debian builds its own Go packages.
- Nothing is rebuilt when ``var/otelcol/otelcol-valuegate`` is newer than ``main.go`` and this
  script.

Usage: ``python3 scripts/otelcol.py`` (prints the binary's path and version).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import lzma
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

MIRROR = os.environ.get("VALUEGATE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SUITE = os.environ.get("VALUEGATE_OTELCOL_SUITE", "forky")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "otelcol" / "main.go"
OUT = ROOT / "var" / "otelcol"
BINARY = OUT / "otelcol-valuegate"
COLLECTOR = "golang-opentelemetry-collector-dev"
INDEX = "main/binary-amd64/Packages.xz"


def fetch(url: str, *, attempts: int = 4) -> bytes:
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - the mirror
                return response.read()
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(2 * (attempt + 1))
    raise AssertionError("unreachable")


def verified_index() -> dict[str, dict[str, str]]:
    """The suite's package index, checked against its signed ``InRelease``."""
    signed = OUT / "InRelease"
    signed.write_bytes(fetch(f"{MIRROR}/dists/{SUITE}/InRelease"))
    subprocess.run(["gpgv", "--keyring", KEYRING, str(signed)], check=True, capture_output=True)
    sums = signed.read_text().split("SHA256:", 1)[1]
    match = re.search(rf"^ ([0-9a-f]{{64}}) +\d+ {re.escape(INDEX)}$", sums, re.M)
    if not match:
        raise SystemExit(f"{INDEX} is not listed in {SUITE}'s InRelease")
    packed = fetch(f"{MIRROR}/dists/{SUITE}/{INDEX}")
    if hashlib.sha256(packed).hexdigest() != match.group(1):
        raise SystemExit(f"{INDEX}: SHA-256 differs from InRelease")
    packages: dict[str, dict[str, str]] = {}
    for block in lzma.decompress(packed).decode().split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", block, re.M))
        if "Package" in fields:
            packages.setdefault(fields["Package"], fields)
    return packages


def closure(packages: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """The collector's sources, the Go libraries they depend on, and the Go toolchain."""
    provided = {}
    for name, fields in packages.items():
        for item in fields.get("Provides", "").split(","):
            if item.strip():
                provided.setdefault(item.strip().split(" ")[0], name)
    toolchain = re.match(r"(golang-[0-9.]+-go)\b", packages["golang-go"]["Depends"]).group(1)
    wanted, todo = set(), [COLLECTOR, toolchain, toolchain.replace("-go", "-src")]
    while todo:
        name = todo.pop()
        name = name if name in packages else provided.get(name, name)
        if name in wanted:
            continue
        if name not in packages:
            raise SystemExit(f"{name} is not in Debian {SUITE}")
        wanted.add(name)
        if packages[name].get("Architecture") != "all":
            continue  # the toolchain: its C library is the machine's
        for dependency in packages[name].get("Depends", "").split(","):
            first = dependency.split("|")[0].strip().split(" ")[0].split(":")[0]
            if first.startswith("golang-"):
                todo.append(first)
    return [packages[name] for name in sorted(wanted)]


def unpack(package: dict[str, str], debs: Path, root: Path) -> None:
    deb = debs / Path(package["Filename"]).name
    if not deb.exists() or hashlib.sha256(deb.read_bytes()).hexdigest() != package["SHA256"]:
        data = fetch(f"{MIRROR}/{package['Filename']}")
        if hashlib.sha256(data).hexdigest() != package["SHA256"]:
            raise SystemExit(f"{deb.name}: SHA-256 differs from the index")
        deb.write_bytes(data)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)


def build() -> Path:
    newest_input = max(SOURCE.stat().st_mtime, Path(__file__).stat().st_mtime)
    if BINARY.exists() and BINARY.stat().st_mtime > newest_input:
        return BINARY
    OUT.mkdir(parents=True, exist_ok=True)
    debs, root = OUT / "debs", OUT / "root"
    debs.mkdir(exist_ok=True)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    wanted = closure(verified_index())
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda package: unpack(package, debs, root), wanted))
    [goroot] = (root / "usr" / "lib").glob("go-1.*")
    env = {
        "PATH": f"{goroot}/bin:/usr/bin:/bin",
        "HOME": str(OUT),
        "GOROOT": str(goroot),
        "GOPATH": str(root / "usr" / "share" / "gocode"),
        "GO111MODULE": "off",
        "GOTOOLCHAIN": "local",
        "GOCACHE": str(OUT / "gocache"),
        "GOFLAGS": "-trimpath",
        "CGO_ENABLED": "0",
    }
    started = time.monotonic()
    partial = BINARY.with_suffix(".partial")
    [collector] = [package for package in wanted if package["Package"] == COLLECTOR]
    upstream = collector["Version"].split(":")[-1].rsplit("-", 1)[0]
    subprocess.run(
        [
            f"{goroot}/bin/go",
            "build",
            "-ldflags",
            f"-X main.version={upstream}",
            "-o",
            str(partial),
            str(SOURCE),
        ],
        check=True,
        env=env,
    )
    partial.replace(BINARY)
    print(
        f"otelcol: {len(wanted)} Debian {SUITE} packages, built in "
        f"{time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    return BINARY


if __name__ == "__main__":
    binary = build()
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
    print(binary, version.stdout.strip())
