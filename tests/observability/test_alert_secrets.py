"""The secrets of the alert URLs appear in no output of ``dataops alert``, ``--debug`` included.

The real 2013-01-01 is fed, with a flights file that ingest rejects (an empty
one): a problem to alert. ``dataops --debug alert`` then sends it, in a child
process as on a server, to four URLs holding distinct secrets: a JSON webhook
on 127.0.0.1 (a password, a token in its path, another in its query), one whose
host does not resolve, a Slack webhook and a mailto with a password (both fail).
Apprise and urllib3 log the URLs and paths they post to at debug level, and the
failures: none of it may show a secret. A property test checks the masking over
generated secrets in URLs of each shape.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import Feed
from dataops.ingest.run import ingest
from dataops.observability.alert_secrets import MASK, SecretFilter, mask_text, mask_url, secrets_of
from tests.observability.test_alerts import Webhook

ROOT = Path(__file__).parents[2]
DAY = date(2013, 1, 1)
EMPTY_FILE = "flights_2013-01-02.csv"
SECRETS = (
    "JSONPASSWORD7",
    "TOKENSECRET4",
    "QUERYTOKEN9",
    "TOKENSECRETB",
    "XXXXSECRET",
    "MAILPASSWORD3",
)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def rejected_file(project_env: Project, feeds: dict[str, Feed]) -> Project:
    """2013-01-01 and an empty flights file ingested into ci: the empty one rejected."""
    feed(feeds, project_env.inbox_dir, DAY, DAY)
    (project_env.inbox_dir / "flights" / EMPTY_FILE).write_bytes(b"")
    summary = ingest(project_env, "ci", settle_seconds=0)
    assert len(summary.rejected) == 1
    return project_env


def test_debug_alert_shows_no_secret_of_its_urls(rejected_file: Project, webhook: Webhook) -> None:
    port = webhook.server.server_address[1]
    urls = [
        f"json://hookuser:JSONPASSWORD7@127.0.0.1:{port}/hook/TOKENSECRET4?token=QUERYTOKEN9",
        "json://hooks.example/hook/TOKENSECRETB",
        "slack://T000/B000/XXXXSECRET",
        "mailto://alerts:MAILPASSWORD3@mail.example?smtp=127.0.0.1&port=9"
        "&from=alerts@example.com&to=ops@example.com",
    ]
    env = {**os.environ, "DATAOPS_ALERT_URLS": " ".join(urls)}

    done = subprocess.run(
        [sys.executable, "-m", "dataops.cli", "--debug", "alert", "--target", "ci"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr

    # the local webhook got the message; the three others failed
    (message,) = webhook.take()
    assert EMPTY_FILE in message["title"]
    assert done.returncode == 1, output
    assert "DEBUG" in output and "POST" in output  # Apprise's and urllib3's debug records
    leaked = [secret for secret in SECRETS if secret in output]
    assert leaked == [], output
    # each URL that failed is named, masked: its host shown
    assert "json://hooks.example/****" in output
    assert "slack://T...0/****" in output
    assert "mailto://alerts:****@mail.example:9?smtp=****&port=****" in output


# Secrets of upper-case letters and digits; hosts, users and path words of lower-case
# ones: a secret cannot be found in what is shown by chance.
SECRET = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=8, max_size=40)
WORD = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
HOST = st.builds(lambda name, top: f"{name}.{top}", WORD, st.sampled_from(["example", "test"]))
SECRET_KEY = st.sampled_from(["token", "key", "secret", "password", "apikey", "access_token"])


@st.composite
def url_with_secrets(draw: st.DrawFn) -> tuple[str, list[str], str | None]:
    """A URL of a supported shape, the secrets in it, and the host it must show."""
    host, user, word = draw(HOST), draw(WORD), draw(WORD)
    one, two, three = draw(SECRET), draw(SECRET), draw(SECRET)
    scheme = draw(st.sampled_from(["json", "jsons", "xml", "form"]))
    shapes = [
        (f"{scheme}://{user}:{one}@{host}/{word}/{two}", [one, two], host),
        (f"{scheme}://{host}/{word}/{one}?{draw(SECRET_KEY)}={two}", [one, two], host),
        (f"{scheme}://{host}:8080/{one}/{two}/{three}", [one, two, three], f"{host}:8080"),
        (f"slack://{one}/{two}/{three}", [one, two, three], None),
        (f"slack://{one}/{two}/{three}/#{word}", [one, two, three], None),
        (f"mailto://{user}:{one}@{host}", [one], host),
        (f"mailto://{user}:{one}@{host}?smtp=smtp.{host}&to={user}@{host}", [one], host),
        (f"discord://{one}/{two}", [one, two], None),
    ]
    return draw(st.sampled_from(shapes))


@settings(max_examples=300, deadline=None)
@given(url_with_secrets())
def test_a_masked_url_shows_no_secret(case: tuple[str, list[str], str | None]) -> None:
    url, secrets, host = case
    shown = mask_url(url)
    assert [secret for secret in secrets if secret in shown] == [], shown
    assert shown.split("://")[0] == url.split("://")[0]
    if host is not None:
        assert f"{host}/{MASK}" in shown or f"@{host}" in shown, shown
    # and in a text, as Apprise and urllib3 log it: the URL, its path alone, an error
    text = (
        f"Loaded URL: {url}\nPOST {url.split('://', 1)[1]} failed\n"
        f"Max retries exceeded with url: /{'/'.join(secrets)} ({url!r})"
    )
    masked = mask_text(text, secrets_of([url]))
    assert [secret for secret in secrets if secret in masked] == [], masked


@settings(max_examples=50, deadline=None)
@given(url_with_secrets())
def test_a_log_record_shows_no_secret(case: tuple[str, list[str], str | None]) -> None:
    url, secrets, _host = case
    try:
        raise ConnectionError(f"cannot post to {url}")
    except ConnectionError:
        record = logging.LogRecord(
            "apprise", logging.DEBUG, __file__, 1, "JSON POST URL: %s", (url,), sys.exc_info()
        )
    SecretFilter(secrets_of([url])).filter(record)
    formatted = logging.Formatter("%(message)s").format(record)
    assert [secret for secret in secrets if secret in formatted] == [], formatted
    assert "ConnectionError" in formatted


def test_the_debug_traceback_shows_no_secret_of_the_alert_urls(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exception whose text carries an alert URL, shown by --debug: masked, same exit code."""
    from dataops.cli import cli, main

    url = "json://hooks.example/hook/TOKENSECRET4"
    monkeypatch.setenv("DATAOPS_ALERT_URLS", url)

    @cli.command("raise-with-url", hidden=True)
    def raise_with_url() -> None:
        raise ConnectionError(f"cannot post to {url}\x1b[31m")

    try:
        assert main(["--debug", "raise-with-url"]) == 2
    finally:
        cli.commands.pop("raise-with-url")
    shown = capsys.readouterr().err
    assert "Traceback" in shown and "ConnectionError" in shown
    assert "TOKENSECRET4" not in shown and "\x1b" not in shown
