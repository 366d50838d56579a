"""FastAPI dependencies of the ticket routes: the caller's role, the database, ticket lookups.

The unit of work is the write transaction: it begins on first use, commits
before the response is sent (a 201 is durable), and rolls back on any error.
On SQLite it begins with `BEGIN IMMEDIATE` behind a per-app lock, so writers
queue fairly instead of failing to upgrade a read lock ("database is locked").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from campusdesk_common.contracts.links import PRIVATE_LINK_HEADER
from campusdesk_common.problems import BadRequest, InvalidInput, ServiceUnavailable
from campusdesk_common.vocabulary import Role
from ticket_service import domain, links, repository, tokens
from ticket_service.classifier import CategoryClassifier, Prediction
from ticket_service.classifier.workers import ModelWorkers

logger = logging.getLogger(__name__)

MAX_ID = 2**63 - 1
_DATABASE_DOWN = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, OSError, TimeoutError)


def is_database_unavailable(error: BaseException) -> bool:
    """Errors that mean "the database cannot answer right now" (503), not a bug (500)."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, _DATABASE_DOWN)


def _unavailable(error: BaseException) -> ServiceUnavailable:
    logger.warning("database unavailable: %s: %s", type(error).__name__, error)
    return ServiceUnavailable("The ticket database is not answering right now; try again in a few seconds.")


class TicketRoute(APIRoute):
    """Refuses a body that is not UTF-8 with a 422 (FastAPI alone would answer 400)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            if request.method in ("POST", "PATCH", "PUT"):
                try:
                    (await request.body()).decode("utf-8")
                except UnicodeDecodeError as error:
                    raise InvalidInput(
                        f"The request body is not valid UTF-8 (bad byte at position {error.start}); "
                        "send JSON encoded as UTF-8."
                    ) from None
            return await handler(request)

        return checked


async def _role(
    request: Request,
    x_role: Annotated[str | None, Header(description="`user` or `helpdesk`; anything else is a 400.")] = None,
) -> Role:
    # Two X-Role headers are ambiguous: a proxy may read the other one.
    if len(request.headers.getlist("x-role")) > 1:
        raise BadRequest("Send exactly one X-Role header.", slug="missing-or-unknown-role")
    return domain.parse_role(x_role)


RoleDep = Annotated[Role, Depends(_role)]
TicketId = Annotated[int, Path(ge=1, le=MAX_ID, description="The ticket's id.")]


async def _if_match(
    if_match: Annotated[
        str | None, Header(description='`"<version>"` from the ETag: the change applies only to that version.')
    ] = None,
) -> list[int | None] | None:
    return domain.parse_if_match(if_match)


IfMatchDep = Annotated[list[int | None] | None, Depends(_if_match)]

IdempotencyKeyDep = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Any unique string (e.g. a UUID): a retry with the same key returns the first answer "
        "and creates nothing new.",
    ),
]


async def _classifier(request: Request) -> CategoryClassifier:
    classifier: CategoryClassifier = request.app.state.classifier
    return classifier


ClassifierDep = Annotated[CategoryClassifier, Depends(_classifier)]


async def _model_workers(request: Request) -> ModelWorkers:
    workers: ModelWorkers = request.app.state.model_workers
    return workers


ModelWorkersDep = Annotated[ModelWorkers, Depends(_model_workers)]
Predict = Callable[[str], Awaitable[Prediction]]


async def _predict(classifier: ClassifierDep, workers: ModelWorkersDep) -> Predict:
    """The category of a text, worked out in the model threads while the event loop serves others."""

    async def predict(text: str) -> Prediction:
        return await workers.run(classifier.predict, text)

    return predict


PredictDep = Annotated[Predict, Depends(_predict)]


class _DatabaseAccess:
    """Per-app objects derived from the engine: a read-only autocommit view and the SQLite writer lock."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        # Reads run in autocommit: one round trip instead of BEGIN + SELECT + ROLLBACK.
        self.autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.writer_lock = asyncio.Lock() if self.is_sqlite else None


async def database_access(request: Request) -> _DatabaseAccess:
    state = request.app.state
    engine: AsyncEngine = state.engine
    access: _DatabaseAccess | None = getattr(state, "ticket_database_access", None)
    if access is None or access.engine is not engine:
        access = _DatabaseAccess(engine)
        state.ticket_database_access = access
    return access


class UnitOfWork:
    """One write transaction, begun on first use; hooks run once it has committed."""

    def __init__(self, access: _DatabaseAccess) -> None:
        self._access = access
        self._connection: AsyncConnection | None = None
        self._locked = False
        self._after_commit: list[Callable[[], Awaitable[None]]] = []

    async def connection(self) -> AsyncConnection:
        if self._connection is not None:
            return self._connection
        access = self._access
        if access.writer_lock is not None:
            await access.writer_lock.acquire()
            self._locked = True
            self._connection = await access.autocommit.connect()
            await self._connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            self._connection = await access.engine.connect()
        return self._connection

    def after_commit(self, hook: Callable[[], Awaitable[None]]) -> None:
        self._after_commit.append(hook)

    async def commit(self) -> None:
        if self._connection is None:
            return
        if self._access.is_sqlite:
            await self._connection.exec_driver_sql("COMMIT")
        else:
            await self._connection.commit()

    async def rollback(self) -> None:
        if self._connection is None:
            return
        with contextlib.suppress(Exception):  # the connection may be the thing that broke
            if self._access.is_sqlite:
                await self._connection.exec_driver_sql("ROLLBACK")
            else:
                await self._connection.rollback()

    async def close(self) -> None:
        try:
            if self._connection is not None:
                with contextlib.suppress(Exception):
                    await self._connection.close()
        finally:
            self._connection = None
            if self._locked and self._access.writer_lock is not None:
                self._access.writer_lock.release()
                self._locked = False

    async def run_after_commit(self) -> None:
        for hook in self._after_commit:
            try:
                await hook()
            except Exception:  # the change is committed; a failing side task must not turn it into an error
                logger.exception("after-commit hook failed")


async def _unit_of_work(access: Annotated[_DatabaseAccess, Depends(database_access)]) -> AsyncIterator[UnitOfWork]:
    uow = UnitOfWork(access)
    try:
        yield uow
        await uow.commit()
    except BaseException as error:
        await uow.rollback()
        if isinstance(error, Exception) and is_database_unavailable(error):
            raise _unavailable(error) from error
        raise
    finally:
        await uow.close()
    await uow.run_after_commit()


# scope="function": the transaction commits before the response is sent, not after.
UnitOfWorkDep = Annotated[UnitOfWork, Depends(_unit_of_work, scope="function")]


async def _read_connection(
    access: Annotated[_DatabaseAccess, Depends(database_access)],
) -> AsyncIterator[AsyncConnection]:
    try:
        async with access.autocommit.connect() as connection:
            yield connection
    except Exception as error:
        if is_database_unavailable(error):
            raise _unavailable(error) from error
        raise


ReadConnectionDep = Annotated[AsyncConnection, Depends(_read_connection, scope="function")]


async def _private_link(
    request: Request,
    token: Annotated[
        str | None,
        Header(
            alias=PRIVATE_LINK_HEADER,
            description="A private link's token: opens that ticket in any status. A wrong or revoked token, "
            "or one of another ticket, is the same 404 as a ticket that does not exist.",
        ),
    ] = None,
) -> str | None:
    # Two headers are ambiguous (a proxy may read the other one): a token that opens nothing.
    if len(request.headers.getlist(PRIVATE_LINK_HEADER)) > 1:
        return ""
    return token


# The token of the X-Private-Link header; "" (matches nothing) when it was sent twice; None when absent.
PrivateLinkDep = Annotated[str | None, Depends(_private_link)]


async def _link_secret(request: Request) -> bytes:
    return tokens.app_secret(request.app.state)


LinkSecretDep = Annotated[bytes, Depends(_link_secret)]


async def _readable_ticket(
    ticket_id: TicketId, role: RoleDep, connection: ReadConnectionDep, private_link: PrivateLinkDep
) -> RowMapping:
    """The ticket, or 404 when it does not exist or the role may not see it.

    With a private link, the ticket in any status when the link opens it; otherwise the same 404.
    """
    if private_link is not None:
        by_link = await links.ticket_by_token(connection, ticket_id, private_link)
        if by_link is None:
            raise domain.no_such_ticket(ticket_id)
        return by_link
    ticket = await repository.get_ticket(connection, ticket_id)
    domain.ensure_visible(role, ticket_id, None if ticket is None else ticket["status"])
    assert ticket is not None
    return ticket


ReadableTicketDep = Annotated[RowMapping, Depends(_readable_ticket)]
