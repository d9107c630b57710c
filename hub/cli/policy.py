"""``hub policy``: run the table-driven policy cases and explain single decisions.

``hub policy test`` runs ``policies/tests`` on the embedded engine and, when
``HUB_OPA_URL`` is set, on the OPA server too (exit 1 on any failure).  ``hub policy
eval INPUT.json`` evaluates one decision input (DESIGN.md §4) over the policy data
of the metadata store, or over ``--data FILE``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from hub.cli._common import console
from hub.errors import BadRequest, HubError
from hub.policy import (
    Decision,
    OpaEngine,
    PolicyPoint,
    RegopyEngine,
    StaticData,
    StoreData,
    engine_from_settings,
    load_policies,
)
from hub.policy.cases import load_cases, run_case
from hub.settings import get_settings

app = typer.Typer(help="Access policies (Rego).", no_args_is_help=True)


class PolicyCasesFailed(HubError):
    """At least one table-driven policy case failed (``hub policy test`` exits 1)."""

    title = "policy cases failed"


def _run_cases(point: PolicyPoint, label: str, cases_dir: Path | None) -> int:
    table = Table("engine", "file", "case", "result", title=f"policy cases on {label}")
    failures = 0
    for case in load_cases(cases_dir):
        outcome = run_case(point, case)
        failures += not outcome.passed
        verdict = ("[green]pass[/green]" if outcome.passed
                   else "[red]FAIL[/red] " + "; ".join(outcome.problems))
        table.add_row(label, case.source, case.name, verdict)
    console.print(table)
    return failures


@app.command("test")
def test(
    cases: Annotated[Path | None, typer.Option(help="case directory (default policies/tests)")] = None,
) -> None:
    """Run the table-driven policy cases in policies/tests/."""
    policies = load_policies()
    engines: list[tuple[str, Any]] = [("regopy", RegopyEngine())]
    settings = get_settings()
    if settings.opa_url:
        engines.append((f"opa {settings.opa_url}", OpaEngine(settings.opa_url, settings.opa_timeout_s)))
    failures = 0
    for label, engine in engines:
        failures += _run_cases(PolicyPoint(engine, policies, StaticData({}), recheck_seconds=0), label, cases)
    console.print(f"policy revision {policies.revision}: "
                  + ("[green]all cases pass[/green]" if not failures else f"[red]{failures} failing[/red]"))
    if failures:
        raise PolicyCasesFailed(f"{failures} policy case(s) failing on revision {policies.revision}")


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadRequest(f"cannot read {what} `{path}`: {exc}") from None
    if not isinstance(doc, dict):
        raise BadRequest(f"{what} `{path}` must be a JSON object")
    return doc


def _explain(decision: Decision) -> None:
    verdict = "[green]ALLOW[/green]" if decision.allow else "[red]DENY[/red]"
    console.print(f"{verdict}  grant: {decision.grant or '—'}  revision: {decision.revision}")
    for reason in decision.reasons:
        console.print(f"  • {reason}")
    if decision.error:
        console.print(f"  engine error: {decision.error}")
    if decision.columns:
        table = Table("column", "strategy", title="columns")
        for column, strategy in sorted(decision.columns.items()):
            table.add_row(column, strategy)
        console.print(table)
    console.print(f"row filter: {decision.row_filter}   max rows: {decision.max_rows}")
    if decision.quota is not None:
        console.print(f"daily budget: {decision.quota.max_rows_per_day} rows of grant `{decision.quota.grant}` "
                      "(charged per page by the quota ledger, not decided here)")


@app.command("eval")
def eval_(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT.json")],
    data: Annotated[Path | None, typer.Option(help="policy data JSON (default: the metadata store)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the decision as JSON")] = False,
) -> None:
    """Evaluate one decision input and explain the decision."""
    doc = _read_json(input_file, "decision input")
    settings = get_settings()
    if data is not None:
        source: Any = StaticData(_read_json(data, "policy data"))
    else:
        from hub.store.db import open_store

        source = StoreData(open_store(settings.metadata_url))
    engine = engine_from_settings(settings.opa_url, settings.opa_timeout_s)
    point = PolicyPoint(engine, load_policies(), source)
    decision = point.decide(doc.get("subject", {}), doc.get("action", ""), doc.get("resource", {}),
                            doc.get("request", {}), doc.get("context"))
    if as_json:
        console.print_json(json.dumps(decision.to_dict(), ensure_ascii=False))
    else:
        _explain(decision)


def _register_rules() -> None:
    from hub.cli import rules

    rules.register(app)


_register_rules()  # hub policy draft|validate|impact|activate|rollback|diff|revisions (hub/cli/rules.py)
