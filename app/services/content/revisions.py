"""Side-by-side differences between two page revisions, word by word, for the back office."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.models import Page, PageRevision
from app.services.content.pages import PAGE_FIELDS, PAGE_LABELS

# ------------------------------------------------------------------------------------------------- revisions


@dataclass(frozen=True)
class DiffPart:
    text: str
    changed: bool


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff: kind is equal, delete, insert, change or skip (unchanged lines hidden)."""

    kind: str
    old: Sequence[DiffPart] = ()
    new: Sequence[DiffPart] = ()
    skipped: int = 0


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    old: str
    new: str
    rows: list[DiffRow] = field(default_factory=list)


def _words(old: str, new: str) -> tuple[list[DiffPart], list[DiffPart]]:
    a, b = re.findall(r"\s+|[^\s]+", old), re.findall(r"\s+|[^\s]+", new)
    left: list[DiffPart] = []
    right: list[DiffPart] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if i2 > i1:
            left.append(DiffPart("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(DiffPart("".join(b[j1:j2]), tag != "equal"))
    return left, right


def _line_rows(old: str, new: str, context: int = 2) -> list[DiffRow]:
    a, b = old.split("\n"), new.split("\n")
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            lines = a[i1:i2]
            if len(lines) > 2 * context + 1:
                head = lines[:context] if rows else []
                tail = lines[-context:] if i2 < len(a) or j2 < len(b) else []
                rows += [DiffRow("equal", [DiffPart(x, False)], [DiffPart(x, False)]) for x in head]
                rows.append(DiffRow("skip", skipped=len(lines) - len(head) - len(tail)))
                rows += [DiffRow("equal", [DiffPart(x, False)], [DiffPart(x, False)]) for x in tail]
            else:
                rows += [DiffRow("equal", [DiffPart(x, False)], [DiffPart(x, False)]) for x in lines]
            continue
        rows += _paired(a[i1:i2] if tag != "insert" else [], b[j1:j2] if tag != "delete" else [])
    return rows


def _paired(removed: list[str], added: list[str]) -> list[DiffRow]:
    """Rows for a changed block: a removed line faces the most similar added line (in order) as a change,
    so an edited sentence reads as one line with its changed words marked."""
    rows: list[DiffRow] = []
    start = 0
    for line in removed:
        best, best_at = 0.0, None
        for k in range(start, len(added)):
            ratio = difflib.SequenceMatcher(None, line, added[k], autojunk=False).ratio()
            if ratio > best:
                best, best_at = ratio, k
        if best_at is None or best < 0.5:
            rows.append(DiffRow("delete", [DiffPart(line, True)], []))
            continue
        rows += [DiffRow("insert", [], [DiffPart(x, True)]) for x in added[start:best_at]]
        left, right = _words(line, added[best_at])
        rows.append(DiffRow("change", left, right))
        start = best_at + 1
    rows += [DiffRow("insert", [], [DiffPart(x, True)]) for x in added[start:]]
    return rows


def _shown(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "да" if value else "нет"
    return str(value)


def diff_pages(old: PageRevision | Page, new: PageRevision | Page) -> list[FieldDiff]:
    """What differs between two states of a page, field by field; the text line by line and word by word."""
    changes = []
    for name in PAGE_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        rows = _line_rows(before, after) if name == "body" else []
        changes.append(FieldDiff(name, PAGE_LABELS[name], _shown(name, before), _shown(name, after), rows))
    return changes
