"""Load a year of demo history and file a sample complaint against the running system
(``make demo``).

The history (1,200 complaints, clearly fake, in English and Chinese; see
scripts/history.py) is loaded once, so the first review a newcomer runs in the reviews
area has something to show.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from complaints.db import make_engine  # noqa: E402
from complaints.models import Complaint  # noqa: E402
from complaints.organization import load_organization  # noqa: E402
from complaints.settings import get_settings  # noqa: E402
from scripts.history import generate  # noqa: E402

HISTORY = 1_200

SAMPLE = {
    "complainant": {"name": "王芳", "email": "wang.fang@example.com", "locale": "zh-CN"},
    "channel": "web",
    "product": "Electric kettle K2 电水壶",
    "description": (
        "水壶使用两周后底部漏水，插座附近有水迹。The kettle leaks at the base after two weeks."
    ),
    "requested_remedy": "更换新水壶 (replace the kettle)",
}


def load_history() -> None:
    """Load the demo history unless it is there already."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        loaded = connection.scalar(
            select(Complaint.id).where(Complaint.reference.like("DEMO-%")).limit(1)
        )
    if loaded is not None:
        print("Demo history: already loaded.")
        return
    org = load_organization(settings.organization_file)
    generate(engine, org, count=HISTORY, days=365, now=datetime.now(UTC))
    print(f"Demo history: {HISTORY} fake complaints over the last year (references DEMO-...).")


def main() -> int:
    load_history()
    settings = get_settings()
    base = f"http://{settings.http_host}:{settings.http_port}"
    request = urllib.request.Request(
        f"{base}/api/complaints",
        data=json.dumps(SAMPLE).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        created = json.loads(response.read())
    print(f"Filed {created['reference']} (id {created['id']}).")
    print(f"  Complainant's status page: {created['status_url']}")
    if settings.dev_mailbox_enabled:
        print(f"  Emails (acknowledgement, handler's assessment link): {base}/dev/mailbox")
    print(f"  Its run in the Prefect UI: http://127.0.0.1:{settings.prefect_port}/runs")
    print(f"  A trend analysis of the history: {base}/reviews (quality leads sign in by email)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
