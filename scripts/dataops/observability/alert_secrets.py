"""The secrets of the alert URLs kept out of every output, ``--debug`` included.

An Apprise URL holds its credentials: a password (``mailto://user:PASSWORD@host``),
tokens where a host or path segments would be (``slack://T000/B000/XXXX``,
``json://host/hook/TOKEN``), query values (``?token=...``). What is shown of a
URL is ``mask_url``'s: the scheme, the user and the host as Apprise's privacy mode
prints them (``plugin.url(privacy=True)``: it knows which parts of each service's
URL are secret, and shows of a token at most its ends, ``T...0``), then the
password, the whole path and every query value as ``****``, since what Apprise
shows of a generic webhook's path can be a token.

Apprise logs the URLs it sends to, and urllib3 the paths it posts, at debug level
and in its errors: ``masking(urls)``, around every send, puts a ``SecretFilter``
on the handlers of the root logger and on the loggers of Apprise, urllib3 and the
alerts. It replaces, in each record's message, traceback and stack, every piece of
those URLs that ``mask_url`` hides (pieces of at least ``MIN_SECRET`` characters:
a shorter one would blank ordinary words) and masks any URL it finds.
The Apprise logger keeps a filter that masks URLs at all times.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import unquote

import apprise

MASK = "****"
MIN_SECRET = 4
# The loggers whose records may carry a URL of an alert: a filter on a logger sees the
# records created there only, hence the filter on the root logger's handlers too.
LOGGERS = (
    "apprise",
    "urllib3",
    "urllib3.connectionpool",
    "requests",
    "dataops.observability.alerts",
    "dataops.observability.alert_messages",
    "dataops.observability.alert_pipeline",
    "dataops.observability.alert_problems",
)
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$", re.S)
# a URL inside a text: up to a space, a quote or a bracket
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>()\[\]{}`]+")


def _split(rest: str) -> tuple[str, str, str]:
    """Authority, path and query of what follows ``scheme://``."""
    query = ""
    if "?" in rest:
        rest, query = rest.split("?", 1)
    authority, slash, path = rest.partition("/")
    return authority, slash + path, query


def _masked_authority(authority: str) -> str:
    """``user:****@host:port``; a user alone is kept, as Apprise's privacy mode keeps it."""
    if "@" not in authority:
        return authority
    userinfo, host = authority.rsplit("@", 1)
    user, colon, _password = userinfo.partition(":")
    return f"{user}{':' + MASK if colon else ''}@{host}"


def _masked_query(query: str) -> str:
    pairs = [pair for pair in re.split(r"[&;]", query) if pair]
    return "&".join(f"{pair.split('=', 1)[0]}={MASK}" if "=" in pair else MASK for pair in pairs)


def _generic(scheme: str, authority: str, path: str, query: str) -> str:
    shown = f"{scheme}://{authority}"
    if path.strip("/"):
        shown += f"/{MASK}"
    if query:
        shown += f"?{_masked_query(query)}"
    return shown


def instantiate(url: str) -> apprise.plugins.NotifyBase | None:
    """Apprise's plugin for ``url``, or None; Apprise logs nothing of it meanwhile."""
    quiet = logging.getLogger("apprise")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # it would log the URL it cannot read, whole
    try:
        return apprise.Apprise.instantiate(url)
    finally:
        quiet.setLevel(level)


def mask_url(url: str) -> str:
    """``url`` as it may be shown: scheme, user and host; password, path and query values masked.

    A URL Apprise cannot read shows its scheme only: where its secrets are is unknown.
    """
    match = _URL.match(url.strip())
    if match is None:
        return MASK
    scheme, rest = match.group("scheme"), match.group("rest")
    plugin = instantiate(url.strip())
    if plugin is None:
        return f"{scheme}://{MASK}"
    private = _URL.match(plugin.url(privacy=True))
    authority = _split(private.group("rest"))[0] if private else MASK
    _authority, path, query = _split(rest)
    return _generic(scheme, _masked_authority(authority), path, query)


def _mask_urls_in(text: str) -> str:
    def masked(match: re.Match[str]) -> str:
        url = match.group().rstrip(",.;:")  # the punctuation of the sentence stays
        found = _URL.match(url)
        if found is None:
            return match.group()
        authority, path, query = _split(found.group("rest"))
        shown = _generic(found.group("scheme"), _masked_authority(authority), path, query)
        return shown + match.group()[len(url) :]

    return _URL_IN_TEXT.sub(masked, text)


def secrets_of(urls: Iterable[str]) -> set[str]:
    """The pieces of ``urls`` that ``mask_url`` hides, as written and URL-decoded."""
    urls = [url.strip() for url in urls if url.strip()]
    # what is shown of one URL is no secret in another (an SMTP host that is a webhook's)
    shown = " ".join(mask_url(url) for url in urls)
    found: set[str] = set()
    for url in urls:
        match = _URL.match(url)
        if match is None:
            found.add(url)
            continue
        authority, path, query = _split(match.group("rest"))
        pieces = [segment for segment in path.split("/") if segment]
        pieces += [pair.split("=", 1)[-1] for pair in re.split(r"[&;]", query) if pair]
        userinfo, _at, host = authority.rpartition("@")
        user, _colon, password = userinfo.partition(":")
        pieces += [password, user, host]
        for piece in pieces:
            found.update(
                text
                for text in (piece, unquote(piece))
                if len(text) >= MIN_SECRET and text not in shown
            )
    return found


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each of ``secrets`` (longest first) and every URL's secrets masked."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _mask_urls_in(text)


class SecretFilter(logging.Filter):
    """Masks the message, the traceback and the stack of every record (``mask_text``)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = frozenset(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit: its format string only
            message = str(record.msg)
        record.msg, record.args = mask_text(message, self.secrets), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        if record.exc_info or record.exc_text:
            # the text is kept, masked; the exception itself would be formatted again
            record.exc_info = None
            record.exc_text = mask_text(record.exc_text or "", self.secrets)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info, self.secrets)
        return True


def _where() -> list[logging.Filterer]:
    return [*logging.getLogger().handlers, *(logging.getLogger(name) for name in LOGGERS)]


@contextmanager
def masking(urls: Sequence[str]) -> Iterator[None]:
    """For the length of a send to ``urls``: no log record shows a secret of theirs."""
    secret_filter = SecretFilter(secrets_of(urls))
    where = _where()
    for item in where:
        item.addFilter(secret_filter)
    try:
        yield
    finally:
        for item in where:
            item.removeFilter(secret_filter)


def install() -> None:
    """The Apprise logger masks the URLs in its records at all times (idempotent)."""
    logger = logging.getLogger("apprise")
    if not any(isinstance(item, SecretFilter) for item in logger.filters):
        logger.addFilter(SecretFilter())
