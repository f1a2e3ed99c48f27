"""Check one inbox file against what its source declares, before it lands.

A feed's declaration is the dbt sources YAML (``dataops.data.sources``): format,
extension and columns with their types. A file passes when it is UTF-8 text,
every line (the last one too) ends with a newline, and DuckDB's reader casts
every value to the declared type, as the landing models read it, with one
stricter rule: an integer column takes no value with a fraction (DuckDB would
round ``517.5`` to ``518``).

A reason quotes the file's content only as a short, escaped excerpt
(:func:`excerpt`): never binary bytes, never a whole line of an unknown file.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dataops.core.files import CHUNK
from dataops.data.sources import Feed

INTEGER_TYPES = frozenset({"tinyint", "smallint", "integer", "int", "bigint", "hugeint"})
NUMERIC_TYPES = INTEGER_TYPES | frozenset({"float", "real", "double", "decimal", "numeric"})

CSV_OPTIONS = (
    "header = true, auto_detect = false, strict_mode = true, "
    "delim = ',', quote = '\"', escape = '\"'"
)

# Characters of a value or line quoted in a reason, at most.
EXCERPT_CHARS = 60

# Leading bytes of the binary formats a text feed is most often sent by mistake.
BINARY_SIGNATURES = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "a zip archive"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"PAR1", "a Parquet file"),
)

FORMAT_NAMES = {"csv": "CSV", "jsonl": "JSON-lines"}


@dataclass(frozen=True)
class FileCheck:
    """The result of checking a file against its feed: data rows, or what is wrong."""

    rows: int | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def excerpt(text: str | bytes, limit: int = EXCERPT_CHARS) -> str:
    """``text`` as a printable excerpt of at most ``limit`` characters (and an ellipsis).

    Control characters and bytes that are not UTF-8 are escaped (``\\x1b``).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    shown = []
    length = 0
    for char in text:
        piece = char if char.isprintable() else ascii(char)[1:-1]
        if length + len(piece) > limit:
            return "".join(shown) + "…"
        shown.append(piece)
        length += len(piece)
    return "".join(shown)


def quoted(text: str) -> str:
    """A name or value in double quotes, escaped: ``""`` shows an empty name."""
    return f'"{excerpt(text)}"'


def _base_type(data_type: str) -> str:
    return data_type.lower().split("(", 1)[0].strip()


def sql_string(value: str) -> str:
    """``value`` as a DuckDB string literal."""
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class _Lines:
    count: int
    complete: bool
    first_nul_line: int | None


def _scan_lines(path: Path) -> _Lines:
    """Count the lines of a file, whether it ends with a newline, and its first NUL byte."""
    lines = 0
    last = b""
    nul_line = None
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if nul_line is None and (at := chunk.find(b"\x00")) >= 0:
                nul_line = lines + chunk.count(b"\n", 0, at) + 1
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    complete = last == b"\n"
    return _Lines(lines if complete else lines + 1, complete, nul_line)


def _binary_kind(path: Path) -> str | None:
    """What a file is when its first bytes say it is binary, not text; None for text."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    for signature, kind in BINARY_SIGNATURES:
        if head.startswith(signature):
            return kind
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r")
    return "binary data" if controls > len(head) // 10 else None


def _duckdb_problem(error: duckdb.Error) -> str:
    """The gist of a DuckDB reader error: the line and what is wrong there."""
    text = str(error)
    line = re.search(r"(?:CSV Error on Line: |in line )(\d+)", text)
    where = f"line {line.group(1)}: " if line else ""
    if match := re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text):
        return f"{where}{match.group(2)} fields where {match.group(1)} columns are declared"
    if match := re.search(
        r'converting column "([^"]+)"\. Could not convert string "(.*?)" to', text
    ):
        kind = re.search(r"to '([A-Z0-9]+)'", text)
        return (
            f"{where}column {quoted(match.group(1))}: could not convert {quoted(match.group(2))}"
            f" to {kind.group(1) if kind else 'the declared type'}"
        )
    if match := re.search(r'converting column "([^"]+)"\. (Could not convert [^\n]*)', text):
        return f"{where}column {quoted(match.group(1))}: {excerpt(match.group(2), 120)}"
    if "unterminated quote" in text:
        return f"{where}a quoted value is never closed"
    if "not utf-8 encoded" in text:
        return f"{where}the file is not UTF-8 text"
    if match := re.search(r"in line \d+: ([^\n]*)", text):
        return f"{where}{excerpt(match.group(1).strip(), 120)}"
    first = re.sub(r"^[A-Za-z ]+Error: ", "", text.split("\n", 1)[0])
    return f"{where}{excerpt(first, 120)}"


def _header_problem(path: Path, feed: Feed) -> str | None:
    with path.open("rb") as handle:
        first = handle.readline(64 * 1024)
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "line 1 (the header) is not UTF-8 text"
    try:
        found = next(csv.reader([text.rstrip("\r\n")]), [])
    except csv.Error:  # a control character where a name should be
        found = text.rstrip("\r\n").split(",")
    expected = feed.column_names
    if found == expected:
        return None
    missing = [name for name in expected if name not in found]
    unexpected = [name for name in found if name not in expected]
    details = []
    if missing:
        details.append(f"missing {', '.join(quoted(name) for name in missing)}")
    if unexpected:
        details.append(f"unexpected {', '.join(quoted(name) for name in unexpected)}")
    if not details:
        details.append("same columns in another order")
    return (
        f"line 1: the header does not match the declared columns ({'; '.join(details)}); "
        f"expected {','.join(expected)}; found {quoted(text.rstrip(chr(13) + chr(10)))}"
    )


def _fractional(value: object) -> bool:
    """True for a number (or numeric text) with a fraction, which an integer column refuses."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        number = float(value)
    except ValueError:
        return False
    return number == number and abs(number) != float("inf") and not number.is_integer()


def _fraction_filters(feed: Feed, value_sql: Callable[[str], str]) -> list[tuple[str, str]]:
    """One SQL condition per integer column: true where the value has a fraction."""
    filters = []
    for column in feed.columns:
        if _base_type(column.data_type) in INTEGER_TYPES:
            number = f"try_cast({value_sql(column.name)} as double)"
            filters.append((column.name, f"{number} <> trunc({number})"))
    return filters


def _fraction_problem(path: Path, feed: Feed, column: str, example: str) -> str:
    index = feed.column_names.index(column)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for row in reader:
            if index < len(row) and _fractional(row[index]):
                return (
                    f"line {reader.line_num}: column {quoted(column)} is declared integer "
                    f"but has {quoted(row[index])}"
                )
    return f"column {quoted(column)} is declared integer but has {quoted(example)}"


def _check_csv(con: duckdb.DuckDBPyConnection, path: Path, feed: Feed) -> FileCheck:
    if problem := _header_problem(path, feed):
        return FileCheck(None, problem)
    try:
        rows = con.execute(
            f"select count(*), count(columns(*)) from read_csv(?, columns = ?, {CSV_OPTIONS})",
            [str(path), feed.duckdb_columns()],
        ).fetchall()[0][0]
    except duckdb.Error as error:
        return FileCheck(None, _duckdb_problem(error))
    filters = _fraction_filters(feed, _identifier)
    if filters:
        text_columns = {name: "VARCHAR" for name in feed.column_names}
        selects = ", ".join(
            f"any_value({_identifier(name)}) filter (where {condition})"
            for name, condition in filters
        )
        found = con.execute(
            f"select {selects} from read_csv(?, columns = ?, {CSV_OPTIONS})",
            [str(path), text_columns],
        ).fetchall()[0]
        for (name, _condition), example in zip(filters, found, strict=True):
            if example is not None:
                return FileCheck(None, _fraction_problem(path, feed, name, example))
    return FileCheck(rows)


def _json_value(value: object) -> str:
    return excerpt(json.dumps(value))


def _json_type_problem(feed: Feed, record: dict) -> str | None:
    for column in feed.columns:
        value = record[column.name]
        kind = _base_type(column.data_type)
        if value is None or kind not in NUMERIC_TYPES:
            continue
        if isinstance(value, bool | dict | list):
            return f"key {quoted(column.name)} is {_json_value(value)}, not a number"
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                return f"key {quoted(column.name)} is {_json_value(value)}, not a number"
        if kind in INTEGER_TYPES and _fractional(value):
            return f"key {quoted(column.name)} is declared integer but has {_json_value(value)}"
    return None


def _first_bad_json_line(path: Path, feed: Feed) -> str | None:
    """Read the file line by line and describe the first line that breaks the declaration."""
    declared = set(feed.column_names)

    def no_repeats(pairs: list[tuple[str, object]]) -> dict:
        keys = [key for key, _value in pairs]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"repeats key {', '.join(quoted(key) for key in repeated)}")
        return dict(pairs)

    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                return f"line {number} is empty"
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return f"line {number} is not UTF-8 text"
            try:
                record = json.loads(text, object_pairs_hook=no_repeats)
            except json.JSONDecodeError as error:
                what = error.msg.removesuffix(" at")
                return f"line {number} is not valid JSON: {what} at column {error.colno}"
            except ValueError as error:
                return f"line {number} {error}"
            if not isinstance(record, dict):
                return f"line {number} is a JSON {type(record).__name__}, not an object"
            missing = [name for name in feed.column_names if name not in record]
            unexpected = [key for key in record if key not in declared]
            if missing or unexpected:
                details = []
                if missing:
                    details.append(f"missing keys {', '.join(quoted(name) for name in missing)}")
                if unexpected:
                    details.append(
                        f"unexpected keys {', '.join(quoted(key) for key in unexpected)}"
                    )
                return f"line {number}: {'; '.join(details)}"
            if problem := _json_type_problem(feed, record):
                return f"line {number}: {problem}"
    return None


def _json_value_sql(name: str) -> str:
    """SQL for the text of key ``name`` of the row's JSON object."""
    return f"(json ->> {sql_string(f'$.{_identifier(name)}')})"


def _check_jsonl(con: duckdb.DuckDBPyConnection, path: Path, feed: Feed, lines: int) -> FileCheck:
    keys = "[" + ", ".join(sql_string(name) for name in sorted(feed.column_names)) + "]"
    fractions = _fraction_filters(feed, _json_value_sql)
    fraction_count = " or ".join(condition for _name, condition in fractions) or "false"
    failure = None
    try:
        objects, not_objects, bad_keys, bad_fractions = con.execute(
            f"""
            select
                count(*),
                count(*) filter (where json_type(json) <> 'OBJECT'),
                count(*) filter (
                    where json_type(json) = 'OBJECT'
                    and list_sort(json_keys(json)) <> {keys}
                ),
                count(*) filter (where json_type(json) = 'OBJECT' and ({fraction_count}))
            from read_ndjson_objects(?)
            """,
            [str(path)],
        ).fetchall()[0]
        rows = con.execute(
            "select count(*), count(columns(*)) from read_json(?, "
            "format = 'newline_delimited', records = true, columns = ?)",
            [str(path), feed.duckdb_columns()],
        ).fetchall()[0][0]
    except duckdb.Error as error:
        failure = _duckdb_problem(error)
    else:
        if not (not_objects or bad_keys or bad_fractions or objects != lines or rows != lines):
            return FileCheck(rows)
    problem = _first_bad_json_line(path, feed)
    return FileCheck(None, problem or failure or "the lines do not match the declared keys")


def check_file(con: duckdb.DuckDBPyConnection, path: Path, feed: Feed) -> FileCheck:
    """Check one file against its feed's declaration; ``con`` is a scratch DuckDB connection."""
    if path.suffix != f".{feed.extension}":
        return FileCheck(
            None,
            f"unexpected extension {quoted(path.suffix or '(none)')}: "
            f"the {feed.source} feed sends .{feed.extension} files",
        )
    if path.stat().st_size == 0:
        return FileCheck(None, "empty file (0 bytes)")
    text_format = FORMAT_NAMES.get(feed.format, feed.format)
    if kind := _binary_kind(path):
        return FileCheck(
            None,
            f"binary ({kind}), not a {text_format} text file: send the .{feed.extension} "
            "file itself, as UTF-8 text (decompress or export it first)",
        )
    lines = _scan_lines(path)
    if lines.first_nul_line is not None:
        return FileCheck(
            None,
            f"line {lines.first_nul_line} holds a NUL byte (\\x00), which no text field may "
            f"hold: the file looks corrupt; send it again as {text_format} text",
        )
    if not lines.complete:
        return FileCheck(
            None,
            f"line {lines.count} does not end with a newline: the file looks truncated "
            "(every line, the last one too, must end with a newline)",
        )
    if feed.format == "csv":
        return _check_csv(con, path, feed)
    return _check_jsonl(con, path, feed, lines.count)
