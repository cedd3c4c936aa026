/* Use case page charts (Chart.js 4, vendored in static/vendor): KPI trends with the stop-loss
   threshold lines and markers at model/prompt changes, actual against the scenario lines, and
   the value-leakage waterfall.

   Data: {{ charts|json_script:"use-case-charts" }} on the page (the waterfall), and one per
   section loaded later ("use-case-charts-trends", "use-case-charts-scenarios"; portfolio/
   use_case_page.py *_chart_data), named by each canvas's data-source:
   rates already in %, money rounded to cents. Each canvas says what it draws with data-chart
   ("kpi", "scenario", "waterfall") and data-key. A chart's box stays hidden until it is drawn,
   so without JavaScript (or without Chart.js) the page shows the tables with the same figures.

   The threshold lines and change markers are drawn by a small plugin ("vgGuides") of this file,
   registered per chart (not globally): options.plugins.vgGuides = {thresholds: [{value, label}],
   markers: [{x, label, title}]}, x being a fractional index on the week axis. */
(function () {
  "use strict";

  var COLORS = {
    line: "#1f5fbf",
    threshold: "#b3261e",
    marker: "#5d6778",
    grid: "#e6e9ef",
    total: "#1f5fbf",
    gain: "#1c7c4a",
    adoption: "#a86400",
    execution: "#b3261e",
    translation: "#7a4fb5",
    control: "#5d6778"
  };
  var SCENARIO_COLORS = ["#b3261e", "#5d6778", "#1c7c4a"]; // pessimistic, base, optimistic
  var FONT = "11px system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";

  function money(value, currency) {
    var n = Number(value);
    var text = Math.abs(n).toLocaleString("en", {
      minimumFractionDigits: 2,
      maximumFractionDigits: 2
    });
    return (n < 0 ? "−" : "") + currency + " " + text;
  }

  /* Axis ticks: whole currency units ("EUR 1,600"); tooltips keep the cents. */
  function moneyTick(value, currency) {
    var n = Number(value);
    return (n < 0 ? "−" : "") + currency + " " + Math.abs(n).toLocaleString("en", { maximumFractionDigits: 0 });
  }

  function formatter(unit, currency, tick) {
    if (unit === "%") {
      return function (v) { return Number(v).toLocaleString("en", { maximumFractionDigits: 1 }) + "%"; };
    }
    if (unit === "money") {
      return function (v) { return tick ? moneyTick(v, currency) : money(v, currency); };
    }
    return function (v) { return Number(v).toLocaleString("en", { maximumFractionDigits: 1 }); };
  }

  /* Point colours: red where a value breaches one of the thresholds. */
  function breachColors(values, thresholds) {
    return values.map(function (v) {
      var breach = v !== null && thresholds.some(function (t) {
        return t.side === "above" ? v > t.value : v < t.value;
      });
      return breach ? COLORS.threshold : COLORS.line;
    });
  }

  /* The plugin: dashed horizontal lines at thresholds, dashed vertical lines at changes. */
  function label(ctx, text, x, y, color) {
    var width = ctx.measureText(text).width;
    ctx.fillStyle = "rgba(255, 255, 255, 0.85)"; // keeps the label readable over the lines
    ctx.fillRect(x - 2, y - 1, width + 4, 13);
    ctx.fillStyle = color;
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText(text, x, y);
  }

  function dashed(ctx, color, dash, x0, y0, x1, y1) {
    ctx.strokeStyle = color;
    ctx.setLineDash(dash);
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  /* Lines first, then every label on top of them; all under the data (drawn before it). */
  var guides = {
    id: "vgGuides",
    beforeDatasetsDraw: function (chart, args, opts) {
      var area = chart.chartArea;
      var x = chart.scales.x;
      var y = chart.scales.y;
      var ctx = chart.ctx;
      if (!area || !x || !y) {
        return;
      }
      var lines = [];
      (opts.thresholds || []).forEach(function (t) {
        var py = y.getPixelForValue(t.value);
        if (isFinite(py) && py >= area.top - 1 && py <= area.bottom + 1) {
          lines.push({ kind: "threshold", at: py, text: t.label });
        }
      });
      (opts.markers || []).forEach(function (m) {
        var px = x.getPixelForValue(m.x);
        if (isFinite(px) && px >= area.left - 1 && px <= area.right + 1) {
          lines.push({ kind: "marker", at: px, text: m.label });
        }
      });
      ctx.save();
      ctx.font = FONT;
      ctx.lineWidth = 1.5;
      lines.forEach(function (l) {
        if (l.kind === "threshold") {
          dashed(ctx, COLORS.threshold, [6, 4], area.left, l.at, area.right, l.at);
        } else {
          dashed(ctx, COLORS.marker, [3, 3], l.at, area.top, l.at, area.bottom);
        }
      });
      var markerIndex = 0;
      lines.forEach(function (l) {
        var width = ctx.measureText(l.text).width;
        if (l.kind === "threshold") {
          var top = l.at - area.top < 16 ? l.at + 3 : l.at - 15;
          label(ctx, l.text, area.right - width - 4, top, COLORS.threshold);
        } else {
          var roomRight = area.right - l.at > width + 8;
          var lx = roomRight ? l.at + 4 : l.at - 4 - width;
          label(ctx, l.text, lx, area.top + 2 + (markerIndex % 2) * 13, COLORS.marker);
          markerIndex += 1;
        }
      });
      ctx.restore();
    }
  };

  function bounds(values, extra) {
    var all = values.filter(function (v) { return v !== null && v !== undefined; }).concat(extra);
    if (!all.length) {
      return {};
    }
    return { suggestedMin: Math.min.apply(null, all), suggestedMax: Math.max.apply(null, all) };
  }

  function lineOptions(unit, currency, guideOptions, yBounds, legend) {
    var fmt = formatter(unit, currency, false);
    var y = {
      grace: "8%", // room above and below the data for the threshold and marker labels
      ticks: { callback: formatter(unit, currency, true) },
      grid: { color: COLORS.grid }
    };
    Object.keys(yBounds).forEach(function (k) { y[k] = yBounds[k]; });
    if (yBounds.min !== undefined) {
      y.grace = 0; // the server's axis rule (reviews/chart_axes.py) already leaves room
      delete y.step;
      y.ticks.stepSize = yBounds.step;
    } else if (unit === "%" && (yBounds.suggestedMin === undefined || yBounds.suggestedMin >= 0)) {
      y.min = 0;
    }
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { ticks: { autoSkip: true, maxRotation: 0, maxTicksLimit: 8 }, grid: { display: false } },
        y: y
      },
      plugins: {
        legend: {
          display: !!legend,
          position: "bottom",
          labels: { usePointStyle: true, pointStyle: "line", boxWidth: 24 }
        },
        tooltip: {
          callbacks: {
            label: function (ctx) {
              var v = ctx.parsed.y;
              return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + (v === null ? "—" : fmt(v));
            }
          }
        },
        vgGuides: guideOptions
      }
    };
  }

  function pointRadius(n) {
    return n > 60 ? 0 : 2.5;
  }

  function drawKpi(canvas, data) {
    var kpi = data.kpis.filter(function (k) { return k.key === canvas.dataset.key; })[0];
    if (!kpi) {
      return false;
    }
    var thresholds = kpi.thresholds.map(function (t) { return t.value; });
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.weeks,
        datasets: [{
          label: kpi.label,
          data: kpi.values,
          borderColor: COLORS.line,
          backgroundColor: COLORS.line,
          pointBackgroundColor: breachColors(kpi.values, kpi.thresholds),
          pointBorderColor: breachColors(kpi.values, kpi.thresholds),
          borderWidth: 2,
          pointRadius: pointRadius(data.weeks.length),
          tension: 0,
          spanGaps: false
        }]
      },
      options: lineOptions(
        kpi.unit,
        data.currency,
        { thresholds: kpi.thresholds, markers: data.markers },
        kpi.axis || bounds(kpi.values, thresholds),
        false
      ),
      plugins: [guides]
    });
    return true;
  }

  function drawScenario(canvas, data) {
    var spec = data.scenarios[canvas.dataset.key];
    if (!spec) {
      return false;
    }
    var n = data.weeks.length;
    var datasets = [{
      label: "Actual",
      data: spec.actual,
      borderColor: COLORS.line,
      backgroundColor: COLORS.line,
      borderWidth: 2.5,
      pointRadius: pointRadius(n),
      tension: 0,
      spanGaps: false
    }];
    spec.lines.forEach(function (line, i) {
      var values = [];
      for (var k = 0; k < n; k += 1) {
        values.push(line.value);
      }
      datasets.push({
        label: line.label,
        data: values,
        borderColor: SCENARIO_COLORS[i % SCENARIO_COLORS.length],
        backgroundColor: SCENARIO_COLORS[i % SCENARIO_COLORS.length],
        borderDash: [6, 4],
        borderWidth: 1.5,
        pointRadius: 0
      });
    });
    var extra = spec.lines.map(function (l) { return l.value; });
    new window.Chart(canvas, {
      type: "line",
      data: { labels: data.weeks, datasets: datasets },
      options: lineOptions(
        spec.unit,
        data.currency,
        { markers: data.markers },
        spec.axis || bounds(spec.actual, extra),
        true
      ),
      plugins: [guides]
    });
    return true;
  }

  function drawWaterfall(canvas, data) {
    var bars = data.waterfall || [];
    if (!bars.length) {
      return false;
    }
    var currency = data.currency;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: bars.map(function (b) { return b.label; }),
        datasets: [{
          label: "Amount",
          data: bars.map(function (b) { return [Number(b.low), Number(b.high)]; }),
          backgroundColor: bars.map(function (b) {
            if (!b.leakage_point) {
              return COLORS.total;
            }
            if (Number(b.amount) < 0) {
              return COLORS.gain;
            }
            return COLORS[b.leakage_point] || COLORS.control;
          }),
          borderSkipped: false,
          borderRadius: 2,
          minBarLength: 2
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: "y",
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var b = bars[ctx.dataIndex];
                var point = b.leakage_point ? " (" + b.leakage_point + ")" : "";
                return (b.leakage_point ? "− " : "") + money(b.amount, currency) + point;
              }
            }
          }
        },
        scales: {
          x: { ticks: { callback: function (v) { return moneyTick(v, currency); }, maxTicksLimit: 6 } },
          y: { ticks: { autoSkip: false }, grid: { display: false } }
        }
      }
    });
    return true;
  }

  var DRAW = { kpi: drawKpi, scenario: drawScenario, waterfall: drawWaterfall };

  /* Draws the charts inside ``root`` not drawn yet: the page's on load, a section's when htmx
     swaps it in (portfolio/use_case_sections.py). Each canvas reads the JSON its data-source
     names (the page's "use-case-charts" by default). */
  function init(root) {
    if (typeof window.Chart === "undefined") {
      return;
    }
    var sources = {};
    var drawn = 0;
    root.querySelectorAll("canvas[data-chart]:not([data-drawn])").forEach(function (canvas) {
      var draw = DRAW[canvas.dataset.chart];
      var id = canvas.dataset.source || "use-case-charts";
      if (!(id in sources)) {
        var source = document.getElementById(id);
        sources[id] = source ? JSON.parse(source.textContent) : null;
      }
      var box = canvas.parentElement;
      if (!draw || !sources[id]) {
        return;
      }
      canvas.dataset.drawn = "1";
      box.hidden = false; // Chart.js measures the box: show it before drawing
      if (draw(canvas, sources[id])) {
        drawn += 1;
      } else {
        box.hidden = true;
      }
    });
    if (drawn) {
      // The charts show the trends; their table stays one click away.
      root.querySelectorAll("details.uc-chart-table[open]").forEach(function (d) {
        d.open = false;
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  // A section loaded by htmx: "htmx:load" names the new content.
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.querySelectorAll) {
      init(elt);
    }
  });
})();
