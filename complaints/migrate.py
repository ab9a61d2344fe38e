"""Apply the Alembic migrations (``python -m complaints.migrate``)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from complaints.settings import PROJECT_DIR, get_settings


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    """Bring the database to the newest schema (or to ``revision``)."""
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.attributes["database_url"] = database_url or get_settings().database_url
    config.attributes["configure_logger"] = False
    url = config.attributes["database_url"]
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(config, revision)


if __name__ == "__main__":
    upgrade()
