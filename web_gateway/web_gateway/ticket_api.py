"""The ticket service's API as the gateway uses it, on behalf of one role.

Every call carries the person's role (`X-Role`) and returns the ticket service's
contract models (`campusdesk_common.contracts.tickets`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from campusdesk_common.contracts.links import (
    PRIVATE_LINK_HEADER,
    EmailSubscription,
    FixAnswerCreate,
    FixAnswerRead,
    LinkedTickets,
    LinkLookup,
    LinkState,
    PrivateLink,
    SeenUpdate,
    TicketCreated,
    Unsubscribe,
    Unsubscribed,
)
from campusdesk_common.contracts.places import (
    DirectoryPreview,
    DirectoryReplaced,
    DirectoryUpload,
    PhotoRef,
    PlaceDirectory,
    Room,
    RoomMatches,
)
from campusdesk_common.contracts.tickets import (
    CategoryExplanation,
    CategoryPrediction,
    ClassifyRequest,
    HistoryEvent,
    HistoryPage,
    MessageCreate,
    MessagePage,
    MessageRead,
    SimilarTicket,
    SimilarTicketPage,
    TicketCreate,
    TicketPage,
    TicketRead,
    TicketUpdate,
)
from campusdesk_common.http_client import UpstreamClient
from campusdesk_common.vocabulary import Role
from web_gateway.upstream import Answer, Recovery, UpstreamUnavailable, call, call_recovering, send

SIMILAR_SHOWN = 3
ROOMS_SUGGESTED = 10
# What a photo may be served as: the ticket service re-encodes every photo to one of these.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


@dataclass(frozen=True)
class PhotoBytes:
    """A photo (or its thumbnail) as the ticket service served it."""

    content: bytes
    content_type: str


class TicketApi:
    """Calls to the ticket service for one role; failures raise `web_gateway.upstream` problems."""

    def __init__(self, client: UpstreamClient, role: Role, recovery: Recovery | None = None) -> None:
        self.client = client
        self.role = role
        self.headers: dict[str, str] = {"X-Role": role}
        self.recovery = recovery or Recovery()

    def _idempotent(self, submission_key: str | None) -> dict[str, str]:
        # The form's one-time key: a double click or a browser retry of the same form creates nothing new.
        if submission_key is None:
            return self.headers
        return {**self.headers, "Idempotency-Key": f"{self.role}-{submission_key}"}

    async def search(self, params: list[tuple[str, str]]) -> TicketPage:
        return await call(self.client, "GET", "/tickets", TicketPage, params=params, headers=self.headers)

    async def get(self, ticket_id: int) -> TicketRead:
        return await call(self.client, "GET", f"/tickets/{ticket_id}", TicketRead, headers=self.headers)

    async def _post_once(self, path: str, model: type[Answer], body: BaseModel, submission_key: str | None) -> Answer:
        """A form's POST; with its one-time key, a send that got no answer is re-sent until one comes.

        A timeout or a dropped connection does not say whether the ticket service stored the
        write; the same key makes re-sending safe and its answer says what happened.
        """
        json = body.model_dump(mode="json")
        if submission_key is None:
            return await call(self.client, "POST", path, model, json=json, headers=self.headers)
        headers = self._idempotent(submission_key)
        return await call_recovering(
            self.client, self.recovery, "POST", path, model, json=json, headers=headers, retry=True
        )

    async def create(self, new: TicketCreate, submission_key: str | None) -> TicketCreated:
        return await self._post_once("/tickets", TicketCreated, new, submission_key)

    async def follow(self, ticket_id: int, submission_key: str | None) -> PrivateLink:
        """ "This affects me too": a private link of its own to someone else's ticket."""
        path = f"/tickets/{ticket_id}/followers"
        return await self._post_once(path, PrivateLink, _NO_BODY, submission_key)

    async def lookup(self, tokens: list[str]) -> LinkedTickets:
        """The tickets of a browser's private links (unknown or revoked ones are left out)."""
        if not tokens:
            return LinkedTickets(items=[])
        body = LinkLookup(tokens=tokens).model_dump(mode="json")
        return await call(self.client, "POST", "/links/lookup", LinkedTickets, json=body, headers=self.headers)

    async def unsubscribe(self, token: str) -> Unsubscribed:
        body = Unsubscribe(token=token).model_dump(mode="json")
        return await call(self.client, "POST", "/unsubscribe", Unsubscribed, json=body, headers=self.headers)

    async def update(self, ticket_id: int, changes: TicketUpdate, version: int) -> TicketRead:
        headers = {**self.headers, "If-Match": f'"{version}"'}
        body = changes.model_dump(mode="json", exclude_unset=True)
        return await call(self.client, "PATCH", f"/tickets/{ticket_id}", TicketRead, json=body, headers=headers)

    async def messages(self, ticket_id: int, after: int | None = None) -> list[MessageRead]:
        params = {"after": str(after)} if after is not None else None
        path = f"/tickets/{ticket_id}/messages"
        return (await call(self.client, "GET", path, MessagePage, params=params, headers=self.headers)).items

    async def post_message(self, ticket_id: int, message: MessageCreate, submission_key: str | None) -> MessageRead:
        return await self._post_once(f"/tickets/{ticket_id}/messages", MessageRead, message, submission_key)

    async def history(self, ticket_id: int) -> list[HistoryEvent]:
        path = f"/tickets/{ticket_id}/history"
        return (await call(self.client, "GET", path, HistoryPage, headers=self.headers)).items

    async def explanation(self, ticket_id: int) -> CategoryExplanation:
        path = f"/tickets/{ticket_id}/category-explanation"
        return await call(self.client, "GET", path, CategoryExplanation, headers=self.headers)

    async def similar(self, text: str) -> list[SimilarTicket]:
        params = {"q": text, "limit": str(SIMILAR_SHOWN)}
        return (
            await call(self.client, "GET", "/tickets/similar", SimilarTicketPage, params=params, headers=self.headers)
        ).items

    async def classify(self, text: str) -> CategoryPrediction:
        body = ClassifyRequest(description=text).model_dump(mode="json")
        return await call(
            self.client, "POST", "/classify", CategoryPrediction, json=body, headers=self.headers, retry=True
        )

    async def directory(self) -> PlaceDirectory:
        return await call(self.client, "GET", "/places", PlaceDirectory, headers=self.headers)

    async def rooms(self, text: str, limit: int = ROOMS_SUGGESTED) -> list[Room]:
        params = {"q": text, "limit": str(limit)}
        return (await call(self.client, "GET", "/places/rooms", RoomMatches, params=params, headers=self.headers)).items

    async def preview_directory(self, csv: str) -> DirectoryPreview:
        body = DirectoryUpload(csv=csv).model_dump(mode="json")
        return await call(self.client, "POST", "/places/preview", DirectoryPreview, json=body, headers=self.headers)

    async def replace_directory(self, csv: str) -> DirectoryReplaced:
        body = DirectoryUpload(csv=csv).model_dump(mode="json")
        return await call(self.client, "PUT", "/places", DirectoryReplaced, json=body, headers=self.headers)

    async def upload_photo(self, content: bytes, key: str | None) -> PhotoRef:
        """Store one photo's bytes (the ticket service decodes and re-encodes them); its id goes with the form."""
        headers = {**self._idempotent(key), "Content-Type": "application/octet-stream"}
        return await call(self.client, "POST", "/photos", PhotoRef, content=content, headers=headers)

    async def photo(self, photo_id: int, *, thumbnail: bool = False) -> PhotoBytes:
        """A photo's bytes, only when this role may see its ticket (else `NotFound`)."""
        path = f"/photos/{photo_id}" + ("/thumbnail" if thumbnail else "")
        response = await send(self.client, "GET", path, headers=self.headers)
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in PHOTO_TYPES:
            raise UpstreamUnavailable(f"The {self.client.name} served a photo that is not an image; it is not shown.")
        return PhotoBytes(response.content, content_type)


class _NoBody(BaseModel):
    """An empty JSON object: the follow request says everything in its path."""


_NO_BODY = _NoBody()


class LinkApi(TicketApi):
    """The ticket service on behalf of whoever holds one private link: a simple user plus `X-Private-Link`.

    Every `TicketApi` call made through it (the ticket, its thread, history, photos, edits and
    messages) carries the token, so a closed ticket stays readable to its link holder. The token
    travels only in that header, never in an API path.
    """

    def __init__(self, client: UpstreamClient, token: str, recovery: Recovery | None = None) -> None:
        super().__init__(client, "user", recovery)
        self.token = token
        self.headers = {**self.headers, PRIVATE_LINK_HEADER: token}

    async def state(self) -> LinkState:
        return await call(self.client, "GET", "/links/self", LinkState, headers=self.headers)

    async def mark_seen(self, message_id: int) -> LinkState:
        body = SeenUpdate(message_id=message_id).model_dump(mode="json")
        return await call(self.client, "PUT", "/links/self/seen", LinkState, json=body, headers=self.headers)

    async def answer_fix(self, answer: FixAnswerCreate, submission_key: str | None) -> FixAnswerRead:
        return await self._post_once("/links/self/fix-answer", FixAnswerRead, answer, submission_key)

    async def subscribe(self, email: str) -> LinkState:
        body = EmailSubscription(email=email).model_dump(mode="json")
        return await call(self.client, "PUT", "/links/self/email", LinkState, json=body, headers=self.headers)

    async def stop_email(self) -> LinkState:
        return await call(self.client, "DELETE", "/links/self/email", LinkState, headers=self.headers)
