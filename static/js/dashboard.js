/* Portfolio dashboard: the value-leakage waterfall as a Chart.js floating bar chart.
   Data comes from the page ({{ summary.chart|json_script:"waterfall-data" }}); the table next to
   the chart holds the same figures and is all a browser without JavaScript shows. */
(function () {
  "use strict";

  var COLORS = {
    total: "#1f5fbf",
    adoption: "#a86400",
    execution: "#b3261e",
    translation: "#7a4fb5",
    control: "#5d6778",
    gain: "#1c7c4a"
  };

  function money(value, currency) {
    var n = Number(value);
    var text = Math.abs(n).toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return (n < 0 ? "−" : "") + currency + " " + text;
  }

  function compact(value, currency) {
    var n = Number(value);
    var text = Math.abs(n).toLocaleString("en", { notation: "compact", maximumFractionDigits: 1 });
    return (n < 0 ? "−" : "") + currency + " " + text;
  }

  function draw() {
    var source = document.getElementById("waterfall-data");
    var box = document.getElementById("waterfall-chart-box");
    var canvas = document.getElementById("waterfall-chart");
    if (!source || !box || !canvas || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var currency = data.currency || "";
    var bars = data.bars || [];
    box.hidden = false;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: bars.map(function (b) { return b.label; }),
        datasets: [{
          label: "Amount",
          data: bars.map(function (b) { return [Number(b.low), Number(b.high)]; }),
          backgroundColor: bars.map(function (b) {
            if (!b.leakage_point) { return COLORS.total; }
            if (Number(b.amount) < 0) { return COLORS.gain; }
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
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var b = bars[ctx.dataIndex];
                var prefix = b.leakage_point ? "− " : "";
                var point = b.leakage_point ? " (" + b.leakage_point + ")" : "";
                return prefix + money(b.amount, currency) + point;
              }
            }
          }
        },
        scales: {
          x: { ticks: { autoSkip: false, maxRotation: 50, minRotation: 30 } },
          y: {
            ticks: { callback: function (value) { return compact(value, currency); } }
          }
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
