/* Patient summary charts: fetches the JSON API and draws the time-series charts (one shared
 * time axis, timeaxis.js) and the actogram. No inline script (the CSP forbids it):
 * everything the page needs comes from data-* and fetch. */
(function () {
  "use strict";
  var root = document.getElementById("summary");
  if (!root) return;
  var pid = encodeURIComponent(root.dataset.patient);
  var q = "?days=" + root.dataset.days + (root.dataset.end ? "&end=" + root.dataset.end : "");
  var rendered = window.wearlogRendered = {};
  var TA = window.WearlogTimeAxis;
  var HALF_DAY = 43200;

  function col(rows, key) { return rows.map(function (r) { return r[key] === undefined ? null : r[key]; }); }
  function counted(r) { return r.valid && !r.excluded; }
  /* The values of rows that count (valid, not excluded); the others break the line. */
  function validCol(rows, key) { return rows.map(function (r) { return counted(r) && r[key] !== undefined ? r[key] : null; }); }
  function otherCol(rows, key) { return rows.map(function (r) { return counted(r) || r[key] === undefined ? null : r[key]; }); }
  function marks(rows) {
    return rows.filter(function (r) { return !counted(r); }).map(function (r) {
      return { from: r.x_utc - HALF_DAY, to: r.x_utc + HALF_DAY, kind: r.excluded ? "excluded" : "invalid" };
    });
  }
  function draw(id, spec) {
    var out = TA.chart(id, spec);
    if (out) rendered[id] = out.points;
  }

  var summaryP = fetch("/api/patients/" + pid + "/summary" + q, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error("summary: HTTP " + r.status); return r.json(); })
    .then(function (s) {
      if (!s.first_date) { root.dataset.chartsReady = "1"; return s; }
      var first = Date.parse(s.first_date + "T00:00:00Z") / 1000;
      var last = Date.parse(s.last_date + "T00:00:00Z") / 1000 + 86400;
      // local midnights are day_starts; the x of a day is its local noon (x_utc)
      if (s.nights.length) first = Math.min(first, s.nights[0].x_utc - HALF_DAY);
      if (s.days.length) first = Math.min(first, s.days[0].x_utc - HALF_DAY);
      last = first + s.range_days * 86400;
      TA.setRange(first, last);
      var sym = s.symptoms || [];
      if (s.nights.length) {
        var nx = col(s.nights, "x_utc"), nm = marks(s.nights);
        draw("chart-sleep", { title: "Total sleep time (min) and efficiency (%)", x: nx, marks: nm, symptoms: sym, series: [
          { label: "TST min", values: validCol(s.nights, "tst_min"), color: "#1f3b73", axis: "min" },
          { label: "SE %", values: validCol(s.nights, "se_pct"), color: "#2e8b57", scale: "%", axis: "%" },
          { label: "not counted", values: otherCol(s.nights, "tst_min"), color: "#999", fill: "#fff", pointsOnly: true }
        ] });
        draw("chart-waso", { title: "WASO and sleep onset latency (min)", x: nx, marks: nm, symptoms: sym, series: [
          { label: "WASO min", values: validCol(s.nights, "waso_min"), color: "#8e44ad", axis: "min" },
          { label: "Onset latency min", values: validCol(s.nights, "sol_min"), color: "#d35400" }
        ] });
      }
      draw("chart-symptoms", { title: "Symptom events (severity 1–5)", height: 120,
        x: sym.length ? col(sym, "utc") : [first], series: [
          { label: "Severity", values: sym.length ? col(sym, "severity") : [null], color: "#c0392b",
            pointsOnly: true, range: [0, 5.5], axis: "severity" }
        ] });
      if (s.days.length) {
        var dx = col(s.days, "x_utc"), dm = marks(s.days);
        draw("chart-activity", { title: "Steps, MVPA and sedentary time", x: dx, marks: dm, symptoms: sym, series: [
          { label: "Steps", values: validCol(s.days, "steps"), color: "#1f3b73", axis: "steps" },
          { label: "MVPA min", values: validCol(s.days, "mvpa_min"), color: "#c0392b", scale: "min", axis: "min" },
          { label: "Sedentary min", values: validCol(s.days, "sedentary_min"), color: "#7f8c8d", scale: "min" },
          { label: "steps, not counted", values: otherCol(s.days, "steps"), color: "#999", fill: "#fff", pointsOnly: true }
        ] });
      }
      var cx = s.completeness.map(function (c) { return Date.parse(c.date + "T00:00:00Z") / 1000; });
      // completeness dates are local dates: place them at the same local noon as the days
      var noon = {};
      s.days.forEach(function (d) { noon[d.day] = d.x_utc; });
      cx = s.completeness.map(function (c, i) { return noon[c.date] || cx[i] + HALF_DAY; });
      draw("chart-complete", { title: "Worn share of each day (%)", x: cx, marks: s.days.length ? marks(s.days) : [], series: [
        { label: "Worn %", values: col(s.completeness, "worn_pct"), color: "#2c3e50", range: [0, 100], axis: "%" }
      ] });
      /* the x of each day of the range (its local noon): what the alignment test checks */
      window.wearlogSummaryDays = function () {
        var out = [];
        for (var i = 0; i < s.range_days; i++) out.push(first + i * 86400 + HALF_DAY);
        return out;
      };
      root.dataset.chartsReady = "1";
      return s;
    })
    .catch(function (e) { root.dataset.chartsError = String(e); return null; });

  /* The same layout whatever the window's width: print draws every chart at one width. */
  var PRINT_WIDTH = 440, ACTO_PRINT_WIDTH = 560, screenWidth = null, lastActo = null;
  function redrawActogram() {
    if (lastActo) window.WearlogActogram.draw(document.getElementById("actogram"), lastActo[0], lastActo[1]);
  }
  function toPrint() {
    var stamp = document.getElementById("printed-on");
    if (stamp) stamp.textContent = new Date().toLocaleString();
    if (screenWidth !== null) return;
    screenWidth = TA.width(); TA.resize(PRINT_WIDTH, 0.55);
    document.getElementById("actogram").dataset.printWidth = String(ACTO_PRINT_WIDTH);
    redrawActogram();
  }
  function toScreen() {
    if (screenWidth === null) return;
    screenWidth = null; TA.resize();
    delete document.getElementById("actogram").dataset.printWidth;
    redrawActogram();
  }
  window.addEventListener("beforeprint", toPrint);
  window.addEventListener("afterprint", toScreen);
  if (window.matchMedia) {
    var mq = window.matchMedia("print");
    var onChange = function (e) { if (e.matches) toPrint(); else toScreen(); };
    if (mq.addEventListener) mq.addEventListener("change", onChange);
  }
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    if (screenWidth !== null) return;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { TA.resize(); }, 150);
  });

  var status = document.getElementById("actogram-status");
  var actoP = fetch("/api/patients/" + pid + "/actogram" + q, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error("actogram: HTTP " + r.status); return r.json(); });
  Promise.all([actoP, summaryP])
    .then(function (both) {
      var a = both[0], s = both[1];
      var canvas = document.getElementById("actogram");
      var t0 = performance.now();
      lastActo = [a, s && s.nights ? s.nights : []];
      var bars = window.WearlogActogram.draw(canvas, a, lastActo[1]);
      canvas.dataset.drawMs = String(Math.round(performance.now() - t0));
      status.textContent = a.epochs_with_data ? "" : "No worn data in this range.";
      root.dataset.actogramReady = String(bars);
    })
    .catch(function (e) { status.textContent = "Actogram could not load: " + e.message; root.dataset.chartsError = String(e); });
})();
