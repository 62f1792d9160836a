/* One time axis for every time-series chart on the patient page.
 *
 * Every chart drawn with WearlogTimeAxis.chart() gets the same x range (the chosen days),
 * the same width and the same left and right gutters (an axis of fixed size on both sides,
 * empty when a chart has no right-hand scale), so a date sits at the same x on every chart.
 * Days or nights that are not valid (or excluded by the clinician) are shaded and left out
 * of the lines; symptom events are drawn as marks on the charts they belong to.
 *
 * To add another daily series (e.g. a diary), call
 *   WearlogTimeAxis.chart(elementId, {title, x, series, marks, symptoms})
 * with x in UTC seconds (noon of the local day) and one value per x (null = none).
 */
(function () {
  "use strict";
  var GUTTER_L = 64, GUTTER_R = 64, HEIGHT = 190;
  var axis = { range: null, width: 900 };
  var charts = window.wearlogCharts = {};
  var SEV = ["#f5b7b1", "#f1948a", "#e74c3c", "#b03a2e", "#641e16"];

  function containerWidth() {
    var root = document.getElementById("summary");
    var w = root ? root.clientWidth : 900;
    return Math.max(300, Math.min(960, w || 900));
  }

  function setRange(t0, t1) { axis.range = [t0, t1]; axis.width = containerWidth(); }

  /* Shaded bands (invalid / excluded days) under the series, symptom marks above them. */
  function overlay(spec) {
    return {
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx, b = u.bbox;
          (spec.marks || []).forEach(function (m) {
            var x0 = u.valToPos(m.from, "x", true), x1 = u.valToPos(m.to, "x", true);
            x0 = Math.max(b.left, x0); x1 = Math.min(b.left + b.width, x1);
            if (x1 <= x0) return;
            ctx.save();
            ctx.fillStyle = m.kind === "excluded" ? "rgba(140,140,140,0.28)" : "rgba(230,160,0,0.18)";
            ctx.fillRect(x0, b.top, x1 - x0, b.height);
            ctx.restore();
          });
        }],
        draw: [function (u) {
          var ctx = u.ctx, b = u.bbox, dpr = window.devicePixelRatio || 1;
          var band = 14 * dpr;
          (spec.symptoms || []).forEach(function (ev) {
            var x = Math.round(u.valToPos(ev.utc, "x", true));
            if (x < b.left || x > b.left + b.width) return;
            var sev = Math.max(1, Math.min(5, ev.severity | 0));
            var h = band * sev / 5;
            ctx.fillStyle = SEV[sev - 1];
            ctx.fillRect(x - dpr, b.top + b.height - h, 2 * dpr, h);
          });
        }]
      }
    };
  }

  function chart(id, spec) {
    var el = document.getElementById(id);
    if (!el || !axis.range) return null;
    var scales = [], seen = {};
    spec.series.forEach(function (s) {
      var sc = s.scale || "y";
      if (!seen[sc]) { seen[sc] = true; scales.push({ scale: sc, label: s.axis || s.label }); }
    });
    var yAxes = [scales[0], scales[1] || null].map(function (sc, i) {
      if (!sc) {  // no right-hand scale: an empty gutter of the same size
        return { scale: scales[0].scale, side: 1, size: GUTTER_R, label: " ", labelSize: 16,
                 values: function () { return []; }, ticks: { show: false }, grid: { show: false } };
      }
      return { scale: sc.scale, side: i === 0 ? 3 : 1, size: i === 0 ? GUTTER_L : GUTTER_R,
               label: sc.label || " ", labelSize: 16, grid: { show: i === 0 } };
    });
    var yScales = {};
    spec.series.forEach(function (s) {
      if (s.range) yScales[s.scale || "y"] = { range: s.range };
    });
    var points = 0;
    spec.series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null) points++; }); });
    var range = axis.range;
    var opts = {
      title: spec.title, width: axis.width, height: spec.height || HEIGHT,
      plugins: [overlay(spec)],
      scales: Object.assign({ x: { time: true, range: function () { return range; } } }, yScales),
      series: [{}].concat(spec.series.map(function (s) {
        return { label: s.label, stroke: s.color, width: 2, scale: s.scale || "y",
                 dash: s.dash, spanGaps: false,
                 paths: s.pointsOnly ? function () { return null; } : undefined,
                 points: { show: true, size: s.pointsOnly ? 9 : 5, fill: s.fill || s.color } };
      })),
      axes: [{ size: 40 }].concat(yAxes)
    };
    var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    el.innerHTML = "";
    var u = new uPlot(opts, data, el);
    charts[id] = u;
    el.dataset.points = String(points);
    el.dataset.marks = String((spec.marks || []).length);
    el.dataset.symptomMarks = String((spec.symptoms || []).length);
    return { plot: u, points: points };
  }

  /* The page x (CSS px) of a UTC time on a chart: what the alignment test compares. */
  function pageX(id, utc) {
    var u = charts[id];
    if (!u) return null;
    return u.over.getBoundingClientRect().left + u.valToPos(utc, "x");
  }

  /* Redraw every chart at one width (and heights scaled by `scale`, e.g. for print). */
  function resize(width, scale) {
    axis.width = width || containerWidth();
    Object.keys(charts).forEach(function (k) {
      var u = charts[k];
      if (!u.baseHeight) u.baseHeight = u.height;
      u.setSize({ width: axis.width, height: Math.round(u.baseHeight * (scale || 1)) });
    });
  }

  window.WearlogTimeAxis = { setRange: setRange, chart: chart, pageX: pageX, resize: resize,
                             width: function () { return axis.width; } };
})();
