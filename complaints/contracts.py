"""What each waiting step receives: the contract between the flow and the web app.

The flow passes these models to ``suspend_flow_run(wait_for_input=...)``; Prefect turns
them into RunInput forms (so an operator can also resume from the Prefect UI), and the
web app posts the same fields when a handler decides through an email link.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from complaints.enums import DecisionChannel, Grade, StepKind


class StepInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    # Who resumed the run: the web app says "email_link"; left alone in the Prefect UI.
    decided_via: DecisionChannel = DecisionChannel.PREFECT_UI


class AssessmentDecision(StepInput):
    """The initial assessment (ISO 10002 7.5)."""

    ours: bool = Field(description="Is the problem ours (our product or service)?")
    valid: bool = Field(description="Is the complaint valid?")
    grade: Grade = Field(description="grumble, complaint or major complaint")
    comment: str = Field("", max_length=4000, description="Internal note")
    explanation: str = Field(
        "",
        max_length=8000,
        validate_default=True,
        description="What the complainant is told when it is not ours",
    )

    @field_validator("explanation")
    @classmethod
    def _not_ours_needs_explanation(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("ours") is False and not value:
            raise ValueError("explain to the complainant why the problem is not ours")
        return value


class ContainmentReport(StepInput):
    """The interim measures taken to contain the problem."""

    measures: str = Field(min_length=1, max_length=8000, description="Measures taken")


STEP_INPUTS: dict[StepKind, type[StepInput]] = {
    StepKind.ASSESSMENT: AssessmentDecision,
    StepKind.CONTAINMENT: ContainmentReport,
}
