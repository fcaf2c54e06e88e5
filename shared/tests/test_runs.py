"""A run is cut into consecutive segments, in its order, in which no key comes twice."""

from __future__ import annotations

from lapor_shared.runs import segments


def first_letter(word: str) -> str:
    return word[0]


def test_a_run_with_no_key_twice_is_one_segment_in_its_order():
    assert segments(["apel", "bayam", "cabai"], first_letter) == [["apel", "bayam", "cabai"]]


def test_a_key_that_comes_again_starts_a_new_segment_and_the_order_is_kept():
    run = ["apel", "bayam", "anggur", "cabai", "belimbing", "ceri", "alpukat"]

    assert segments(run, first_letter) == [["apel", "bayam"], ["anggur", "cabai", "belimbing"], ["ceri", "alpukat"]]


def test_a_key_is_looked_for_only_in_the_current_segment():
    assert segments(["apel", "apel", "bayam", "apel"], first_letter) == [["apel"], ["apel", "bayam"], ["apel"]]


def test_no_items_make_no_segments():
    assert segments([], first_letter) == []


def test_an_item_without_a_key_repeats_nothing():
    run: list[tuple[str | None, int]] = [("a", 1), (None, 2), (None, 3), ("a", 4), (None, 5)]

    assert segments(run, lambda item: item[0]) == [[("a", 1), (None, 2), (None, 3)], [("a", 4), (None, 5)]]


def test_a_generator_is_read_once_in_its_order():
    assert segments((n for n in range(5)), lambda n: n % 2) == [[0, 1], [2, 3], [4]]
