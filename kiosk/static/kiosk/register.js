// Kiosk registration page: after a room is picked, poll the outcome of the card reader's latest
// reading (masked) and refresh the occupants; sign out when nobody touches the screen for the
// kiosk's idle time. Separate from kiosk.js (the vacant-room page).
// Picking a building shows its rooms (no inline onchange: the Content-Security-Policy refuses it).
(function () {
  "use strict";
  var select = document.querySelector("#pick-building select[name=building]");
  if (select) select.addEventListener("change", function () { select.form.submit(); });
})();

(function () {
  "use strict";
  var box = document.getElementById("armed");
  if (!box) return;
  var strings = JSON.parse(document.getElementById("register-strings").textContent);
  var result = document.getElementById("result");
  var lastReading = null;
  var first = true;

  function poll() {
    fetch(box.dataset.status, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (r.status === 403) { location.reload(); throw new Error("signed out"); } return r.json(); })
      .then(function (s) {
        var r = s.reading;
        var fresh = !first;  // readings already there when the page loaded are not news
        first = false;
        if (!r || r.id === lastReading) return;
        lastReading = r.id;
        if (!fresh && Date.now() - Date.parse(r.at) > 60000) return;  // an old reading: do not show it
        var ok = r.status < 300;
        result.className = ok ? "ok" : "bad";
        result.textContent = (ok ? strings.registered + ": " + r.name + " " + r.person + " · " : strings.refused + ": ") + r.detail;
        if (ok && fresh) setTimeout(function () { location.reload(); }, 2500);  // show the new occupant list
      })
      .catch(function () {});
  }
  poll();
  setInterval(poll, 1000);

  var idleMs = (parseInt(box.dataset.idle, 10) || 90) * 1000;
  var last = Date.now();
  ["pointerdown", "keydown", "touchstart"].forEach(function (e) {
    document.addEventListener(e, function () { last = Date.now(); }, { passive: true });
  });
  setInterval(function () {
    if (Date.now() - last > idleMs) document.getElementById("sign-out").submit();
  }, 1000);
})();
