"""Rendering: one Jinja2 template per message and language (``templates/<lang>/<name>.j2``), with a block
per channel shape: ``subject`` (e-mail subject, inbox title), ``body`` (e-mail, inbox, webhook text) and
``sms`` (fitted to the segment limit, the tracking number kept).

SMS keywords (``BALAS``, ``BUKA``, ``NILAI``, ``CEK``) are written ``{{ kw.reply }}`` …, from the list the
gateway's SMS parser reads (``lapor_shared.sms_keywords``).

Several languages make one message: Bahasa Indonesia first, English second. The subject and the SMS
use the first language only; the body has every language, separated by a rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, pass_context
from jinja2.runtime import Context

from lapor_notify import sms_text
from lapor_shared.sms_keywords import KEYWORDS

JAKARTA = ZoneInfo("Asia/Jakarta")
LANGUAGE_RULE = "\n\n" + "-" * 40 + "\n\n"

STAGE_LABELS: dict[str, dict[str, str]] = {
    "id": {"verification": "verifikasi", "acknowledgement": "konfirmasi penerimaan",
           "follow_up": "tindak lanjut", "auto_close": "penutupan otomatis", "resolution": "penyelesaian"},
    "en": {"verification": "verification", "acknowledgement": "acknowledgement",
           "follow_up": "follow-up", "auto_close": "automatic closing", "resolution": "resolution"},
}
CLOSED_LABELS: dict[str, dict[str, str]] = {
    "id": {"resolved": "selesai ditindaklanjuti", "auto_close": "ditutup otomatis tanpa balasan Anda",
           "admin": "ditutup oleh admin", "archived": "diarsipkan"},
    "en": {"resolved": "resolved", "auto_close": "closed automatically after no reply",
           "admin": "closed by an administrator", "archived": "archived"},
}
PERIOD_LABELS: dict[str, dict[str, str]] = {
    "id": {"hourly": "per jam", "daily": "harian"},
    "en": {"hourly": "hourly", "daily": "daily"},
}


def _wib(value: datetime | str) -> str:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.astimezone(JAKARTA).strftime("%d-%m-%Y %H:%M WIB")


def _label(table: dict[str, dict[str, str]]) -> Any:
    @pass_context
    def label(context: Context, value: str) -> str:
        return table.get(context["lang"], table["id"]).get(value, value)

    return label


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("lapor_notify", "templates"),
        undefined=StrictUndefined,  # a missing fact is a bug, never an empty hole in a message
        autoescape=False,  # plain text: e-mail text/plain, SMS, JSON strings
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,  # an include ends its line
        auto_reload=False,  # templates ship with the package: no stat of the file at every message
    )
    env.filters["wib"] = _wib
    env.filters["stage_label"] = _label(STAGE_LABELS)
    env.filters["closed_label"] = _label(CLOSED_LABELS)
    env.filters["period_label"] = _label(PERIOD_LABELS)
    env.globals["kw"] = {k.action: k.word for k in KEYWORDS}  # the SMS keywords the gateway's parser reads
    return env


ENV = _environment()


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str
    sms: str


def _template(name: str, lang: str) -> Template:
    return ENV.get_template(f"{lang}/{name}.j2")


def _blocks(template: Template, blocks: Sequence[str], context: Mapping[str, Any]) -> list[str]:
    """The named blocks of ``template``, rendered with one context (a block's ``set`` stays in the block)."""
    shared = template.new_context(dict(context))
    return ["".join(template.blocks[block](shared)).strip() for block in blocks]


def template_names() -> list[str]:
    """Every message template (without language), from the Bahasa Indonesia folder."""
    return sorted(
        n.removeprefix("id/").removesuffix(".j2") for n in ENV.list_templates()
        if n.startswith("id/") and not n.startswith("id/_")
    )


def render(name: str, languages: Sequence[str], facts: Mapping[str, Any], *, sms_segments: int) -> Rendered:
    """``name`` in ``languages`` (the first one leads); unknown languages fall back to Bahasa Indonesia."""
    langs = [lang for lang in dict.fromkeys(languages) if lang in STAGE_LABELS] or ["id"]
    # the leading language gives all three; the others only their body (rendering was an eighth of notify's
    # samples at maximum load, issue 17)
    subject, lead_body, sms = _blocks(_template(name, langs[0]), ("subject", "body", "sms"),
                                      {**facts, "lang": langs[0]})
    bodies = [lead_body] + [_blocks(_template(name, lang), ("body",), {**facts, "lang": lang})[0]
                            for lang in langs[1:]]
    return Rendered(
        subject=" ".join(subject.split()),
        body=LANGUAGE_RULE.join(bodies),
        sms=sms_text.fit(sms, max_segments=sms_segments, keep=facts.get("tracking_number")),
    )
