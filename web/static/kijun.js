// Kijun progressive enhancement. Every page works without this file; with
// it, the answers of a self-assessment save themselves as the user works.
//
// A form with data-autosave="/assessments/ID/answers/" holds one fieldset
// per control (data-ref). When a field of a control changes, that control's
// fields are posted to data-autosave + ref. The reply carries the answer's
// new version (kept in the hidden version-REF field, for optimistic
// locking). On a conflict the whole form is submitted the ordinary way, and
// the page comes back with both versions side by side.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var base = form.getAttribute("data-autosave");
  var timers = {};
  var busy = {};
  var again = {};
  // Once the form is being submitted the ordinary way, the page is on its
  // way out: no more saves, and no reaction to saves still in flight
  // (the server compares what is stored, so nothing is lost).
  var submitting = false;
  // A submission while saves are in flight waits for them, so that the
  // form carries the versions they wrote: otherwise the server would see
  // the user's own save as someone else's (a false conflict).
  var waiting = false;
  var waitingSubmitter = null;
  function anyBusy() {
    return Object.keys(busy).some(function (ref) { return busy[ref]; });
  }
  form.addEventListener("submit", function (ev) {
    Object.keys(timers).forEach(function (ref) { clearTimeout(timers[ref]); });
    if (anyBusy()) {
      ev.preventDefault();
      waiting = true;
      waitingSubmitter = ev.submitter || null;
      return;
    }
    submitting = true;
  });
  function settle() {
    if (!waiting || anyBusy()) {
      return;
    }
    waiting = false;
    if (form.requestSubmit && waitingSubmitter) {
      form.requestSubmit(waitingSubmitter);
    } else {
      submitting = true;
      form.submit();
    }
  }

  function fieldsetOf(el) {
    while (el && el !== form) {
      if (el.tagName === "FIELDSET" && el.hasAttribute("data-ref")) {
        return el;
      }
      el = el.parentNode;
    }
    return null;
  }

  function say(ref, text) {
    var out = document.getElementById("status-" + ref);
    if (out) {
      out.textContent = text;
    }
  }

  function save(fs) {
    var ref = fs.getAttribute("data-ref");
    if (submitting) {
      return;
    }
    if (busy[ref]) {
      again[ref] = true;
      return;
    }
    busy[ref] = true;
    var body = new URLSearchParams();
    fs.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name || el.type === "file" || el.disabled) {
        return;
      }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) {
        return;
      }
      if (el.name.indexOf("comment-") === 0) {
        return;
      }
      body.append(el.name, el.value);
    });
    say(ref, form.getAttribute("data-saving") || "…");
    fetch(base + encodeURIComponent(ref), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: body
    }).then(function (resp) {
      return resp.json().then(function (reply) {
        return { status: resp.status, reply: reply };
      });
    }).then(function (r) {
      busy[ref] = false;
      if (submitting) {
        return;
      }
      if (r.status === 200) {
        var v = fs.querySelector('input[name="version-' + ref + '"]');
        if (v) {
          v.value = String(r.reply.version);
        }
        say(ref, r.reply.message);
        if (again[ref] && !waiting) {
          again[ref] = false;
          save(fs);
        }
        settle();
      } else if (r.status === 409) {
        say(ref, r.reply.message);
        submitting = true;
        form.submit(); // the server shows both versions; nothing typed is lost
      } else {
        say(ref, r.reply.message);
        settle();
      }
    }).catch(function () {
      busy[ref] = false;
      say(ref, form.getAttribute("data-offline") || "!");
      settle();
    });
  }

  function schedule(ev, delay) {
    var fs = fieldsetOf(ev.target);
    if (!fs || ev.target.type === "file" || (ev.target.name || "").indexOf("comment-") === 0) {
      return;
    }
    var ref = fs.getAttribute("data-ref");
    clearTimeout(timers[ref]);
    timers[ref] = setTimeout(function () { save(fs); }, delay);
  }

  // Files chosen and comments typed are sent only with the form: leaving
  // the page without sending it would drop them, so the browser asks first.
  window.addEventListener("beforeunload", function (ev) {
    if (submitting || waiting) {
      return;
    }
    var unsent = Array.prototype.some.call(form.querySelectorAll('input[type="file"], textarea[name^="comment-"]'), function (el) {
      return el.type === "file" ? el.files && el.files.length > 0 : el.value.trim() !== "";
    });
    if (unsent) {
      ev.preventDefault();
      ev.returnValue = "";
    }
  });

  form.addEventListener("change", function (ev) { schedule(ev, 0); });
  form.addEventListener("input", function (ev) {
    if (ev.target.tagName === "TEXTAREA" || ev.target.type === "text") {
      schedule(ev, 1500);
    }
  });
})();
