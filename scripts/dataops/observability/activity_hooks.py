"""What each recorded command adds to its activity entry (``activity.recorded``'s hooks).

- publish: prod's record (``publish.json``) signed with the entry's actor, host
  and commit; the OpenLineage events of the candidate's build (when enabled);
- rollback: when the version now in prod was published;
- build: the OpenLineage events of the build (when enabled);
- alert: the problems the check opened and resolved, each resolved one with the
  time it opened (the alert state, ``alerts.state_path``): the figures of the
  Activity page measure alert-to-resolution from them;
- train and model rollback: the champion version before and after (a train that
  went through promoted the one after).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from dataops.core.files import write_atomic
from dataops.core.project import Project
from dataops.delivery import publish as publish_module
from dataops.observability.activity import OK, Entry

log = logging.getLogger(__name__)

SIGNATURE = ("actor", "host", "commit", "dirty")
MODEL_REGISTRY = "model registry"


def prod(_project: Project, _options: Mapping[str, Any]) -> str:
    return publish_module.PROD


def sandbox(_project: Project, options: Mapping[str, Any]) -> str:
    return f"sandbox:{options.get('name')}"


def model_registry(_project: Project, _options: Mapping[str, Any]) -> str:
    return MODEL_REGISTRY


def _fresh(target_dir: Path, entry: Entry) -> bool:
    """Whether this entry's run wrote the artifacts in ``target_dir`` (not an earlier run)."""
    results = target_dir / "run_results.json"
    if not results.is_file():
        return False
    started = datetime.fromisoformat(entry.started_at).timestamp()
    return results.stat().st_mtime >= started - 1


def _lineage(entry: Entry, target: str, target_dir: Path) -> None:
    if not _fresh(target_dir, entry):
        return
    # imported here: every command's start-up stays free of sqlglot (the column lineage)
    from dataops.catalog import openlineage

    emitted = openlineage.emit_if_enabled(entry.project, target, target_dir)
    if emitted is not None:
        entry.details["openlineage"] = {
            "events": emitted.events,
            "to": emitted.destination,
            "seconds": emitted.seconds,
        }


def sign_publish_record(places: publish_module.Places, entry: Entry) -> dict | None:
    """Add who published, from where and from which code to prod's ``publish.json``.

    Under the publish lock, and only if the record is this publish's (published
    after the entry started and not signed yet): a rollback in between is left alone.
    """
    path = places.prod_artifacts / publish_module.RECORD
    with publish_module.publish_lock(places):
        if not path.is_file():
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
        published_at = str(record.get("published_at") or "")
        if "actor" in record or published_at < entry.started_at[:19]:
            return None
        record.update({key: entry.who.get(key) for key in SIGNATURE})
        record["activity_run_id"] = entry.run_id
        write_atomic(path, (json.dumps(record, indent=2) + "\n").encode("utf-8"))
        return record


def after_publish(entry: Entry, outcome: str) -> None:
    places = publish_module.Places.of(entry.project)
    if outcome == OK:
        record = sign_publish_record(places, entry)
        if record is not None:
            entry.details["published_at"] = record.get("published_at")
            entry.details["files_ingested"] = record.get("files_ingested")
            entry.details["log_rows_carried_over"] = record.get("log_rows_carried_over")
        _lineage(entry, publish_module.PROD, places.prod_artifacts)
    else:
        _lineage(entry, publish_module.CANDIDATE, places.candidate_artifacts / "target")


def after_rollback(entry: Entry, outcome: str) -> None:
    if outcome != OK:
        return
    path = publish_module.Places.of(entry.project).prod_artifacts / publish_module.RECORD
    if path.is_file():
        record = json.loads(path.read_text(encoding="utf-8"))
        entry.details["prod_published_at"] = record.get("published_at")
        entry.details["prod_published_by"] = record.get("actor")


def after_build(entry: Entry, _outcome: str) -> None:
    if entry.target:
        _lineage(entry, entry.target, entry.project.root / "target")


def _alert_state(project: Project, target: str | None) -> dict:
    """The problems open in a target's alert state (``alerts.load_state``)."""
    from dataops.observability import alerts  # imported here: it loads the report (pandas)

    if target is None:
        return {}
    state = alerts.load_state(alerts.state_path(project, target))
    return {key: value for key, value in state["open"].items() if isinstance(value, dict)}


def before_alert(entry: Entry) -> None:
    entry.details["_open_before"] = _alert_state(entry.project, entry.target)


def after_alert(entry: Entry, _outcome: str) -> None:
    before = entry.details.pop("_open_before", {})
    after = _alert_state(entry.project, entry.target)
    entry.details["opened"] = sorted(set(after) - set(before))
    entry.details["resolved"] = [
        {"key": key, "opened_at": before[key].get("opened_at")}
        for key in sorted(set(before) - set(after))
    ]
    entry.details["open"] = len(after)


def _champion(project: Project) -> str | None:
    """The champion's version in the model registry (None: no registry, no champion)."""
    from dataops.ml import registry, settings

    try:
        found = registry.champion(project.warehouse_dir, settings.load(project.root).model_name)
    except Exception as error:  # MLflow's errors too: recording never fails a command
        log.warning("activity: the champion not read (%s)", error)
        return None
    return None if found is None else str(found.version)


def before_model(entry: Entry) -> None:
    entry.details["champion_before"] = _champion(entry.project)


def after_model(entry: Entry, _outcome: str) -> None:
    entry.details["champion"] = _champion(entry.project)
