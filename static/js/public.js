/* Voter site enhancements. Everything works without this file; it only adds comfort.
   Served from our own origin (strict CSP: no inline script). Plain ES5 so that older
   in-app browsers (WeChat's X5 kernel) run it too. */
(function () {
  "use strict";

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  function fieldOf(element) {
    while (element && !(element.classList && element.classList.contains("field"))) {
      element = element.parentNode;
    }
    return element || document;
  }

  function onReady(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  onReady(function () {
    // A form marked data-once disables its submit button after the first tap, so a
    // double tap on a slow connection sends it once (the server also merges duplicates).
    each("form[data-once]", function (form) {
      form.addEventListener("submit", function () {
        Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
          window.setTimeout(function () { button.disabled = true; }, 0);
        });
      });
    });

    // Captcha: "another picture" without reloading the page (and losing what was typed).
    each("[data-captcha-refresh]", function (button) {
      var row = fieldOf(button);
      var image = row.querySelector("[data-captcha-image]");
      var key = row.querySelector("input[type=hidden][name$='_0']");
      var answer = row.querySelector("input[type=text][name$='_1']");
      if (!image || !key || !window.XMLHttpRequest || !window.JSON) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        var request = new XMLHttpRequest();
        request.open("GET", button.getAttribute("data-captcha-refresh"));
        request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
        request.onload = function () {
          if (request.status !== 200) { return; }
          var data = JSON.parse(request.responseText);
          image.src = data.image_url;
          key.value = data.key;
          if (answer) { answer.value = ""; answer.focus(); }
        };
        request.send();
      });
    });

    // The finder's "my district": choosing one shows the list at once (the search button does
    // the same without JavaScript).
    each("select[data-autosubmit]", function (select) {
      select.addEventListener("change", function () {
        if (select.form) { select.form.submit(); }
      });
    });

    // Poster page: a print button.
    each("[data-print]", function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
