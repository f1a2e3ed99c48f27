/* The Operations page: memory and disk per run, zone sizes over time, growth against the
   budgets, the slowest steps (window.REPORT.operations, dataops.observability.report_operations). */
(function () {
  "use strict";
  window.REPORT_PAGES = window.REPORT_PAGES || {};
  function mb(bytes) { return bytes === null || bytes === undefined ? null : bytes / 1e6; }
  function mbText(bytes) { return bytes === null || bytes === undefined ? "" : (bytes / 1e6).toFixed(1) + " MB"; }
  window.REPORT_PAGES.operations = function (kit) {
    var data = kit.R.operations || { runs: [], zones: [], trends: [], slowest: [] };
    var runs = data.runs;
    var labels = runs.map(function (r, i) { return "#" + (i + 1) + " " + r.command + " " + (r.ended_at || "").slice(0, 16); });
    var last = runs[runs.length - 1];
    var cards = kit.$("operations-counters");
    cards.innerHTML = "";
    [["runs recorded", kit.fmt(runs.length)],
     ["warehouse", last ? mbText(last.warehouse_bytes) : ""],
     ["landing", last ? mbText(last.landing_bytes) + " in " + kit.fmt(last.landing_files) + " files" : ""],
     ["latest peak memory", last ? mbText(last.peak_rss_bytes) : ""]].forEach(function (card) {
      var box = kit.make("div", { "class": "card" }, cards);
      kit.make("div", { "class": "value" }, box, card[1]);
      kit.make("div", { "class": "label" }, box, card[0]);
    });
    function series(field, name) {
      return { type: "scatter", mode: "lines+markers", name: name, x: labels,
        y: runs.map(function (r) { return mb(r[field]); }) };
    }
    var limit = runs.map(function (r) {
      return r.duckdb_memory_limit_bytes ? mb(r.duckdb_memory_limit_bytes * (r.memory_alert_share || 0.8)) : null;
    });
    Plotly.newPlot("chart-operations-memory", [series("peak_rss_bytes", "process tree (RSS)"),
      series("peak_duckdb_memory_bytes", "DuckDB"), series("peak_spill_bytes", "spilled"),
      { type: "scatter", mode: "lines", name: "alert line (share of DuckDB's limit)", x: labels, y: limit,
        line: { dash: "dot", color: "#c62828" } }],
      kit.layout({ yaxis: { title: { text: "MB" } }, xaxis: { showticklabels: false } }), kit.CONFIG);
    Plotly.newPlot("chart-operations-disk", [series("warehouse_bytes", "warehouse file"),
      series("landing_bytes", "landing folder")],
      kit.layout({ yaxis: { title: { text: "MB" } }, xaxis: { showticklabels: false } }), kit.CONFIG);
    var zones = {};
    data.zones.forEach(function (z) { (zones[z.zone] = zones[z.zone] || []).push(z); });
    Plotly.newPlot("chart-operations-zones", Object.keys(zones).sort().map(function (name) {
      return { type: "scatter", mode: "lines+markers", stackgroup: "zones", name: name,
        x: zones[name].map(function (z) { return z.recorded_at; }),
        y: zones[name].map(function (z) { return mb(z.bytes); }) };
    }), kit.layout({ yaxis: { title: { text: "MB" } } }), kit.CONFIG);
    Plotly.newPlot("chart-operations-time", [
      { type: "bar", name: "wall", x: labels, y: runs.map(function (r) { return r.wall_seconds; }) },
      { type: "bar", name: "CPU", x: labels, y: runs.map(function (r) { return r.cpu_seconds; }) }],
      kit.layout({ yaxis: { title: { text: "seconds" } }, xaxis: { showticklabels: false } }), kit.CONFIG);
    kit.table(kit.$("operations-trends"), ["store", "target", "size", "budget", "growth a day", "meets the budget on", "runs"],
      data.trends.map(function (t) {
        return [t.label, t.target, mbText(t.size_bytes), mbText(t.budget_bytes),
          t.bytes_per_day === null ? "" : mbText(t.bytes_per_day), t.meets_budget_on || "not at this rate", t.runs];
      }));
    kit.table(kit.$("operations-slowest"), ["node", "kind", "zone", "status", "seconds", "rows", "started"],
      data.slowest.map(function (n) {
        return [n.name, n.resource_type, n.schema_name, { badge: n.status || "none" },
          kit.seconds(n.duration_seconds), n.rows_affected, n.started_at];
      }));
    kit.table(kit.$("operations-runs"), ["ended", "command", "target", "status", "wall", "CPU", "peak RSS", "peak DuckDB", "DuckDB limit", "spilled", "warehouse", "landing"],
      runs.slice().reverse().map(function (r) {
        return [r.ended_at, r.command, r.target, { badge: r.status }, kit.seconds(r.wall_seconds), kit.seconds(r.cpu_seconds),
          mbText(r.peak_rss_bytes), mbText(r.peak_duckdb_memory_bytes), mbText(r.duckdb_memory_limit_bytes),
          mbText(r.peak_spill_bytes), mbText(r.warehouse_bytes), mbText(r.landing_bytes)];
      }));
  };
})();
