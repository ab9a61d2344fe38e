"""File a sample complaint against the running system (``make demo``)."""

from __future__ import annotations

import json
import sys
import urllib.request

from complaints.settings import get_settings

SAMPLE = {
    "complainant": {"name": "王芳", "email": "wang.fang@example.com", "locale": "zh-CN"},
    "channel": "web",
    "product": "Electric kettle K2 电水壶",
    "description": (
        "水壶使用两周后底部漏水，插座附近有水迹。The kettle leaks at the base after two weeks."
    ),
    "requested_remedy": "更换新水壶 (replace the kettle)",
}


def main() -> int:
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
