"""Signatures drawn from their strokes (PNG, SVG) and the printable service record page."""

from __future__ import annotations

import base64
import hashlib
import html
import io
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from PIL import Image, ImageDraw

from domain.evidence import PhotoStatus
from domain.lifecycle import Action
from domain.messages import ACTION_NAMES, KIND_NAMES, STATE_NAMES, render
from services.evidence.records import Binding
from services.evidence.schemas import PhotoOut

Strokes = Sequence[Sequence[Sequence[float]]]
PAD = 12.0
PNG_WIDTH = 600
PEN = 2.5
SUPERSAMPLE = 3  # drawn larger and scaled down: smooth edges without an anti-aliasing renderer


def _frame(strokes: Strokes) -> tuple[float, float, float, float]:
    xs = [p[0] for stroke in strokes for p in stroke]
    ys = [p[1] for stroke in strokes for p in stroke]
    return min(xs) - PAD, min(ys) - PAD, max(xs) - min(xs) + 2 * PAD, max(ys) - min(ys) + 2 * PAD


def signature_svg(strokes: Strokes) -> str:
    left, top, width, height = _frame(strokes)
    paths = []
    for stroke in strokes:
        points = [(p[0] - left, p[1] - top) for p in stroke]
        if len(points) == 1:
            points.append(points[0])  # a dot: a zero-length line with round caps
        d = "M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in points)
        paths.append(f'<path d="{d}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.1f} {height:.1f}" '
        f'width="{width:.0f}" height="{height:.0f}">'
        f'<g fill="none" stroke="#111" stroke-width="{PEN}" stroke-linecap="round" stroke-linejoin="round">'
        + "".join(paths)
        + "</g></svg>"
    )


def signature_png(strokes: Strokes) -> bytes:
    left, top, width, height = _frame(strokes)
    scale = min(PNG_WIDTH / width, 4.0)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    big = Image.new("L", (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE), 255)
    draw = ImageDraw.Draw(big)
    factor = scale * SUPERSAMPLE
    pen = max(1, round(PEN * factor))
    for stroke in strokes:
        points = [((p[0] - left) * factor, (p[1] - top) * factor) for p in stroke]
        if len(points) > 1:
            draw.line(points, fill=0, width=pen, joint="curve")
        for x, y in (points[0], points[-1]) if len(points) > 1 else points:
            draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=0)
    out = io.BytesIO()
    big.resize(size, Image.Resampling.LANCZOS).save(out, format="PNG", optimize=True)
    return out.getvalue()


# ---- the printable service record ------------------------------------------------------------

STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:190mm;margin:8mm auto;color:#111}
h1{font-size:20pt;margin:0 0 4mm}h2{font-size:13pt;border-bottom:1px solid #999;margin:6mm 0 2mm}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #bbb;padding:1.5mm 2mm;text-align:left;vertical-align:top}
th{width:32mm;background:#f3f3f3;font-weight:normal}.photos{display:flex;flex-wrap:wrap;gap:3mm}
figure{margin:0;width:58mm;break-inside:avoid}figure img{width:100%}figcaption{font-size:9pt}
.hash{font-family:monospace;font-size:8pt;word-break:break-all}.warn{color:#b00;font-weight:bold}
.sig svg{max-width:80mm;height:auto}@media print{body{margin:0}a{color:inherit}}
"""
# The page's one inline <style>, allowed by its hash in the page's Content-Security-Policy.
STYLE_SHA256 = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _row(label: str, value: Any) -> str:
    return f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>"


def _name(table: Mapping[str, tuple[str, str]], value: str, lang: str) -> str:
    names = table.get(value)
    return value if names is None else names[0] if lang == "zh-CN" else names[1]


def service_record_html(
    order: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    photos: Sequence[PhotoOut],
    images: Mapping[int, bytes],
    signature: Mapping[str, Any] | None,
    bound: Binding,
    lang: str,
) -> str:
    t = lambda key, **params: render(key, lang, params)  # noqa: E731
    pending = sum(p.status == PhotoStatus.pending for p in photos)
    state = _name(STATE_NAMES, order["state"], lang)
    if pending:
        state = t("record.state_pending", state=order["state"], count=pending)
    closure = order["closure"] or {}
    parts = [
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{_e(t('record.title'))} {_e(order['code'])}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(t('record.title'))}</h1><table>",
        _row(t("record.code"), order["code"]),
        _row(t("record.kind"), _name(KIND_NAMES, order["kind"], lang)),
        _row(t("record.state"), state),
        _row(t("record.customer"), order["customer_name"]),
        _row(t("record.address"), order["address"]),
        _row(t("record.reported"), order["description"]),
        "</table>",
    ]
    work = [e["payload"] for e in events if e["action"] == Action.record_work]
    if closure or work:
        parts.append(f"<h2>{_e(t('record.work'))}</h2><table>")
        for key in ("cause", "solution", "result", "work_done"):
            if closure.get(key):
                parts.append(_row(t(f"record.{key}"), closure[key]))
        for entry in work:
            parts.append(_row(t("record.work_done"), entry.work_done))
        hours = closure.get("labour_hours") or sum(w.labour_hours or 0 for w in work) or None
        if hours:
            parts.append(_row(t("record.labour_hours"), hours))
        materials = [
            *closure.get("materials", []),
            *(msgspec.to_builtins(m) for w in work for m in w.materials),
        ]
        if materials:
            parts.append(
                _row(
                    t("record.materials"),
                    "、".join(f"{m['code']} × {m['quantity']:g}" for m in materials),
                )
            )
        for swap in closure.get("device_swaps", []):
            parts.append(
                _row(
                    t("record.device_swap"),
                    f"{swap['device']}: {swap['old_serial']} → {swap['new_serial']}",
                )
            )
        parts.append("</table>")
    appends = [e for e in events if e["action"] == Action.append]
    if appends:
        parts.append(f"<h2>{_e(_name(ACTION_NAMES, 'append', lang))}</h2><table>")
        parts.extend(
            _row(e["server_time"].strftime("%Y-%m-%d %H:%M"), e["payload"].text) for e in appends
        )
        parts.append("</table>")
    if photos:
        parts.append(f'<h2>{_e(t("record.photos"))}</h2><div class="photos">')
        for photo in photos:
            label = f"{t('photo_kind.' + photo.kind)} {photo.caption}".strip()
            if photo.id in images:
                src = "data:image/jpeg;base64," + base64.b64encode(images[photo.id]).decode()
                parts.append(
                    f'<figure><img src="{src}" alt="{_e(label)}"><figcaption>{_e(label)}</figcaption></figure>'
                )
            else:
                parts.append(
                    f"<figure><figcaption>{_e(label)} — {_e(t('photo_status.' + photo.status))}</figcaption></figure>"
                )
        parts.append("</div>")
    parts.append(f"<h2>{_e(t('record.signature'))}</h2>")
    if signature is None:
        waived = any(e["action"] == Action.approve_waiver for e in events)
        parts.append(f"<p>{_e(t('record.waived' if waived else 'record.unsigned'))}</p>")
    else:
        signed = signature["payload"]
        parts.append(f'<div class="sig">{signature_svg(signed.strokes)}</div><table>')
        parts.append(
            _row(
                t("record.signer"),
                f"{signed.signer_name}({t('relation.' + signed.relation)})",
            )
        )
        parts.append(
            _row(
                t("record.satisfaction"),
                f"{signed.satisfaction} / 5 {signed.comment}".strip(),
            )
        )
        parts.append(
            _row(t("record.signed_at"), signature["server_time"].strftime("%Y-%m-%d %H:%M:%S UTC"))
        )
        parts.append(
            f'<tr><th>{_e(t("record.signed_hash"))}</th><td class="hash">{_e(signed.record_sha256)}</td></tr>'
        )
        parts.append("</table>")
        verdict = t("record.signature_valid") if bound.holds else t("record.changed_after_signing")
        parts.append(f'<p class="{"" if bound.holds else "warn"}">{_e(verdict)}</p>')
    parts.append(
        f'<p class="hash">{_e(t("record.current_hash"))}: {_e(bound.current_sha256)}</p></body></html>'
    )
    return "".join(parts)
