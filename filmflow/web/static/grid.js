// Grids of frames and the rolls page: building cells, painting rating/pick/tags and the selection.
import { state, setCurrent } from "./app.js";
import { openLoupe } from "./loupe.js";
import { decorateProjectCell } from "./project.js";

const main = () => document.getElementById("main");
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
};

// a frame's versions (SPEC: version 1 is the scan) and the preferred one, which every view shows
export function versionsOf(f) {
  return f.versions && f.versions.length ? f.versions : [{ n: 1, kind: "original", sha256: f.sha256, preferred: true }];
}
export function preferredVersion(f) { const vs = versionsOf(f); return vs.find((v) => v.preferred) || vs[0]; }
// images by frame id and the version's SHA-256: the URL changes when the preferred version does
export function imageUrl(kind, f, v) { return `/img/${kind}/${f.id}/${(v || preferredVersion(f)).sha256}`; }

export function stars(n) { return n ? "★".repeat(n) : ""; }

export function filmLine(r) {
  if (!r) return "";
  const ei = r.ei ? `EI ${r.ei}${r.push_text ? ` (${r.push_text})` : ""}` : (r.stock_iso ? `ISO ${r.stock_iso}` : "");
  return [r.stock, ei, r.format].filter(Boolean).join(" · ");
}

function cell(f, i) {
  const fig = el("figure", "cell");
  fig.dataset.id = f.id;
  fig.dataset.index = i;
  const box = el("div", "img");
  const img = el("img");
  img.alt = f.ref;
  img.src = imageUrl("thumb", f);
  img.decoding = "async";
  if (i > 60) img.loading = "lazy";
  box.append(img);
  fig.append(box, el("span", "flag"), el("figcaption"));
  fig.addEventListener("click", (e) => {
    setCurrent(+fig.dataset.index, { extend: e.shiftKey, toggle: e.ctrlKey || e.metaKey });
  });
  fig.addEventListener("dblclick", () => { setCurrent(+fig.dataset.index); openLoupe(); });
  return fig;
}

export function paintCell(i) {
  const f = state.frames[i];
  const fig = main().querySelector(`.cell[data-index="${i}"]`);
  if (!f || !fig) return;
  fig.classList.toggle("reject", f.pick === "reject");
  const img = fig.querySelector(".img img"), src = imageUrl("thumb", f);
  if (img && img.getAttribute("src") !== src) img.src = src;
  fig.dataset.versions = versionsOf(f).length;
  fig.dataset.rating = f.rating;
  fig.dataset.pick = f.pick;
  const flag = fig.querySelector(".flag");
  flag.className = `flag ${f.pick}`;
  flag.textContent = f.pick === "yes" ? "P" : f.pick === "reject" ? "X" : "";
  const cap = fig.querySelector("figcaption");
  cap.replaceChildren();
  if (f.position) cap.append(el("span", "pos", `#${f.position}`));
  const showRoll = state.kind !== "roll";
  cap.append(el("span", "num", showRoll ? f.ref : f.frame), el("span", "stars", stars(f.rating)),
    el("span", "tags", (f.tags || []).join(", ")));
  if (state.kind === "project") decorateProjectCell(fig, f);
}

export function renderGrid() {
  const m = main();
  m.replaceChildren();
  m.className = state.kind === "project" ? "project" : "";
  if (!state.frames.length) {
    m.append(el("p", "empty", state.kind === "project" ? "This project is empty: select frames elsewhere and press b." : "No frames."));
    return;
  }
  const grid = el("div", "grid");
  grid.id = "grid";
  state.frames.forEach((f, i) => grid.append(cell(f, i)));
  m.append(grid);
  state.frames.forEach((_, i) => paintCell(i));
}

export function paintSelection() {
  const cur = state.frames[state.current];
  for (const fig of main().querySelectorAll(".cell")) {
    const id = +fig.dataset.id;
    fig.classList.toggle("selected", state.selected.has(id));
    fig.classList.toggle("current", cur && cur.id === id);
  }
  const c = main().querySelector(".cell.current");
  if (c && c.scrollIntoView) c.scrollIntoView({ block: "nearest" });
}

export function columns() {
  const cells = main().querySelectorAll(".cell");
  if (!cells.length) return 1;
  const top = cells[0].offsetTop;
  let n = 0;
  for (const c of cells) { if (c.offsetTop !== top) break; n++; }
  return Math.max(1, n);
}

export function renderRolls(rolls, projects) {
  const m = main();
  m.replaceChildren();
  document.getElementById("title").textContent = state.arg ? `rolls: ${state.arg}` : "rolls";
  if (projects.length) {
    const nav = el("nav", "projects-list");
    nav.append(el("span", "meta", "Projects:"));
    for (const p of projects) {
      const a = el("a", null, `${p.name} (${p.frames})`);
      a.href = `/project/${encodeURIComponent(p.name)}`;
      nav.append(a);
    }
    m.append(nav);
  }
  if (state.arg) {
    const a = el("a", null, "show the matching frames →");
    a.href = `/frames?q=${encodeURIComponent(state.arg)}`;
    m.append(el("p")).append(a);
  }
  if (!rolls.length) { m.append(el("p", "empty", "No rolls yet: `filmflow ingest` or `filmflow watch` adds them.")); return; }
  for (const r of rolls) {
    const sec = el("section", "roll");
    sec.dataset.code = r.code;
    const h = el("h2");
    const a = el("a", null, r.code);
    a.href = `/roll/${encodeURIComponent(r.code)}`;
    const dates = [r.developed && `developed ${r.developed}`, r.shot_from && `shot ${r.shot_from}${r.shot_to && r.shot_to !== r.shot_from ? `..${r.shot_to}` : ""}`].filter(Boolean).join(" · ");
    h.append(a, el("span", null, r.title || ""), el("span", "meta", filmLine(r)), el("span", "meta", dates),
      el("span", "meta", `${r.frames} frames · ${r.picks} picks`));
    const strip = el("div", "strip");
    for (const s of r.strip) {
      const link = el("a");
      link.href = `/roll/${encodeURIComponent(r.code)}`;
      const img = el("img");
      img.src = `/img/thumb/${s.id}/${s.sha256}`;
      img.alt = `${r.code}/${s.frame}`;
      img.loading = "lazy";
      link.append(img);
      strip.append(link);
    }
    sec.append(h, strip);
    m.append(sec);
  }
}
