/* The campaign form's audience: checked and counted as it is typed (the server's fragments, the principle
   editor's report in the audience context). Facts, fixes and the fact filter are condition_editor.js's. */
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("campaign-form");
    if (!form || form.dataset.editorReady) return;
    form.dataset.editorReady = "1";
    var audience = form.querySelector("[data-condition]");
    var check = document.getElementById("condition-check");
    var count = document.getElementById("audience-count");

    function recheck() {
      htmx.trigger(check, "live-check");
      htmx.trigger(count, "audience-changed");
    }

    audience.addEventListener("input", recheck);
    // The list (pasted, uploaded, removed) changes the count only.
    form.querySelectorAll("[data-list-input]").forEach(function (input) {
      input.addEventListener(input.type === "textarea" ? "input" : "change", function () {
        htmx.trigger(count, "audience-changed");
      });
    });
    ConditionEditor.attach(form, { recheck: recheck });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
