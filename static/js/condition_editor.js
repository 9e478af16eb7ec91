/* What every condition editor does (the principle editor, the campaign form's audience, the stage rules):
   a fact clicked in the panel goes in at the caret as last left, a problem's fix is applied where the check
   found it, the fact panel is filtered as you type, the underlining copy scrolls with its text. The page's
   own script attaches it to its form and keeps what is its own (what to recheck, rows added and removed).

   ConditionEditor.attach(form, options) -> {current(), remember(textarea), forget(container)}
   options:
     recheck()            the text changed under a check: ask the server again (a stale fix, a restored page)
     mirrorOf(textarea)   its underlining copy (default: #condition-mirror)
     fixTarget(button)    the condition a fix is for (default: the form's condition)
     locked()             true when the form may not be edited: facts are not inserted (default: never)
     followFocus          a condition focused becomes the one facts go into (several conditions on a page) */
(function () {
  "use strict";

  function never() {
    return false;
  }

  function isCondition(node) {
    return Boolean(node && node.hasAttribute && node.hasAttribute("data-condition"));
  }

  function attach(form, options) {
    options = options || {};
    var recheck = options.recheck || function () {};
    var locked = options.locked || never;
    var mirrorOf = options.mirrorOf || function () { return document.getElementById("condition-mirror"); };
    var fixTarget = options.fixTarget || function () { return form.querySelector("[data-condition]"); };
    // Where a fact clicked in the panel goes: the condition last written in, at its caret as last left
    // (the first condition's end until then).
    var current = form.querySelector("[data-condition]");
    var caret = null;

    function remember(textarea) {
      current = textarea;
      caret = textarea.selectionEnd;
    }

    // A condition removed from the page takes no more facts.
    function forget(container) {
      if (current && container.contains(current)) current = null;
    }

    var tracked = ["input", "keyup", "click", "select"];
    if (options.followFocus) tracked.push("focusin");
    tracked.forEach(function (name) {
      form.addEventListener(name, function (event) {
        if (isCondition(event.target)) remember(event.target);
      });
    });

    // The underlining copy scrolls with the text it lies under (scroll does not bubble: capture it).
    form.addEventListener("scroll", function (event) {
      if (!isCondition(event.target)) return;
      var mirror = mirrorOf(event.target);
      if (mirror) {
        mirror.scrollTop = event.target.scrollTop;
        mirror.scrollLeft = event.target.scrollLeft;
      }
    }, true);

    // The page's own input handler sees the change, as if it had been typed.
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
      var textarea = fixTarget(button);
      if (!textarea) return;
      var start = Number(button.dataset.start);
      var end = Number(button.dataset.end);
      // The text may have changed since the check: fix only what the problem was about.
      if (textarea.value.slice(start, end) !== button.dataset.replaced) return recheck();
      textarea.setRangeText(button.dataset.replacement, start, end, "end");
      edited(textarea);
    }

    document.addEventListener("click", function (event) {
      var fix = event.target.closest("[data-fix]");
      if (fix) return applyFix(fix);
      var fact = event.target.closest("[data-insert]");
      if (fact) return insertFact(fact.dataset.insert);
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

    return {
      current: function () { return current; },
      remember: remember,
      forget: forget,
    };
  }

  window.ConditionEditor = { attach: attach };
})();
