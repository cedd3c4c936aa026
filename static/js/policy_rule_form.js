// The stop-loss rule form: the unit beside the threshold follows the chosen metric ("%" for
// rates, points for the quality score, money for net value). The server reads the threshold in
// the unit of the metric submitted, with or without this script.
(function () {
  "use strict";
  function setUp() {
    var data = document.getElementById("threshold-units");
    var metric = document.getElementById("id_metric");
    var unit = document.getElementById("threshold-unit");
    if (!data || !metric || !unit) return;
    var units = JSON.parse(data.textContent);
    metric.addEventListener("change", function () {
      unit.textContent = units[metric.value] || "";
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
