"""``dataops --help``: the commands in sections by what they are for, one wording of --target."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
from click.testing import CliRunner

from dataops.cli import cli
from dataops.cli.group import OTHER, SECTIONS, TARGET_DEFAULT

HEADING = re.compile(r"^(\S[^:]*):$")
ROW = re.compile(r"^  (\S+)\s+(\S.*)$")


def sections(text: str) -> dict[str, list[str]]:
    """The commands listed under each heading of a help text, in order."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if heading := HEADING.match(line):
            current = heading.group(1)
            found[current] = []
        elif current and (row := ROW.match(line)):
            found[current].append(row.group(1))
        elif not line.strip():
            current = None if current == "Options" else current
    found.pop("Options", None)
    return found


def help_text() -> str:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_listed_once_in_a_section() -> None:
    text = help_text()
    listed = sections(text)
    names = [name for rows in listed.values() for name in rows]
    visible = sorted(name for name, command in cli.commands.items() if not command.hidden)
    assert sorted(names) == visible
    assert list(listed) == [title for title, rows in SECTIONS if rows]
    assert all(len(line) <= 80 for line in text.splitlines()), text
    # the benchmarks are apart from the daily commands, together
    bench = [name for name in names if name.startswith("bench")]
    assert bench and {section for section, rows in listed.items() if set(bench) & set(rows)} == {
        "Scale and benchmarks"
    }
    assert listed["Daily pipeline"][:1] == ["demo"]


def test_a_command_added_later_falls_into_the_last_section() -> None:
    @click.command(name="zz-later")
    def later() -> None:
        """A command a family added after the sections were written. More text."""

    cli.add_command(later)
    try:
        listed = sections(help_text())
    finally:
        cli.commands.pop("zz-later")
    assert list(listed)[-1] == OTHER and listed[OTHER] == ["zz-later"]


def test_the_examples_name_commands_that_exist() -> None:
    text = help_text()
    examples = text.split("Examples:", 1)[1].splitlines()
    commands = [line.split()[1] for line in examples if line.strip().startswith("dataops ")]
    assert len(commands) >= 5
    assert set(commands) <= set(cli.commands)


def options(command: click.Command, path: str = "dataops") -> Iterator[tuple[str, click.Option]]:
    """Every option of every command and subcommand, with the command's path."""
    for parameter in command.params:
        if isinstance(parameter, click.Option):
            yield path, parameter
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from options(sub, f"{path} {name}")


def test_every_target_option_words_its_default_the_same_way() -> None:
    targets = [
        (path, option)
        for path, option in options(cli)
        if "--target" in option.opts and not isinstance(option.default, str)
    ]
    assert len(targets) >= 8
    worded = {path: option.help for path, option in targets}
    assert all(help_ and help_.endswith(f"({TARGET_DEFAULT}).") for help_ in worded.values()), (
        worded
    )
    assert not [path for path, help_ in worded.items() if "profiles.yml" in (help_ or "")]
    # a --target with a default of its own (a target name) shows it, the click way
    for path, option in options(cli):
        if "--target" in option.opts and isinstance(option.default, str):
            assert option.show_default, path
