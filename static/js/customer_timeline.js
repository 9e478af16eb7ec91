// The customer page's timeline filters show what the URL asks for after Back and Forward. htmx puts back
// the HTML it kept of the page, where each select still holds the option the server rendered, not the one
// chosen since; the timeline itself was kept as the URL asked for it.
document.addEventListener("htmx:historyRestore", function () {
  var params = new URLSearchParams(window.location.search);
  document.querySelectorAll("[data-testid=timeline-filters] select").forEach(function (select) {
    select.value = params.get(select.name) || "";
    if (select.selectedIndex < 0) {
      select.value = "";  // several values (kind=a,b) are no single option: the select says "every"
    }
  });
});

// A filter left at "every ..." stays out of the URL the filters push: kind=complaint, not
// kind=complaint&channel=&team=.
document.addEventListener("htmx:configRequest", function (event) {
  if (!event.detail.elt.matches("[data-testid=timeline-filters]")) {
    return;
  }
  ["kind", "channel", "team"].forEach(function (name) {
    if (event.detail.parameters[name] === "") {
      delete event.detail.parameters[name];
    }
  });
});
