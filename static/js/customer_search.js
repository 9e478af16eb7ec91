// The customer search (templates/customers/list.html): keyboard navigation through the results, the URL kept
// free of empty filters, a refusal shown where the results go, a pasted text too long said so.
(function () {
  function links() {
    return Array.prototype.slice.call(document.querySelectorAll("#results [data-row-link]"));
  }

  // ↓ from the search box goes to the first result, ↓ and ↑ move between results, ↑ from the first goes back
  // to the box. Each result is a link, so Enter opens it as a click would, and focus shows where one is.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") {
      return;
    }
    var box = document.getElementById("customer-q");
    if (!box) {
      return;
    }
    var all = links();
    var at = all.indexOf(document.activeElement);
    var next = null;
    if (document.activeElement === box) {
      next = event.key === "ArrowDown" ? all[0] : null;
    } else if (at >= 0) {
      next = event.key === "ArrowDown" ? all[at + 1] || all[at] : all[at - 1] || box;
    } else {
      return;
    }
    if (next) {
      event.preventDefault();
      next.focus();
      next.scrollIntoView({ block: "nearest" });
    }
  });

  // A filter left at "any ..." stays out of the URL the search pushes: q=anna, not q=anna&stage=&segment=.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt.closest("[data-testid=customer-search]")) {
      return;
    }
    Object.keys(event.detail.parameters).forEach(function (name) {
      if (event.detail.parameters[name] === "") {
        delete event.detail.parameters[name];
      }
    });
  });

  // A refusal (400: a search too long, an unknown filter) says why in place of the results; htmx would
  // otherwise leave the old results standing as if they answered.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400 && event.detail.target && event.detail.target.id === "results") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // The box holds at most maxlength characters: a longer paste is cut by the browser without a word, so
  // say what was searched.
  document.addEventListener("paste", function (event) {
    var box = event.target;
    if (!box || box.id !== "customer-q") {
      return;
    }
    var pasted = (event.clipboardData || window.clipboardData).getData("text");
    var note = document.getElementById("search-too-long");
    var limit = box.maxLength;
    if (note && limit > 0 && pasted.length > limit) {
      note.textContent =
        "The search holds at most " + limit + " characters; the pasted text had " +
        pasted.length.toLocaleString("en") + ", so only its first " + limit + " are searched.";
      note.hidden = false;
    } else if (note) {
      note.hidden = true;
    }
  });

  // Back and Forward: the filters show what the URL asks for (htmx restores the HTML it kept, where each
  // select holds the option the server first rendered).
  document.addEventListener("htmx:historyRestore", function () {
    var params = new URLSearchParams(window.location.search);
    document.querySelectorAll("[data-testid=customer-search] select").forEach(function (select) {
      select.value = params.get(select.name) || "";
    });
    var box = document.getElementById("customer-q");
    if (box) {
      box.value = params.get("q") || "";
    }
  });
})();
