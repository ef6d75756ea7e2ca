/* Start Redoc on the schema URL the page names; kept out of the HTML for the Content Security Policy. */
"use strict";
(function () {
  var container = document.getElementById("redoc-container");
  if (!container || typeof Redoc === "undefined") {
    return;
  }
  Redoc.init(container.getAttribute("data-schema-url"), { hideDownloadButton: false, disableSearch: false }, container);
})();
