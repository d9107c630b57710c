"""``hub policy draft|validate|impact|activate|rollback|diff|revisions``: officer rules.

An officer writes a rule set (YAML or JSON, ``docs/policy-rules.md``), checks it
(``validate FILE``), sees what it would have changed (``impact FILE``: the last 30 days
of decisions replayed from the audit log), signs it as a draft (``draft FILE``: the
next revision ``rN``), and two other security officers each sign its activation
(``activate rN``).  ``rollback rM`` (also two officers) goes back to a revision that
was in force before, or to ``r0`` (no officer rules).  Drafting, activating and rolling
back are signed with the officer's own key (``--key`` / ``--pkcs11``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from hub import statements
from hub.cli._audited import read_only, run_audited
from hub.cli._common import console
from hub.cli._signing import (
    KeyChoice,
    KeyOption,
    OfficerOption,
    PassphraseFileOption,
    PinFileOption,
    Pkcs11Option,
    officer_of,
    signer_of,
)
from hub.errors import BadRequest, HubError
from hub.hubid import hub_id
from hub.policy.rules import revisions
from hub.policy.rules.compiled import NO_RULES
from hub.policy.rules.replay import Impact, impact_in_store, loosening_problems
from hub.policy.rules.schema import document_from_text
from hub.policy.rules.stored import active_revision, with_revision
from hub.store.models import PolicyRuleRevision

REVISION_ID = revisions.REVISION_ID
RevisionArg = Annotated[str, typer.Argument(metavar="REVISION|FILE", help="a revision id (r3) or a rule set file")]
DaysOption = Annotated[int, typer.Option("--days", min=1, max=3660, help="replay the decisions of the last N days")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]


class RulesCheckFailed(HubError):
    """A rule set has problems, or its replay shows a loosening (the command exits 1)."""

    title = "officer rules refused"


def read_rules(path: Path) -> dict[str, Any]:
    """A rule set document from a YAML or JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise BadRequest(f"cannot read officer rules `{path}`: {exc}") from None
    return document_from_text(text, f"officer rules `{path}`", as_json=path.suffix == ".json")


def _candidate(session: Session, ref: str) -> PolicyRuleRevision:
    """A stored revision, or a file as an unsaved candidate (never added to the session)."""
    if not REVISION_ID.fullmatch(ref):
        return revisions.unsaved(read_rules(Path(ref)))
    return revisions.get_revision(session, ref)


def _document(session: Session, ref: str) -> dict[str, Any]:
    if ref == NO_RULES:
        return {}
    return dict(_candidate(session, ref).document)


def _signed(choice: KeyChoice, claimed: str | None, action: str, target: str,
            terms: Any, work: Any) -> Any:
    signer = signer_of(choice)

    def run(session: Session, sink: Any) -> Any:
        officer = officer_of(session, signer, claimed)
        statement = statements.sign(signer, officer, action, target, terms(session), audience=hub_id(session))
        return work(session, sink, statement)

    return run_audited(run)


# --- commands -----------------------------------------------------------------------------


def draft(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="the rule set (YAML or JSON)")],
    note: Annotated[str, typer.Option(help="what the change is for")] = "",
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Sign a rule set as the next draft revision (two other security officers activate it)."""
    doc = read_rules(file)
    row = _signed(KeyChoice(key, pkcs11, passphrase_file, pin_file), officer, "draft_rules", revisions.DRAFT_TARGET,
                  lambda _s: revisions.draft_terms(doc),
                  lambda s, sink, st: revisions.draft(s, sink, doc, st, note=note))
    console.print(f"officer rules [bold]{row.id}[/bold] drafted by {row.author} (based on {row.base or NO_RULES}); "
                  f"next: `hub policy impact {row.id}`, then two other security officers "
                  f"`hub policy activate {row.id}`")


def validate(ref: RevisionArg, days: DaysOption = 30) -> None:
    """Check a draft or file: schema, catalog names, its policy cases, nothing of the rules in force
    dropped or widened, and the replay of the last N days (no loosening)."""
    def check(session: Session) -> list[str]:
        row = _candidate(session, ref)
        return revisions.problems(session, row, revisions.replay_guard(days))

    found = read_only(check)
    if found:
        for problem in found:
            console.print(f"  [red]✗[/red] {problem}")
        raise RulesCheckFailed(f"officer rules `{ref}`: {len(found)} problem(s)")
    console.print(f"officer rules [bold]{ref}[/bold]: valid (schema, catalog, cases, tighten-only, replay)")


def _impact_table(impact: Impact) -> Table:
    table = Table("partner", "dataset", "replayed", "allow→deny", "deny→allow", "masks", "caps",
                  title=f"impact of {impact.candidate} against {impact.baseline}")
    for group in sorted(impact.groups.values(), key=lambda g: (g.subject, g.dataset)):
        if not group.changed:
            continue
        masks = ", ".join(f"{c} {'/'.join(f'{w} {n}' for w, n in m.items())}" for c, m in sorted(group.masks.items()))
        loosen = f"[bold red]{group.deny_to_allow}[/bold red]" if group.deny_to_allow else "0"
        caps = f"lowered {group.cap_lowered}" + (f", [bold red]raised {group.cap_raised}[/bold red]"
                                                 if group.cap_raised else "")
        table.add_row(group.subject, group.dataset, str(group.replayed), str(group.allow_to_deny), loosen,
                      masks or "—", caps)
    return table


def impact(ref: RevisionArg, days: DaysOption = 30, as_json: JsonOption = False) -> None:
    """Replay the last N days of recorded decisions against a draft or file; report what changes.

    Exits 1 when the replay shows any loosening (deny→allow, a looser mask, a raised cap)."""
    def run(session: Session) -> Impact:
        row = _candidate(session, ref)
        return impact_in_store(session, with_revision(dict(row.document), row.id), days=days)

    result = read_only(run)
    if as_json:
        console.print_json(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        console.print(_impact_table(result))
        console.print(f"{result.replayed} of {result.records} decisions of the last {days} days replayed "
                      f"({result.evaluations} distinct evaluations, {result.skipped} skipped, {result.drift} drift); "
                      f"totals {result.totals()}")
        for group in result.groups.values():
            for example in group.examples:
                console.print(f"  e.g. seq {example['seq']} {group.subject} {group.dataset}: {example['change']}")
    problems = loosening_problems(result)
    if problems:
        raise RulesCheckFailed("; ".join(problems))


def _change(action: str, revision: str, choice: KeyChoice, officer: str | None, work: Any) -> Any:
    return _signed(choice, officer, action, f"rules:{revision}",
                   lambda s: revisions.change_terms(s, revision), work)


def activate(
    revision: Annotated[str, typer.Argument(metavar="REVISION")],
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Sign the activation of a draft; it takes effect when a second security officer signs (neither its author)."""
    row = _change("activate_rules", revision, KeyChoice(key, pkcs11, passphrase_file, pin_file), officer,
                  lambda s, sink, st: revisions.activate(s, sink, revision, st))
    if row is None:
        console.print(f"activation of officer rules [bold]{revision}[/bold]: signed; a second security officer "
                      "must sign too")
    else:
        console.print(f"officer rules [bold]{revision}[/bold] are in force (two security officers signed)")


def rollback(
    revision: Annotated[str, typer.Argument(metavar="REVISION", help="a revision in force before, or r0")],
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Sign going back to an earlier revision (or r0); done when a second security officer signs."""
    row = _change("rollback_rules", revision, KeyChoice(key, pkcs11, passphrase_file, pin_file), officer,
                  lambda s, sink, st: revisions.rollback(s, sink, revision, st))
    if row is None:
        console.print(f"rollback to [bold]{revision}[/bold]: signed; a second security officer must sign too")
    else:
        console.print(f"officer rules [bold]{revision}[/bold] are in force again (two security officers signed)")


def diff(
    before: Annotated[str, typer.Argument(metavar="FROM", help="revision id, r0 or file")],
    after: Annotated[str, typer.Argument(metavar="TO", help="revision id, r0 or file")],
    as_json: JsonOption = False,
) -> None:
    """Rules added, removed and changed from one revision (or file) to another."""
    result = read_only(lambda s: revisions.diff(_document(s, before), _document(s, after)))
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
        return
    for sign, key in (("+", "added"), ("-", "removed")):
        for rule_id, rule in result[key].items():
            console.print(f"{sign} {rule_id}: {json.dumps(rule, ensure_ascii=False)}")
    for rule_id, change in result["changed"].items():
        console.print(f"~ {rule_id}: {json.dumps(change['before'], ensure_ascii=False)}\n"
                      f"  → {json.dumps(change['after'], ensure_ascii=False)}")
    if not any(result.values()):
        console.print("no differences")


def list_revisions(as_json: JsonOption = False) -> None:
    """Every officer rules revision: status, author, base, when drafted and activated."""
    def rows(session: Session) -> list[dict[str, Any]]:
        active = active_revision(session)
        return [{"revision": r.id, "status": r.status, "author": r.author, "base": r.base, "digest": r.digest,
                 "created_at": str(r.created_at)[:19], "activated_at": str(r.activated_at or "")[:19],
                 "active": active is not None and active.id == r.id, "note": r.note}
                for r in revisions.list_revisions(session)]

    found = read_only(rows)
    if as_json:
        console.print_json(json.dumps(found, ensure_ascii=False))
        return
    table = Table("revision", "status", "author", "base", "drafted", "activated", title="officer rules revisions")
    for r in found:
        table.add_row(r["revision"], r["status"], r["author"], r["base"] or "—", r["created_at"], r["activated_at"])
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("draft")(draft)
    app.command("validate")(validate)
    app.command("impact")(impact)
    app.command("activate")(activate)
    app.command("rollback")(rollback)
    app.command("diff")(diff)
    app.command("revisions")(list_revisions)
