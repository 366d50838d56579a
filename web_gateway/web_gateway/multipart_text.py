"""Whether the text fields of a multipart form are UTF-8.

Starlette's form parser decodes a multipart text field that is not UTF-8 as Latin-1 without a word,
so "caf\\xe9" would be stored as "café" and "\\xff" as "ÿ": text nobody typed. The file parts
(photos) are bytes and are not looked at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

if TYPE_CHECKING:  # a typing-only name in python-multipart
    from python_multipart.multipart import MultipartCallbacks


class _TextParts:
    """Multipart callbacks that decode each part without a filename as UTF-8, remembering any failure."""

    def __init__(self) -> None:
        self.all_utf8 = True
        self._is_file = False
        self._data = bytearray()
        self._header_name = bytearray()
        self._header_value = bytearray()

    def on_part_begin(self) -> None:
        self._is_file = False
        self._data.clear()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self._header_name).lower() == b"content-disposition":
            self._is_file = b"filename" in parse_options_header(bytes(self._header_value))[1]
        self._header_name.clear()
        self._header_value.clear()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._is_file:
            self._data += data[start:end]

    def on_part_end(self) -> None:
        if not self._is_file:
            try:
                bytes(self._data).decode("utf-8")
            except UnicodeDecodeError:
                self.all_utf8 = False

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }


def multipart_text_is_utf8(content_type: bytes, body: bytes) -> bool:
    """False when a text field of this multipart body is not UTF-8; a body that is not valid multipart
    is left to the form parser, which refuses it."""
    boundary = parse_options_header(content_type)[1].get(b"boundary")
    if not boundary:
        return True
    parts = _TextParts()
    try:
        parser = MultipartParser(boundary, parts.callbacks())
        parser.write(body)
        parser.finalize()
    except (MultipartParseError, ValueError):
        return True
    return parts.all_utf8
