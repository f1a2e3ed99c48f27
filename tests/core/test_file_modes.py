"""Files written atomically get the mode any new file gets (0666 minus the umask), not 0600."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dataops.core.files import copy_atomic, write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@given(mask=st.integers(min_value=0, max_value=0o777))
def test_an_atomic_write_has_the_mode_open_gives_under_any_umask(mask: int) -> None:
    previous = os.umask(mask)
    try:
        with tempfile.TemporaryDirectory() as folder:
            plain = Path(folder) / "plain.html"
            plain.write_bytes(b"<html></html>")
            written = Path(folder) / "report.html"
            write_atomic(written, b"<html></html>")
            copied = Path(folder) / "copy.html"
            copy_atomic(plain, copied)
            assert _mode(written) == _mode(plain) == 0o666 & ~mask
            assert _mode(copied) == _mode(plain)
    finally:
        os.umask(previous)


def test_the_usual_umask_gives_a_report_others_can_read(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_atomic(tmp_path / "index.html", b"<html></html>")
        write_atomic(tmp_path / "index.html", b"<html>again</html>")  # replaced, same mode
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "index.html") == 0o644
