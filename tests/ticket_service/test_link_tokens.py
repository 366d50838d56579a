"""Private link tokens: derived from the install's key, the same in every worker, never guessable from the id."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from campusdesk_common.contracts.links import TOKEN_PATTERN
from ticket_service import tokens
from ticket_service.settings import Settings


def test_workers_starting_together_agree_on_one_per_install_key(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: tokens.load_secret(settings), range(16)))
    assert len(keys) == 1 and len(keys.pop()) >= 48
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["ticket_service_link_secret"]
    assert (tmp_path / "var" / "ticket_service_link_secret").stat().st_mode & 0o077 == 0


def test_the_configured_secret_wins_and_no_file_is_written(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, link_secret="configured secret")  # type: ignore[arg-type]
    assert tokens.load_secret(settings) == b"configured secret"
    assert list(tmp_path.iterdir()) == []


def test_tokens_depend_on_key_purpose_and_id() -> None:
    token = tokens.link_token(b"k", 1)
    assert re.fullmatch(TOKEN_PATTERN, token)
    assert token == tokens.derive(b"k", "link", 1)
    others = {tokens.link_token(b"k", 2), tokens.link_token(b"other", 1), tokens.derive(b"k", "unsubscribe", 1)}
    assert token not in others and len(others) == 3
    assert tokens.token_hash(token) != token and len(tokens.token_hash(token)) == 64
