// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Forms marked data-once disable their buttons after the first submit, so a
  // double click cannot send the request twice (the server also replays
  // by idempotency key).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) return;
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        b.disabled = true;
        b.setAttribute("aria-busy", "true");
      });
    }, 0);
  });
  // Selects marked data-submit-on-change (the operator's shop switcher) send
  // their form when changed; without scripts a button does it.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-submit-on-change") && field.form) {
      field.form.submit();
    }
  });
  // Countdown timers: <span class="countdown" data-until="ISO-8601">. With
  // data-overdue="label" the timer keeps counting past zero as "label
  // HH:MM:SS" and marks itself failed (the desk's SLA due times), else it
  // stops at zero (a sale's start or end).
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function span(left, dayUnit) {
    var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
    var m = Math.floor(left % 3600 / 60), s = left % 60;
    return (d > 0 ? d + (dayUnit || "d") + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  }
  function tick() {
    document.querySelectorAll("[data-until]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.dataset.until) - Date.now()) / 1000);
      if (isNaN(left)) return;
      var overdue = el.dataset.overdue;
      if (left < 0 && overdue) {
        el.textContent = overdue + " " + span(-left, el.dataset.dayUnit);
        el.classList.add("state-failed");
        return;
      }
      el.textContent = span(Math.max(0, left), el.dataset.dayUnit);
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
