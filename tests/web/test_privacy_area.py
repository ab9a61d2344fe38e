"""A quality lead exports and erases a complainant's personal data in the reviews area;
the complainant's export link works once, only by POST; bad requests are named."""

from __future__ import annotations

import io
import re
import zipfile

from complaints.enums import Resolution
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.models import Complaint
from complaints.tokens import sign_status
from tests.support.people import complaint_payload
from tests.web.conftest import WebApp
from tests.web.test_reviews import ORG, _signed_in, area  # noqa: F401 (the fixture)

_EXPORT = re.compile(r"https?://\S+?(/privacy/export/[A-Za-z0-9_-]+)")


def test_a_lead_exports_then_erases_and_the_complainants_links_die(area: WebApp) -> None:  # noqa: F811
    payload = complaint_payload()
    email = payload["complainant"]["email"]
    with area.sessions.begin() as session:
        first, second = (service.file_complaint(session, ComplaintIn(**payload), ORG) for _ in "12")
        service.close(session, first.id, Resolution.NOT_OURS)
        references, second_id = (first.reference, second.reference), second.id
        status = sign_status(first.id, area.settings.secret_key.get_secret_value())
    with area.client() as client:
        guard = _signed_in(area, client)
        no_reason = client.post(
            "/reviews/privacy/erase", data={"guard": guard, "whose": email, "reason": ""}
        )
        assert no_reason.status_code == 422 and "请说明删除个人信息的原因" in no_reason.text
        still_open = client.post(
            "/reviews/privacy/erase",
            data={"guard": guard, "whose": references[0], "reason": "asked"},
        )
        assert still_open.status_code == 422 and references[1] in still_open.text
        nobody = client.post("/reviews/privacy/export", data={"guard": guard, "whose": "x@y.z"})
        assert nobody.status_code == 422
        unguarded = client.post("/reviews/privacy/export", data={"guard": "x", "whose": email})
        assert unguarded.status_code == 403
        made = client.post("/reviews/privacy/export", data={"guard": guard, "whose": email})
        assert made.status_code == 200
        found = _EXPORT.search(made.text)
        assert found
        link = found.group(1)
        assert client.get(link).status_code == 200  # a page, the file only by POST
        download = client.post(link)
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
        assert {n.split("/")[1] for n in names if "/" in n} == set(references)
        assert client.post(link).status_code == 404  # once
        with area.sessions.begin() as session:
            service.close(session, second_id, Resolution.NOT_OURS)
        erased = client.post(
            "/reviews/privacy/erase",
            data={"guard": guard, "whose": email, "reason": "the complainant asked"},
        )
        assert erased.status_code == 200 and "已删除：2 件投诉" in erased.text
        assert client.get(f"/status/{status}").status_code == 404
    with area.sessions() as session:
        held = session.get_one(Complaint, second_id)
        assert held.erased_at is not None and email not in held.complainant_email
