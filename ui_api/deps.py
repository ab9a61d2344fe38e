"""Request dependencies: settings, organization, one database session per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from complaints.organization import Organization, load_organization
from complaints.settings import Settings
from ui_api.background.loop import BackgroundLoop


# The cheap dependencies are coroutines: FastAPI runs a plain function in a worker thread,
# and a hop there and back costs more than reading an attribute.
async def get_settings(request: Request) -> Settings:
    """Return the app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_organization(request: Request) -> Organization:
    """Return the organization file's contents (read once per process)."""
    settings: Settings = request.app.state.settings
    return load_organization(settings.organization_file)


async def get_background(request: Request) -> BackgroundLoop:
    """Return the component that starts and resumes runs."""
    background: BackgroundLoop = request.app.state.background
    return background


def get_db(request: Request) -> Iterator[Session]:
    """Open the request's session; commit at the end unless the route failed."""
    session: Session = request.app.state.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def client_addr(request: Request) -> str | None:
    """Return the client's address, for the audit trail of human actions."""
    return request.client.host if request.client else None


SettingsDep = Annotated[Settings, Depends(get_settings)]
OrganizationDep = Annotated[Organization, Depends(get_organization)]
BackgroundDep = Annotated[BackgroundLoop, Depends(get_background)]
DbDep = Annotated[Session, Depends(get_db)]
