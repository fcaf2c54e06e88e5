"""Every hostile file is refused with a reason in both languages, or stored neutralised; none crashes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from lapor_shared.evidence import EvidenceLimits, Refused, sanitise
from tests.hostile.files import FILES

pytestmark = [pytest.mark.unit, pytest.mark.timeout(30)]


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_hostile_file_is_refused_with_a_reason_or_neutralised(name):
    data, expected = FILES[name]
    if expected is None:
        clean = sanitise(data, EvidenceLimits())
        assert b"PK\x03\x04" not in clean.data and b"payload.sh" not in clean.data
        Image.open(io.BytesIO(clean.data)).verify()
        return
    with pytest.raises(Refused) as refused:
        sanitise(data, EvidenceLimits())

    reason = refused.value.reason
    assert reason.code == expected
    assert reason.message_id and reason.message_en and reason.message_id != reason.message_en
