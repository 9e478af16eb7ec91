/* The principle editor: live checks as you type, the fix of a problem, facts inserted at the cursor,
   rows of examples added and removed. The checks themselves are the server's (htmx fragments). */
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("principle-form");
    if (!form || form.dataset.editorReady) return;
    form.dataset.editorReady = "1";
    var condition = form.querySelector("[data-condition]");
    var mirror = document.getElementById("condition-mirror");
    var check = document.getElementById("condition-check");
    var count = document.getElementById("match-count");
    var rows = document.getElementById("example-rows");
    var template = document.getElementById("example-template");
    var empty = document.getElementById("examples-empty");
    var added = 0;
    // Where a fact clicked in the panel goes: the caret as last left in the condition (its end until then).
    var caret = null;

    function recheck(conditionChanged) {
      htmx.trigger(check, "live-check");
      if (conditionChanged && count) htmx.trigger(count, "condition-changed");
    }

    function edited(text) {
      condition.focus();
      condition.dispatchEvent(new Event("input", { bubbles: true }));
      caret = condition.selectionEnd;
      return text;
    }

    form.addEventListener("input", function (event) {
      var target = event.target;
      if (target === condition) {
        caret = condition.selectionEnd;
        recheck(true);
      } else if (target.closest("[data-live]") || target.hasAttribute("data-live")) {
        recheck(false);
      }
    });

    ["keyup", "click", "select"].forEach(function (name) {
      condition.addEventListener(name, function () { caret = condition.selectionEnd; });
    });
    // The underlining copy scrolls with the text it lies under.
    condition.addEventListener("scroll", function () {
      mirror.scrollTop = condition.scrollTop;
      mirror.scrollLeft = condition.scrollLeft;
    });

    function insertFact(name) {
      var at = caret === null ? condition.value.length : Math.min(caret, condition.value.length);
      var end = at;
      if (caret !== null && condition.selectionStart !== condition.selectionEnd && condition.selectionEnd === at) {
        at = condition.selectionStart;
      }
      var before = condition.value.slice(0, at);
      var after = condition.value.slice(end);
      var text = name;
      if (before && !/[\s(\[]$/.test(before)) text = " " + text;
      if (after && !/^[\s)\],]/.test(after)) text += " ";
      condition.setRangeText(text, at, end, "end");
      edited(text);
    }

    function applyFix(button) {
      var start = Number(button.dataset.start);
      var end = Number(button.dataset.end);
      // The text may have changed since the check: fix only what the problem was about.
      if (condition.value.slice(start, end) !== button.dataset.replaced) {
        recheck(true);
        return;
      }
      condition.setRangeText(button.dataset.replacement, start, end, "end");
      edited(button.dataset.replacement);
    }

    function showEmpty() {
      if (empty) empty.hidden = rows.children.length > 0;
    }

    document.addEventListener("click", function (event) {
      var fix = event.target.closest("[data-fix]");
      if (fix) return applyFix(fix);
      var fact = event.target.closest("[data-insert]");
      if (fact) return insertFact(fact.dataset.insert);
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

    // A browser that restores what was typed (Back, reload) leaves the server's underlining copy behind.
    if (condition.value.trim() && condition.value !== mirror.textContent) recheck(true);

    var filter = document.getElementById("fact-filter");
    var none = document.getElementById("fact-none");
    if (filter) {
      filter.addEventListener("input", function () {
        var words = filter.value.toLowerCase().trim().split(/\s+/).filter(Boolean);
        var shown = 0;
        document.querySelectorAll(".fact-list li").forEach(function (item) {
          var text = item.dataset.search;
          var match = words.every(function (word) { return text.indexOf(word) !== -1; });
          item.hidden = !match;
          if (match) shown += 1;
        });
        if (none) none.hidden = shown > 0;
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
