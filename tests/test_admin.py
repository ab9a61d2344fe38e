"""Operator commands, run as an operator runs them (a process with its environment)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from complaints.classification import current_category
from complaints.db import make_engine
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.migrate import upgrade
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR
from tests.support.people import complaint_payload

ORGANIZATION = PROJECT_DIR / "samples" / "organization.toml"


def _admin(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COMPLAINTS_DATABASE_URL": url,
        "COMPLAINTS_ORGANIZATION_FILE": str(ORGANIZATION),
    }
    return subprocess.run(
        [sys.executable, "-m", "complaints.admin", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_classify_corrects_a_category_and_refuses_what_the_organization_lacks(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        complaint = service.file_complaint(
            session, ComplaintIn(**complaint_payload()), load_organization(ORGANIZATION)
        )
        reference, complaint_id = complaint.reference, complaint.id
    refused = _admin(url, "classify", reference, "gremlins", "--reason", "test")
    assert refused.returncode == 2 and "unknown category 'gremlins'" in refused.stderr
    done = _admin(url, "classify", reference, "delivery", "--reason", "box crushed", "--by", "ops")
    assert done.returncode == 0, done.stderr
    with Session(engine) as session:
        assert current_category(session, complaint_id) == "delivery"
    audit = _admin(url, "verify-audit", reference)
    assert audit.returncode == 0 and "0 with a broken chain" in audit.stdout
