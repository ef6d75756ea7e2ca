/* Liaison Station Portal — progressive enhancement for the staff workspace.
   Every page works without this file; it adds the phone menu, in-place forms (with htmx),
   quick entry of several suggestions per visit, print buttons and keyboard shortcuts.
   Loaded as a static file: the Content Security Policy allows no inline script. */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function focusFirstField(container) {
    if (!container) { return; }
    var target = container.querySelector(".has-error input, .has-error select, .has-error textarea") ||
      container.querySelector("[role=alert]") ||
      container.querySelector("input:not([type=hidden]):not([disabled]), select, textarea, button[type=submit]");
    if (target) {
      if (target.getAttribute("role") === "alert" && !target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
      target.focus({ preventScroll: false });
    }
  }

  /* --- Phone menu ------------------------------------------------------------------ */
  function initNav() {
    var toggle = document.querySelector("[data-nav-toggle]");
    var nav = document.getElementById("primary-nav");
    if (!toggle || !nav) { return; }
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) { var first = nav.querySelector("a"); if (first) { first.focus(); } }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        nav.classList.remove("open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }

  /* --- Print buttons ----------------------------------------------------------------- */
  function initPrint() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-print]");
      if (button) { event.preventDefault(); window.print(); }
    });
  }

  /* --- Visit entry: add and remove suggestion rows -------------------------------------- */
  function initFormset(form) {
    var prefix = form.getAttribute("data-prefix");
    var rows = form.querySelector("[data-rows]");
    var template = document.getElementById("suggestion-row-template");
    var total = form.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var maxForms = form.querySelector("input[name='" + prefix + "-MAX_NUM_FORMS']");
    if (!rows || !template || !total) { return; }

    function renumber() {
      var visible = 0;
      rows.querySelectorAll("[data-row]").forEach(function (row) {
        if (!row.hidden) { visible += 1; }
        var number = row.querySelector("[data-row-number]");
        if (number) { number.textContent = String(visible); }
      });
    }

    function decorate(row) {
      var remove = row.querySelector(".row-remove input[type=checkbox]");
      var legend = row.querySelector("legend");
      if (!remove || !legend || legend.querySelector(".row-remove-button")) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button small row-remove-button";
      button.textContent = form.getAttribute("data-remove-label") || row.querySelector(".row-remove label").textContent.replace(/[:：]\s*$/, "");
      button.addEventListener("click", function () {
        remove.checked = true;
        row.hidden = true;
        renumber();
        var next = form.querySelector("[data-add-row]");
        if (next) { next.focus(); }
      });
      legend.appendChild(button);
      if (remove.checked) { row.hidden = true; }
    }

    function addRow() {
      var index = parseInt(total.value, 10) || 0;
      if (maxForms && index >= parseInt(maxForms.value, 10)) { return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__num__/g, String(index + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = String(index + 1);
      decorate(row);
      renumber();
      var first = row.querySelector("input[type=text], textarea");
      if (first) { first.focus(); }
    }

    rows.querySelectorAll("[data-row]").forEach(decorate);
    renumber();
    var addButton = form.querySelector("[data-add-row]");
    if (addButton) {
      addButton.addEventListener("click", function (event) { event.preventDefault(); addRow(); });
    }
    form.addEventListener("keydown", function (event) {
      if (event.altKey && (event.key === "n" || event.key === "N")) { event.preventDefault(); addRow(); }
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); form.requestSubmit(); }
    });
    var summary = form.querySelector("[data-error-summary]");
    if (summary) { focusFirstField(form); }
  }

  /* --- Double submits ----------------------------------------------------------------- */
  function initSubmitGuard() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) { return; }
      if (form.getAttribute("method") !== "post") { return; }
      if (form.dataset.submitted === "1") { event.preventDefault(); return; }
      form.dataset.submitted = "1";
      window.setTimeout(function () { form.dataset.submitted = ""; }, 8000);
    });
  }

  /* --- In-place action forms (htmx) ------------------------------------------------------ */
  function initHtmx() {
    document.body.addEventListener("htmx:afterSwap", function (event) {
      var target = event.detail.target;
      if (target && (target.id === "action-panel" || target.classList.contains("action-form"))) {
        focusFirstField(target.id === "action-panel" ? target : document.getElementById("action-form"));
      }
      if (target && target.id === "results") {
        var heading = document.getElementById("h-results");
        if (heading && event.detail.requestConfig && event.detail.requestConfig.elt && event.detail.requestConfig.elt.closest(".pager")) {
          heading.setAttribute("tabindex", "-1");
          heading.focus();
        }
      }
    });
    document.addEventListener("click", function (event) {
      var cancel = event.target.closest(".action-panel [data-cancel]");
      if (!cancel) { return; }
      event.preventDefault();
      var panel = document.getElementById("action-panel");
      if (panel) { panel.innerHTML = ""; }
      var first = document.querySelector(".action-buttons a");
      if (first) { first.focus(); }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      var panel = document.getElementById("action-panel");
      if (panel && panel.contains(document.activeElement)) {
        panel.innerHTML = "";
        var first = document.querySelector(".action-buttons a");
        if (first) { first.focus(); }
      }
    });
  }

  /* --- Typed pickers with several values (co-units): one more field on demand ------------- */
  function initPickers() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-picker-add]");
      if (!button) { return; }
      event.preventDefault();
      var list = document.getElementById(button.getAttribute("data-picker-add") + "_list");
      var last = list && list.querySelector("li:last-child input");
      if (!last) { return; }
      var item = last.parentNode.cloneNode(true);
      var input = item.querySelector("input");
      input.value = "";
      input.id = button.getAttribute("data-picker-add") + "_" + String(list.children.length);
      list.appendChild(item);
      if (window.htmx) { window.htmx.process(input); }
      input.focus();
    });
  }

  ready(function () {
    initNav();
    initPickers();
    initPrint();
    initSubmitGuard();
    initHtmx();
    document.querySelectorAll("form[data-formset]").forEach(initFormset);
  });
})();
