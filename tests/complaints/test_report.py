"""The incident report: every section from the record, in both languages, kept once, mailed."""

from __future__ import annotations

import asyncio
import html
import io
import re
import stat
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints import repository
from complaints.actions import service as action_service
from complaints.enums import (
    ActionType,
    DecisionChannel,
    EventKind,
    Grade,
    IshikawaCategory,
    Locale,
    MeasureType,
    MeetingPurpose,
    OutboxStatus,
    ProblemScope,
    Stage,
    StepKind,
)
from complaints.files.uploads import open_attachment, store_uploads, stored_path
from complaints.i18n import catalog
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.mail import outbox
from complaints.mail.contexts import IncidentReportContext
from complaints.mail.emails import render_email
from complaints.meetings import service as meeting_service
from complaints.models import Attachment, Complaint, Event, OutboxMessage, Step, utcnow
from complaints.ops.run_view import run_view
from complaints.organization import parse_organization
from complaints.report.mail import send_incident_report
from complaints.report.service import IncidentReport, keep_incident_report, render_incident_report
from complaints.report.view import SECTIONS
from complaints.settings import PROJECT_DIR, Settings
from complaints.steps import decisions, opening
from complaints.steps.catalogue import spec_of
from complaints.steps.catalogue.corrective import ACTION, ActionRefs
from complaints.steps.catalogue.spec import Source
from complaints.steps.contracts import (
    ActionPlan,
    ActionReport,
    AnalysisPlan,
    AssessmentDecision,
    CauseAnalysis,
    ContainmentMinutes,
    InterimMeasure,
    MeasureReport,
    PlannedAction,
    StepInput,
)
from devtools.mailbox import DevMailbox
from tests.support.people import complaint_payload
from tests.support.processes import free_port
from ui_api.app import create_app
from ui_api.links import file_url

SAMPLE = (PROJECT_DIR / "samples" / "organization.toml").read_text(encoding="utf-8")
# Two quality leads, one reading Chinese and one English.
ORG = parse_organization(
    SAMPLE.replace('leads = ["zhang-min"]', 'leads = ["zhang-min", "tom-hughes"]')
)
SECRET = "report-test-secret"
ROOT_CAUSE = "The seal supplier changed the rubber compound of batch 2611 (密封圈材料变更)"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(upload_dir=tmp_path / "uploads")


def _decide(
    session: Session,
    complaint: Complaint,
    kind: StepKind,
    key: str,
    decision: StepInput,
    *,
    refs: dict[str, str | int] | None = None,
) -> uuid.UUID:
    """Open a step the way the flow does and record its assignee's decision."""
    spec, source = spec_of(kind), Source(session, complaint, ORG)
    details = spec.details(source, spec.refs.model_validate(refs or {}))
    opened = opening.open_step(
        session,
        complaint,
        kind=kind,
        key=key,
        assignee=spec.assignee(source, details),
        due_at=utcnow() + timedelta(days=2),
        secret=SECRET,
        link_grace=timedelta(hours=1),
        details=details.model_dump(mode="json", exclude_defaults=True),
    )
    step = opened.step
    assert decisions.record_decision(
        session, step, decision, decided_by=step.assignee, channel=DecisionChannel.EMAIL_LINK
    )
    return step.id


def _convene(
    session: Session, complaint: Complaint, purpose: MeetingPurpose, organizer: str
) -> None:
    meeting_service.convene(
        session,
        complaint,
        purpose=purpose,
        organizer=organizer,
        attendees=["wang-jun", "anna-berg"],
        starts_at=utcnow() + timedelta(hours=3),
        minutes=60,
        location="会议室 3 / Room 3",
        uid_domain="complaints.test",
    )


def _filed(sessions: sessionmaker[Session]) -> uuid.UUID:
    with sessions.begin() as session:
        return service.file_complaint(session, ComplaintIn(**complaint_payload()), ORG).id


def _corrected(sessions: sessionmaker[Session], settings: Settings) -> uuid.UUID:
    """A complaint taken through every step, each action reported done."""
    complaint_id = _filed(sessions)
    soon = utcnow() + timedelta(days=1)
    with sessions.begin() as session:
        complaint = service.require_complaint(session, complaint_id)
        store_uploads(
            session,
            complaint_id=complaint_id,
            step_id=None,
            uploaded_by="complainant",
            files=[("leak-photo.jpg", JPEG)],
            settings=settings,
        )
        assessment = AssessmentDecision(
            ours=True,
            valid=True,
            grade=Grade.MAJOR_COMPLAINT,
            safety_relevant=True,
            immediate_action="Stopped shipping batch 2611",
            meeting_at=soon,
        )
        _decide(session, complaint, StepKind.ASSESSMENT, "assessment-1", assessment)
        _convene(session, complaint, MeetingPurpose.CONTAINMENT, "li-wei")
        minutes = ContainmentMinutes(
            summary="Leaks at the base of batch 2611; customers get a new kettle.",
            measures=[
                InterimMeasure(
                    type=MeasureType.EXCHANGE,
                    description="为顾客更换新水壶",
                    owner="anna-berg",
                    due_at=soon,
                ),
                InterimMeasure(
                    type=MeasureType.RECALL,
                    description="Hold batch 2611 in the warehouse",
                    owner="li-wei",
                    due_at=soon,
                ),
            ],
            analysis=AnalysisPlan(
                analyst="wang-jun", due_at=soon, scope="底座密封圈", method="5-Why, pressure test"
            ),
        )
        _decide(session, complaint, StepKind.CONTAINMENT, "containment-1", minutes)
        for index in range(2):
            refs: dict[str, str | int] = {"minutes_step": "containment-1", "index": index}
            report = MeasureReport(note=f"Measure {index + 1} done")
            _decide(session, complaint, StepKind.MEASURE, f"measure-{index + 1}", report, refs=refs)
        analysis = CauseAnalysis(
            whys=[
                "底座漏水",
                "Seal ring hardened",
                "Compound changed",
                "No incoming test",
                "流程缺失",
            ],
            root_cause=ROOT_CAUSE,
            category=IshikawaCategory.MATERIAL,
            scope=ProblemScope.SYSTEMIC,
            affected_batches="2611-2614",
            meeting_at=soon,
        )
        refs = {"minutes_step": "containment-1"}
        _decide(
            session, complaint, StepKind.CAUSE_ANALYSIS, "cause-analysis-1", analysis, refs=refs
        )
        _convene(session, complaint, MeetingPurpose.ROOT_CAUSE, "li-wei")
        plan = ActionPlan(
            summary="Notify the customers of batches 2611-2614; change the seal supplier.",
            actions=[
                PlannedAction(
                    type=ActionType.NOTIFY_CUSTOMERS,
                    description="Write to every buyer of batches 2611-2614",
                    owner="anna-berg",
                    due_at=soon,
                ),
                PlannedAction(
                    type=ActionType.CORRECTIVE,
                    description="更换密封圈供应商并加严进货检验",
                    owner="tom-hughes",
                    due_at=soon,
                ),
            ],
        )
        _decide(session, complaint, StepKind.ACTION_PLAN, "action-plan-1", plan)
    for index in range(2):
        key = f"action-{index + 1}"
        with sessions.begin() as session:
            complaint = service.require_complaint(session, complaint_id)
            refs = ActionRefs(plan_step="action-plan-1", index=index)
            details = ACTION.details(Source(session, complaint, ORG), refs)
            opened = opening.open_step(
                session,
                complaint,
                kind=StepKind.ACTION,
                key=key,
                assignee=details.owner,
                due_at=soon,
                secret=SECRET,
                link_grace=timedelta(hours=1),
                details=details.model_dump(mode="json", exclude_defaults=True),
            )
            action_service.report_progress(
                session, opened.step, f"进展 {index + 1}: 供应商审核", by="tom-hughes"
            )
            evidence = store_uploads(
                session,
                complaint_id=complaint_id,
                step_id=opened.step.id,
                uploaded_by=opened.step.assignee,
                files=[(f"seal-test-report-{index + 1}.pdf", PDF)],
                settings=settings,
            )
            done = ActionReport(note=f"Action {index + 1} done", evidence=[evidence[0].id])
            decisions.record_decision(
                session,
                opened.step,
                done,
                decided_by=opened.step.assignee,
                channel=DecisionChannel.EMAIL_LINK,
            )
    return complaint_id


def _rendered(
    sessions: sessionmaker[Session], complaint_id: uuid.UUID, locale: Locale
) -> IncidentReport:
    with sessions() as session:
        complaint = service.require_complaint(session, complaint_id)
        return render_incident_report(session, complaint, ORG, locale)


def _squeezed(text: str) -> str:
    # pypdf reads this font's text back with a NUL or space between glyphs, and with
    # breaks where lines wrapped.
    return re.sub(r"[\s\x00]+", "", text)


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return _squeezed("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def _html_text(page: str) -> str:
    return _squeezed(html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.parametrize("locale", list(Locale))
def test_the_report_shows_every_section_and_the_key_facts_in_html_and_pdf(
    locale: Locale, sessions: sessionmaker[Session], settings: Settings
) -> None:
    complaint_id = _corrected(sessions, settings)
    report = _rendered(sessions, complaint_id, locale)
    with sessions() as session:
        complaint = service.require_complaint(session, complaint_id)
        reference, email, name = (
            complaint.reference,
            complaint.complainant_email,
            complaint.complainant_name,
        )
        phone = complaint.complainant_phone or ""
    messages = catalog(locale)
    headings = [messages[f"report.section.{key}"] for key in SECTIONS]
    facts = [
        messages["report.title"],
        reference,
        ROOT_CAUSE,
        "Tom Hughes",  # an action's owner, by name
        "seal-test-report-2.pdf",  # evidence
        "leak-photo.jpg",
        "水壶底部漏水",  # the description, in Chinese
        "更换密封圈供应商并加严进货检验",  # an action
        "为顾客更换新水壶",  # an interim measure
        "Compoundchanged",  # a why of the chain
        "进展2:供应商审核",  # a progress note
        "会议室3/Room3",  # a meeting
    ]
    for shown in (_pdf_text(report.pdf), _html_text(report.html)):
        for text in [*headings, *facts]:
            assert _squeezed(text) in shown, text
        # The complainant is not named, and no message was left untranslated.
        for private in (email, name, phone):
            assert _squeezed(private) not in shown
        assert "report." not in shown
    assert "<script>" not in report.html and "&lt;script&gt;" in report.html
    zone = "（Asia/Shanghai）" if locale is Locale.ZH_CN else "(Asia/Shanghai)"
    assert zone in report.html


def test_sections_without_a_record_say_none(sessions: sessionmaker[Session]) -> None:
    complaint_id = _filed(sessions)
    for locale in Locale:
        report = _rendered(sessions, complaint_id, locale)
        none = catalog(locale)["report.none"]
        # Containment, cause, actions and evidence have nothing yet; the timeline has the receipt.
        assert report.html.count(f'<p class="none">{none}</p>') == 4
        assert _pdf_text(report.pdf).count(_squeezed(none)) == 4


def test_the_report_is_kept_once_per_language_as_files_of_the_complaint(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    complaint_id = _corrected(sessions, settings)
    kept = []
    for _ in range(2):
        with sessions.begin() as session:
            complaint = service.require_complaint(session, complaint_id)
            kept.append(keep_incident_report(session, complaint, ORG, settings, Locale.ZH_CN))
    assert [a.id for a in kept[0]] == [a.id for a in kept[1]]
    with sessions() as session:
        reports = session.scalars(
            select(Attachment).where(
                Attachment.complaint_id == complaint_id, Attachment.uploaded_by == "system"
            )
        ).all()
        assert sorted((a.filename, a.content_type, a.step_id) for a in reports) == [
            (f"incident-report-{complaint.reference}-zh-CN.html", "text/html", None),
            (f"incident-report-{complaint.reference}-zh-CN.pdf", "application/pdf", None),
        ]
        for attachment in reports:
            assert stat.S_IMODE(stored_path(settings, attachment.id).stat().st_mode) == 0o600
            data = open_attachment(settings, attachment)  # checked against its sha256
            assert len(data) == attachment.size
        pdf, page = kept[0]
        assert "根本原因" in _pdf_text(open_attachment(settings, pdf))
        assert open_attachment(settings, page).decode("utf-8").startswith("<!DOCTYPE html>")


def _send(
    sessions: sessionmaker[Session], complaint_id: uuid.UUID, settings: Settings
) -> list[uuid.UUID]:
    with sessions.begin() as session:
        complaint = service.require_complaint(session, complaint_id)
        return [m.id for m in send_incident_report(session, complaint, ORG, settings)]


def _deliver(
    sessions: sessionmaker[Session], settings: Settings, ids: list[uuid.UUID], box_dir: Path
) -> tuple[outbox.DeliveryReport, DevMailbox]:
    port = free_port()
    box = DevMailbox(box_dir, port=port)
    box.start()
    try:
        smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        return asyncio.run(outbox.deliver(sessions, smtp, ids)), box
    finally:
        box.stop()


def test_each_quality_lead_receives_the_stored_report_in_their_language(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    complaint_id = _corrected(sessions, settings)
    ids = _send(sessions, complaint_id, settings)
    assert _send(sessions, complaint_id, settings) == ids and len(ids) == 2
    with sessions() as session:
        rows = {r.recipient: r for r in (session.get_one(OutboxMessage, i) for i in ids)}
        # The rows name the stored files; the bytes are read when the mail is sent.
        for row in rows.values():
            assert all("text" not in item and "attachment_id" in item for item in row.attachments)
        files = {
            a.id: open_attachment(settings, a)
            for item in rows["zhang.min@acme.example"].attachments
            if (a := session.get_one(Attachment, uuid.UUID(item["attachment_id"])))
        }
    report, box = _deliver(sessions, settings, ids, tmp_path / "box")
    assert sorted(report.sent) == sorted(ids)
    received = {m.to: m for m in box.store.messages()}
    chinese = next(m for to, m in received.items() if "zhang.min@acme.example" in to)
    english = next(m for to, m in received.items() if "tom.hughes@acme.example" in to)
    with sessions() as session:
        reference = service.require_complaint(session, complaint_id).reference
    assert chinese.subject == f"事故处理报告 {reference}"
    assert english.subject == f"Incident report {reference}"
    assert "尊敬的Zhang Min" in chinese.part("plain") and ROOT_CAUSE in chinese.part("plain")
    assert "Dear Tom Hughes" in english.part("plain")
    attached = {a.get_content_type(): a for a in chinese.message.iter_attachments()}
    assert set(attached) == {"application/pdf", "text/html"}
    pdf = attached["application/pdf"]
    assert pdf.get_filename() == f"incident-report-{reference}-zh-CN.pdf"
    assert pdf.get_payload(decode=True) in files.values()
    assert _pdf_text(pdf.get_payload(decode=True)).count(_squeezed("事故处理报告")) >= 1
    english_pdf = next(
        a for a in english.message.iter_attachments() if a.get_content_type() == "application/pdf"
    )
    assert english_pdf.get_filename() == f"incident-report-{reference}-en.pdf"
    assert "Incidentreport" in _pdf_text(english_pdf.get_payload(decode=True))


def test_a_report_altered_on_disk_is_refused_at_send_time(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    complaint_id = _corrected(sessions, settings)
    ids = _send(sessions, complaint_id, settings)
    with sessions() as session:
        row = session.get_one(OutboxMessage, ids[0])
        pdf_id = uuid.UUID(
            next(i for i in row.attachments if i["content_type"] == "application/pdf")[
                "attachment_id"
            ]
        )
    path = stored_path(settings, pdf_id)
    path.write_bytes(path.read_bytes().replace(b"%PDF-", b"%PDF-\n% altered\n", 1))
    report, box = _deliver(sessions, settings, [ids[0]], tmp_path / "box")
    assert report.failed == [ids[0]] and report.sent == []
    assert box.store.messages() == []
    with sessions() as session:
        row = session.get_one(OutboxMessage, ids[0])
        assert row.status is OutboxStatus.FAILED
        assert row.last_error is not None and "altered" in row.last_error


def test_a_later_action_plan_makes_a_report_of_its_own(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    complaint_id = _corrected(sessions, settings)
    with sessions.begin() as session:
        complaint = service.require_complaint(session, complaint_id)
        first = keep_incident_report(session, complaint, ORG, settings, Locale.EN)
        again = ActionPlan(
            actions=[
                PlannedAction(
                    type=ActionType.PREVENTIVE,
                    description="Hardness test of every incoming seal lot",
                    owner="maria-lopez",
                    due_at=utcnow() + timedelta(days=5),
                )
            ]
        )
        _decide(session, complaint, StepKind.ACTION_PLAN, "action-plan-2", again)
        session.refresh(complaint)
        second = keep_incident_report(session, complaint, ORG, settings, Locale.EN)
        reference = complaint.reference
        pdf = open_attachment(settings, second[0])
    assert [a.filename for a in first] == [
        f"incident-report-{reference}-en.pdf",
        f"incident-report-{reference}-en.html",
    ]
    assert [a.filename for a in second] == [
        f"incident-report-{reference}-r2-en.pdf",
        f"incident-report-{reference}-r2-en.html",
    ]
    # The later report shows the later plan's action, not yet started.
    text = _pdf_text(pdf)
    assert _squeezed("Hardness test of every incoming seal lot") in text
    assert "MariaLopez" in text and "Notstarted" in text


def test_a_stored_html_report_is_served_as_a_download_never_as_a_page(
    database_url: str, sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    app_settings = settings.model_copy(
        update={
            "database_url": database_url,
            "organization_file": PROJECT_DIR / "samples" / "organization.toml",
            "mailbox_dir": tmp_path / "mailbox",
        }
    )
    complaint_id = _filed(sessions)
    secret = app_settings.secret_key.get_secret_value()
    with sessions.begin() as session:
        complaint = service.require_complaint(session, complaint_id)
        _pdf, page = keep_incident_report(session, complaint, ORG, app_settings, Locale.EN)
        opened = opening.open_step(
            session,
            complaint,
            kind=StepKind.ASSESSMENT,
            key="assessment-1",
            assignee="zhang-min",
            due_at=utcnow() + timedelta(days=1),
            secret=secret,
            link_grace=timedelta(hours=1),
        )
        assert opened.token is not None
    # Not entered as a context: the app's background loop (runs, mail) stays off.
    client = TestClient(create_app(app_settings))
    response = client.get(file_url(opened.token, page.id))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("locale", list(Locale))
def test_the_report_email_renders_in_both_languages_safely(locale: Locale) -> None:
    hostile = '<script>alert("x")</script>\r\nBcc: victim@example.com'
    context = IncidentReportContext(
        reference="C-2026-000042",
        recipient_name=hostile,
        organization="Acme",
        product=hostile,
        root_cause=hostile,
        issued_at=datetime(2026, 11, 21, 8, 30, tzinfo=UTC),
        attachments=["incident-report-C-2026-000042-en.pdf"],
    )
    email = render_email(context, locale=locale, zone=ZoneInfo("Asia/Shanghai"))
    title = catalog(locale)["report.title"]
    assert email.subject == f"{title} C-2026-000042"
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html
    for part in (email.text, email.html):
        assert "16:30" in part and "incident-report-C-2026-000042-en.pdf" in part
        assert "report." not in part.replace("incident-report-", "")


def test_issuing_the_report_is_an_event_operators_see_once_per_report(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    complaint_id = _corrected(sessions, settings)
    with sessions.begin() as session:
        complaint = service.require_complaint(session, complaint_id)
        seen = complaint.published_seq
        keep_incident_report(session, complaint, ORG, settings, Locale.EN)
        keep_incident_report(session, complaint, ORG, settings, Locale.EN)  # kept: no event
        keep_incident_report(session, complaint, ORG, settings, Locale.ZH_CN)
        reference = complaint.reference
        view = run_view(session, complaint, ORG, at_key="response-1", after_seq=seen, now=utcnow())
        issued = session.scalars(
            select(Event).where(
                Event.complaint_id == complaint_id, Event.kind == EventKind.REPORT_ISSUED.value
            )
        ).all()
    assert [e.data["language"] for e in issued] == ["en", "zh-CN"]
    shown = [e for e in view.events if e.name == "complaint.report.issued"]
    # In the complaint's Event Feed: which report and which language, nothing of its content.
    assert [e.payload for e in shown] == [
        {"key": f"incident-report-{reference}", "language": "en", "seq": issued[0].seq},
        {"key": f"incident-report-{reference}", "language": "zh-CN", "seq": issued[1].seq},
    ]


def test_the_run_shows_a_new_progress_only_when_the_stage_moves(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id = _filed(sessions)
    with sessions.begin() as session:
        complaint = service.require_complaint(session, complaint_id)
        first = run_view(session, complaint, ORG, at_key="assessment-1", after_seq=0, now=utcnow())
        same = run_view(
            session, complaint, ORG, at_key="assessment-2", after_seq=first.last_seq, now=utcnow()
        )
        service.move_to_stage(session, complaint_id, Stage.CONTAINMENT)
        moved = run_view(
            session, complaint, ORG, at_key="containment-1", after_seq=same.last_seq, now=utcnow()
        )
    # A run's first view shows where it stands; a step within the stage adds no version.
    assert first.progress_moved and not same.progress_moved and moved.progress_moved
    assert first.progress == same.progress < moved.progress


def test_a_replay_reads_only_the_decisions_its_run_has_taken_at_once(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id = _filed(sessions)
    assessment = AssessmentDecision(
        ours=False, valid=False, grade=Grade.GRUMBLE, explanation="Not one of our kettles."
    )
    with sessions.begin() as session:
        complaint = service.require_complaint(session, complaint_id)
        step_id = _decide(session, complaint, StepKind.ASSESSMENT, "assessment-1", assessment)
        # Decided through a link, not yet taken by the run: it reads this step on its own.
        assert repository.settled_decisions(session, complaint_id) == {}
        step = session.get(Step, step_id)
        assert step is not None
        decisions.mark_applied(session, step)
        settled = repository.settled_decisions(session, complaint_id)
    assert settled == {"assessment-1": assessment.model_dump(mode="json", exclude={"decided_via"})}
