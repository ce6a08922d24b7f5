"""Pure rules: stages by DPD, masking, money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector_tui.domain.masking import mask_id_number, mask_name, mask_phone
from collector_tui.domain.money import format_money, parse_money, to_minor
from collector_tui.domain.stages import Stage, StageBounds, stage_for_dpd


@pytest.mark.parametrize(
    ("dpd", "stage"),
    [(0, Stage.CURRENT), (1, Stage.EARLY_WARNING), (15, Stage.EARLY_WARNING), (16, Stage.ESCALATION),
     (30, Stage.ESCALATION), (31, Stage.SEVERE), (90, Stage.SEVERE), (91, Stage.LONG_TERM), (400, Stage.LONG_TERM)],
)
def test_stage_boundaries_from_the_deck(dpd: int, stage: Stage) -> None:
    assert stage_for_dpd(dpd) == stage


def test_stage_bounds_are_settings_and_must_grow() -> None:
    assert stage_for_dpd(10, StageBounds(7, 30, 90)) == Stage.ESCALATION
    with pytest.raises(ValueError, match="must grow"):
        StageBounds(30, 15, 90)


def test_masks() -> None:
    assert mask_phone("+8613812341234") == "138****1234"
    assert mask_phone("+12125550123") == "+1 212***0123"
    assert mask_id_number("110101200203071234") == "1101************34"
    assert mask_name("王小明") == "王*明"
    assert mask_name("王明") == "王*"
    assert mask_name("Andrea Hughes") == "Andrea H*****"
    assert mask_name("Mary Ann Lee") == "Mary A** L**"


@given(st.text(alphabet="0123456789", min_size=8, max_size=15))
def test_masked_phone_never_shows_the_middle_digits(digits: str) -> None:
    masked = mask_phone("+86" + digits)
    assert masked.endswith(digits[-4:]) and "*" in masked
    assert digits not in masked


def test_money() -> None:
    assert parse_money("2450.205") == Decimal("2450.21")
    assert to_minor(Decimal("2450.20")) == 245020
    assert format_money("1916.67", "CNY") == "¥1,916.67"
    with pytest.raises(ValueError):
        parse_money("abc")
    with pytest.raises(ValueError):
        parse_money("NaN")


