// The portal chat: asks the server for new entries every two seconds and
// appends them, so the agent's reply shows without reloading the page.
(function () {
  "use strict";
  var box = document.querySelector("[data-testid=chat]");
  if (!box) return;
  var log = box.querySelector("[data-testid=chat-log]");
  var notice = box.querySelector("[data-testid=chat-notice]");
  var status = box.querySelector("[data-testid=chat-status]");
  var lastId = Number(box.dataset.lastId || 0);
  var every = Number(box.dataset.pollEvery || 2000);
  var busy = false;

  function add(entry) {
    if (entry.id <= lastId) return;
    var empty = log.querySelector(".chat-empty");
    if (empty) empty.remove();
    var li = document.createElement("li");
    li.className = "chat-msg " + (entry.mine ? "chat-mine" : "chat-theirs");
    li.dataset.entry = String(entry.id);
    var meta = document.createElement("span");
    meta.className = "chat-meta small muted";
    meta.textContent = entry.author + " · " + entry.time;
    var body = document.createElement("span");
    body.className = "chat-body";
    body.textContent = entry.body;
    li.appendChild(meta);
    li.appendChild(body);
    log.appendChild(li);
    lastId = entry.id;
  }

  function poll() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(box.dataset.pollUrl + "?since=" + lastId, {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        data.entries.forEach(add);
        notice.textContent = data.notice;
        if (status && data.status) status.textContent = data.status;
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { busy = false; });
  }

  window.setInterval(poll, every);
})();
