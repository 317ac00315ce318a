"""The light table's JSON API: reads through the catalog's read functions, changes through the
same functions the CLI's rate / pick / reject / unflag / tag / project / version prefer commands call.

Each function takes the open `Catalog` (and Library) plus plain values from the request and
returns a JSON-ready dict; errors are FilmflowError (app.py turns them into `{"error": ...}`).
Every change returns `previous`: the values it replaced, which the page POSTs back to undo.
"""

from __future__ import annotations

import logging
from typing import Any

from filmflow import versions
from filmflow.catalog import curation, lighttable, projects
from filmflow.catalog.frames import frames_by_id, read_frames, select_roll
from filmflow.catalog.versions import shown_versions
from filmflow.catalog.db import Catalog, transaction
from filmflow.catalog.models import Frame, Roll
from filmflow.catalog.rolls import get_roll
from filmflow.errors import InputError
from filmflow.library import Library
from filmflow.catalog.resolver import CatalogResolver
from filmflow.catalog.querysql import compile_args
from filmflow.stocks import format_push

log = logging.getLogger(__name__)

MAX_FRAMES = 2000  # a query page shows at most this many (the count says how many matched)
STRIP = 12  # thumbnails per roll on the rolls page
ROLLS_SHOWN = 100  # rolls on the rolls page before "show more" (a 200k-frame archive has ~5,500)
MAX_IDS = 5000


def parse_words(q: str) -> list[str]:
    """Query text from the query box -> terms, as a shell would split it ("a b" quoted stays one)."""
    import shlex

    try:
        return shlex.split(q)
    except ValueError:
        raise InputError(f"the query {q!r} has an unclosed quote; close it or remove it.") from None


def _compile(lib: Library, db: Catalog, q: str, target: str):  # noqa: ANN202 - Compiled
    resolver = CatalogResolver(db.conn, lib.stocks, lib.formats)
    return compile_args(parse_words(q), resolver, target)  # type: ignore[arg-type]


def roll_json(r: Roll) -> dict[str, Any]:
    """SPEC's roll shape plus the light table's film line."""
    d = r.to_json()
    d["push_text"] = format_push(r.push) if r.push else None
    return d


def frame_json(f: Frame) -> dict[str, Any]:
    """SPEC's frame shape plus `id` (the page names frames by id); versions without their paths."""
    d = f.to_json()
    d["id"] = f.id
    del d["path"], d["thumbnail"]  # the page never sees file paths
    d["versions"] = [{k: v for k, v in ver.items() if k != "path"} for ver in d["versions"]]
    return d


def _with_rolls(lib: Library, db: Catalog, frames: list[Frame]) -> dict[str, Any]:
    codes = sorted({f.roll for f in frames})
    ids = lighttable.rolls_by_code(db, codes)
    rolls = curation.rolls_by_id(db, [ids[c] for c in codes if c in ids])
    return {"frames": [frame_json(f) for f in frames], "rolls": {r.code: roll_json(r) for r in rolls}}


def rolls_page(lib: Library, db: Catalog, q: str = "", limit: str = "") -> dict[str, Any]:
    """The rolls page: the newest `limit` rolls (default ROLLS_SHOWN), each with its first thumbnails and picks."""
    compiled = _compile(lib, db, q, "rolls")
    shown = int(limit) if limit.isdigit() and int(limit) > 0 else ROLLS_SHOWN
    rolls = list(curation.list_rolls(db, compiled, "-developed", shown + 1))
    more = len(rolls) > shown
    rolls = rolls[:shown]
    rolls.sort(key=lambda r: (r.developed or r.shot_from or "", r.id), reverse=True)
    ids = [r.id for r in rolls]
    strips = lighttable.first_frames(db, ids, STRIP)
    picks = lighttable.picks_per_roll(db, ids)
    shown = shown_versions(db.conn, [s.id for strip in strips.values() for s in strip])
    out = []
    for r in rolls:
        d = roll_json(r)
        d["picks"] = picks.get(r.id, 0)
        # each thumbnail names the preferred version's SHA-256 (its URL changes when the preference does)
        d["strip"] = [{**s.to_json(), "sha256": shown[s.id]["sha256"] if s.id in shown else s.sha256}
                      for s in strips.get(r.id, [])]
        out.append(d)
    return {"rolls": out, "more": more, "shown": shown, "query": compiled.description,
            "marker": lighttable.change_marker(db)}


def roll_frames(lib: Library, db: Catalog, code: str) -> dict[str, Any]:
    """A roll's frames in film order (NotFoundError naming an unknown roll)."""
    roll = get_roll(db, code)
    frames = list(read_frames(db, select_roll(roll.id), "ref"))
    d = _with_rolls(lib, db, frames)
    d["title"] = f"{roll.code}" + (f" · {roll.title}" if roll.title else "")
    d["roll"] = roll_json(roll)
    return d


def query_frames(lib: Library, db: Catalog, q: str) -> dict[str, Any]:
    """Frames matching a query (the CLI's message for a malformed one)."""
    compiled = _compile(lib, db, q, "frames")
    frames = list(read_frames(db, compiled, None, MAX_FRAMES))
    total = len(frames) if len(frames) < MAX_FRAMES else curation.count_frames(db, compiled)  # count only when cut
    d = _with_rolls(lib, db, frames)
    d.update(title=q or "all frames", total=total, query=compiled.description)
    return d


def project_frames(lib: Library, db: Catalog, name: str) -> dict[str, Any]:
    """A project's frames in its order, with positions and the project's captions."""
    p = projects.get_project(db, name)
    d = _with_rolls(lib, db, [e.frame for e in p.entries])
    for fj, e in zip(d["frames"], p.entries):
        fj["position"] = e.position
        fj["frame_caption"] = fj["caption"]
        fj["project_caption"] = e.caption
        fj["caption"] = e.text
    d.update(title=p.info.title or p.info.name, project={"name": p.info.name, "title": p.info.title,
                                                         "description": p.info.description})
    return d


def project_list(db: Catalog) -> dict[str, Any]:
    """Project names and sizes (for the target-project chooser)."""
    return {"projects": [{"name": p.name, "frames": p.size} for p in projects.list_projects(db)]}


# --- changes ---------------------------------------------------------------------------------------

def _ids(body: dict[str, Any]) -> list[int]:
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_IDS or \
            not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise InputError("a change needs `ids`: a list of frame ids; select a frame first.")
    return ids


def _states(db: Catalog, ids: list[int]) -> list[dict[str, Any]]:
    return [{"id": f.id, "rating": f.rating, "pick": f.pick, "tags": list(f.tags)}
            for f in frames_by_id(db, ids)]


def _changed(db: Catalog, ids: list[int], change: curation.Change, previous: list[dict]) -> dict[str, Any]:
    return {"matched": change.matched, "changed": change.changed, "note": change.note, "previous": previous,
            "frames": [frame_json(f) for f in frames_by_id(db, ids)]}


def rate(db: Catalog, body: dict[str, Any]) -> dict[str, Any]:
    """Give `rating` stars to `ids` (curation.rate_frames, as `filmflow rate`)."""
    ids = _ids(body)
    stars = body.get("rating")
    if not isinstance(stars, int) or isinstance(stars, bool):
        raise InputError(f"rating {stars!r} is out of range; give 0 to 5 stars.")
    prev = _states(db, ids)
    return _changed(db, ids, curation.rate_frames(db, lighttable.select_frame_ids(ids), stars), prev)


def pick(db: Catalog, body: dict[str, Any]) -> dict[str, Any]:
    """Set the pick state of `ids` (curation.pick_frames, as `filmflow pick/reject/unflag`)."""
    ids = _ids(body)
    prev = _states(db, ids)
    return _changed(db, ids, curation.pick_frames(db, lighttable.select_frame_ids(ids), str(body.get("pick"))), prev)


def tag(db: Catalog, body: dict[str, Any]) -> dict[str, Any]:
    """Add (or with `remove`, take off) `tag` on `ids`, as `filmflow tag add/remove`."""
    ids = _ids(body)
    name = body.get("tag")
    if not isinstance(name, str):
        raise InputError("a tag name cannot be empty; give one such as print.")
    prev = _states(db, ids)
    func = curation.untag_frames if body.get("remove") else curation.tag_frames
    return _changed(db, ids, func(db, lighttable.select_frame_ids(ids), name), prev)


def restore(db: Catalog, body: dict[str, Any]) -> dict[str, Any]:
    """Undo: put back the ratings, picks and tags a change response reported, in one transaction."""
    items = body.get("frames")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) and isinstance(i.get("id"), int)
                                                             for i in items):
        raise InputError("undo needs `frames`: the previous values a change returned.")
    ids = [i["id"] for i in items]
    prev = _states(db, ids)
    now = {s["id"]: set(s["tags"]) for s in prev}
    by_rating: dict[int, list[int]] = {}
    by_pick: dict[str, list[int]] = {}
    add: dict[str, list[int]] = {}
    drop: dict[str, list[int]] = {}
    for it in items:
        if "rating" in it:
            by_rating.setdefault(it["rating"], []).append(it["id"])
        if "pick" in it:
            by_pick.setdefault(str(it["pick"]), []).append(it["id"])
        if isinstance(it.get("tags"), list) and it["id"] in now:
            want = {str(t) for t in it["tags"]}
            for t in want - now[it["id"]]:
                add.setdefault(t, []).append(it["id"])
            for t in now[it["id"]] - want:
                drop.setdefault(t, []).append(it["id"])
    changed = 0
    with transaction(db):  # the calls below nest as savepoints: one transaction in all
        for stars, group in by_rating.items():
            changed += curation.rate_frames(db, lighttable.select_frame_ids(group), stars).changed
        for state, group in by_pick.items():
            changed += curation.pick_frames(db, lighttable.select_frame_ids(group), state).changed
        for t, group in add.items():
            changed += curation.tag_frames(db, lighttable.select_frame_ids(group), t).changed
        for t, group in drop.items():
            changed += curation.untag_frames(db, lighttable.select_frame_ids(group), t).changed
    return _changed(db, ids, curation.Change(len(ids), changed), prev)


def _ref(db: Catalog, fid: int) -> Frame:
    frames = frames_by_id(db, [fid])
    if not frames:
        raise InputError(f"no frame with id {fid}; reload the page.")
    return frames[0]


def caption(db: Catalog, body: dict[str, Any]) -> dict[str, Any]:
    """Set a frame's caption: the project's caption for it with `project`, else its own."""
    fid, text, project = body.get("id"), body.get("text"), body.get("project")
    if not isinstance(fid, int) or not isinstance(text, str):
        raise InputError("a caption change needs `id` (a frame id) and `text`.")
    frame = _ref(db, fid)
    if project:
        p = projects.get_project(db, str(project))
        old = next((e.caption for e in p.entries if e.frame.id == fid), None)
        stored = projects.set_caption(db, str(project), frame.ref, text)
    else:
        old = frame.caption
        stored = lighttable.set_frame_caption(db, fid, text)
    return {"id": fid, "caption": stored, "previous": old}


def project_add(db: Catalog, body: dict[str, Any]) -> dict[str, Any]:
    """Append `ids` to project `name`, as `filmflow project add`; `previous` lists the ids it added."""
    ids, name = _ids(body), str(body.get("name") or "")
    info = projects.get_project_info(db.conn, name)
    before = {e.frame.id for e in projects.get_project(db, info.name).entries}
    change = projects.add_frames(db, info.name, lighttable.select_frame_ids(ids))
    return {"matched": change.matched, "added": change.changed, "project": info.name,
            "previous": [i for i in ids if i not in before]}


def project_remove(db: Catalog, body: dict[str, Any]) -> dict[str, Any]:
    """Take `ids` out of project `name`, as `filmflow project remove`; `previous` has positions and captions."""
    ids, name = _ids(body), str(body.get("name") or "")
    p = projects.get_project(db, name)
    prev = [{"id": e.frame.id, "position": e.position, "caption": e.caption} for e in p.entries if e.frame.id in ids]
    change = projects.remove_frames(db, p.info.name, lighttable.select_frame_ids(ids))
    return {"removed": change.changed, "project": p.info.name, "previous": prev}


def project_move(db: Catalog, body: dict[str, Any]) -> dict[str, Any]:
    """Move frame `id` to 1-based `position` in project `name`, as `filmflow project move`."""
    fid, pos, name = body.get("id"), body.get("position"), str(body.get("name") or "")
    if not isinstance(fid, int) or not isinstance(pos, int):
        raise InputError("a move needs `id` (a frame id) and `position` (1-based).")
    old, new = projects.move_frame(db, name, _ref(db, fid).ref, pos)
    return {"id": fid, "position": new, "previous": old}


def project_restore(db: Catalog, body: dict[str, Any]) -> dict[str, Any]:
    """Undo a remove: add the frames back, at their old positions with their old captions."""
    name, items = str(body.get("name") or ""), body.get("frames")
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), int) for i in items):
        raise InputError("undo needs `frames`: the previous values a remove returned.")
    with transaction(db):
        projects.add_frames(db, name, lighttable.select_frame_ids([i["id"] for i in items]))
        for it in sorted(items, key=lambda i: i.get("position") or 0):
            ref = _ref(db, it["id"]).ref
            if isinstance(it.get("position"), int):
                projects.move_frame(db, name, ref, it["position"])
            if it.get("caption"):
                projects.set_caption(db, name, ref, it["caption"])
    return {"restored": len(items)}


def prefer_version(lib: Library, db: Catalog, body: dict[str, Any]) -> dict[str, Any]:
    """Make version `n` of frame `id` the preferred one (versions.prefer_version, as `filmflow version prefer`);
    `previous` is the number preferred before."""
    fid, n = body.get("id"), body.get("n")
    if not isinstance(fid, int) or isinstance(fid, bool) or not isinstance(n, int) or isinstance(n, bool):
        raise InputError("a version choice needs `id` (a frame id) and `n` (a version number).")
    frame = _ref(db, fid)
    previous = next((v["n"] for v in frame.versions if v.get("preferred")), 1)
    versions.prefer_version(lib, frame, n)
    return {"id": fid, "n": n, "previous": previous, "frames": [frame_json(f) for f in frames_by_id(db, [fid])]}


def project_create(db: Catalog, body: dict[str, Any]) -> dict[str, Any]:
    """Create an empty project, as `filmflow project create`."""
    info = projects.create_project(db, str(body.get("name") or ""))
    return {"name": info.name}
