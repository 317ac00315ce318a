// filmflow light table: state, the JSON API, keys (as in Lightroom Classic), undo, live updates.
import { renderGrid, renderRolls, paintCell, paintSelection, columns } from "./grid.js";
import { openLoupe, closeViews, toggleZoom, openCompare, showLoupeFrame, refreshCompareLabels, view, nextVersion,
  preferShown } from "./loupe.js";
import { setupProject, moveCurrent, removeSelected } from "./project.js";

const meta = (n) => document.querySelector(`meta[name="filmflow-${n}"]`).content;
export const state = {
  kind: meta("kind"), arg: meta("arg"), csrf: meta("csrf"), readOnly: meta("readonly") === "1",
  frames: [], rolls: {}, current: 0, selected: new Set(), anchor: 0, undo: [], marker: null, project: null,
};
const $ = (id) => document.getElementById(id);

export function say(text) { $("status").textContent = text || ""; }
export function showError(text) {
  const e = $("error");
  e.textContent = text || "";
  e.hidden = !text;
}

export async function get(url) {
  const r = await fetch(url, { headers: { accept: "application/json" } });
  const body = await r.json().catch(() => ({ error: `the server answered ${r.status}` }));
  if (!r.ok) throw new Error(body.error || `the server answered ${r.status}`);
  return body;
}

export async function post(url, data) {
  if (state.readOnly) { showError("the light table runs with --read-only; changes are refused."); throw new Error("read-only"); }
  const r = await fetch(url, {
    method: "POST", body: JSON.stringify(data),
    headers: { "content-type": "application/json", "x-filmflow-csrf": state.csrf },
  });
  const body = await r.json().catch(() => ({ error: `the server answered ${r.status}` }));
  if (!r.ok) { showError(body.error); throw new Error(body.error); }
  showError("");
  return body;
}

// --- selection ---------------------------------------------------------------------------------
export function currentFrame() { return state.frames[state.current]; }
export function selectedIds() {
  if (state.selected.size) return [...state.selected];
  const f = currentFrame();
  return f ? [f.id] : [];
}
export function setCurrent(i, { extend = false, toggle = false } = {}) {
  if (!state.frames.length) return;
  i = Math.max(0, Math.min(state.frames.length - 1, i));
  state.current = i;
  const id = state.frames[i].id;
  if (extend) {
    state.selected = new Set();
    const [a, b] = [Math.min(state.anchor, i), Math.max(state.anchor, i)];
    for (let k = a; k <= b; k++) state.selected.add(state.frames[k].id);
  } else if (toggle) {
    if (state.selected.has(id) && state.selected.size > 1) state.selected.delete(id); else state.selected.add(id);
    state.anchor = i;
  } else {
    state.selected = new Set([id]);
    state.anchor = i;
  }
  paintSelection();
  if (view() === "loupe") showLoupeFrame();
}

// --- changes and undo --------------------------------------------------------------------------
export function applyFrames(frames) {
  for (const f of frames || []) {
    const i = state.frames.findIndex((x) => x.id === f.id);
    if (i >= 0) {
      const keep = state.frames[i];
      state.frames[i] = { ...f, position: keep.position, project_caption: keep.project_caption,
        caption: keep.project_caption ?? f.caption, frame_caption: f.caption };
      paintCell(i);
    }
  }
  if (view() === "loupe") showLoupeFrame(true);
  if (view() === "compare") refreshCompareLabels();
}

function advance(count) {
  const on = $("advance").checked || state.capsLock;
  if (on && count === 1) setCurrent(state.current + 1);
}

export async function change(url, data, label) {
  const ids = selectedIds();
  if (!ids.length) return;
  const r = await post(url, { ids, ...data });
  state.undo.push({ kind: "frames", previous: r.previous, label });
  applyFrames(r.frames);
  say(`${label}: ${r.changed} of ${r.matched} changed`);
  advance(ids.length);
}

export function pushUndo(entry) { state.undo.push(entry); }

export async function undo() {
  const u = state.undo.pop();
  if (!u) { say("nothing to undo"); return; }
  if (u.kind === "frames") {
    const r = await post("/api/restore", { frames: u.previous });
    applyFrames(r.frames);
  } else if (u.kind === "caption") {
    await post("/api/caption", { id: u.id, text: u.previous || "", project: u.project });
    await reload();
  } else if (u.kind === "move") {
    await post("/api/projects/move", { name: u.name, id: u.id, position: u.previous });
    await reload();
  } else if (u.kind === "add") {
    if (u.ids.length) await post("/api/projects/remove", { name: u.name, ids: u.ids });
  } else if (u.kind === "prefer") {
    const r = await post("/api/versions/prefer", { id: u.id, n: u.previous });
    applyFrames(r.frames);
  } else if (u.kind === "remove") {
    await post("/api/projects/restore", { name: u.name, frames: u.previous });
    await reload();
  }
  say(`undone: ${u.label}`);
}

async function askText(label) {
  const d = $("ask");
  $("ask-label").textContent = label;
  $("ask-input").value = "";
  d.showModal();
  return new Promise((resolve) => {
    d.addEventListener("close", () => resolve(d.returnValue === "ok" ? $("ask-input").value.trim() : ""), { once: true });
  });
}

async function addToTarget() {
  const name = $("target").value;
  if (!name) { showError("choose a target project first (the 'target' menu above)."); return; }
  const r = await post("/api/projects/add", { name, ids: selectedIds() });
  state.undo.push({ kind: "add", name, ids: r.previous, label: `add to ${name}` });
  say(`added ${r.added} to ${r.project}`);
}

// a text field or menu takes its own keys; a checkbox or button does not
function isTyping(t) {
  if (!t || !t.tagName) return false;
  if (t.tagName === "INPUT") return !["checkbox", "button", "submit"].includes(t.type);
  return t.tagName === "TEXTAREA" || t.tagName === "SELECT";
}

// --- keys --------------------------------------------------------------------------------------
const FLAGS = { p: ["yes", "pick"], x: ["reject", "reject"], u: ["no", "unflag"] };

async function onKey(e) {
  state.capsLock = e.getModifierState && e.getModifierState("CapsLock");
  const t = e.target;
  if (isTyping(t)) {
    if (e.key === "Escape") t.blur();
    return;
  }
  if (document.querySelector("dialog[open]")) return;
  const k = e.key, v = view();
  const key = k.length === 1 ? k.toLowerCase() : k;
  if ((e.ctrlKey || e.metaKey) && key === "z") { e.preventDefault(); await undo(); return; }
  if (e.ctrlKey || e.metaKey) return;
  if (state.kind === "rolls") { if (k === "?") $("help").showModal(); return; }
  const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns(), ArrowDown: columns() }[k];
  if (step !== undefined) {
    e.preventDefault();
    if (v === "compare") return;
    if (v === "loupe" && Math.abs(step) > 1) return;
    if (e.altKey && state.kind === "project") { await moveCurrent(step); return; }
    setCurrent(state.current + step, { extend: e.shiftKey });
    return;
  }
  if (/^[0-5]$/.test(k)) { await change("/api/rate", { rating: +k }, `rating ${k}`); return; }
  if (FLAGS[key] && !e.altKey) { await change("/api/pick", { pick: FLAGS[key][0] }, FLAGS[key][1]); return; }
  if (k === "Enter" || key === "e") { e.preventDefault(); openLoupe(); return; }
  if (key === "g" || k === "Escape") { closeViews(); return; }
  if (key === "z") { toggleZoom(); return; }
  if (key === "c") { openCompare(); return; }
  if (key === "v" && v === "loupe") { if (e.shiftKey) await preferShown(); else nextVersion(); return; }
  if (k === "?") { $("help").showModal(); return; }
  if (key === "t") {
    e.preventDefault();
    const tag = await askText("Tag");
    if (tag) await change("/api/tag", { tag }, `tag ${tag}`);
    return;
  }
  if (key === "b") { await addToTarget(); return; }
  if ((k === "Delete" || k === "Backspace") && state.kind === "project") { await removeSelected(); }
}

// --- loading -----------------------------------------------------------------------------------
export async function reload() {
  const keepId = currentFrame() && currentFrame().id;
  const keepSel = new Set(state.selected);
  let data;
  try {
    if (state.kind === "roll") data = await get(`/api/roll/${encodeURIComponent(state.arg)}`);
    else if (state.kind === "project") data = await get(`/api/project/${encodeURIComponent(state.arg)}`);
    else data = await get(`/api/frames?q=${encodeURIComponent(state.arg)}`);
  } catch (err) { showError(err.message); state.frames = []; renderGrid(); return; }
  showError("");
  state.frames = data.frames;
  state.rolls = data.rolls;
  state.project = data.project || null;
  $("title").textContent = data.title + (data.total > data.frames.length ? ` (first ${data.frames.length} of ${data.total})` : "");
  renderGrid();
  const i = state.frames.findIndex((f) => f.id === keepId);
  state.current = i >= 0 ? i : 0;
  state.selected = i >= 0 ? new Set([...keepSel].filter((id) => state.frames.some((f) => f.id === id))) : new Set();
  if (!state.selected.size && state.frames.length) state.selected.add(state.frames[state.current].id);
  state.anchor = state.current;
  paintSelection();
  document.body.dataset.ready = "1";
}

async function loadRolls() {
  try {
    const data = await get(`/api/rolls?q=${encodeURIComponent(state.arg)}&limit=${state.rollsShown || ""}`);
    state.marker = data.marker;
    const projects = await get("/api/projects");
    renderRolls(data.rolls, projects.projects);
    if (data.more) {
      const b = document.createElement("button");
      b.id = "more";
      b.textContent = "Show more rolls";
      b.addEventListener("click", () => { state.rollsShown = data.shown * 3; loadRolls(); });
      document.getElementById("main").append(b);
    }
    showError("");
  } catch (err) { showError(err.message); renderRolls([], []); }
  document.body.dataset.ready = "1";
}

async function poll() {
  try {
    const { marker } = await get("/api/changes");
    // another program changed the catalog (the watcher, a CLI rating): show it, unless the user is typing
    if (state.marker !== null && marker !== state.marker && !isTyping(document.activeElement)) {
      if (state.kind === "rolls") await loadRolls();
      else {
        await reload();
        if (view() === "loupe") showLoupeFrame(true);
      }
    } else if (marker !== state.marker) return; // try again once the user has left the field
    state.marker = marker;
  } catch (_) { /* the server may be restarting: try again next time */ }
}

async function loadTargets() {
  const sel = $("target");
  const saved = localStorage.getItem("filmflow-target") || "";
  try {
    for (const p of (await get("/api/projects")).projects) {
      const o = document.createElement("option");
      o.value = o.textContent = p.name;
      sel.append(o);
    }
  } catch (_) { /* no projects yet */ }
  if ([...sel.options].some((o) => o.value === saved)) sel.value = saved;
  sel.addEventListener("change", () => { localStorage.setItem("filmflow-target", sel.value); sel.blur(); });
}

async function boot() {
  $("q").value = state.kind === "frames" || state.kind === "rolls" ? state.arg : "";
  $("search").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("q").value.trim();
    location.href = state.kind === "rolls" ? `/?q=${encodeURIComponent(q)}` : `/frames?q=${encodeURIComponent(q)}`;
  });
  $("help-btn").addEventListener("click", () => $("help").showModal());
  $("advance").checked = localStorage.getItem("filmflow-advance") === "1";
  $("advance").addEventListener("change", () => localStorage.setItem("filmflow-advance", $("advance").checked ? "1" : "0"));
  // keys run one after another, in the order pressed: an undo never overtakes the change before it
  let queue = Promise.resolve();
  document.addEventListener("keydown", (e) => {
    if (!isTyping(e.target) && !document.querySelector("dialog[open]") && (e.key.startsWith("Arrow") || e.key === "Enter" ||
        ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") || e.key.toLowerCase() === "t")) e.preventDefault();
    queue = queue.then(() => onKey(e)).catch((err) => say(err.message));
  });
  await loadTargets();
  if (state.kind === "rolls") await loadRolls();
  else {
    await reload();
    if (state.kind === "project") setupProject();
  }
  try { state.marker = (await get("/api/changes")).marker; } catch (_) { /* retried by poll */ }
  setInterval(poll, 2000);
}

boot();
