"""The evidence pack ZIP (issue 19): one use case's, or the whole portfolio's.

Layout (docs/evidence.md)::

    manifest.json                       every other file: path, SHA-256, size; when, where, who
    controls.csv                        framework, control, requirement, files, status, owner…
    use-cases/<id>-<slug>/…             one folder per use case (portfolio.evidence_files.FILES)

``write_pack(out, use_cases=…, viewer=…)`` writes into a binary file object (a temporary file:
nothing is held in memory but the file being added, one use case's CSVs or one PDF), hashing each
file as it goes; ``manifest.json`` comes last. ``build(…)`` returns such a temporary file, at its
start, for a response or the background task to read from.

Folder names are ours, never the user's: ``<id>-<slug>`` where the slug keeps ASCII letters,
digits and dashes of the use case's name (``../../etc`` → ``etc``; a name of emoji or
right-to-left script → ``use-case``); every member name is checked against ``SAFE_MEMBER`` before
it is written, so no name escapes its folder or the archive. The full names are in the manifest
and the CSVs.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify

from usecases import clock
from usecases.selectors import user_label

from . import evidence_controls
from .evidence_files import UseCaseEvidence, csv_bytes

FORMAT = "valuegate-evidence-pack"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CONTROLS = "controls.csv"
SLUG_MAX = 40
#: Every member name: ASCII path segments of letters, digits, dot, dash and underscore, never
#: starting with a dot (no ``..``, no absolute path, no backslash).
SAFE_MEMBER = re.compile(r"(?:[A-Za-z0-9_][A-Za-z0-9._-]*/)*[A-Za-z0-9_][A-Za-z0-9._-]*")
CHUNK = 1024 * 1024


def folder_of(use_case) -> str:
    """``use-cases/<id>-<slug>/``: unique (the id) and safe whatever the name holds."""
    slug = slugify(use_case.name)[:SLUG_MAX].strip("-") or "use-case"
    return f"use-cases/{use_case.pk}-{slug}/"


@dataclass
class Entry:
    path: str
    sha256: str
    size: int


@dataclass
class PackWriter:
    """A ZIP being written: ``add`` each file, then ``close`` writes the manifest."""

    out: object
    entries: list[Entry] = field(default_factory=list)

    def __post_init__(self):
        self.zip = zipfile.ZipFile(self.out, "w", compression=zipfile.ZIP_DEFLATED)
        moment = timezone.localtime(clock.now())
        self.date_time = (
            max(moment.year, 1980),
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
        )

    def add(self, path: str, data: bytes) -> None:
        if not SAFE_MEMBER.fullmatch(path) or ".." in path.split("/"):
            raise ValueError(f"unsafe member name {path!r}")
        info = zipfile.ZipInfo(path, date_time=self.date_time)
        # PDFs are compressed already: stored as they are.
        info.compress_type = zipfile.ZIP_STORED if path.endswith(".pdf") else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self.zip.writestr(info, data)
        self.entries.append(Entry(path, hashlib.sha256(data).hexdigest(), len(data)))

    def close(self, manifest: dict) -> None:
        manifest["files"] = [
            {"path": e.path, "sha256": e.sha256, "size": e.size} for e in self.entries
        ]
        data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
        info = zipfile.ZipInfo(MANIFEST, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self.zip.writestr(info, data)
        self.zip.close()


@dataclass(frozen=True)
class PackSummary:
    use_cases: int
    files: int


def installation() -> dict:
    return {"name": settings.VALUEGATE_SITE_NAME, "url": settings.VALUEGATE_BASE_URL}


def write_pack(out, *, use_cases, viewer, scope: str) -> PackSummary:
    """Write the pack of ``use_cases`` (an iterable of use cases ``viewer`` may see, the caller
    checked) as ``viewer`` may see it into the binary file ``out``."""
    mapping = evidence_controls.load()  # a malformed mapping stops here, before any file
    generated_at = clock.now()
    today = timezone.localdate(generated_at)
    writer = PackWriter(out)
    control_rows = []
    listed = []
    for use_case in use_cases:
        folder = folder_of(use_case)
        evidence = UseCaseEvidence(use_case, viewer=viewer, today=today)
        for file in evidence.files():
            writer.add(folder + file.name, file.data)
        for control in mapping.controls:
            row = evidence_controls.judge(control, evidence, folder=folder, today=today)
            control_rows.append(evidence_controls.csv_row(row, use_case))
        listed.append(
            {
                "id": use_case.pk,
                "name": use_case.name,
                "folder": folder,
                "stage": use_case.stage,
                "value_owner": user_label(use_case.value_owner),
            }
        )
    controls, _ = csv_bytes(evidence_controls.CSV_HEADER, control_rows)
    writer.add(CONTROLS, controls)
    writer.close(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "scope": scope,
            "generated_at": timezone.localtime(generated_at).isoformat(timespec="seconds"),
            "generated_by": {
                "id": viewer.pk,
                "username": viewer.username,
                "name": viewer.get_full_name(),
            },
            "installation": installation(),
            "valuegate_version": settings.VALUEGATE_VERSION,
            "currency": settings.VALUEGATE_CURRENCY,
            "controls_mapping": {
                "file": "portfolio/evidence_controls.toml",
                "sha256": mapping.sha256,
            },
            "use_cases": listed,
        }
    )
    return PackSummary(len(listed), len(writer.entries))


def build(*, use_cases, viewer, scope: str) -> tuple[object, PackSummary]:
    """The pack in a temporary file (deleted when closed), positioned at its start, and what it
    holds."""
    # Returned open: the caller (a FileResponse, the task) closes it.
    out = tempfile.TemporaryFile(prefix="evidence-pack-", suffix=".zip")  # noqa: SIM115
    try:
        summary = write_pack(out, use_cases=use_cases, viewer=viewer, scope=scope)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out, summary


def use_case_filename(use_case) -> str:
    return f"evidence-pack-use-case-{use_case.pk}-{timezone.localdate(clock.now()):%Y%m%d}.zip"


def portfolio_filename(moment=None) -> str:
    moment = timezone.localtime(moment or clock.now())
    return f"evidence-pack-portfolio-{moment:%Y%m%d-%H%M}.zip"
