/* The stage rules' editor: the principle editor's live checks for several conditions on one page. Rules are
   added, removed and moved up or down; a fact clicked in the panel goes into the condition last written in;
   a problem's fix is applied to the condition it was found in. The checks are the server's (htmx fragments). */
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("stage-rules-form");
    if (!form || form.dataset.editorReady) return;
    form.dataset.editorReady = "1";
    var sink = document.getElementById("rules-live");
    var ruleRows = document.getElementById("rule-rows");
    var ruleTemplate = document.getElementById("rule-template");
    var exampleRows = document.getElementById("example-rows");
    var exampleTemplate = document.getElementById("example-template");
    var empty = document.getElementById("examples-empty");
    var added = 0;

    function locked() {
      return Boolean(form.querySelector("fieldset[disabled]"));
    }

    function recheck() {
      if (sink) htmx.trigger(sink, "live-check");
    }

    function mirrorOf(textarea) {
      return document.getElementById("mirror-" + textarea.id.replace(/^cond-/, ""));
    }

    // A condition's box grows with its text, so a long rule is read whole on a phone (the mirror follows: inset 0).
    function fit(textarea) {
      textarea.style.height = "auto";
      textarea.style.height = textarea.scrollHeight + 2 + "px";
    }
    function fitAll() {
      form.querySelectorAll("[data-condition]").forEach(fit);
    }
    fitAll();
    window.addEventListener("resize", fitAll);

    form.addEventListener("input", function (event) {
      var target = event.target;
      if (target.hasAttribute("data-condition")) fit(target);
      if (target.closest("[data-live]")) recheck();
    });

    // Facts go into the condition last written in; a fix into the condition it was found in.
    var editor = ConditionEditor.attach(form, {
      recheck: recheck,
      mirrorOf: mirrorOf,
      locked: locked,
      followFocus: true,
      fixTarget: function (button) { return document.getElementById(button.dataset.for); },
    });

    function newKey(prefix) {
      added += 1;
      // A key no row of this page has, even rows added before a save the server sent back with errors.
      return prefix + Date.now().toString(36) + "-" + added;
    }

    function addRow(rows, template, prefix) {
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__key__/g, newKey(prefix)));
      htmx.process(rows.lastElementChild);
      return rows.lastElementChild;
    }

    function showEmpty() {
      if (empty) empty.hidden = exampleRows.children.length > 0;
    }

    document.addEventListener("click", function (event) {
      var target = event.target;
      if (locked()) return;
      var move = target.closest("[data-move]");
      if (move) {
        var row = move.closest("li");
        var other = move.dataset.move === "up" ? row.previousElementSibling : row.nextElementSibling;
        if (!other) return;
        if (move.dataset.move === "up") ruleRows.insertBefore(row, other);
        else ruleRows.insertBefore(other, row);
        move.focus();
        return recheck();
      }
      if (target.closest("[data-remove-rule]")) {
        var removed = target.closest("li");
        editor.forget(removed);
        removed.remove();
        return recheck();
      }
      if (target.closest("[data-add-rule]")) {
        var rule = addRow(ruleRows, ruleTemplate, "n");
        var textarea = rule.querySelector("[data-condition]");
        fit(textarea);
        textarea.focus();
        editor.remember(textarea);
        return recheck();
      }
      if (target.closest("[data-remove-example]")) {
        target.closest("tr").remove();
        showEmpty();
        return recheck();
      }
      if (target.closest("[data-add-example]")) {
        var example = addRow(exampleRows, exampleTemplate, "x");
        showEmpty();
        example.querySelector("input[name=ex_name]").focus();
        return recheck();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
