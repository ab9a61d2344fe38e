"""Operator commands, run as an operator runs them (a process with its environment)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.classification import current_category
from complaints.db import make_engine
from complaints.enums import Resolution
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.migrate import upgrade
from complaints.models import Complaint, DataExport, ShippedVolume
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


def test_volumes_keeps_units_shipped_and_refuses_a_bad_file_by_its_lines(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    upgrade(url)
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text("product_family,month,units\nkitchen,March,10\n")
    good.write_text("product_family,month,units\nkitchen,2025-03,40000\n")
    refused = _admin(url, "volumes", str(bad))
    assert refused.returncode == 2 and "bad.csv:2: the month must read YYYY-MM" in refused.stderr
    kept = _admin(url, "volumes", str(good), "--by", "zhang-min")
    assert kept.returncode == 0 and "1 family-months" in kept.stdout
    with Session(make_engine(url)) as session:
        row = session.scalars(select(ShippedVolume)).one()
    assert (row.product_family, row.month, row.units, row.recorded_by) == (
        "kitchen",
        "2025-03",
        40000,
        "zhang-min",
    )


def test_erase_and_export_by_email_refuse_an_open_complaint_then_act_and_show_in_the_trail(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    upgrade(url)
    engine = make_engine(url)
    payload = complaint_payload()
    email = payload["complainant"]["email"]
    with Session(engine) as session, session.begin():
        complaint = service.file_complaint(
            session, ComplaintIn(**payload), load_organization(ORGANIZATION)
        )
        reference, complaint_id = complaint.reference, complaint.id
    export = _admin(url, "export", "--email", email, "--by", "zhang-min")
    assert export.returncode == 0 and "/privacy/export/" in export.stdout, export.stderr
    refused = _admin(url, "erase", "--email", email, "--reason", "asked")
    assert (
        refused.returncode == 2 and f"close these first (or --close): {reference}" in refused.stderr
    )
    with Session(engine) as session, session.begin():
        service.close(session, complaint_id, Resolution.NOT_OURS)
    done = _admin(url, "erase", "--reference", reference, "--reason", "asked", "--by", "zhang-min")
    assert done.returncode == 0 and f"1 complaints erased ({reference})" in done.stdout
    with Session(engine) as session:
        held = session.get_one(Complaint, complaint_id)
        assert email not in held.complainant_email and held.erased_at is not None
        assert session.scalars(select(DataExport)).all() == []  # its export went too
    audit = _admin(url, "verify-audit", reference)
    assert audit.returncode == 0 and "0 with a broken chain" in audit.stdout
    assert "texts erased" in audit.stdout and "by zhang-min: asked" in audit.stdout
    again = _admin(url, "erase", "--email", email, "--reason", "asked")
    assert again.returncode == 2


def test_api_keys_are_issued_once_listed_and_revoked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    upgrade(url)
    issued = _admin(url, "api-key", "create", "webshop")
    assert issued.returncode == 0
    key = issued.stdout.splitlines()[0]
    assert len(key) >= 40 and "shown once" in issued.stdout
    assert _admin(url, "api-key", "create", "webshop").returncode == 2  # one per integration
    listed = _admin(url, "api-key", "list")
    assert "webshop" in listed.stdout and "in force" in listed.stdout and key not in listed.stdout
    assert _admin(url, "api-key", "revoke", "webshop").returncode == 0
    assert "revoked" in _admin(url, "api-key", "list").stdout
    assert _admin(url, "api-key", "revoke", "webshop").returncode == 2
