/* The principle editor: live checks as you type, rows of examples added and removed. The checks themselves
   are the server's (htmx fragments); facts, fixes and the fact filter are condition_editor.js's. */
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("principle-form");
    if (!form || form.dataset.editorReady) return;
    form.dataset.editorReady = "1";
    var condition = form.querySelector("[data-condition]");
    var check = document.getElementById("condition-check");
    var count = document.getElementById("match-count");
    var rows = document.getElementById("example-rows");
    var template = document.getElementById("example-template");
    var empty = document.getElementById("examples-empty");
    var added = 0;

    function recheck(conditionChanged) {
      htmx.trigger(check, "live-check");
      if (conditionChanged && count) htmx.trigger(count, "condition-changed");
    }

    form.addEventListener("input", function (event) {
      var target = event.target;
      if (target === condition) {
        recheck(true);
      } else if (target.closest("[data-live]") || target.hasAttribute("data-live")) {
        recheck(false);
      }
    });

    // Facts, fixes, the fact filter and the underlining copy: the editor every condition has.
    ConditionEditor.attach(form, {
      recheck: function () { recheck(true); },
    });

    function showEmpty() {
      if (empty) empty.hidden = rows.children.length > 0;
    }

    document.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-remove-example]");
      if (remove && !form.querySelector("fieldset[disabled]")) {
        remove.closest("tr").remove();
        showEmpty();
        return recheck(false);
      }
      var add = event.target.closest("[data-add-example]");
      if (add) {
        added += 1;
        // A key no row of this page has, even rows added before a save the server sent back with errors.
        var key = "n" + Date.now().toString(36) + "-" + added;
        rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__key__/g, key));
        showEmpty();
        rows.lastElementChild.querySelector("input[name=ex_name]").focus();
        return recheck(false);
      }
    });

    // A new effect brings its own parameters: run the examples again once they are in the form.
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target && event.detail.target.id === "effect-params") recheck(false);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
