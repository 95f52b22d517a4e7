"""CaseStore: every read and write of case data, permission-checked and audited in one transaction.

Each public method opens one transaction: it checks the acting user's permission (``matcher.auth``),
does its work, and appends its audit entry; all of it commits together or not at all. A denied attempt
is itself logged. The command line and the app call these methods and nothing below them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from matcher.auth import AccessDenied, Action, Passwords, Principal, Role, authorize
from matcher.authoring.diff import impact, translate
from matcher.engine.cases import encode_cases
from matcher.engine.risk import RiskModel
from matcher.errors import InputError
from matcher.i18n import t
from matcher.local.catalogue import LocalCatalogue, StoredCatalogue
from matcher.local.gaps import GapReport, PlanItemRecord, StoredRecommendation, gap_report
from matcher.rulebase.loading import RuleBase, content_hash, rule_files
from matcher.rulebase.yamlsource import did_you_mean
from matcher.store import audit
from matcher.store.db import data_dir, sessions
from matcher.store.export import ExportSummary, outcome_rows, write_csv
from matcher.store.export import columns as export_columns
from matcher.store.personnummer import hmac_key, pseudonym
from matcher.store.tables import (
    Assessment,
    AuditEntry,
    Case,
    CatalogueVersion,
    Consent,
    Decision,
    DecisionItem,
    FollowUp,
    Plan,
    PlanItem,
    Recommendation,
    RuleVersion,
    Unit,
    User,
    now,
)

AGENCIES = ("socialtjanst", "skola", "polis", "sis", "region", "kriminalvarden", "civil_society")
OUTCOMES = ("accepted", "declined", "overridden")
ITEM_STATUSES = ("planned", "active", "completed", "dropped")
OWN_AGENCY = "socialtjanst"
UNIT_ROLES = (Role.SOCIAL_WORKER, Role.MANAGER)  # they work within one unit: its cases, or its report


class ConflictError(Exception):
    """Someone else saved the same record first; nothing was overwritten."""


@dataclass(frozen=True)
class PlanItemInput:
    intervention: str
    actor: str
    goal: str
    start_on: dt.date
    follow_up_on: dt.date
    status: str = "planned"
    sessions_delivered: float | None = None
    hours_delivered: float | None = None


@dataclass(frozen=True)
class PlanView:
    version: int  # 0 when the case has no plan yet
    items: tuple[PlanItemInput, ...]


@dataclass(frozen=True)
class SharedItem:
    """A plan item in the multi-agency view: shown or withheld, and why."""

    item: PlanItemInput
    shown: bool
    givers: tuple[str, ...]  # whose consent covers the agency (shown) or is missing (withheld); () for our own
    on: dt.date

    def reason(self, lang: str) -> str:
        if not self.givers:
            return t(lang, "consent.own_agency")
        givers = t(lang, "consent.and").join(t(lang, f"consent.giver.{g}") for g in self.givers)
        return t(lang, "consent.covers" if self.shown else "consent.missing", givers=givers,
                 agency=t(lang, f"actor.{self.item.actor}"), on=self.on.isoformat())


class CaseStore:
    def __init__(self, engine: Engine, rules: RuleBase, key: bytes | None = None,
                 passwords: Passwords | None = None, consent_age: int | None = None):
        self.engine = engine
        self.rules = rules
        self._sessions = sessions(engine)
        key = key if key is not None else hmac_key(data_dir())
        self._pnr_key = hmac.new(key, b"personnummer", hashlib.sha256).digest()
        self._audit_key = hmac.new(key, b"audit-chain", hashlib.sha256).digest()
        self.passwords = passwords or Passwords()
        self.consent_age = rules.policy.multi_agency_consent_age if consent_age is None else consent_age

    # ------------------------------------------------------------ transactions

    @contextmanager
    def _tx(self, who: Principal | str, action: str, case_code: str | None = None,
            detail: str = "") -> Iterator[Session]:
        """One transaction that ends with its audit entry; a denial is logged in a transaction of its own."""
        actor = who if isinstance(who, str) else who.username
        try:
            with self._sessions.begin() as session:
                yield session
                audit.append(session, self._audit_key, actor, action, case_code, detail)
        except AccessDenied as exc:
            with self._sessions.begin() as session:
                audit.append(session, self._audit_key, actor, f"denied:{action}", case_code, str(exc))
            raise
        except StaleDataError:
            raise ConflictError(f"case {case_code}: someone else saved this at the same moment; nothing of "
                                f"yours was saved. Reload and apply your changes again.") from None

    def _case(self, session: Session, who: Principal, code: str, action: Action) -> Case:
        """The case, after the permission check; a write locks its row until the transaction ends."""
        authorize(who, action)
        query = select(Case).where(Case.code == code)
        case = session.scalar(query.with_for_update() if action is Action.CASE_WRITE else query)
        if case is None:
            raise InputError(f"unknown case '{code}'; 'matcher' lists only the cases of your unit")
        authorize(who, action, case.unit.code)
        return case

    def _user_id(self, session: Session, who: Principal) -> int:
        return session.scalars(select(User.id).where(User.username == who.username)).one()

    # ------------------------------------------------------------ users

    def has_users(self) -> bool:
        with self._sessions() as session:
            return bool(session.scalar(select(func.count(User.id))))

    def add_user(self, who: Principal | None, username: str, password: str, role: str,
                 unit: str | None = None) -> None:
        """Add a user; without ``who`` only the very first user (an admin) may be added."""
        role_ = _role(role)
        actor = who.username if who else "bootstrap"
        with self._tx(who or actor, "user.add", detail=f"{username} as {role_}") as session:
            if who is None:
                if session.scalar(select(func.count(User.id))) or role_ is not Role.ADMIN:
                    raise AccessDenied("only the first user can be added without logging in, and it must be "
                                       "an admin")
            else:
                authorize(who, Action.USERS_MANAGE)
            if role_ in UNIT_ROLES and not unit:
                raise InputError(f"user {username}: a {role_.value.replace('_', ' ')} needs a unit (--unit CODE)")
            if session.scalar(select(User).where(User.username == username)):
                raise InputError(f"user {username} already exists; use set-role to change the role")
            session.add(User(username=username, password_hash=self.passwords.hash(password), role=role_.value,
                             unit=_unit(session, unit) if unit else None))

    def list_users(self, who: Principal) -> list[dict[str, Any]]:
        with self._tx(who, "user.list") as session:
            authorize(who, Action.USERS_MANAGE)
            return [{"username": u.username, "role": u.role, "unit": u.unit.code if u.unit else "",
                     "active": u.active} for u in session.scalars(select(User).order_by(User.username))]

    def set_role(self, who: Principal, username: str, role: str, unit: str | None = None) -> None:
        role_ = _role(role)
        with self._tx(who, "user.set_role", detail=f"{username} to {role_}") as session:
            authorize(who, Action.USERS_MANAGE)
            user = _user(session, username)
            if role_ in UNIT_ROLES and not (unit or user.unit):
                raise InputError(f"user {username}: a {role_.value.replace('_', ' ')} needs a unit (--unit CODE)")
            user.role = role_.value
            if unit:
                user.unit = _unit(session, unit)

    def disable_user(self, who: Principal, username: str) -> None:
        with self._tx(who, "user.disable", detail=username) as session:
            authorize(who, Action.USERS_MANAGE)
            if username == who.username:
                raise InputError("you cannot disable yourself; ask another admin")
            _user(session, username).active = False

    def login(self, username: str, password: str) -> Principal:
        with self._sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            ok = self.passwords.verify(user.password_hash if user else None, password)
            if not ok or user is None or not user.active:
                raise AccessDenied("unknown user, wrong password or disabled account")
            return Principal(user.username, Role(user.role), user.unit.code if user.unit else None)

    def principal(self, username: str) -> Principal:
        """The user an external identity provider (OIDC) vouched for; refused unless active here."""
        with self._sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None or not user.active:
                raise AccessDenied(f"'{username}' is not an active user of Insatsmatch; ask an admin to add it")
            return Principal(user.username, Role(user.role), user.unit.code if user.unit else None)

    # ------------------------------------------------------------ cases

    def create_case(self, who: Principal, personnummer: str | None = None, synthetic: bool = False,
                    sex: str | None = None, born_abroad: bool | None = None) -> str:
        """A new case in the user's unit; returns its pseudonymous code."""
        code = f"C-{secrets.token_hex(4).upper()}"
        pnr = pseudonym(personnummer, self._pnr_key) if personnummer else None
        with self._tx(who, "case.create", code) as session:
            authorize(who, Action.CASE_WRITE)
            if pnr and session.scalar(select(Case.code).where(Case.pnr_hmac == pnr)):
                raise InputError("a case with this personnummer already exists; use find to open it")
            session.add(Case(code=code, unit=_unit(session, who.unit), pnr_hmac=pnr, synthetic=synthetic,
                             sex=sex, born_abroad=born_abroad, created_by=self._user_id(session, who)))
        return code

    def find_case(self, who: Principal, personnummer: str) -> str | None:
        """The code of the case with this personnummer in the user's unit, or None.

        A case in another unit is not revealed, not even that it exists; the audit log records the match."""
        pnr = pseudonym(personnummer, self._pnr_key)
        found: list[Case] = []
        with self._tx(who, "case.find", detail="") as session:
            authorize(who, Action.CASE_READ)
            case = session.scalar(select(Case).where(Case.pnr_hmac == pnr))
            if case is not None and case.unit.code == who.unit:
                found.append(case)
            elif case is not None:
                audit.append(session, self._audit_key, who.username, "case.find.other_unit", case.code,
                             f"a match in unit {case.unit.code} was not shown")
        return found[0].code if found else None

    def list_cases(self, who: Principal) -> list[dict[str, Any]]:
        with self._tx(who, "case.list") as session:
            authorize(who, Action.CASE_READ)
            rows = session.scalars(select(Case).join(Unit).where(Unit.code == who.unit).order_by(Case.created_at))
            return [{"code": c.code, "synthetic": c.synthetic, "created_at": c.created_at} for c in rows]

    def add_assessment(self, who: Principal, code: str, data: dict[str, Any], assessed_on: dt.date,
                       instrument: str = "factors") -> int:
        """Validate the case input against the rule base and store it as the next version."""
        encode_cases([(f"case {code}", data)], self.rules)
        with self._tx(who, "assessment.add", code) as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            version = (session.scalar(select(func.max(Assessment.version)).where(Assessment.case_id == case.id))
                       or 0) + 1
            session.add(Assessment(case_id=case.id, version=version, assessed_on=assessed_on, instrument=instrument,
                                   assessed_by=self._user_id(session, who), data=data))
            return version

    def assessments(self, who: Principal, code: str) -> list[dict[str, Any]]:
        with self._tx(who, "assessment.read", code) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            rows = session.scalars(select(Assessment).where(Assessment.case_id == case.id)
                                   .order_by(Assessment.version))
            return [{"version": a.version, "assessed_on": a.assessed_on, "instrument": a.instrument,
                     "data": a.data} for a in rows]

    def save_recommendation(self, who: Principal, code: str, assessment_version: int,
                            result: dict[str, Any]) -> int:
        """Keep the engine's output for an assessment as it was shown; it is never changed afterwards."""
        with self._tx(who, "recommendation.save", code) as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            assessment = session.scalar(select(Assessment).where(Assessment.case_id == case.id,
                                                                 Assessment.version == assessment_version))
            if assessment is None:
                raise InputError(f"case {code} has no assessment version {assessment_version}")
            version = result["version"]
            if version["rule_base"] == self.rules.content_hash:
                self._record_rules(session, self.rules.root, "(recorded when first used)",
                                   "the rule base in use when a recommendation was saved")
            row = Recommendation(case_id=case.id, assessment_id=assessment.id, rule_base=version["rule_base"],
                                 model=version["model"], evidence_snapshot=version["evidence_snapshot"],
                                 result=result, created_by=self._user_id(session, who))
            session.add(row)
            session.flush()
            return row.id

    def recommendation(self, who: Principal, code: str, recommendation_id: int) -> dict[str, Any]:
        with self._tx(who, "recommendation.read", code, str(recommendation_id)) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            row = session.get(Recommendation, recommendation_id)
            if row is None or row.case_id != case.id:
                raise InputError(f"case {code} has no recommendation {recommendation_id}")
            return dict(row.result)

    def record_decision(self, who: Principal, code: str, recommendation_id: int,
                        items: Sequence[tuple[str, str, str]], youth_view: str = "", youth_goals: str = "",
                        guardian_view: str = "") -> int:
        """items: (intervention id, accepted | declined | overridden, reason); a reason is required unless
        the recommended insats is accepted."""
        for intervention, outcome, reason in items:
            if intervention not in self.rules.ids:
                raise InputError(f"decision: unknown intervention '{intervention}'"
                                 f"{did_you_mean(intervention, self.rules.ids)}")
            if outcome not in OUTCOMES:
                raise InputError(f"decision on {intervention}: outcome must be one of {', '.join(OUTCOMES)}; "
                                 f"found {outcome!r}")
            if outcome != "accepted" and not reason.strip():
                raise InputError(f"decision on {intervention}: a reason is required when it is {outcome}")
        with self._tx(who, "decision.record", code, str(recommendation_id)) as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            rec = session.get(Recommendation, recommendation_id)
            if rec is None or rec.case_id != case.id:
                raise InputError(f"case {code} has no recommendation {recommendation_id}")
            decision = Decision(case_id=case.id, recommendation_id=rec.id, youth_view=youth_view,
                                youth_goals=youth_goals, guardian_view=guardian_view,
                                decided_by=self._user_id(session, who),
                                items=[DecisionItem(intervention=i, outcome=o, reason=r) for i, o, r in items])
            session.add(decision)
            session.flush()
            return decision.id

    def latest_recommendation(self, who: Principal, code: str) -> tuple[int, dict[str, Any]] | None:
        """The newest saved recommendation of the case: (its id, the result as it was shown)."""
        with self._tx(who, "recommendation.read", code, "latest") as session:
            case = self._case(session, who, code, Action.CASE_READ)
            row = session.scalar(select(Recommendation).where(Recommendation.case_id == case.id)
                                 .order_by(Recommendation.id.desc()).limit(1))
            return (row.id, dict(row.result)) if row else None

    def decisions(self, who: Principal, code: str) -> list[dict[str, Any]]:
        with self._tx(who, "decision.read", code) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            rows = session.scalars(select(Decision).where(Decision.case_id == case.id).order_by(Decision.id))
            return [{"id": d.id, "recommendation_id": d.recommendation_id, "decided_at": d.decided_at,
                     "youth_view": d.youth_view, "youth_goals": d.youth_goals, "guardian_view": d.guardian_view,
                     "items": [(i.intervention, i.outcome, i.reason) for i in d.items]} for d in rows]

    # ------------------------------------------------------------ consent

    def add_consent(self, who: Principal, code: str, given_by: str, agencies: Sequence[str], given_on: dt.date,
                    expires_on: dt.date | None = None, language: str = "sv") -> int:
        if given_by not in ("youth", "guardian"):
            raise InputError(f"consent: given_by must be youth or guardian; found {given_by!r}")
        for agency in agencies:
            if agency not in AGENCIES:
                raise InputError(f"consent: unknown agency '{agency}'{did_you_mean(agency, AGENCIES)}; expected "
                                 f"one of {', '.join(AGENCIES)}")
        if expires_on is not None and expires_on < given_on:
            raise InputError(f"consent: expires on {expires_on}, before it was given ({given_on})")
        with self._tx(who, "consent.add", code, f"{given_by}: {', '.join(agencies)}") as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            consent = Consent(case_id=case.id, given_by=given_by, agencies=list(agencies), given_on=given_on,
                              expires_on=expires_on, language=language, recorded_by=self._user_id(session, who))
            session.add(consent)
            session.flush()
            return consent.id

    def withdraw_consent(self, who: Principal, code: str, consent_id: int) -> None:
        """Takes effect at once: from this moment no agency in its scope is shown the plan through it."""
        with self._tx(who, "consent.withdraw", code, str(consent_id)) as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            consent = session.get(Consent, consent_id)
            if consent is None or consent.case_id != case.id:
                raise InputError(f"case {code} has no consent {consent_id}")
            if consent.withdrawn_at is not None:
                raise InputError(f"consent {consent_id} was already withdrawn")
            consent.withdrawn_at = now()

    def consents(self, who: Principal, code: str) -> list[dict[str, Any]]:
        with self._tx(who, "consent.read", code) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            return [{"id": c.id, "given_by": c.given_by, "agencies": c.agencies, "given_on": c.given_on,
                     "expires_on": c.expires_on, "withdrawn": c.withdrawn_at is not None}
                    for c in session.scalars(select(Consent).where(Consent.case_id == case.id).order_by(Consent.id))]

    def _consent_covers(self, session: Session, case: Case, agency: str, on: dt.date) -> tuple[bool, tuple[str, ...]]:
        """(covered, whose consent covers it or is missing)."""
        valid = {c.given_by for c in session.scalars(select(Consent).where(Consent.case_id == case.id))
                 if agency in c.agencies and c.withdrawn_at is None and c.given_on <= on
                 and (c.expires_on is None or c.expires_on >= on)}
        latest = session.scalar(select(Assessment).where(Assessment.case_id == case.id)
                                .order_by(Assessment.version.desc()).limit(1))
        age = latest.data.get("context", {}).get("age") if latest else None
        needed = {"youth"} | ({"guardian"} if age is None or age < self.consent_age else set())
        missing = tuple(sorted(needed - valid))
        return (False, missing) if missing else (True, tuple(sorted(needed)))

    # ------------------------------------------------------------ plan

    def plan(self, who: Principal, code: str) -> PlanView:
        with self._tx(who, "plan.read", code) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            plan = session.scalar(select(Plan).where(Plan.case_id == case.id))
            return _plan_view(plan)

    def save_plan(self, who: Principal, code: str, items: Sequence[PlanItemInput], expected_version: int) -> int:
        """Replace the plan's items; ``expected_version`` is the version the user edited (0 for a new plan).

        If someone saved the plan in between, nothing is written and ConflictError says so."""
        for item in items:
            self._check_item(code, item)
        with self._tx(who, "plan.save", code, f"{len(items)} items") as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            plan = session.scalar(select(Plan).where(Plan.case_id == case.id))
            current = plan.version if plan else 0
            if current != expected_version:
                by = session.get(User, plan.updated_by) if plan else None
                raise ConflictError(
                    f"case {code}: the plan was changed by {by.username if by else 'someone'} at "
                    f"{plan.updated_at:%Y-%m-%d %H:%M} (now version {current}); you edited version "  # type: ignore[union-attr]
                    f"{expected_version}. Nothing was saved: reload the plan and apply your changes again.")
            if plan is None:
                plan = Plan(case_id=case.id, updated_by=self._user_id(session, who))
                session.add(plan)
            plan.items = [PlanItem(position=i, intervention=it.intervention, actor=it.actor, goal=it.goal,
                                   start_on=it.start_on, follow_up_on=it.follow_up_on, status=it.status,
                                   sessions_delivered=it.sessions_delivered, hours_delivered=it.hours_delivered)
                          for i, it in enumerate(items)]
            plan.version = current + 1
            plan.updated_at = now()
            plan.updated_by = self._user_id(session, who)
            session.flush()
            return plan.version

    def _check_item(self, code: str, item: PlanItemInput) -> None:
        where = f"plan of case {code}, {item.intervention}"
        if item.intervention not in self.rules.ids:
            raise InputError(f"{where}: unknown intervention{did_you_mean(item.intervention, self.rules.ids)}")
        if item.actor not in AGENCIES:
            raise InputError(f"{where}: unknown actor '{item.actor}'{did_you_mean(item.actor, AGENCIES)}")
        if item.status not in ITEM_STATUSES:
            raise InputError(f"{where}: status must be one of {', '.join(ITEM_STATUSES)}; found {item.status!r}")
        if not item.goal.strip():
            raise InputError(f"{where}: a goal is required")
        if item.follow_up_on < item.start_on:
            raise InputError(f"{where}: follow-up date {item.follow_up_on} is before the start {item.start_on}")
        for name in ("sessions_delivered", "hours_delivered"):
            value = getattr(item, name)
            if value is not None and not 0 <= value <= 10_000:
                raise InputError(f"{where}: {name} must be a number from 0 to 10000; found {value}")

    def shared_plan(self, who: Principal, code: str, on: dt.date | None = None) -> list[SharedItem]:
        """The multi-agency view: another agency's items only while a valid consent covers that agency.

        Every agency check is logged."""
        on = on or dt.date.today()
        with self._tx(who, "plan.share", code, on.isoformat()) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            view = _plan_view(session.scalar(select(Plan).where(Plan.case_id == case.id)))
            checks = {agency: self._consent_covers(session, case, agency, on)
                      for agency in sorted({item.actor for item in view.items} - {OWN_AGENCY})}
            shared = [SharedItem(item, *((True, ()) if item.actor == OWN_AGENCY else checks[item.actor]), on)
                      for item in view.items]
            for agency in checks:
                first = next(s for s in shared if s.item.actor == agency)
                audit.append(session, self._audit_key, who.username, "consent.check", code,
                             f"{agency}: {'shown' if first.shown else 'withheld'}: {first.reason('en')}")
            return shared

    # ------------------------------------------------------------ follow-up

    def add_follow_up(self, who: Principal, code: str, followed_up_on: dt.date, new_offences: int,
                      school_work_status: str, substance_use_level: str, placement: str,
                      completed: Sequence[str] = (), dropped: Sequence[str] = (), youth_rating: int | None = None,
                      reassessment: dict[str, Any] | None = None) -> int:
        cat = self.rules.catalogue
        for name, value in (("school_work_status", school_work_status),
                            ("substance_use_level", substance_use_level), ("placement", placement)):
            values = cat.fact(name).values or []
            if value not in values:
                raise InputError(f"follow-up: {name} must be one of {', '.join(values)}; found {value!r}"
                                 f"{did_you_mean(value, values)}")
        if new_offences < 0:
            raise InputError(f"follow-up: new_offences must be 0 or more; found {new_offences}")
        if youth_rating is not None and not 1 <= youth_rating <= 10:
            raise InputError(f"follow-up: the young person's rating must be 1-10; found {youth_rating}")
        for insats in (*completed, *dropped):
            if insats not in self.rules.ids:
                raise InputError(f"follow-up: unknown intervention '{insats}'{did_you_mean(insats, self.rules.ids)}")
        if reassessment is not None:
            encode_cases([(f"case {code} reassessment", reassessment)], self.rules)
        with self._tx(who, "follow_up.add", code, followed_up_on.isoformat()) as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            user_id = self._user_id(session, who)
            assessment_id = None
            if reassessment is not None:
                version = (session.scalar(select(func.max(Assessment.version))
                                          .where(Assessment.case_id == case.id)) or 0) + 1
                assessment = Assessment(case_id=case.id, version=version, assessed_on=followed_up_on,
                                        instrument="reassessment", assessed_by=user_id, data=reassessment)
                session.add(assessment)
                session.flush()
                assessment_id = assessment.id
            row = FollowUp(case_id=case.id, followed_up_on=followed_up_on, assessment_id=assessment_id,
                           new_offences=new_offences, school_work_status=school_work_status,
                           substance_use_level=substance_use_level, placement=placement, completed=list(completed),
                           dropped=list(dropped), youth_rating=youth_rating, recorded_by=user_id)
            session.add(row)
            session.flush()
            return row.id

    def follow_ups(self, who: Principal, code: str) -> list[dict[str, Any]]:
        with self._tx(who, "follow_up.read", code) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            rows = session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)
                                   .order_by(FollowUp.followed_up_on, FollowUp.id))
            return [{"followed_up_on": f.followed_up_on, "new_offences": f.new_offences,
                     "school_work_status": f.school_work_status, "substance_use_level": f.substance_use_level,
                     "placement": f.placement, "completed": f.completed, "dropped": f.dropped,
                     "youth_rating": f.youth_rating, "reassessed": f.assessment_id is not None} for f in rows]

    # ------------------------------------------------------------ local service catalogue

    def units(self, who: Principal) -> list[str]:
        """The units whose catalogue ``who`` may read: the own unit, or every unit for a user without one."""
        with self._tx(who, "unit.list") as session:
            authorize(who, Action.CATALOGUE_READ)
            if who.unit is not None:
                return [who.unit]
            return list(session.scalars(select(Unit.code).order_by(Unit.code)))

    def save_catalogue(self, who: Principal, catalogue: LocalCatalogue, reason: str) -> tuple[int, bool]:
        """Record the unit's catalogue (validated by ``local_catalogue``) as its next version:
        (the version, whether it was new; an unchanged catalogue keeps its version)."""
        if not reason.strip():
            raise InputError("catalogue save: a reason is required; say why the catalogue changed")
        with self._tx(who, "catalogue.save", detail=f"{catalogue.unit}: {reason}") as session:
            authorize(who, Action.CATALOGUE_WRITE, catalogue.unit)
            unit = _existing_unit(session, catalogue.unit, lock=True)  # two saves at once get numbers in turn
            latest = _latest_catalogue(session, unit)
            offers = catalogue.model_dump(mode="json")["offers"]
            if latest is not None and latest.offers == offers:
                return latest.version, False
            version = (latest.version if latest else 0) + 1
            session.add(CatalogueVersion(unit_id=unit.id, version=version, offers=offers, author=who.username,
                                         reason=reason))
            return version, True

    def catalogue(self, who: Principal, unit: str, version: int | None = None) -> StoredCatalogue | None:
        """The unit's catalogue, the newest or a given version; None when the unit has none yet."""
        with self._tx(who, "catalogue.read", detail=f"{unit} {version or 'latest'}") as session:
            authorize(who, Action.CATALOGUE_READ, unit)
            unit_row = _existing_unit(session, unit)
            if version is None:
                row = _latest_catalogue(session, unit_row)
            else:
                row = session.scalar(select(CatalogueVersion).where(CatalogueVersion.unit_id == unit_row.id,
                                                                    CatalogueVersion.version == version))
                if row is None:
                    raise InputError(f"unit {unit} has no catalogue version {version}; 'matcher catalogue log "
                                     f"--unit {unit}' lists them")
            return _stored_catalogue(unit, row) if row else None

    def catalogue_log(self, who: Principal, unit: str) -> list[dict[str, Any]]:
        with self._tx(who, "catalogue.log", detail=unit) as session:
            authorize(who, Action.CATALOGUE_READ, unit)
            unit_row = _existing_unit(session, unit)
            rows = session.scalars(select(CatalogueVersion).where(CatalogueVersion.unit_id == unit_row.id)
                                   .order_by(CatalogueVersion.version.desc()))
            return [{"version": r.version, "saved_at": r.saved_at, "author": r.author, "reason": r.reason,
                     "offers": len(r.offers), "offered": sum(1 for o in r.offers if o["offered"])} for r in rows]

    def gap_report(self, who: Principal, unit: str, start: dt.date, end: dt.date, top_k: int | None = None,
                   today: dt.date | None = None) -> GapReport:
        """The service-gap report of a unit for a period (``gaps.py``): counts only, no case leaves here."""
        if end < start:
            raise InputError(f"gap report: the period ends ({end}) before it starts ({start})")
        most = self.rules.policy.top_k
        top_k = most if top_k is None else top_k
        if not 1 <= top_k <= most:
            raise InputError(f"gap report: top k must be from 1 to {most}, the number of recommendations a saved "
                             f"result holds (policy.yaml top_k); found {top_k}")
        with self._tx(who, "report.gaps", detail=f"{unit} {start}..{end} top {top_k}") as session:
            authorize(who, Action.REPORTS_READ, unit)
            unit_row = _existing_unit(session, unit)
            in_unit = select(Case.id).where(Case.unit_id == unit_row.id)
            recommendations = [StoredRecommendation(r.case_id, r.created_at, r.result, synthetic) for r, synthetic in
                               session.execute(select(Recommendation, Case.synthetic)
                                               .join(Case, Case.id == Recommendation.case_id)
                                               .where(Case.unit_id == unit_row.id).order_by(Recommendation.id))]
            catalogues = [_stored_catalogue(unit, r) for r in session.scalars(
                select(CatalogueVersion).where(CatalogueVersion.unit_id == unit_row.id)
                .order_by(CatalogueVersion.version))]
            items = [PlanItemRecord(case_id, i.intervention, i.status, i.start_on, i.follow_up_on,
                                    i.sessions_delivered, i.hours_delivered) for case_id, i in session.execute(
                select(Plan.case_id, PlanItem).join(Plan, Plan.id == PlanItem.plan_id)
                .where(Plan.case_id.in_(in_unit)).order_by(PlanItem.id))]
        return gap_report(self.rules, unit, start, end, top_k, recommendations, catalogues, items,
                          today or dt.date.today())

    # ------------------------------------------------------------ export

    def export_outcomes(self, who: Principal, path: Path, min_group: int = 5) -> ExportSummary:
        """Pseudonymised rows in the training format, for evaluators (``export.py``)."""
        if min_group < 1:
            raise InputError(f"export: the minimum group size must be at least 1; found {min_group}")
        with self._tx(who, "export.outcomes", detail=f"min_group={min_group}") as session:
            authorize(who, Action.EXPORT_OUTCOMES)
            rows, summary = outcome_rows(session, self.rules, min_group)
            write_csv(path, rows, export_columns(self.rules))
        return summary

    # ------------------------------------------------------------ rule history

    def save_rules(self, who: Principal, root: Path, reason: str) -> tuple[str, bool]:
        """Record the rule base in ``root`` as a version: (its hash, whether it was new)."""
        if not reason.strip():
            raise InputError("rules save: say why the rules changed (--reason)")
        with self._tx(who, "rules.save", detail=reason) as session:
            authorize(who, Action.RULES_WRITE)
            return self._record_rules(session, root, who.username, reason)

    def _record_rules(self, session: Session, root: Path, author: str, reason: str) -> tuple[str, bool]:
        digest = content_hash(root)
        if session.get(RuleVersion, digest) is not None:
            return digest, False
        parent = session.scalar(select(RuleVersion.hash).order_by(RuleVersion.saved_at.desc()).limit(1))
        files = {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8") for path in rule_files(root)}
        session.add(RuleVersion(hash=digest, files=files, author=author, reason=reason, parent=parent))
        return digest, True

    def rule_log(self, who: Principal) -> list[dict[str, Any]]:
        with self._tx(who, "rules.log") as session:
            authorize(who, Action.RULES_READ)
            rows = session.scalars(select(RuleVersion).order_by(RuleVersion.saved_at.desc()))
            return [{"hash": r.hash, "saved_at": r.saved_at, "author": r.author, "reason": r.reason,
                     "parent": r.parent, "files": len(r.files)} for r in rows]

    def rule_version(self, who: Principal, wanted: str) -> dict[str, str]:
        """The files of a recorded version, by its hash or an unambiguous prefix (8 or more hex digits)."""
        prefix = wanted if wanted.startswith("sha256:") else f"sha256:{wanted}"
        if len(prefix) < len("sha256:") + 8:
            raise InputError(f"rule version '{wanted}': give at least 8 hex digits of the hash")
        with self._tx(who, "rules.show", detail=prefix) as session:
            authorize(who, Action.RULES_READ)
            found = list(session.scalars(select(RuleVersion).where(RuleVersion.hash.startswith(prefix))))
            if len(found) != 1:
                what = "no recorded rule version" if not found else f"{len(found)} recorded rule versions"
                raise InputError(f"{what} matches '{wanted}'; 'matcher rules log' lists them")
            return dict(found[0].files)

    def stored_case_impact(self, who: Principal, old_rules: RuleBase, new_rules: RuleBase, old_model: RiskModel,
                           new_model: RiskModel) -> dict[str, Any]:
        """What a rule change would do to the stored cases, in counts only, for a methodologist (who may not read
        case data): how many cases there are, how many the old rule base cannot read, and per insats how many
        cases gain or lose it among their recommendations. Each case counts with its latest assessment; the cases
        are the user's unit's, or every unit's for a user without a unit. No case, answer or result leaves here."""
        with self._tx(who, "rules.impact", detail=f"{old_rules.content_hash[:19]} -> "
                                                  f"{new_rules.content_hash[:19]}") as session:
            authorize(who, Action.RULES_WRITE)
            latest = select(Assessment.case_id, func.max(Assessment.version).label("version")) \
                .group_by(Assessment.case_id).subquery()
            query = select(Assessment.data).join(latest, (Assessment.case_id == latest.c.case_id)
                                                 & (Assessment.version == latest.c.version))
            if who.unit is not None:
                query = query.join(Case, Case.id == Assessment.case_id).join(Unit).where(Unit.code == who.unit)
            stored = list(session.scalars(query))
        readable = [(f"stored case {n}", data) for n, data in enumerate(stored) if _readable(data, old_rules)]
        counts: list[dict[str, Any]] = []
        if readable:
            old_cases = encode_cases(readable, old_rules)
            diff = impact(old_rules, new_rules, old_cases, translate(old_cases, old_rules, new_rules), old_model,
                          new_model, examples_per_change=0)
            counts = [{"intervention": i.intervention, "gained": i.gained, "lost": i.lost} for i in diff.impacts]
        return {"cases": len(readable), "unreadable": len(stored) - len(readable), "impact": counts}

    # ------------------------------------------------------------ audit

    def verify_audit(self, who: Principal) -> list[audit.ChainProblem]:
        with self._tx(who, "audit.verify") as session:
            authorize(who, Action.AUDIT_READ)
            return audit.verify(session, self._audit_key)

    def audit_entries(self, who: Principal, *, case_code: str | None = None, actor: str | None = None,
                      limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """A page of the audit log, newest first, of one case or one actor if given: (entries, how many match).
        Reading the log is itself logged."""
        if limit < 1 or offset < 0:
            raise InputError(f"audit log: expected a page size of at least 1 and an offset of at least 0; "
                             f"found {limit} and {offset}")
        detail = f"actor={actor or '*'} limit={limit} offset={offset}"
        with self._tx(who, "audit.read", case_code, detail) as session:
            authorize(who, Action.AUDIT_READ)
            query = select(AuditEntry)
            if case_code:
                query = query.where(AuditEntry.case_code == case_code)
            if actor:
                query = query.where(AuditEntry.actor == actor)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset))
            return [{"seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action, "case_code": r.case_code,
                     "detail": r.detail} for r in rows], total


def _role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        roles = [r.value for r in Role]
        raise InputError(f"unknown role '{text}'{did_you_mean(text, roles)}; expected one of "
                         f"{', '.join(roles)}") from None


def _readable(data: Any, rules: RuleBase) -> bool:
    try:
        encode_cases([("stored case", data)], rules)
    except InputError:
        return False
    return True


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InputError(f"unknown user '{username}'")
    return user


def _unit(session: Session, code: str | None) -> Unit:
    if code is None:
        raise InputError("the acting user has no unit")
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        unit = Unit(code=code)
        session.add(unit)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            unit = session.scalars(select(Unit).where(Unit.code == code)).one()
    return unit


def _existing_unit(session: Session, code: str, lock: bool = False) -> Unit:
    query = select(Unit).where(Unit.code == code)
    unit = session.scalar(query.with_for_update() if lock else query)
    if unit is None:
        known = list(session.scalars(select(Unit.code)))
        raise InputError(f"unknown unit '{code}': a unit is created when its first user is added (matcher users "
                         f"add NAME --unit {code}){did_you_mean(code, known)}")
    return unit


def _latest_catalogue(session: Session, unit: Unit) -> CatalogueVersion | None:
    return session.scalar(select(CatalogueVersion).where(CatalogueVersion.unit_id == unit.id)
                          .order_by(CatalogueVersion.version.desc()).limit(1))


def _stored_catalogue(unit: str, row: CatalogueVersion) -> StoredCatalogue:
    return StoredCatalogue(LocalCatalogue.model_validate({"unit": unit, "offers": row.offers}), row.version,
                           row.saved_at, row.author, row.reason)


def _plan_view(plan: Plan | None) -> PlanView:
    if plan is None:
        return PlanView(0, ())
    return PlanView(plan.version, tuple(PlanItemInput(i.intervention, i.actor, i.goal, i.start_on, i.follow_up_on,
                                                      i.status, i.sessions_delivered, i.hours_delivered)
                                        for i in plan.items))
