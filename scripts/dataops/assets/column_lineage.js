/* Column lineage panel of the static dbt docs: pick a model and a column, see every
   upstream column back to the landing files (Upstream), or every downstream column,
   metric, saved query and exposure that uses it (Impact), as a graph and as lists.
   Opened from a model's page (#!/model/<unique_id>), it starts on that model.
   Data: window.COLUMN_LINEAGE = {relations: {id: {name, zone}}, columns: {id: [column, ...]},
   upstream: {"id|column": ["id|column", ...]}, unparsed: {id: reason},
   consumers: {id: {name, kind, label}}, uses: {"id|column": [consumer id, ...]},
   feeds: {consumer id: [consumer id, ...]}} */
(function () {
  "use strict";
  var data = window.COLUMN_LINEAGE;
  var ZONES = ["marts", "trusted", "quarantine", "staging", "snapshots", "landing", "source"];
  var PAGE = /^#!\/(?:model|snapshot|source|seed)\/([^?#/]+)/;
  var downstream = {};
  Object.keys(data.upstream).forEach(function (child) {
    data.upstream[child].forEach(function (parent) { (downstream[parent] = downstream[parent] || []).push(child); });
  });

  function make(tag, attrs, parent, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function label(key) {
    var consumer = data.consumers[key];
    if (consumer) return consumer.kind + ": " + consumer.label;
    var parts = key.split("|"), relation = data.relations[parts[0]];
    return (relation ? relation.name : parts[0]) + "." + parts[1];
  }

  function zone(key) { return data.relations[key.split("|")[0]].zone; }

  function closure(start, adjacency) {
    var seen = {}, stack = [start];
    while (stack.length) {
      (adjacency[stack.pop()] || []).forEach(function (p) {
        if (!seen[p]) { seen[p] = true; stack.push(p); }
      });
    }
    return Object.keys(seen);
  }

  /* The impact of a column: downstream columns, then the consumers that use any of
     them (and the consumers of those consumers); parents: what each one is computed from. */
  function impactOf(key) {
    var columns = closure(key, downstream), inSet = {}, parents = {}, consumers = {};
    [key].concat(columns).forEach(function (k) { inSet[k] = true; parents[k] = []; });
    columns.forEach(function (k) {
      parents[k] = data.upstream[k].filter(function (p) { return inSet[p]; });
    });
    var pending = [];
    [key].concat(columns).forEach(function (k) {
      (data.uses[k] || []).forEach(function (c) { (parents[c] = parents[c] || []).push(k); pending.push(c); });
    });
    while (pending.length) {
      var c = pending.pop();
      if (consumers[c]) continue;
      consumers[c] = true;
      (data.feeds[c] || []).forEach(function (d) { (parents[d] = parents[d] || []).push(c); pending.push(d); });
    }
    return { columns: columns.sort(), consumers: Object.keys(consumers).sort(), parents: parents };
  }

  function layered(keys, parents, target, cls) {
    var depth = {};
    function layer(k) {
      if (depth[k] !== undefined) return depth[k];
      depth[k] = 0;
      var ups = parents(k);
      depth[k] = ups.length ? 1 + Math.max.apply(null, ups.map(layer)) : 0;
      return depth[k];
    }
    keys.forEach(layer);
    var nodes = keys.map(function (k) {
      return { id: k, label: label(k), layer: depth[k], cls: cls(k) + (k === target ? " cl-target" : ""),
        title: (data.consumers[k] ? "" : zone(k) + ": ") + label(k) };
    });
    var edges = [];
    keys.forEach(function (k) { parents(k).forEach(function (p) { edges.push([p, k]); }); });
    return { nodes: nodes, edges: edges };
  }

  function build() {
    var open = make("button", { id: "CL-open", type: "button" }, document.body, "Column lineage");
    var panel = make("div", { id: "CL-panel", hidden: "" }, document.body);
    var head = make("div", { "class": "cl-head" }, panel);
    make("strong", {}, head, "Column lineage");
    make("span", { "class": "cl-hint" }, head,
      " every column of a model traced through the compiled SQL: back to the landing files, and on to what uses it");
    var close = make("button", { type: "button", id: "CL-close" }, head, "Close");
    var body = make("div", { "class": "cl-body" }, panel);
    var side = make("div", { "class": "cl-side" }, body);
    var select = make("select", { id: "CL-model", "aria-label": "model" }, side);
    var ids = Object.keys(data.columns).filter(function (id) { return data.columns[id].length; });
    ids.sort(function (a, b) {
      var za = ZONES.indexOf(data.relations[a].zone), zb = ZONES.indexOf(data.relations[b].zone);
      return za - zb || (data.relations[a].name < data.relations[b].name ? -1 : 1);
    });
    ids.forEach(function (id) {
      make("option", { value: id }, select, data.relations[id].zone + " / " + data.relations[id].name);
    });
    var columnList = make("ul", { id: "CL-columns" }, side);
    var main = make("div", { "class": "cl-main" }, body);
    var title = make("h3", { id: "CL-title" }, main, "Pick a column");
    var bar = make("div", { "class": "cl-bar", role: "tablist" }, main);
    var views = {
      upstream: make("button", { type: "button", id: "CL-view-upstream", role: "tab" }, bar, "Upstream: where it comes from"),
      impact: make("button", { type: "button", id: "CL-view-impact", role: "tab" }, bar, "Impact: what uses it"),
    };
    var fit = make("button", { type: "button", id: "CL-fit", "aria-pressed": "false" }, bar, "Fit to width");
    var graph = make("div", { id: "CL-graph" }, main);
    var upstreamPart = make("div", { id: "CL-upstream" }, main);
    make("h4", {}, upstreamPart, "Columns of the landing files it comes from");
    var sources = make("ul", { id: "CL-sources" }, upstreamPart);
    var impactPart = make("div", { id: "CL-impact", hidden: "" }, main);
    var lists = {};
    [["columns", "Downstream columns"], ["metric", "Metrics"], ["saved query", "Saved queries"],
      ["exposure", "Exposures"]].forEach(function (part) {
      make("h4", {}, impactPart, part[1]);
      lists[part[0]] = make("ul", { id: "CL-impact-" + part[0].replace(" ", "-") }, impactPart);
    });
    var view = "upstream", current = null, syncedPage = null;

    function showModel(id) {
      columnList.innerHTML = "";
      if (data.unparsed[id]) make("li", { "class": "cl-unparsed" }, columnList, "not traced: " + data.unparsed[id]);
      data.columns[id].forEach(function (column) {
        var item = make("li", {}, columnList);
        var button = make("button", { type: "button", "class": "cl-column", "data-column": column }, item, column);
        button.addEventListener("click", function () { showColumn(id + "|" + column); });
      });
      showColumn(id + "|" + data.columns[id][0]);
    }

    function fill(list, keys, empty) {
      list.innerHTML = "";
      if (!keys.length) make("li", { "class": "cl-none" }, list, empty);
      keys.forEach(function (k) {
        make("li", { "data-key": k }, list, data.consumers[k] ? data.consumers[k].label : label(k));
      });
    }

    function showColumn(key) {
      current = key;
      Array.prototype.forEach.call(columnList.querySelectorAll(".cl-column"), function (b) {
        b.classList.toggle("cl-active", key === select.value + "|" + b.getAttribute("data-column"));
      });
      Object.keys(views).forEach(function (v) {
        views[v].classList.toggle("cl-active", v === view);
        views[v].setAttribute("aria-selected", String(v === view));
      });
      upstreamPart.hidden = view !== "upstream";
      impactPart.hidden = view !== "impact";
      title.textContent = label(key);
      var drawn;
      if (view === "upstream") {
        var keys = closure(key, data.upstream).concat([key]);
        drawn = layered(keys, function (k) { return data.upstream[k] || []; }, key,
          function (k) { return "zone-" + zone(k); });
        var leaves = keys.filter(function (k) { return zone(k) === "source"; }).sort();
        sources.innerHTML = "";
        if (!leaves.length) make("li", {}, sources, "none: computed from constants or the project's variables");
        leaves.forEach(function (k) { make("li", {}, sources, label(k)); });
      } else {
        var found = impactOf(key);
        drawn = layered([key].concat(found.columns, found.consumers),
          function (k) { return found.parents[k] || []; }, key,
          function (k) { return data.consumers[k] ? "kind-" + data.consumers[k].kind.replace(" ", "-") : "zone-" + zone(k); });
        fill(lists.columns, found.columns, "none: no model reads it");
        ["metric", "saved query", "exposure"].forEach(function (kind) {
          fill(lists[kind], found.consumers.filter(function (c) { return data.consumers[c].kind === kind; }), "none");
        });
      }
      var dag = window.drawDag(graph, drawn, { nodeWidth: 230, gapX: 40 });
      dag.svg.setAttribute("viewBox", "0 0 " + dag.svg.getAttribute("width") + " " + dag.svg.getAttribute("height"));
      // the chosen column first in sight: the right end upstream, the left end for the impact
      graph.scrollLeft = view === "upstream" ? graph.scrollWidth : 0;
    }

    function pageModel() {
      var match = PAGE.exec(window.location.hash);
      var id = match && decodeURIComponent(match[1]);
      return id && data.columns[id] && data.columns[id].length ? id : null;
    }

    Object.keys(views).forEach(function (v) {
      views[v].addEventListener("click", function () { view = v; if (current) showColumn(current); });
    });
    fit.addEventListener("click", function () {
      var on = !graph.classList.contains("cl-fit");
      graph.classList.toggle("cl-fit", on);
      fit.setAttribute("aria-pressed", String(on));
    });
    select.addEventListener("change", function () { showModel(select.value); });
    open.addEventListener("click", function () {
      panel.hidden = false;
      var page = pageModel();
      if (page && page !== syncedPage) {
        syncedPage = page;
        select.value = page;
        showModel(page);
      } else if (!columnList.children.length) showModel(select.value);
    });
    close.addEventListener("click", function () { panel.hidden = true; });
    function updateOpenLabel() {
      var page = pageModel();
      open.textContent = "Column lineage" + (page ? ": " + data.relations[page].name : "");
    }
    window.addEventListener("hashchange", updateOpenLabel);
    updateOpenLabel();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build);
  else build();
})();
