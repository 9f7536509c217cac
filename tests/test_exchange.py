"""Export and import (issue 7, SPEC §10): Referrals-API JSON and CSV, all or nothing."""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from cosell_tui import cli
from cosell_tui.clock import FixedClock
from cosell_tui.demo import build_demo
from cosell_tui.domain.enums import DealType, Stage
from cosell_tui.domain.errors import DomainError, NotAllowed
from cosell_tui.domain.models import User
from cosell_tui.exchange import export, importer, tabular
from cosell_tui.exchange.records import ReferralRecord
from cosell_tui.store import bulk, queries
from cosell_tui.store.database import Database, open_database
from cosell_tui.store.schema import ReferralRow
from tests.conftest import PG_EMPTY, SEED, TODAY, postgres_copy

DANA = "dana.whitfield@contoso.example"  # Contoso's partner admin


@pytest.fixture(scope="module")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`demo --deals 0`: the same ecosystem as the demo, no deals."""
    path = tmp_path_factory.mktemp("empty") / "empty.db"
    database = open_database(path, clock=FixedClock.on(TODAY))
    build_demo(database, seed=SEED, today=TODAY, deals=0)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path


@pytest.fixture
def empty_db(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, clock: FixedClock
) -> Iterator[Database]:
    """A private `demo --deals 0`, on the test's backend (tests marked `backends`: both)."""
    if backend == "postgresql":
        server = request.getfixturevalue("postgres_server")
        with postgres_copy(server, PG_EMPTY, clock) as database:
            build_demo(database, seed=SEED, today=TODAY, deals=0)
            yield database
        return
    path = tmp_path / "empty.db"
    shutil.copyfile(request.getfixturevalue("empty_template"), path)
    database = open_database(path, clock=clock)
    yield database
    database.dispose()


def _user(db: Database, email: str) -> User:
    with db.reading() as session:
        user = queries.user_by_email(session, email)
    assert user is not None
    return user


def _export(db: Database, email: str, form: export.Format, path: Path) -> str:
    export.export(db, _user(db, email), form=form, out=path)
    return path.read_text(encoding="utf-8")


def _records(text: str) -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = json.loads(text)["value"]
    return value


def _count(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(ReferralRow)) or 0)


def _won_referral(db: Database) -> tuple[str, int]:
    with db.reading() as session:
        found = session.execute(
            select(ReferralRow.id, ReferralRow.organization_id)
            .where(ReferralRow.status == "won")
            .order_by(ReferralRow.id)
            .limit(1)
        ).one()
    return found[0], found[1]


def _on_third_batch(
    monkeypatch: pytest.MonkeyPatch, change: Callable[[bulk.Batch], None]
) -> dict[str, int]:
    """Batches of 5 records; `change` is done to the third just before it is written. The
    count of batches handed to the writer is returned, kept up to date."""
    monkeypatch.setattr(importer, "WRITE_EVERY", 5)
    calls = {"n": 0}
    write_rows = bulk.Batch.write_rows

    def changing(self: bulk.Batch, cursor: object, **options: bool) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            change(self)
        write_rows(self, cursor, **options)

    monkeypatch.setattr(bulk.Batch, "write_rows", changing)
    return calls


def _refuse(_batch: bulk.Batch) -> None:
    raise sqlite3.IntegrityError("UNIQUE constraint failed: referrals.id")


def _ann(won: str, organization: int) -> dict[str, Any]:
    """A team member for the deal `won`, as a bulk writer's row."""
    return {
        "referral_id": won,
        "organization_id": organization,
        "first_name": "Ann",
        "last_name": "Lee",
        "phone": "+1 206 555 0100",
        "email": "ann@contoso.example",
    }


_ADD_MEMBER = (
    "INSERT INTO team_members (referral_id, organization_id, first_name, last_name, phone, "
    "email) VALUES (:won, :org, 'Ann', 'Lee', '+1 206 555 0100', 'ann@contoso.example')"
)


def _assert_frozen(db: Database, won: str, organization: int) -> None:
    """R-STORE-1 in raw SQL, outside the app: a closed deal refuses UPDATE, DELETE, a team
    member added and its team member removed."""
    for statement in (
        "UPDATE referrals SET name = 'x' WHERE id = :won",
        "DELETE FROM referrals WHERE id = :won",
        _ADD_MEMBER,
        "DELETE FROM team_members WHERE referral_id = :won",
    ):
        with pytest.raises(IntegrityError, match="closed"), db.engine.begin() as connection:
            connection.execute(text(statement), {"won": won, "org": organization})


# --- round trip -------------------------------------------------------------------------------


@pytest.mark.backends
@pytest.mark.parametrize("form", ["json", "csv"])
def test_round_trip_through_a_fresh_ecosystem_is_lossless(
    demo_db: Database, empty_db: Database, tmp_path: Path, form: export.Format
) -> None:
    # issue 7: export as a partner admin, import into `demo --deals 0`, export again: equal,
    # ids included
    first = _export(demo_db, DANA, form, tmp_path / f"first.{form}")
    result = importer.import_file(
        empty_db, _user(empty_db, DANA), tmp_path / f"first.{form}", form=None
    )
    second = _export(empty_db, DANA, form, tmp_path / f"second.{form}")
    if form == "json":
        before, after = _records(first), _records(second)
        assert len(before) == 24 == result.added
        assert before == after
        kinds = {(r["substatus"], r["dealType"]) for r in before}
        # every kind of deal went through: terminal ones, inbound ones, every deal type
        assert {("Won", "co_sell"), ("Declined", "co_sell"), ("Expired", "co_sell")} <= kinds
        assert {r["dealType"] for r in before} == {t.value for t in DealType}
        assert any(r["registration"] for r in before)
        assert any(r["parties"] for r in before)
    else:
        assert first.splitlines()[0] == ",".join(tabular.columns())
        assert first == second


@pytest.mark.backends
def test_importing_the_same_file_twice_adds_nothing(
    demo_db: Database, empty_db: Database, tmp_path: Path
) -> None:
    _export(demo_db, DANA, "json", tmp_path / "deals.json")
    dana = _user(empty_db, DANA)
    first = importer.import_file(empty_db, dana, tmp_path / "deals.json", form=None)
    count = _count(empty_db)
    again = importer.import_file(empty_db, dana, tmp_path / "deals.json", form=None)
    assert (first.added, again.added, again.skipped) == (24, 0, 24)
    assert _count(empty_db) == count
    assert "skipped 24 already in the database" in again.summary()


@pytest.mark.backends
def test_a_crm_file_without_ids_matches_on_the_crm_id(demo_db: Database, tmp_path: Path) -> None:
    text = _export(demo_db, DANA, "json", tmp_path / "deals.json")
    records = _records(text)
    for record in records:
        record["id"] = None
        record["engagementId"] = None
    with_crm = sum(1 for r in records if r["externalReferenceId"])
    path = tmp_path / "crm.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    result = importer.import_file(demo_db, _user(demo_db, DANA), path, form=None)
    assert result.skipped == with_crm > 0
    assert result.added == len(records) - with_crm


@pytest.mark.backends
def test_imported_terminal_deals_are_frozen(
    empty_db: Database, demo_db: Database, tmp_path: Path
) -> None:
    # R-STORE-1 / issue 7: terminal deals import as terminal and are then frozen
    _export(demo_db, DANA, "json", tmp_path / "deals.json")
    importer.import_file(empty_db, _user(empty_db, DANA), tmp_path / "deals.json", form=None)
    _assert_frozen(empty_db, *_won_referral(empty_db))


@pytest.mark.backends
def test_a_large_import_round_trips_and_leaves_closed_deals_frozen(
    demo_db: Database, empty_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 7 on each backend (issue 8): the bulk load, in several batches from the writer
    # thread, gives back the same file, and its closed deals are frozen
    monkeypatch.setattr(importer, "BULK_FROM", 1)
    monkeypatch.setattr(importer, "WRITE_EVERY", 5)
    first = _export(demo_db, DANA, "json", tmp_path / "first.json")
    result = importer.import_file(
        empty_db, _user(empty_db, DANA), tmp_path / "first.json", form=None
    )
    assert result.added == 24
    assert _records(_export(empty_db, DANA, "json", tmp_path / "second.json")) == _records(first)
    _assert_frozen(empty_db, *_won_referral(empty_db))


@pytest.mark.backends
def test_imported_deals_appear_in_the_lists_and_search(
    demo_db: Database, empty_db: Database, tmp_path: Path
) -> None:
    _export(demo_db, DANA, "json", tmp_path / "deals.json")
    dana = _user(empty_db, DANA)
    importer.import_file(empty_db, dana, tmp_path / "deals.json", form=None)
    with demo_db.reading() as session:
        before = queries.count_visible(session, _user(demo_db, DANA))
    with empty_db.reading() as session:
        assert queries.count_visible(session, dana) == before
        from cosell_tui.store import search

        hits = search.find_deals(session, dana, "Woodgrove")
    assert hits, "the palette's search index holds the imported deals"


# --- who sees what ------------------------------------------------------------------------------


def test_a_referral_users_export_holds_only_their_deals(demo_db: Database, tmp_path: Path) -> None:
    # R-ACL-1, R-ACL-3
    marco = _user(demo_db, "marco.ruiz@contoso.example")
    records = _records(_export(demo_db, marco.email, "json", tmp_path / "marco.json"))
    with demo_db.reading() as session:
        visible = {r.id for r in queries.list_referrals(session, marco, show="all", limit=1000)}
    assert {r["id"] for r in records} == visible
    assert 0 < len(records) < 24
    assert all(any(m["email"] == marco.email for m in r["team"]) for r in records)


def test_a_sellers_export_holds_no_private_deal(demo_db: Database, tmp_path: Path) -> None:
    records = _records(
        _export(demo_db, "megan.bowen@microsoft.example", "json", tmp_path / "m.json")
    )
    assert records
    assert all(r["dealType"] != DealType.PRIVATE.value for r in records)
    # the other parties' cards carry no private notes or CRM ids (R-INV-4)
    for record in records:
        for party in record["parties"]:
            assert set(party) == {
                "id", "organization", "location", "createdDateTime", "direction", "status",
                "invitedBy", "helpRequested",
            }  # fmt: skip


def test_the_json_uses_the_referrals_api_names_and_statuses(
    demo_db: Database, tmp_path: Path
) -> None:
    records = _records(_export(demo_db, DANA, "json", tmp_path / "d.json"))
    pairs = {(r["status"], r["substatus"]) for r in records}
    assert pairs <= {
        ("New", "Received"), ("Active", "Accepted"), ("Closed", "Won"), ("Closed", "Lost"),
        ("Closed", "Declined"), ("Closed", "Expired"),
    }  # fmt: skip
    assert ("New", "Received") in pairs and ("Closed", "Won") in pairs
    record = records[0]
    for name in ("id", "engagementId", "name", "customerProfile", "details", "team"):
        assert name in record
    assert {"dealValue", "currency", "closingDateTime", "notes"} <= set(record["details"])
    assert {"firstName", "lastName", "phoneNumber", "email"} <= set(record["team"][0])


# --- a bad file ----------------------------------------------------------------------------------


def _bad_records(demo_db: Database, tmp_path: Path) -> list[dict[str, Any]]:
    records = _records(_export(demo_db, DANA, "json", tmp_path / "d.json"))[:8]
    bad = copy.deepcopy(records)
    del bad[2]["name"]
    bad[2]["details"]["dealValue"] = -1
    bad[6]["details"]["currency"] = "EURO"
    bad[6]["details"]["closingDateTime"] = "2026-02-30"
    bad[6]["substatus"] = "Pending"
    for record in bad:  # new ids: otherwise they are skipped as already there
        record["id"] = record["engagementId"] = None
        record["externalReferenceId"] = None
    return bad


def test_bad_records_are_all_reported_and_nothing_is_written(
    demo_db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_bad_records(demo_db, tmp_path)), encoding="utf-8")
    count = _count(demo_db)
    with pytest.raises(importer.ImportRefused) as refused:
        importer.import_file(demo_db, _user(demo_db, DANA), path, form=None)
    assert _count(demo_db) == count
    found = {(p.record, p.field) for p in refused.value.problems}
    assert found == {
        (3, "name"),
        (3, "details.dealValue"),
        (7, "details.currency"),
        (7, "details.closingDateTime"),
        (7, "substatus"),
    }
    message = str(refused.value)
    assert message.startswith(
        "Nothing was imported: 2 of 8 record(s) have problems (records 3, 7)."
    )
    assert "record 3, name: This field is required." in message
    assert "record 7, substatus: Use Received, Accepted, Won, Lost, Declined or Expired." in message


def test_bad_csv_records_are_reported_by_column(demo_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    rows = [
        ReferralRecord.model_validate(r)
        for r in _records(_export(demo_db, DANA, "json", tmp_path / "d.json"))[:2]
    ]
    text = "".join(tabular.csv_lines(rows))
    lines = list(csv.reader(io.StringIO(text)))
    header = lines[0]
    lines[2][header.index("details.dealValue")] = "-1"
    lines[2][header.index("details.currency")] = "EURO"
    lines[1][header.index("id")] = lines[2][header.index("id")] = ""  # new deals
    lines[1][header.index("engagementId")] = lines[2][header.index("engagementId")] = ""
    lines[1][header.index("externalReferenceId")] = ""
    lines[2][header.index("externalReferenceId")] = ""
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(importer.ImportRefused) as refused:
        importer.import_file(demo_db, _user(demo_db, DANA), path, form=None)
    assert {(p.record, p.field) for p in refused.value.problems} == {
        (2, "details.dealValue"),
        (2, "details.currency"),
    }


@pytest.mark.parametrize(
    ("name", "content", "sentence"),
    [
        ("broken.json", b'{"value": [', "is not valid JSON"),
        ("empty.json", b"  \n", "is empty"),
        ("short.csv", b"id,name\n1,x\n", "The CSV has no column substatus"),
        ("binary.json", bytes(range(256)), "is not a text file"),
        ("object.json", b'{"hello": 1}', "holds no referral records"),
    ],
)
def test_unreadable_files_are_one_sentence_and_exit_1(
    demo_db: Database,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes,
    sentence: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert demo_db.path is not None
    with pytest.raises(SystemExit) as exit_:
        cli.main(["import", str(path), "--db", str(demo_db.path), "--as", DANA])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip()
    assert sentence in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_missing_file_is_one_sentence(
    demo_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo_db.path is not None
    with pytest.raises(SystemExit):
        cli.main(["import", str(tmp_path / "nope.json"), "--db", str(demo_db.path)])
    assert capsys.readouterr().err.strip().endswith(f"There is no file {tmp_path / 'nope.json'}.")


def test_a_referral_user_cannot_import(demo_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    _export(demo_db, DANA, "json", path)
    with pytest.raises(NotAllowed, match="Only partner admins, referral admins and sellers"):
        importer.import_file(demo_db, _user(demo_db, "marco.ruiz@contoso.example"), path, form=None)


# --- what other systems write --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stage"),
    [
        ("Qualify", Stage.QUALIFIED),
        ("Develop", Stage.DEVELOPED),
        ("Propose", Stage.PROPOSED),
        ("Close", Stage.NEGOTIATED),
        ("45", Stage.DEVELOPED),
        ("60%", Stage.PROPOSED),
        ("5", Stage.ACCEPTED),
        ("negotiated", Stage.NEGOTIATED),
    ],
)
def test_stages_from_other_systems_are_mapped(
    demo_db: Database, empty_db: Database, tmp_path: Path, given: str, stage: Stage
) -> None:
    # R-LIFE-8: the API's Qualify/Develop/Propose/Close and bare percentages
    records = _records(_export(demo_db, DANA, "json", tmp_path / "d.json"))
    record = next(
        r for r in records if r["substatus"] == "Accepted" and r["direction"] == "Incoming"
    )
    record["salesStage"] = {"stage": given}
    path = tmp_path / "one.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    dana = _user(empty_db, DANA)
    importer.import_file(empty_db, dana, path, form=None)
    with empty_db.reading() as session:
        referral = queries.referral(session, record["id"])
    assert referral.stage is stage
    # marking a stage marks the earlier ones (R-LIFE-7)
    assert [m.stage for m in referral.stage_marks][-1] is stage
    assert referral.stage_marks[0].stage is Stage.ACCEPTED


@pytest.mark.backends
def test_missing_customers_organizations_and_solutions_are_created(
    demo_db: Database, tmp_path: Path
) -> None:
    records = _records(_export(demo_db, DANA, "json", tmp_path / "d.json"))
    record = next(r for r in records if r["parties"] and r["direction"] == "Outgoing")
    record["id"] = record["engagementId"] = record["externalReferenceId"] = None
    record["customerProfile"]["name"] = "Brand New Customer Ltd"
    record["customerProfile"]["ids"]["duns"] = "999888777"
    record["details"]["requirements"]["solutions"][0].update(
        id=None, name="Quantum Ledger", kind="partner", incentiveEligible=False
    )
    record["parties"].append(
        {
            "organization": {"name": "Adatum Partners", "partnerId": "4999999"},
            "location": {"city": "Oslo", "country": "NO"},
            "direction": "Incoming",
            "status": "received",
        }
    )
    path = tmp_path / "new.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    result = importer.import_file(demo_db, _user(demo_db, DANA), path, form=None)
    assert result.added == 1
    assert result.created == {
        "customer(s)": 1, "organization(s)": 1, "location(s)": 1, "solution(s)": 1,
    }  # fmt: skip
    with demo_db.reading() as session:
        adatum = next(o for o in queries.organizations(session) if o.partner_id == "4999999")
        assert [loc.label for loc in adatum.locations] == ["Oslo, NO"]
    # the second time, everything is matched: nothing new
    again = importer.import_file(demo_db, _user(demo_db, DANA), path, form=None)
    assert not +again.created


# --- writing files -------------------------------------------------------------------------------


def test_export_to_a_path_under_a_regular_file_is_one_sentence(
    demo_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    assert demo_db.path is not None
    with pytest.raises(SystemExit) as exit_:
        cli.main(["export", "--db", str(demo_db.path), "--out", str(blocker / "out.json")])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith("a part of that path is a file, not a folder.")
    assert len(err.splitlines()) == 1


def test_export_replaces_a_file_whole(demo_db: Database, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "deals.csv"
    target.write_text("old")
    text = _export(demo_db, DANA, "csv", target)
    assert text.startswith("id,engagementId,name,")
    assert [p.name for p in target.parent.iterdir()] == ["deals.csv"]  # no temporary file left


def test_a_file_cannot_join_another_organizations_engagement(
    demo_db: Database, tmp_path: Path
) -> None:
    # R-INV-1, R-ACL-3: Fabrikam names Contoso's private engagement in a file; a party joins
    # a deal only when invited, so nothing is written and the deal stays private
    records = _records(_export(demo_db, DANA, "json", tmp_path / "d.json"))
    private = next(
        r for r in records if r["dealType"] == "private" and r["substatus"] == "Accepted"
    )
    jonas = _user(demo_db, "jonas.keller@fabrikam.example")
    with demo_db.reading() as session:
        fabrikam = queries.organization(session, jonas.organization_id)
    record = copy.deepcopy(private)
    record.update(
        id=None,
        externalReferenceId=None,
        direction="Incoming",
        inviteContext={"invitedBy": {"name": "Contoso Analytics", "partnerId": "4100021"}},
        location={"city": fabrikam.locations[0].city, "country": fabrikam.locations[0].country},
        team=[
            {
                "firstName": jonas.first_name,
                "lastName": jonas.last_name,
                "phoneNumber": jonas.phone,
                "email": jonas.email,
            }
        ],
        parties=[],
    )
    path = tmp_path / "fabrikam.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    count = _count(demo_db)
    with pytest.raises(importer.ImportRefused) as refused:
        importer.import_file(demo_db, jonas, path, form=None)
    assert [(p.record, p.field) for p in refused.value.problems] == [(1, "engagementId")]
    assert _count(demo_db) == count
    with demo_db.reading() as session:
        assert queries.engagement(session, private["engagementId"]).deal_type is DealType.PRIVATE


def test_party_cards_follow_the_invitation_rules(demo_db: Database, tmp_path: Path) -> None:
    # R-INV-2, R-INV-3: a card of a party this organization invited must be one it could
    # have invited; each party once
    records = _records(_export(demo_db, DANA, "json", tmp_path / "d.json"))
    record = copy.deepcopy(next(r for r in records if r["dealType"] == "private"))
    record.update(id=None, engagementId=None, externalReferenceId=None)
    record["customerProfile"]["team"] = []  # no contact: the vendor cannot be invited
    vendor = {"name": "Microsoft", "isVendor": True}
    litware = {"name": "Litware Labs", "partnerId": None}
    with demo_db.reading() as session:
        litware_org = next(o for o in queries.organizations(session) if o.name == "Litware Labs")
    assert not litware_org.in_ecosystem
    litware["partnerId"] = litware_org.partner_id
    record["parties"] = [
        {"organization": vendor, "direction": "Incoming", "status": "received"},
        {"organization": litware, "direction": "Incoming", "status": "won"},
        {"organization": litware, "direction": "Incoming", "status": "received"},
    ]
    path = tmp_path / "forged.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    with pytest.raises(importer.ImportRefused) as refused:
        importer.import_file(demo_db, _user(demo_db, DANA), path, form=None)
    assert {p.field for p in refused.value.problems} == {
        "parties.0.helpRequested",
        "customerProfile.team",
        "parties.1.organization",
        "parties.2.organization",
    }


def test_impossible_states_and_repeats_in_a_file_are_refused(
    demo_db: Database, tmp_path: Path
) -> None:
    records = _records(_export(demo_db, DANA, "json", tmp_path / "d.json"))
    outgoing = next(r for r in records if r["direction"] == "Outgoing")
    first, second = copy.deepcopy(outgoing), copy.deepcopy(outgoing)
    for record in (first, second):
        record.update(id=None, engagementId=None, externalReferenceId="CRM-9")
    first.update(substatus="Declined", status="Closed", statusReason="not_a_customer")
    path = tmp_path / "odd.json"
    path.write_text(json.dumps([first, second]), encoding="utf-8")
    with pytest.raises(importer.ImportRefused) as refused:
        importer.import_file(demo_db, _user(demo_db, DANA), path, form=None)
    assert {(p.record, p.field) for p in refused.value.problems} == {
        (1, "direction"),  # only an invitation is declined (§3)
        (2, "externalReferenceId"),  # the same CRM id twice
    }


def test_a_received_deal_keeps_no_stage_from_the_file(
    demo_db: Database, empty_db: Database, tmp_path: Path
) -> None:
    # the bottom rung until accepted: lists, totals and the Pipeline weigh it at 10 %
    records = _records(_export(demo_db, DANA, "json", tmp_path / "d.json"))
    record = copy.deepcopy(next(r for r in records if r["substatus"] == "Received"))
    record["salesStage"] = {"stage": "Negotiated", "marks": [
        {"stage": "Negotiated", "markedDateTime": "2026-11-01T09:00:00Z"}
    ]}  # fmt: skip
    path = tmp_path / "received.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    importer.import_file(empty_db, _user(empty_db, DANA), path, form=None)
    with empty_db.reading() as session:
        referral = queries.referral(session, record["id"])
    assert referral.stage is Stage.ACCEPTED
    assert referral.stage_marks == ()


def test_ids_must_be_uuids_also_on_party_cards(demo_db: Database, tmp_path: Path) -> None:
    records = _records(_export(demo_db, DANA, "json", tmp_path / "d.json"))
    record = copy.deepcopy(next(r for r in records if r["parties"]))
    record["id"] = "not-an-id"
    record["parties"][0]["id"] = "x'); DROP TABLE referrals; --"
    path = tmp_path / "ids.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    with pytest.raises(importer.ImportRefused) as refused:
        importer.import_file(demo_db, _user(demo_db, DANA), path, form=None)
    assert {(p.record, p.field) for p in refused.value.problems} == {
        (1, "id"),
        (1, "parties.0.id"),
    }


@pytest.mark.backends
def test_a_refusal_while_writing_keeps_nothing_and_is_one_sentence(
    demo_db: Database, empty_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # all or nothing, also when the writer thread fails in a later batch
    _export(demo_db, DANA, "json", tmp_path / "d.json")
    calls = _on_third_batch(monkeypatch, _refuse)
    count = _count(empty_db)
    with pytest.raises(DomainError) as refused:
        importer.import_file(empty_db, _user(empty_db, DANA), tmp_path / "d.json", form=None)
    assert calls["n"] >= 3
    assert str(refused.value) == (
        "Nothing was imported: the database refused a row (UNIQUE constraint failed: referrals.id)."
    )
    assert _count(empty_db) == count


@pytest.mark.backends
def test_a_row_the_database_refuses_mid_import_is_one_sentence_and_keeps_nothing(
    demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # R-STORE-1 inside an import: the third batch also carries a team member for a won deal,
    # which the database's own guard refuses (a trigger on SQLite, a trigger function on
    # PostgreSQL); the import says so in one sentence and the batches before it are gone too
    records = _records(_export(demo_db, DANA, "json", tmp_path / "d.json"))
    for record in records:  # new deals: nothing in the file is matched and skipped
        record["id"] = record["engagementId"] = record["externalReferenceId"] = None
    (tmp_path / "new.json").write_text(json.dumps(records), encoding="utf-8")
    won, organization = _won_referral(demo_db)
    _on_third_batch(monkeypatch, lambda batch: batch.team.append(_ann(won, organization)))
    count = _count(demo_db)
    with pytest.raises(DomainError) as refused:
        importer.import_file(demo_db, _user(demo_db, DANA), tmp_path / "new.json", form=None)
    assert str(refused.value) == (
        "Nothing was imported: the database refused a row (This row belongs to a closed deal "
        "(won, lost, declined or expired) and cannot be changed.)."
    )
    assert _count(demo_db) == count


# --- a large import (issue 7): what it lifts while it loads comes back -------------------------

_FILLED = ("engagements", "referrals", "team_members", "referral_solutions", "stage_marks")
_FILLED += ("invitations", "activity", "registrations")


def _schema(db: Database) -> list[Any]:
    """Every table, index and trigger as SQLite stores it, and each filled table's indexes in
    the order the query planner weighs them (a fresh connection reads the schema)."""
    assert db.path is not None
    with sqlite3.connect(db.path) as connection:
        objects = connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        order = [connection.execute(f"PRAGMA index_list({t})").fetchall() for t in _FILLED]
    return [objects, order]


def test_a_large_import_loads_without_guards_and_indexes_and_puts_them_back(
    demo_db: Database, empty_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 7, R-STORE-1: the load lifts the insert guards and the indexes inside its own
    # transaction; afterwards the schema is as it was and the imported closed deals are frozen
    monkeypatch.setattr(importer, "BULK_FROM", 1)
    monkeypatch.setattr(importer, "WRITE_EVERY", 5)  # several batches
    first = _export(demo_db, DANA, "json", tmp_path / "first.json")
    before = _schema(empty_db)
    seen: list[list[str]] = []
    write_rows = bulk.Batch.write_rows

    def looking(self: bulk.Batch, cursor: Any, **options: bool) -> None:
        names = "('guard_team_members_insert', 'ix_referrals_name_lower')"
        query = f"SELECT name FROM sqlite_master WHERE name IN {names}"
        seen.append([name for (name,) in cursor.execute(query)])
        write_rows(self, cursor, **options)

    monkeypatch.setattr(bulk.Batch, "write_rows", looking)
    importer.import_file(empty_db, _user(empty_db, DANA), tmp_path / "first.json", form=None)
    assert len(seen) > 1 and seen[0] == []  # the load ran without them
    assert _schema(empty_db) == before
    second = _export(empty_db, DANA, "json", tmp_path / "second.json")
    assert _records(second) == _records(first)
    _assert_frozen(empty_db, *_won_referral(empty_db))


def test_a_large_import_refused_while_writing_puts_guards_and_indexes_back(
    demo_db: Database, empty_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # all or nothing: a refusal in a later batch rolls the lifted schema back with the rows
    monkeypatch.setattr(importer, "BULK_FROM", 1)
    _export(demo_db, DANA, "json", tmp_path / "d.json")
    before, count = _schema(empty_db), _count(empty_db)
    calls = _on_third_batch(monkeypatch, _refuse)
    with pytest.raises(DomainError, match="Nothing was imported: the database refused a row"):
        importer.import_file(empty_db, _user(empty_db, DANA), tmp_path / "d.json", form=None)
    assert calls["n"] == 3
    assert _count(empty_db) == count
    assert _schema(empty_db) == before


def test_lifted_guards_are_back_before_rows_of_a_closed_deal(demo_db: Database) -> None:
    # R-STORE-1: a batch holding a row of a deal it does not insert active is written with the
    # guards in place, so a closed deal stays closed whatever a bulk writer is handed
    won, organization = _won_referral(demo_db)
    before = _schema(demo_db)
    member = _ann(won, organization)
    refused = pytest.raises(sqlite3.IntegrityError, match="closed")
    with refused, demo_db.transaction() as session:
        writer = bulk.BackgroundWriter(session, lift_guards=True, lift_indexes=True)
        writer.put(bulk.Batch(team=[member]))
        writer.close()
    assert _schema(demo_db) == before


def test_a_lifted_unique_index_still_refuses_a_duplicate(demo_db: Database) -> None:
    # a unique index lifted for a load is built again before the commit, and refuses the
    # duplicate as the INSERT would have, in the same words
    assert demo_db.path is not None
    with sqlite3.connect(demo_db.path) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute("SELECT * FROM referrals WHERE status = 'accepted'").fetchone()
    twin = dict(row) | {"id": "3f2b8c1e-5d4a-4f6b-9a7e-2c1d0b9e8f7a"}  # same engagement, org
    before, count = _schema(demo_db), _count(demo_db)
    with pytest.raises(sqlite3.IntegrityError) as refused, demo_db.transaction() as session:
        writer = bulk.BackgroundWriter(session, lift_indexes=True)
        writer.put(bulk.Batch(referrals=[twin]))
        writer.close()
    assert str(refused.value) == (
        "UNIQUE constraint failed: referrals.engagement_id, referrals.organization_id"
    )
    assert (_schema(demo_db), _count(demo_db)) == (before, count)


def test_export_keeps_the_permissions_of_the_file_it_replaces(
    demo_db: Database, tmp_path: Path
) -> None:
    target = tmp_path / "deals.json"
    target.write_text("old")
    target.chmod(0o644)
    _export(demo_db, DANA, "json", target)
    assert target.stat().st_mode & 0o777 == 0o644


def test_a_semicolon_csv_is_one_clear_sentence(demo_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("id;name;substatus\n;x;Accepted\n", encoding="utf-8")
    with pytest.raises(DomainError, match="separated by semicolons; import reads commas"):
        importer.import_file(demo_db, _user(demo_db, DANA), path, form=None)
