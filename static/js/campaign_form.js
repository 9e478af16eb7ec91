/* The campaign form's audience: checked and counted as it is typed (the server's fragments, the principle
   editor's report in the audience context), a problem fixed with one click, facts inserted at the cursor. */
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("campaign-form");
    if (!form || form.dataset.editorReady) return;
    form.dataset.editorReady = "1";
    var audience = form.querySelector("[data-condition]");
    var mirror = document.getElementById("condition-mirror");
    var check = document.getElementById("condition-check");
    var count = document.getElementById("audience-count");
    // Where a fact clicked in the panel goes: the caret as last left in the audience (its end until then).
    var caret = null;

    function recheck() {
      htmx.trigger(check, "live-check");
      htmx.trigger(count, "audience-changed");
    }

    function edited() {
      audience.focus();
      audience.dispatchEvent(new Event("input", { bubbles: true }));
      caret = audience.selectionEnd;
    }

    audience.addEventListener("input", function () {
      caret = audience.selectionEnd;
      recheck();
    });
    ["keyup", "click", "select"].forEach(function (name) {
      audience.addEventListener(name, function () { caret = audience.selectionEnd; });
    });
    // The underlining copy scrolls with the text it lies under.
    audience.addEventListener("scroll", function () {
      mirror.scrollTop = audience.scrollTop;
      mirror.scrollLeft = audience.scrollLeft;
    });

    function insertFact(name) {
      var at = caret === null ? audience.value.length : Math.min(caret, audience.value.length);
      var end = at;
      if (caret !== null && audience.selectionStart !== audience.selectionEnd && audience.selectionEnd === at) {
        at = audience.selectionStart;
      }
      var before = audience.value.slice(0, at);
      var after = audience.value.slice(end);
      var text = name;
      if (before && !/[\s(\[]$/.test(before)) text = " " + text;
      if (after && !/^[\s)\],]/.test(after)) text += " ";
      audience.setRangeText(text, at, end, "end");
      edited();
    }

    function applyFix(button) {
      var start = Number(button.dataset.start);
      var end = Number(button.dataset.end);
      // The text may have changed since the check: fix only what the problem was about.
      if (audience.value.slice(start, end) !== button.dataset.replaced) return recheck();
      audience.setRangeText(button.dataset.replacement, start, end, "end");
      edited();
    }

    document.addEventListener("click", function (event) {
      var fix = event.target.closest("[data-fix]");
      if (fix) return applyFix(fix);
      var fact = event.target.closest("[data-insert]");
      if (fact) return insertFact(fact.dataset.insert);
    });

    // A browser that restores what was typed (Back, reload) leaves the server's underlining copy behind.
    if (audience.value.trim() && audience.value !== mirror.textContent) recheck();

    var filter = document.getElementById("fact-filter");
    var none = document.getElementById("fact-none");
    if (filter) {
      filter.addEventListener("input", function () {
        var words = filter.value.toLowerCase().trim().split(/\s+/).filter(Boolean);
        var shown = 0;
        document.querySelectorAll(".fact-list li").forEach(function (item) {
          var match = words.every(function (word) { return item.dataset.search.indexOf(word) !== -1; });
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
