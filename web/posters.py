"""Printable window posters (A4): the tenant, hall and window, “扫码评价 Scan to rate” and the QR of the window's
signed rating URL. Presentation only: the URL comes from the domain (window_qr_token + tenant_url)."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import segno

QR_ERROR = "m"  # 15 % recovery: survives a crease or a smudge on a printed poster
FONT_FAMILY = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
FONT_CANDIDATES = [  # (path, face index of Simplified Chinese in a collection)
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
]
RED, INK, MUTED = "#b71c1c", "#1f2328", "#5b6470"
QR_SIZE_MM, QR_TOP_MM = 110, 104
QUIET_MODULES = 4  # the white margin a reader needs around the symbol; the red frame stays outside it


@dataclass
class Poster:
    tenant_name: str
    org_name: str
    window_label: str
    url: str

    @property
    def lines(self) -> list[tuple[str, float, str, bool]]:
        """(text, size in mm, colour, bold) from the top."""
        return [
            (self.tenant_name, 9, INK, True),
            (self.org_name, 7, INK, False),
            (self.window_label, 11, RED, True),
        ]


def qr_code(url: str) -> segno.QRCode:
    return segno.make_qr(url, error=QR_ERROR)


# --- SVG: 210 × 297 user units = millimetres ---------------------------------------------------------------


def _qr_path(qr: segno.QRCode) -> tuple[int, str]:
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", border=0, xmldecl=False, nl=False, svgclass=None, lineclass=None, omitsize=True)
    match = re.search(r'\sd="([^"]+)"', buffer.getvalue().decode())
    return qr.symbol_size(border=0)[0], match.group(1)


def _text(x: float, y: float, text: str, size: float, colour: str = INK, bold: bool = False) -> str:
    weight = ' font-weight="700"' if bold else ""
    return (f'<text x="{x}" y="{y}" font-size="{size}" fill="{colour}" text-anchor="middle"{weight}>'
            f"{escape(text)}</text>")


def poster_svg(poster: Poster) -> str:
    modules, path = _qr_path(qr_code(poster.url))
    qr_size, qr_y = QR_SIZE_MM, QR_TOP_MM
    qr_x = (210 - qr_size) / 2
    pad = round(QUIET_MODULES * qr_size / modules + 2, 2)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 210 297" '
        f'font-family="{escape(FONT_FAMILY)}" role="img" aria-labelledby="poster-title">',
        f'<title id="poster-title">{escape(poster.window_label)} · 扫码评价 Scan to rate</title>',
        f"<desc>{escape(poster.url)}</desc>",
        f'<metadata><rating-url xmlns="urn:haochaping:poster" href={quoteattr(poster.url)}/></metadata>',
        '<rect width="210" height="297" fill="#fff"/>',
        f'<rect width="210" height="14" fill="{RED}"/>',
        _text(105, 10, "政务服务“好差评”", 7, "#fff", True),
    ]
    y = 34
    for text, size, colour, bold in poster.lines:
        parts.append(_text(105, y, text, size, colour, bold))
        y += size + 7
    parts += [
        _text(105, 82, "扫码评价  Scan to rate", 12, INK, True),
        f'<rect x="{qr_x - pad}" y="{qr_y - pad}" width="{qr_size + 2 * pad}" height="{qr_size + 2 * pad}" '
        f'fill="none" stroke="{RED}" stroke-width="1.2" rx="3"/>',
        f'<svg id="qr" x="{qr_x}" y="{qr_y}" width="{qr_size}" height="{qr_size}" viewBox="0 0 {modules} {modules}" '
        f'shape-rendering="crispEdges"><path stroke="#000" d="{path}"/></svg>',
        _text(105, 252, "请用手机扫描二维码，对本窗口的服务进行评价", 6, INK),
        _text(105, 260, "Scan with your phone to rate this window's service", 4.5, MUTED),
        _text(105, 272, "评价自愿 · 您的个人信息受保护 · 差评必核实整改", 4.5, MUTED),
        _text(105, 284, poster.url, 2.6, MUTED),
        "</svg>",
    ]
    return "\n".join(parts)


# --- PNG: A4 at 150 dpi -------------------------------------------------------------------------------------

PNG_SIZE = (1240, 1754)
PX_PER_MM = PNG_SIZE[0] / 210


def _font(size_px: int):
    from PIL import ImageFont

    for path, index in FONT_CANDIDATES:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size_px, index=index)
            except OSError:
                continue
    return ImageFont.load_default(size=size_px)  # no CJK font installed: Latin text still prints


def poster_png(poster: Poster) -> bytes:
    from PIL import Image, ImageDraw
    from PIL.PngImagePlugin import PngInfo

    def mm(value: float) -> int:
        return round(value * PX_PER_MM)

    image = Image.new("RGB", PNG_SIZE, "white")
    draw = ImageDraw.Draw(image)
    centre = PNG_SIZE[0] // 2

    def text(y_mm: float, value: str, size_mm: float, colour: str = INK) -> None:
        draw.text((centre, mm(y_mm)), value, font=_font(mm(size_mm)), fill=colour, anchor="ms")

    draw.rectangle((0, 0, PNG_SIZE[0], mm(14)), fill=RED)
    text(10, "政务服务“好差评”", 7, "#fff")
    y = 34
    for value, size, colour, _bold in poster.lines:
        text(y, value, size, colour)
        y += size + 7
    text(82, "扫码评价  Scan to rate", 12)

    qr = qr_code(poster.url)
    modules = qr.symbol_size(border=0)[0]
    scale = mm(QR_SIZE_MM) // modules
    qr_px = modules * scale
    qr_x, qr_y = centre - qr_px // 2, mm(QR_TOP_MM)
    symbol = Image.new("1", (modules, modules), 1)
    symbol.putdata([0 if dark else 1 for row in qr.matrix_iter(border=0) for dark in row])
    image.paste(symbol.resize((qr_px, qr_px), Image.NEAREST).convert("RGB"), (qr_x, qr_y))
    pad = QUIET_MODULES * scale + mm(2)
    draw.rounded_rectangle((qr_x - pad, qr_y - pad, qr_x + qr_px + pad, qr_y + qr_px + pad), radius=mm(3),
                           outline=RED, width=max(2, mm(1.2)))

    text(252, "请用手机扫描二维码，对本窗口的服务进行评价", 6)
    text(260, "Scan with your phone to rate this window's service", 4.5, MUTED)
    text(272, "评价自愿 · 您的个人信息受保护 · 差评必核实整改", 4.5, MUTED)
    text(284, poster.url, 2.6, MUTED)

    info = PngInfo()
    info.add_text("URL", poster.url)
    info.add_text("QR", f"{qr_x},{qr_y},{qr_px},{modules}")  # where the symbol is: x, y, size in px, modules
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, dpi=(150, 150), optimize=True)
    return out.getvalue()
