/* Double-plotted actogram on a canvas: row i shows day i then day i+1 (48 h).
 * Input: the /actogram JSON (uint8 per 30-s epoch, 255 = missing/not worn).
 * Each pixel column takes the maximum of its epochs, so 90 x 5,760 epochs draw as
 * ~90 x 870 rectangles: fast enough on any laptop. */
(function () {
  "use strict";
  function decode(b64) {
    var s = atob(b64), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  function draw(canvas, acto) {
    var vals = decode(acto.values_b64), per = acto.per_day, n = acto.dates.length;
    var label = 84, top = 18, rowH = Math.max(6, Math.min(22, Math.floor(600 / n)));
    var W = canvas.width, PW = W - label - 4;
    canvas.height = top + n * rowH + 4;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, canvas.height);
    ctx.font = "11px sans-serif"; ctx.fillStyle = "#222"; ctx.textBaseline = "middle";
    // hour ticks over 48 h
    ctx.strokeStyle = "#ddd"; ctx.lineWidth = 1;
    for (var h = 0; h <= 48; h += 6) {
      var x = label + Math.round(h / 48 * PW) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, top - 4); ctx.lineTo(x, top + n * rowH); ctx.stroke();
      ctx.fillText(String(h % 24).padStart(2, "0"), x - 6, 8);
    }
    var perPx = (2 * per) / PW, bars = 0;
    for (var r = 0; r < n; r++) {
      var y0 = top + r * rowH;
      ctx.fillStyle = "#222"; ctx.fillText(acto.dates[r].slice(5), 4, y0 + rowH / 2);
      for (var px = 0; px < PW; px++) {
        var a = Math.floor(px * perPx), b = Math.max(a + 1, Math.floor((px + 1) * perPx));
        var best = -1, anyMissing = false;
        for (var k = a; k < b; k++) {
          var day = r + (k >= per ? 1 : 0), slot = k % per;
          if (day >= n) { anyMissing = true; continue; }
          var v = vals[day * per + slot];
          if (v === 255) anyMissing = true; else if (v > best) best = v;
        }
        if (best < 0) {
          if (anyMissing) { ctx.fillStyle = "#e4e4e4"; ctx.fillRect(label + px, y0 + 1, 1, rowH - 2); }
          continue;
        }
        var hgt = Math.max(1, Math.round(best / 254 * (rowH - 2)));
        ctx.fillStyle = "#1f3b73";
        ctx.fillRect(label + px, y0 + rowH - 1 - hgt, 1, hgt);
        bars++;
      }
      ctx.strokeStyle = "#eee"; ctx.beginPath();
      ctx.moveTo(label, y0 + rowH - 0.5); ctx.lineTo(W, y0 + rowH - 0.5); ctx.stroke();
    }
    // symptom ticks: a day appears on its own row (left) and the previous row (right)
    var starts = acto.day_starts_utc, marks = 0;
    ctx.fillStyle = "#c0392b";
    (acto.symptoms || []).forEach(function (ev) {
      for (var d = n - 1; d >= 0; d--) {
        if (ev.utc >= starts[d]) {
          var frac = (ev.utc - starts[d]) / 86400;
          [[d, frac], [d - 1, 1 + frac]].forEach(function (p) {
            if (p[0] < 0 || p[0] >= n) return;
            var x = label + Math.round(p[1] / 2 * PW);
            ctx.fillRect(x - 1, top + p[0] * rowH, 2, rowH);
            marks++;
          });
          break;
        }
      }
    });
    canvas.dataset.rows = String(n);
    canvas.dataset.bars = String(bars);
    canvas.dataset.symptomMarks = String(marks);
    return bars;
  }

  window.WearlogActogram = { draw: draw };
})();
