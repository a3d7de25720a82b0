// Planners' coverage page: a grid's views (quality bands), coverage and blind spots; drag or turn
// a camera and watch the coverage change; placement suggestions. All data from /api/coverage/.
const script = document.getElementById("coverage-script");
const maplibregl = await import(script.dataset.maplibre);
const API = script.dataset.api;
const $ = (id) => document.getElementById(id);
const state = { grid: null, level: $("level").value, data: null, selected: null, version: 0 };

async function api(path, options = {}) {
  const r = await fetch(API + path, {
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": script.dataset.csrf },
    ...options,
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.detail || JSON.stringify(body));
  return body;
}

const empty = { type: "FeatureCollection", features: [] };
const map = new maplibregl.Map({
  container: "map", attributionControl: false, center: [102.7, 25.03], zoom: 16,
  localIdeographFontFamily: false,  // Chinese from our glyphs (/tiles/glyphs/), not the device's fonts
  style: script.dataset.style,  // our basemap (streets, alleys, river, walls, gates) under the coverage layers
});
map.addControl(new maplibregl.NavigationControl({ showCompass: true }));
map.addControl(new maplibregl.ScaleControl({ unit: "metric" }));
window.coverageMap = map;
window.coverageState = state;
await new Promise((ok) => map.once("load", ok));

for (const name of ["boundary", "meshes", "buildings", "views", "blind", "cameras", "suggestions"]) {
  map.addSource(name, { type: "geojson", data: empty });
}
map.addLayer({ id: "blind", type: "fill", source: "blind", paint: { "fill-color": "#d9534f", "fill-opacity": 0.45 } });
map.addLayer({ id: "buildings", type: "fill", source: "buildings", paint: { "fill-color": "#9aa3ad", "fill-outline-color": "#6c757d" } });
map.addLayer({
  id: "views", type: "fill", source: "views", filter: ["get", "counted"],
  paint: { "fill-color": ["case", ["get", "at_least"], "#2e9e5b", "#a8d5b9"], "fill-opacity": 0.55 },
});
map.addLayer({
  id: "sweeps", type: "line", source: "views", filter: ["!", ["get", "counted"]],
  paint: { "line-color": "#7b5ea7", "line-width": 1, "line-dasharray": [2, 2] },
});
map.addLayer({ id: "meshes", type: "line", source: "meshes", paint: { "line-color": "#c0504d", "line-width": 1, "line-dasharray": [3, 2] } });
map.addLayer({ id: "boundary", type: "line", source: "boundary", paint: { "line-color": "#c0504d", "line-width": 3 } });
map.addLayer({
  id: "cameras", type: "circle", source: "cameras",
  paint: {
    "circle-radius": 7, "circle-color": ["case", ["get", "ptz"], "#7b5ea7", "#1f6fb2"],
    "circle-stroke-color": ["case", ["boolean", ["feature-state", "selected"], false], "#f0ad4e", "#fff"],
    "circle-stroke-width": 3,
  },
});
map.addLayer({ id: "suggestions", type: "circle", source: "suggestions", paint: { "circle-radius": 6, "circle-color": "#f0ad4e", "circle-stroke-color": "#7a4d00", "circle-stroke-width": 1 } });

function bounds(feature) {
  const b = new maplibregl.LngLatBounds();
  const walk = (c) => (typeof c[0] === "number" ? b.extend(c) : c.forEach(walk));
  walk(feature.geometry.coordinates);
  return b;
}

async function loadGrids() {
  const data = await api(`grids/?level=${state.level}`);
  const select = $("grid");
  const current = state.grid || (new URLSearchParams(location.search).get("grid")) || (data.grids[0] || {}).code;
  select.innerHTML = "";
  for (const g of data.grids) {
    const o = document.createElement("option");
    o.value = g.code;
    o.textContent = `${g.name} · ${g.percent ?? "–"} %`;
    select.appendChild(o);
  }
  select.value = current;
  state.grid = current;
}

function showCamera() {
  const cam = state.data && state.data.cameras.features.find((f) => f.id === state.selected);
  $("camera").hidden = !cam;
  if (!cam) return;
  $("cam-name").textContent = cam.properties.name;
  $("cam-heading").textContent = Math.round(cam.properties.heading);
}

async function loadGrid(fit = false) {
  const d = await api(`grids/${state.grid}/?level=${state.level}`);
  state.data = d;
  map.getSource("boundary").setData(d.boundary);
  map.getSource("meshes").setData(d.mesh_features);
  map.getSource("buildings").setData(d.buildings);
  map.getSource("views").setData(d.views);
  map.getSource("blind").setData(d.blind_spots);
  map.getSource("cameras").setData(d.cameras);
  if (state.selected != null) map.setFeatureState({ source: "cameras", id: state.selected }, { selected: true });
  $("percent").textContent = d.grid.percent.toFixed(1);
  $("covered").textContent = Math.round(d.grid.covered_m2).toLocaleString();
  $("open").textContent = Math.round(d.grid.open_m2).toLocaleString();
  const blindBy = {};
  for (const f of d.blind_spots.features) blindBy[f.properties.mesh] = (blindBy[f.properties.mesh] || 0) + f.properties.area_m2;
  $("meshes").querySelector("tbody").innerHTML = d.meshes.map((m) =>
    `<tr data-mesh="${m.code}"><td>${m.name}</td><td>${m.percent.toFixed(1)} %</td><td>${Math.round(blindBy[m.code] || 0)} m²</td></tr>`).join("");
  if (fit) {  // the grid and the cameras that look into it
    const b = bounds(d.boundary);
    for (const c of d.cameras.features) b.extend(c.geometry.coordinates);
    map.fitBounds(b, { padding: 40, duration: 0 });
  }
  showCamera();
  state.version += 1;
  document.body.dataset.version = String(state.version);
}

async function editCamera(fields) {
  try {
    await api(`cameras/${state.selected}/?level=${state.level}`, { method: "PATCH", body: JSON.stringify(fields) });
    $("cam-status").textContent = script.dataset.msgSaved;
  } catch (e) {
    $("cam-status").textContent = `${script.dataset.msgError}: ${e.message}`;
  }
  await loadGrid();
  await loadGrids();
}

function select(id) {
  if (state.selected != null) map.setFeatureState({ source: "cameras", id: state.selected }, { selected: false });
  state.selected = id;
  if (id != null) map.setFeatureState({ source: "cameras", id }, { selected: true });
  showCamera();
}

// Drag a camera to move it; a click selects it.
let drag = null;
map.on("mousedown", "cameras", (e) => {
  e.preventDefault();
  select(e.features[0].id);
  drag = { id: e.features[0].id, moved: false };
  map.getCanvas().style.cursor = "grabbing";
});
map.on("mousemove", (e) => {
  if (!drag) return;
  drag.moved = true;
  const data = state.data.cameras;
  const f = data.features.find((x) => x.id === drag.id);
  f.geometry.coordinates = [e.lngLat.lng, e.lngLat.lat];
  map.getSource("cameras").setData(data);
});
map.on("mouseup", async (e) => {
  if (!drag) return;
  const d = drag;
  drag = null;
  map.getCanvas().style.cursor = "";
  if (d.moved) await editCamera({ lon: e.lngLat.lng, lat: e.lngLat.lat });
});
map.on("mouseenter", "cameras", () => { map.getCanvas().style.cursor = "grab"; });
map.on("mouseleave", "cameras", () => { if (!drag) map.getCanvas().style.cursor = ""; });

function turn(delta) {
  const cam = state.data.cameras.features.find((f) => f.id === state.selected);
  const heading = ((cam.properties.heading + delta) % 360 + 360) % 360;
  return editCamera({ heading_deg: heading });
}
$("rot-left").addEventListener("click", () => turn(-15));
$("rot-right").addEventListener("click", () => turn(15));

$("grid").addEventListener("change", async (e) => { state.grid = e.target.value; select(null); await loadGrid(true); });
$("level").addEventListener("change", async (e) => { state.level = e.target.value; await loadGrids(); await loadGrid(); });

$("suggest-run").addEventListener("click", async () => {
  const list = $("suggestions");
  list.innerHTML = "…";
  try {
    const r = await api(`grids/${state.grid}/placement/`, {
      method: "POST", body: JSON.stringify({ count: Number($("suggest-count").value), level: state.level }),
    });
    state.suggestions = r.suggestions;
    map.getSource("suggestions").setData(r.suggestions);
    list.innerHTML = r.suggestions.features.map((f) =>
      `<li>${f.properties.heading}° · +${f.properties.gain_m2} m² (+${f.properties.gain_percent} %)</li>`).join("") +
      `<li><b>${r.method}</b>: ${r.before_percent} % → ${r.after_percent} %</li>`;
  } catch (e) {
    list.textContent = e.message;
  }
});

// Select the first camera of the grid to make turning one easy.
await loadGrids();
await loadGrid(true);
const first = state.data.cameras.features[0];
if (first) select(first.id);
map.once("idle", () => { document.body.dataset.ready = "1"; });
map.triggerRepaint();
