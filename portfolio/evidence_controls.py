"""The control mapping of the evidence pack (issue 19): which files evidence which control of
ISO/IEC 42001, the NIST AI RMF and the EU AI Act, and how each control stands for a use case.

The mapping is data, in one file (``evidence_controls.toml`` beside this module, documented in
docs/evidence.md). ``load()`` reads and checks it; anything malformed raises ``MappingError``
naming the entry and the field, before any pack is written.

How a control stands for a use case (``judge``), from the data in the pack:

- **files**: the mapped files in the pack (``gate-packs/`` becomes the PDFs it holds).
- **status**: ``gap`` when none of its files holds a record, or when it has ``fresh_days`` and the
  use case is in a stage whose reviews are due (rollout, scaled, redesign) and its latest record
  (``dated_by``) is older than that or missing; else ``partial`` when some of its files hold no
  record; else ``evidenced``. A note says why.
- **owner**: ``value_owner`` → the use case's value owner (the PMO when it has none); ``pmo`` →
  the PMO; ``gate_chair`` → the chair of the latest gate that had the use case on its agenda
  (Leadership when there is none, or no chair).
- **last reviewed**: the latest date among the records ``dated_by`` names (a review filed or
  corrected, a business case saved, a gate decision recorded, a checklist answer, a change
  logged, a flag raised or resolved, an audit history record); empty when there is none.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from usecases.models import REVIEW_STAGES
from usecases.selectors import user_label

from .evidence_files import DATE_KINDS, FILES, GATE_PACKS, UseCaseEvidence

MAPPING_PATH = Path(__file__).with_name("evidence_controls.toml")
OWNERS = ("value_owner", "pmo", "gate_chair")
REQUIRED = ("framework", "control", "requirement", "evidence", "owner", "dated_by")
OPTIONAL = ("fresh_days",)
REQUIREMENT_MAX = 160
EVIDENCED, PARTIAL, GAP = "evidenced", "partial", "gap"
CSV_HEADER = (
    "framework",
    "control_id",
    "requirement",
    "use_case_id",
    "use_case",
    "files",
    "status",
    "note",
    "owner",
    "last_reviewed",
)
FILE_SEPARATOR = "; "


class MappingError(ValueError):
    """The control mapping file is malformed (the message names the entry and the field)."""


@dataclass(frozen=True)
class Control:
    framework: str
    control: str
    requirement: str
    evidence: tuple[str, ...]
    owner: str
    dated_by: tuple[str, ...]
    fresh_days: int | None = None


@dataclass(frozen=True)
class Mapping:
    controls: tuple[Control, ...]
    sha256: str  # of the file as read: the manifest names the mapping it used


def _text(entry: dict, key: str, where: str, *, limit: int | None = None) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{where}: '{key}' must be a non-empty text.")
    if "\n" in value or "\r" in value:
        raise MappingError(f"{where}: '{key}' must be one line.")
    if limit is not None and len(value) > limit:
        raise MappingError(f"{where}: '{key}' is longer than {limit} characters: keep it short.")
    return value.strip()


def _names(entry: dict, key: str, where: str, known: tuple[str, ...]) -> tuple[str, ...]:
    value = entry[key]
    if not isinstance(value, list) or not value:
        raise MappingError(f"{where}: '{key}' must be a non-empty list.")
    unknown = [v for v in value if v not in known]
    if unknown:
        raise MappingError(
            f"{where}: '{key}' names {', '.join(map(repr, unknown))}, not one of: "
            f"{', '.join(known)}."
        )
    if len(set(value)) != len(value):
        raise MappingError(f"{where}: '{key}' names a value twice.")
    return tuple(value)


def _control(entry, number: int) -> Control:
    where = f"control #{number}"
    if not isinstance(entry, dict):
        raise MappingError(f"{where}: must be a table ([[control]]).")
    if isinstance(entry.get("framework"), str) and isinstance(entry.get("control"), str):
        where = f"control #{number} ({entry['framework']} {entry['control']})"
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        raise MappingError(f"{where}: missing {', '.join(missing)}.")
    extra = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if extra:
        raise MappingError(f"{where}: unknown field {', '.join(extra)}.")
    owner = _text(entry, "owner", where)
    if owner not in OWNERS:
        raise MappingError(f"{where}: 'owner' must be one of {', '.join(OWNERS)}, not {owner!r}.")
    fresh = entry.get("fresh_days")
    if fresh is not None and (isinstance(fresh, bool) or not isinstance(fresh, int) or fresh < 1):
        raise MappingError(f"{where}: 'fresh_days' must be a whole number of days, at least 1.")
    return Control(
        framework=_text(entry, "framework", where),
        control=_text(entry, "control", where),
        requirement=_text(entry, "requirement", where, limit=REQUIREMENT_MAX),
        evidence=_names(entry, "evidence", where, FILES),
        owner=owner,
        dated_by=_names(entry, "dated_by", where, DATE_KINDS),
        fresh_days=fresh,
    )


def parse(data: bytes, *, source: str = "the control mapping") -> Mapping:
    """Read and check a mapping (the TOML file's bytes); ``MappingError`` when malformed."""
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise MappingError(f"{source} is not UTF-8 text: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{source} is not valid TOML: {exc}") from None
    extra = sorted(set(document) - {"control"})
    if extra:
        raise MappingError(f"{source}: unknown top-level key {', '.join(extra)}.")
    entries = document.get("control")
    if not isinstance(entries, list) or not entries:
        raise MappingError(f"{source} maps no control: add [[control]] entries.")
    controls = tuple(_control(entry, n) for n, entry in enumerate(entries, start=1))
    seen = set()
    for c in controls:
        key = (c.framework, c.control)
        if key in seen:
            raise MappingError(f"{source}: {c.framework} {c.control} is mapped twice.")
        seen.add(key)
    return Mapping(controls, hashlib.sha256(data).hexdigest())


@functools.cache
def _load_cached(path: str, mtime_ns: int) -> Mapping:
    return parse(Path(path).read_bytes(), source=Path(path).name)


def load(path: Path | None = None) -> Mapping:
    """The mapping file, checked (read again when it changed on disk)."""
    path = Path(path or MAPPING_PATH)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise MappingError(f"The control mapping {path} cannot be read: {exc}") from None
    return _load_cached(str(path), mtime)


# --- judging a control for a use case ------------------------------------------------------------


@dataclass(frozen=True)
class ControlRow:
    control: Control
    files: tuple[str, ...]  # paths in the ZIP
    status: str
    note: str
    owner: str
    last_reviewed: datetime.date | None


def _owner(control: Control, evidence: UseCaseEvidence) -> str:
    if control.owner == "value_owner":
        owner = evidence.use_case.value_owner
        return user_label(owner) if owner is not None else "PMO (no value owner)"
    if control.owner == "gate_chair":
        return user_label(evidence.chair) if evidence.chair is not None else "Leadership"
    return "PMO"


def judge(
    control: Control, evidence: UseCaseEvidence, *, folder: str, today: datetime.date
) -> ControlRow:
    """How ``control`` stands for the use case whose files ``evidence`` yielded."""
    files: list[str] = []
    empty: list[str] = []
    for name in control.evidence:
        if name == GATE_PACKS:
            files += [f"{folder}{pdf}" for pdf in evidence.gate_pack_files]
        else:
            files.append(f"{folder}{name}")
        if not evidence.rows.get(name):
            empty.append(name)
    dates = [evidence.dates.get(kind) for kind in control.dated_by]
    last = max((d for d in dates if d is not None), default=None)
    due = evidence.use_case.stage in REVIEW_STAGES
    if len(empty) == len(control.evidence):
        status, note = GAP, "No records yet in " + ", ".join(empty) + "."
    elif control.fresh_days and due and (last is None or (today - last).days > control.fresh_days):
        status = GAP
        note = f"Nothing recorded in the last {control.fresh_days} days" + (
            f" (latest {last.isoformat()})." if last else "."
        )
    elif empty:
        status, note = PARTIAL, "No records yet in " + ", ".join(empty) + "."
    else:
        status, note = EVIDENCED, "Every mapped file holds records."
    return ControlRow(control, tuple(files), status, note, _owner(control, evidence), last)


def csv_row(row: ControlRow, use_case) -> list:
    return [
        row.control.framework,
        row.control.control,
        row.control.requirement,
        use_case.pk,
        use_case.name,
        FILE_SEPARATOR.join(row.files),
        row.status,
        row.note,
        row.owner,
        row.last_reviewed,
    ]
