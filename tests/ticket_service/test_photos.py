"""Photos through the ticket API, on both databases: recognised by decoding, re-encoded without
metadata, hostile files refused with nothing stored, and served only to whoever may see the ticket."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import httpx
from PIL import ExifTags, Image
from pillow_heif import register_heif_opener
from sqlalchemy import text

from campusdesk_common.contracts.places import MAX_PHOTO_BYTES
from tests.ticket_service.conftest import HELPDESK, USER, Api, assert_problem

register_heif_opener()
GPS_LATITUDE = (45.0, 27.0, 51.84)


def gps_tagged_jpeg(width: int = 3000, height: int = 2000) -> bytes:
    """A camera photo: GPS position, camera make and an orientation that says "turn me 90° clockwise"."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: GPS_LATITUDE,
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (9.0, 11.0, 22.5),
    }
    image = Image.new("RGB", (width, height), (180, 40, 40))
    image.paste((20, 20, 200), (0, 0, width // 4, height // 4))  # a blue top-left corner, to see the turn
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def encoded(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def png_bomb(side: int = 30_000) -> bytes:
    """A 1-bit PNG of side x side pixels of zeros: about 100 KB that would unpack to 900 megapixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" * (1 + side // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


async def upload(api: Api, content: bytes, content_type: str = "image/jpeg", role: str = "user") -> httpx.Response:
    return await api.client.post("/photos", content=content, headers={"X-Role": role, "Content-Type": content_type})


async def uploaded(api: Api, content: bytes, content_type: str = "image/jpeg") -> dict[str, Any]:
    response = await upload(api, content, content_type)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/photos/{body['id']}"
    return body


async def report_with(api: Api, photo_ids: list[int]) -> httpx.Response:
    return await api.client.post(
        "/tickets", json={"description": "The washbasin leaks", "photo_ids": photo_ids}, headers=USER
    )


async def test_a_gps_tagged_photo_is_served_turned_scaled_and_without_any_metadata(api: Api) -> None:
    original = gps_tagged_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the upload has GPS
    ref = await uploaded(api, original)
    assert (ref["content_type"], ref["width"], ref["height"]) == ("image/jpeg", 1365, 2048)  # turned, then scaled
    assert (ref["thumbnail_width"], ref["thumbnail_height"]) == (213, 320)
    ticket = await report_with(api, [ref["id"]])
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["photos"] == [ref]

    served = await api.client.get(f"/photos/{ref['id']}", headers=USER)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert served.headers["cache-control"] == "private"
    photo = Image.open(io.BytesIO(served.content))
    photo.load()
    assert (photo.format, photo.size) == ("JPEG", (1365, 2048))
    assert max(photo.size) <= 2048
    assert len(photo.getexif()) == 0 and "exif" not in photo.info and "icc_profile" not in photo.info
    assert b"Exif" not in served.content and b"PhoneMaker" not in served.content
    assert photo.getpixel((photo.width - 50, 50))[2] > 150  # the blue corner is now top-right: turned clockwise

    thumbnail = await api.client.get(f"/photos/{ref['id']}/thumbnail", headers=HELPDESK)
    assert thumbnail.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumbnail.content)).size == (213, 320)
    assert b"Exif" not in thumbnail.content


async def test_png_with_transparency_stays_png_webp_stays_webp_heic_becomes_jpeg(api: Api) -> None:
    transparent = Image.new("RGBA", (100, 50), (0, 0, 0, 0))
    opaque = Image.new("RGB", (100, 50), (10, 200, 10))
    cases = [
        (encoded(transparent, "PNG"), "image/png"),
        (encoded(opaque, "PNG"), "image/jpeg"),
        (encoded(opaque, "WEBP"), "image/webp"),
        (encoded(opaque, "HEIF"), "image/jpeg"),
    ]
    for content, expected in cases:
        ref = await uploaded(api, content, "application/octet-stream")  # the declared type plays no part
        assert (ref["content_type"], ref["width"], ref["height"]) == (expected, 100, 50)
        served = await api.client.get(f"/photos/{ref['id']}", headers=USER)
        assert served.headers["content-type"] == expected
        assert Image.open(io.BytesIO(served.content)).format == expected.split("/")[1].upper()


async def test_hostile_files_are_refused_and_nothing_is_stored(api: Api) -> None:
    text_as_jpeg = await upload(api, b"Dear helpdesk, this is not a photo at all.\n" * 20, "image/jpeg")
    assert_problem(text_as_jpeg, 422, detail_contains="not a JPEG, PNG, WebP or HEIC image")
    bomb = png_bomb()
    assert len(bomb) < 200_000
    assert_problem(await upload(api, bomb, "image/png"), 422, detail_contains="decompression bomb")
    truncated = gps_tagged_jpeg(400, 300)[:600]
    assert_problem(await upload(api, truncated), 422)
    gif = encoded(Image.new("RGB", (10, 10)), "GIF")
    assert_problem(await upload(api, gif, "image/gif"), 422, detail_contains="not a JPEG, PNG, WebP or HEIC image")
    assert_problem(await upload(api, b""), 422, detail_contains="empty")
    too_large = b"\xff\xd8\xff" + b"\x00" * MAX_PHOTO_BYTES
    assert_problem(await upload(api, too_large), 413)
    assert_problem(await api.client.post("/photos", content=gif), 400)  # no X-Role
    assert await api.count("photos") == 0


async def test_photos_attach_once_at_most_three_and_to_messages_too(api: Api) -> None:
    refs = [await uploaded(api, encoded(Image.new("RGB", (40 + i, 30)), "JPEG")) for i in range(5)]
    ids = [ref["id"] for ref in refs]
    assert_problem(await report_with(api, ids[:4]), 422)
    assert_problem(await report_with(api, [ids[0], ids[0]]), 422, detail_contains="twice")
    assert_problem(await report_with(api, [ids[0], 12345]), 422, detail_contains="Photo 12345 cannot be attached")
    assert await api.count("tickets") == 0 and await api.rows(
        "SELECT count(*) FROM photos WHERE ticket_id IS NULL"
    ) == [(5,)]
    ticket = (await report_with(api, [ids[1], ids[0]])).json()
    assert [photo["id"] for photo in ticket["photos"]] == [ids[1], ids[0]]  # in the order given
    assert_problem(await report_with(api, [ids[0]]), 422, detail_contains="attached already")
    path = f"/tickets/{ticket['id']}/messages"
    message = await api.client.post(path, json={"body": "Another angle", "photo_ids": ids[2:4]}, headers=HELPDESK)
    assert message.status_code == 201, message.text
    assert [photo["id"] for photo in message.json()["photos"]] == ids[2:4]
    thread = (await api.client.get(path, headers=USER)).json()["items"]
    assert [[photo["id"] for photo in m["photos"]] for m in thread] == [ids[2:4]]
    assert [p["id"] for p in (await api.client.get(f"/tickets/{ticket['id']}", headers=USER)).json()["photos"]] == [
        ids[1],
        ids[0],
    ]


async def test_only_who_may_see_the_ticket_sees_its_photos(api: Api) -> None:
    jpeg = encoded(Image.new("RGB", (60, 40)), "JPEG")
    report_photo, message_photo, loose = [await uploaded(api, jpeg) for _ in range(3)]
    ticket = (await report_with(api, [report_photo["id"]])).json()
    attached = message_photo["id"]
    posted = await api.client.post(
        f"/tickets/{ticket['id']}/messages", json={"body": "More", "photo_ids": [attached]}, headers=USER
    )
    assert posted.status_code == 201
    photo_ids = [ticket["photos"][0]["id"], attached]
    for photo_id in photo_ids:
        assert (await api.client.get(f"/photos/{photo_id}", headers=USER)).status_code == 200
    for status in ("active", "closed"):
        assert (await api.patch(ticket["id"], {"status": status})).status_code == 200
    for photo_id in photo_ids:
        for path in (f"/photos/{photo_id}", f"/photos/{photo_id}/thumbnail"):
            assert_problem(await api.client.get(path, headers=USER), 404)
            assert (await api.client.get(path, headers=HELPDESK)).status_code == 200
        assert_problem(await api.client.get(f"/photos/{photo_id}"), 400)
    # An upload nobody attached yet: served to whoever holds its random id, until it expires.
    loose_id = loose["id"]
    assert (await api.client.get(f"/photos/{loose_id}", headers=USER)).status_code == 200
    async with api.app.state.engine.begin() as connection:
        await connection.execute(
            text("UPDATE photos SET created_at = '2000-01-01 00:00:00' WHERE id = :id"), {"id": loose_id}
        )
    assert_problem(await api.client.get(f"/photos/{loose_id}", headers=USER), 404)
    assert_problem(await report_with(api, [loose_id]), 422, detail_contains="more than 60 minutes ago")
    assert_problem(await api.client.get("/photos/1", headers=HELPDESK), 404)
