"""Where trained models live: the one shipped with the code, and retrained ones in the model directory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ticket_service.database import is_sqlite, sync_database_url
from ticket_service.settings import Settings

PACKAGED_MODEL = Path(__file__).with_name("data") / "model.npz"
RETRAINED_GLOB = "category-model-*.npz"


def model_dir(settings: Settings) -> Path:
    """The configured model directory, else next to the SQLite file, else ./var."""
    if settings.model_dir:
        return Path(settings.model_dir)
    if is_sqlite(settings.database_url):
        path = sync_database_url(settings.database_url).split("sqlite:///", 1)[-1]
        if path and path != ":memory:":
            return Path(path).parent / "models"
    return Path.cwd() / "var" / "models"


def newest_model_path(settings: Settings) -> Path:
    """The newest retrained model, or the packaged one when there is none yet."""
    retrained = sorted(model_dir(settings).glob(RETRAINED_GLOB))
    return retrained[-1] if retrained else PACKAGED_MODEL


def new_model_path(settings: Settings) -> Path:
    """A fresh file name that sorts after every earlier model."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return model_dir(settings) / f"category-model-{stamp}.npz"
