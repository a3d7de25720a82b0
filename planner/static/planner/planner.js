/* The planner map: Leaflet (django-leaflet) + Leaflet-Geoman, everything from our own server.
 *
 * Select a grid or mesh, drag its vertices (a vertex shared with a neighbour moves in both, so no
 * gap or overlap appears), draw a new grid or mesh, split along a line, merge a neighbour, move and
 * rotate cameras. Every change is checked live by a dry run of the same save the "保存" button
 * makes; a stale version answers 409 and the page offers "keep mine / keep theirs".
 */
(function () {
  "use strict";
  const T = JSON.parse(document.getElementById("planner-strings").textContent);
  const CFG = JSON.parse(document.getElementById("planner-config").textContent);
  const API = CFG.api;
  const $ = (id) => document.getElementById(id);
  const csrf = () => document.querySelector("[name=csrfmiddlewaretoken]").value;
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  const fmt = (n) => Number(n).toLocaleString(undefined, {maximumFractionDigits: 1});

  const state = {
    community: CFG.community, grids: new Map(), selected: null, mode: null,
    dirty: new Map(),        // grid id → true: boundaries changed on the map and not saved
    draft: null,             // a drawn new grid/mesh {layer, parent}
    checkTimer: null, checkSeq: 0, cameras: new Map(),
  };
  window.plannerState = state;

  const map = L.map("map", {zoomControl: true, maxZoom: 22, preferCanvas: false});
  window.plannerMap = map;
  map.pm.setLang(document.documentElement.lang === "en" ? "en" : "zh");
  map.pm.setGlobalOptions({snappable: true, snapDistance: 15, allowSelfIntersection: true});
  L.control.scale({imperial: false}).addTo(map);

  const panes = {buildings: 410, grids: 420, meshes: 430, checks: 440, preview: 450};
  for (const [name, z] of Object.entries(panes)) { map.createPane(name).style.zIndex = z; }
  const layers = {
    buildings: L.featureGroup().addTo(map), grids: L.featureGroup().addTo(map),
    checks: L.featureGroup().addTo(map), preview: L.featureGroup().addTo(map), cameras: L.featureGroup(),
  };

  const gridStyle = (g) => g.properties.level === "mesh"
    ? {color: "#2e7d32", weight: 2, dashArray: "6 4", fillOpacity: 0.04, pane: "meshes"}
    : {color: "#1f5fbf", weight: 3, fillOpacity: 0.06, pane: "grids"};
  const selectedStyle = {color: "#e65100", weight: 4, fillOpacity: 0.12};

  function message(text, kind) {
    $("message").innerHTML = text ? `<p class="${kind || "info"}">${text}</p>` : "";
  }

  async function api(method, path, body) {
    const r = await fetch(API + path, {
      method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json"},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await r.json(); } catch (e) { data = {detail: r.statusText}; }
    return {status: r.status, data};
  }

  // --- loading ------------------------------------------------------------------------------------

  async function loadGrids(fit) {
    const {status, data} = await api("GET", `grids/?community=${state.community}`);
    if (status !== 200) { message(esc(data.detail), "error"); return; }
    layers.grids.clearLayers();
    state.grids.clear();
    // grids first, meshes on top
    const features = data.features.sort((a, b) => (a.properties.level === "mesh") - (b.properties.level === "mesh"));
    for (const f of features) {
      const layer = L.geoJSON(f, {style: () => gridStyle(f), pmIgnore: false, snapIgnore: false}).getLayers()[0];
      layer.feature = f;
      layer.on("click", (e) => { L.DomEvent.stopPropagation(e); onGridClick(layer); });
      layer.bindTooltip(`${esc(f.properties.name)}<br>${esc(f.properties.code)}`, {sticky: true});
      layers.grids.addLayer(layer);
      state.grids.set(f.id, layer);
    }
    if (fit && layers.grids.getLayers().length) map.fitBounds(layers.grids.getBounds(), {padding: [20, 20]});
    if (state.selected) {
      const again = state.grids.get(state.selected.feature.id);
      state.selected = null;
      if (again) select(again);
    }
    await loadBuildings();
    document.body.dataset.ready = "1";
  }

  async function loadBuildings() {
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
    const {status, data} = await api("GET", `buildings/?community=${state.community}&bbox=${bbox}`);
    if (status !== 200) return;
    layers.buildings.clearLayers();
    L.geoJSON(data, {
      pane: "buildings", pmIgnore: true, snapIgnore: false, interactive: true,
      style: {color: "#555", weight: 1, fillColor: "#9e9e9e", fillOpacity: 0.5},
      onEachFeature: (f, l) => {
        l.options.pane = "buildings";
        l.bindTooltip(`${esc(f.properties.code)} · ${esc(f.properties.grid || T.no_grid)}`);
      },
    }).eachLayer((l) => layers.buildings.addLayer(l));
    window.plannerBuildings = data.features;
  }
  map.on("moveend", () => { if (map.getZoom() >= 15) loadBuildings(); });

  // --- selection ----------------------------------------------------------------------------------

  function onGridClick(layer) {
    if (state.mode === "merge" && state.selected && layer !== state.selected) return mergeWith(layer);
    if (state.dirty.size || state.draft) return;  // finish or discard the edit first
    select(layer);
  }

  function select(layer) {
    if (state.selected) state.selected.setStyle(gridStyle(state.selected.feature));
    state.selected = layer;
    layer.setStyle(selectedStyle);
    const p = layer.feature.properties;
    $("selected").innerHTML = `<h2>${esc(p.name)}</h2>
      <dl><dt>${T.code}</dt><dd class="code">${esc(p.code)}</dd>
      <dt>${T.level}</dt><dd>${p.level === "mesh" ? T.mesh : T.grid}</dd>
      <dt>${T.version}</dt><dd class="version">${p.version}</dd>
      <dt>${T.area}</dt><dd>${fmt(p.area_m2)} m²</dd>
      <dt>${T.buildings}</dt><dd class="buildings">${p.buildings}</dd>
      <dt>${T.households}</dt><dd>${p.households}</dd><dt>${T.residents}</dt><dd>${p.residents}</dd></dl>`;
    for (const id of ["btn-edit", "btn-split", "btn-merge"]) $(id).disabled = false;
    $("btn-new-mesh").disabled = p.level !== "grid";
    loadHistory();
  }

  function siblings(layer) {
    const p = layer.feature.properties;
    return [...state.grids.values()].filter((l) => l !== layer && l.feature.properties.level === p.level
      && l.feature.properties.parent === p.parent);
  }

  // --- editing boundaries -------------------------------------------------------------------------

  const same = (a, b) => Math.abs(a.lat - b.lat) < 1e-9 && Math.abs(a.lng - b.lng) < 1e-9;

  function startEdit() {
    const layer = state.selected;
    if (!layer) return;
    setMode("edit");
    layer.pm.enable({snappable: true, snapDistance: 15, allowSelfIntersection: true});
    layer.off("pm:markerdragstart").off("pm:markerdragend").off("pm:edit");
    layer.on("pm:markerdragstart", (e) => { layer._dragFrom = L.latLng(e.markerEvent.target.getLatLng()); });
    layer.on("pm:markerdragend", (e) => {
      const from = layer._dragFrom, to = e.markerEvent.target.getLatLng();
      if (from) moveSharedVertex(layer, from, to);
    });
    layer.on("pm:edit", () => { state.dirty.set(layer.feature.id, true); scheduleCheck(); });
    $("btn-save").disabled = $("btn-cancel").disabled = false;
  }

  // A vertex shared with siblings moves in all of them: the shared boundary stays shared.
  function moveSharedVertex(layer, from, to) {
    for (const other of siblings(layer)) {
      let moved = false;
      const walk = (ll) => Array.isArray(ll) ? ll.map(walk) : (same(ll, from) ? (moved = true, L.latLng(to)) : ll);
      const lls = walk(other.getLatLngs());
      if (moved) {
        other.setLatLngs(lls);
        state.dirty.set(other.feature.id, true);
        other.setStyle({color: "#e65100", weight: 3, dashArray: "4 3"});
      }
    }
    state.dirty.set(layer.feature.id, true);
    scheduleCheck();
  }

  const geometryOf = (layer) => layer.toGeoJSON(9).geometry;

  function edits() {
    return [...state.dirty.keys()].map((id) => {
      const l = state.grids.get(id);
      return {grid: id, geometry: geometryOf(l), version: l.feature.properties.version};
    });
  }

  function scheduleCheck() {
    clearTimeout(state.checkTimer);
    state.checkTimer = setTimeout(runCheck, 250);
  }

  async function runCheck() {
    const seq = ++state.checkSeq;
    $("report").hidden = false;
    $("report").dataset.state = "checking";
    let res;
    if (state.draft) {
      res = await api("POST", "grids/check/", {community: state.community, parent: state.draft.parent,
        geometry: geometryOf(state.draft.layer)});
      if (seq !== state.checkSeq) return;
      res = res.status === 200 ? {status: res.data.ok ? 200 : 422, data: {report: res.data, moved: []}} : res;
    } else {
      if (!state.dirty.size) return;
      res = await api("POST", "grids/batch/", {edits: edits(), dry_run: true});
      if (seq !== state.checkSeq) return;
    }
    showOutcome(res, true);
  }

  function reportsOf(report) {
    if (!report) return {};
    return report.ok !== undefined ? {"": report} : report;
  }

  function drawChecks(reports) {
    layers.checks.clearLayers();
    const add = (geom, style, tip) => {
      if (!geom) return;
      const l = L.geoJSON(geom, {style: {pane: "checks", ...style}, pmIgnore: true, snapIgnore: true, interactive: false});
      l.eachLayer((x) => { x.options.pane = "checks"; });
      layers.checks.addLayer(l);
    };
    for (const r of Object.values(reports)) {
      if (!r || !r.validity) continue;
      (r.overlaps || []).forEach((o) => add(o.shape, {color: "#c62828", fillColor: "#e53935", fillOpacity: 0.5, weight: 1}));
      if (r.gaps && r.gaps.shape) add(r.gaps.shape, {color: "#ef6c00", fillColor: "#ffb74d", fillOpacity: 0.5, weight: 1, dashArray: "3 3"});
      if (r.inside_parent && r.inside_parent.outside_shape) add(r.inside_parent.outside_shape, {color: "#6a1b9a", fillColor: "#ab47bc", fillOpacity: 0.5, weight: 1});
      (r.children_outside || []).forEach((c) => add(c.shape, {color: "#6a1b9a", fillColor: "#ce93d8", fillOpacity: 0.5, weight: 1}));
      (r.cut_buildings || []).forEach((b) => add(b.shape, {color: "#b71c1c", weight: 3, fillOpacity: 0.2}));
      if (r.validity.location) add(r.validity.location, {color: "#b71c1c", radius: 8});
    }
  }

  function showOutcome({status, data}, dry) {
    const box = $("report");
    box.hidden = false;
    if (status === 409) return showConflict(data);
    if (status !== 200 && status !== 422) {
      box.dataset.state = "error";
      box.innerHTML = `<p class="error">${esc(data.detail || JSON.stringify(data))}</p>`;
      return;
    }
    const reports = reportsOf(data.report);
    const extra = data.report_other ? {new: data.report_other} : {};
    Object.assign(reports, extra);
    drawChecks(reports);
    const ok = status === 200;
    box.dataset.state = ok ? "ok" : "rejected";
    let html = `<h3>${ok ? (dry ? T.check_ok : T.saved) : T.check_failed}</h3>`;
    for (const [code, r] of Object.entries(reports)) {
      if (!r || !r.validity) continue;
      if (code) html += `<h4>${esc(code)}</h4>`;
      html += "<ul>";
      for (const e of r.errors) html += `<li class="err" data-rule="${esc(e.rule)}">${esc(e.message)}</li>`;
      for (const w of r.warnings) html += `<li class="warn" data-rule="${esc(w.rule)}">${esc(w.message)}</li>`;
      if (!r.errors.length && !r.warnings.length) html += `<li class="ok">${T.all_rules_pass}</li>`;
      html += "</ul>";
      if (r.before && r.after) {
        html += `<table class="counts"><tr><th></th><th>${T.before}</th><th>${T.after}</th></tr>`;
        for (const k of ["buildings", "rooms", "households", "residents"]) {
          html += `<tr><td>${T[k]}</td><td>${r.before[k]}</td><td data-after="${k}">${r.after[k]}</td></tr>`;
        }
        html += "</table>";
      }
    }
    if (data.moved && data.moved.length) {
      html += `<h4>${dry ? T.would_move : T.moved}</h4><ul class="moved">`;
      for (const m of data.moved.slice(0, 50)) {
        html += `<li data-building="${esc(m.code)}">${esc(m.code)}: ${esc(m.from_grid || T.no_grid)} → ${esc(m.to_grid || T.no_grid)}</li>`;
      }
      html += "</ul>";
    }
    box.innerHTML = html;
  }

  // --- saving -------------------------------------------------------------------------------------

  async function save() {
    clearTimeout(state.checkTimer);
    const note = $("note").value;
    let res;
    if (state.draft) {
      const name = prompt(T.ask_name, "");
      if (!name) return;
      res = await api("POST", "grids/", {community: state.community, parent: state.draft.parent, name, note,
        geometry: geometryOf(state.draft.layer)});
    } else if (state.dirty.size) {
      res = await api("POST", "grids/batch/", {edits: edits(), note});
    } else return;
    showOutcome(res, false);
    if (res.status === 200) {
      message(T.saved, "ok");
      document.body.dataset.saved = String(Number(document.body.dataset.saved || 0) + 1);
      const created = state.draft && res.data.grids && res.data.grids[0] ? res.data.grids[0].id : null;
      await finishEditing(created || (state.selected && state.selected.feature.id));
    }
  }

  async function finishEditing(selectId) {
    for (const l of state.grids.values()) { if (l.pm.enabled()) l.pm.disable(); }
    if (state.draft) { map.removeLayer(state.draft.layer); state.draft = null; }
    state.dirty.clear();
    setMode(null);
    layers.preview.clearLayers();
    $("conflict").hidden = true;
    $("btn-save").disabled = $("btn-cancel").disabled = true;
    const keep = selectId || (state.selected && state.selected.feature.id);
    state.selected = null;
    await loadGrids(false);
    if (keep && state.grids.get(keep)) select(state.grids.get(keep));
  }

  async function cancel() {
    layers.checks.clearLayers();
    $("report").hidden = true;
    await finishEditing(null);
  }

  // --- conflicts: keep mine / keep theirs -----------------------------------------------------------

  function showConflict(data) {
    const box = $("conflict");
    box.hidden = false;
    layers.preview.clearLayers();
    if (data.theirs) layers.preview.addLayer(L.geoJSON(data.theirs, {style: {color: "#ff6f00", weight: 3, dashArray: "8 6", fillOpacity: 0.1}, pmIgnore: true, interactive: false}));
    if (data.mine) layers.preview.addLayer(L.geoJSON(data.mine, {style: {color: "#1565c0", weight: 3, fillOpacity: 0.1}, pmIgnore: true, interactive: false}));
    const who = data.last_change ? `${esc(data.last_change.author || "")} · ${esc(data.last_change.at || "").slice(0, 16)} · ${esc(data.last_change.note || "")}` : "";
    box.innerHTML = `<h3>${T.conflict}</h3><p>${esc(data.detail)}</p><p class="who">${who}</p>
      <p><span class="swatch mine"></span>${T.mine} <span class="swatch theirs"></span>${T.theirs}</p>
      <button id="keep-mine" class="primary">${T.keep_mine}</button> <button id="keep-theirs">${T.keep_theirs}</button>`;
    $("keep-mine").onclick = () => {
      const layer = state.grids.get(data.grid);
      if (layer) layer.feature.properties.version = data.current_version;
      box.hidden = true;
      save();
    };
    $("keep-theirs").onclick = () => { box.hidden = true; cancel(); };
  }

  // --- drawing new grids and meshes -----------------------------------------------------------------

  function startDraw(asMesh) {
    setMode(asMesh ? "new-mesh" : "new-grid");
    const parent = asMesh && state.selected ? state.selected.feature.id : null;
    map.pm.enableDraw("Polygon", {snappable: true, snapDistance: 15, pathOptions: {color: "#e65100"}});
    map.once("pm:create", (e) => {
      state.draft = {layer: e.layer, parent};
      e.layer.pm.enable({snappable: true});
      e.layer.on("pm:edit", scheduleCheck);
      $("btn-save").disabled = $("btn-cancel").disabled = false;
      scheduleCheck();
    });
  }

  // --- split and merge --------------------------------------------------------------------------------

  function startSplit() {
    const layer = state.selected;
    setMode("split");
    message(T.draw_split_line, "info");
    map.pm.enableDraw("Line", {snappable: true});
    map.once("pm:create", async (e) => {
      const line = e.layer.toGeoJSON(9).geometry;
      map.removeLayer(e.layer);
      const name = prompt(T.ask_new_name, layer.feature.properties.name + "-2");
      if (!name) return cancel();
      const body = {line, name, version: layer.feature.properties.version, note: $("note").value};
      const dry = await api("POST", `grids/${layer.feature.id}/split/`, {...body, dry_run: true});
      showOutcome(dry, true);
      if (dry.status !== 200 || !confirm(T.confirm_split)) return;
      const res = await api("POST", `grids/${layer.feature.id}/split/`, body);
      showOutcome(res, false);
      if (res.status === 200) await finishEditing(layer.feature.id);
    });
  }

  function startMerge() {
    setMode("merge");
    message(T.click_neighbour, "info");
  }

  async function mergeWith(other) {
    const layer = state.selected;
    const body = {other: other.feature.id, version: layer.feature.properties.version,
      other_version: other.feature.properties.version, note: $("note").value};
    const dry = await api("POST", `grids/${layer.feature.id}/merge/`, {...body, dry_run: true});
    showOutcome(dry, true);
    if (dry.status !== 200) { message(esc(dry.data.detail || T.check_failed), "error"); setMode(null); return; }
    if (!confirm(T.confirm_merge.replace("%s", other.feature.properties.code))) { setMode(null); return; }
    const res = await api("POST", `grids/${layer.feature.id}/merge/`, body);
    showOutcome(res, false);
    if (res.status === 200) await finishEditing(layer.feature.id);
  }

  // --- history ---------------------------------------------------------------------------------------

  async function loadHistory() {
    const layer = state.selected;
    const box = $("history");
    const {status, data} = await api("GET", `grids/${layer.feature.id}/history/`);
    if (status !== 200) return;
    box.hidden = false;
    box.innerHTML = `<h3>${T.history}</h3><ol class="versions">` + data.versions.map((v) => `
      <li data-version="${v.version}"><b>v${v.version}</b> ${esc(T.actions[v.action] || v.action)} · ${esc(v.author || "—")} ·
      ${esc(v.at.slice(0, 16).replace("T", " "))}<br><i>${esc(v.note)}</i><br>
      <button class="view">${T.view}</button>
      ${v.version !== data.current_version ? `<button class="restore">${T.restore}</button>` : ""}</li>`).join("") + "</ol>";
    box.querySelectorAll("li").forEach((li) => {
      const v = Number(li.dataset.version);
      li.querySelector(".view").onclick = async () => {
        const r = await api("GET", `grids/${layer.feature.id}/history/${v}/`);
        layers.preview.clearLayers();
        layers.preview.addLayer(L.geoJSON(r.data.geometry, {style: {color: "#000", weight: 3, dashArray: "2 6", fillOpacity: 0.05}, pmIgnore: true, interactive: false}));
      };
      const restore = li.querySelector(".restore");
      if (restore) restore.onclick = async () => {
        const res = await api("POST", `grids/${layer.feature.id}/history/${v}/restore/`,
          {version: layer.feature.properties.version, note: $("note").value});
        showOutcome(res, false);
        if (res.status === 200) await finishEditing(layer.feature.id);
      };
    });
  }

  // --- cameras -----------------------------------------------------------------------------------------

  function cameraShape(f) {
    const [lng, lat] = f.geometry.coordinates;
    const p = f.properties, r = p.range_m || 30;
    const pts = [[lat, lng]];
    const h0 = p.heading_deg - p.hfov_deg / 2;
    for (let i = 0; i <= 12; i++) {
      const a = (h0 + (p.hfov_deg * i) / 12) * Math.PI / 180;
      pts.push([lat + (r * Math.cos(a)) / 111320, lng + (r * Math.sin(a)) / (111320 * Math.cos(lat * Math.PI / 180))]);
    }
    return L.polygon(pts, {color: "#6a1b9a", weight: 1, fillOpacity: 0.15, pmIgnore: true, interactive: false});
  }

  async function toggleCameras() {
    if (map.hasLayer(layers.cameras)) { map.removeLayer(layers.cameras); $("camera").hidden = true; return; }
    const {status, data} = await api("GET", `cameras/?community=${state.community}`);
    if (status !== 200) return message(esc(data.detail), "error");
    layers.cameras.clearLayers();
    for (const f of data.features) {
      const [lng, lat] = f.geometry.coordinates;
      const fov = cameraShape(f);
      const m = L.marker([lat, lng], {draggable: true, pmIgnore: true, title: f.properties.code});
      m.on("click", () => editCamera(f, m, fov));
      m.on("dragend", () => { f.geometry.coordinates = [m.getLatLng().lng, m.getLatLng().lat]; editCamera(f, m, fov, true); });
      layers.cameras.addLayer(fov).addLayer(m);
    }
    layers.cameras.addTo(map);
  }

  function editCamera(f, marker, fov, moved) {
    const box = $("camera"), p = f.properties;
    box.hidden = false;
    box.innerHTML = `<h3>${T.camera} ${esc(p.code)}</h3><p>${esc(p.name)} · ${esc(p.grid || T.no_grid)}</p>
      <label>${T.heading} <input id="cam-heading" type="number" min="0" max="360" step="1" value="${p.heading_deg}"></label>
      <input id="cam-heading-range" type="range" min="0" max="360" value="${p.heading_deg}">
      <label>${T.fov} <input id="cam-fov" type="number" min="1" max="360" step="1" value="${Math.round(p.hfov_deg)}"></label>
      <p>${moved ? T.camera_moved : ""}</p><button id="cam-save" class="primary">${T.save_camera}</button>`;
    const redraw = () => {
      p.heading_deg = Number($("cam-heading").value); p.hfov_deg = Number($("cam-fov").value);
      fov.setLatLngs(cameraShape(f).getLatLngs());
    };
    $("cam-heading-range").oninput = (e) => { $("cam-heading").value = e.target.value; redraw(); };
    $("cam-heading").oninput = $("cam-fov").oninput = redraw;
    redraw();
    $("cam-save").onclick = async () => {
      const r = await api("PATCH", `cameras/${f.id}/`, {location: f.geometry, heading_deg: p.heading_deg, hfov_deg: p.hfov_deg});
      if (r.status === 200) { Object.assign(p, r.data.properties); message(T.camera_saved, "ok"); editCamera(f, marker, fov); }
      else message(esc(JSON.stringify(r.data)), "error");
    };
  }

  // --- renumbering --------------------------------------------------------------------------------------

  async function renumberPreview() {
    const box = $("renumber");
    const {status, data} = await api("GET", `communities/${state.community}/renumber/`);
    if (status !== 200) return;
    box.hidden = false;
    const rows = data.rows.filter((r) => r.old !== r.new);
    box.innerHTML = `<h3>${T.renumber}</h3><p>${T.renumber_rule}</p>` + (rows.length
      ? `<table><tr><th>${T.name}</th><th>${T.now}</th><th>${T.standard}</th></tr>` + rows.map((r) =>
        `<tr><td>${esc(r.name)}</td><td>${esc(r.old)}</td><td>${esc(r.new)}</td></tr>`).join("") + `</table>
        <button id="renumber-apply" class="primary">${T.apply_renumber}</button>`
      : `<p class="ok">${T.renumber_none}</p>`);
    if (rows.length) $("renumber-apply").onclick = async () => {
      if (!confirm(T.confirm_renumber)) return;
      const r = await api("POST", `communities/${state.community}/renumber/`, {apply: true});
      if (r.status === 200) { message(T.saved, "ok"); box.hidden = true; await loadGrids(false); }
    };
  }

  // --- modes and buttons ---------------------------------------------------------------------------------

  function setMode(mode) {
    state.mode = mode;
    document.body.dataset.mode = mode || "";
    if (!mode) { map.pm.disableDraw(); message(""); }
  }

  $("btn-edit").onclick = startEdit;
  $("btn-new-grid").onclick = () => startDraw(false);
  $("btn-new-mesh").onclick = () => startDraw(true);
  $("btn-split").onclick = startSplit;
  $("btn-merge").onclick = startMerge;
  $("btn-save").onclick = save;
  $("btn-cancel").onclick = cancel;
  $("btn-cameras").onclick = toggleCameras;
  $("btn-renumber").onclick = renumberPreview;
  $("community").onchange = (e) => {
    const code = e.target.selectedOptions[0].dataset.code;
    location.search = `?community=${encodeURIComponent(code)}`;
  };

  if (state.community) loadGrids(true); else message(T.no_community, "info");
})();
