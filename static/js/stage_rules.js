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
    // Where a fact clicked in the panel goes: the condition last written in, at its caret as last left.
    var current = form.querySelector("[data-condition]");
    var caret = null;

    function locked() {
      return Boolean(form.querySelector("fieldset[disabled]"));
    }

    function recheck() {
      if (sink) htmx.trigger(sink, "live-check");
    }

    function mirrorOf(textarea) {
      return document.getElementById("mirror-" + textarea.id.replace(/^cond-/, ""));
    }

    function remember(textarea) {
      current = textarea;
      caret = textarea.selectionEnd;
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
      if (target.hasAttribute("data-condition")) {
        remember(target);
        fit(target);
      }
      if (target.closest("[data-live]")) recheck();
    });
    ["keyup", "click", "select", "focusin"].forEach(function (name) {
      form.addEventListener(name, function (event) {
        if (event.target.hasAttribute && event.target.hasAttribute("data-condition")) remember(event.target);
      });
    });
    // The underlining copy scrolls with the text it lies under (scroll does not bubble: capture it).
    form.addEventListener("scroll", function (event) {
      var target = event.target;
      if (!target.hasAttribute || !target.hasAttribute("data-condition")) return;
      var mirror = mirrorOf(target);
      if (mirror) {
        mirror.scrollTop = target.scrollTop;
        mirror.scrollLeft = target.scrollLeft;
      }
    }, true);

    function edited(textarea) {
      textarea.focus();
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      remember(textarea);
    }

    function insertFact(name) {
      if (!current || locked()) return;
      var value = current.value;
      var at = caret === null ? value.length : Math.min(caret, value.length);
      var end = at;
      if (caret !== null && current.selectionStart !== current.selectionEnd && current.selectionEnd === at) {
        at = current.selectionStart;
      }
      var before = value.slice(0, at);
      var after = value.slice(end);
      var text = name;
      if (before && !/[\s(\[]$/.test(before)) text = " " + text;
      if (after && !/^[\s)\],]/.test(after)) text += " ";
      current.setRangeText(text, at, end, "end");
      edited(current);
    }

    function applyFix(button) {
      var textarea = document.getElementById(button.dataset.for);
      if (!textarea) return;
      var start = Number(button.dataset.start);
      var end = Number(button.dataset.end);
      // The text may have changed since the check: fix only what the problem was about.
      if (textarea.value.slice(start, end) !== button.dataset.replaced) return recheck();
      textarea.setRangeText(button.dataset.replacement, start, end, "end");
      edited(textarea);
    }

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
      var fix = target.closest("[data-fix]");
      if (fix) return applyFix(fix);
      var fact = target.closest("[data-insert]");
      if (fact) return insertFact(fact.dataset.insert);
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
        if (current && removed.contains(current)) current = null;
        removed.remove();
        return recheck();
      }
      if (target.closest("[data-add-rule]")) {
        var rule = addRow(ruleRows, ruleTemplate, "n");
        var textarea = rule.querySelector("[data-condition]");
        fit(textarea);
        textarea.focus();
        remember(textarea);
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

    // A browser that restores what was typed (Back, reload) leaves the server's underlining copies behind.
    var stale = Array.prototype.some.call(form.querySelectorAll("[data-condition]"), function (textarea) {
      var mirror = mirrorOf(textarea);
      return textarea.value.trim() && mirror && textarea.value !== mirror.textContent;
    });
    if (stale) recheck();

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
