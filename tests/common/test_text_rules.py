"""The one rule for descriptions and message bodies, shared by the ticket service and the gateway."""

from __future__ import annotations

import pytest

from campusdesk_common.contracts.tickets import MAX_TEXT_LENGTH, clean_text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "\u00a0",  # no-break space
        "\u200b\u200b",  # zero-width spaces
        "\ufeff",  # byte order mark
        " \u200c \u2060 \u200d ",  # invisible characters among spaces
    ],
)
def test_text_that_shows_nothing_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="visible character"):
        clean_text(text)


@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x7f", "\x80", "\x85", "\x9b", "\x9f"])
def test_c0_and_c1_control_characters_are_refused(control: str) -> None:
    with pytest.raises(ValueError, match=f"U\\+{ord(control):04X}"):
        clean_text(f"Heating {control}broken")


@pytest.mark.parametrize(
    "text",
    [
        "Wi-Fi down\tin room 2.01\r\nsince Monday",
        "Lift \u200bbroken",
        "\u00e9\u00a0\u00ff caf\u00e9",
        "x" * MAX_TEXT_LENGTH,
    ],
)
def test_ordinary_text_is_kept_verbatim_after_trimming(text: str) -> None:
    assert clean_text(f"  {text}\n") == text


def test_too_long_text_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 5,000"):
        clean_text("x" * (MAX_TEXT_LENGTH + 1))
