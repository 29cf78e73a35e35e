"""The demo shows the whole product: texts in every language, two representatives who see
only their own clients, every kind of deadline; and loading it again changes nothing."""

from collections import Counter

from sqlmodel import col, select

from tracker import demo
from tracker.accounts.users import caller_of
from tracker.alerts.messages import LANGUAGES
from tracker.bootstrap import App
from tracker.cases.access import readable
from tracker.domain.model import DeadlineKind
from tracker.store.db import session_scope
from tracker.store.models import Alert, Case, DeadlineRow, Representative, User

from ..conftest import NOW, table_counts

ZONE = "America/New_York"


def load(app: App) -> None:
    report = demo.seed(app.engine, app.policies, NOW, ZONE)
    assert report.errors == [] and report.created == len(demo.PROFILES) * demo.COPIES
    demo.seed_users(app.engine, NOW)


def test_it_has_a_case_for_every_kind_of_deadline(app: App) -> None:
    load(app)
    with session_scope(app.engine) as session:
        kinds = set(session.exec(select(DeadlineRow.kind)).all())
    assert kinds == set(DeadlineKind)


def test_it_texts_people_in_every_language(app: App) -> None:
    load(app)
    with session_scope(app.engine) as session:
        welcomes = session.exec(select(Alert.language).where(Alert.kind == "welcome")).all()
    # Everyone who consented is welcomed; some did not, so not everyone is.
    assert set(welcomes) == set(LANGUAGES)
    assert 0 < len(welcomes) < len(demo.PROFILES) * demo.COPIES


def test_each_representative_sees_only_their_own_clients(app: App) -> None:
    load(app)
    with session_scope(app.engine) as session:
        seen = {}
        for _, email in demo.REPRESENTATIVES:
            user = session.exec(select(User).where(User.email == email)).one()
            caller = caller_of(user)
            cases = session.exec(select(Case).where(readable(caller))).all()
            assert {c.representative_id for c in cases} == {caller.representative_id}
            seen[email] = {c.external_id for c in cases}
        unassigned = session.exec(
            select(Case.external_id).where(col(Case.representative_id).is_(None))
        ).all()
        reps = session.exec(select(Representative.email)).all()
    first, second = seen.values()
    assert first and second and not first & second
    assert unassigned, "some cases have no representative: their texts name HELP_CONTACT"
    assert sorted(reps) == sorted(email for _, email in demo.REPRESENTATIVES)


def test_loading_it_again_changes_nothing(app: App) -> None:
    load(app)
    before = table_counts(app.engine)
    again = demo.seed(app.engine, app.policies, NOW, ZONE)
    assert demo.seed_users(app.engine, NOW) == []
    assert (again.created, again.unchanged) == (0, len(demo.PROFILES) * demo.COPIES)
    after = table_counts(app.engine)
    # Only the audit trail notes the second import.
    assert {k: v for k, v in after.items() if before[k] != v}.keys() <= {"audit_event"}


def test_most_consent_to_texts_and_the_main_programs_are_there() -> None:
    rows = demo.demo_rows(NOW.date())
    consent = Counter(r["sms_consent"] for r in rows)
    assert consent["yes"] > consent["no"] > 0
    assert {r["program"] for r in rows} == {"U4U", "OAW", "CHNV", "CAM", "medical", "other"}
