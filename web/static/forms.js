// Kijun forms. A refused form comes back with its errors tied to their
// fields in the markup (aria-invalid, aria-describedby) and an error
// summary at the top (tabindex="-1") whose links lead to the fields; this
// file only moves focus to that summary, so that a screen reader reads it
// first. Every page works without it.
(function () {
  "use strict";
  var summary = document.querySelector("main .notice--error[role=alert]");
  if (summary) {
    summary.focus();
  }
})();
