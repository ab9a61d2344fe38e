"""What a step form refuses is said in the page's language: every message a contract, a
cross-field rule, a form check or an upload check gives has its Chinese text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from complaints.enums import Locale, ProblemScope, StepKind
from complaints.files.uploads import UploadRefused
from complaints.i18n import catalog, translator
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR
from complaints.steps.contracts import ActionPlan, AssessmentDecision, plan_problems
from ui_api.forms import (
    OTHER_VALUE,
    TYPE_MESSAGES,
    UNKNOWN_PEOPLE,
    field_errors,
    in_language,
    not_in_organization,
)

_RAISED = re.compile(r'field_error\(\s*(?:"\w+"|\w+),\s*"([^"]+)"')
_SET = re.compile(r'errors\[.+\] = "([^"]+)"$', re.MULTILINE)
_RETURNED = re.compile(r'return \{"[\w-]+": "([^"]+)"\}')
UPLOAD_REFUSALS = (
    "at most %(count)s files",
    "%(name)s is empty",
    "%(name)s is larger than %(limit)s",
    "%(name)s is not a photo or PDF (allowed: %(allowed)s)",
)


def _messages_in_code() -> set[str]:
    """The refusals the contracts' checks across fields and the form checks give."""
    found: set[str] = set()
    steps = PROJECT_DIR / "complaints" / "steps"
    paths = [*steps.glob("contracts/*.py"), *steps.glob("catalogue/*.py")]
    for path in [*paths, PROJECT_DIR / "ui_api" / "forms.py"]:
        text = path.read_text(encoding="utf-8")
        found |= set(_RAISED.findall(text)) | set(_SET.findall(text))
        found |= set(_RETURNED.findall(text))
    return found


def _plan_refusals() -> set[str]:
    """What the action plan's rule for the problem's scope says, for each scope."""
    action = {"type": "corrective", "description": "x", "owner": "li-wei"}
    plan = ActionPlan.model_validate(
        {"actions": [{**action, "due_at": datetime(2026, 1, 1, tzinfo=UTC)}]}
    )
    return {m for scope in ProblemScope for m in plan_problems(plan, scope).values()}


def test_every_refusal_a_form_can_give_has_its_chinese_text() -> None:
    assert len(_messages_in_code()) >= 16  # the scan does find the contracts' messages
    assert len(_plan_refusals()) == 2
    messages = (
        _messages_in_code()
        | _plan_refusals()
        | set(TYPE_MESSAGES.values())
        | {OTHER_VALUE, UNKNOWN_PEOPLE, *UPLOAD_REFUSALS}
    )
    chinese = catalog(Locale.ZH_CN)
    assert sorted(m for m in messages if m not in chinese) == []


def _errors(data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        AssessmentDecision.model_validate(data)
    return field_errors(refused.value, {})


def test_a_refused_assessment_speaks_the_readers_language() -> None:
    errors = _errors({"ours": None, "valid": True, "grade": "complaint"})
    assert errors == {"ours": "answer this (or ask the complainant a question)"}
    assert in_language(errors, translator(Locale.ZH_CN)) == {
        "ours": "请回答此项（或先向投诉人提问）"
    }
    assert in_language(errors, translator(Locale.EN)) == errors
    meeting = datetime(2026, 1, 1, tzinfo=UTC)
    typed = _errors(
        {
            "ours": True,
            "valid": True,
            "grade": "complaint",
            "meeting_minutes": 5,
            "meeting_at": meeting,
        }
    )
    assert in_language(typed, translator(Locale.ZH_CN)) == {
        "meeting_minutes": "请输入允许范围内的数字"
    }
    people = in_language({"attendees": f"{UNKNOWN_PEOPLE} nobody"}, translator(Locale.ZH_CN))
    assert people == {"attendees": "不在组织文件中： nobody"}


def test_an_upload_refusal_reads_in_chinese() -> None:
    refused = UploadRefused("%(name)s is empty", name="photo.jpg")
    assert str(refused) == "photo.jpg is empty"
    assert translator(Locale.ZH_CN)(refused.message, **refused.values) == "photo.jpg 是空文件"


def test_the_assessment_takes_a_sub_category_the_organization_divides_a_category_into() -> None:
    org = load_organization(PROJECT_DIR / "samples" / "organization.toml")
    assert (
        not_in_organization(StepKind.ASSESSMENT, {"category": "product-defect/finish"}, org) == {}
    )
    assert not_in_organization(StepKind.ASSESSMENT, {"category": "product-defect"}, org) == {}
    for unknown in ("product-defect/rust", "delivery/late", "nothing"):
        errors = not_in_organization(StepKind.ASSESSMENT, {"category": unknown}, org)
        assert in_language(errors, translator(Locale.ZH_CN)) == {"category": "请从列表中选择类别"}
