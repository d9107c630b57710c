"""The schema of an officer rule set (安全员策略规则): what officers may write, checked strictly.

A rule set is one document (YAML or JSON) holding every officer rule of a revision:

- ``purposes``: the purposes registry (用途登记) — per purpose code its Chinese name, legal
  basis, which datasets / providers / levels it may ever cover, its maximum grant validity
  and maximum daily rows;
- ``masks``: masking rules that only tighten what the built-in policy returns for a column
  (selected by name, PII class or type hint), for the requests their ``match`` selects;
- ``windows``: access windows (e.g. level ≥ 4 only on working days 08:00–20:00
  Asia/Shanghai);
- ``row_caps``: the most rows one request may return;
- ``denies``: deny rules on subject attributes for a dataset, a provider or a level;
- ``cases``: the change set's own policy cases (as in ``policies/tests``), run with the
  candidate rules at validation: a failing case blocks activation.

``match`` selects requests by any of dataset, provider, min_level (the dataset's level
is at least this), purpose, subject (``partner:ID`` / ``officer:ID``),
jurisdiction_prefix, clearance (equal) and clearance_below; a rule applies when every
field given matches.  Unknown fields are refused (a misspelt selector must not widen a
rule by being ignored).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hub.errors import BadRequest

RULE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,47}")
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
DATASET = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
PROVIDER = re.compile(r"[a-z0-9_]{1,64}")
SUBJECT = re.compile(r"(partner|officer):[a-z0-9][a-z0-9._-]{0,63}")
CODE_PREFIX = re.compile(r"[0-9]{1,6}")
CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?|24:00")
MASK_TARGETS = ("column", "pii", "type")
TYPE_HINTS = ("date", "timestamp", "amount", "admin_code")


class RulesInvalid(BadRequest):
    """An officer rule set breaks the schema or a tighten-only bound; the message lists what."""

    title = "invalid officer rules"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems), problems=problems)
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _pattern(value: str | None, pattern: re.Pattern[str], what: str) -> str | None:
    if value is not None and not pattern.fullmatch(value):
        raise ValueError(f"{what} `{value[:80]}` is not well-formed")
    return value


class Match(_Strict):
    """Which requests a rule applies to: every given field must match."""

    dataset: str | None = None
    provider: str | None = None
    min_level: int | None = Field(default=None, ge=1, le=5)
    purpose: str | None = None
    subject: str | None = None
    jurisdiction_prefix: str | None = None
    clearance: int | None = Field(default=None, ge=0, le=5)
    clearance_below: int | None = Field(default=None, ge=1, le=6)

    @field_validator("dataset")
    @classmethod
    def _dataset(cls, value: str | None) -> str | None:
        return _pattern(value, DATASET, "dataset")

    @field_validator("provider")
    @classmethod
    def _provider(cls, value: str | None) -> str | None:
        return _pattern(value, PROVIDER, "provider")

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, value: str | None) -> str | None:
        return _pattern(value, SLUG, "purpose")

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str | None) -> str | None:
        return _pattern(value, SUBJECT, "subject (partner:ID or officer:ID)")

    @field_validator("jurisdiction_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        return _pattern(value, CODE_PREFIX, "jurisdiction prefix (1-6 digits)")


class _Rule(_Strict):
    id: str
    match: Match = Match()
    note: str = Field(default="", max_length=500)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _pattern(value, RULE_ID, "rule id") or value


class Purpose(_Strict):
    """One registered purpose (用途) and the bounds of what it may ever cover."""

    name_zh: str = Field(min_length=1, max_length=100)
    legal_basis: str = Field(min_length=1, max_length=1000)
    datasets: list[str] = []
    providers: list[str] = []
    max_level: int | None = Field(default=None, ge=1, le=5)
    max_validity_days: int | None = Field(default=None, ge=1, le=3660)
    max_rows_per_day: int | None = Field(default=None, ge=0)

    @field_validator("datasets")
    @classmethod
    def _datasets(cls, values: list[str]) -> list[str]:
        for value in values:
            _pattern(value, DATASET, "dataset")
        return values

    @field_validator("providers")
    @classmethod
    def _providers(cls, values: list[str]) -> list[str]:
        for value in values:
            _pattern(value, PROVIDER, "provider")
        return values


class MaskTarget(_Strict):
    """The columns a mask rule shapes: by name (needs ``match.dataset``), PII class or type hint."""

    column: str | None = None
    pii: str | None = None
    type: Literal["date", "timestamp", "amount", "admin_code"] | None = None

    @model_validator(mode="after")
    def _one(self) -> MaskTarget:
        given = [name for name in MASK_TARGETS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("a mask target names exactly one of column, pii, type")
        return self


class MaskRule(_Rule):
    """Columns this rule selects go out at least as strictly as ``strategy``."""

    columns: MaskTarget
    strategy: str

    @model_validator(mode="after")
    def _column_needs_dataset(self) -> MaskRule:
        if self.columns.column is not None and self.match.dataset is None:
            raise ValueError(f"mask rule `{self.id}` names column `{self.columns.column}`: give match.dataset")
        return self


class WindowRule(_Rule):
    """Requests this rule selects are allowed only inside the window (Asia/Shanghai)."""

    working_days: bool = True
    start: str = Field(alias="from")
    until: str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("start", "until")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not CLOCK.fullmatch(value):
            raise ValueError(f"`{value}` is not a time of day HH:MM or HH:MM:SS")
        return value

    @model_validator(mode="after")
    def _order(self) -> WindowRule:
        if seconds_of_day(self.start) >= seconds_of_day(self.until):
            raise ValueError(f"window rule `{self.id}`: `from` {self.start} must be before `until` {self.until}")
        return self


class RowCapRule(_Rule):
    """Requests this rule selects return at most ``max_rows`` rows each."""

    max_rows: int = Field(ge=1)


class DenyRule(_Rule):
    """Requests this rule selects are denied."""

    @model_validator(mode="after")
    def _selects_something(self) -> DenyRule:
        if self.match == Match():
            raise ValueError(f"deny rule `{self.id}` selects every request: give at least one match field")
        return self


class RuleSet(_Strict):
    """Every officer rule of one revision, and the change set's own policy cases."""

    note: str = Field(default="", max_length=2000)
    purposes: dict[str, Purpose] = {}
    masks: list[MaskRule] = []
    windows: list[WindowRule] = []
    row_caps: list[RowCapRule] = []
    denies: list[DenyRule] = []
    cases: list[dict[str, Any]] = []

    @field_validator("purposes")
    @classmethod
    def _codes(cls, value: dict[str, Purpose]) -> dict[str, Purpose]:
        for code in value:
            _pattern(code, SLUG, "purpose code")
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleSet:
        ids = [r.id for kind in (self.masks, self.windows, self.row_caps, self.denies) for r in kind]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"rule ids must be unique across the rule set: {repeated} repeat")
        return self

    def rules(self) -> dict[str, dict[str, Any]]:
        """Every rule by id (purposes as ``purpose:CODE``), as plain data."""
        out: dict[str, dict[str, Any]] = {}
        for kind in ("masks", "windows", "row_caps", "denies"):
            for rule in getattr(self, kind):
                out[rule.id] = {"kind": kind, **rule.model_dump(by_alias=True, exclude_defaults=False)}
        for code, purpose in self.purposes.items():
            out[f"purpose:{code}"] = {"kind": "purposes", **purpose.model_dump()}
        return out


def seconds_of_day(clock: str) -> int:
    """``HH:MM[:SS]`` (or ``24:00``) → seconds since midnight."""
    parts = [int(p) for p in clock.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)


def parse_rules(doc: Any) -> RuleSet:
    """The rule set in ``doc``; ``RulesInvalid`` listing every schema problem."""
    if doc is None:
        return RuleSet()
    if not isinstance(doc, dict):
        raise RulesInvalid(["an officer rule set is an object (purposes, masks, windows, row_caps, denies, cases)"])
    body = {k: v for k, v in doc.items() if k != "revision"}
    try:
        return RuleSet.model_validate(body)
    except ValidationError as exc:
        raise RulesInvalid([_problem(e) for e in exc.errors()]) from None


MAX_DOCUMENT_CHARS = 256 * 1024


class _NoAliases(yaml.SafeLoader):
    """YAML without aliases: an alias repeats a node without copying it, and a few hundred
    bytes of nested aliases expand to gigabytes once the rule set is validated or hashed."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError(f"YAML aliases (*{self.peek_event().anchor}) are not accepted in a rule set")
        return super().compose_node(parent, index)


def document_from_text(text: str, name: str = "the rule set", *, as_json: bool | None = None) -> dict[str, Any]:
    """A rule set document from its YAML or JSON text (``as_json`` None: JSON when it starts with ``{``);
    ``RulesInvalid`` naming what cannot be read."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise RulesInvalid([f"{name} is longer than {MAX_DOCUMENT_CHARS} characters"])
    try:
        doc = json.loads(text) if (as_json if as_json is not None else text.lstrip().startswith("{")) \
            else yaml.load(text, Loader=_NoAliases)  # noqa: S506 - a SafeLoader that also refuses aliases
    except (ValueError, yaml.YAMLError) as exc:
        raise RulesInvalid([f"cannot read {name}: {exc}"]) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise RulesInvalid([f"{name} must hold an object (purposes, masks, windows, row_caps, denies, cases)"])
    return json_document(doc, name)


def json_document(doc: dict[str, Any], name: str = "the rule set") -> dict[str, Any]:
    """``doc`` if it is plain JSON (it is hashed and stored as such); ``RulesInvalid`` naming what is not:
    NaN or infinite numbers, YAML dates or times (quote them), other non-JSON values."""
    try:
        json.dumps(doc, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise RulesInvalid([f"{name} holds a value JSON cannot (quote dates and times; no NaN or "
                            f"Infinity): {exc}"]) from None
    return doc


def _problem(error: Any) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()))
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
