"""The report's lineage page: the dbt graph with each node's latest run and test status."""

from __future__ import annotations

STATUS_RANK = {"error": 4, "fail": 3, "runtime error": 4, "warn": 2, "skipped": 1}


def worst(statuses: list[str]) -> str:
    """The most severe of some statuses (error > fail > warn > skipped > pass/success)."""
    if not statuses:
        return "none"
    return max(statuses, key=lambda status: STATUS_RANK.get(status, 0))


def lineage(manifest: dict | None, nodes: dict, tests: dict, sources: dict) -> dict:
    """Models, snapshots, seeds, sources and exposures with their latest status and edges."""
    if manifest is None:
        return {"nodes": [], "edges": []}
    tests_of: dict[str, list[str]] = {}
    for test in tests.values():
        if test["model"]:
            tests_of.setdefault(test["model"], []).append(test["status"])
    graph_nodes, edges = [], []
    kinds = ("model", "snapshot", "seed")
    entries = [
        (uid, node) for uid, node in manifest["nodes"].items() if node["resource_type"] in kinds
    ]
    entries += list(manifest["sources"].items()) + list(manifest.get("exposures", {}).items())
    known = {uid for uid, _node in entries}
    for uid, node in entries:
        kind = node["resource_type"]
        run = nodes.get(uid, {})
        statuses = [run["status"]] if run.get("status") not in (None, "none") else []
        if kind == "source" and sources.get(uid, {}).get("status") not in (None, "none"):
            statuses.append(sources[uid]["status"])
        test_statuses = tests_of.get(uid, [])
        name = f"{node['source_name']}.{node['name']}" if kind == "source" else node["name"]
        graph_nodes.append(
            {
                "id": uid,
                "label": name,
                "kind": kind,
                "zone": node["fqn"][1] if kind == "model" and len(node["fqn"]) > 2 else kind,
                "status": worst(statuses + test_statuses),
                "run_status": run.get("status", "none"),
                "tests": {status: test_statuses.count(status) for status in set(test_statuses)},
            }
        )
        for parent in node.get("depends_on", {}).get("nodes", []):
            if parent in known:
                edges.append([parent, uid])
    return {"nodes": graph_nodes, "edges": edges}
