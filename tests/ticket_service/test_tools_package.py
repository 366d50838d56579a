"""The runtime package stays apart from the offline tools: it never imports them and the image never copies them."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from ticket_service.cli import main as runtime_cli

PROJECT = Path(__file__).resolve().parents[2] / "ticket_service"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def test_the_runtime_package_imports_neither_the_tools_nor_their_dependencies() -> None:
    offline = {"ticket_service_tools", "tqdm"}
    offenders = {
        str(path.relative_to(PROJECT)): names
        for path in (PROJECT / "ticket_service").rglob("*.py")
        if (names := sorted(m for m in _imported_modules(path) if m.split(".")[0] in offline))
    }
    assert offenders == {}


def test_the_image_copies_the_runtime_package_only() -> None:
    copies = re.findall(r"^COPY\s+(.+?)\s+\S+$", (PROJECT / "Dockerfile").read_text(), re.MULTILINE)
    assert "ticket_service/ticket_service" in copies
    assert not [source for source in copies if source in {"ticket_service", "ticket_service/"} or "tools" in source]


def test_tools_dependencies_are_an_extra_not_a_runtime_dependency() -> None:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("tqdm")]
    assert [d for d in project["optional-dependencies"]["tools"] if d.startswith("tqdm")]


def test_the_service_command_no_longer_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        runtime_cli(["seed", "--tickets", "1"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'seed'" in capsys.readouterr().err
