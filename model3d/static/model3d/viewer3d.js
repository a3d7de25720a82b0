// /3d/: the whole model, vacant rooms lit, floor filter, a room's card on click.
import {Village3D} from "./village3d.js";

const cfg = JSON.parse(document.getElementById("viewer-config").textContent);
const T = cfg.strings;
const $ = sel => document.querySelector(sel);
const fmt = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => vars[k]);

const card = $("#card");
$("#card [data-close]").addEventListener("click", () => { card.hidden = true; village.select(null); });

async function showRoom(id) {
  const response = await fetch(cfg.room.replace("{id}", id));
  if (!response.ok) return;
  const r = await response.json();
  const phone = r.landlord_phone ? `${T.phone}: <a href="tel:${r.landlord_phone}">${r.landlord_phone}</a>` : T.ask_hall;
  card.querySelector(".content").innerHTML = `<h2></h2>
    <div class="meta">${fmt(T.floor_room, {floor: r.floor, number: r.number})} · ${r.area_m2} ${T.sqm}</div>
    <div class="rent">${r.rent} ${T.per_month}</div><div class="status ${r.status}">${T[r.status]}</div>
    <div class="phone">${phone}</div><a class="open" href="${r.room_page}">${T.open_phone}</a>`;
  card.querySelector("h2").textContent = r.address || r.building;
  // The landlord's own words and photos (public fields): text as text, photos by their public URLs.
  const open = card.querySelector(".open");
  if (r.description) {
    const about = document.createElement("p");
    about.className = "about";
    about.textContent = r.description;
    open.before(about);
  }
  if ((r.photos || []).length) {
    const photos = document.createElement("div");
    photos.className = "photos";
    for (const url of r.photos) {
      const img = document.createElement("img");
      img.src = url;
      img.alt = T.photo;
      img.loading = "lazy";
      photos.appendChild(img);
    }
    open.before(photos);
  }
  card.dataset.room = String(r.id);
  card.hidden = false;
  document.body.dataset.room = String(r.id);
}

const village = new Village3D("globe", cfg, {onPick: hit => { if (hit.roomId !== undefined) showRoom(hit.roomId); }});
window.village3d = village;

// Floor filter: every floor, or the buildings cut above floor n.
const floors = $("#floors");
const choices = [[T.all_floors, null], ...Array.from({length: cfg.maxFloor}, (_, i) => [fmt(T.floor_n, {n: i + 1}), i + 1])];
for (const [label, value] of choices) {
  const b = document.createElement("button");
  b.textContent = label;
  b.dataset.floor = value === null ? "" : String(value);
  b.setAttribute("aria-pressed", String(value === null));
  b.addEventListener("click", () => {
    floors.querySelectorAll("button").forEach(x => x.setAttribute("aria-pressed", String(x === b)));
    village.setFloor(value);
  });
  floors.appendChild(b);
}

if (!cfg.view) {
  $("#note").textContent = T.not_ready;
} else {
  village.overview(cfg.view);
  const t0 = performance.now();
  await village.load();
  await village.loaded;
  village.viewer.scene.requestRender();
  requestAnimationFrame(() => {
    const now = performance.now();
    document.body.dataset.firstFrameMs = String(Math.round(now - t0));
    document.body.dataset.firstFrameAt = String(Math.round(now));  // since navigation began
    document.body.dataset.ready = "1";
    $("#note").hidden = true;
  });
  village.poll(cfg.pollSeconds);
}
