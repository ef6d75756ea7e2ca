/* Export buttons: once pressed, a button says "正在导出…" and cannot be pressed again until the
   file has arrived. A short list downloads at once: the server sends back the token this page
   put on the link as a cookie with the file, and the button comes back. A long list opens its
   job page instead (exports/), which shows the progress. Static file: the CSP allows no inline script. */
(function () {
  "use strict";

  var COOKIE = "export_done";
  var WAIT_MS = 120000;

  function cookieValue() {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i += 1) {
      if (parts[i].indexOf(COOKIE + "=") === 0) { return parts[i].slice(COOKIE.length + 1); }
    }
    return "";
  }

  function restore(link) {
    if (!link.hasAttribute("data-export-label")) { return; }
    link.textContent = link.getAttribute("data-export-label");
    link.removeAttribute("data-export-label");
    link.removeAttribute("aria-disabled");
    link.removeAttribute("aria-busy");
    if (link.hasAttribute("data-export-href")) {
      link.setAttribute("href", link.getAttribute("data-export-href"));
      link.removeAttribute("data-export-href");
    }
  }

  function watch(link, token) {
    var started = Date.now();
    var timer = window.setInterval(function () {
      if (cookieValue() === token || Date.now() - started > WAIT_MS || !document.contains(link)) {
        window.clearInterval(timer);
        document.cookie = COOKIE + "=; Max-Age=0; Path=/; SameSite=Lax";
        restore(link);
      }
    }, 300);
  }

  function token() {
    return Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-export]");
    if (!link) { return; }
    if (link.getAttribute("aria-disabled") === "true") { event.preventDefault(); return; }
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
    var value = token();
    var href = link.getAttribute("href");
    link.setAttribute("data-export-href", href);
    link.setAttribute("href", href + (href.indexOf("?") === -1 ? "?" : "&") + "export_token=" + value);
    link.setAttribute("data-export-label", link.textContent);
    link.textContent = link.getAttribute("data-busy-label") || link.textContent;
    link.setAttribute("aria-disabled", "true");
    link.setAttribute("aria-busy", "true");
    watch(link, value);
  });

  /* Back to a page kept by the browser: its buttons are ready again. */
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("a[data-export][data-export-label]").forEach(restore);
  });
})();
