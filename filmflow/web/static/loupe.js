// Loupe (one frame fitted, film data, film-log data, versions, caption), 100% zoom panned by drag,
// and compare (2-4 frames in step, or a frame's edit beside its original).
import { state, currentFrame, post, pushUndo, say, applyFrames } from "./app.js";
import { stars, filmLine, versionsOf, preferredVersion, imageUrl } from "./grid.js";

const $ = (id) => document.getElementById(id);
let mode = "grid"; // grid | loupe | compare
let zoomed = false;
let pointer = null; // last pointer position over the stage/pane, for zooming around it
let comparing = []; // [{f, v}]: a frame and the version of it a pane shows
let shown = { id: null, n: null }; // the version the loupe shows (the preferred one until `v`)

export function view() { return mode; }

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

export function closeViews() {
  mode = "grid";
  zoomed = false;
  $("loupe").hidden = true;
  $("compare").hidden = true;
  $("compare").replaceChildren();
  $("stage").replaceChildren();
  $("stage").dataset.loaded = "0";
  document.body.dataset.view = "grid";
}

export function openLoupe() {
  if (!currentFrame()) return;
  mode = "loupe";
  zoomed = false;
  shown = { id: null, n: null }; // the loupe opens on the preferred version
  $("compare").hidden = true;
  $("loupe").hidden = false;
  document.body.dataset.view = "loupe";
  showLoupeFrame();
}

function fitImage(f, v, onload) {
  const img = el("img", "fit");
  img.alt = f.ref;
  img.dataset.id = f.id;
  img.dataset.n = v.n;
  img.draggable = false;
  if (onload) img.addEventListener("load", onload, { once: true });
  img.src = imageUrl("preview", f, v);
  return img;
}

const KIND = { original: "scan", scan: "scan", edit: "edit" };

// the version of the current frame the loupe shows (the preferred one when the frame changes)
export function shownVersion(f) {
  const vs = versionsOf(f);
  if (shown.id !== f.id || !vs.some((v) => v.n === shown.n)) shown = { id: f.id, n: preferredVersion(f).n };
  return vs.find((v) => v.n === shown.n);
}

// film-log data (null when the frame has none): exposure line, place, position, note
function logRows(f) {
  const exposure = [f.aperture ? `f/${+f.aperture}` : null, f.shutter, f.focal_length ? `${+f.focal_length}mm` : null];
  const gps = f.gps ? `${(+f.gps.lat).toFixed(5)}, ${(+f.gps.lon).toFixed(5)}` : null;
  return [["exposure", exposure.filter(Boolean).join(" · ")], ["place", f.place], ["gps", gps], ["note", f.note]];
}

// the size of the version shown (a version's format from its file name: JSON versions carry none)
function sizeLine(f, v) {
  if (!v.width) return null;
  const ext = (v.file || "").split(".").pop().toUpperCase();
  const format = v.n === 1 ? f.format : ({ JPG: "JPEG", TIF: "TIFF" }[ext] || ext);
  return `${v.width}×${v.height} · ${v.bits}-bit ${format}`;
}

function versionList(f) {
  const vs = versionsOf(f), cur = shownVersion(f);
  const dd = el("dd", "v-versions");
  const list = el("span");
  list.id = "versions";
  vs.forEach((v, i) => {
    if (i) list.append(" · ");
    const b = el("a", v.n === cur.n ? "version shown" : "version", `${v.n} ${KIND[v.kind] || v.kind}${v.preferred ? "*" : ""}`);
    b.dataset.n = v.n;
    b.href = "#";
    b.title = `${v.file}${v.width ? ` · ${v.width}×${v.height}` : ""}${v.preferred ? " (preferred)" : ""}`;
    b.addEventListener("click", (e) => { e.preventDefault(); showVersion(v.n); });
    list.append(b);
  });
  const prefer = el("button", null, "prefer (Shift+V)");
  prefer.id = "prefer";
  prefer.disabled = cur.preferred || state.readOnly;
  prefer.addEventListener("click", () => preferShown());
  const cmp = el("button", null, "compare with original");
  cmp.id = "compare-original";
  cmp.addEventListener("click", () => compareVersions());
  dd.append(list, el("br"), prefer, cmp);
  return dd;
}

function infoPanel(f) {
  const r = state.rolls[f.roll] || {};
  const panel = $("info");
  panel.replaceChildren();
  panel.append(el("h2", null, f.ref));
  const dl = el("dl");
  const shot = (f.shot_at && f.shot_at.replace("T", " ")) || (r.shot_from ? r.shot_from + (r.shot_to && r.shot_to !== r.shot_from ? `..${r.shot_to}` : "") : null);
  const rows = [["rating", stars(f.rating) || "–"], ["flag", { yes: "pick", reject: "reject" }[f.pick] || "–"],
    ["film", filmLine(r)], ["camera", r.camera], ["lens", f.lens || r.lens], ["developed", r.developed],
    ["shot", shot], ["scanner", f.scanner || r.scanner], ["size", sizeLine(f, shownVersion(f))],
    ...logRows(f), ["file", shownVersion(f).file || f.file], ["tags", (f.tags || []).join(", ")],
    ["projects", (f.projects || []).join(", ")]];
  for (const [k, v] of rows) {
    if (!v) continue;
    dl.append(el("dt", null, k), el("dd", `v-${k}`, v));
  }
  if (versionsOf(f).length > 1) dl.append(el("dt", null, "versions"), versionList(f));
  const label = el("label", null, state.kind === "project" ? "caption (this project)" : "caption");
  const ta = el("textarea");
  ta.id = "caption";
  ta.value = f.caption || "";
  ta.addEventListener("change", () => saveCaption(f, ta.value));
  ta.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); ta.blur(); } });
  panel.append(dl, label, ta);
}

export async function saveCaption(f, text) {
  const project = state.kind === "project" ? state.project.name : undefined;
  const r = await post("/api/caption", { id: f.id, text, project });
  pushUndo({ kind: "caption", id: f.id, project, previous: r.previous, label: "caption" });
  f.caption = r.caption;
  if (project) f.project_caption = r.caption; else f.frame_caption = r.caption;
  say("caption saved");
}

export function showLoupeFrame(infoOnly = false) {
  const f = currentFrame();
  if (!f || mode !== "loupe") return;
  infoPanel(f);
  if (infoOnly) return;
  zoomed = false;
  const stage = $("stage");
  stage.classList.remove("zoomed");
  stage.dataset.id = f.id;
  stage.dataset.loaded = "0";
  const v = shownVersion(f);
  stage.dataset.n = v.n;
  stage.dataset.sha = v.sha256;
  const img = fitImage(f, v, () => { stage.dataset.loadedAt = performance.now(); stage.dataset.loaded = "1"; });
  stage.replaceChildren(img);
}

// --- versions --------------------------------------------------------------------------------------
export function showVersion(n) {
  const f = currentFrame();
  if (!f || mode !== "loupe") return;
  shown = { id: f.id, n };
  showLoupeFrame();
}

// `v`: the next version (scan, re-scans, edits), round to the first
export function nextVersion() {
  const f = currentFrame();
  if (!f || mode !== "loupe") return;
  const vs = versionsOf(f);
  if (vs.length < 2) { say(`${f.ref} has one version`); return; }
  const i = vs.findIndex((v) => v.n === shownVersion(f).n);
  const v = vs[(i + 1) % vs.length];
  showVersion(v.n);
  say(`version ${v.n} (${KIND[v.kind] || v.kind})${v.preferred ? ", preferred" : ""}`);
}

// Shift+V or the button: the version shown becomes the preferred one, as `filmflow version prefer`
export async function preferShown() {
  const f = currentFrame();
  if (!f || mode !== "loupe") return;
  const v = shownVersion(f);
  if (v.preferred) { say(`version ${v.n} is already preferred`); return; }
  const r = await post("/api/versions/prefer", { id: f.id, n: v.n });
  pushUndo({ kind: "prefer", id: f.id, previous: r.previous, label: `prefer version ${v.n}` });
  applyFrames(r.frames);
  say(`${f.ref}: version ${v.n} preferred`);
}

// compare a frame's original beside the version shown (or, when that is the original, the preferred one)
export function compareVersions() {
  const f = currentFrame();
  if (!f) return false;
  const vs = versionsOf(f);
  if (vs.length < 2) return false;
  const cur = mode === "loupe" ? shownVersion(f) : preferredVersion(f);
  const other = cur.n !== 1 ? cur : (vs.find((v) => v.preferred && v.n !== 1) || vs[vs.length - 1]);
  startCompare([{ f, v: vs[0] }, { f, v: other }]);
  return true;
}

// --- 100% zoom -------------------------------------------------------------------------------------
function zoomIn(box, item, at) {
  const f = item.f;
  const fit = box.querySelector("img");
  const rect = fit.getBoundingClientRect();
  const brect = box.getBoundingClientRect();
  const px = at ? at.x : rect.left + rect.width / 2, py = at ? at.y : rect.top + rect.height / 2;
  const fx = rect.width ? Math.min(1, Math.max(0, (px - rect.left) / rect.width)) : 0.5;
  const fy = rect.height ? Math.min(1, Math.max(0, (py - rect.top) / rect.height)) : 0.5;
  const img = el("img", "full");
  img.draggable = false;
  img.alt = f.ref;
  img.dataset.id = f.id;
  box.dataset.loaded = "0";
  return new Promise((resolve) => {
    img.addEventListener("load", () => {
      const w = img.naturalWidth / devicePixelRatio, h = img.naturalHeight / devicePixelRatio;
      img.style.width = `${w}px`;
      img.style.height = `${h}px`;
      box.classList.add("zoomed");
      fit.replaceWith(img);
      box.scrollLeft = fx * w - (px - brect.left);
      box.scrollTop = fy * h - (py - brect.top);
      box.dataset.loaded = "1";
      resolve();
    }, { once: true });
    img.src = imageUrl("full", f, item.v);
  });
}

function dragToPan(box, onPan) {
  let last = null;
  box.addEventListener("mousedown", (e) => { if (box.classList.contains("zoomed")) { last = { x: e.clientX, y: e.clientY }; e.preventDefault(); } });
  window.addEventListener("mouseup", () => { last = null; });
  box.addEventListener("mousemove", (e) => {
    pointer = { x: e.clientX, y: e.clientY };
    if (!last) return;
    onPan(last.x - e.clientX, last.y - e.clientY, box);
    last = { x: e.clientX, y: e.clientY };
  });
}

export async function toggleZoom() {
  if (mode === "loupe") {
    const stage = $("stage"), f = currentFrame();
    if (zoomed) { zoomed = false; showLoupeFrame(); return; }
    zoomed = true;
    await zoomIn(stage, { f, v: shownVersion(f) }, pointer);
  } else if (mode === "compare") {
    const panes = [...$("compare").querySelectorAll(".pane")];
    if (zoomed) { zoomed = false; renderCompare(); return; }
    zoomed = true;
    // every pane zooms around the same relative point, so bracketed frames line up
    const ref = panes[0].getBoundingClientRect();
    const rel = pointer ? panes.map((p) => {
      const r = p.getBoundingClientRect();
      const inside = pointer.x >= r.left && pointer.x <= r.right;
      return inside ? { x: pointer.x - r.left, y: pointer.y - r.top } : null;
    }).find(Boolean) : null;
    await Promise.all(panes.map((p, i) => {
      const r = p.getBoundingClientRect();
      const at = rel ? { x: r.left + rel.x, y: r.top + rel.y } : { x: r.left + ref.width / 2, y: r.top + ref.height / 2 };
      return zoomIn(p, comparing[i], at);
    }));
  }
}

// --- compare ---------------------------------------------------------------------------------------
export function openCompare() {
  // in the loupe, a frame with versions compares its original and the version shown
  if (mode === "loupe" && compareVersions()) return;
  const sel = state.frames.filter((f) => state.selected.has(f.id));
  let frames;
  if (sel.length >= 2) frames = sel.slice(0, 4);
  else {
    const i = state.current;
    frames = state.frames.slice(i, i + 2);
    if (frames.length < 2) frames = state.frames.slice(Math.max(0, i - 1), i + 1);
  }
  if (frames.length < 2) { say("compare needs two frames"); return; }
  startCompare(frames.map((f) => ({ f, v: preferredVersion(f) })));
}

function startCompare(items) {
  comparing = items;
  mode = "compare";
  zoomed = false;
  $("loupe").hidden = true;
  $("compare").hidden = false;
  document.body.dataset.view = "compare";
  renderCompare();
}

function compareLabel(f, n) {
  const vs = versionsOf(f), v = vs.find((x) => x.n === n);
  const version = vs.length > 1 && v ? `v${v.n} ${KIND[v.kind] || v.kind}${v.preferred ? "*" : ""}` : null;
  return [f.ref, version, stars(f.rating), { yes: "pick", reject: "reject" }[f.pick]].filter(Boolean).join(" ");
}

export function refreshCompareLabels() {
  for (const pane of $("compare").querySelectorAll(".pane")) {
    const f = state.frames.find((x) => x.id === +pane.dataset.id);
    if (f) pane.querySelector(".label").textContent = compareLabel(f, +pane.dataset.n);
  }
}

function renderCompare() {
  const c = $("compare");
  c.replaceChildren();
  for (const { f, v } of comparing) {
    const pane = el("div", "pane");
    pane.dataset.id = f.id;
    pane.dataset.n = v.n;
    pane.dataset.sha = v.sha256;
    pane.dataset.loaded = "0";
    pane.append(fitImage(f, v, () => { pane.dataset.loaded = "1"; }));
    const label = el("span", "label", compareLabel(f, v.n));
    pane.addEventListener("click", () => {
      const i = state.frames.findIndex((x) => x.id === f.id);
      state.current = i;
      state.selected = new Set([f.id]);
      for (const p of c.querySelectorAll(".pane")) p.classList.toggle("current", +p.dataset.id === f.id);
    });
    dragToPan(pane, (dx, dy) => {
      for (const p of c.querySelectorAll(".pane")) { p.scrollLeft += dx; p.scrollTop += dy; }
    });
    pane.append(label);
    c.append(pane);
  }
}

// the loupe stage pans by drag too, and remembers the pointer for `z`
const stage = $("stage");
dragToPan(stage, (dx, dy, box) => { box.scrollLeft += dx; box.scrollTop += dy; });
