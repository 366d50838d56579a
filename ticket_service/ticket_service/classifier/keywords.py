"""A keyword-rule classifier: the baseline the trained model has to beat."""

from __future__ import annotations

import re

from ticket_service.classifier import Prediction

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "technical_it": (
        "wifi",
        "wi-fi",
        "network",
        "internet",
        "vpn",
        "password",
        "account",
        "login",
        "email",
        "e-mail",
        "moodle",
        "portal",
        "website",
        "app",
        "software",
        "licence",
        "license",
        "computer",
        "pc",
        "laptop",
        "printer",
        "scanner",
        "projector",
        "phishing",
        "mfa",
        "server",
        "ethernet",
    ),
    "facility_management": (
        "elevator",
        "lift",
        "door",
        "lock",
        "window",
        "chair",
        "desk",
        "heating",
        "radiator",
        "air conditioning",
        "ventilation",
        "water",
        "leak",
        "toilet",
        "plumbing",
        "socket",
        "light",
        "lamp",
        "cleaning",
        "trash",
        "mould",
        "mold",
        "ramp",
        "parking",
        "roof",
        "broken glass",
    ),
    "services_complaints": (
        "canteen",
        "cafeteria",
        "food",
        "meal",
        "price",
        "portion",
        "staff",
        "rude",
        "registrar",
        "fee",
        "scholarship",
        "library",
        "loan",
        "fine",
        "bus",
        "shuttle",
        "housing",
        "counselling",
        "gym",
        "sports",
        "vending",
        "opening hours",
        "queue",
    ),
}
_PATTERNS = {
    category: re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")", re.IGNORECASE)
    for category, words in _KEYWORDS.items()
}


class KeywordClassifier:
    """Counts keyword hits per category; ties and no hits fall back to facility management."""

    def predict(self, text: str) -> Prediction:
        hits = {category: len(pattern.findall(text)) for category, pattern in _PATTERNS.items()}
        total = sum(hits.values())
        if total == 0:
            return Prediction("facility_management", 0.34)
        best = max(hits, key=lambda c: hits[c])
        return Prediction(best, round(hits[best] / total, 4))
