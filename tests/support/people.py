"""Complaints as people file them, with personal data unique to each test."""

from __future__ import annotations

import random
import uuid
from typing import Any


def complaint_payload(
    *, locale: str = "zh-CN", product: str = "Electric kettle K2"
) -> dict[str, Any]:
    """Return a complaint with a unique complainant (so leaks can be searched for)."""
    tag = uuid.uuid4().hex[:8]
    return {
        "complainant": {
            "name": f"王芳 Wang{tag}",
            "email": f"wang.{tag}@example.com",
            "phone": f"+86 138 {random.randint(1000, 9999)} {random.randint(1000, 9999)}",
            "locale": locale,
        },
        "channel": "web",
        "product": product,
        "description": "水壶底部漏水 <script>alert(1)</script> — leaks at the base.",
        "requested_remedy": "更换新水壶",
    }
