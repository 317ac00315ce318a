"""Publishing pages for an exported project: a self-contained index.html and a Markdown post.

`render_gallery` gives one HTML file with its CSS and JavaScript inline and the images
referenced relatively, so the export folder works offline from file:// and can be copied
to any web host as is. Every text from the catalog (titles, captions, film data) is
HTML-escaped. Left/Right arrow keys (and j/k) step through the frames; Enter or a click
shows one frame at a time, Escape goes back to the list.

`render_post` gives Markdown with YAML front matter (title, date, description, tags),
images in order with their captions and film data, laid out for a site generator
(`post_name`): `plain` post.md beside the images; `hugo` index.md, which makes the export
folder a page bundle (Hugo publishes a page's images only for a bundle); `jekyll`
`_posts/YYYY-MM-DD-slug.md`, whose images are linked from the site root as
`/<folder>/NN_x.jpg` (Jekyll resolves `./x.jpg` under the post's URL), so the export
folder is copied into the site under its own name. The post is dated from the frames'
latest shot date (else developed date), not the export day.

Both take the frame entries of the export manifest (dicts with `file`, `ref`, `caption`,
`description` (the film line), `width`, `height`, `lens`, `developed`, `shot`, and from a
film log `place` and `exposure`, the line `f/8 · 1/250 · 50mm`, ...).
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Sequence
from urllib.parse import quote

from filmflow import __version__

log = logging.getLogger(__name__)


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _url(name: str) -> str:
    """A relative URL for a file in the same folder (spaces, #, %, Unicode all quoted)."""
    return "./" + quote(name, safe="")


_CSS = """
:root{color-scheme:dark;--bg:#111;--fg:#e8e4dc;--dim:#9a958c;--accent:#e0b354}
*{box-sizing:border-box}
html{scroll-behavior:auto}
body{margin:0;background:var(--bg);color:var(--fg);
 font:16px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK KR",sans-serif}
header{max-width:60rem;margin:0 auto;padding:3rem 1rem 1rem}
header h1{font-weight:500;font-size:clamp(1.6rem,4vw,2.6rem);margin:0 0 .5rem;overflow-wrap:anywhere}
header p{color:var(--dim);margin:.25rem 0;white-space:pre-line}
.help{font-size:.85rem}
kbd{border:1px solid #555;border-radius:3px;padding:0 .3em;font:inherit;font-size:.85em}
main{display:flex;flex-direction:column;align-items:center;gap:4rem;padding:2rem 1rem 6rem}
figure{margin:0;width:100%;max-width:110rem;display:flex;flex-direction:column;align-items:center;
 scroll-margin:1.5rem;outline:none}
figure:focus-visible img{outline:3px solid var(--accent);outline-offset:3px;box-shadow:none}
/* The box is reserved from the frame's own shape (--r = width/height) before the image
   arrives, so the page does not grow while the images load. */
figure img{display:block;width:min(100%,calc(88vh * var(--r,1.5)));height:auto;aspect-ratio:var(--r,auto);
 background:#222;cursor:zoom-in}
figure.current img{box-shadow:0 0 0 2px var(--accent)}
figcaption{width:100%;max-width:48rem;padding:.75rem .25rem 0;overflow-wrap:anywhere}
.caption{margin:0 0 .25rem;font-size:1.05rem}
.film{margin:0;color:var(--dim);font-size:.9rem;letter-spacing:.01em}
.more{margin:.2rem 0 0;color:var(--dim);font-size:.8rem}
.more span+span::before{content:" · "}
.pos{position:fixed;right:.75rem;bottom:.6rem;color:var(--dim);font-size:.8rem;
 background:rgba(0,0,0,.55);padding:.15rem .5rem;border-radius:3px}
footer{color:var(--dim);font-size:.75rem;text-align:center;padding:0 1rem 2rem}
body.single header,body.single footer{display:none}
body.single main{padding:0;gap:0;min-height:100vh;justify-content:center}
body.single figure{display:none}
body.single figure.current{display:flex;min-height:100vh;justify-content:center}
body.single figure.current img{width:min(100%,calc((100vh - 6rem) * var(--r,1.5)));box-shadow:none;cursor:zoom-out}
@media (max-width:40rem){header{padding-top:1.5rem}main{gap:2.5rem;padding:1rem .5rem 4rem}}
"""

_JS = """
(function(){
 var figs=Array.prototype.slice.call(document.querySelectorAll('figure.frame'));
 if(!figs.length)return;
 var pos=document.getElementById('pos'),cur=-1,help=document.getElementById('keys');
 if(help)help.hidden=false; // the keys work only with JavaScript: say so only then
 function show(i,scroll){
  i=Math.max(0,Math.min(figs.length-1,i));
  if(cur>=0)figs[cur].classList.remove('current');
  cur=i;var f=figs[i];f.classList.add('current');f.setAttribute('aria-current','true');
  figs.forEach(function(g,k){if(k!==i)g.removeAttribute('aria-current');});
  if(pos)pos.textContent=(i+1)+' / '+figs.length;
  if(scroll===false)return;
  if(document.activeElement!==f)f.focus({preventScroll:true});
  f.scrollIntoView({block:'center'});
  // only after a move: a #fragment set while the page loads makes the browser jump past the title
  try{history.replaceState(null,'','#'+f.id);}catch(e){}
 }
 var start=figs.findIndex(function(f){return '#'+f.id===location.hash;});
 show(start<0?0:start,start>=0);
 document.addEventListener('keydown',function(e){
  if(e.altKey||e.ctrlKey||e.metaKey||e.defaultPrevented)return;
  var k=e.key;
  if(k==='ArrowRight'||k==='j'){show(cur+1);e.preventDefault();}
  else if(k==='ArrowLeft'||k==='k'){show(cur-1);e.preventDefault();}
  else if(k==='Home'){show(0);e.preventDefault();}
  else if(k==='End'){show(figs.length-1);e.preventDefault();}
  else if(k==='Enter'){document.body.classList.toggle('single');show(cur);e.preventDefault();}
  else if(k==='Escape'){document.body.classList.remove('single');show(cur);}
 });
 figs.forEach(function(f,i){
  f.addEventListener('focus',function(){if(cur!==i)show(i,false);});
  f.querySelector('img').addEventListener('click',function(){
   document.body.classList.toggle('single');show(i);});
 });
})();
"""

_CSP = (
    "default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)


def capture_line(f: dict) -> str:
    """What the film log says of the frame: '서울 종로구 · f/8 · 1/250 · 50mm' ('' without a log)."""
    return " · ".join(str(x) for x in (f.get("place"), f.get("exposure")) if x)


def shot_text(when: object) -> str:
    """'2024-10-03T10:02' -> '2024-10-03 10:02'; a UTC instant says so ('2024-10-03 01:02 UTC')."""
    text = str(when)
    utc = text.upper().endswith("Z") and "T" in text
    text = text.rstrip("Zz").replace("T", " ")
    if len(text) == 19 and text.endswith(":00"):
        text = text[:16]
    return text + (" UTC" if utc else "")


def _details(f: dict) -> list[str]:
    out = [str(x) for x in (f.get("place"), f.get("exposure")) if x]
    if f.get("lens"):
        out.append(f"lens {f['lens']}")
    if f.get("shot_at") or f.get("shot"):
        out.append(f"shot {shot_text(f.get('shot_at') or f.get('shot'))}")
    if f.get("developed"):
        out.append(f"developed {f['developed']}")
    if f.get("roll_title"):
        out.append(str(f["roll_title"]))
    return out


_LANG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")


def check_language(tag: str) -> str:
    """A BCP 47 language tag as `<html lang>` takes it ('en', 'ko', 'pt-BR'); ValueError otherwise."""
    tag = (tag or "").strip()
    if not _LANG.fullmatch(tag):
        raise ValueError(f"{tag!r} is not a language tag")
    return tag


def _img(f: dict, loading: str, alt: str) -> str:
    """<img> with its box reserved (width/height and --r) and a srcset when a small copy exists."""
    attrs = [f'src="{_e(_url(f["file"]))}"']
    w, h = f.get("width"), f.get("height")
    if w and h:
        attrs.append(f'width="{int(w)}" height="{int(h)}" style="--r:{int(w) / int(h):.4f}"')
        if f.get("small") and f.get("small_width"):
            attrs.append(f'srcset="{_e(_url(f["small"]))} {int(f["small_width"])}w, '
                         f'{_e(_url(f["file"]))} {int(w)}w" sizes="(max-width: 1100px) 100vw, 1100px"')
    attrs.append(f'alt="{_e(alt)}" loading="{loading}" decoding="async"')
    return "<img " + " ".join(attrs) + ">"


def render_gallery(title: str, description: str | None, frames: Sequence[dict], lang: str = "en") -> str:
    """A self-contained, escaped index.html for the exported frames, in order.

    `lang` (`[export] language`, default "en") is the page's language for screen
    readers, hyphenation and fonts; anything that is not a language tag becomes "en".
    """
    try:
        lang = check_language(lang)
    except ValueError:
        lang = "en"
    figs = []
    for i, f in enumerate(frames, 1):
        caption = f.get("caption") or ""
        alt = caption or f.get("description") or f.get("ref") or ""
        loading = "eager" if i <= 2 else "lazy"
        more = "".join(f"<span>{_e(d)}</span>" for d in _details(f))
        figs.append(
            f'<figure class="frame" id="f{i}" tabindex="0" data-ref="{_e(f.get("ref"))}">\n'
            f"{_img(f, loading, alt)}\n"
            "<figcaption>"
            + (f'<p class="caption">{_e(caption)}</p>' if caption else "")
            + f'<p class="film">{_e(f.get("description") or f.get("ref"))}</p>'
            + (f'<p class="more">{more}</p>' if more else "")
            + "</figcaption>\n</figure>"
        )
    desc = f"<p>{_e(description)}</p>" if description else ""
    meta_desc = f'<meta name="description" content="{_e(description)}">\n' if description else ""
    return (
        "<!doctype html>\n"
        f'<html lang="{_e(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        f'<meta name="generator" content="filmflow {_e(__version__)}">\n'
        f"{meta_desc}"
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{_e(title)}</h1>{desc}"
        f'<p class="help">{len(frames)} frames<span id="keys" hidden> · <kbd>←</kbd> <kbd>→</kbd> to step, '
        "<kbd>Enter</kbd> one at a time, <kbd>Esc</kbd> back</span></p></header>\n"
        "<main>\n" + "\n".join(figs) + "\n</main>\n"
        '<div class="pos" id="pos" aria-live="polite"></div>\n'
        f"<footer>Exported with filmflow {_e(__version__)}</footer>\n"
        f"<script>{_JS}</script>\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^(\d*)([#+>=.)-])")


def _md(text: object) -> str:
    """Text safe inside Markdown: HTML escaped (Jekyll renders raw HTML), Markdown marks escaped."""
    s = " ".join(("" if text is None else str(text)).split())
    s = html.escape(s, quote=False)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return _MD_LINE_START.sub(r"\1\\\2", s)


def _md_liquid(text: object) -> str:
    """_md, and braces as entities: Jekyll runs Liquid over the post, a caption's {{ }} is text."""
    return _md(text).replace("{", "&#123;").replace("}", "&#125;").replace("%", "&#37;")


def _yaml_str(text: str | None) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text or "", ensure_ascii=False)


POST_LAYOUTS = ("plain", "hugo", "jekyll")
POSTS_DIR = "_posts"
_POST_NAME = re.compile(r"post\.md|index\.md|_posts/[^/]+\.md")
_ISO_DAY = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def post_date(frames: Sequence[dict]) -> str | None:
    """The latest shot date of the frames (else developed date) as YYYY-MM-DD; a month
    alone ('2023-04') counts as its first day. None when no frame has a date.

    >>> post_date([{"shot": "2023-04"}, {"shot": "2023-05-02", "developed": "2023-06-01"}])
    '2023-05-02'
    """
    for key in ("shot", "developed"):
        days = []
        for f in frames:
            m = _ISO_DAY.match(str(f.get(key) or ""))
            if m:
                days.append(f"{m[1]}-{m[2] or '01'}-{m[3] or '01'}")
        if days:
            return max(days)
    return None


def post_name(layout: str, slug: str, date: str) -> str:
    """Where the post goes in the export folder: post.md, index.md or _posts/DATE-slug.md."""
    if layout == "hugo":
        return "index.md"
    if layout == "jekyll":
        return f"{POSTS_DIR}/{date}-{slug}.md"
    return "post.md"


def is_post_name(name: str) -> bool:
    """True for any name `post_name` can give (so a change of layout removes the old post)."""
    return bool(_POST_NAME.fullmatch(name))


def _post_url(name: str, layout: str, folder: str) -> str:
    if layout == "jekyll":
        return '{{ "/' + quote(folder, safe="") + "/" + quote(name, safe="") + '" | relative_url }}'
    return _url(name)


def render_post(title: str, description: str | None, date: str, frames: Sequence[dict],
                layout: str = "plain", folder: str = "") -> str:
    """Markdown with YAML front matter; images in order with captions and film data.

    `layout` is one of POST_LAYOUTS; `folder` is the export folder's name (jekyll links
    its images from the site root as /<folder>/<file>)."""
    md = _md if layout != "jekyll" else _md_liquid
    tags: list[str] = []
    for f in frames:
        for t in [*(f.get("tags") or []), f.get("stock"), f.get("format")]:
            if t and str(t) not in tags:
                tags.append(str(t))
    lines = [
        "---",
        f"title: {_yaml_str(title)}",
        f"date: {date}",
        f"description: {_yaml_str(description)}",
        "tags: [" + ", ".join(_yaml_str(t) for t in tags) + "]",
        "---",
        "",
    ]
    if description:
        lines += [md(description), ""]
    for f in frames:
        caption = f.get("caption") or ""
        alt = caption or f.get("description") or f.get("ref") or ""
        lines.append(f"![{md(alt)}]({_post_url(f['file'], layout, folder)})")
        if caption:
            lines.append(f"*{md(caption)}*  ")
        lines.append(md(f.get("description") or f.get("ref")) + ("  " if capture_line(f) else ""))
        if capture_line(f):
            lines.append(md(capture_line(f)))
        lines.append("")
    return "\n".join(lines)
