"""Talk tracks and message templates: complete for every stage and segment, checked when loaded."""

from __future__ import annotations

import re
import string

import pytest

from collector_tui.talktracks import (
    DEBT_FIELDS,
    LANGUAGES,
    SEGMENTS,
    STAGES,
    TrackError,
    language_of,
    messages,
    parse_messages,
    parse_tracks,
    segment_for,
    track_language,
    tracks,
)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_stage_and_segment_has_a_track_and_every_message_names_the_institution(locale: str) -> None:
    loaded = tracks(locale)
    assert set(loaded) == {(s, g) for s in STAGES for g in SEGMENTS}
    values = {"name": "X", "institution": "INST", "overdue": "¥1", "minimum": "¥0.5", "dpd": 3}
    for track in loaded.values():
        assert track.lines and all(line.format(**values) for line in track.lines)
    msgs = messages(locale)
    for channel in ("sms", "email"):
        for stage in STAGES:
            plain = msgs.draft(channel, stage, values, with_opt_out=False)
            assert "INST" in plain
            assert msgs.draft(channel, stage, values, with_opt_out=True).endswith(msgs.opt_out[channel])


def test_segments_follow_the_deck() -> None:
    assert segment_for("student") == "student"
    assert segment_for("salaried") == "employed"
    assert segment_for("freelance") == segment_for("temporary") == "unstable"


def test_a_bad_file_is_refused_naming_the_key() -> None:
    with pytest.raises(TrackError, match=r"x.toml: stage1.student needs a title"):
        parse_tracks("", "x.toml")
    good = "\n".join(
        f"[stage{s}.{g}]\ntitle='t'\nlines=['{{name}}?', 'check', '{{dpd}}']" for s in STAGES for g in SEGMENTS
    )
    assert len(parse_tracks(good, "x.toml")) == 12
    with pytest.raises(TrackError, match=r"stage1.student uses unknown field\(s\) \['debt'\]"):
        parse_tracks(good.replace("'{dpd}'", "'{debt}'", 1), "x.toml")
    with pytest.raises(TrackError, match="must name the institution"):
        body = "[messages.sms]\n" + "\n".join(f"stage{s}='hi'" for s in STAGES)
        parse_messages(body, "x.toml")


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


ASKS = {"en": re.compile(r"Am I speaking with \{name\}\?"), "zh_CN": re.compile(r"请问是\{name\}.{0,5}本人吗？")}


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("segment", SEGMENTS)
def test_every_opener_asks_for_the_customer_by_name_before_any_debt_detail(
    locale: str, stage: int, segment: str
) -> None:
    lines = tracks(locale)[(stage, segment)].lines
    opener, check = lines[0], lines[1]
    assert not _fields(opener) & DEBT_FIELDS and not _fields(check) & DEBT_FIELDS
    assert {"name", "institution"} <= _fields(opener) and ASKS[locale].search(opener), opener
    assert ("year of birth" in check) if locale == "en" else ("出生年份" in check), check  # the identity check
    debt = next(i for i, line in enumerate(lines) if _fields(line) & DEBT_FIELDS)
    assert debt == 2  # the debt comes right after the identity check, never before it


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_every_message_names_the_person_and_leaves_the_debt_to_the_call(locale: str, stage: int, channel: str) -> None:
    body = messages(locale).templates[(channel, stage)]
    assert "name" in _fields(body) and not _fields(body) & DEBT_FIELDS, body
    values = {"name": "Wang Lei", "institution": "INST", "overdue": "¥1", "minimum": "¥0.5", "dpd": 3}
    assert "¥" not in messages(locale).draft(channel, stage, values, with_opt_out=True)


def test_a_file_that_names_the_debt_before_the_identity_check_is_refused() -> None:
    track = "[stage{s}.{g}]\ntitle='t'\nlines={lines}"
    def file(lines: str) -> str:
        return "\n".join(track.format(s=s, g=g, lines=lines) for s in STAGES for g in SEGMENTS)
    with pytest.raises(TrackError, match=r"stage1.student must open by asking for the customer by name"):
        parse_tracks(file("['Hello, this is {institution}.', 'check', '{dpd}']"), "x.toml")
    with pytest.raises(TrackError, match=r"stage1.student line 1 names the debt before the identity check"):
        parse_tracks(file("['{name}? You owe {overdue}.', 'check']"), "x.toml")
    with pytest.raises(TrackError, match=r"line 2 names the debt before the identity check: \['dpd'\]"):
        parse_tracks(file("['{name}?', '{dpd} days overdue']"), "x.toml")
    sms = "[messages.sms]\n" + "\n".join(f"stage{s}='{{institution}}: {{name}}, you owe {{overdue}}'" for s in STAGES)
    with pytest.raises(TrackError, match=r"messages.sms.stage1 names the debt"):
        parse_messages(sms, "x.toml")


@pytest.mark.parametrize(
    ("customer", "ui", "shown"),
    [
        ("en", "zh_CN", "en"), ("en_US", "zh_CN", "en"), ("en-GB", "zh_CN", "en"),
        ("zh_CN", "en", "zh_CN"), ("zh-Hans-CN", "en", "zh_CN"), ("zh", "en", "zh_CN"),
        ("zh_TW", "en", "en"), ("fr_FR", "zh_CN", "zh_CN"), ("", "en", "en"), (None, "zh_CN", "zh_CN"),
    ],
)
def test_the_track_follows_the_customers_language_else_the_ui(customer: str | None, ui: str, shown: str) -> None:
    assert track_language(customer, ui) == shown
    assert (language_of(customer) is None) is (customer in ("zh_TW", "fr_FR", "", None))


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_time_barred_debt_hears_no_legal_steps(language: str) -> None:
    from collector_tui.talktracks import tracks

    legal_words = ("legal", "suit", "court", "法律", "诉讼", "起诉")
    marked = 0
    for (stage, segment), track in tracks(language).items():
        spoken = track.spoken(time_barred=True)
        assert not [line for line in spoken if any(w in line for w in legal_words)], (stage, segment)
        assert spoken[:2] == track.lines[:2]  # the right party is still confirmed first
        marked += len(track.legal)
        if track.legal:
            assert len(track.spoken()) == len(track.lines) > len(spoken)
    assert marked >= 2  # stage 3 speaks of legal steps in two segments, and those lines are marked


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_limited_content_voicemail_says_nothing_of_a_debt(language: str) -> None:
    from collector_tui.talktracks import messages

    text = messages(language).voicemail.format(name="Lee", institution="Acme Lending")
    assert "Lee" in text and "Acme Lending" in text
    assert not any(w in text.lower() for w in ("debt", "overdue", "owe", "欠", "逾期"))
