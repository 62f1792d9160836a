// Live sync progress from the server-sent events of /device/sync/<job>/events.
(function () {
  "use strict";
  var box = document.getElementById("sync");
  if (!box || !window.EventSource) { return; }
  var bar = document.getElementById("sync-progress");
  var status = document.getElementById("sync-status");
  var src = new EventSource("/device/sync/" + encodeURIComponent(box.dataset.job) + "/events");
  src.onmessage = function (e) {
    var j = JSON.parse(e.data);
    bar.value = j.percent;
    bar.textContent = j.percent + " %";
    if (j.state === "running") {
      status.textContent = j.percent + " % (" + j.received + " of " + j.total +
        " records) — keep the device near this computer.";
    } else {
      status.textContent = j.message;
      box.dataset.state = j.state;
      src.close();
    }
  };
  src.onerror = function () { src.close(); };
})();
