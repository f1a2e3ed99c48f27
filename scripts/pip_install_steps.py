"""``pip install`` with a line per step on the terminal and pip's whole output in a log file.

Usage: python scripts/pip_install_steps.py LOG_FILE PIP_INSTALL_ARGUMENTS...

The Makefile's install targets run it with the venv's Python, before the project is installed,
so it uses the standard library only. pip itself is either silent (``--quiet``: minutes without
a word on a first install) or prints hundreds of lines; this prints a line when pip starts
resolving, every STEP packages it has collected, when it starts installing and when it is done,
each with the time since the start. pip's exit code is this script's; on a failure the last
lines of the log are printed, with its path.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import deque
from pathlib import Path

# A line every STEP packages collected (about 150 on a first install of the dev extra).
STEP = 25
# How pip begins the line of each package it resolves: from an index, from a file or a
# folder (a wheel of a local index, the project itself with -e), or one already there.
RESOLVED = ("Collecting ", "Processing ", "Obtaining ", "Requirement already satisfied: ")
TAIL = 20


def main(arguments: list[str]) -> int:
    if len(arguments) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    log_file = Path(arguments[0])
    log_file.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "install", "--progress-bar", "off", *arguments[1:]]
    started = time.monotonic()

    def step(text: str) -> None:
        print(f"  {time.monotonic() - started:5.0f} s  {text}", flush=True)

    collected = 0
    installing = False
    last: deque[str] = deque(maxlen=TAIL)  # this run's last lines, for a failure
    step(f"pip install {' '.join(arguments[1:])} (pip's output: {log_file})")
    with log_file.open("a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n")
        with subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as pip:
            assert pip.stdout is not None
            for line in pip.stdout:
                log.write(line)
                last.append(line.rstrip("\n"))
                if line.startswith(RESOLVED):
                    collected += 1
                    if collected % STEP == 0:
                        words = line.split(" ", 1)[1].removeprefix("already satisfied: ").split()
                        step(f"{collected} packages resolved (now {Path(words[0]).name})")
                elif line.startswith("Installing collected packages:") and not installing:
                    installing = True
                    count = len(line.split(":", 1)[1].split(","))
                    step(f"{collected} packages resolved; installing {count}")
        code = pip.returncode
    if code != 0:
        print("\n".join(last), file=sys.stderr)
        print(f"pip install failed (exit {code}); its whole output: {log_file}", file=sys.stderr)
        return code
    step(f"done: {collected} packages resolved, {'installed' if installing else 'none new'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
