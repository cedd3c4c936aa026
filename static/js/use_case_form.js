// The use case edit form: the reason field shows (and reads as required) once the stage or the
// funding differs from what is stored; the server asks for it either way. Without JavaScript the
// field is always shown.
(function () {
  "use strict";
  function setUp() {
    var box = document.getElementById("change-reason");
    var stage = document.getElementById("id_stage");
    var funding = document.getElementById("id_funding_status");
    if (!box || !stage || !funding) return;
    var label = box.querySelector("label");
    var star = document.createElement("span");
    star.className = "required";
    star.setAttribute("aria-hidden", "true");
    star.textContent = " *";
    var hasError = box.querySelector(".field-error") !== null;
    function update() {
      var changed =
        stage.value !== box.dataset.stage || funding.value !== box.dataset.funding;
      box.hidden = !changed && !hasError;
      box.querySelector("textarea").required = changed;
      if (changed && !star.parentNode) label.appendChild(star);
      if (!changed && star.parentNode) star.remove();
    }
    stage.addEventListener("change", update);
    funding.addEventListener("change", update);
    update();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
