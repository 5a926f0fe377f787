/* The dashboard's charts (ECharts, no build step): the 30-day trend from trend.json, and the map
   of the child regions coloured by resumption rate from map.json over an echarts 4.9 map file
   (areas for the country and a province; a city's counties as points on its province's map).
   Each chart element gets data-ready="1" once drawn (the browser tests wait for it). */
(function () {
  "use strict";

  var RATES = ["resumption_rate", "capacity_recovery", "staff_return_rate", "completeness", "timeliness"];
  var COLOURS = ["#c0392b", "#1d5fa7", "#1e7b34", "#b45309", "#7c3aed"];
  var SCALE = ["#c0392b", "#f0b429", "#1e7b34"]; // low resumption red, high green
  var charts = [];
  var geoCache = {};

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error(r.status + " " + url); }
        return r.json();
      });
  }

  function pct(v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; }
  function shown(v) { return v === null || v === undefined ? "—" : v + "%"; }
  function narrow() { return window.innerWidth < 640; }

  function start(el) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    // No animation: figures for officials, drawn at once (and a screenshot shows them).
    chart.setOption({ animation: false });
    charts.push(chart);
    return chart;
  }

  function done(el) { el.setAttribute("data-ready", "1"); }

  function trend(el, L) {
    getJSON(el.dataset.url).then(function (rows) {
      // Days before the first report in the view would draw a misleading 0 %: the lines start
      // where the reports do.
      // (A view without any report keeps its 30 days of zeros: that is the news.)
      if (rows.some(function (r) { return r.reported; })) {
        while (rows.length > 1 && !rows[0].reported) { rows.shift(); }
      }
      var chart = start(el);
      chart.setOption({
        color: COLOURS,
        tooltip: { trigger: "axis", valueFormatter: shown },
        legend: { top: 0, itemWidth: 14, itemGap: 8, textStyle: { fontSize: narrow() ? 11 : 12 } },
        grid: { left: 44, right: 24, top: narrow() ? 70 : 56, bottom: 28 },
        xAxis: { type: "category", boundaryGap: false, data: rows.map(function (r) { return r.date.slice(5); }) },
        yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        series: RATES.map(function (k) {
          return {
            name: L[k] || k, type: "line", showSymbol: false, connectNulls: false,
            data: rows.map(function (r) { return pct(r[k]); })
          };
        })
      });
      done(el);
    });
  }

  function tooltip(L) {
    return function (p) {
      var i = p.data && p.data.item;
      if (!i) { return p.name; }
      return "<b>" + i.name + "</b><br>" + (L.resumption_rate || "") + " " + shown(i.value) +
        "<br>" + i.reported + " / " + i.expected + " " + (L.reported || "");
    };
  }

  function drillTo(el, code) {
    var url = new URL(el.dataset.drill, window.location.href);
    url.searchParams.set("region", code);
    url.searchParams.delete("page");
    url.searchParams.delete("tab");
    window.location.href = url.toString();
  }

  /* The colour scale spans the rates shown (in steps of 10 %), so that regions at 50 % and 80 %
     do not come out the same shade of a 0–100 scale. */
  function visualMap(L, items, dimension) {
    var values = items.map(function (i) { return i.value; }).filter(function (v) { return v !== null; });
    var lo = values.length ? Math.floor(Math.min.apply(null, values) / 10) * 10 : 0;
    var hi = values.length ? Math.ceil(Math.max.apply(null, values) / 10) * 10 : 100;
    if (hi - lo < 20) { lo = Math.max(0, hi - 20); hi = lo + 20; }
    var vm = {
      min: lo, max: hi, calculable: false, orient: "horizontal", left: "center", bottom: 0,
      itemWidth: 12, itemHeight: narrow() ? 120 : 160, text: [hi + "%", lo + "%"],
      inRange: { color: SCALE }
    };
    if (dimension !== undefined) { vm.dimension = dimension; }
    return vm;
  }

  /* The outer rings of a feature as [lng, lat] points, decoding echarts 4.9's compressed
     coordinates (UTF8Encoding: zigzag deltas offset by 64, scaled by 1024) when they are. */
  function featurePoints(geoJson, name) {
    var f = (geoJson.features || []).filter(function (x) {
      return x.properties && x.properties.name === name;
    })[0];
    if (!f || !f.geometry) { return []; }
    var g = f.geometry, out = [];
    var scale = geoJson.UTF8Scale || 1024;
    var polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
    var offsets = g.type === "Polygon" ? [g.encodeOffsets] : g.encodeOffsets;
    polygons.forEach(function (rings, p) {
      var ring = rings[0];
      if (!geoJson.UTF8Encoding) { out.push.apply(out, ring); return; }
      var px = offsets[p][0][0], py = offsets[p][0][1];
      for (var i = 0; i < ring.length; i += 2) {
        var x = ring.charCodeAt(i) - 64, y = ring.charCodeAt(i + 1) - 64;
        x = ((x >> 1) ^ -(x & 1)) + px;
        y = ((y >> 1) ^ -(y & 1)) + py;
        px = x; py = y;
        out.push([x / scale, y / scale]);
      }
    });
    return out;
  }

  /* The area to show: the city's outline and its counties' points, with some room around. */
  function box(items, outline) {
    var lng = items.map(function (i) { return i.lng; }).concat(outline.map(function (c) { return c[0]; }));
    var lat = items.map(function (i) { return i.lat; }).concat(outline.map(function (c) { return c[1]; }));
    var x0 = Math.min.apply(null, lng), x1 = Math.max.apply(null, lng);
    var y0 = Math.min.apply(null, lat), y1 = Math.max.apply(null, lat);
    var cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    var half = Math.max(x1 - x0, y1 - y0, 1.2) / 2 * 1.08;
    return [[cx - half, cy + half], [cx + half, cy - half]];
  }

  function areas(el, L, items, name) {
    var chart = start(el);
    chart.setOption({
      tooltip: { trigger: "item", formatter: tooltip(L) },
      visualMap: visualMap(L, items),
      series: [{
        type: "map", map: name, roam: false, selectedMode: false, labelLayout: { hideOverlap: true },
        top: 8, bottom: 44, left: 4, right: 4,
        label: { show: !narrow() || items.length <= 16, fontSize: narrow() ? 9 : 11, color: "#1f2933" },
        itemStyle: { areaColor: "#eef2f7", borderColor: "#fff" },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "#9fb3c8" } },
        data: items.filter(function (i) { return i.map_name; }).map(function (i) {
          return { name: i.map_name, value: i.value, item: i };
        })
      }]
    });
    chart.on("click", function (p) {
      if (p.data && p.data.item && p.data.item.drill) { drillTo(el, p.data.item.drill); }
    });
  }

  function points(el, L, items, name, geoJson) {
    var placed = items.filter(function (i) { return i.lng !== null && i.lat !== null; });
    var chart = start(el);
    var data = placed.map(function (i) { return { name: i.name, value: [i.lng, i.lat, i.value], item: i }; });
    var series = {
      type: "scatter", data: data, symbolSize: narrow() ? 14 : 18,
      labelLayout: { hideOverlap: true },
      label: { show: true, formatter: "{b}", position: "right", fontSize: narrow() ? 10 : 12, color: "#1f2933" },
      itemStyle: { borderColor: "#fff", borderWidth: 1 }
    };
    var option = { tooltip: { trigger: "item", formatter: tooltip(L) }, visualMap: visualMap(L, placed, 2) };
    if (name) {
      var highlight = el.dataset.highlight;
      option.geo = {
        map: name, roam: false, top: 8, bottom: 44, left: 4, right: 4, silent: true,
        itemStyle: { areaColor: "#f7f9fb", borderColor: "#bcccdc" },
        regions: highlight ? [{ name: highlight, itemStyle: { areaColor: "#e3ecf6", borderColor: "#1d5fa7", borderWidth: 1.5 } }] : []
      };
      var outline = highlight && geoJson ? featurePoints(geoJson, highlight) : [];
      if (placed.length || outline.length) { option.geo.boundingCoords = box(placed, outline); }
      series.coordinateSystem = "geo";
    } else {
      option.grid = { left: 44, right: 16, top: 12, bottom: 52 };
      option.xAxis = { type: "value", scale: true, name: "E" };
      option.yAxis = { type: "value", scale: true, name: "N" };
    }
    option.series = [series];
    chart.setOption(option);
    chart.on("click", function (p) {
      if (p.data && p.data.item && p.data.item.drill) { drillTo(el, p.data.item.drill); }
    });
  }

  function map(el, L) {
    var geo = el.dataset.geo;
    var name = geo ? "fugong:" + geo : "";
    Promise.all([getJSON(el.dataset.url), geo && !echarts.getMap(name) ? getJSON(geo) : null])
      .then(function (got) {
        if (got[1]) { echarts.registerMap(name, got[1]); geoCache[name] = got[1]; }
        if (el.dataset.kind === "areas" && name) {
          areas(el, L, got[0], name);
        } else {
          points(el, L, got[0], name, got[1] || geoCache[name]);
        }
        done(el);
      });
  }

  function init() {
    if (typeof echarts === "undefined") { return; }
    var labels = document.getElementById("chart-labels");
    var L = labels ? JSON.parse(labels.textContent) : {};
    var t = document.getElementById("trend-chart");
    if (t) { trend(t, L); }
    var m = document.getElementById("map-chart");
    if (m) { map(m, L); }
    var pending;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
