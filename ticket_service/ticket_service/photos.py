"""Turning uploaded bytes into a photo that is safe to store and serve.

The format is whatever Pillow decodes (JPEG, PNG, WebP or HEIC), never a name or a declared
type. The pixels are re-encoded into a new image, so no metadata survives (EXIF with GPS,
XMP, comments, ICC profiles), after the EXIF orientation has been applied to the pixels.
Synchronous and CPU-bound: callers run it in a thread (`routes/photos.py`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from campusdesk_common.contracts.places import MAX_PHOTO_SIDE
from campusdesk_common.problems import InvalidInput

register_heif_opener()

# A 48-megapixel phone photo passes; a small file that unpacks to gigabytes does not. Pillow
# itself refuses twice this (DecompressionBombError); `process_photo` refuses from once it.
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
THUMBNAIL_SIDE = 320
# The only decoders tried. Phones' multi-picture JPEGs open through the JPEG decoder as "MPO".
_ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
NOT_AN_IMAGE = "The file is not a JPEG, PNG, WebP or HEIC image."


@dataclass(frozen=True, slots=True)
class ProcessedPhoto:
    content_type: str
    width: int
    height: int
    data: bytes
    thumbnail: bytes
    thumbnail_width: int
    thumbnail_height: int


def process_photo(raw: bytes) -> ProcessedPhoto:
    """Decode, orient, scale to at most 2048 px, re-encode without metadata, and make a thumbnail.

    Raises `InvalidInput` (422) for anything that is not a decodable JPEG, PNG, WebP or HEIC
    image, or that would unpack to more than `MAX_PIXELS` (a decompression bomb).
    """
    try:
        with Image.open(io.BytesIO(raw), formats=_ACCEPTED_FORMATS) as opened:
            source_format = opened.format or ""
            _refuse_bombs(opened.width, opened.height)
            if source_format in ("JPEG", "MPO"):
                opened.draft("RGB", (MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))  # decode at 1/2..1/8 scale when large
            opened.load()
            oriented = ImageOps.exif_transpose(opened)
    except UnidentifiedImageError:
        raise InvalidInput(NOT_AN_IMAGE, slug="not-an-image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb() from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:  # truncated or corrupt data
        raise InvalidInput(f"The image could not be decoded ({error}).", slug="undecodable-image") from None
    content_type, pixels = _normalised(oriented, source_format)
    pixels.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE), Image.Resampling.LANCZOS)
    # A new image from the raw pixels: nothing of the upload's `info` (EXIF, XMP, ICC) can come along.
    clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    thumbnail = clean.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(
        content_type=content_type,
        width=clean.width,
        height=clean.height,
        data=_encode(clean, content_type),
        thumbnail=_encode(thumbnail, content_type),
        thumbnail_width=thumbnail.width,
        thumbnail_height=thumbnail.height,
    )


def _bomb() -> InvalidInput:
    return InvalidInput(
        f"The image is a decompression bomb: it would unpack to more than {MAX_PIXELS // 1_000_000} megapixels.",
        slug="decompression-bomb",
    )


def _refuse_bombs(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise _bomb()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (image.mode == "P" and "transparency" in image.info)


def _normalised(image: Image.Image, source_format: str) -> tuple[str, Image.Image]:
    """The output type and the pixels in RGB or RGBA: WebP stays WebP, a PNG with transparency stays PNG,
    everything else becomes a JPEG (photos)."""
    alpha = _has_alpha(image)
    if source_format == "WEBP":
        return "image/webp", image.convert("RGBA" if alpha else "RGB")
    if source_format == "PNG" and alpha:
        return "image/png", image.convert("RGBA")
    if alpha:  # a HEIC with transparency: JPEG has none, so lay it on white
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return "image/jpeg", Image.alpha_composite(white, rgba).convert("RGB")
    return "image/jpeg", image.convert("RGB")


def _encode(image: Image.Image, content_type: str) -> bytes:
    out = io.BytesIO()
    if content_type == "image/jpeg":
        image.save(out, "JPEG", quality=85, optimize=True)
    elif content_type == "image/png":
        image.save(out, "PNG")
    else:
        image.save(out, "WEBP", quality=85)
    return out.getvalue()
