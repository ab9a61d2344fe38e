"""What the answer's steps receive (ISO 10002 7.7, 7.8): the handler's draft, a quality
lead's approval, and the complainant's decision."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from complaints.steps.contracts.base import StepInput, field_error

# The parts of an answer, as drafted, approved and sent.
RESPONSE_FIELDS = ("remedy", "actions_taken", "prevention")


class ResponseDraft(StepInput):
    """The answer to the complainant (ISO 10002 7.7): the remedy, what was done, and
    what will keep it from happening again."""

    # Written to the complainant, so it may name them: kept out of Prefect.
    private_fields: ClassVar[frozenset[str]] = frozenset({"remedy", "actions_taken", "prevention"})

    remedy: str = Field(min_length=1, max_length=8000, description="The remedy offered")
    actions_taken: str = Field(min_length=1, max_length=8000, description="What was done")
    prevention: str = Field(
        min_length=1, max_length=8000, description="What will prevent it happening again"
    )


class ResponseApproval(StepInput):
    """A quality lead's approval of the answer to a major complaint (edits allowed)."""

    private_fields: ClassVar[frozenset[str]] = ResponseDraft.private_fields

    approved: bool = Field(description="Send the answer to the complainant?")
    remedy: str = Field("", max_length=8000, description="The remedy, as sent")
    actions_taken: str = Field("", max_length=8000, description="What was done, as sent")
    prevention: str = Field("", max_length=8000, description="Prevention, as sent")
    comment: str = Field("", max_length=4000, description="Why not (sent back to the handler)")

    @model_validator(mode="after")
    def _complete(self) -> ResponseApproval:
        if self.approved:
            for name in ("remedy", "actions_taken", "prevention"):
                if not getattr(self, name):
                    raise field_error(name, "the answer the complainant receives needs this")
        elif not self.comment:
            raise field_error("comment", "tell the handler why the answer is not approved")
        return self


class ResponseDecision(StepInput):
    """The complainant accepts the answer, or says why they are not satisfied."""

    private_fields: ClassVar[frozenset[str]] = frozenset({"reason"})

    accepted: bool = Field(description="Does the complainant accept the answer?")
    reason: str = Field("", max_length=8000, description="Why not (the complainant's words)")

    @model_validator(mode="after")
    def _complete(self) -> ResponseDecision:
        if not self.accepted and not self.reason:
            raise field_error("reason", "tell us what is still wrong")
        return self
