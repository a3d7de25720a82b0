// Kiosk page: a map of the community from our tiles, the vacant rooms nearest this kiosk, big
// filter chips, a floor-by-floor view of any building tapped on the map. When nobody touches it,
// it goes back to the start and shows one vacant room after another; it polls for changes so a
// room let anywhere disappears within seconds, without a reload.

const cfg = JSON.parse(document.getElementById("kiosk-config").textContent);
const T = cfg.strings;
const maplibregl = await import(document.getElementById("kiosk-script").dataset.maplibre);

const FILTERS = [
  {key: "rent", label: T.rent, options: [
    [T.any, {}], ["≤500", {rent_max: 500}], ["500–800", {rent_min: 500, rent_max: 800}],
    ["800–1200", {rent_min: 800, rent_max: 1200}], ["≥1200", {rent_min: 1200}]]},
  {key: "area", label: T.area, options: [
    [T.any, {}], ["<15㎡", {area_max: 15}], ["15–25㎡", {area_min: 15, area_max: 25}],
    ["25–40㎡", {area_min: 25, area_max: 40}], ["≥40㎡", {area_min: 40}]]},
  {key: "floor", label: T.floors, options: [
    [T.any, {}], ["1–2", {floor_min: 1, floor_max: 2}], ["3–5", {floor_min: 3, floor_max: 5}], ["6+", {floor_min: 6}]]},
  {key: "grid", label: T.grid, options: [[T.all_grids, {}], ...cfg.grids.map(g => [g.name, {grid: g.code}])]},
];
const PAGE = 30;
const state = {choice: {}, rooms: [], count: 0, etag: null, active: -1, rotating: false, lastTouch: Date.now()};
const $ = sel => document.querySelector(sel);
const fmt = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => vars[k]);

// --- map -------------------------------------------------------------------------------------
const style = await (await fetch(cfg.style)).json();
const tileTemplate = (await (await fetch(style.sources.village.url)).json()).tiles[0];
style.sources.village = {type: "vector", tiles: [tileTemplate], minzoom: 8, maxzoom: 18};
const START = {center: [cfg.lon, cfg.lat], zoom: 16.6, pitch: 55, bearing: -12};
const map = new maplibregl.Map({
  container: "map", style, ...START, attributionControl: false,
  localIdeographFontFamily: false,  // Chinese from our glyphs (/tiles/glyphs/), not the device's fonts
});
window.kioskMap = map;
const here = document.createElement("div");
here.className = "here";
here.innerHTML = `<span class="here-label">${T.here}</span>`;
new maplibregl.Marker({element: here}).setLngLat([cfg.lon, cfg.lat]).addTo(map);
const NO_ROUTE = {type: "FeatureCollection", features: []};
map.on("load", () => {
  map.addLayer({id: "selected-building", type: "line", source: "village", "source-layer": "buildings",
    filter: ["==", ["get", "code"], ""], paint: {"line-color": "#f39c12", "line-width": 5}});
  // The walking route to the room shown (routes/: along the alleys, through open gates).
  map.addSource("route", {type: "geojson", data: NO_ROUTE});
  map.addLayer({id: "route-casing", type: "line", source: "route", layout: {"line-cap": "round", "line-join": "round"},
    paint: {"line-color": "#ffffff", "line-width": 9}});
  map.addLayer({id: "route", type: "line", source: "route", layout: {"line-cap": "round", "line-join": "round"},
    paint: {"line-color": "#1f6fb2", "line-width": 5}});
});
function showRoute(geometry) {
  const source = map.getSource("route");
  if (source) source.setData(geometry ? {type: "Feature", geometry, properties: {}} : NO_ROUTE);
}
async function routeTo(roomId) {
  const r = await fetch(`${cfg.route}?from_kiosk=${encodeURIComponent(cfg.kiosk)}&to_room=${roomId}`);
  if (!r.ok) return null;  // no network here, or no open way now: the estimate stays
  return r.json();
}
map.on("click", e => {
  const hits = map.queryRenderedFeatures(e.point, {layers: ["rooms-3d", "buildings-3d", "buildings-flat"]});
  if (!hits.length) return;
  const p = hits[0].properties;
  openBuilding(p.building || p.code);
});
function highlight(code) {
  if (map.getLayer("selected-building")) map.setFilter("selected-building", ["==", ["get", "code"], code || ""]);
}
function refreshTiles() {
  // A new query string makes the map fetch the visible tiles again (the server invalidated them).
  map.getSource("village").setTiles([`${tileTemplate}?v=${Date.now()}`]);
}

// --- filters and list ------------------------------------------------------------------------
function renderFilters() {
  const box = $("#filters");
  box.innerHTML = "";
  for (const f of FILTERS) {
    const row = document.createElement("div");
    row.className = "chips";
    row.innerHTML = `<span class="label">${f.label}</span>`;
    f.options.forEach(([label], i) => {
      const b = document.createElement("button");
      b.className = "chip";
      b.textContent = label;
      b.dataset.filter = f.key;
      b.dataset.index = i;
      b.setAttribute("aria-pressed", String((state.choice[f.key] || 0) === i));
      b.addEventListener("click", () => { state.choice[f.key] = i; renderFilters(); load(true); });
      row.appendChild(b);
    });
    box.appendChild(row);
  }
}

function query(offset = 0, limit = PAGE) {
  const params = new URLSearchParams({kiosk: cfg.kiosk, limit, offset});
  for (const f of FILTERS) {
    for (const [k, v] of Object.entries(f.options[state.choice[f.key] || 0][1])) params.set(k, v);
  }
  return `${cfg.search}?${params}`;
}

// Addresses start with city, district and community — the same on every card of this kiosk.
const shortAddress = a => a.includes(cfg.community) ? a.slice(a.indexOf(cfg.community) + cfg.community.length) || a : a;

function roomCard(r, i) {
  const li = document.createElement("li");
  li.className = "room";
  li.dataset.room = r.id;
  li.dataset.index = i;
  const phone = r.landlord_phone
    ? `<div class="phone">☎ ${T.phone} ${r.landlord_phone}</div>`
    : `<div class="phone ask">${T.ask_hall}</div>`;
  li.innerHTML = `
    <div><div class="addr">${shortAddress(r.address)}</div>
      <div class="meta">${fmt(T.floor_room, {floor: r.floor, number: r.number})} · ${r.area_m2} ${T.sqm} · ${fmt(T.persons, {n: r.capacity})}</div>
      <div class="meta">${fmt(T.walk, {m: r.walk_m})}</div>${phone}${
      r.photos && r.photos.length ? `<img class="thumb" src="${r.photos[0]}" alt="" loading="lazy">` : ""}</div>
    <div><div class="rent">${r.rent}<small> ${T.per_month}</small></div>
      <img class="qr" alt="QR" loading="lazy" src="${cfg.roomQr.replace("{id}", r.id)}"><div class="qrcap">${T.scan}</div></div>`;
  li.addEventListener("click", () => showRoom(r));
  return li;
}

function renderRooms() {
  const list = $("#rooms");
  list.innerHTML = "";
  state.rooms.forEach((r, i) => list.appendChild(roomCard(r, i)));
  $("#count").textContent = state.count ? fmt(T.count, {n: state.count}) : T.none;
  $("#more").hidden = state.rooms.length >= state.count;
  document.body.dataset.rooms = String(state.rooms.length);
}

async function load(reset) {
  const response = await fetch(query(0, Math.max(PAGE, reset ? PAGE : state.rooms.length)),
                               {headers: state.etag && !reset ? {"If-None-Match": state.etag} : {}});
  if (response.status === 304) return false;
  const body = await response.json();
  state.etag = response.headers.get("ETag");
  state.rooms = body.results;
  state.count = body.count;
  if (reset) state.active = -1;
  renderRooms();
  document.body.dataset.ready = "1";
  return true;
}

$("#more").addEventListener("click", async () => {
  const body = await (await fetch(query(state.rooms.length))).json();
  state.rooms.push(...body.results);
  renderRooms();
});

// --- details: a building's floors, a room ------------------------------------------------------
const sheet = $("#sheet");
function openSheet(html) {
  sheet.querySelector(".sheet-content").innerHTML = html;
  sheet.hidden = false;
}
function closeSheet() { sheet.hidden = true; highlight(null); showRoute(null); }
sheet.querySelector("[data-close]").addEventListener("click", closeSheet);
sheet.addEventListener("click", e => { if (e.target === sheet) closeSheet(); });

async function openBuilding(code) {
  highlight(code);
  const [body, info] = await Promise.all([
    fetch(`${cfg.rooms}?building=${encodeURIComponent(code)}&limit=500`).then(r => r.json()),
    fetch(`${cfg.buildings}?code=${encodeURIComponent(code)}`).then(r => r.json()),
  ]);
  const rooms = body.results;
  const building = info.results.features[0]?.properties || {address: code};
  const phone = building.landlord_phone ? `☎ ${T.phone} ${building.landlord_phone}` : T.ask_hall;
  const floors = [...new Set(rooms.map(r => r.floor))].sort((a, b) => b - a);
  const rows = floors.map(f => `<div class="floor"><span class="n">${f}${T.floor}</span><div class="cells">${
    rooms.filter(r => r.floor === f).map(r => `<button class="cell ${r.status}" data-room="${r.id}" ${
      r.status === "vacant" ? "" : "disabled"}>${r.number}<br><small>${T[r.status]}${
      r.status === "vacant" ? " · " + r.rent_monthly : ""}</small></button>`).join("")}</div></div>`).join("");
  openSheet(`<h2>${shortAddress(building.address)}</h2><div class="meta">${T.floor_plan} · ${phone}</div>
    <div class="floors" data-building="${code}">${rows}</div>`);
  sheet.querySelectorAll(".cell.vacant").forEach(b => b.addEventListener("click", async () => {
    const r = await (await fetch(`${cfg.search}?building=${encodeURIComponent(code)}&limit=100`)).json();
    const room = r.results.find(x => String(x.id) === b.dataset.room);
    if (room) showRoom(room);
  }));
}

// The landlord's own text: shown as text, never as markup.
const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

function showRoom(r) {
  highlight(r.building);
  map.flyTo({center: [r.lon, r.lat], zoom: 17.6, pitch: 60, duration: 1200});
  const phone = r.landlord_phone ? `${T.phone}: ${r.landlord_phone}` : T.ask_hall;
  const about = r.description ? `<p class="about">${esc(r.description)}</p>` : "";
  const photos = (r.photos || []).length
    ? `<div class="photos">${r.photos.map(u => `<img src="${esc(u)}" alt="" loading="lazy">`).join("")}</div>` : "";
  openSheet(`<h2>${r.address}</h2><div class="detail" data-room="${r.id}">
    <div><div class="rent">${r.rent} ${T.per_month}</div>
      <div>${fmt(T.floor_room, {floor: r.floor, number: r.number})} · ${r.area_m2} ${T.sqm}</div>
      <div>${fmt(T.persons, {n: r.capacity})} · <span class="walk">${fmt(T.walk, {m: r.walk_m})}</span></div><div>${phone}</div>${about}${photos}</div>
    <div><img class="qr" alt="QR" src="${cfg.roomQr.replace("{id}", r.id)}?k=${encodeURIComponent(cfg.kiosk)}"><div class="qrcap">${T.scan}</div></div></div>`);
  routeTo(r.id).then(route => {
    const shown = sheet.querySelector(`.detail[data-room="${r.id}"] .walk`);
    if (!route || !shown) return;
    shown.textContent = fmt(T.walk_route, {m: route.length_m, min: route.minutes});
    showRoute(route.geometry);
    document.body.dataset.route = String(route.length_m);
  });
}

// --- idle: back to the start, then one vacant room after another -------------------------------
function resetToStart() {
  closeSheet();
  state.choice = {};
  renderFilters();
  load(true);
  map.easeTo({...START, duration: 800});
}
function step() {
  if (!state.rotating || !state.rooms.length) return;
  state.active = (state.active + 1) % state.rooms.length;
  const r = state.rooms[state.active];
  document.querySelectorAll(".room.active").forEach(el => el.classList.remove("active"));
  const card = document.querySelector(`.room[data-index="${state.active}"]`);
  if (card) { card.classList.add("active"); card.scrollIntoView({block: "nearest"}); }
  highlight(r.building);
  map.flyTo({center: [r.lon, r.lat], zoom: 17.2, duration: 1500});
  document.body.dataset.active = String(r.id);
}
for (const type of ["pointerdown", "touchstart", "keydown", "wheel"]) {
  addEventListener(type, () => {
    state.lastTouch = Date.now();
    if (state.rotating) {
      state.rotating = false;
      document.body.dataset.rotating = "0";
    }
  }, {capture: true, passive: true});
}
setInterval(() => {
  if (!state.rotating && Date.now() - state.lastTouch > cfg.idleSeconds * 1000) {
    resetToStart();
    state.rotating = true;
    document.body.dataset.rotating = "1";
  }
}, 1000);
setInterval(step, cfg.rotateSeconds * 1000);
$("#reset").addEventListener("click", resetToStart);

// --- freshness: poll with the ETag; on a change, redraw the list and the map's tiles -------------
setInterval(async () => {
  try {
    if (await load(false)) refreshTiles();
  } catch (err) {
    // The intranet may drop for a moment; the next poll tries again.
  }
}, cfg.pollSeconds * 1000);

renderFilters();
await load(true);
