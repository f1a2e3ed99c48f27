/* Glossary page of the static dbt docs: every term of models/docs/glossary.md, its definition,
   synonyms, owner and where it is used (columns by zone, metrics, saved queries, exposures, ML
   datasets and roles); a column opens the column lineage panel on it. On a model's page
   (#!/model/<unique_id>) each column with a term carries it; a click opens the term, as does
   the address docs.html?term=<id> (the report links there).
   Data: window.GLOSSARY = {terms: [{id, name, definition, owner, synonyms, columns: [{model,
   name, zone, column, role}], metrics, semantic, saved_queries, exposures, models, ml_datasets,
   ml_roles}], columns: {"id|column": term id}} */
(function () {
  "use strict";
  var data = window.GLOSSARY;
  var PAGE = /^#!\/model\/([^?#/]+)/;
  var byId = {};
  data.terms.forEach(function (t) { byId[t.id] = t; });

  function make(tag, attrs, parent, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function openLineage(model, column) {
    var open = document.getElementById("CL-open");
    var select = document.getElementById("CL-model");
    if (!open || !select) return;
    document.getElementById("glossary").hidden = true;
    open.click();
    select.value = model;
    select.dispatchEvent(new Event("change"));
    var button = document.querySelector('#CL-columns .cl-column[data-column="' + column + '"]');
    if (button) button.click();
  }

  function row(dl, name, values, empty) {
    make("dt", {}, dl, name);
    var dd = make("dd", {}, dl);
    if (!values.length) dd.textContent = empty || "none";
    return dd;
  }

  function build() {
    var open = make("button", { id: "glossary-open", type: "button" }, document.body, "Glossary");
    var page = make("div", { id: "glossary", hidden: "", role: "dialog", "aria-label": "Glossary" }, document.body);
    var head = make("div", { "class": "gl-head" }, page);
    make("strong", {}, head, "Glossary");
    make("span", { "class": "gl-hint" }, head,
      data.terms.length + " terms: what each word means and what it is in the data; a column opens its lineage");
    var search = make("input", { id: "glossary-search", type: "search", placeholder: "term or synonym", "aria-label": "search terms" }, head);
    var close = make("button", { type: "button", id: "glossary-close" }, head, "Close");
    var body = make("div", { "class": "gl-body" }, page);
    var sections = {};

    data.terms.forEach(function (t) {
      var section = make("section", { "class": "gl-term", id: "gl-term-" + t.id, "data-term": t.id }, body);
      make("h3", {}, section, t.name);
      make("p", { "class": "gl-definition" }, section, t.definition);
      var dl = make("dl", {}, section);
      row(dl, "Owner", [t.owner]).textContent = t.owner;
      row(dl, "Synonyms", t.synonyms).textContent += t.synonyms.join(", ");
      var columns = row(dl, "Columns", t.columns);
      columns.classList.add("gl-columns");
      t.columns.forEach(function (c) {
        var text = c.zone + " / " + c.name + "." + c.column + (c.role ? " (ML " + c.role + ")" : "");
        var button = make("button", { type: "button", "class": "gl-column", "data-key": c.model + "|" + c.column, title: "column lineage" }, columns, text);
        button.addEventListener("click", function () { openLineage(c.model, c.column); });
      });
      row(dl, "Metrics", t.metrics).textContent += t.metrics.join(", ");
      row(dl, "Semantic layer", t.semantic).textContent += t.semantic.join(", ");
      row(dl, "Saved queries", t.saved_queries).textContent += t.saved_queries.join(", ");
      row(dl, "Exposures", t.exposures).textContent += t.exposures.join(", ");
      var ml = row(dl, "ML", t.ml_datasets.concat(t.ml_roles));
      if (t.ml_roles.length) make("span", { "class": "gl-role" }, ml, t.ml_roles.join(", ") + " ");
      if (t.ml_datasets.length) ml.appendChild(document.createTextNode("in " + t.ml_datasets.join(", ")));
      sections[t.id] = section;
    });

    function show(id) {
      page.hidden = false;
      search.value = "";
      filter();
      if (id && sections[id]) sections[id].scrollIntoView();
    }

    function filter() {
      var needle = search.value.trim().toLowerCase();
      data.terms.forEach(function (t) {
        var text = [t.name].concat(t.synonyms).join(" ").toLowerCase();
        sections[t.id].hidden = needle !== "" && text.indexOf(needle) < 0;
      });
    }

    open.addEventListener("click", function () { show(null); });
    close.addEventListener("click", function () { page.hidden = true; });
    search.addEventListener("input", filter);

    /* A model's page: the term beside each column name of its columns table (dbt docs
       reuses the rows from one model to the next: a badge is for one model and column). */
    function annotate() {
      var match = PAGE.exec(window.location.hash);
      var model = match ? decodeURIComponent(match[1]) : "";
      Array.prototype.forEach.call(document.querySelectorAll("tr.column-row"), function (tr) {
        var cell = tr.querySelector("td");
        var name = cell && cell.querySelector("span");
        if (!name) return;
        var key = model + "|" + name.textContent.trim();
        var badge = cell.querySelector(".gl-column-term");
        if (badge && badge.getAttribute("data-key") === key) return;
        if (badge) badge.remove();
        var id = data.columns[key];
        if (!id) return;
        badge = make("span", { "class": "gl-column-term", "data-term": id, "data-key": key, title: "glossary term" }, null, "term: " + byId[id].name);
        badge.addEventListener("click", function (event) { event.stopPropagation(); show(id); });
        cell.appendChild(badge);
      });
    }
    /* docs.html?term=<id> (the report's links) opens the Glossary on that term */
    var wanted = new URLSearchParams(window.location.search).get("term");
    if (wanted && sections[wanted]) show(wanted);
    new MutationObserver(annotate).observe(document.body, { childList: true, subtree: true });
    window.addEventListener("hashchange", annotate);
    annotate();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build);
  else build();
})();
