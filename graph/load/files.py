"""Rows from files: JSON Lines (``.jsonl``) or CSV with a header (``.csv``).

A file's name says its row kind: ``customer.jsonl``, ``customers.csv`` and
``order_step.jsonl`` all work (a trailing ``s`` is allowed). Files are returned in load
order, so references always point to kinds loaded earlier. A line that is not valid JSON
becomes a row the loader rejects with that line's number, instead of stopping the load.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from graph.load.loader import RawRows
from graph.load.rows import ROW_KINDS, ROW_KINDS_BY_NAME, UNREADABLE, RowKind

SUFFIXES = (".jsonl", ".csv")
# UTF-8, with or without the byte order mark that spreadsheet programs and some editors put at
# the start of a file: read as plain UTF-8, it made the first JSON line invalid and glued itself
# to the first CSV column's name, so every row missed that field.
ENCODING = "utf-8-sig"


class UnknownFileError(ValueError):
    """A file whose name or suffix does not say which row kind it holds."""


def kind_of(path: Path) -> RowKind:
    if path.suffix not in SUFFIXES:
        raise UnknownFileError(f"{path}: expected a .jsonl or .csv file")
    stem = path.stem
    kind = ROW_KINDS_BY_NAME.get(stem) or ROW_KINDS_BY_NAME.get(stem.removesuffix("s"))
    if kind is None:
        known = ", ".join(kind.name for kind in ROW_KINDS)
        raise UnknownFileError(f"{path}: the file name must be a row kind ({known})")
    return kind


def collect(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their data files and sort everything into load order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in SUFFIXES))
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    order = {kind.name: position for position, kind in enumerate(ROW_KINDS)}
    return sorted(files, key=lambda path: (order[kind_of(path).name], str(path)))


def read_rows(path: Path) -> RawRows:
    return _read_jsonl(path) if path.suffix == ".jsonl" else _read_csv(path)


def stream(paths: Iterable[Path]) -> Iterator[tuple[RowKind, RawRows]]:
    for path in collect(paths):
        yield kind_of(path), read_rows(path)


def _read_jsonl(path: Path) -> Iterator[tuple[str, dict[str, object]]]:
    with path.open(encoding=ENCODING) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            origin = f"{path}:{number}"
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield origin, {UNREADABLE: f"not valid JSON ({exc.msg})"}
                continue
            if not isinstance(value, dict):
                yield origin, {UNREADABLE: "expected a JSON object"}
                continue
            yield origin, value


def _read_csv(path: Path) -> Iterator[tuple[str, dict[str, object]]]:
    with path.open(encoding=ENCODING, newline="") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            origin = f"{path}:{reader.line_num}"
            if None in record:
                yield origin, {UNREADABLE: "more values than the header has columns"}
                continue
            yield origin, dict(record)
