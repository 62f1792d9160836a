/* Patient summary charts: fetches the JSON API and draws uPlot charts and the actogram.
 * No inline script (the CSP forbids it): everything the page needs comes from data-* and fetch. */
(function () {
  "use strict";
  var root = document.getElementById("summary");
  if (!root) return;
  var pid = encodeURIComponent(root.dataset.patient);
  var q = "?days=" + root.dataset.days + (root.dataset.end ? "&end=" + root.dataset.end : "");
  var rendered = window.wearlogRendered = {};

  function width(el) { return Math.max(320, Math.min(960, el.clientWidth || 960)); }

  function chart(id, title, x, series, opts) {
    var el = document.getElementById(id);
    if (!el) return;
    var data = [x].concat(series.map(function (s) { return s.values; }));
    var points = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null) points++; }); });
    var o = {
      title: title, width: width(el), height: 200,
      scales: { x: { time: true, range: opts && opts.range ? function () { return opts.range; } : undefined } },
      series: [{}].concat(series.map(function (s) {
        return { label: s.label, stroke: s.color, width: 2, scale: s.scale || "y",
                 paths: s.pointsOnly ? function () { return null; } : undefined,
                 points: { show: true, size: s.pointsOnly ? 9 : 5, fill: s.color } };
      })),
      axes: [{}].concat(uniqueScales(series).map(function (sc, i) {
        return { scale: sc.scale, side: i === 0 ? 3 : 1, label: sc.label, grid: { show: i === 0 } };
      }))
    };
    if (opts && opts.yRange) o.scales.y = { range: opts.yRange };
    new uPlot(o, data, el);
    el.dataset.points = String(points);
    rendered[id] = points;
  }

  function uniqueScales(series) {
    var seen = {}, out = [];
    series.forEach(function (s) {
      var sc = s.scale || "y";
      if (!seen[sc]) { seen[sc] = true; out.push({ scale: sc, label: s.axis || s.label }); }
    });
    return out;
  }

  function col(rows, key) { return rows.map(function (r) { return r[key] === undefined ? null : r[key]; }); }

  fetch("/api/patients/" + pid + "/summary" + q, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error("summary: HTTP " + r.status); return r.json(); })
    .then(function (s) {
      var range = [s.day_starts_utc0 || null, null];
      var first = Date.parse(s.first_date + "T00:00:00Z") / 1000;
      var last = Date.parse(s.last_date + "T00:00:00Z") / 1000 + 86400;
      range = [first, last];
      if (s.nights.length) {
        var nx = col(s.nights, "x_utc");
        chart("chart-sleep", "Total sleep time (min) and efficiency (%)", nx, [
          { label: "TST min", values: col(s.nights, "tst_min"), color: "#1f3b73", axis: "min" },
          { label: "SE %", values: col(s.nights, "se_pct"), color: "#2e8b57", scale: "%", axis: "%" }
        ], { range: range });
        chart("chart-waso", "WASO and sleep onset latency (min)", nx, [
          { label: "WASO min", values: col(s.nights, "waso_min"), color: "#8e44ad", axis: "min" },
          { label: "Onset latency min", values: col(s.nights, "sol_min"), color: "#d35400" }
        ], { range: range });
      }
      if (s.days.length) {
        chart("chart-activity", "Steps, MVPA and sedentary time", col(s.days, "x_utc"), [
          { label: "Steps", values: col(s.days, "steps"), color: "#1f3b73", axis: "steps" },
          { label: "MVPA min", values: col(s.days, "mvpa_min"), color: "#c0392b", scale: "min", axis: "min" },
          { label: "Sedentary min", values: col(s.days, "sedentary_min"), color: "#7f8c8d", scale: "min" }
        ], { range: range });
      }
      var sx = col(s.symptoms, "utc");
      chart("chart-symptoms", "Symptom events (severity 1–5)", sx.length ? sx : [first], [
        { label: "Severity", values: sx.length ? col(s.symptoms, "severity") : [null],
          color: "#c0392b", pointsOnly: true }
      ], { range: range, yRange: [0, 5.5] });
      chart("chart-complete", "Worn share of each day (%)",
        s.completeness.map(function (c) { return Date.parse(c.date + "T12:00:00Z") / 1000; }), [
          { label: "Worn %", values: col(s.completeness, "worn_pct"), color: "#2c3e50" }
        ], { range: range, yRange: [0, 100] });
      root.dataset.chartsReady = "1";
    })
    .catch(function (e) { root.dataset.chartsError = String(e); });

  var status = document.getElementById("actogram-status");
  fetch("/api/patients/" + pid + "/actogram" + q, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error("actogram: HTTP " + r.status); return r.json(); })
    .then(function (a) {
      var t0 = performance.now();
      var bars = window.WearlogActogram.draw(document.getElementById("actogram"), a);
      var ms = Math.round(performance.now() - t0);
      status.textContent = a.epochs_with_data ? (a.epochs_with_data + " worn epochs over " + a.dates.length + " days (drawn in " + ms + " ms)")
                                              : "No worn data in this range.";
      document.getElementById("actogram").dataset.drawMs = String(ms);
      root.dataset.actogramReady = String(bars);
    })
    .catch(function (e) { status.textContent = "Actogram could not load: " + e.message; root.dataset.chartsError = String(e); });
})();
