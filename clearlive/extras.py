"""Optional parts of the install and the commands that need them.

The core install (`pip install clearlive`) scans, lints, scores and reports. The rest comes as
extras, imported only where used, so a missing one fails with a message that names it:

| extra | brings | needed by |
|---|---|---|
| `serve` | FastAPI, uvicorn, python-multipart | `clearlive serve` |
| `postgres` | psycopg, SQLAlchemy, Alembic | a PostgreSQL store (`--db postgresql://...`), `worker` |
| `redis` | redis | the service's Redis Streams workers (`serve --workers N`, `worker`) |
| `spark` | PySpark, pandas | `clearlive scan --engine spark`, `score --engine spark`, `spark-stream` |
| `train` | scikit-learn, skops | `clearlive train ...`, `clearlive eval`, `scan --model` (a trained abuse model) |
| `audio` | faster-whisper, PyAV, the Whisper base model | audio and video inputs, `clearlive transcribe` |
| `encoder` | the offline sentence encoder | `clearlive train encoder`, `scan --encoder-model` |
"""

from __future__ import annotations

import importlib
from types import ModuleType

from clearlive.errors import MissingExtraError

# The extra each optional top-level module comes from (pyproject.toml's optional-dependencies).
EXTRA_OF = {
    "fastapi": "serve",
    "uvicorn": "serve",
    "multipart": "serve",
    "psycopg": "postgres",
    "sqlalchemy": "postgres",
    "alembic": "postgres",
    "redis": "redis",
    "pyspark": "spark",
    "pandas": "spark",
    "sklearn": "train",
    "skops": "train",
}


def require(extra: str, what: str, *modules: str) -> None:
    """Raise MissingExtraError naming `extra` unless every module in `modules` imports."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise MissingExtraError(extra, what, exc.name or name) from None


def load(module: str, what: str, extra: str | None = None) -> ModuleType:
    """Import `module`; when it (or what it needs) is missing, name the extra that brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = (exc.name or module).split(".")[0]
        chosen = extra or EXTRA_OF.get(top)
        if chosen is None:
            raise
        raise MissingExtraError(chosen, what, exc.name or module) from None
