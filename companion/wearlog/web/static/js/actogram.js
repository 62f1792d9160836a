/* Double-plotted actogram on a canvas: row i shows day i then day i+1 (48 h).
 *
 * Input: the /actogram JSON (uint8 per 30-s epoch, log-coded ENMO, 255 = no data or not
 * worn; `not_worn` runs say which of those were worn off) and the range's nights.
 * Bar height is ENMO on a linear scale from 0 to SCALE_MG (clipped above: the moderate
 * activity level), so rest at night is flat and the day stands out. Behind the bars:
 * the sleep window of each night (light blue), non-wear (amber, hatched) and no data
 * (grey); on top: bed (down triangle) and up (up triangle) marks and symptom ticks.
 * The raster is written into one ImageData (one pass over the epochs), then the marks
 * and labels are drawn: fast enough for 90 days on any laptop. */
(function () {
  "use strict";
  var SCALE_MG = 100;
  var C = { bg: [255, 255, 255], sleep: [207, 226, 243], nodata: [222, 222, 222],
            nonwear: [248, 231, 190], hatch: [214, 160, 60], bar: [31, 59, 115] };

  function decode(b64) {
    var s = atob(b64), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  /* byte -> bar height fraction 0..1 (the inverse of the server's log coding, then linear) */
  function heights() {
    var lut = new Float32Array(256), k = Math.log1p(2000) / 254;
    for (var b = 0; b < 255; b++) lut[b] = Math.min(1, Math.expm1(b * k) / 10 / SCALE_MG);
    lut[255] = -1;
    return lut;
  }
  var LUT = heights();

  function dayIndex(starts, utc) {
    for (var d = starts.length - 1; d >= 0; d--) if (utc >= starts[d]) return d;
    return -1;
  }

  function draw(canvas, acto, nights) {
    var vals = decode(acto.values_b64), per = acto.per_day, n = acto.dates.length;
    var starts = acto.day_starts_utc, total = n * per;
    var cssW = Math.round(canvas.dataset.printWidth ? Number(canvas.dataset.printWidth)
                          : (canvas.parentNode.clientWidth || 960));
    var W = Math.max(300, Math.min(1200, cssW));
    var narrow = W < 560;
    var label = narrow ? 40 : 52, right = 8, top = 20, bottom = 4;
    var PW = W - label - right;
    var rowH = Math.max(4, Math.min(canvas.dataset.printWidth ? 12 : 22,
                                    Math.floor((narrow ? 420 : 640) / n)));
    var H = top + n * rowH + bottom;
    canvas.width = W; canvas.height = H;
    canvas.style.height = "auto";

    // per-slot flags: 1 = inside a sleep window, 2 = not worn
    var flag = new Uint8Array(total);
    (acto.not_worn || []).forEach(function (r) {
      for (var k = r[0] * per + r[1], e = r[0] * per + r[2]; k < e && k < total; k++) flag[k] |= 2;
    });
    var windows = [];
    (nights || []).forEach(function (nt) {
      if (nt.onset_utc == null || nt.offset_utc == null) return;
      windows.push([nt.onset_utc, nt.offset_utc]);
      var t = nt.onset_utc;
      while (t < nt.offset_utc) {
        var d = dayIndex(starts, t);
        if (d < 0) { t = starts[0]; if (t >= nt.offset_utc) break; continue; }
        if (d >= n) break;
        var dayEnd = d + 1 < n ? starts[d + 1] : starts[d] + 86400;
        var a = Math.floor((t - starts[d]) / acto.epoch_s);
        var b = Math.ceil((Math.min(nt.offset_utc, dayEnd) - starts[d]) / acto.epoch_s);
        for (var k = d * per + a; k < d * per + Math.min(b, per); k++) flag[k] |= 1;
        t = dayEnd;
      }
    });

    var ctx = canvas.getContext("2d");
    var img = ctx.createImageData(W, H), px = img.data;
    for (var i = 0; i < px.length; i += 4) { px[i] = px[i + 1] = px[i + 2] = 255; px[i + 3] = 255; }
    function put(x, y, c) { var o = (y * W + x) * 4; px[o] = c[0]; px[o + 1] = c[1]; px[o + 2] = c[2]; }

    var perPx = (2 * per) / PW, bars = 0, sleepPx = 0, nonwearPx = 0, nodataPx = 0;
    var inner = rowH - 1;  // one pixel between rows
    for (var r = 0; r < n; r++) {
      var y0 = top + r * rowH;
      for (var c = 0; c < PW; c++) {
        var a0 = Math.floor(c * perPx), b0 = Math.max(a0 + 1, Math.floor((c + 1) * perPx));
        var best = -1, missing = 0, nw = 0, sl = 0;
        for (var k2 = a0; k2 < b0; k2++) {
          var day = r + (k2 >= per ? 1 : 0);
          if (day >= n) { missing++; continue; }
          var idx = day * per + (k2 % per), v = vals[idx], f = flag[idx];
          if (f & 1) sl++;
          if (v === 255) { if (f & 2) nw++; else missing++; } else if (v > best) best = v;
        }
        var x = label + c, bg = C.bg, hatch = false;
        if (best < 0) {
          if (nw > 0) { bg = C.nonwear; hatch = true; nonwearPx++; } else { bg = C.nodata; nodataPx++; }
        } else if (sl * 2 >= b0 - a0) { bg = C.sleep; sleepPx++; }
        var h = best < 0 ? 0 : Math.round(LUT[best] * (inner - 1));
        if (best >= 0 && h < 1 && best > 0) h = 1;
        for (var yy = 0; yy < inner; yy++) {
          var y = y0 + yy;
          if (inner - yy <= h) put(x, y, C.bar);
          else put(x, y, hatch && ((x + y) % 4 === 0) ? C.hatch : bg);
        }
        if (h > 0) bars++;
      }
    }
    ctx.putImageData(img, 0, 0);

    // hour grid and labels over 48 h
    ctx.font = (narrow ? 10 : 11) + "px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.strokeStyle = "rgba(0,0,0,0.18)"; ctx.lineWidth = 1;
    var stepH = narrow ? 12 : 6;
    for (var hh = 0; hh <= 48; hh += stepH) {
      var gx = label + Math.round(hh / 48 * PW) + 0.5;
      ctx.beginPath(); ctx.moveTo(gx, top - 3); ctx.lineTo(gx, top + n * rowH); ctx.stroke();
      ctx.fillStyle = "#222";
      ctx.textAlign = hh === 0 ? "left" : hh === 48 ? "right" : "center";
      ctx.fillText(String(hh % 24).padStart(2, "0") + (narrow ? "" : ":00"), gx, 9);
    }
    // date labels, thinned so they never overlap
    ctx.textAlign = "left";
    var every = Math.max(1, Math.ceil(13 / rowH));
    for (var r2 = 0; r2 < n; r2 += every) {
      ctx.fillStyle = "#222";
      ctx.fillText(acto.dates[r2].slice(5), 2, top + r2 * rowH + rowH / 2);
    }

    // a UTC time -> the (row, x) places it is drawn at (its own row, left; the row above, right)
    function places(utc) {
      var d = dayIndex(starts, utc);
      if (d < 0 || d >= n) return [];
      var frac = (utc - starts[d]) / 86400, out = [];
      if (frac < 1) out.push([d, frac]);
      if (d - 1 >= 0) out.push([d - 1, 1 + frac]);
      return out.map(function (p) { return [p[0], label + Math.round(p[1] / 2 * PW)]; });
    }
    var bedMarks = 0, marks = 0;
    var tri = Math.max(3, Math.min(6, Math.floor(rowH / 2)));
    ctx.fillStyle = "#0b2a5b";
    windows.forEach(function (w) {
      places(w[0]).forEach(function (p) {  // bed: a down-pointing triangle at the row's top
        var y = top + p[0] * rowH;
        ctx.beginPath(); ctx.moveTo(p[1] - tri, y); ctx.lineTo(p[1] + tri, y); ctx.lineTo(p[1], y + tri); ctx.fill();
        bedMarks++;
      });
      places(w[1]).forEach(function (p) {  // up: an up-pointing triangle at the row's bottom
        var y = top + p[0] * rowH + inner;
        ctx.beginPath(); ctx.moveTo(p[1] - tri, y); ctx.lineTo(p[1] + tri, y); ctx.lineTo(p[1], y - tri); ctx.fill();
        bedMarks++;
      });
    });
    ctx.fillStyle = "#c0392b";
    (acto.symptoms || []).forEach(function (ev) {
      places(ev.utc).forEach(function (p) {
        ctx.fillRect(p[1] - 1, top + p[0] * rowH, 2, inner);
        marks++;
      });
    });
    canvas.dataset.rows = String(n);
    canvas.dataset.bars = String(bars);
    canvas.dataset.sleepPx = String(sleepPx);
    canvas.dataset.nonwearPx = String(nonwearPx);
    canvas.dataset.nodataPx = String(nodataPx);
    canvas.dataset.bedMarks = String(bedMarks);
    canvas.dataset.symptomMarks = String(marks);
    canvas.dataset.rowHeight = String(rowH);
    canvas.dataset.labelEvery = String(every);
    return bars;
  }

  window.WearlogActogram = { draw: draw, SCALE_MG: SCALE_MG };
})();
