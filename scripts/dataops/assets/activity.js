/* The Activity page (dataops.observability.report_activity): who did what to each target,
   and the weekly figures of the team (publishes, share refused, arrival to prod, alert to
   resolution, commit to publish). */
(function () {
  "use strict";
  window.REPORT_PAGES = window.REPORT_PAGES || {};
  window.REPORT_PAGES.activity = function (kit) {
    var A = kit.R.activity || { runs: [], weeks: [], targets: {}, recorded: 0, log: "" };
    kit.$("activity-source").textContent = A.recorded + " commands recorded in " + A.log;
    function hours(h) { return h === null || h === undefined ? "" : Number(h).toFixed(2) + " h"; }
    function share(s) { return s === null || s === undefined ? "" : Math.round(s * 100) + " %"; }
    function when(t) { return (t || "").replace("T", " ").slice(0, 19); }
    var weeks = A.weeks.slice().reverse();
    if (weeks.length) {
      var x = weeks.map(function (w) { return w.week; });
      Plotly.newPlot(kit.$("chart-activity"), [
        { type: "bar", name: "went through", x: x, y: weeks.map(function (w) { return w.publishes - w.refused; }),
          marker: { color: kit.COLORS.pass } },
        { type: "bar", name: "refused", x: x, y: weeks.map(function (w) { return w.refused; }),
          marker: { color: kit.COLORS.fail } }
      ], kit.layout({ barmode: "stack", height: 270,
        xaxis: { type: "category", title: { text: "week (Monday)" } },
        yaxis: { title: { text: "publishes of prod" } } }), kit.CONFIG);
    } else {
      kit.make("p", { "class": "empty" }, kit.$("chart-activity"), "no publish of prod recorded yet");
    }
    kit.table(kit.$("activity-weeks"),
      ["week (Monday)", "publishes", "refused", "refused (share)", "arrival to prod", "files",
        "alert to resolution", "problems", "commit to publish", "commits"],
      A.weeks.map(function (w) {
        return [w.week, w.publishes, w.refused, share(w.refused_share),
          hours(w.arrival_to_prod_hours), w.arrival_to_prod_cases,
          hours(w.alert_to_resolution_hours), w.alert_to_resolution_cases,
          hours(w.commit_to_publish_hours), w.commit_to_publish_cases];
      }));
    var names = Object.keys(A.targets).sort();
    kit.table(kit.$("activity-targets"), ["target", "commands", "latest", "when", "by", "outcome"],
      names.map(function (name) {
        var t = A.targets[name], r = t.latest;
        return [name, t.runs, r.command, when(r.started_at), r.actor, { badge: outcome(r.outcome) }];
      }));
    var select = kit.$("activity-target");
    names.forEach(function (name) { kit.make("option", { value: name }, select, name); });
    function outcome(o) { return o === "ok" ? "pass" : o === "refused" ? "fail" : o === "running" ? "skipped" : "error"; }
    function draw() {
      var only = select.value;
      var runs = A.runs.filter(function (r) { return !only || r.target === only; });
      kit.table(kit.$("activity-runs"),
        ["started", "seconds", "command", "target", "selection", "options", "actor", "host", "commit", "outcome", "reason"],
        runs.map(function (r) {
          var row = [when(r.started_at), r.seconds, r.command, r.target, r.selection, r.options,
            r.actor, r.host, r.commit, { badge: outcome(r.outcome) }, r.reason];
          return row;
        }));
      Array.prototype.forEach.call(kit.$("activity-runs").querySelectorAll("tbody tr"), function (tr, i) {
        var badge = tr.querySelector(".badge");
        if (badge) badge.textContent = runs[i].outcome;
      });
    }
    select.addEventListener("change", draw);
    draw();
    Array.prototype.forEach.call(kit.$("activity-targets").querySelectorAll("tbody tr"), function (tr, i) {
      var badge = tr.querySelector(".badge");
      if (badge) badge.textContent = A.targets[names[i]].latest.outcome;
    });
  };
})();
