/* Layered drawing of a directed acyclic graph as inline SVG, no library.
   Shared by the observability report (model lineage) and the docs (column lineage).
   graph = {nodes: [{id, label, layer, cls, title}], edges: [[fromId, toId], ...]}
   Nodes sit in columns by `layer`, ordered within a column by the mean position of
   their parents (two sweeps); clicking a node highlights it with its ancestors and
   descendants and calls options.onSelect(node). */
(function (global) {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function closure(start, adjacency) {
    var seen = {}, stack = [start];
    while (stack.length) {
      (adjacency[stack.pop()] || []).forEach(function (next) {
        if (!seen[next]) { seen[next] = true; stack.push(next); }
      });
    }
    return seen;
  }

  function drawDag(container, graph, options) {
    options = options || {};
    var width = options.nodeWidth || 200, height = 22, gapX = options.gapX || 70, gapY = 8;
    var byId = {}, parents = {}, children = {}, layers = [];
    graph.nodes.forEach(function (n) { byId[n.id] = n; parents[n.id] = []; children[n.id] = []; });
    graph.edges.forEach(function (e) {
      if (byId[e[0]] && byId[e[1]]) { children[e[0]].push(e[1]); parents[e[1]].push(e[0]); }
    });
    graph.nodes.forEach(function (n) { (layers[n.layer] = layers[n.layer] || []).push(n); });
    layers = layers.filter(Boolean);
    layers.forEach(function (layer) {
      layer.sort(function (a, b) { return a.label < b.label ? -1 : 1; });
      layer.forEach(function (n, i) { n._row = i; });
    });
    for (var sweep = 0; sweep < 2; sweep++) {
      layers.forEach(function (layer) {
        layer.forEach(function (n) {
          var p = parents[n.id];
          n._key = p.length ? p.reduce(function (s, id) { return s + byId[id]._row; }, 0) / p.length : n._row;
        });
        layer.sort(function (a, b) { return a._key - b._key; });
        layer.forEach(function (n, i) { n._row = i; });
      });
    }
    var tallest = Math.max.apply(null, layers.map(function (l) { return l.length; }));
    var svgWidth = layers.length * (width + gapX) + 20, svgHeight = tallest * (height + gapY) + 20;
    container.innerHTML = "";
    var svg = el("svg", { width: svgWidth, height: svgHeight, "class": "dag", role: "img" }, container);
    layers.forEach(function (layer, column) {
      var offset = (tallest - layer.length) * (height + gapY) / 2;
      layer.forEach(function (n) {
        n._x = 10 + column * (width + gapX);
        n._y = 10 + offset + n._row * (height + gapY);
      });
    });
    var edgeGroup = el("g", { "class": "dag-edges" }, svg), edgeNodes = [];
    graph.edges.forEach(function (e) {
      var a = byId[e[0]], b = byId[e[1]];
      if (!a || !b) return;
      var x1 = a._x + width, y1 = a._y + height / 2, x2 = b._x, y2 = b._y + height / 2, mx = (x1 + x2) / 2;
      var path = el("path", { d: "M" + x1 + "," + y1 + " C" + mx + "," + y1 + " " + mx + "," + y2 + " " + x2 + "," + y2,
        "class": "dag-edge" }, edgeGroup);
      edgeNodes.push({ path: path, from: e[0], to: e[1] });
    });
    var nodeGroup = el("g", { "class": "dag-nodes" }, svg), nodeElements = {};
    graph.nodes.forEach(function (n) {
      var g = el("g", { "class": "dag-node " + (n.cls || ""), transform: "translate(" + n._x + "," + n._y + ")",
        "data-id": n.id, tabindex: 0 }, nodeGroup);
      el("rect", { width: width, height: height, rx: 4 }, g);
      var text = el("text", { x: 6, y: 15 }, g);
      var fits = Math.floor((width - 12) / 6.6);
      text.textContent = n.label.length > fits ? n.label.slice(0, fits - 1) + "\u2026" : n.label;
      el("title", {}, g).textContent = n.title || n.label;
      g.addEventListener("click", function () { select(n.id); });
      nodeElements[n.id] = g;
    });
    function select(id) {
      var up = closure(id, parents), down = closure(id, children);
      graph.nodes.forEach(function (n) {
        var g = nodeElements[n.id], on = n.id === id || up[n.id] || down[n.id];
        g.classList.toggle("dag-dim", !on);
        g.classList.toggle("dag-selected", n.id === id);
      });
      edgeNodes.forEach(function (e) {
        var on = (e.to === id || up[e.to]) && (e.from === id || up[e.from]) ||
                 (e.from === id || down[e.from]) && (e.to === id || down[e.to]);
        e.path.classList.toggle("dag-dim", !on);
      });
      if (options.onSelect) options.onSelect(byId[id]);
    }
    return { select: select, svg: svg };
  }

  global.drawDag = drawDag;
})(window);
