/* The report's Profiles page (report_profiles.py): choose a table and a column, see its
   profile now, its history over runs, its distribution and the same column in every
   zone, each with the glossary's term of the column (a link to the term in the docs site);
   then the hygiene findings, what cleaning changed and what profiling cost. */
(function () {
  "use strict";
  window.REPORT_PAGES = window.REPORT_PAGES || {};
  window.REPORT_PAGES.profiles = function (kit) {
    var P = kit.R.profiles || { relations: [], history: {}, findings: [], cleaning: [], costs: [] };
    var $ = kit.$, make = kit.make;
    var byName = {};
    P.relations.forEach(function (r) { byName[r.name] = r; });
    var relationSelect = $("profiles-relation"), columnSelect = $("profiles-column");
    P.relations.forEach(function (r) {
      make("option", { value: r.name }, relationSelect, r.zone + " / " + r.name);
    });
    var G = kit.R.glossary || { terms: [], columns: {} };
    var terms = {};
    G.terms.forEach(function (t) { terms[t.id] = t; });
    function termOf(relation, column) { return terms[G.columns[relation.unique_id + "|" + column]]; }
    /* the term's name, a link to it on the docs site's Glossary when that site is written */
    function termLink(term, parent) {
      if (!G.docs) return make("span", { "class": "term", title: "dataops docs writes the Glossary page" }, parent, term.name);
      return make("a", { "class": "term", href: G.docs + "?term=" + encodeURIComponent(term.id), target: "_blank",
        title: "the term in the docs site's Glossary" }, parent, term.name);
    }
    function share(v) { return v === null || v === undefined ? "" : (100 * v).toFixed(2) + "%"; }
    function list(v) { return v ? v.join(", ") : ""; }

    function drawColumn() {
      var relation = byName[relationSelect.value];
      if (!relation) return;
      var c = relation.columns.filter(function (x) { return x.column_name === columnSelect.value; })[0];
      if (!c) return;
      $("profiles-note").textContent = relation.relation_name + ", profiled " + relation.profiled_at +
        (c.is_approximate ? " (assembled from " + c.part_count + " parts: quantiles, top values and distinct counts approximate)" : "");
      var termBox = $("profiles-term"), term = termOf(relation, c.column_name);
      termBox.innerHTML = "";
      if (term) {
        termBox.appendChild(document.createTextNode("Term: "));
        termLink(term, termBox);
        termBox.appendChild(document.createTextNode(" (" + term.definition + ")"));
      } else {
        make("span", { "class": "hint" }, termBox, "No glossary term for this column.");
      }
      var rows = [["type", c.data_type + " (" + c.type_family + ")"], ["rows", c.row_count],
        ["nulls", c.null_count + " (" + share(c.null_share) + ")"],
        ["distinct", c.distinct_count + (c.is_approximate ? " to " + c.distinct_count_upper : "")],
        ["min", c.min_value], ["max", c.max_value], ["mean", c.mean_value], ["standard deviation", c.stddev_value],
        ["quantiles 5, 25, 50, 75, 95%", list(c.quantiles)], ["lengths (min, mean, max)",
          c.min_length === null ? "" : c.min_length + ", " + c.mean_length + ", " + c.max_length],
        ["top values", list(c.top_values)], ["zeros", share(c.zero_share)], ["negatives", share(c.negative_share)],
        ["empty strings", share(c.empty_share)], ["padded texts", c.padded_count], ["in the future", c.future_count]];
      kit.table($("profiles-now"), ["measure", "value"], rows.filter(function (r) {
        return r[1] !== null && r[1] !== undefined && r[1] !== "";
      }));
      var box = $("profiles-distribution");
      box.innerHTML = "";
      if (c.quantiles && c.type_family === "number") {
        var q = c.quantiles.map(Number);
        Plotly.newPlot(box, [{ type: "box", name: c.column_name, q1: [q[1]], median: [q[2]], q3: [q[3]],
          lowerfence: [Number(c.min_value)], upperfence: [Number(c.max_value)] }],
          kit.layout({ showlegend: false }), kit.CONFIG);
      } else if (c.top_values) {
        Plotly.newPlot(box, [{ type: "bar", x: c.top_values, y: c.top_values.map(function (v, i) { return c.top_values.length - i; }) }],
          kit.layout({ yaxis: { title: { text: "rank (most frequent highest)" } } }), kit.CONFIG);
      } else {
        make("p", { "class": "hint" }, box, c.quantiles ? "quantiles: " + list(c.quantiles) : "no distribution for this type");
      }
      var history = P.history[relation.name + "." + c.column_name] || [];
      var hbox = $("profiles-history");
      hbox.innerHTML = "";
      var x = history.map(function (h) { return h[0]; });
      var traces = [{ x: x, y: history.map(function (h) { return h[1]; }), name: "rows", mode: "lines+markers" },
        { x: x, y: history.map(function (h) { return h[2]; }), name: "null share", yaxis: "y2", mode: "lines+markers" }];
      if (c.type_family === "number") {
        traces.push({ x: x, y: history.map(function (h) { return h[6]; }), name: "mean", yaxis: "y2", mode: "lines+markers" });
      }
      Plotly.newPlot(hbox, traces, kit.layout({ yaxis: { title: { text: "rows" } },
        yaxis2: { overlaying: "y", side: "right" } }), kit.CONFIG);
      var zones = [], zoneTerms = [];
      P.relations.forEach(function (r) {
        r.columns.forEach(function (x) {
          if (x.column_name === c.column_name) {
            var t = termOf(r, x.column_name);
            zoneTerms.push(t);
            zones.push([r.zone, r.name, t ? t.name : "", x.row_count, x.null_count, x.min_value, x.max_value, x.mean_value, list(x.quantiles)]);
          }
        });
      });
      kit.table($("profiles-zones"), ["zone", "relation", "term", "rows", "nulls", "min", "max", "mean", "quantiles"], zones);
      /* the term cells as links */
      Array.prototype.forEach.call($("profiles-zones").querySelectorAll("tbody tr"), function (tr, i) {
        var cell = tr.children[2];
        if (!zoneTerms[i] || !cell) return;
        cell.textContent = "";
        termLink(zoneTerms[i], cell);
      });
    }

    function fillColumns() {
      var relation = byName[relationSelect.value];
      columnSelect.innerHTML = "";
      (relation ? relation.columns : []).forEach(function (c) {
        make("option", { value: c.column_name }, columnSelect, c.column_name);
      });
      drawColumn();
    }
    relationSelect.addEventListener("change", fillColumns);
    columnSelect.addEventListener("change", drawColumn);
    fillColumns();

    kit.table($("profiles-findings"), ["relation", "column", "rule", "evidence"], P.findings.map(function (f) {
      return [f.relation_name, f.column_name, { badge: "warn" }, f.rule_id + ": " + f.evidence];
    }));
    var cleaned = [], rules = [];
    P.cleaning.forEach(function (m) {
      m.columns.forEach(function (c) {
        var s = c.staging || {}, t = c.trusted || {}, q = c.quarantine || {};
        if (s.rows === t.rows && s.nulls === t.nulls && s.min === t.min && s.max === t.max) return;
        cleaned.push([m.staging, c.column, s.rows, t.rows, q.rows, s.nulls, t.nulls,
          (s.min || "") + " .. " + (s.max || ""), (t.min || "") + " .. " + (t.max || "")]);
      });
      Object.keys(m.rules).forEach(function (rule) { rules.push([m.quarantine, rule, m.rules[rule]]); });
    });
    kit.table($("profiles-cleaning"), ["staging", "column", "rows", "rows trusted", "rows quarantined",
      "nulls", "nulls trusted", "range", "range trusted"], cleaned);
    kit.table($("profiles-rules"), ["quarantine", "rule", "rows moved"], rules);
    kit.table($("profiles-costs"), ["build", "command", "build seconds", "profile seconds", "share"],
      P.costs.map(function (c) {
        return [c.started_at.slice(0, 19), c.command, c.build_seconds.toFixed(1), c.profile_seconds.toFixed(1), share(c.share)];
      }));
  };
})();
