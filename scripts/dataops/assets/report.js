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
    var volumeAlerts = tests.filter(function (t) { return /volume/.test(t.short_name || "") && t.status !== "pass"; }).length;
    var anomalies = tests.filter(function (t) { return isAnomaly(t) && t.status !== "pass"; }).length;
    var failing = (byStatus.fail || 0) + (byStatus.error || 0);
    var cards = [
      ["runs recorded", R.invocations.length, ""],
      ["tests passed", byStatus.pass || 0, "good"],
      ["tests warned", byStatus.warn || 0, byStatus.warn ? "warn" : "good"],
      ["tests failed or errored", failing, failing ? "bad" : "good"],
      ["tables", nodes.length, ""],
      ["tables failing", nodes.filter(function (n) { return n.status === "error"; }).length, ""],
      ["sources fresh", freshness.pass || 0, "good"],
      ["sources stale (warn/error)", (freshness.warn || 0) + (freshness.error || 0) + (freshness["runtime error"] || 0),
        (freshness.error || freshness["runtime error"]) ? "bad" : freshness.warn ? "warn" : "good"],
      ["volume alerts", volumeAlerts, volumeAlerts ? "bad" : "good"],
      ["schema changes (latest run)", lastChanges, lastChanges ? "warn" : "good"],
      ["schema changes (all runs)", R.schema_changes.length, ""],
      ["anomalies flagged", anomalies, anomalies ? "bad" : "good"]
    ];
    var box = $("counters");
    cards.forEach(function (c) {
      var card = make("div", { "class": "card " + c[2], "data-counter": c[0] }, box);
      make("div", { "class": "value" }, card, fmt(c[1]));
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
      var metrics = {};
      t.anomaly.forEach(function (a) { (metrics[a.metric] = metrics[a.metric] || []).push(a); });
      Object.keys(metrics).forEach(function (metric) {
        var points = metrics[metric].sort(function (a, b) { return a.period < b.period ? -1 : 1; });
        var x = points.map(function (a) { return a.period; });
        var band = make("div", { "class": "chart small anomaly-chart" }, box);
        Plotly.newPlot(band, [
          { x: x, y: points.map(function (a) { return a.expected_upper; }), mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
          { x: x, y: points.map(function (a) { return a.expected_lower; }), mode: "lines", fill: "tonexty",
            fillcolor: "rgba(46,139,87,0.18)", line: { width: 0 }, name: "expected band" },
          { x: x, y: points.map(function (a) { return a.actual; }), mode: "lines+markers", name: metric,
            marker: { size: 8, color: points.map(function (a) { return a.is_anomalous ? COLORS.fail : "#1f3b4d"; }) },
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
    Plotly.newPlot("chart-freshness", sources.map(function (s) {
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

  var pages = { dashboard: dashboard, tests: tests, samples: samples, freshness: freshness,
    performance: performance, lineage: lineage };
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
