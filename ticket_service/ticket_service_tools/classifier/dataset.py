"""The labelled ticket descriptions the classifier is trained and evaluated on.

`python -m ticket_service_tools build-dataset` regenerates `data/tickets.jsonl`
(text, label, language, split) from the phrases in `phrases.py`:
deterministic, deduplicated, with a held-out `test` split that training never sees.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from campusdesk_common.vocabulary import CATEGORIES
from ticket_service_tools.classifier import phrases

DATA_DIR = Path(__file__).with_name("data")
DATASET_PATH = DATA_DIR / "tickets.jsonl"
LANGUAGES = ("en", "it", "es", "fr", "de")
# Share of descriptions per language: English is the campus lingua franca, the rest 44%.
LANGUAGE_WEIGHTS = {"en": 0.56, "it": 0.11, "es": 0.11, "fr": 0.11, "de": 0.11}
TEST_SHARE = 0.25


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    language: str
    split: str

    def to_json(self) -> str:
        return json.dumps(
            {"text": self.text, "label": self.label, "language": self.language, "split": self.split},
            ensure_ascii=False,
        )


def load_examples(path: Path = DATASET_PATH, split: str | None = None) -> list[Example]:
    """The examples of the data set file, optionally only one split."""
    examples = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if split is None or row["split"] == split:
                examples.append(Example(row["text"], row["label"], row["language"], row["split"]))
    return examples


# ---------- noise: how people actually type ----------


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def normalise_key(text: str) -> str:
    """Texts that differ only in case, accents or spacing count as duplicates."""
    return " ".join(_strip_accents(text).lower().split())


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.35:  # swapped neighbours
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.65:  # dropped letter
        return word[:i] + word[i + 1 :]
    if kind < 0.85:  # doubled letter
        return word[:i] + word[i] + word[i:]
    keyboard = "qwertyuiopasdfghjklzxcvbnm"
    return word[:i] + rng.choice(keyboard) + word[i + 1 :]


def add_noise(text: str, rng: random.Random) -> str:
    """Typos, lower case, missing accents and punctuation, at realistic rates."""
    words = text.split(" ")
    typo_rate = rng.choice((0.0, 0.0, 0.03, 0.06, 0.1))
    words = [_typo(w, rng) if rng.random() < typo_rate else w for w in words]
    text = " ".join(words)
    roll = rng.random()
    if roll < 0.25:
        text = text.lower()
    elif roll < 0.3:
        text = text.upper()
    if rng.random() < 0.2:
        text = _strip_accents(text)
    if rng.random() < 0.25:
        text = text.rstrip(".!")
    if rng.random() < 0.08:
        text = text.rstrip(".") + rng.choice(("!!", "!!!", "??", " :(", " asap", " pls"))
    return text


# ---------- composition ----------


def _fill(template: str, language: str, rng: random.Random) -> str:
    room = rng.choice(("A101", "B12", "C3.04", "204", "1.17", "E-015", "G2"))
    places = [place.replace("{room}", room) for place in phrases.PLACES[language]]
    return template.format(
        loc=rng.choice(places),
        loc2=rng.choice(places),
        n=rng.choice(("2", "3", "4", "5", "10", "20", "two", "three")),
        floor=rng.choice(("1", "2", "3", "4", "ground", "top")) if language == "en" else rng.choice("12345"),
        room=room,
        days=rng.choice(("2", "3", "4", "5", "10")),
    )


def compose(label: str, language: str, rng: random.Random) -> str:
    """One ticket description: a problem, maybe with an opener, a detail and a closing line."""
    problems = phrases.PROBLEMS[label][language]
    style = rng.random()
    if style < 0.18:  # terse, like a subject line
        return _fill(rng.choice(phrases.SHORT[label][language]), language, rng)
    parts: list[str] = []
    if rng.random() < 0.45:
        parts.append(rng.choice(phrases.OPENERS[language]))
    problem = _fill(rng.choice(problems), language, rng)
    parts.append(problem[0].upper() + problem[1:] if parts == [] or parts[-1].endswith((".", "!", "?")) else problem)
    extras = []
    if rng.random() < 0.5:
        extras.append(rng.choice(phrases.DETAILS[label][language]))
    if rng.random() < 0.4:
        extras.append(rng.choice(phrases.IMPACTS[language]))
    if rng.random() < 0.4:
        extras.append(rng.choice(phrases.CLOSERS[language]))
    if extras:
        # Most people end the sentence; some just keep typing.
        parts[-1] += rng.choice((".", ".", ".", "!", "", ","))
        parts += [_fill(extra, language, rng) for extra in extras]
    text = " ".join(parts)
    return text if text.endswith((".", "!", "?")) else text + "."


def generate(total: int = 1800, seed: int = 2026) -> list[Example]:
    """A balanced, deduplicated data set with a held-out test split."""
    rng = random.Random(seed)
    per_label = total // len(CATEGORIES)
    examples: list[Example] = []
    seen: set[str] = set()

    def add(text: str, label: str, language: str) -> bool:
        key = normalise_key(text)
        if key in seen:
            return False
        seen.add(key)
        split = "test" if rng.random() < TEST_SHARE else "train"
        examples.append(Example(text, label, language, split))
        return True

    # Hand-written cross-topic cases first: the labelling rules in action.
    for label, language, text in phrases.TRICKY:
        add(text, label, language)
    for label in CATEGORIES:
        have = sum(1 for e in examples if e.label == label)
        targets = {lang: round((per_label - have) * w) for lang, w in LANGUAGE_WEIGHTS.items()}
        for language, target in targets.items():
            made, attempts = 0, 0
            while made < target and attempts < target * 50:
                attempts += 1
                text = compose(label, language, rng)
                if rng.random() < 0.55:
                    text = add_noise(text, rng)
                made += add(text, label, language)
    rng.shuffle(examples)
    return examples


def summarise(examples: Iterable[Example]) -> str:
    examples = list(examples)
    by = Counter((e.split, e.label) for e in examples)
    langs = Counter(e.language for e in examples)
    non_english = sum(n for lang, n in langs.items() if lang != "en") / len(examples)
    lines = [f"{len(examples)} examples, {non_english:.0%} not in English; languages {dict(langs)}"]
    lines += [f"  {split:5} {label:20} {n}" for (split, label), n in sorted(by.items())]
    return "\n".join(lines)
