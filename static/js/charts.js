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
    // data: {x, y, z}: a matrix of counts (customers two teams' campaigns share), each cell labelled.
    heatmap: function (el, data) {
      var trace = {
        type: "heatmap",
        x: data.x,
        y: data.y,
        z: data.z,
        colorscale: [[0, "#f8fafc"], [1, palette[0]]],
        showscale: false,
        texttemplate: "%{z}",
        hovertemplate: "%{y} × %{x}: %{z}<extra></extra>",
        xgap: 2,
        ygap: 2,
      };
      return [[trace], layout({
        margin: { l: 16, r: 16, t: 16, b: 16 },
        xaxis: { automargin: true, side: "bottom", tickangle: -45 },
        yaxis: { automargin: true, autorange: "reversed" },
      })];
    },
    // data: {rows, bars: [{y, start, end, team, color}], marks: [{y, at, text, color, symbol}]}: a Gantt
    // of windows (one bar per row, coloured by team) with marks laid over them.
    timeline: function (el, data) {
      var teams = [];
      data.bars.forEach(function (bar) { if (teams.indexOf(bar.team) < 0) { teams.push(bar.team); } });
      var traces = teams.map(function (team) {
        var bars = data.bars.filter(function (bar) { return bar.team === team; });
        return {
          type: "bar",
          orientation: "h",
          name: team,
          y: bars.map(function (bar) { return bar.y; }),
          base: bars.map(function (bar) { return bar.start; }),
          x: bars.map(function (bar) { return new Date(bar.end) - new Date(bar.start); }),
          marker: { color: bars[0].color },
          customdata: bars.map(function (bar) { return [bar.start.slice(0, 10), bar.end.slice(0, 10)]; }),
          hovertemplate: "%{y}: %{customdata[0]} – %{customdata[1]}<extra>%{fullData.name}</extra>",
        };
      });
      if (data.marks.length) {
        traces.push({
          type: "scatter",
          mode: "markers",
          name: "conflicts",
          showlegend: false,
          y: data.marks.map(function (mark) { return mark.y; }),
          x: data.marks.map(function (mark) { return mark.at; }),
          text: data.marks.map(function (mark) { return mark.text; }),
          marker: {
            size: 12,
            color: data.marks.map(function (mark) { return mark.color; }),
            symbol: data.marks.map(function (mark) { return mark.symbol; }),
            line: { color: "#ffffff", width: 1.5 },
          },
          hovertemplate: "%{text}<extra></extra>",
        });
      }
      // Narrow (a phone): each row's name above its bar, across the whole width, instead of beside the axis,
      // where the names would leave the bars a sliver.
      var narrow = el.clientWidth < 560;
      var annotations = narrow ? data.rows.map(function (row) {
        return { xref: "paper", x: 0, xanchor: "left", y: row, yref: "y", yshift: 17, text: row, showarrow: false };
      }) : [];
      return [traces, layout({
        barmode: "overlay",
        bargap: narrow ? 0.55 : 0.35,
        showlegend: true,
        legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
        margin: { l: 16, r: 16, t: 40, b: 16 },
        annotations: annotations,
        xaxis: { type: "date", automargin: true, gridcolor: "#e2e8f0", nticks: narrow ? 4 : 8 },
        yaxis: {
          automargin: true,
          autorange: "reversed",
          categoryorder: "array",
          categoryarray: data.rows,
          showticklabels: !narrow,
        },
      })];
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
