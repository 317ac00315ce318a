"""Catalog tables, indexes and forward migrations (sqlite-utils Migrations).

Paths are stored relative to the library root as POSIX strings (absolute only for
in-place rolls outside the library); dates as ISO 8601 text. Every column that a query
key uses is indexed. Add a schema change as a new function decorated with
`@migrations()`; never edit an applied one.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

from filmflow.catalog.version import SCHEMA_VERSION  # noqa: F401 - bump it with each migration

migrations = Migrations("filmflow")



def _run_each(db: sqlite_utils.Database, script: str) -> None:
    """Run statements one by one: executescript() would COMMIT the migration's transaction."""
    for stmt in script.split(";\n"):
        lines = [ln for ln in stmt.splitlines() if not ln.strip().startswith("--")]
        if "\n".join(lines).strip():
            db.execute(stmt)


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    """Rolls, frames, tags, projects and ingest bookkeeping."""
    _run_each(db, """
        CREATE TABLE rolls (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            title TEXT,
            stock TEXT,              -- canonical stock name ("Kodak Portra 400") or null
            stock_key TEXT,          -- key in the stock catalog ("kodak-portra-400")
            stock_iso INTEGER,
            ei INTEGER,
            push REAL,
            process TEXT,            -- C-41 / E-6 / B&W / ECN-2
            format TEXT,             -- 135, half, 120, 645, 6x6, 6x7, 6x9, 4x5
            format_family TEXT,      -- 135 / 120 / sheet
            camera TEXT,
            lens TEXT,
            developed TEXT,
            shot_from TEXT,
            shot_to TEXT,
            scanned TEXT,
            year INTEGER,            -- shot year, else developed year, else scan year
            lab TEXT,
            developer TEXT,
            scanner TEXT,
            notes TEXT,
            source TEXT,             -- the scan folder's original name, as found
            source_key TEXT,         -- NFC absolute path of the source (folder or zip)
            path TEXT,               -- where the files are now (library-relative or absolute)
            mode TEXT,               -- copy / move / in-place
            sources TEXT NOT NULL DEFAULT '{}',   -- JSON: field -> option/sidecar/folder/exif/default
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX rolls_stock_key ON rolls(stock_key);
        CREATE INDEX rolls_developed ON rolls(developed);
        CREATE INDEX rolls_shot_from ON rolls(shot_from);
        CREATE INDEX rolls_year ON rolls(year);
        CREATE INDEX rolls_format ON rolls(format);
        CREATE INDEX rolls_format_family ON rolls(format_family);
        CREATE INDEX rolls_process ON rolls(process);
        CREATE INDEX rolls_camera ON rolls(camera COLLATE NOCASE);
        CREATE INDEX rolls_lens ON rolls(lens COLLATE NOCASE);
        CREATE INDEX rolls_lab ON rolls(lab COLLATE NOCASE);
        CREATE INDEX rolls_ei ON rolls(ei);
        CREATE INDEX rolls_push ON rolls(push);
        CREATE INDEX rolls_stock_iso ON rolls(stock_iso);
        CREATE INDEX rolls_source_key ON rolls(source_key);

        CREATE TABLE frames (
            id INTEGER PRIMARY KEY,
            roll_id INTEGER NOT NULL REFERENCES rolls(id) ON DELETE RESTRICT,
            frame TEXT NOT NULL,         -- "12", "00", "12A"
            frame_num INTEGER,           -- numeric part, for sorting and frame:3..7
            path TEXT NOT NULL,          -- library-relative POSIX path (absolute for in-place outside)
            file TEXT NOT NULL,          -- original file name
            source_path TEXT,            -- where it was ingested from (for verify --repair)
            sha256 TEXT NOT NULL UNIQUE,
            bytes INTEGER NOT NULL,
            width INTEGER,
            height INTEGER,
            bits INTEGER,
            format TEXT,                 -- JPEG / TIFF / PNG
            mode TEXT,                   -- Pillow mode as opened
            rating INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
            pick TEXT NOT NULL DEFAULT 'no' CHECK (pick IN ('yes', 'no', 'reject')),
            caption TEXT,
            scanner TEXT,
            scanned TEXT,
            thumbnail TEXT,              -- library-relative path in cache/
            added_at TEXT NOT NULL,
            verified_at TEXT,
            UNIQUE (roll_id, frame)
        );
        CREATE INDEX frames_roll ON frames(roll_id, frame_num, frame);
        CREATE INDEX frames_rating ON frames(rating);
        CREATE INDEX frames_pick ON frames(pick);
        CREATE INDEX frames_scanned ON frames(scanned);
        CREATE INDEX frames_path ON frames(path);
        CREATE INDEX frames_source_path ON frames(source_path);
        CREATE INDEX frames_verified ON frames(verified_at);

        CREATE TABLE tags (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE
        );
        CREATE TABLE frame_tags (
            frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
            PRIMARY KEY (frame_id, tag_id)
        ) WITHOUT ROWID;
        CREATE INDEX frame_tags_tag ON frame_tags(tag_id, frame_id);
        CREATE TABLE roll_tags (
            roll_id INTEGER NOT NULL REFERENCES rolls(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
            PRIMARY KEY (roll_id, tag_id)
        ) WITHOUT ROWID;
        CREATE INDEX roll_tags_tag ON roll_tags(tag_id, roll_id);

        CREATE TABLE projects (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            title TEXT,
            description TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE project_frames (
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,      -- 1-based, dense
            caption TEXT,
            PRIMARY KEY (project_id, frame_id)
        ) WITHOUT ROWID;
        CREATE INDEX project_frames_order ON project_frames(project_id, position);
        CREATE INDEX project_frames_frame ON project_frames(frame_id);

        -- files that could not be ingested: kept so `status` and a re-run can say why
        CREATE TABLE failures (
            id INTEGER PRIMARY KEY,
            source_path TEXT NOT NULL UNIQUE,
            roll_code TEXT,
            error TEXT NOT NULL,
            at TEXT NOT NULL
        );
        -- small key/value state: last roll ingested, watcher info
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT
        );
        """)


# The text a frame is found by: its own caption and its captions in every project.
_FRAME_TEXT = """trim(coalesce((SELECT caption FROM frames WHERE id = {id}), '') || char(10) ||
  coalesce((SELECT group_concat(caption, char(10)) FROM project_frames
            WHERE frame_id = {id} AND caption IS NOT NULL), ''), char(10))"""


def _refresh_frame_text(fid: str) -> str:
    return (f"DELETE FROM frame_text WHERE rowid = {fid}; "
            f"INSERT INTO frame_text (rowid, caption) SELECT {fid}, t FROM "
            f"(SELECT {_FRAME_TEXT.format(id=fid)} AS t) WHERE t <> '';")


@migrations()
def m002_search(db: sqlite_utils.Database) -> None:
    """Full-text search for bare query words: FTS5 trigram tables kept in sync by triggers.

    `roll_text` (rowid = rolls.id): title, notes, stock name, source folder name.
    `frame_text` (rowid = frames.id): the frame's caption plus its project captions; only
    frames that have such text get a row. The trigram tokenizer folds Unicode case and
    matches substrings of 3+ characters (서울산책 is found by 울산책); shorter words are
    answered by catalog/querysql.py scanning these tables. Triggers use built-in SQL only, so any
    connection (the watcher's ingest included) keeps the index current.
    """
    statements = [
        "CREATE VIRTUAL TABLE roll_text USING fts5(title, notes, stock, source, tokenize = 'trigram')",
        "CREATE VIRTUAL TABLE frame_text USING fts5(caption, tokenize = 'trigram')",
        """CREATE TRIGGER rolls_text_ai AFTER INSERT ON rolls BEGIN
             INSERT INTO roll_text (rowid, title, notes, stock, source)
             VALUES (new.id, new.title, new.notes, new.stock, new.source);
           END""",
        """CREATE TRIGGER rolls_text_au AFTER UPDATE OF title, notes, stock, source ON rolls BEGIN
             DELETE FROM roll_text WHERE rowid = old.id;
             INSERT INTO roll_text (rowid, title, notes, stock, source)
             VALUES (new.id, new.title, new.notes, new.stock, new.source);
           END""",
        """CREATE TRIGGER rolls_text_ad AFTER DELETE ON rolls BEGIN
             DELETE FROM roll_text WHERE rowid = old.id;
           END""",
        """CREATE TRIGGER frames_text_ai AFTER INSERT ON frames
           WHEN new.caption IS NOT NULL AND trim(new.caption) <> '' BEGIN
             INSERT INTO frame_text (rowid, caption) VALUES (new.id, trim(new.caption));
           END""",
        f"""CREATE TRIGGER frames_text_au AFTER UPDATE OF caption ON frames BEGIN
             {_refresh_frame_text("new.id")}
           END""",
        """CREATE TRIGGER frames_text_ad AFTER DELETE ON frames BEGIN
             DELETE FROM frame_text WHERE rowid = old.id;
           END""",
        f"""CREATE TRIGGER project_frames_text_ai AFTER INSERT ON project_frames
           WHEN new.caption IS NOT NULL BEGIN
             {_refresh_frame_text("new.frame_id")}
           END""",
        f"""CREATE TRIGGER project_frames_text_au AFTER UPDATE OF caption ON project_frames BEGIN
             {_refresh_frame_text("new.frame_id")}
           END""",
        f"""CREATE TRIGGER project_frames_text_ad AFTER DELETE ON project_frames
           WHEN old.caption IS NOT NULL BEGIN
             {_refresh_frame_text("old.frame_id")}
           END""",
        # Listings walk rolls in code order and each roll's frames through this index; with the
        # frame-level query columns in it, rating/pick/scanned filters never touch the table.
        # It has frames_roll's columns as its prefix, so it replaces that index.
        "CREATE INDEX frames_walk ON frames(roll_id, frame_num, frame, rating, pick, scanned)",
        "DROP INDEX IF EXISTS frames_roll",
        "INSERT INTO roll_text (rowid, title, notes, stock, source) SELECT id, title, notes, stock, source FROM rolls",
        f"""INSERT INTO frame_text (rowid, caption)
            SELECT id, t FROM (SELECT f.id, {_FRAME_TEXT.format(id="f.id")} AS t FROM frames f
                               WHERE f.caption IS NOT NULL
                                  OR f.id IN (SELECT frame_id FROM project_frames WHERE caption IS NOT NULL))
            WHERE t <> ''""",
    ]
    # one statement at a time: executescript() would COMMIT the migration's transaction
    for sql in statements:
        db.execute(sql)


@migrations()
def m003_pick_rating(db: sqlite_utils.Database) -> None:
    """An index for curation queries (pick:yes rating:5): with planner statistics
    (catalog.db.refresh_statistics) SQLite reads the few matching rows instead of walking
    every frame in roll order. It has frames_pick's column as its prefix, so it replaces it."""
    db.execute("CREATE INDEX frames_pick_rating ON frames(pick, rating)")
    db.execute("DROP INDEX IF EXISTS frames_pick")


@migrations()
def m004_path_search(db: sqlite_utils.Database) -> None:
    """`path:` substrings through an FTS5 trigram index of frame paths (rowid = frames.id),
    kept by triggers: a substring no longer scans all 200k paths (~45 ms -> ~1 ms)."""
    for sql in (
        "CREATE VIRTUAL TABLE path_text USING fts5(path, tokenize = 'trigram')",
        """CREATE TRIGGER frames_path_ai AFTER INSERT ON frames BEGIN
             INSERT INTO path_text (rowid, path) VALUES (new.id, new.path);
           END""",
        """CREATE TRIGGER frames_path_au AFTER UPDATE OF path ON frames BEGIN
             DELETE FROM path_text WHERE rowid = old.id;
             INSERT INTO path_text (rowid, path) VALUES (new.id, new.path);
           END""",
        """CREATE TRIGGER frames_path_ad AFTER DELETE ON frames BEGIN
             DELETE FROM path_text WHERE rowid = old.id;
           END""",
        "INSERT INTO path_text (rowid, path) SELECT id, path FROM frames",
    ):
        db.execute(sql)


@migrations()
def m005_roll_frame_count(db: sqlite_utils.Database) -> None:
    """rolls.n_frames, kept by triggers: a listing of 1,000 rolls no longer counts 30k frames."""
    for sql in (
        "ALTER TABLE rolls ADD COLUMN n_frames INTEGER NOT NULL DEFAULT 0",
        "UPDATE rolls SET n_frames = (SELECT count(*) FROM frames f WHERE f.roll_id = rolls.id)",
        """CREATE TRIGGER frames_count_ai AFTER INSERT ON frames BEGIN
             UPDATE rolls SET n_frames = n_frames + 1 WHERE id = new.roll_id;
           END""",
        """CREATE TRIGGER frames_count_ad AFTER DELETE ON frames BEGIN
             UPDATE rolls SET n_frames = n_frames - 1 WHERE id = old.roll_id;
           END""",
        """CREATE TRIGGER frames_count_au AFTER UPDATE OF roll_id ON frames WHEN new.roll_id != old.roll_id BEGIN
             UPDATE rolls SET n_frames = n_frames - 1 WHERE id = old.roll_id;
             UPDATE rolls SET n_frames = n_frames + 1 WHERE id = new.roll_id;
           END""",
    ):
        db.execute(sql)


@migrations()
def m006_refile_intents(db: sqlite_utils.Database) -> None:
    """A roll re-filing (`roll edit`) recorded before it copies anything, so the next command
    can finish it (state 'committed': remove the old files) or undo it (state 'copying':
    remove the new copies) after a kill; catalog/refiles.py reads and writes it."""
    db.execute("""CREATE TABLE refile_intents (
        roll_id INTEGER PRIMARY KEY REFERENCES rolls(id) ON DELETE CASCADE,
        code TEXT NOT NULL,          -- the roll's code once re-filed
        old_dir TEXT NOT NULL,
        new_dir TEXT NOT NULL UNIQUE,
        moves TEXT NOT NULL,         -- JSON [[frame_id or null, old path, new path, sha256, bytes], ...]
        preexisting TEXT NOT NULL,   -- JSON [new path, ...]: files already there, never removed by an undo
        fields TEXT NOT NULL,        -- JSON: the roll columns the edit sets
        sources TEXT NOT NULL,       -- JSON: their origins
        state TEXT NOT NULL CHECK (state IN ('copying', 'committed')),
        pid INTEGER,
        created_at TEXT NOT NULL
    )""")


@migrations()
def m007_xmp_sidecars(db: sqlite_utils.Database) -> None:
    """XMP sidecars filmflow wrote or read (issue 15): where, the mtime and SHA-256 it left them
    with and the curation they then held, so `xmp read` sees what another program changed;
    `changed_at` (kept by triggers) says when the catalog's side last changed (newer wins)."""
    for sql in (
        """CREATE TABLE xmp_sidecars (
             frame_id INTEGER PRIMARY KEY REFERENCES frames(id) ON DELETE CASCADE,
             path TEXT,              -- library-relative sidecar path; NULL: curation came from embedded XMP
             mtime_ns INTEGER,
             sha256 TEXT,
             synced TEXT,            -- JSON: rating, pick, tags, caption, title, tag lists at that moment
             title TEXT,
             origin TEXT,            -- 'xmp' when ingest took curation from XMP
             synced_at TEXT,
             changed_at TEXT
           )""",
        "CREATE INDEX xmp_sidecars_path ON xmp_sidecars(path)",
        """CREATE TRIGGER xmp_frames_au AFTER UPDATE OF rating, pick, caption ON frames BEGIN
             UPDATE xmp_sidecars SET changed_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') WHERE frame_id = new.id;
           END""",
        """CREATE TRIGGER xmp_tags_ai AFTER INSERT ON frame_tags BEGIN
             UPDATE xmp_sidecars SET changed_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') WHERE frame_id = new.frame_id;
           END""",
        """CREATE TRIGGER xmp_tags_ad AFTER DELETE ON frame_tags BEGIN
             UPDATE xmp_sidecars SET changed_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') WHERE frame_id = old.frame_id;
           END""",
    ):
        db.execute(sql)


def absolute_source_path(source_key: str, stored: str) -> str:
    """An old relative `frames.source_path` made absolute with its roll's source key.

    `ingest in/ROLL` from folder C stored `in/ROLL/x.jpg` and the key `C/in/ROLL`: the
    key's last parts that begin the stored path are the argument given, what comes
    before them is C.
    >>> absolute_source_path("/home/me/in/ROLL", "in/ROLL/sub/x.jpg")
    '/home/me/in/ROLL/sub/x.jpg'
    """
    import os
    import unicodedata
    from pathlib import PurePosixPath

    key, rel = PurePosixPath(source_key).parts, PurePosixPath(stored).parts
    same = [unicodedata.normalize("NFC", p) for p in rel]
    n = next((n for n in range(min(len(key) - 1, len(rel) - 1), 0, -1) if list(key[-n:]) == same[:n]), 0)
    return os.path.normpath(str(PurePosixPath(*key[:len(key) - n], *rel)))


@migrations()
def m009_ingest_safety(db: sqlite_utils.Database) -> None:
    """Source paths are absolute (verify --repair finds the scans): fix rows that older
    versions stored relative to the folder `ingest` was run from."""
    for fid, stored, key in db.execute(
            "SELECT f.id, f.source_path, r.source_key FROM frames f JOIN rolls r ON r.id = f.roll_id "
            "WHERE f.source_path IS NOT NULL AND substr(f.source_path, 1, 1) != '/' "
            "AND r.source_key LIKE '/%'").fetchall():
        db.execute("UPDATE frames SET source_path = ? WHERE id = ?", (absolute_source_path(key, stored), fid))



@migrations()
def m014_film_logs(db: sqlite_utils.Database) -> None:
    """Film logs: what a phone app logged per frame (log_frames, kept even before scans
    arrive), and each frame's paired log entry (frames.log_id, set by catalog.logs.pair_roll)."""
    for sql in (
        """CREATE TABLE log_frames (
            id INTEGER PRIMARY KEY,
            roll_id INTEGER NOT NULL REFERENCES rolls(id) ON DELETE CASCADE,
            frame TEXT NOT NULL,          -- the label as logged ("1", "00", "12A"); a repeat is "12-2"
            shot_at TEXT,                 -- local ISO date-time (no zone), or a UTC instant ending in Z
            aperture REAL,
            shutter TEXT,                 -- "1/250", "2\"", "B"
            shutter_s REAL,               -- the same in seconds (null for bulb)
            focal_length REAL,
            lens TEXT,
            exposure_comp TEXT,
            lat REAL,
            lon REAL,
            place TEXT,
            note TEXT,
            flash INTEGER,
            light_source TEXT,
            filters TEXT,
            exposures INTEGER,
            log_file TEXT NOT NULL,       -- the log's file name, as imported
            log_format TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            UNIQUE (roll_id, frame)
        )""",
        "CREATE INDEX log_frames_aperture ON log_frames(aperture)",
        "CREATE INDEX log_frames_shutter ON log_frames(shutter_s)",
        "CREATE INDEX log_frames_focal ON log_frames(focal_length)",
        "CREATE INDEX log_frames_lens ON log_frames(lens COLLATE NOCASE)",
        "CREATE INDEX log_frames_shot ON log_frames(shot_at)",
        "CREATE INDEX log_frames_gps ON log_frames(lat) WHERE lat IS NOT NULL",
        "ALTER TABLE frames ADD COLUMN log_id INTEGER REFERENCES log_frames(id) ON DELETE SET NULL",
        "CREATE INDEX frames_log ON frames(log_id)",
    ):
        db.execute(sql)


@migrations()
def m015_versions(db: sqlite_utils.Database) -> None:
    """Versions of a frame beyond its original scan (re-scans, edits), numbered from 2 in
    arrival order, and the version a user preferred (frames.preferred; null: the default rule)."""
    for sql in (
        """CREATE TABLE frame_versions (
            id INTEGER PRIMARY KEY,
            frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
            n INTEGER NOT NULL,           -- 2, 3, ... (1 is the frame's own scan)
            kind TEXT NOT NULL CHECK (kind IN ('scan', 'edit')),
            path TEXT NOT NULL,           -- library-relative (absolute when outside the library)
            file TEXT NOT NULL,           -- its file name as it arrived
            source_path TEXT,
            sha256 TEXT NOT NULL UNIQUE,
            bytes INTEGER NOT NULL,
            width INTEGER,
            height INTEGER,
            bits INTEGER,
            format TEXT,
            mode TEXT,
            thumbnail TEXT,
            dhash TEXT,                   -- 256-bit difference hash of the thumbnail, hex
            added_at TEXT NOT NULL,
            verified_at TEXT,
            UNIQUE (frame_id, n)
        )""",
        "CREATE INDEX frame_versions_kind ON frame_versions(kind, frame_id)",
        "CREATE INDEX frame_versions_path ON frame_versions(path)",
        "CREATE INDEX frame_versions_source ON frame_versions(source_path)",
        "ALTER TABLE frames ADD COLUMN preferred INTEGER",
    ):
        db.execute(sql)


@migrations()
def m016_logs_out(db: sqlite_utils.Database) -> None:
    """Film-log query keys walk frames in listing order and test frames.log_id: with it in
    frames_walk, that walk never reads the frames table (about half the time at 200k frames).
    place: reads the distinct logged places, which log_frames_place answers without the table."""
    for sql in (
        "DROP INDEX IF EXISTS frames_walk",
        "CREATE INDEX frames_walk ON frames(roll_id, frame_num, frame, rating, pick, scanned, log_id)",
        "CREATE INDEX log_frames_place ON log_frames(place)",
    ):
        db.execute(sql)


@migrations()
def m017_frame_orientation(db: sqlite_utils.Database) -> None:
    """A frame's EXIF orientation (1-8; null: ingested before it was kept), so listings give the
    size as the scan is shown (a portrait shot on its side is 4000x6000, not 6000x4000)."""
    db.execute("ALTER TABLE frames ADD COLUMN orientation INTEGER")


def migrate(db: sqlite_utils.Database) -> None:
    """Apply any pending migration, then record the schema version in PRAGMA user_version."""
    if migrations.pending(db):
        migrations.apply(db)
    db.conn.execute(f"PRAGMA user_version = {int(SCHEMA_VERSION)}")
