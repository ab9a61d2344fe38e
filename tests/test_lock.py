"""The install is the one the lock and prefect.yaml describe."""

from __future__ import annotations

import re
from importlib.metadata import version

from complaints.settings import PROJECT_DIR


def _locked(package: str) -> str:
    lock = (PROJECT_DIR / "requirements.lock").read_text()
    found = re.search(rf"^{re.escape(package)}==(\S+)", lock, flags=re.MULTILINE)
    assert found, f"{package} is not in requirements.lock"
    return found.group(1)


def test_the_prefect_of_prefect_yaml_is_the_locked_and_installed_one() -> None:
    declared = re.search(
        r"^prefect-version:\s*(\S+)", (PROJECT_DIR / "prefect.yaml").read_text(), re.MULTILINE
    )
    assert declared, "prefect.yaml names no prefect-version"
    assert declared.group(1) == version("prefect") == _locked("prefect")


def test_the_installed_packages_are_the_locked_ones() -> None:
    for package in ("fastapi", "sqlalchemy", "pydantic", "uvicorn", "aiosmtplib", "httpx"):
        assert version(package) == _locked(package), package
