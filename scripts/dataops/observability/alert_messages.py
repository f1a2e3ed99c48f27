"""The alert messages, and their delivery through Apprise (or to the log).

One message per event: a problem opened, changed or resolved; problems of one
group that open together (the periods one anomaly test flagged, files rejected
in one run) share a message. A message says what, where, the counts, the table
of the failing rows and the report's file, in Markdown that Apprise renders for
each service (a JSON webhook receives it as ``message``, with ``title`` and
``type``: failure, warning or success).

A URL holds its service's secrets: nothing here shows more of it than
``alert_secrets.mask_url`` does, and every record logged while sending (by
Apprise, urllib3 or dataops, at any level) goes through ``alert_secrets.masking``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import apprise

from dataops.core.errors import DataOpsError
from dataops.observability import alert_secrets
from dataops.observability.alert_problems import Problem

log = logging.getLogger(__name__)
alert_secrets.install()

URLS_VARIABLE = "DATAOPS_ALERT_URLS"
OPENED, CHANGED, RESOLVED = "opened", "changed", "resolved"
NOTIFY_TYPES = {
    "error": apprise.NotifyType.FAILURE,
    "warn": apprise.NotifyType.WARNING,
    "info": apprise.NotifyType.SUCCESS,
}


@dataclass(frozen=True)
class Message:
    """One notification about one problem, or one group of problems."""

    event: str
    title: str
    body: str
    keys: tuple[str, ...]
    severity: str


def alert_urls(text: str | None = None) -> list[str]:
    """The Apprise URLs of ``text`` (default: DATAOPS_ALERT_URLS), each checked.

    A URL Apprise cannot read is named by its position and scheme only: the rest
    of an address can hold a token or a password, which is never printed.
    """
    value = os.environ.get(URLS_VARIABLE, "") if text is None else text
    urls = [item for item in re.split(r"[,\s]+", value) if item]
    for number, url in enumerate(urls, start=1):
        if alert_secrets.instantiate(url) is None:
            scheme = url.split("://", 1)[0] + "://..." if "://" in url else "no scheme"
            raise DataOpsError(
                f"{URLS_VARIABLE}: URL {number} of {len(urls)} ({scheme}) is not an address"
                " Apprise can send to",
                "fix it: slack://..., msteams://..., mailto://..., json://host:port/path"
                " (Apprise's documentation lists every service)",
            )
    return urls


def _facts(lines: Iterable[tuple[str, str]]) -> list[str]:
    """One line per fact; a fact without a label continues the one before it."""
    return [f"- {label}: {text}" if label else f"  {text}" for label, text in lines]


def _by_group(items: Iterable, group_of, key_of) -> list[list]:
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(group_of(item) or key_of(item), []).append(item)
    return list(groups.values())


def _more(title: str, count: int) -> str:
    return title if count == 1 else f"{title} (and {count - 1} more)"


def compose(
    target: str,
    context: Sequence[tuple[str, str]],
    opened: Sequence[Problem],
    changed: Sequence[Problem],
    resolved: Sequence[tuple[str, dict]],
) -> list[Message]:
    """The messages of one check; ``context`` (target, report) ends every one."""
    footer = ["", *_facts(context)]
    messages = []
    for event, problems in ((OPENED, opened), (CHANGED, changed)):
        label = "problem" if event == OPENED else "changed"
        for group in _by_group(problems, lambda item: item.group, lambda item: item.key):
            lines: list[str] = []
            previous: tuple = ()
            for problem in group:
                lines.append(problem.title)
                if problem.facts != previous:  # the periods of one test share its facts
                    lines.extend(_facts(problem.facts))
                previous = problem.facts
            severity = "error" if any(item.severity == "error" for item in group) else "warn"
            messages.append(
                Message(
                    event,
                    f"[dataops {target}] {label}: {_more(group[0].title, len(group))}",
                    "\n".join(lines + footer),
                    tuple(problem.key for problem in group),
                    severity,
                )
            )
    groups = _by_group(resolved, lambda item: item[1].get("group"), lambda item: item[0])
    for group in groups:
        subject = group[0][1].get("subject") or group[0][1]["title"]
        lines = [
            f"no longer open: {record['title']} (open since {record.get('opened_at', '?')})"
            for _key, record in group
        ]
        messages.append(
            Message(
                RESOLVED,
                f"[dataops {target}] resolved: {_more(subject, len(group))}",
                "\n".join(lines + footer),
                tuple(key for key, _record in group),
                "info",
            )
        )
    return messages


def deliver(
    messages: Sequence[Message], urls: Sequence[str]
) -> tuple[list[Message], list[Message]]:
    """Send each message to every URL (to the log without one): the delivered, the others.

    A message is delivered when every URL took it; the URLs that did not are logged,
    masked (``alert_secrets.mask_url``).
    """
    if not urls:
        for message in messages:
            level = logging.INFO if message.event == RESOLVED else logging.WARNING
            log.log(level, "%s\n%s", message.title, message.body)
        return list(messages), []
    delivered, undelivered = [], []
    with alert_secrets.masking(urls):
        senders = []
        for url in urls:
            sender = apprise.Apprise()
            sender.add(url)
            senders.append((alert_secrets.mask_url(url), sender))
        log.debug("sending to %s", ", ".join(shown for shown, _sender in senders))
        for message in messages:
            failed = [
                shown
                for shown, sender in senders
                if not sender.notify(
                    body=message.body,
                    title=message.title,
                    notify_type=NOTIFY_TYPES[message.severity],
                    body_format=apprise.NotifyFormat.MARKDOWN,
                )
            ]
            if failed:
                log.error(
                    "alert not delivered to %s (sent again next time): %s",
                    ", ".join(failed),
                    message.title,
                )
                undelivered.append(message)
            else:
                delivered.append(message)
    return delivered, undelivered
