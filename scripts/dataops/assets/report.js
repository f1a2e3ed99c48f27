/* Observability report: renders window.REPORT (built by dataops report) with plotly.js
   and dag.js. Each page is drawn the first time it is shown (plotly sizes charts from
   their visible container). */
(function () {
  "use strict";
  var R = window.REPORT;
  var COLORS = { pass: "#2e8b57", success: "#2e8b57", warn: "#e0a100", fail: "#c62828",
    error: "#7f0000", "runtime error": "#7f0000", skipped: "#90a4ae", none: "#cfd8dc" };
  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["toImage"] };
  var drawn = {};

  function $(id) { return document.getElementById(id); }
  function make(tag, attrs, parent, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function badge(status, parent) {
    return make("span", { "class": "badge " + String(status).replace(" ", "-") }, parent, status);
  }
  function fmt(n) { return n === null || n === undefined ? "" : Number(n).toLocaleString("en"); }
  function seconds(s) { return s === null || s === undefined ? "" : Number(s).toFixed(2) + " s"; }
  function runLabel(i) {
    var run = R.invocations[i];
    return run ? "#" + (i + 1) + " " + run.command + " " + (run.started_at || "").replace("T", " ").slice(0, 16) : "";
  }
  function runAxis() {
    return { title: { text: "run" }, dtick: Math.max(1, Math.ceil(R.invocations.length / 10)) };
  }
  function layout(extra) {
    var base = { margin: { l: 50, r: 12, t: 10, b: 40 }, font: { size: 11 }, paper_bgcolor: "#fff",
      plot_bgcolor: "#fff", legend: { orientation: "h", y: -0.28 } };
    Object.keys(extra || {}).forEach(function (k) { base[k] = extra[k]; });
    return base;
  }
  function table(target, headers, rows, onClick, ids) {
    target.innerHTML = "";
    if (!rows.length) { make("caption", { "class": "empty" }, target, "nothing to show"); return; }
    var head = make("tr", {}, make("thead", {}, target));
    headers.forEach(function (h) { make("th", {}, head, h); });
    var body = make("tbody", {}, target);
    rows.forEach(function (cells, i) {
      var tr = make("tr", {}, body);
      cells.forEach(function (cell) {
        var td = make("td", {}, tr);
        if (cell && cell.badge !== undefined) badge(cell.badge, td);
        else if (typeof cell === "number") { td.className = "num"; td.textContent = fmt(cell); }
        else td.textContent = cell === null || cell === undefined ? "" : cell;
      });
      if (onClick) tr.addEventListener("click", function () {
        Array.prototype.forEach.call(body.children, function (r) { r.classList.remove("selected"); });
        tr.classList.add("selected");
        onClick(ids ? ids[i] : cells);
      });
    });
  }
  function values(o) { return Object.keys(o).map(function (k) { var v = o[k]; v.id = k; return v; }); }
  function isAnomaly(t) { return t.anomaly !== null && t.anomaly !== undefined || /anomal/.test(t.short_name || ""); }
  // known gaps of the real data (seeds/known_data_gaps.csv): recorded, shown with their reason, not counted
  function knownGaps(t) { return (R.known_gaps || {})[t.id] || { periods: {}, open: -1 }; }
  function onlyKnownGaps(t) { return knownGaps(t).open === 0; }
  function count(list, key) {
    var out = {};
    list.forEach(function (x) { out[x[key]] = (out[x[key]] || 0) + 1; });
    return out;
  }

  /* ---------- dashboard ---------- */
  function dashboard() {
    var tests = values(R.tests), nodes = values(R.nodes), sources = values(R.sources);
    var byStatus = count(tests, "status");
    var freshness = count(sources, "status");
    var last = R.invocations.length - 1;
    var lastChanges = R.schema_changes.filter(function (c) { return c.run === last; }).length;
    var volumeTests = tests.filter(function (t) { return /volume/.test(t.short_name || "") && t.status !== "pass" && !onlyKnownGaps(t); });
    var anomalyTests = tests.filter(function (t) { return isAnomaly(t) && t.status !== "pass" && !onlyKnownGaps(t); });
    var volumeAlerts = volumeTests.length, anomalies = anomalyTests.length;
    // red for a failed or errored test only: an anomaly test of severity warn is a warning
    function health(list) {
      return !list.length ? "good" : list.some(function (t) { return t.status === "fail" || t.status === "error"; }) ? "bad" : "warn";
    }
    var failing = (byStatus.fail || 0) + (byStatus.error || 0);
    var cards = [
      ["runs recorded", R.invocations.length, ""],
      ["tests passed", byStatus.pass || 0, "good"],
      ["tests warned", byStatus.warn || 0, byStatus.warn ? "warn" : "good"],
      ["tests failed or errored", failing, failing ? "bad" : "good"],
      ["tables", nodes.length, ""],
      ["tables failing", nodes.filter(function (n) { return n.status === "error"; }).length, ""],
      // no source checked yet: say so, neither a count nor a colour of health
      ["sources fresh", sources.length ? freshness.pass || 0 : "not checked",
        !sources.length ? "warn" : (freshness.pass || 0) === sources.length ? "good" : ""],
      ["sources stale (warn/error)", sources.length ? (freshness.warn || 0) + (freshness.error || 0) + (freshness["runtime error"] || 0) : "not checked",
        !sources.length ? "" : (freshness.error || freshness["runtime error"]) ? "bad" : freshness.warn ? "warn" : "good"],
      ["volume alerts", volumeAlerts, health(volumeTests)],
      ["schema changes (latest run)", lastChanges, lastChanges ? "warn" : "good"],
      ["schema changes (all runs)", R.schema_changes.length, ""],
      ["anomalies flagged", anomalies, health(anomalyTests)]
    ];
    var box = $("counters");
    cards.forEach(function (c) {
      var card = make("div", { "class": "card " + c[2], "data-counter": c[0] }, box);
      make("div", { "class": "value" }, card, typeof c[1] === "string" ? c[1] : fmt(c[1]));
      make("div", { "class": "label" }, card, c[0]);
    });
    var statuses = ["pass", "warn", "fail", "error", "skipped"];
    Plotly.newPlot("chart-test-status", [{ type: "pie", hole: 0.55, sort: false, textposition: "inside",
      labels: statuses, values: statuses.map(function (s) { return byStatus[s] || 0; }),
      marker: { colors: statuses.map(function (s) { return COLORS[s]; }) } }], layout(), CONFIG);
    var perRun = R.invocations.map(function () { return {}; });
    tests.forEach(function (t) {
      t.history.forEach(function (h) { perRun[h[0]][h[1]] = (perRun[h[0]][h[1]] || 0) + 1; });
    });
    var runs = R.invocations.map(function (_r, i) { return i + 1; });
    Plotly.newPlot("chart-test-trend", statuses.map(function (s) {
      return { type: "bar", name: s, x: runs, y: perRun.map(function (p) { return p[s] || 0; }),
        marker: { color: COLORS[s] }, hovertext: runs.map(function (r) { return runLabel(r - 1); }) };
    }), layout({ barmode: "stack", xaxis: runAxis() }), CONFIG);
    Plotly.newPlot("chart-run-duration", [{ type: "scatter", mode: "lines+markers", x: runs,
      y: R.invocations.map(function (r) { return r.seconds; }),
      text: R.invocations.map(function (_r, i) { return runLabel(i); }),
      marker: { color: R.invocations.map(function (r) { return COLORS[r.status] || "#1f77b4"; }) } }],
      layout({ xaxis: runAxis(), yaxis: { title: { text: "seconds" } } }), CONFIG);
    var marts = values(R.volumes).filter(function (v) { return /marts/.test(v.relation); });
    Plotly.newPlot("chart-volumes", marts.map(function (v) {
      return { type: "scatter", mode: "lines", name: v.relation.split(".").pop().replace(/"/g, ""),
        x: v.counts.map(function (c) { return c[0] + 1; }), y: v.counts.map(function (c) { return c[1]; }) };
    }), layout({ xaxis: runAxis(), yaxis: { title: { text: "rows" } }, showlegend: false }), CONFIG);
    var testsOf = {};
    tests.forEach(function (t) { if (t.model) (testsOf[t.model] = testsOf[t.model] || []).push(t.status); });
    var rank = { error: 4, fail: 3, warn: 2, skipped: 1 };
    function worst(list) {
      return (list || []).reduce(function (w, s) { return (rank[s] || 0) > (rank[w] || 0) ? s : w; }, list && list.length ? "pass" : "none");
    }
    var health = nodes.sort(function (a, b) { return a.schema < b.schema ? -1 : a.schema > b.schema ? 1 : a.name < b.name ? -1 : 1; })
      .map(function (n) {
        var v = R.volumes[n.id], counts = v ? v.counts : [], rows = counts.length ? counts[counts.length - 1][1] : null;
        var before = counts.length > 1 ? counts[counts.length - 2][1] : null;
        return [n.schema, n.name, { badge: n.status }, { badge: worst(testsOf[n.id]) }, (testsOf[n.id] || []).length,
          rows, before === null || rows === null ? "" : (rows - before >= 0 ? "+" : "") + fmt(rows - before), seconds(n.seconds)];
      });
    table($("tables-health"), ["zone", "table", "latest run", "tests", "tests (count)", "rows", "since previous run", "duration"], health);
    coverage();
    table($("schema-changes"), ["run", "node", "change", "column", "previous type", "type", "detected at"],
      R.schema_changes.slice(0, 200).map(function (c) {
        return [runLabel(c.run), c.node.split(".").pop(), c.change, c.column, c.previous_type, c.type, c.detected_at];
      }));
  }

  /* ---------- test results ---------- */
  function tests() {
    var all = values(R.tests).sort(function (a, b) {
      var rank = { error: 0, fail: 1, warn: 2, skipped: 3, pass: 4 };
      return (rank[a.status] - rank[b.status]) || (a.name < b.name ? -1 : 1);
    });
    function render() {
      var text = $("test-search").value.toLowerCase(), status = $("test-status").value, kind = $("test-type").value;
      var shown = all.filter(function (t) {
        var hay = (t.name + " " + (t.model || "") + " " + (t.column || "") + " " + t.short_name).toLowerCase();
        return (!text || hay.indexOf(text) >= 0) && (!status || t.status === status) &&
          (!kind || (kind === "anomaly" ? isAnomaly(t) : t.type === kind));
      });
      $("test-count").textContent = shown.length + " of " + all.length + " tests";
      table($("tests-table"), ["status", "test", "kind", "model", "column", "failures", "runs"],
        shown.map(function (t) {
          return [{ badge: t.status }, t.name, t.short_name, (t.model || "").split(".").pop(), t.column, t.failures, t.history.length];
        }), function (id) { detail(R.tests[id]); }, shown.map(function (t) { return t.id; }));
    }
    ["test-search", "test-status", "test-type"].forEach(function (id) { $(id).addEventListener("input", render); });
    render();
  }
  function detail(t) {
    var box = $("test-detail");
    box.innerHTML = "";
    make("h3", {}, box, t.name);
    var p = make("p", {}, box);
    badge(t.status, p);
    make("span", {}, p, " " + t.type + " test " + t.short_name + (t.model ? " on " + t.model.split(".").pop() : "") +
      (t.column ? "." + t.column : "") + ", severity " + t.severity);
    if (t.message) make("pre", { "class": "message" }, box, t.message);
    make("h4", {}, box, "History");
    var chart = make("div", { id: "chart-test-history", "class": "chart small" }, box);
    Plotly.newPlot(chart, [{ type: "scatter", mode: "lines+markers", name: "failures",
      x: t.history.map(function (h) { return h[0] + 1; }), y: t.history.map(function (h) { return h[2] || 0; }),
      text: t.history.map(function (h) { return runLabel(h[0]) + ": " + h[1]; }),
      marker: { size: 10, color: t.history.map(function (h) { return COLORS[h[1]] || "#999"; }) },
      line: { color: "#b0bec5" } }],
      layout({ xaxis: runAxis(), yaxis: { title: { text: "failing rows" }, rangemode: "tozero" } }), CONFIG);
    if (Array.isArray(t.anomaly) && t.anomaly.length) {
      make("h4", {}, box, "Expected band and actual values");
      var metrics = {}, known = knownGaps(t).periods;
      t.anomaly.forEach(function (a) { (metrics[a.metric] = metrics[a.metric] || []).push(a); });
      var flagged = t.anomaly.filter(function (a) { return a.is_anomalous; });
      if (flagged.length) {
        var list = make("ul", {}, box);
        flagged.forEach(function (a) {
          var why = known[a.metric + " " + a.period];
          make("li", {}, list, a.metric + " of " + a.period + ": " + a.actual + " (expected " + a.expected_lower +
            " to " + a.expected_upper + ")" + (why ? ", known: " + why : ", flagged"));
        });
      }
      Object.keys(metrics).forEach(function (metric) {
        var points = metrics[metric].sort(function (a, b) { return a.period < b.period ? -1 : 1; });
        var x = points.map(function (a) { return a.period; });
        var band = make("div", { "class": "chart small anomaly-chart" }, box);
        Plotly.newPlot(band, [
          { x: x, y: points.map(function (a) { return a.expected_upper; }), mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
          { x: x, y: points.map(function (a) { return a.expected_lower; }), mode: "lines", fill: "tonexty",
            fillcolor: "rgba(46,139,87,0.18)", line: { width: 0 }, name: "expected band" },
          { x: x, y: points.map(function (a) { return a.actual; }), mode: "lines+markers", name: metric,
            text: points.map(function (a) { var why = known[a.metric + " " + a.period]; return why ? "known: " + why : ""; }),
            marker: { size: 8, color: points.map(function (a) {
              return !a.is_anomalous ? "#1f3b4d" : known[a.metric + " " + a.period] ? COLORS.skipped : COLORS.fail; }) },
            line: { color: "#1f3b4d" } }
        ], layout({ yaxis: { title: { text: metric } } }), CONFIG);
      });
    }
    if (Array.isArray(t.sample) && t.sample.length) {
      make("h4", {}, box, "Failing rows (sample)");
      sampleTable(t.sample, make("div", { "class": "scroll" }, box));
    }
  }
  function sampleTable(rows, parent) {
    var columns = [];
    rows.forEach(function (r) { Object.keys(r).forEach(function (k) { if (columns.indexOf(k) < 0) columns.push(k); }); });
    var t = make("table", { "class": "grid-table" }, parent);
    table(t, columns, rows.map(function (r) {
      return columns.map(function (c) { return r[c] === null || r[c] === undefined ? "" : String(r[c]); });
    }));
  }

  /* ---------- failed rows ---------- */
  function samples() {
    var box = $("samples");
    var failing = values(R.tests).filter(function (t) { return Array.isArray(t.sample) && t.sample.length && t.status !== "pass"; });
    if (!failing.length) make("p", { "class": "empty" }, box, "No test failed or warned with stored rows in its latest run.");
    failing.forEach(function (t) {
      var section = make("div", { "class": "sample" }, box);
      var h = make("h2", {}, section);
      badge(t.status, h);
      make("span", {}, h, " " + t.name + " (" + fmt(t.failures) + " failing rows)");
      sampleTable(t.sample, make("div", { "class": "scroll" }, section));
    });
  }

  /* ---------- freshness ---------- */
  function freshness() {
    var sources = values(R.sources);
    if (!sources.length) {
      make("p", { "class": "empty" }, $("chart-freshness"),
        "No source freshness recorded on this target: run dbt source freshness (dataops demo and the daily build run it).");
    }
    if (sources.length) Plotly.newPlot("chart-freshness", sources.map(function (s) {
      return { type: "scatter", mode: "lines+markers", name: s.name,
        x: s.checks.map(function (c) { return c[2]; }), y: s.checks.map(function (c) { return c[3] / 3600; }),
        text: s.checks.map(function (c) { return s.name + ": " + c[4] + ", newest data " + c[1]; }),
        marker: { color: s.checks.map(function (c) { return COLORS[c[4]] || "#999"; }), size: 8 } };
    }), layout({ xaxis: { title: { text: "checked at (UTC)" } }, yaxis: { title: { text: "age of newest row (hours)" } } }), CONFIG);
    table($("freshness-table"), ["source", "latest status", "newest data", "checked at", "age (hours)", "warn after (h)", "error after (h)", "checks"],
      sources.map(function (s) {
        var c = s.checks[s.checks.length - 1] || [];
        return [s.name, { badge: s.status }, c[1], c[2], c[3] === undefined ? "" : Math.round(c[3] / 36) / 100,
          s.warn_after ? s.warn_after / 3600 : "", s.error_after ? s.error_after / 3600 : "", s.checks.length];
      }));
  }

  /* ---------- performance ---------- */
  function performance() {
    var nodes = values(R.nodes).filter(function (n) { return n.seconds !== null; })
      .sort(function (a, b) { return b.seconds - a.seconds; });
    Plotly.newPlot("chart-durations", nodes.slice(0, 10).map(function (n) {
      return { type: "scatter", mode: "lines+markers", name: n.name,
        x: n.runs.map(function (r) { return r[0] + 1; }), y: n.runs.map(function (r) { return r[2]; }) };
    }), layout({ xaxis: runAxis(), yaxis: { title: { text: "seconds" } }, legend: { orientation: "v" } }), CONFIG);
    table($("slowest"), ["model", "materialization", "status", "latest", "median before", "rows affected"],
      nodes.slice(0, 25).map(function (n) {
        return [n.name, n.materialization, { badge: n.status }, seconds(n.seconds), seconds(n.median_seconds), n.rows_affected];
      }));
    $("regression-rule").textContent = "Latest run at least " + R.regression.ratio + "\u00d7 its median of the earlier successful runs, and " +
      R.regression.min_seconds + " s slower.";
    table($("regressions"), ["model", "latest", "median before", "ratio"],
      nodes.filter(function (n) { return n.regression; }).map(function (n) {
        return [n.name, seconds(n.seconds), seconds(n.median_seconds), (n.seconds / n.median_seconds).toFixed(1) + "\u00d7"];
      }));
  }

  /* ---------- lineage ---------- */
  function lineage() {
    var g = R.lineage, depth = {}, parents = {};
    if (!g.nodes.length) { make("p", { "class": "empty" }, $("lineage-graph"), "No manifest.json: run dbt first."); return; }
    g.edges.forEach(function (e) { (parents[e[1]] = parents[e[1]] || []).push(e[0]); });
    function layer(id) {
      if (depth[id] !== undefined) return depth[id];
      depth[id] = 0;
      var p = parents[id] || [];
      depth[id] = p.length ? 1 + Math.max.apply(null, p.map(layer)) : 0;
      return depth[id];
    }
    var byId = {};
    var nodes = g.nodes.map(function (n) {
      byId[n.id] = n;
      var status = n.status === "pass" ? "success" : n.status;
      return { id: n.id, label: n.label, layer: layer(n.id), cls: "status-" + String(status).replace(" ", "-"),
        title: n.kind + " " + n.label + ": " + n.status };
    });
    var dag = window.drawDag($("lineage-graph"), { nodes: nodes, edges: g.edges }, { onSelect: function (node) {
      var n = byId[node.id], box = $("lineage-detail");
      box.innerHTML = "";
      make("h3", {}, box, n.kind + " " + n.label);
      var p = make("p", {}, box);
      make("span", {}, p, "latest status ");
      badge(n.status, p);
      make("span", {}, p, "  run: " + n.run_status + "; tests: " + (Object.keys(n.tests).map(function (s) { return n.tests[s] + " " + s; }).join(", ") || "none"));
      var run = R.nodes[n.id];
      if (run) make("p", {}, box, "last run " + seconds(run.seconds) + (run.rows_affected !== null ? ", " + fmt(run.rows_affected) + " rows affected" : ""));
    } });
    $("lineage-search").addEventListener("change", function () {
      var text = this.value.toLowerCase();
      var hit = g.nodes.filter(function (n) { return n.label.toLowerCase().indexOf(text) >= 0; })[0];
      if (hit) {
        dag.select(hit.id);
        var el = $("lineage-graph").querySelector("[data-id='" + hit.id + "']");
        if (el && el.scrollIntoView) el.scrollIntoView({ block: "center", inline: "center" });
      }
    });
  }


  /* ---------- models ---------- */
  function num(v, digits) { return v === null || v === undefined ? "" : Number(v).toFixed(digits === undefined ? 4 : digits); }
  function models() {
    var M = R.models || { versions: [], daily: [], drift: [], scoring: [] };
    $("models-store").textContent = "MLflow store: " + (M.store || "none") + (M.model_name ? "; registered model " + M.model_name : "");
    if (!M.versions.length) {
      make("p", { "class": "empty" }, $("model-counters"), "No model registered yet: run dataops train, then dbt build -s ml_delay_predictions+.");
    }
    var champion = M.versions.filter(function (v) { return v.version === M.champion; })[0];
    var outside = M.daily.filter(function (d) { return !d.in_training_window; });
    var low = outside.filter(function (d) { return d.roc_auc !== null && M.bounds.min_roc_auc !== undefined && d.roc_auc < M.bounds.min_roc_auc; });
    // the days of the drift table's rows (every drifted day and feature), and those after training
    var driftRows = M.drift.filter(function (d) { return d.drifted; });
    var drifted = {}, driftedAfter = {};
    driftRows.forEach(function (d) { drifted[d.day] = true; if (!d.in_training_window) driftedAfter[d.day] = true; });
    var lastScoring = M.scoring.length ? M.scoring[M.scoring.length - 1] : null;
    if (M.versions.length) {
      [["champion", champion ? "v" + champion.version : "none", champion ? "good" : "bad"],
       ["validation ROC AUC", champion ? num(champion.roc_auc, 3) : "", ""],
       ["baseline ROC AUC", champion ? num(champion.baseline_roc_auc, 3) : "", ""],
       ["largest recall gap", champion ? num(champion.recall_gap, 3) : "", ""],
       ["largest false positive rate gap", champion ? num(champion.false_positive_rate_gap, 3) : "", ""],
       ["versions registered", M.versions.length, ""],
       ["versions refused by the gate", M.versions.filter(function (v) { return !v.promoted; }).length, ""],
       ["training time (champion)", champion && champion.training_seconds ? num(champion.training_seconds, 1) + " s" : "", ""],
       ["scoring time (latest build)", lastScoring ? num(lastScoring.seconds, 1) + " s" : "", ""],
       ["days monitored after training", outside.length, ""],
       ["days below the ROC AUC bound", low.length, low.length ? "warn" : "good"],
       ["days with drift", Object.keys(drifted).length, Object.keys(drifted).length ? "warn" : "good"],
       ["days with drift after training", Object.keys(driftedAfter).length, Object.keys(driftedAfter).length ? "warn" : "good"]
      ].forEach(function (c) {
        var card = make("div", { "class": "card " + c[2], "data-counter": c[0] }, $("model-counters"));
        make("div", { "class": "value" }, card, c[1]);
        make("div", { "class": "label" }, card, c[0]);
      });
    }
    table($("model-versions"), ["version", "alias", "promoted", "registered", "target", "flights of", "ROC AUC", "baseline", "recall gap", "FPR gap", "training s"],
      M.versions.map(function (v) {
        return ["v" + v.version, v.aliases.join(", "), { badge: v.promoted ? "pass" : "fail" }, (v.registered_at || "").replace("T", " ").slice(0, 16),
          v.target, v.dates, num(v.roc_auc), num(v.baseline_roc_auc), num(v.recall_gap, 3), num(v.false_positive_rate_gap, 3), num(v.training_seconds, 1)];
      }), function (id) { versionDetail(M.versions.filter(function (v) { return v.version === id; })[0]); },
      M.versions.map(function (v) { return v.version; }));
    var days = M.daily.map(function (d) { return d.day; });
    var marker = M.daily.map(function (d) { return d.in_training_window ? "#90a4ae" : "#1f3b4d"; });
    var traces = [
      { type: "scatter", mode: "lines+markers", name: "ROC AUC", x: days, y: M.daily.map(function (d) { return d.roc_auc; }), marker: { color: marker, size: 7 }, line: { color: "#1f3b4d" } },
      { type: "scatter", mode: "lines+markers", name: "Brier score", x: days, y: M.daily.map(function (d) { return d.brier_score; }), marker: { size: 5 }, line: { color: "#c98a00" } }
    ];
    var shapes = M.bounds.min_roc_auc !== undefined ? [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: M.bounds.min_roc_auc, y1: M.bounds.min_roc_auc, line: { color: COLORS.fail, dash: "dot" } }] : [];
    Plotly.newPlot("chart-model-daily", traces, layout({ shapes: shapes, yaxis: { rangemode: "tozero" }, xaxis: { title: { text: "day (grey: in the training window)" } } }), CONFIG);
    // the bars on the first axis, the shares on the overlaying one (drawn above the bars);
    // the delayed share wide and solid, called delayed dashed: both show where they meet
    Plotly.newPlot("chart-model-rates", [
      { type: "bar", name: "flights", x: days, y: M.daily.map(function (d) { return d.rows; }), marker: { color: "#cfd8dc" } },
      { type: "scatter", mode: "lines+markers", name: "delayed share", x: days, y: M.daily.map(function (d) { return d.positive_rate; }), yaxis: "y2", line: { color: COLORS.fail, width: 3 } },
      { type: "scatter", mode: "lines+markers", name: "called delayed", x: days, y: M.daily.map(function (d) { return d.predicted_positive_rate; }), yaxis: "y2", line: { color: "#1f77b4", dash: "dash" } }
    ], layout({ margin: { l: 60, r: 70, t: 10, b: 40 }, yaxis: { title: { text: "flights" }, rangemode: "tozero" },
      yaxis2: { overlaying: "y", side: "right", title: { text: "share", standoff: 12 }, automargin: true, rangemode: "tozero", showgrid: false } }), CONFIG);
    var features = [], driftDays = [];
    M.drift.forEach(function (d) {
      if (features.indexOf(d.feature) < 0) features.push(d.feature);
      if (driftDays.indexOf(d.day) < 0) driftDays.push(d.day);
    });
    driftDays.sort();
    var cell = {};
    M.drift.forEach(function (d) { cell[d.feature + "|" + d.day] = d; });
    var maxOutside = M.bounds.max_outside_range_share || 1;
    // the drift score: the larger of PSI over its bound and the share outside training over its bound
    function score(d) { return Math.min(Math.max(d.psi / d.bound, d.outside / maxOutside), 2); }
    Plotly.newPlot("chart-model-drift", [{ type: "heatmap", x: driftDays, y: features, zmin: 0, zmax: 2,
      colorscale: [[0, "#e8f5e9"], [0.5, "#fff3c4"], [1, "#c62828"]], colorbar: { title: { text: "score / bound" } },
      z: features.map(function (f) { return driftDays.map(function (day) { var d = cell[f + "|" + day]; return d ? score(d) : null; }); }),
      text: features.map(function (f) { return driftDays.map(function (day) { var d = cell[f + "|" + day]; return d ? (d.drifted ? "DRIFTED " : "") + "psi " + num(d.psi, 2) + " (bound " + num(d.bound, 2) + "), outside " + num(100 * d.outside, 1) + "%" : ""; }); }),
      hoverinfo: "x+y+text" }], layout({ margin: { l: 210, r: 12, t: 10, b: 40 } }), CONFIG);
    table($("model-drift-flags"), ["day", "feature", "PSI", "bound", "outside training range", "in training window"],
      driftRows.map(function (d) {
        return [d.day, d.feature, num(d.psi, 2), num(d.bound, 2), num(100 * d.outside, 1) + "%", d.in_training_window ? "yes" : "no"];
      }));
    var fair = (M.fairness || {}).by_group || {};
    [["airline_id", "chart-model-fairness-airline"], ["origin_airport_id", "chart-model-fairness-origin"]].forEach(function (pair) {
      var rows = fair[pair[0]] || [];
      Plotly.newPlot(pair[1], ["recall", "false_positive_rate"].map(function (metric) {
        return { type: "bar", name: metric.replace(/_/g, " "), x: rows.map(function (r) { return r.group; }), y: rows.map(function (r) { return r[metric]; }),
          hovertext: rows.map(function (r) { return r.flights + " flights" + (r["in_" + metric + "_gap"] ? "" : " (too few for the gap)"); }),
          hoverinfo: "x+y+text",
          marker: { opacity: rows.map(function (r) { return r["in_" + metric + "_gap"] ? 1 : 0.35; }) } };
      }), layout({ barmode: "group", yaxis: { range: [0, 1] } }), CONFIG);
    });
    var importance = (M.importance || []).slice().reverse();
    Plotly.newPlot("chart-model-importance", [{ type: "bar", orientation: "h", x: importance.map(function (i) { return i.drop; }),
      y: importance.map(function (i) { return i.feature; }), error_x: { type: "data", array: importance.map(function (i) { return i.std; }) } }],
      layout({ margin: { l: 210, r: 12, t: 10, b: 40 }, xaxis: { title: { text: "ROC AUC lost when shuffled" } } }), CONFIG);
    var trained = M.versions.slice().reverse();
    Plotly.newPlot("chart-model-times", [
      { type: "bar", name: "training per version (s)", x: trained.map(function (v) { return "v" + v.version; }), y: trained.map(function (v) { return v.training_seconds; }),
        marker: { color: "#1f3b4d" } },
      { type: "bar", name: "scoring per build (s)", xaxis: "x2", yaxis: "y2", marker: { color: "#c98a00" },
        x: M.scoring.map(function (s, i) { return "#" + (i + 1) + " " + s.started_at.replace("T", " ").slice(5, 16); }), y: M.scoring.map(function (s) { return s.seconds; }),
        hovertext: M.scoring.map(function (s) { return s.rows === null ? "" : s.rows + " rows written"; }) }
    ], layout({ xaxis: { domain: [0, 0.42], type: "category" }, xaxis2: { domain: [0.55, 1], type: "category" },
      yaxis: { title: { text: "seconds" }, rangemode: "tozero" }, yaxis2: { anchor: "x2", rangemode: "tozero" } }), CONFIG);
    table($("model-history"), ["when", "champion", "previous", "by"], (M.history || []).slice().reverse().map(function (e) {
      return [e.at, "v" + e.champion, e.previous ? "v" + e.previous : "", e.by];
    }));
  }
  function versionDetail(v) {
    var box = $("model-version-detail");
    box.innerHTML = "";
    make("h3", {}, box, "v" + v.version + (v.aliases.length ? " (" + v.aliases.join(", ") + ")" : ""));
    var p = make("p", {}, box);
    badge(v.promoted ? "pass" : "fail", p);
    make("span", {}, p, (v.promoted ? " promoted" : " registered, not promoted") + "; run " + v.run_id + "; flights of " + v.dates);
    make("p", {}, box, "why: " + v.summary);
    make("h4", {}, box, "Gate");
    var checks = v.gate && v.gate.checks ? v.gate.checks : [];
    var list = make("table", { "class": "grid-table" }, box);
    table(list, ["", "check", "measured", "bound", "margin"], checks.map(function (c) {
      return [{ badge: c.passed ? "pass" : "fail" }, c.detail, num(c.measured), num(c.bound), num(c.margin)];
    }));
    make("h4", {}, box, "Validation metrics (model / baseline)");
    var names = ["roc_auc", "pr_auc", "log_loss", "brier_score", "accuracy", "recall", "precision", "threshold"];
    var metrics = make("table", { "class": "grid-table" }, box);
    table(metrics, ["metric", "model", "baseline"], names.map(function (n) {
      return [n.replace(/_/g, " "), num(v.metrics["validation_" + n]), num(v.metrics["baseline_validation_" + n])];
    }));
  }

  /* dbt-coverage's documentation and test coverage (R.coverage, from the docs' catalog) */
  function share(covered, total) { return total ? (100 * covered / total).toFixed(1) + "%" : ""; }
  function coverage() {
    var C = R.coverage || { missing: "this report holds no coverage: write it with dataops report" };
    var box = $("coverage-counters");
    if (C.missing) { make("p", { "class": "empty" }, box, C.missing); return; }
    [["columns described", C.docs], ["columns tested", C.tests]].forEach(function (c) {
      var card = make("div", { "class": "card " + (c[1].covered === c[1].total ? "good" : ""), "data-counter": c[0] }, box);
      make("div", { "class": "value" }, card, share(c[1].covered, c[1].total));
      make("div", { "class": "label" }, card, c[0] + " (" + fmt(c[1].covered) + " of " + fmt(c[1].total) + ")");
    });
    var order = { model: 0, snapshot: 1, seed: 2, source: 3 };
    var rows = C.tables.slice().sort(function (a, b) {
      return (order[a.kind] - order[b.kind]) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    });
    table($("coverage-table"), ["kind", "table", "columns", "described", "tested", "tests", "described (share)", "tested (share)"],
      rows.map(function (t) {
        return [t.kind, t.name, t.columns, t.described, t.tested, t.tests, share(t.described, t.columns), share(t.tested, t.columns)];
      }));
  }

  var pages = { dashboard: dashboard, tests: tests, samples: samples, freshness: freshness,
    performance: performance, lineage: lineage, models: models };
  // the pages kept in their own scripts (report.py's PAGES), drawn with the same helpers
  var kit = { R: R, COLORS: COLORS, CONFIG: CONFIG, $: $, make: make, badge: badge, fmt: fmt,
    seconds: seconds, runLabel: runLabel, runAxis: runAxis, layout: layout, table: table,
    values: values };
  Object.keys(window.REPORT_PAGES || {}).forEach(function (name) {
    pages[name] = function () { window.REPORT_PAGES[name](kit); };
  });
  function show(name) {
    if (!pages[name]) name = "dashboard";
    Array.prototype.forEach.call(document.querySelectorAll(".page"), function (p) { p.hidden = p.id !== "page-" + name; });
    Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
      b.classList.toggle("active", b.getAttribute("data-page") === name);
    });
    if (!drawn[name]) { drawn[name] = true; pages[name](); }
  }
  Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
    // draw the page at once; the hash keeps it across reloads and in links
    b.addEventListener("click", function () {
      var name = b.getAttribute("data-page");
      show(name);
      location.hash = name;
    });
  });
  window.addEventListener("hashchange", function () { show(location.hash.slice(1)); });
  var first = R.invocations[0], last = R.invocations[R.invocations.length - 1];
  $("meta").textContent = R.invocations.length + " runs recorded" +
    (first ? " from " + first.started_at + " to " + last.started_at : "") + "; generated " + R.generated_at + " from " + R.warehouse;
  show(location.hash.slice(1));
})();
