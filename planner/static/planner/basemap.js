// The basemap under the planner's Leaflet map: our MapLibre style (streets, alleys, river, walls,
// gates, names) drawn by @maplibre/maplibre-gl-leaflet as a layer below the grids, so planners
// draw boundaries along the features the communities drew theirs along.
const el = document.getElementById("planner-basemap");
window.maplibregl = await import(el.dataset.maplibre);  // the binding (a UMD script) reads the global
await new Promise((ok, fail) => {
  const s = document.createElement("script");
  s.src = el.dataset.binding;
  s.onload = ok;
  s.onerror = fail;
  document.head.appendChild(s);
});
const map = window.plannerMap;
map.createPane("basemap").style.zIndex = 150;  // under Leaflet's overlay pane and the grid panes
const gl = L.maplibreGL({style: el.dataset.style, interactive: false, pane: "basemap",
  localIdeographFontFamily: "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif"}).addTo(map);
window.plannerBasemap = gl;
gl.getMaplibreMap().once("idle", () => { document.body.dataset.basemap = "ready"; });
