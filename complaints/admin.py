"""Operator commands: ``python -m complaints.admin <command>`` (verify-audit, mail, classify,
volumes, erase, export)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from complaints import repository
from complaints.audit import erasures_of, first_broken_link
from complaints.classification import CorrectionRefused, correct_category
from complaints.db import session_scope
from complaints.enums import Locale, OutboxStatus, Stage
from complaints.i18n import translator
from complaints.intake import api_keys
from complaints.models import Complaint, OutboxMessage, utcnow
from complaints.organization import load_organization
from complaints.privacy.erasure import Erased, complaints_of, erase_complaint
from complaints.privacy.exports import make_export
from complaints.reviews.volumes import VolumesRefused, parse_volumes, record_volumes
from complaints.settings import get_settings


def verify_audit(references: Sequence[str]) -> int:
    """Verify the audit chain of the given (or all) complaints; print the first broken link."""
    broken = 0
    with session_scope() as session:
        query = select(Complaint).order_by(Complaint.received_at)
        if references:
            query = query.where(Complaint.reference.in_(references))
        complaints = session.scalars(query).all()
        for complaint in complaints:
            seq = first_broken_link(session, complaint.id)
            if seq is not None:
                broken += 1
                print(f"{complaint.reference}: chain broken at event #{seq}")
            for erasure in erasures_of(session, complaint.id):
                print(
                    f"{complaint.reference}: {erasure.texts} texts erased at event #{erasure.seq}"
                    f" on {erasure.at.isoformat()} by {erasure.by}: {erasure.reason}"
                )
        print(f"{len(complaints)} complaints checked, {broken} with a broken chain")
    return 1 if broken else 0


def mail_status() -> int:
    """Print how much mail is pending, sent and failed, and every failed message."""
    with session_scope() as session:
        query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        counts: dict[OutboxStatus, int] = dict(session.execute(query).tuples().all())
        for status in OutboxStatus:
            print(f"{status.value:>8}: {counts.get(status, 0)}")
        for message in repository.failed_outbox_messages(session):
            complaint = (
                repository.get_complaint(session, message.complaint_id)
                if message.complaint_id
                else None
            )
            reference = complaint.reference if complaint else "-"
            print(
                f"FAILED {reference} {message.kind} after {message.attempts} attempts: "
                f"{message.last_error}"
            )
    return 0


def classify(reference: str, category: str, *, by: str, reason: str) -> int:
    """Correct a complaint's category (ISO 10002 8.2), with the reason, in its trail."""
    settings = get_settings()
    org = load_organization(settings.organization_file)
    try:
        with session_scope() as session:
            correct_category(session, org, reference, category, by=by, reason=reason)
    except CorrectionRefused as refused:
        known = ", ".join(org.classification.all_keys())
        hints = {
            "reference": f"no complaint {reference}",
            "category": f"unknown category {category!r} (the organization file has: {known})",
            "reason": "say why (--reason)",
        }
        print(hints[refused.field], file=sys.stderr)
        return 2
    print(f"{reference}: category {category} from now on")
    return 0


def volumes(path: Path, *, by: str) -> int:
    """Keep the units shipped per product family and month of a CSV (rates per unit)."""
    org = load_organization(get_settings().organization_file)
    try:
        kept = parse_volumes(path.read_bytes(), org)
    except VolumesRefused as refused:
        _ = translator(Locale.EN)  # an operator's console speaks English
        for line, message in refused.problems:
            print(f"{path}:{line}: {_(message)}", file=sys.stderr)
        return 2
    with session_scope() as session:
        count = record_volumes(session, kept, by=by, at=utcnow())
    print(f"{count} family-months of units shipped kept")
    return 0


def _complaints_of(session: Session, email: str | None, reference: str | None) -> list[Complaint]:
    found = list(complaints_of(session, email=email, reference=reference))
    if not found:
        print("no complaint of that complainant (or erased already)", file=sys.stderr)
    return found


def erase_personal_data(
    email: str | None, reference: str | None, *, by: str, reason: str, close: bool = False
) -> int:
    """Erase a complainant's personal data (every complaint of theirs), with why; an open
    one is refused unless ``close`` (then it is closed with the reason, its run cancelled)."""
    settings = get_settings()
    done = Erased()
    with session_scope() as session:
        found = _complaints_of(session, email, reference)
        still_open = [c.reference for c in found if c.stage is not Stage.CLOSED]
        if still_open and not close:
            print(f"close these first (or --close): {', '.join(still_open)}", file=sys.stderr)
            return 2
        for complaint in found:
            done.add(
                erase_complaint(
                    session,
                    complaint,
                    by=by,
                    reason=reason,
                    settings=settings,
                    now=utcnow(),
                    close_open=close,
                )
            )
    done.remove_after_commit(settings)
    print(
        f"{done.complaints} complaints erased ({', '.join(done.references)}): {done.texts} "
        f"texts, {done.files} files, {done.emails} emails, {done.links} links"
    )
    return 0 if found else 2


def export_personal_data(email: str | None, reference: str | None, *, by: str) -> int:
    """Export everything held about a complainant; print the single-use link to it."""
    settings = get_settings()
    with session_scope() as session:
        found = _complaints_of(session, email, reference)
        if not found:
            return 2
        if reference is not None:  # everything of the complainant behind that reference
            found = list(complaints_of(session, email=found[0].complainant_email))
        link = make_export(session, found, by=by, settings=settings, now=utcnow())
        expires = link.export.expires_at.isoformat()
    print(f"{settings.public_url}/privacy/export/{link.token}")
    print(f"works once, until {expires}")
    return 0


def _add_privacy_commands(commands: Any) -> None:
    for name, helptext in (
        ("erase", "erase a complainant's personal data (closed complaints)"),
        ("export", "export everything held about a complainant (single-use link)"),
    ):
        command = commands.add_parser(name, help=helptext)
        whose = command.add_mutually_exclusive_group(required=True)
        whose.add_argument("--email", help="the complainant's email address")
        whose.add_argument("--reference", help="a complaint's reference")
        command.add_argument("--by", default="operator", help="who asks for it")
        if name == "erase":
            command.add_argument("--reason", required=True)
            command.add_argument(
                "--close", action="store_true", help="close open complaints (runs cancelled)"
            )


def api_key(action: str, name: str | None) -> int:
    """Create, revoke or list the keys integrations file complaints with."""
    secret = get_settings().secret_key.get_secret_value()
    with session_scope() as session:
        if action == "list":
            for row in api_keys.keys(session):
                state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "in force"
                print(f"{row.name}\t{row.created_at:%Y-%m-%d}\t{state}")
            return 0
        assert name is not None
        if action == "revoke":
            if not api_keys.revoke(session, name):
                print(f"no key in force for {name}", file=sys.stderr)
                return 2
            print(f"revoked: {name}")
            return 0
        try:
            key = api_keys.issue(session, name, secret)
        except api_keys.KeyExists:
            print(f"{name} has a key already: revoke it first", file=sys.stderr)
            return 2
    print(key)
    print("shown once; the API now refuses complaints without a key in force")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run an operator command."""
    parser = argparse.ArgumentParser(prog="python -m complaints.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify-audit", help="verify the hash chain of audit trails")
    verify.add_argument("references", nargs="*", help="complaint references (default: all)")
    commands.add_parser("mail", help="show pending, sent and failed mail")
    correction = commands.add_parser("classify", help="correct a complaint's category")
    correction.add_argument("reference")
    correction.add_argument("category", help="a category key of the organization file")
    correction.add_argument("--reason", required=True)
    correction.add_argument("--by", default="operator", help="who corrects it")
    shipped = commands.add_parser(
        "volumes", help="keep units shipped per product family and month (CSV)"
    )
    shipped.add_argument("file", type=Path, help="product_family,month,units")
    shipped.add_argument("--by", default="operator", help="who supplies them")
    _add_privacy_commands(commands)
    keys = commands.add_parser("api-key", help="create, revoke or list integration keys")
    keys.add_argument("action", choices=["create", "revoke", "list"])
    keys.add_argument("name", nargs="?", help="the integration (a shop, a CRM)")
    args = parser.parse_args(argv)
    if args.command == "api-key":
        if args.action != "list" and not args.name:
            parser.error("api-key create/revoke needs the integration's name")
        return api_key(args.action, args.name)
    if args.command == "erase":
        return erase_personal_data(
            args.email, args.reference, by=args.by, reason=args.reason, close=args.close
        )
    if args.command == "export":
        return export_personal_data(args.email, args.reference, by=args.by)
    if args.command == "verify-audit":
        return verify_audit(args.references)
    if args.command == "classify":
        return classify(args.reference, args.category, by=args.by, reason=args.reason)
    if args.command == "volumes":
        return volumes(args.file, by=args.by)
    return mail_status()


if __name__ == "__main__":
    sys.exit(main())
