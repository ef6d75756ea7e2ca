/* Voter site enhancements. Everything works without this file; it only adds comfort.
   Served from our own origin (strict CSP: no inline script). */
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  onReady(function () {
    // A form marked data-once disables its submit button after the first tap, so a
    // double tap on a slow connection sends it once (the server also merges duplicates).
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          window.setTimeout(function () { button.disabled = true; }, 0);
        });
      });
    });

    // Captcha: "another picture" without reloading the page (and losing what was typed).
    document.querySelectorAll("[data-captcha-refresh]").forEach(function (button) {
      var row = button.closest(".field") || document;
      var image = row.querySelector("[data-captcha-image]");
      var key = row.querySelector("input[type=hidden][name$='_0']");
      var answer = row.querySelector("input[type=text][name$='_1']");
      if (!image || !key || !window.fetch) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        fetch(button.getAttribute("data-captcha-refresh"), {
          headers: { "X-Requested-With": "XMLHttpRequest" },
          credentials: "same-origin"
        }).then(function (response) { return response.json(); }).then(function (data) {
          image.src = data.image_url;
          key.value = data.key;
          if (answer) { answer.value = ""; answer.focus(); }
        });
      });
    });

    // Poster page: a print button.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
