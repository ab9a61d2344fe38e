"""What the warm worker's forkserver loads once, so that no run's process loads it again.

Imported (only) by the forkserver, after the flows. Each run's process is a fork of it,
so everything here is already in memory when a run starts: the modules that Prefect's
engine and our tasks import on first use (the database driver, the task engine), the
ORM's mapper configuration and database dialects, the compiled email and report
templates, Prefect's models that complete themselves on first use, and the TLS context
of Prefect's clients.
Nothing here opens a connection: a fork must not share one with its parent.
"""

from __future__ import annotations

import importlib
import ssl
from typing import TYPE_CHECKING

import certifi
from prefect.settings import PREFECT_API_SSL_CERT_FILE
from pydantic import BaseModel
from sqlalchemy import create_engine
from sqlalchemy.orm import configure_mappers

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, StrOrBytesPath

import prefect.flow_engine  # noqa: F401  (what Prefect's models refer to)

import complaints.models  # noqa: F401  (the mappers to configure)
from complaints.templating import environment

# Imported lazily by Prefect's engine or SQLAlchemy when a run first needs them.
FIRST_USE_MODULES = [
    "prefect.task_engine",
    "prefect._internal.states",
    "prefect.concurrency.services",
    "prefect.concurrency._asyncio",
    "prefect.concurrency._sync",
    "prefect.utilities.visualization",
    "psycopg",
    "sqlalchemy.dialects.postgresql.psycopg",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "encodings.idna",
    "anyio._backends._asyncio",  # anyio's backend, at a run's first ``anyio`` call
    "rich._emoji_codes",  # the table Prefect's console log handler renders through
]
# The database dialects a run's engine will use, set up once (an engine connects lazily).
DIALECTS = ["postgresql+psycopg://", "sqlite://"]
# Prefect's models with forward references build their validators on first use.
MODEL_MODULES = [
    "prefect.client.schemas.objects",
    "prefect.client.schemas.actions",
    "prefect.client.schemas.responses",
    "prefect.context",
    "prefect.events.schemas.events",
]


def share_certificate_contexts() -> None:
    """Build the TLS context of Prefect's CA bundle once, not once per Prefect client.

    Every Prefect client (the engine makes several per run, and one per task run) builds
    ``ssl.create_default_context(cafile=<its CA bundle>)``: about 25 ms of CPU to parse
    the bundle each time, even for an ``http://`` API. Contexts for that bundle alone
    are built once here and shared; a context is safe to share between connections, and
    Prefect configures these no further. Every other call is left as it was.
    """
    create = ssl.create_default_context
    bundle = PREFECT_API_SSL_CERT_FILE.value() or certifi.where()
    # Built here, in the forkserver: a context first built in a run's process would be
    # built again in every other.
    shared = {ssl.Purpose.SERVER_AUTH: create(ssl.Purpose.SERVER_AUTH, cafile=bundle)}

    def create_default_context(
        purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH,
        *,
        cafile: StrOrBytesPath | None = None,
        capath: StrOrBytesPath | None = None,
        cadata: str | ReadableBuffer | None = None,
    ) -> ssl.SSLContext:
        if cafile != bundle or capath is not None or cadata is not None:
            return create(purpose, cafile=cafile, capath=capath, cadata=cadata)
        if purpose not in shared:
            shared[purpose] = create(purpose, cafile=cafile)
        return shared[purpose]

    ssl.create_default_context = create_default_context


def warm_up() -> None:
    """Load what every run would otherwise load for itself."""
    for name in FIRST_USE_MODULES:
        importlib.import_module(name)
    for url in DIALECTS:  # loaded and initialized; no engine is kept, none connects
        create_engine(url).dispose()
    configure_mappers()
    templates = environment()
    for name in templates.list_templates(
        filter_func=lambda name: name.startswith(("email/", "report/"))
    ):
        templates.get_template(name)
    for name in MODEL_MODULES:
        for value in vars(importlib.import_module(name)).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == name
                and not value.__pydantic_complete__
            ):
                value.model_rebuild(raise_errors=False)
    share_certificate_contexts()


warm_up()
