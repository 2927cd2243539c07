// Kijun forms, for assistive technology. Every page works without this
// file; with it, a form that comes back refused
//  - ties each inline error to its field: the field gets aria-invalid and
//    the error's id in aria-describedby, so a screen reader reads the
//    reason with the field;
//  - moves focus to the error summary at the top (the first error notice
//    of the page), whose links lead to the fields.
(function () {
  "use strict";
  var n = 0;
  var boxes = document.querySelectorAll(".field--error");
  Array.prototype.forEach.call(boxes, function (box) {
    var errs = box.querySelectorAll(".error");
    if (!errs.length) {
      return;
    }
    var ids = Array.prototype.map.call(errs, function (e) {
      if (!e.id) {
        e.id = "field-error-" + (++n);
      }
      return e.id;
    }).join(" ");
    var controls = box.querySelectorAll("input:not([type=hidden]), select, textarea");
    Array.prototype.forEach.call(controls, function (c) {
      c.setAttribute("aria-invalid", "true");
      var d = c.getAttribute("aria-describedby");
      c.setAttribute("aria-describedby", d ? ids + " " + d : ids);
    });
  });
  // A control of a self-assessment with a note: the note describes the
  // control's whole group of fields.
  Array.prototype.forEach.call(document.querySelectorAll("fieldset.control--note"), function (box) {
    var note = box.querySelector(".error[id]");
    if (note && !box.hasAttribute("aria-describedby")) {
      box.setAttribute("aria-describedby", note.id);
    }
  });
  var summary = document.querySelector("main .notice--error[role=alert]");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
})();
