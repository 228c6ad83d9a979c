"""Reading the QR code out of a picture: a phone photo or a scan of a printed licence.

Kept apart from :mod:`certs.offline` because it is the one part of verifying that decodes
untrusted images: Pillow opens only PNG, JPEG and WebP, under size limits that refuse
decompression bombs, and zxing-cpp, which only this module needs, reads the symbol.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import Final, Literal

from PIL import Image, ImageFilter, ImageOps

MAX_IMAGE_BYTES: Final = 40 << 20
MAX_IMAGE_PIXELS: Final = 50_000_000  # a 48-megapixel phone photo, not a decompression bomb
_IMAGE_FORMATS: Final = ("PNG", "JPEG", "WEBP")


class NoQrFound(ValueError):
    """No QR code could be read from the input (not an image, too large, or none found).

    A ValueError like every other refusal in :mod:`certs`, so one handler can show its zh/en.
    """

    _MESSAGES: Final = {
        "not_an_image": ("无法识别的图片格式。", "This is not a PNG, JPEG or WebP image."),
        "too_large": ("图片过大。", "The image is too large."),
        "no_qr": ("图片中未找到二维码，请对准二维码重新拍摄。", "No QR code found in the image."),
    }

    def __init__(self, reason: Literal["not_an_image", "too_large", "no_qr"], detail: str = ""):
        self.reason, self.detail = reason, detail
        self.zh, self.en = self._MESSAGES[reason]
        super().__init__(f"{self.en} [{reason}: {detail}]" if detail else self.en)


def read_qr_from_image(data: bytes) -> str:
    """The text of the QR code in a PNG, JPEG or WebP (e.g. a phone photo of a printed licence).

    Tries the image as it is, then contrast-stretched, enlarged and sharpened variants: small,
    blurred and low-contrast photos each defeat a different one. Prefers a code holding a
    verification URL when the picture shows several. NoQrFound when nothing reads.
    """
    try:  # zxing-cpp is a dev extra in pyproject.toml; only reading photos needs it
        import zxingcpp
    except ImportError as exc:
        raise ImportError("reading QR codes from images needs zxing-cpp installed") from exc
    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    image = _open_image(data)
    for variant in _variants(image):
        try:
            found = zxingcpp.read_barcodes(variant, formats=qr_only)
        except (ValueError, RuntimeError):  # an image mode or size zxing refuses
            continue
        texts = [str(result.text) for result in found]
        if texts:
            return next((text for text in texts if "/V/" in text.upper()), texts[0])
    raise NoQrFound("no_qr")


def _open_image(data: bytes) -> Image.Image:
    if len(data) > MAX_IMAGE_BYTES:
        raise NoQrFound("too_large", f"{len(data)} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_IMAGE_FORMATS)
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise NoQrFound("too_large", f"{image.width}x{image.height}")
            image.load()
    except NoQrFound:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise NoQrFound("too_large", "over Pillow's decompression-bomb limit") from None
    except Exception as exc:  # Pillow raises OSError, ValueError, SyntaxError, struct.error…
        raise NoQrFound("not_an_image", type(exc).__name__) from None
    return image


def _variants(image: Image.Image) -> Iterator[Image.Image]:
    # Measured on a version-19 symbol, rotated 3°, JPEG quality 40: as-is reads down to ~2.5 px
    # a module; contrast-stretching rescues blur; doubling reads 1.8 px; sharpening the doubled
    # image rescues heavier blur. A home-made binarisation never read what these could not.
    yield image if image.mode in ("L", "RGB", "RGBA") else image.convert("L")
    gray = ImageOps.autocontrast(image.convert("L"), cutoff=1)
    yield gray
    if max(gray.size) < 1600:
        gray = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.LANCZOS)
        yield gray
    yield gray.filter(ImageFilter.UnsharpMask(radius=4, percent=200, threshold=2))
