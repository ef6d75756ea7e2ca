/* Character counters for long text fields, on the voter site and the staff pages.
   A field with a limit (textarea[maxlength], or any field marked data-count) loses the
   browser's hard cut, which trims a paste without a word, and gets a live count instead
   ("已输入 120/2000 字"); past the limit the count turns into a warning. The server refuses
   over-long text in any case. Texts come from this script tag's data attributes (translated
   by the template); no inline script, no style attributes: only classes. Plain ES5. */
(function () {
  "use strict";

  var script = document.currentScript;
  var texts = {
    typed: (script && script.getAttribute("data-typed")) || "{count} / {limit}",
    over: (script && script.getAttribute("data-over")) || "{over} > {limit}"
  };
  var serial = 0;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return values.hasOwnProperty(name) ? String(values[name]) : all;
    });
  }

  // Characters as the server counts them: code points (an emoji is one), a line break one.
  function length(value) {
    var n = 0;
    for (var i = 0; i < value.length; i++) {
      var c = value.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) { i++; }
      n++;
    }
    return n;
  }

  function attach(field) {
    if (field.getAttribute("data-counted") === "1") { return; }
    var limit = parseInt(field.getAttribute("maxlength") || field.getAttribute("data-maxlength"), 10);
    if (!(limit > 0)) { return; }
    field.setAttribute("data-counted", "1");
    field.setAttribute("data-maxlength", String(limit));
    field.removeAttribute("maxlength");

    var counter = document.createElement("p");
    serial += 1;
    counter.id = (field.id || "field") + "-count-" + serial;
    counter.className = "char-count";
    counter.setAttribute("aria-live", "polite");
    field.parentNode.insertBefore(counter, field.nextSibling);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);

    function update() {
      var count = length(field.value);
      var over = count > limit;
      counter.textContent = over
        ? format(texts.over, { over: count - limit, limit: limit, count: count })
        : format(texts.typed, { count: count, limit: limit });
      counter.classList.toggle("over", over);
      field.classList.toggle("is-over", over);
    }
    field.addEventListener("input", update);
    update();
  }

  function scan(root) {
    var fields = (root || document).querySelectorAll("textarea[maxlength], textarea[data-maxlength], [data-count]");
    Array.prototype.forEach.call(fields, attach);
  }

  if (document.readyState !== "loading") { scan(document); } else {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  }
  // Staff forms swapped in by htmx (the action panel) get their counters too.
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
