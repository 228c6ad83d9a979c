"""A one-page A4 PDF around a palette PNG, written by hand in a few dozen lines.

The certificate face is rendered once, as a PNG (:mod:`certs.face`); the PDF wraps that PNG's
own deflate stream, decoded with PNG predictors (PDF 1.2+), so nothing is recompressed, nothing
is lost, and no PDF library is needed. The output is deterministic: the same PNG, title and
date give the same bytes, which lets faces be cached.
"""

from __future__ import annotations

import struct
from datetime import date


def pdf_from_png(png: bytes, title: str, created: date) -> bytes:
    """A one-page A4 PDF showing a palette PNG: its deflate stream goes in as it is, decoded with
    PNG predictors (PDF 1.2+), so nothing is recompressed and nothing is lost."""
    chunks: dict[bytes, bytes] = {}
    at = 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        chunks[png[at + 4 : at + 8]] = (
            chunks.get(png[at + 4 : at + 8], b"") + png[at + 8 : at + 8 + length]
        )
        at += 12 + length
    width, height, depth = struct.unpack(">IIB", chunks[b"IHDR"][:9])
    palette, data = chunks[b"PLTE"], chunks[b"IDAT"]
    a4 = b"595.2756 0 0 841.8898"  # 210 x 297 mm in points
    content = b"q %s 0 0 cm /Im0 Do Q" % a4
    image = (
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace [/Indexed "
        b"/DeviceRGB %d <%s>] /BitsPerComponent %d /Filter /FlateDecode /DecodeParms << "
        b"/Predictor 15 /Colors 1 /BitsPerComponent %d /Columns %d >> /Length %d >>"
        % (
            width,
            height,
            len(palette) // 3 - 1,
            palette.hex().encode(),
            depth,
            depth,
            width,
            len(data),
        )
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.2756 841.8898] "
        b"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
        image + b"\nstream\n" + data + b"\nendstream",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        # Producer: certs.face, the public module that makes faces; unchanged, as are the bytes
        b"<< /Title <feff%s> /Producer (certs.face) /CreationDate (D:%s000000+08'00') >>"
        % (title.encode("utf-16-be").hex().encode(), created.strftime("%Y%m%d").encode()),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    return bytes(out + b"startxref\n%d\n%%%%EOF\n" % xref)
