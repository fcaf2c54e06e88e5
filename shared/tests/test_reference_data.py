"""Reference data every service reads the same way: the category taxonomy, the status labels and the
tracking number's format."""

from __future__ import annotations

import pytest

from lapor_shared import categories, statuses, tracking

pytestmark = pytest.mark.unit


def test_the_taxonomy_has_unique_codes_with_names_descriptions_and_groups_in_both_languages():
    codes = [c.code for c in categories.CATEGORIES]

    assert len(set(codes)) == len(codes)
    assert all(c.name_id and c.name_en and c.description_id and c.group for c in categories.CATEGORIES)
    assert categories.CATEGORIES[-1] is categories.general()


@pytest.mark.parametrize("category", categories.CATEGORIES, ids=lambda c: c.code)
def test_every_code_and_alias_names_its_category_in_any_case_and_spelling(category):
    for key in (category.code, *category.aliases):
        assert categories.resolve(key) is category
        assert categories.resolve(key.upper().replace("_", " ")) is category
        assert categories.resolve(key.replace("_", "-")) is category


def test_an_alias_one_service_knew_and_another_did_not_now_means_the_same_everywhere():
    assert categories.resolve("pdam").code == "perumahan"  # only the adapters' copy had it
    assert categories.resolve("BPJS TK").code == "jaminan_ketenagakerjaan"


def test_an_unknown_or_empty_hint_is_no_category_and_falls_back_to_the_general_one():
    assert categories.resolve("astrologi") is None
    assert categories.resolve("  ") is None
    assert categories.resolve_or_general(None).code == categories.GENERAL == "umum"


def test_every_status_has_one_label_in_each_language_and_an_unknown_one_is_shown_as_it_is():
    assert set(statuses.LABELS) == set(statuses.ComplaintStatus)
    assert all(label_id and label_en for label_id, label_en in statuses.LABELS.values())
    assert statuses.label("closed") == ("Selesai", "Closed")
    assert statuses.label("diterbangkan") == ("diterbangkan", "diterbangkan")


def test_no_status_label_speaks_to_the_reader_since_reporters_the_public_and_officials_all_read_it():
    for label_id, label_en in statuses.LABELS.values():
        assert "Anda" not in label_id.split() and "your" not in label_en.lower().split()


@pytest.mark.parametrize("value", [0, 1, 37, 123_456, 2**40 - 1, 2**60 - 1])
def test_a_formatted_tracking_number_reads_back_as_itself_typed_loosely(value):
    number = tracking.format_value(value)

    assert tracking.normalise(number) == number
    assert tracking.normalise(number.lower().replace("-", " ").replace("0", "o").replace("1", "l")) == number


def test_a_tracking_number_with_a_typo_is_refused_with_a_reason_in_both_languages():
    number = tracking.format_value(424_242)
    typo = number[:-2] + ("0" if number[-2] != "0" else "1") + number[-1]

    with pytest.raises(tracking.InvalidTrackingNumber) as caught:
        tracking.normalise(typo)
    assert caught.value.reason.code == "invalid_tracking_number"
    assert caught.value.reason.message_id and caught.value.reason.message_en


def test_the_example_number_the_docs_and_messages_show_is_a_valid_one():
    assert tracking.normalise(tracking.EXAMPLE) == tracking.EXAMPLE
