"""The incident report's sections, put together from a complaint's steps and records.

Each step's decision is read as its contract (``complaints.steps.contracts``); a kind
decided in several rounds counts with its latest decision. Nothing the complainant
wrote besides the complaint itself (answers, their name, their contact) is shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TypeVar

from complaints.enums import EventKind, StepKind, StepStatus
from complaints.files.uploads import human_size
from complaints.models import Attachment, Complaint, Event, Meeting, Step
from complaints.report.view import Block, Fact, Facts, Reader
from complaints.steps.catalogue import details_of
from complaints.steps.catalogue.corrective import ACTION
from complaints.steps.catalogue.root_cause import CAUSE_ANALYSIS
from complaints.steps.contracts import (
    ActionPlan,
    ActionReport,
    AssessmentDecision,
    CauseAnalysis,
    ContainmentMinutes,
    InterimMeasure,
    PlannedAction,
    StepInput,
)
from complaints.steps.history import decision_of

C = TypeVar("C", bound=StepInput)

# Attachment id (as text) -> file name, for the evidence a report or decision names.
FileNames = Mapping[str, str]
# The key of the first action plan (the flow's step key of its first round).
FIRST_PLAN = "action-plan-1"


def latest_decided(steps: Sequence[Step], kind: StepKind) -> Step | None:
    """Return the latest decided step of a kind: the round that counts."""
    decided = [s for s in steps if s.kind is kind and s.decision is not None and s.decided_at]
    return max(decided, key=lambda s: s.decided_at or s.opened_at, default=None)


def _decided(step: Step | None, contract: type[C]) -> C | None:
    return decision_of(step, contract) if step is not None and step.decision else None


def _items_of(steps: Sequence[Step], kind: StepKind, listed_by: Step | None) -> dict[int, Step]:
    """Return the steps of the items a decision listed (its measures, actions) by index."""
    if listed_by is None:
        return {}
    found = {}
    for step in (s for s in steps if s.kind is kind):
        index = details_of(step).index
        if index is None:
            continue  # not a listed item (e.g. an improvement a dissatisfied survey asked for)
        # Action steps name their plan; those from before they did came from the first.
        if kind is StepKind.ACTION and (ACTION.details_of(step).plan_step or FIRST_PLAN) != (
            listed_by.key
        ):
            continue
        found[index] = step
    return found


def _files(ids: Sequence[uuid.UUID], names: FileNames) -> str:
    return ", ".join(names.get(str(i), str(i)) for i in ids)


def complaint_blocks(reader: Reader, complaint: Complaint, steps: Sequence[Step]) -> list[Block]:
    """Return what was complained about, and how it was assessed."""
    department = reader.org.departments.get(complaint.department)
    grade = complaint.grade.value if complaint.grade else ""
    about = reader.facts(
        "",
        [
            ("reference", complaint.reference),
            ("product", complaint.product),
            ("channel", reader.label(complaint.channel.value, complaint.channel.value)),
            ("received", reader.when(complaint.received_at)),
            ("occurred", reader.when(complaint.occurred_at)),
            ("department", department.name if department else complaint.department),
            ("handler", reader.name(complaint.handler)),
            ("grade", reader.label(grade, grade)),
            ("safety_relevant", reader.yes_no(complaint.safety_relevant)),
            ("description", complaint.description),
            ("requested_remedy", complaint.requested_remedy),
        ],
    )
    step = latest_decided(steps, StepKind.ASSESSMENT)
    decision = _decided(step, AssessmentDecision)
    assessment = reader.facts(
        reader.text("assessment"),
        [
            ("ours", reader.yes_no(decision.ours) if decision else ""),
            ("valid", reader.yes_no(decision.valid) if decision else ""),
            ("immediate_action", decision.immediate_action if decision else ""),
            ("comment", decision.comment if decision else ""),
            ("decided_by", reader.name(step.decided_by) if step else ""),
            ("decided_at", reader.when(step.decided_at) if step else ""),
        ],
    )
    return [about, assessment]


def meeting_block(reader: Reader, title: str, meeting: Meeting | None) -> Facts:
    """Return when and where a meeting was held, and who was invited."""
    if meeting is None:
        return Facts(title, ())
    return reader.facts(
        title,
        [
            ("meeting_at", reader.when(meeting.starts_at)),
            ("location", meeting.location),
            ("organizer", reader.name(meeting.organizer)),
            ("attendees", ", ".join(reader.name(key) for key in meeting.attendees)),
        ],
    )


def _item(
    reader: Reader, planned: InterimMeasure | PlannedAction, step: Step | None, names: FileNames
) -> list[tuple[str, str]]:
    """Return the facts of one measure or action: as planned, then as it went."""
    done = step if step and step.status is StepStatus.DECIDED else None
    # A measure's report and an action's read alike: a note and the evidence.
    report = _decided(done, ActionReport)
    status = step.status.value if step else "not_started"
    return [
        ("what", planned.description),
        ("owner", reader.name(step.assignee if step else planned.owner)),
        ("due", reader.when(step.due_at if step else planned.due_at)),
        ("status", reader.text(f"status.{status}")),
        ("done_at", reader.when(done.decided_at) if done else ""),
        ("report_note", report.note if report else ""),
        ("evidence_files", _files(report.evidence, names) if report else ""),
    ]


def containment_blocks(
    reader: Reader, steps: Sequence[Step], meeting: Meeting | None, names: FileNames
) -> list[Block]:
    """Return the urgent meeting, its minutes, and each interim measure as it went."""
    minutes_step = latest_decided(steps, StepKind.CONTAINMENT)
    minutes = _decided(minutes_step, ContainmentMinutes)
    blocks: list[Block] = [
        meeting_block(reader, reader.text("containment_meeting"), meeting),
        reader.facts(
            reader.text("minutes"),
            [
                ("summary", minutes.summary if minutes else ""),
                ("decided_by", reader.name(minutes_step.decided_by if minutes_step else None)),
                ("decided_at", reader.when(minutes_step.decided_at if minutes_step else None)),
            ],
        ),
    ]
    measure_steps = _items_of(steps, StepKind.MEASURE, minutes_step)
    for index, measure in enumerate(minutes.measures if minutes else []):
        kind = reader.label(f"measure.{measure.type}", measure.type.value)
        title = f"{reader.text('measure')} {index + 1} · {kind}"
        pairs = _item(reader, measure, measure_steps.get(index), names)
        blocks.append(reader.facts(title, pairs))
    return blocks


def cause_blocks(reader: Reader, steps: Sequence[Step], names: FileNames) -> list[Block]:
    """Return the root cause: its 5-Why chain, category, scope and what it affects."""
    step = latest_decided(steps, StepKind.CAUSE_ANALYSIS)
    if step is None:
        return []
    analysis = decision_of(step, CauseAnalysis)
    category, scope = analysis.category.value, analysis.scope.value
    whys = enumerate(analysis.whys, 1)
    chain = Facts(reader.text("whys"), tuple(Fact(f"{reader.text('why')} {n}", w) for n, w in whys))
    return [
        reader.facts(
            "",
            [
                ("root_cause", analysis.root_cause),
                ("category", reader.label(f"ishikawa.{category}", category)),
                ("scope", reader.label(f"scope.{scope}", scope)),
                ("affected_batches", analysis.affected_batches),
                ("affected_period", analysis.affected_period),
                ("method", CAUSE_ANALYSIS.details_of(step).method),
                ("analyst", reader.name(step.decided_by)),
                ("decided_at", reader.when(step.decided_at)),
                ("evidence_files", _files(analysis.evidence, names)),
            ],
        ),
        chain,
    ]


def actions_blocks(
    reader: Reader,
    steps: Sequence[Step],
    meeting: Meeting | None,
    events: Sequence[Event],
    names: FileNames,
) -> list[Block]:
    """Return the root-cause meeting, its action plan, and each action as it went."""
    plan_step = latest_decided(steps, StepKind.ACTION_PLAN)
    plan = _decided(plan_step, ActionPlan)
    decided_at = reader.when(plan_step.decided_at if plan_step else None)
    blocks: list[Block] = [
        meeting_block(reader, reader.text("root_cause_meeting"), meeting),
        reader.facts(
            reader.text("action_plan"),
            [
                ("summary", plan.summary if plan else ""),
                ("decided_by", reader.name(plan_step.decided_by if plan_step else None)),
                ("decided_at", decided_at),
            ],
        ),
    ]
    action_steps = _items_of(steps, StepKind.ACTION, plan_step)
    for index, action in enumerate(plan.actions if plan else []):
        kind = reader.label(f"action.{action.type}", action.type.value)
        title = f"{reader.text('action')} {index + 1} · {kind}"
        step = action_steps.get(index)
        pairs = _item(reader, action, step, names)
        pairs.insert(3, ("decided_at", decided_at))
        pairs.append(("progress", _progress(reader, step, events)))
        blocks.append(reader.facts(title, pairs))
    return blocks


def _progress(reader: Reader, step: Step | None, events: Sequence[Event]) -> str:
    """Return an action's progress notes, one a line, with when and by whom."""
    if step is None:
        return ""
    notes = [
        f"{reader.when(e.at)} · {reader.name(e.actor)}: {e.data.get('note', '')}"
        for e in events
        if e.kind == EventKind.ACTION_PROGRESS and (e.data or {}).get("key") == step.key
    ]
    return "\n".join(notes)


def evidence_blocks(reader: Reader, files: Sequence[Attachment]) -> list[Block]:
    """Return the files kept with the complaint, each with its checksum."""
    rows = [
        (
            a.filename,
            a.content_type,
            human_size(a.size),
            reader.name(a.uploaded_by),
            reader.when(a.uploaded_at),
            a.sha256[:12],
        )
        for a in files
    ]
    columns = ("file", "type", "size", "uploaded_by", "uploaded_at", "sha256")
    return [reader.table(columns, rows)]


def timeline_blocks(reader: Reader, events: Sequence[Event]) -> list[Block]:
    """Return the complaint's audit trail in order."""
    rows = [
        (
            reader.when(e.at),
            _event_label(reader, e),
            reader.name(e.actor),
            reader.label(f"via.{e.channel}", e.channel),
        )
        for e in events
    ]
    return [reader.table(("at", "event", "actor", "via"), rows)]


def _event_label(reader: Reader, event: Event) -> str:
    # Of an event's data only the kind of step is shown: a decision's data can hold
    # what the complainant wrote.
    label = reader.label(f"event.{event.kind}", event.kind)
    step_kind = (event.data or {}).get("kind")
    if event.kind.startswith("step.") and isinstance(step_kind, str):
        return f"{label} · {reader.label(f'step.{step_kind}', step_kind)}"
    return label
