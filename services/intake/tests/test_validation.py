"""The validator: every acceptable submission passes, every kind of bad one gets its own clear reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lapor_intake.contacts import IdentityHasher
from lapor_intake.validation import DEFAULT_MEDIA_TYPES, Policy, check, normalise_email, normalise_phone
from lapor_shared.events.intake import ComplaintSubmitted
from lapor_shared.events.values import Attachment, Channel, Location, ReporterContact
from lapor_shared.regions import all_regions
from lapor_shared.testing.factories import complaint_submitted

pytestmark = [pytest.mark.unit, pytest.mark.timeout(120)]

POLICY = Policy()
NOW = datetime.now(UTC)
REGIONS = sorted(all_regions())
MOBILE_PREFIXES = ["0811", "0812", "0813", "0821", "0852", "0856", "0857", "0817", "0878", "0896", "0881", "0838"]
AREA_CODES = ["021", "022", "031", "0274", "0721", "061", "0411", "0361"]

WORDS = (  # noqa: SIM905 - a sentence reads better than 46 quoted words
    "jalan rusak berlubang lampu mati sampah menumpuk di depan sekolah pasar puskesmas kantor kelurahan "
    "air bersih tidak mengalir sejak minggu lalu mohon segera diperbaiki warga resah banjir selokan tersumbat "
    "pelayanan KTP lambat pungutan liar Rp50.000 RT 05/RW 02 Jl. Sudirman No. 12 café Bandar Lampung 2025"
).split()
word = st.sampled_from(WORDS) | st.text(alphabet="abcdefghijklmnopqrstuvwxyzéñ0123456789", min_size=1, max_size=8)
punctuation = st.sampled_from(["", "", ",", ".", "!", "?", ":", " -", " (RT 05)", "/"])


def sentence(min_words: int, max_words: int, *, lines: bool = False) -> st.SearchStrategy[str]:
    separator = st.sampled_from([" ", " ", " ", "\n", "\t"]) if lines else st.just(" ")
    return st.lists(st.tuples(word, punctuation, separator), min_size=min_words, max_size=max_words).map(
        lambda parts: "".join(w + p + s for w, p, s in parts).strip()
    )


titles = sentence(2, 12).filter(lambda t: 3 <= len(t) <= 200)
descriptions = sentence(4, 40, lines=True).filter(lambda t: 10 <= len(t) <= 10_000)


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        national = draw(st.sampled_from(MOBILE_PREFIXES)) + str(draw(st.integers(10**6, 10**8 - 1)))
    else:
        area = draw(st.sampled_from(AREA_CODES))
        national = area + str(draw(st.integers(10**6, 10**7 - 1) if len(area) == 4 else st.integers(10**7, 10**8 - 1)))
    style = draw(st.sampled_from(["plain", "dashes", "spaces", "plus62"]))
    if style == "dashes":
        return f"{national[:4]}-{national[4:8]}-{national[8:]}"
    if style == "spaces":
        return f"{national[:4]} {national[4:]}"
    if style == "plus62":
        return f"+62 {national[1:]}"
    return national


emails = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.builds(lambda name, n, dot: f"{name}{dot}{n}", st.sampled_from(["siti", "budi", "Wayan", "a", "x_y"]),
              st.integers(0, 9999), st.sampled_from(["", ".", "_"])),
    st.sampled_from(["contoh", "desa-maju", "lapor", "gmail", "yahoo", "kemenkes"]),
    st.sampled_from(["id", "co.id", "go.id", "com", "org"]),
)


@st.composite
def locations(draw: st.DrawFn) -> Location:
    region = draw(st.none() | st.sampled_from(REGIONS))
    coordinates = draw(st.booleans())
    text = draw(st.none() | sentence(1, 10, lines=True))
    if region is None and not coordinates and not text:
        region = draw(st.sampled_from(REGIONS))
    return Location(
        region_code=region,
        latitude=draw(st.floats(-11.0, 6.0)) if coordinates else None,
        longitude=draw(st.floats(95.0, 141.0)) if coordinates else None,
        text=text,
    )


attachments = st.builds(
    lambda name, media_type, size: Attachment(
        url=f"https://berkas.lapor.go.id/{name:x}", media_type=media_type, size_bytes=size,
    ),
    st.integers(0, 2**64),
    st.sampled_from(sorted(DEFAULT_MEDIA_TYPES)),
    st.integers(0, POLICY.attachment_max_bytes),
)


@st.composite
def valid_submissions(draw: st.DrawFn) -> ComplaintSubmitted:
    channel = draw(st.sampled_from(list(Channel)))
    anonymous = draw(st.booleans())
    reporter = draw(st.none() | st.builds(
        ReporterContact,
        name=st.none() | sentence(1, 4),
        phone=st.none() | phone_numbers(),
        email=st.none() | emails,
    ))
    reachable = reporter is not None and (reporter.phone or reporter.email)
    if channel in POLICY.reply_channels and not reachable:
        anonymous = True
    return complaint_submitted(
        channel=channel,
        report_type=draw(st.sampled_from(["pengaduan", "aspirasi", "permintaan_informasi"])),
        title=draw(titles),
        description=draw(descriptions),
        incident_date=draw(st.none() | st.dates(date(2000, 1, 1), (NOW - timedelta(days=1)).date())),
        location=draw(locations()),
        category_hint=draw(st.none() | st.sampled_from(["jalan", "kesehatan", "pendidikan"])),
        attachments=draw(st.lists(attachments, max_size=POLICY.attachment_max_count)),
        reporter=reporter,
        anonymous=anonymous,
        confidential=draw(st.booleans()),
        submitted_at=NOW - timedelta(seconds=draw(st.integers(0, 30 * 24 * 3600))),
    )


def _set(**fields: Any) -> Callable[[ComplaintSubmitted], ComplaintSubmitted]:
    return lambda s: s.model_copy(update=fields)


def _where(**fields: Any) -> Callable[[ComplaintSubmitted], ComplaintSubmitted]:
    return lambda s: s.model_copy(update={"location": s.location.model_copy(update=fields)})


def _contact(**fields: Any) -> Callable[[ComplaintSubmitted], ComplaintSubmitted]:
    return lambda s: s.model_copy(update={"reporter": (s.reporter or ReporterContact()).model_copy(update=fields)})


def _attach(**fields: Any) -> Callable[[ComplaintSubmitted], ComplaintSubmitted]:
    base = {"url": "https://berkas.lapor.go.id/foto.jpg", "media_type": "image/jpeg", "size_bytes": 1000}
    return lambda s: s.model_copy(update={"attachments": [Attachment(**{**base, **fields})]})


MUTATIONS: dict[str, tuple[Callable[[ComplaintSubmitted], ComplaintSubmitted], str, str]] = {
    "empty title": (_set(title="   "), "required", "title"),
    "empty description": (_set(description=""), "required", "description"),
    "title too long": (_set(title="a" * 201), "too_long", "title"),
    "description too long": (_set(description="kata " * 2001), "too_long", "description"),
    "description too short": (_set(description="rusak"), "too_short", "description"),
    "script tag in title": (_set(title="Jalan <script>alert(1)</script>"), "markup_not_allowed", "title"),
    "html comment in description": (
        _set(description="Jalan rusak parah sekali <!-- tersembunyi -->"), "markup_not_allowed", "description"
    ),
    "bell in title": (_set(title="Jalan\x07 rusak"), "control_characters", "title"),
    "line break in title": (_set(title="Jalan\nrusak parah"), "control_characters", "title"),
    "NUL in description": (_set(description="Jalan rusak\x00 parah sekali"), "control_characters", "description"),
    "bidi override in description": (
        _set(description="Jalan rusak \u202eparah sekali"), "control_characters", "description"
    ),
    "unknown report type": (_set(report_type="keluhan"), "unknown_report_type", "report_type"),
    "unknown region": (_where(region_code="99.99"), "unknown_region", "location.region_code"),
    "no location": (
        _where(region_code=None, latitude=None, longitude=None, text=None), "location_required", "location"
    ),
    "latitude without longitude": (_where(latitude=-5.4, longitude=None), "incomplete_coordinates", "location"),
    "coordinates in Paris": (_where(latitude=48.85, longitude=2.35), "outside_indonesia", "location"),
    "markup in location text": (_where(text="<b>depan pasar</b>"), "markup_not_allowed", "location.text"),
    "naive submitted_at": (_set(submitted_at=datetime(2025, 1, 1, 8, 0)), "naive_timestamp", "submitted_at"),
    "submitted tomorrow": (_set(submitted_at=NOW + timedelta(days=1)), "in_future", "submitted_at"),
    "incident next week": (_set(incident_date=(NOW + timedelta(days=7)).date()), "in_future", "incident_date"),
    "short phone": (_contact(phone="08123"), "invalid_phone", "reporter.phone"),
    "letters for phone": (_contact(phone="nomor saya"), "invalid_phone", "reporter.phone"),
    "email without domain": (_contact(email="warga@"), "invalid_email", "reporter.email"),
    "email with two dots": (_contact(email="warga..satu@contoh.id"), "invalid_email", "reporter.email"),
    "markup in name": (_contact(name="<img src=x onerror=alert(1)>"), "markup_not_allowed", "reporter.name"),
    "sms without contact or anonim": (
        _set(channel=Channel.SMS, reporter=None, anonymous=False), "contact_required", "reporter"
    ),
    "call centre with a name only": (
        _set(channel=Channel.CALL_CENTRE, reporter=ReporterContact(name="Budi"), anonymous=False),
        "contact_required", "reporter",
    ),
    "too many attachments": (
        lambda s: s.model_copy(update={"attachments": [
            Attachment(url=f"https://berkas.lapor.go.id/{i}.jpg", media_type="image/jpeg", size_bytes=10)
            for i in range(POLICY.attachment_max_count + 1)
        ]}),
        "too_many_attachments", "attachments",
    ),
    "ftp attachment": (_attach(url="ftp://berkas.lapor.go.id/foto.jpg"), "attachment_url_scheme", "attachments[0].url"),
    "plain http attachment": (
        _attach(url="http://berkas.lapor.go.id/foto.jpg"), "attachment_url_scheme", "attachments[0].url",
    ),
    "attachment URL with a password": (
        _attach(url="https://budi:rahasia@berkas.lapor.go.id/foto.jpg"), "attachment_url_credentials",
        "attachments[0].url",
    ),
    "huge attachment": (
        _attach(size_bytes=POLICY.attachment_max_bytes + 1), "attachment_too_large", "attachments[0].size_bytes"
    ),
    "executable attachment": (
        _attach(media_type="application/x-msdownload"), "attachment_media_type", "attachments[0].media_type"
    ),
    "markup in category": (_set(category_hint="<i>jalan</i>"), "markup_not_allowed", "category_hint"),
    "NUL in channel message id": (_set(channel_message_id="sms-1\x00"), "control_characters", "channel_message_id"),
}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_submissions())
def test_every_valid_submission_is_accepted_with_its_contact_normalised(submission):
    checked = check(submission, now=NOW, policy=POLICY)

    assert checked.problems == []
    given_contact = submission.reporter
    if given_contact is None or not (given_contact.name or given_contact.phone or given_contact.email):
        assert checked.contact is None
    else:
        assert checked.contact is not None
        if given_contact.phone:
            assert checked.contact.phone is not None and checked.contact.phone.startswith("+62")
            assert checked.contact.phone[1:].isdigit()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_submissions(), st.sampled_from(sorted(MUTATIONS)))
def test_every_bad_mutation_is_rejected_with_its_own_code_and_field(submission, mutation):
    mutate, code, field = MUTATIONS[mutation]

    problems = check(mutate(submission), now=NOW, policy=POLICY).problems

    assert (code, field) in {(p.code, p.field) for p in problems}, mutation
    for problem in problems:
        assert problem.message_id and problem.message_en and problem.message_id != problem.message_en


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_each_mutation_alone_gives_exactly_its_reason(mutation):
    mutate, code, field = MUTATIONS[mutation]
    base = complaint_submitted()

    problems = check(mutate(base), now=NOW, policy=POLICY).problems

    assert [(p.code, p.field) for p in problems] == [(code, field)]


@pytest.mark.parametrize("typed", ["0812-3456-7890", "081234567890", "+62 812 3456 7890", "(0812) 34567890"])
def test_indonesian_mobile_numbers_in_any_format_are_stored_in_e164(typed):
    assert normalise_phone(typed) == "+6281234567890"


def test_a_landline_is_a_valid_contact_number():
    checked = check(complaint_submitted(reporter=ReporterContact(phone="(021) 3456789")), now=NOW)

    assert checked.problems == []
    assert checked.contact is not None and checked.contact.phone == "+62213456789"


def test_the_email_domain_is_normalised_and_the_name_trimmed():
    checked = check(complaint_submitted(reporter=ReporterContact(name="  Siti  ", email="Siti@Contoh.GO.ID")), now=NOW)

    assert checked.contact == ReporterContact(name="Siti", phone=None, email="Siti@contoh.go.id")
    assert normalise_email("bukan email") is None


def test_an_anonymous_sms_without_contact_is_accepted():
    submission = complaint_submitted(channel=Channel.SMS, reporter=None, anonymous=True)

    assert check(submission, now=NOW).problems == []


def test_a_web_submission_without_contact_is_accepted_because_the_web_shows_the_answer():
    assert check(complaint_submitted(channel=Channel.WEB, reporter=None), now=NOW).problems == []


def test_an_incident_today_in_papua_is_not_in_the_future():
    late_evening_utc = datetime(2025, 5, 1, 16, 30, tzinfo=UTC)  # 01:30 on 2 May in Jayapura (WIT)

    problems = check(complaint_submitted(incident_date=date(2025, 5, 2), submitted_at=late_evening_utc),
                     now=late_evening_utc).problems

    assert problems == []


def test_one_person_gets_the_same_keyed_hash_whatever_the_format():
    hasher = IdentityHasher("test-key")
    a = hasher.identity(check(complaint_submitted(reporter=ReporterContact(phone="0812-3456-7890")), now=NOW).contact)
    b = hasher.identity(check(complaint_submitted(reporter=ReporterContact(phone="+6281234567890")), now=NOW).contact)
    other_key = IdentityHasher("another-key").identity(ReporterContact(phone="+6281234567890"))

    assert a.phone_hash == b.phone_hash
    assert a.phone_hash != other_key.phone_hash
    assert b"6281234567890" not in a.phone_hash
    assert hasher.identity(ReporterContact(email="Siti@x.id")) == hasher.identity(ReporterContact(email="siti@x.id"))
