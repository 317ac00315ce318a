// Project page: drag and drop and Alt+arrows reorder, captions in place, remove, Export with progress.
import { state, post, get, reload, pushUndo, say, showError, currentFrame, selectedIds, setCurrent } from "./app.js";
import { saveCaption } from "./loupe.js";

const $ = (id) => document.getElementById(id);

async function moveTo(f, position) {
  const n = state.frames.length;
  position = Math.max(1, Math.min(n, position));
  if (position === f.position) return;
  const r = await post("/api/projects/move", { name: state.project.name, id: f.id, position });
  pushUndo({ kind: "move", name: state.project.name, id: f.id, previous: r.previous, label: `move ${f.ref}` });
  await reload();
  setCurrent(state.frames.findIndex((x) => x.id === f.id));
  say(`moved ${f.ref} to ${r.position}`);
}

export async function moveCurrent(step) {
  const f = currentFrame();
  if (f) await moveTo(f, f.position + step);
}

export async function removeSelected() {
  const ids = selectedIds();
  if (!ids.length) return;
  const r = await post("/api/projects/remove", { name: state.project.name, ids });
  pushUndo({ kind: "remove", name: state.project.name, previous: r.previous, label: "remove" });
  await reload();
  say(`removed ${r.removed} from ${r.project}`);
}

export function decorateProjectCell(fig, f) {
  fig.draggable = true;
  if (!fig.querySelector(".remove")) {
    const b = document.createElement("button");
    b.className = "remove";
    b.title = "remove from the project";
    b.textContent = "×";
    b.addEventListener("click", async (e) => {
      e.stopPropagation();
      setCurrent(+fig.dataset.index);
      await removeSelected();
    });
    fig.append(b);
  }
  let ta = fig.querySelector("textarea.cap");
  if (!ta) {
    ta = document.createElement("textarea");
    ta.className = "cap";
    ta.placeholder = "caption";
    ta.rows = 1;
    ta.addEventListener("change", () => saveCaption(state.frames[+fig.dataset.index], ta.value).catch((err) => say(err.message)));
    ta.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); ta.blur(); } });
    fig.append(ta);
  }
  if (document.activeElement !== ta) ta.value = f.caption || "";
}

let dragged = null;

function setupDrag() {
  const main = $("main");
  main.addEventListener("dragstart", (e) => {
    const fig = e.target.closest && e.target.closest(".cell");
    if (!fig) return;
    dragged = state.frames[+fig.dataset.index];
    fig.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", String(dragged.id));
  });
  main.addEventListener("dragover", (e) => {
    const fig = e.target.closest && e.target.closest(".cell");
    if (!fig || !dragged) return;
    e.preventDefault();
    for (const c of main.querySelectorAll(".drop-before")) c.classList.remove("drop-before");
    fig.classList.add("drop-before");
  });
  main.addEventListener("dragend", () => {
    for (const c of main.querySelectorAll(".dragging, .drop-before")) c.classList.remove("dragging", "drop-before");
  });
  main.addEventListener("drop", async (e) => {
    const fig = e.target.closest && e.target.closest(".cell");
    if (!fig || !dragged) return;
    e.preventDefault();
    const target = state.frames[+fig.dataset.index];
    const f = dragged;
    dragged = null;
    await moveTo(f, target.position).catch((err) => say(err.message));
  });
}

async function runExport() {
  const btn = $("export");
  btn.disabled = true;
  try {
    let job = await post("/api/projects/export", { name: state.project.name });
    while (job.state === "running") {
      say(`exporting ${job.written}/${job.total}…`);
      await new Promise((r) => setTimeout(r, 400));
      job = await get(`/api/jobs/${job.id}`);
    }
    if (job.error) { showError(`export failed: ${job.error}`); say(""); return; }
    const r = job.result;
    say(`exported to ${r.to}: ${r.written} written, ${r.unchanged} unchanged, ${r.failed.length} failed`);
    if (r.failed.length) showError(r.failed.map((x) => `${x.file}: ${x.error}`).join("; "));
  } catch (err) {
    say(err.message);
  } finally {
    btn.disabled = false;
  }
}

export function setupProject() {
  const btn = $("export");
  btn.hidden = state.readOnly;
  btn.addEventListener("click", runExport);
  setupDrag();
}
