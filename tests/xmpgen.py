"""Sidecars as darktable, digiKam and Lightroom Classic write them (../shared/formats/xmp.md)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

HEAD = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
TAIL = '<?xpacket end="w"?>\n'
# a darktable history entry as darktable 4.x writes it: opaque encoded params
DT_PARAMS = "gz02eJxjZGBgYGIAgRNODESDBQYGBgYAmQABHA=="


def _bag(tag: str, items, kind: str = "Bag") -> str:
    lis = "".join(f"<rdf:li>{escape(i)}</rdf:li>" for i in items)
    return f"<{tag}><rdf:{kind}>{lis}</rdf:{kind}></{tag}>"


def darktable(rating: int = 0, tags=(), hier=(), labels=(), title: str | None = None) -> bytes:
    """darktable 4.x: xmp_version, history stack, colorlabels, hierarchicalSubject + leaf subject."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">\n',
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n',
        '  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
        ' xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:dc="http://purl.org/dc/elements/1.1/"',
        ' xmlns:lr="http://ns.adobe.com/lightroom/1.0/" xmlns:darktable="http://darktable.sf.net/"',
        f' xmp:Rating="{rating}" xmpMM:DerivedFrom="R042_0012.jpg" darktable:xmp_version="5"',
        ' darktable:raw_params="0" darktable:auto_presets_applied="1" darktable:history_end="2">\n',
        '   <darktable:history><rdf:Seq>',
        '<rdf:li darktable:num="0" darktable:operation="exposure" darktable:enabled="1" darktable:modversion="6"',
        f' darktable:params="{DT_PARAMS}" darktable:multi_name="" darktable:multi_priority="0"/>',
        '<rdf:li darktable:num="1" darktable:operation="colorin" darktable:enabled="1" darktable:modversion="7"',
        ' darktable:params="gz48eJzjYhgFo2AUjAIGBgAAqAAB" darktable:multi_name="" darktable:multi_priority="0"/>',
        '</rdf:Seq></darktable:history>\n',
    ]
    if labels:
        parts.append(_bag("darktable:colorlabels", [str(i) for i in labels], "Seq"))
    if tags:
        parts.append(_bag("dc:subject", tags))
    if hier:
        parts.append(_bag("lr:hierarchicalSubject", hier))
    if title:
        parts.append(f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>')
    parts.append("\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n")
    return "".join(parts).encode("utf-8")


def digikam(rating: int = 0, pick: int = 0, tags=(), caption: str | None = None) -> bytes:
    """digiKam 8 with 'write to sidecar' on: TagsList (/), hierarchicalSubject, subject, PickLabel."""
    desc = (f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(caption)}</rdf:li></rdf:Alt>'
            "</dc:description>") if caption else ""
    return (HEAD + '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
            ' xmlns:digiKam="http://www.digikam.org/ns/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:lr="http://ns.adobe.com/lightroom/1.0/" xmlns:MicrosoftPhoto="http://ns.microsoft.com/photo/1.0/"'
            f' xmp:Rating="{rating}" digiKam:PickLabel="{pick}" digiKam:ColorLabel="0"'
            f' MicrosoftPhoto:Rating="{ {0: 0, 1: 1, 2: 25, 3: 50, 4: 75, 5: 99}[rating] }">'
            + _bag("digiKam:TagsList", [t.replace("|", "/") for t in tags], "Seq")
            + _bag("lr:hierarchicalSubject", tags)
            + _bag("dc:subject", [t.split("|")[-1] for t in tags]) + desc
            + "</rdf:Description></rdf:RDF></x:xmpmeta>" + TAIL).encode("utf-8")


def lightroom(rating: int = 0, tags=(), hier=(), caption: str | None = None) -> bytes:
    """Lightroom Classic IMG.xmp: one description per namespace, Camera Raw develop settings."""
    desc = (f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(caption)}</rdf:li></rdf:Alt>'
            "</dc:description>") if caption else ""
    return (HEAD + '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000 1.000000, 0000/00/00-00:00:00">\n'
            ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            '  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
            f' xmp:Rating="{rating}" xmp:CreatorTool="Adobe Photoshop Lightroom Classic 13.2"/>\n'
            '  <rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"'
            ' crs:Version="16.2" crs:Exposure2012="+0.35" crs:Contrast2012="+12" crs:WhiteBalance="As Shot"'
            ' crs:HasSettings="True"/>\n'
            '  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:lr="http://ns.adobe.com/lightroom/1.0/">'
            + _bag("dc:subject", tags) + _bag("lr:hierarchicalSubject", hier) + desc
            + "</rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n" + TAIL).encode("utf-8")


def attr(value: str) -> str:
    """An XML attribute value, quoted."""
    return quoteattr(value)
