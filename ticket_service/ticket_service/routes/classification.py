"""Classification routes: category preview, why a ticket has its category, and possible duplicates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from campusdesk_common.contracts.tickets import (
    CategoryExplanation,
    CategoryPrediction,
    ClassifyRequest,
    LabelledExample,
    SimilarTicket,
    SimilarTicketPage,
    WeighingWord,
)
from campusdesk_common.problems import ServiceUnavailable, problem_responses
from ticket_service.classifier.service import TrainedClassifier
from ticket_service.classifier.similarity import similar_tickets as similar_index
from ticket_service.dependencies import (
    ClassifierDep,
    ModelWorkersDep,
    ReadableTicketDep,
    ReadConnectionDep,
    RoleDep,
)
from ticket_service.models import Ticket

router = APIRouter(tags=["classification"])


def _trained(classifier: object) -> TrainedClassifier:
    if not isinstance(classifier, TrainedClassifier):
        raise ServiceUnavailable("The category model is not loaded (the service fell back to keyword rules).")
    return classifier


@router.post("/classify", response_model=CategoryPrediction, responses=problem_responses(400, 413, 422, 503))
async def classify(
    payload: ClassifyRequest, role: RoleDep, classifier: ClassifierDep, workers: ModelWorkersDep, request: Request
) -> CategoryPrediction:
    """Preview the category a description would get, without creating a ticket."""
    trained = _trained(classifier)
    similar_index(request.app, trained)  # someone is reporting: have possible duplicates ready
    model, probabilities = await workers.run(trained.probabilities, payload.description)
    best = int(probabilities.argmax())
    return CategoryPrediction(
        category=model.labels[best],
        confidence=round(float(probabilities[best]), 4),
        probabilities={label: round(float(p), 4) for label, p in zip(model.labels, probabilities, strict=True)},
        model_version=model.version,
    )


@router.get("/tickets/similar", response_model=SimilarTicketPage, responses=problem_responses(400, 422, 503))
async def similar_tickets(
    request: Request,
    role: RoleDep,
    classifier: ClassifierDep,
    workers: ModelWorkersDep,
    connection: ReadConnectionDep,
    q: Annotated[str, Query(min_length=1, max_length=5000, description="The text to compare, e.g. a draft.")],
    limit: Annotated[int, Query(ge=1, le=20, description="How many tickets, 1..20.")] = 3,
) -> SimilarTicketPage:
    """Open and active tickets most similar in meaning to a text: possible duplicates."""
    trained = _trained(classifier)
    index = similar_index(request.app, trained)
    complete = await index.refresh(connection)
    vectors = await workers.run(trained.embed, [q.strip() or q])
    hits = index.search(vectors[0], limit)
    rows = await _tickets_by_id(connection, [ticket_id for ticket_id, _ in hits])
    items = [
        SimilarTicket(**rows[ticket_id], similarity=score)
        for ticket_id, score in hits
        if ticket_id in rows and rows[ticket_id]["status"] != "closed"  # closed since the refresh: never shown
    ]
    return SimilarTicketPage(items=items, complete=complete)


async def _tickets_by_id(connection: Any, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    columns = (Ticket.id, Ticket.description, Ticket.category, Ticket.status, Ticket.opened_at, Ticket.updated_at)
    result = await connection.execute(select(*columns).where(Ticket.id.in_(ids)))
    return {row["id"]: dict(row) for row in result.mappings()}


@router.get(
    "/tickets/{ticket_id}/category-explanation",
    response_model=CategoryExplanation,
    responses=problem_responses(400, 404, 422, 503),
)
async def category_explanation(
    ticket: ReadableTicketDep, classifier: ClassifierDep, workers: ModelWorkersDep
) -> CategoryExplanation:
    """Why a ticket has its category: nearest labelled examples and the words that weighed most."""
    evidence = await workers.run(_trained(classifier).explain, ticket["description"])
    return CategoryExplanation(
        ticket_id=ticket["id"],
        category=ticket["category"],
        category_source=ticket["category_source"],
        category_confidence=ticket["category_confidence"],
        predicted_category=evidence["category"],
        predicted_confidence=evidence["confidence"],
        probabilities=evidence["probabilities"],
        nearest_examples=[LabelledExample(**e) for e in evidence["nearest_examples"]],
        influential_words=[WeighingWord(**w) for w in evidence["influential_words"]],
        model_trained_at=evidence["model_trained_at"],
        model_version=evidence["model_version"],
    )
