"""The ticket service spells no status, role, event kind or category list of its own.

Each such list lives once, in `campusdesk_common.vocabulary`; the runtime imports it. Only the
migrations keep frozen literals, as a past revision must not change with the vocabulary.
"""

from __future__ import annotations

import ast
from pathlib import Path

from campusdesk_common import vocabulary
from ticket_service import models

# Found from a module: the package itself may resolve as a namespace when run from the repository root.
PACKAGE = Path(models.__file__).parent
WORD_LISTS = {
    "status": set(vocabulary.STATUSES),
    "role": set(vocabulary.ROLES),
    "category": set(vocabulary.CATEGORIES),
    "event kind": set(vocabulary.EVENT_KINDS),
    "category source": set(vocabulary.CATEGORY_SOURCES),
}


def _literal_word_lists(path: Path) -> list[tuple[int, set[str]]]:
    """Tuples, lists and sets of two or more string constants, and the keys of word-to-word dicts
    (labels, transitions); a dict of per-category data, such as the classifier's keywords, is not a word list."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        elements: list[ast.expr | None] = []
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            elements = list(node.elts)
        elif isinstance(node, ast.Dict) and all(
            isinstance(v, ast.Constant) and isinstance(v.value, str) for v in node.values
        ):
            elements = list(node.keys)
        words = {e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        if len(words) >= 2:
            found.append((node.lineno, words))
    return found


def test_runtime_imports_every_word_list_from_the_vocabulary() -> None:
    sources = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]
    assert len(sources) > 10
    offenders = [
        f"{path.relative_to(PACKAGE)}:{line} {concept} words {sorted(words & vocabulary_words)}"
        for path in sources
        for line, words in _literal_word_lists(path)
        for concept, vocabulary_words in WORD_LISTS.items()
        if len(words & vocabulary_words) >= 2
    ]
    assert offenders == []
