// The basemap under the planner's Leaflet map: our MapLibre style (streets, alleys, river, walls,
// gates, names) drawn by @maplibre/maplibre-gl-leaflet as a layer below the grids, so planners
// draw boundaries along the features the communities drew theirs along — and, zoomed in, the
// main roads, lanes, walls and river of the view as invisible Leaflet lines that Leaflet-Geoman
// snaps a dragged or drawn vertex to (the GL layer is pixels: Geoman cannot snap to it).
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
  localIdeographFontFamily: false}).addTo(map);
window.plannerBasemap = gl;

const snapLines = L.geoJSON(null, {pmIgnore: true, snapIgnore: false, interactive: false,
  style: {color: "#000", opacity: 0, weight: 1}}).addTo(map);
window.plannerSnapLines = snapLines;
let snapSeq = 0;
async function loadSnapLines() {
  if (map.getZoom() < 15) { snapLines.clearLayers(); return; }
  const seq = ++snapSeq;
  const b = map.getBounds();
  const r = await fetch(`${el.dataset.snap}?bbox=${[b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(v => v.toFixed(6)).join(",")}`);
  if (!r.ok || seq !== snapSeq) return;
  const data = await r.json();
  snapLines.clearLayers();
  snapLines.addData(data);
  document.body.dataset.snap = String(data.features.length);
}
map.on("moveend", loadSnapLines);
map.whenReady(loadSnapLines);
// The binding makes its MapLibre map only once the Leaflet map has a view (the planner sets it
// when its grids arrive): wait for that, then for the style.
const mark = () => { document.body.dataset.basemap = "ready"; };
(function whenMade() {
  const m = gl.getMaplibreMap();
  if (!m) { setTimeout(whenMade, 100); return; }
  if (m.isStyleLoaded()) mark(); else m.once("load", mark);
})();
