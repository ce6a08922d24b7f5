"""Talk tracks and message templates: complete for every stage and segment, checked when loaded."""

from __future__ import annotations

import pytest

from collector_tui.talktracks import (
    SEGMENTS,
    STAGES,
    TrackError,
    messages,
    parse_messages,
    parse_tracks,
    segment_for,
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
    good = "\n".join(f"[stage{s}.{g}]\ntitle='t'\nlines=['{{name}}']" for s in STAGES for g in SEGMENTS)
    assert len(parse_tracks(good, "x.toml")) == 12
    with pytest.raises(TrackError, match=r"stage1.student uses unknown field\(s\) \['debt'\]"):
        parse_tracks(good.replace("['{name}']", "['{debt}']", 1), "x.toml")
    with pytest.raises(TrackError, match="must name the institution"):
        body = "[messages.sms]\n" + "\n".join(f"stage{s}='hi'" for s in STAGES)
        parse_messages(body, "x.toml")
