/* Column lineage panel of the static dbt docs: pick a model and a column, see every
   upstream column back to the landing files, as a graph and as a list.
   Data: window.COLUMN_LINEAGE = {relations: {id: {name, zone, description}},
   columns: {id: [column, ...]}, upstream: {"id|column": ["id|column", ...]}, unparsed: {id: reason}} */
(function () {
  "use strict";
  var data = window.COLUMN_LINEAGE;
  var ZONES = ["marts", "trusted", "quarantine", "staging", "snapshots", "landing", "source"];

  function make(tag, attrs, parent, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function label(key) {
    var parts = key.split("|"), relation = data.relations[parts[0]];
    return (relation ? relation.name : parts[0]) + "." + parts[1];
  }

  function ancestors(key) {
    var seen = {}, stack = [key];
    while (stack.length) {
      (data.upstream[stack.pop()] || []).forEach(function (p) {
        if (!seen[p]) { seen[p] = true; stack.push(p); }
      });
    }
    return Object.keys(seen);
  }

  function build() {
    var open = make("button", { id: "column-lineage-open", type: "button" }, document.body, "Column lineage");
    var panel = make("div", { id: "column-lineage", hidden: "" }, document.body);
    var head = make("div", { "class": "cl-head" }, panel);
    make("strong", {}, head, "Column lineage");
    make("span", { "class": "cl-hint" }, head,
      " every column of a model traced through the compiled SQL back to the landing files");
    var close = make("button", { type: "button", id: "column-lineage-close" }, head, "Close");
    var body = make("div", { "class": "cl-body" }, panel);
    var side = make("div", { "class": "cl-side" }, body);
    var select = make("select", { id: "cl-model", "aria-label": "model" }, side);
    var ids = Object.keys(data.columns).filter(function (id) { return data.relations[id].zone !== "source"; });
    ids.sort(function (a, b) {
      var za = ZONES.indexOf(data.relations[a].zone), zb = ZONES.indexOf(data.relations[b].zone);
      return za - zb || (data.relations[a].name < data.relations[b].name ? -1 : 1);
    });
    ids.forEach(function (id) {
      make("option", { value: id }, select, data.relations[id].zone + " / " + data.relations[id].name);
    });
    var columnList = make("ul", { id: "cl-columns" }, side);
    var main = make("div", { "class": "cl-main" }, body);
    var title = make("h3", { id: "cl-title" }, main, "Pick a column");
    var graph = make("div", { id: "cl-graph" }, main);
    make("h4", {}, main, "Columns of the landing files it comes from");
    var sources = make("ul", { id: "cl-sources" }, main);

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

    function showColumn(key) {
      Array.prototype.forEach.call(columnList.querySelectorAll(".cl-column"), function (b) {
        b.classList.toggle("cl-active", key === select.value + "|" + b.getAttribute("data-column"));
      });
      var keys = ancestors(key).concat([key]), depth = {};
      function layer(k) {
        if (depth[k] !== undefined) return depth[k];
        depth[k] = 0;
        var ups = data.upstream[k] || [];
        depth[k] = ups.length ? 1 + Math.max.apply(null, ups.map(layer)) : 0;
        return depth[k];
      }
      keys.forEach(layer);
      var nodes = keys.map(function (k) {
        var zone = data.relations[k.split("|")[0]].zone;
        return { id: k, label: label(k), layer: depth[k], cls: "zone-" + zone + (k === key ? " cl-target" : ""),
          title: zone + ": " + label(k) };
      });
      var edges = [];
      keys.forEach(function (k) { (data.upstream[k] || []).forEach(function (p) { edges.push([p, k]); }); });
      title.textContent = label(key);
      window.drawDag(graph, { nodes: nodes, edges: edges }, { nodeWidth: 230, gapX: 40 });
      sources.innerHTML = "";
      var leaves = keys.filter(function (k) { return data.relations[k.split("|")[0]].zone === "source"; }).sort();
      if (!leaves.length) make("li", {}, sources, "none: computed from constants or the project's variables");
      leaves.forEach(function (k) { make("li", {}, sources, label(k)); });
    }

    select.addEventListener("change", function () { showModel(select.value); });
    open.addEventListener("click", function () {
      panel.hidden = false;
      if (!columnList.children.length) showModel(select.value);
    });
    close.addEventListener("click", function () { panel.hidden = true; });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build);
  else build();
})();
