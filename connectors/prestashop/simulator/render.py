"""Renders simulator answers the way PrestaShop's WebserviceOutputXML / WebserviceOutputJSON do.

XML (the default): `<prestashop xmlns:xlink=...>` wrapping the entity, every value in CDATA (empty
values as an empty element), foreign keys with `xlink:href`, getter fields `notFilterable="true"`,
i18n fields as `<language id=..>` children, associations under `<associations>`; a list without
`display` holds only `<order id=".." xlink:href=".."/>` entries.

JSON: `{"order": {...}}` for one record, `{"orders": [...]}` for a list (also for one record asked
with `display`, as PHP does), `{"orders": [{"id": 1}]}` without display, a bare `[]` when nothing
matched; `id` an integer, every other value a string; an i18n field a plain string when one
language is shown, else `[{"id": "1", "value": ...}]`; "/" escaped as "\\/" like PHP's json_encode.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from .catalog import JsonObject
from .resources import AssociationSpec, ResourceSpec

Display = str | dict[str, list[str] | None]

XML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
)
XML_TAIL = "</prestashop>\n"


# -- JSON -------------------------------------------------------------------------------------
def _json_bytes(content: Any) -> bytes:
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).replace(
        "/", "\\/"
    ).encode("utf-8")


def _json_value(value: Any, languages: Sequence[str]) -> Any:
    if isinstance(value, list):
        chosen = [{"id": str(v["id"]), "value": v["value"]} for v in value
                  if str(v["id"]) in languages]
        return chosen[0]["value"] if len(chosen) == 1 else chosen
    return value


def _wanted(display: Display, name: str) -> bool:
    return display == "full" or (isinstance(display, dict) and name in display)


def _association_fields(display: Display, assoc: AssociationSpec) -> Sequence[str] | None:
    if display == "full":
        return assoc.fields
    if isinstance(display, dict) and display.get(assoc.name):
        return display[assoc.name]
    return None


def json_entity(
    spec: ResourceSpec, obj: JsonObject, display: Display, languages: Sequence[str]
) -> JsonObject:
    out: JsonObject = {}
    for name in spec.fields:
        if _wanted(display, name) and name in obj:
            out[name] = _json_value(obj[name], languages)
    associations: JsonObject = {}
    for assoc in spec.associations:
        fields = _association_fields(display, assoc)
        items = obj.get("associations", {}).get(assoc.name, [])
        if fields is not None and items:
            associations[assoc.name] = [
                {k: item[k] for k in fields if k in item} for item in items
            ]
    if associations:
        out["associations"] = associations
    return out


def json_single(
    spec: ResourceSpec, obj: JsonObject, display: Display, given: bool,
    languages: Sequence[str],
) -> bytes:
    entity = json_entity(spec, obj, "full" if not given else display, languages)
    return _json_bytes({spec.nodes: [entity]} if given else {spec.singular: entity})


def json_list(
    spec: ResourceSpec, rows: Iterable[JsonObject | int], display: Display,
    languages: Sequence[str],
) -> bytes:
    if display == "minimum":
        items: list[Any] = [{"id": r if isinstance(r, int) else r["id"]} for r in rows]
    else:
        items = [json_entity(spec, r, display, languages) for r in rows if not isinstance(r, int)]
    return _json_bytes({spec.nodes: items} if items else [])


def json_errors(errors: Sequence[tuple[int, str]]) -> bytes:
    return _json_bytes({"errors": [{"code": code, "message": message} for code, message in errors]})


def json_api_root(resources: Sequence[str]) -> bytes:
    return _json_bytes(list(resources))


# -- XML --------------------------------------------------------------------------------------
def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def _xml_field(
    spec: ResourceSpec, name: str, value: Any, languages: Sequence[str], base: str, blank: bool
) -> str:
    if name in spec.i18n:
        by_language = {str(v["id"]): v["value"] for v in value} if isinstance(value, list) else {}
        parts = []
        for language in languages:
            link = "" if blank else f' xlink:href="{base}languages/{language}"'
            text = by_language.get(language)
            inner = "" if blank or text is None else _cdata(str(text))
            parts.append(f'<language id="{language}"{link}>{inner}</language>')
        return f"<{name}>{''.join(parts)}</{name}>\n"
    text = "" if value is None or blank else str(value)
    attributes = ""
    target = spec.links.get(name)
    if target and not blank and text not in ("", "0"):
        attributes += f' xlink:href="{base}{target}/{_attr(text)}"'
    if name in spec.getters and not blank:
        attributes += ' notFilterable="true"'
    return f"<{name}{attributes}>{_cdata(text) if text != '' else ''}</{name}>\n"


def _xml_associations(
    spec: ResourceSpec, obj: JsonObject, display: Display, base: str, blank: bool
) -> str:
    chosen = [
        (a, fields) for a in spec.associations
        if (fields := _association_fields(display, a)) is not None
    ]
    if not chosen:
        return ""
    out = ["<associations>\n"]
    for assoc, fields in chosen:
        head = f"<{assoc.name}"
        if not blank:
            kind = ' virtualEntity="true"' if assoc.virtual else f' api="{assoc.api or assoc.name}"'
            head += f' nodeType="{assoc.item}"{kind}'
        items = obj.get("associations", {}).get(assoc.name, [])
        if blank:
            items = [{k: "" for k in assoc.fields}]
        if not items:
            out.append(head + "/>\n")
            continue
        out.append(head + ">\n")
        for item in items:
            link = ""
            if assoc.item_link and not blank:
                link = f' xlink:href="{base}{assoc.item_link}/{_attr(str(item.get("id", "")))}"'
            out.append(f"\t<{assoc.item}{link}>\n")
            for name in fields:
                if name in item:
                    text = "" if blank else str(item[name])
                    out.append(f"\t<{name}>{_cdata(text) if text != '' else ''}</{name}>\n")
            out.append(f"\t</{assoc.item}>\n")
        out.append(f"</{assoc.name}>\n")
    out.append("</associations>\n")
    return "".join(out)


def xml_entity(
    spec: ResourceSpec, obj: JsonObject, display: Display, languages: Sequence[str], base: str,
    *, blank: bool = False,
) -> str:
    out = [f"<{spec.singular}>\n"]
    for name in spec.fields:
        if _wanted(display, name):
            out.append("\t" + _xml_field(spec, name, obj.get(name), languages, base, blank))
    out.append(_xml_associations(spec, obj, display, base, blank))
    out.append(f"</{spec.singular}>\n")
    return "".join(out)


def xml_single(
    spec: ResourceSpec, obj: JsonObject, display: Display, given: bool,
    languages: Sequence[str], base: str,
) -> bytes:
    body = xml_entity(spec, obj, display if given else "full", languages, base)
    return (XML_HEAD + body + XML_TAIL).encode("utf-8")


def xml_list(
    spec: ResourceSpec, rows: Iterable[JsonObject | int], display: Display,
    languages: Sequence[str], base: str,
) -> bytes:
    out = [XML_HEAD, f"<{spec.nodes}>\n"]
    for row in rows:
        if display == "minimum":
            row_id = row if isinstance(row, int) else row["id"]
            out.append(f'<{spec.singular} id="{row_id}" xlink:href="{base}{spec.name}/{row_id}"/>\n')
        elif not isinstance(row, int):
            out.append(xml_entity(spec, row, display, languages, base))
    out.append(f"</{spec.nodes}>\n")
    out.append(XML_TAIL)
    return "".join(out).encode("utf-8")


def xml_blank(spec: ResourceSpec, languages: Sequence[str]) -> bytes:
    body = xml_entity(spec, {}, "full", languages, "", blank=True)
    return (XML_HEAD + body + XML_TAIL).encode("utf-8")


def json_blank(spec: ResourceSpec, languages: Sequence[str]) -> bytes:
    entity: JsonObject = {}
    for name in spec.fields:
        entity[name] = [{"id": lang, "value": ""} for lang in languages] \
            if name in spec.i18n and len(languages) > 1 else ""
    if spec.associations:
        entity["associations"] = {
            a.name: [{k: "" for k in a.fields}] for a in spec.associations
        }
    return _json_bytes({spec.singular: entity})


def xml_errors(errors: Sequence[tuple[int, str]]) -> bytes:
    out = [XML_HEAD, "<errors>\n"]
    for code, message in errors:
        out.append(f"<error>\n<code>{_cdata(str(code))}</code>\n"
                   f"<message>{_cdata(message)}</message>\n</error>\n")
    out.append("</errors>\n")
    out.append(XML_TAIL)
    return "".join(out).encode("utf-8")


def xml_api_root(
    resources: Sequence[tuple[str, str]], base: str, shop_name: str,
    methods: Iterable[str] = ("GET", "HEAD"),
) -> bytes:
    """GET /api/: the resources the key may use, each with the key's permissions on it as
    attributes (`get="true" put="false" …`), as WebserviceOutputXML renders them."""
    allowed = {m.upper() for m in methods}
    rights = " ".join(
        f'{m.lower()}="{"true" if m in allowed else "false"}"'
        for m in ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD")
    )
    out = [XML_HEAD, f'<api shopName="{_attr(shop_name)}">\n']
    for name, description in resources:
        link = f'xlink:href="{base}{name}"'
        out.append(f"<{name} {link} {rights}>\n")
        out.append(f"<description {link} {rights}>{_attr(description)}</description>\n")
        out.append(f'<schema xlink:href="{base}{name}?schema=blank" type="blank"/>\n')
        out.append(f'<schema xlink:href="{base}{name}?schema=synopsis" type="synopsis"/>\n')
        out.append(f"</{name}>\n")
    out.append("</api>\n")
    out.append(XML_TAIL)
    return "".join(out).encode("utf-8")
