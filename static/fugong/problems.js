/* The problem metrics page's chart (ECharts, no build step): problems raised per day, stacked by
   category, from the JSON the page carries (#category-mix). The element gets data-ready="1" once
   drawn (the browser tests wait for it). */
(function () {
  "use strict";

  function draw() {
    var el = document.getElementById("category-chart");
    var source = document.getElementById("category-mix");
    if (!el || !source || typeof echarts === "undefined") { return; }
    var mix = JSON.parse(source.textContent);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var narrow = window.innerWidth < 640;
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll", textStyle: { fontSize: narrow ? 11 : 12 } },
      grid: { left: 36, right: 16, top: 40, bottom: 28 },
      xAxis: { type: "category", data: mix.days.map(function (d) { return d.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: mix.series.map(function (s) {
        return {
          name: s.category, type: "bar", stack: "all",
          data: mix.days.map(function (d) { return s.counts[d] || 0; })
        };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-ready", "1");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
