"""The ticket service's public API: requests it accepts and answers it sends."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from campusdesk_common.contracts.common import Timestamp
from campusdesk_common.contracts.places import MAX_PHOTOS, PhotoRef, Place, PlaceCode, PlaceNote
from campusdesk_common.vocabulary import Category, CategorySource, EventKind, Role, Status

MAX_TEXT_LENGTH = 5000
# C0 controls, DEL and C1 controls, except tab, line feed and carriage return (people paste
# multi-line text).
_FORBIDDEN_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Text that shows nothing: whitespace plus the invisible zero-width characters and the BOM.
_BLANK = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]*")


def clean_text(value: str) -> str:
    """Trim a description or message body and refuse what cannot be stored or shown."""
    value = value.strip()
    if _BLANK.fullmatch(value):
        raise ValueError("must contain at least one visible character")
    if len(value) > MAX_TEXT_LENGTH:
        raise ValueError(f"must be at most {MAX_TEXT_LENGTH:,} characters after trimming (got {len(value):,})")
    bad = _FORBIDDEN_CONTROLS.search(value)
    if bad is not None:
        raise ValueError(
            f"must not contain control characters (found U+{ord(bad.group()):04X}); tabs and line breaks are fine"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it contains an unpaired surrogate)") from None
    return value


TicketText = Annotated[
    str,
    AfterValidator(clean_text),
    Field(
        min_length=1,
        max_length=MAX_TEXT_LENGTH,
        description="1 to 5,000 characters after trimming surrounding whitespace; "
        "control characters other than tab and line breaks are refused.",
    ),
]


Probability = Annotated[float, Field(ge=0, le=1)]


PhotoIds = Annotated[
    list[int],
    Field(max_length=MAX_PHOTOS, description="Photos uploaded with `POST /photos` and not yet attached (at most 3)."),
]


class TicketCreate(BaseModel):
    """A new problem report."""

    model_config = ConfigDict(extra="forbid")

    description: TicketText
    room_code: PlaceCode | SkipJsonSchema[None] = Field(default=None, description="The room, by its code.")
    place_note: PlaceNote | SkipJsonSchema[None] = None
    photo_ids: PhotoIds = []


class TicketUpdate(BaseModel):
    """A change to a ticket: at least one field; who may change what depends on the role."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    description: TicketText | SkipJsonSchema[None] = Field(
        default=None, description="New description (role `user`, open or active tickets only)."
    )
    status: Status | SkipJsonSchema[None] = Field(
        default=None, description="New status (role `helpdesk`): `open` → `active` → `closed`."
    )
    category: Category | SkipJsonSchema[None] = Field(
        default=None, description="Corrected category (role `helpdesk`); never overwritten by re-classification."
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> TicketUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one of description, status, category")
        for name in sorted(self.model_fields_set):
            if getattr(self, name) is None:
                raise ValueError(f"{name} must not be null; leave it out to keep the current value")
        return self


class TicketRead(BaseModel):
    """A ticket as the API shows it."""

    id: int
    description: str
    category: Category
    category_confidence: float = Field(ge=0, le=1, description="The classifier's confidence (1.0 when corrected).")
    category_source: CategorySource
    status: Status
    opened_at: Timestamp
    updated_at: Timestamp
    closed_at: Timestamp | None
    version: int = Field(ge=1, description='Incremented by every change; send it back as `If-Match: "<version>"`.')
    message_count: int = Field(ge=0)
    place: Place | None = Field(default=None, description="Where the problem is, when the reporter said.")
    photos: list[PhotoRef] = Field(default=[], description="The report's photos, in upload order.")
    affected_count: int = Field(
        default=1, ge=0, description="People affected: the reporter and everyone who said “This affects me too”."
    )
    follows_up: int | None = Field(default=None, description="The closed ticket this one follows up (“Still broken”).")
    followed_up_by: list[int] = Field(default=[], description="Follow-up tickets filed after this one closed.")
    email_updates: bool = Field(
        default=False, description="Someone holding a private link gets e-mail updates (the address is never shown)."
    )


class TicketPage(BaseModel):
    """One page of tickets, newest activity first."""

    items: list[TicketRead]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")


class MessageCreate(BaseModel):
    """A new message in a ticket's thread."""

    model_config = ConfigDict(extra="forbid")

    body: TicketText
    photo_ids: PhotoIds = []


class MessageRead(BaseModel):
    """A message of a ticket's thread."""

    id: int
    ticket_id: int
    author_role: Role
    body: str
    created_at: Timestamp
    photos: list[PhotoRef] = Field(default=[], description="The message's photos, in upload order.")


class MessagePage(BaseModel):
    """A ticket's thread, oldest first."""

    items: list[MessageRead]
    next_after: int | None = Field(
        default=None, description="When `limit` cut the thread short: pass as `after` to get the rest."
    )


class HistoryEvent(BaseModel):
    """One change to a ticket; `old_value` keeps what was there before."""

    id: int
    kind: EventKind
    role: Role
    at: Timestamp
    old_value: str | None
    new_value: str | None


class HistoryPage(BaseModel):
    """Every change to a ticket, oldest first."""

    items: list[HistoryEvent]


class ClassifyRequest(BaseModel):
    """A description to categorise without creating a ticket."""

    model_config = ConfigDict(extra="forbid")

    description: TicketText


class CategoryPrediction(BaseModel):
    """The category the model would assign, and how sure it is."""

    category: Category
    confidence: Probability = Field(description="The model's probability of `category`, 0..1.")
    probabilities: dict[Category, Probability] = Field(description="Every category's probability.")
    model_version: int = Field(default=1, ge=1, description="The version of the category model that answered.")


class LabelledExample(BaseModel):
    """A description from the labelled data set, close in meaning to the ticket."""

    text: str
    category: Category
    similarity: float = Field(description="Cosine similarity of meaning to the ticket, -1..1.")


class WeighingWord(BaseModel):
    """A word of the ticket and how much it pushed the prediction."""

    word: str
    weight: float = Field(description="How much the category's probability drops without this word.")


class CategoryExplanation(BaseModel):
    """Why a ticket has its category: the model's view and the evidence behind it."""

    ticket_id: int
    category: Category = Field(description="The ticket's stored category.")
    category_source: CategorySource = Field(description="`auto` (the model) or `helpdesk` (a correction).")
    category_confidence: Probability
    predicted_category: Category = Field(description="What the current model predicts from the description now.")
    predicted_confidence: Probability
    probabilities: dict[Category, Probability]
    nearest_examples: list[LabelledExample] = Field(description="The labelled examples closest in meaning.")
    influential_words: list[WeighingWord] = Field(description="The words that weighed most for the prediction.")
    model_trained_at: Timestamp
    model_version: int = Field(default=1, ge=1, description="The version of the category model that explained.")


class SimilarTicket(BaseModel):
    """An open or active ticket close in meaning to a text."""

    id: int
    description: str
    category: Category
    status: Status
    opened_at: Timestamp
    updated_at: Timestamp
    similarity: float = Field(description="Cosine similarity of meaning to the text, -1..1 (1: same meaning).")


class SimilarTicketPage(BaseModel):
    """Open and active tickets most similar to a text, most similar first."""

    items: list[SimilarTicket]
    complete: bool = Field(
        description="False for a short while after start-up, while existing tickets are still being indexed."
    )
