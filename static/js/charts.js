// Draws every chart on the page from JSON the server embedded with json_script: no inline script,
// so the Content-Security-Policy can forbid them. An element opts in with
// data-chart="bar" data-chart-source="<id of the json_script element>". Every text in that JSON
// comes escaped (cxcore.charts.chart_data), since plotly renders HTML in labels.
(function () {
  "use strict";

  var palette = ["#3b4fd8", "#0f9d8a", "#e0892b", "#c2417a", "#6b7a90", "#7a5af5", "#2f8fd8", "#b5a52b"];
  var font = { family: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size: 13, color: "#334155" };

  function layout(extra) {
    return Object.assign({
      font: font,
      margin: { l: 48, r: 16, t: 16, b: 64 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: { automargin: true, gridcolor: "#e2e8f0" },
      yaxis: { automargin: true, gridcolor: "#e2e8f0", rangemode: "tozero" },
      bargap: 0.35,
      showlegend: false,
    }, extra || {});
  }

  var draw = {
    bar: function (el, data) {
      var trace = {
        type: "bar",
        x: data.x,
        y: data.y,
        marker: { color: data.color || palette[0] },
        hovertemplate: "%{x}: %{y}<extra></extra>",
      };
      return [[trace], layout(data.layout)];
    },
    // data: {labels, values, colors}: shares of a whole (customers by stage), in the given colours.
    donut: function (el, data) {
      var trace = {
        type: "pie",
        hole: 0.55,
        labels: data.labels,
        values: data.values,
        marker: { colors: data.colors || palette },
        sort: false,
        direction: "clockwise",
        textinfo: "percent",
        hovertemplate: "%{label}: %{value} (%{percent})<extra></extra>",
      };
      return [[trace], layout({ margin: { l: 16, r: 16, t: 16, b: 16 }, showlegend: false })];
    },
    // data: {x, series: [{name, y, color}]}: one bar per x, stacked by series (allowed vs suppressed).
    stacked: function (el, data) {
      var traces = data.series.map(function (series, i) {
        return {
          type: "bar",
          name: series.name,
          x: data.x,
          y: series.y,
          marker: { color: series.color || palette[i % palette.length] },
          // The name through plotly's own placeholder: nothing from data is spliced into a template.
          hovertemplate: "%{x}, %{fullData.name}: %{y}<extra></extra>",
        };
      });
      // data.layout, when given, overrides these (the stage rules' moves put many series in a side legend).
      return [traces, layout(Object.assign({
        barmode: "stack",
        showlegend: true,
        legend: { orientation: "h", x: 0, y: 1.12 },
        margin: { l: 48, r: 16, t: 32, b: 64 },
      }, data.layout || {}))];
    },
  };

  function render(el) {
    var source = document.getElementById(el.dataset.chartSource);
    var kind = draw[el.dataset.chart];
    if (!source || !kind || !window.Plotly) {
      return;
    }
    var spec = kind(el, JSON.parse(source.textContent));
    window.Plotly.newPlot(el, spec[0], spec[1], { displayModeBar: false, responsive: true });
  }

  function renderAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(render);
  }

  document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  // Charts that arrive in an htmx swap are drawn too.
  document.addEventListener("htmx:afterSettle", function (event) { renderAll(event.target); });
})();
