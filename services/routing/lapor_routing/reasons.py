"""Why routing decided what it decided: a machine code and a sentence in Bahasa Indonesia and English.

Every ``complaint.routed``, ``complaint.needs_triage``, ``complaint.forwarded``, ``complaint.held`` and
``complaint.archived`` carries one, and routing's ``routing_decisions`` table keeps it. The codes are
listed in docs/jurisdictions.md.
"""

from __future__ import annotations

from lapor_routing import jurisdictions
from lapor_routing.categories import GENERAL, Category
from lapor_routing.places import Place
from lapor_routing.registry import Agency
from lapor_shared.events.values import Reason, reason

Notes = list[tuple[str, str]]
"""Extra sentences (Indonesian, English) appended to a reason: an ignored hint, an unknown category."""


def _noted(why: Reason, notes: Notes) -> Reason:
    """``why`` with the notes' sentences appended, each language to its own."""
    message_id, message_en = why.message_id, why.message_en
    for note_id, note_en in notes:
        message_id, message_en = f"{message_id} {note_id}", f"{message_en} {note_en}"
    return why.model_copy(update={"message_id": message_id, "message_en": message_en})


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _where(place: Place) -> tuple[str, str]:
    node = jurisdictions.get(place.code)
    name = node.government if node else str(place.code)
    if place.field == "location.text":
        where = (f"{name} (dibaca dari teks lokasi)", f"{name} (read from the location text)")
    elif place.field == "location.point" and place.point is not None:
        at = f"{place.point[0]:.5f}, {place.point[1]:.5f}"
        if place.approximate:
            km = f"{(place.distance_m or 0) / 1000:.1f}".replace(".", ",")
            where = (f"{name} (perkiraan: titik {at} berada di luar batas wilayah mana pun, {km} km dari batas"
                     " wilayah ini)",
                     f"{name} (approximate: the point {at} lies outside every boundary, "
                     f"{(place.distance_m or 0) / 1000:.1f} km from this one)")
        else:
            where = (f"{name} (titik {at} berada di dalam batas wilayahnya)",
                     f"{name} (the point {at} lies within its boundary)")
        if place.overruled_code:
            code = _quote(place.overruled_code)
            where = (f"{where[0]}; titik lokasi lebih tepat daripada kode wilayah {code} yang dipilih",
                     f"{where[1]}; the point is better evidence than the chosen region code {code}")
    else:
        where = (f"{name} (kode wilayah {place.code})", f"{name} (region code {place.code})")
    if place.unknown_code:
        code = _quote(place.unknown_code)
        where = (f"{where[0]}, karena kode wilayah {code} tidak dikenal",
                 f"{where[1]}, as region code {code} is unknown")
    return where


# --- routed -----------------------------------------------------------------------------------------


def target_agency_hint(agency: Agency, notes: Notes) -> Reason:
    return _noted(reason(
        "target_agency_hint", field="target_agency_hint",
        message_id=f"Dialamatkan ke {agency.name} sesuai instansi tujuan yang dipilih pelapor.",
        message_en=f"Sent to {agency.name}, the target agency the reporter chose.",
    ), notes)


def category_department(agency: Agency, place: Place, category: Category, notes: Notes) -> Reason:
    where_id, where_en = _where(place)
    return _noted(reason(
        "category_department", field=place.field,
        message_id=f"Dialamatkan ke {agency.name}, yang menangani kategori {category.name_id} di {where_id}.",
        message_en=f"Sent to {agency.name}, which handles {category.name_en} in {where_en}.",
    ), notes)


def national_body(agency: Agency, category: Category, notes: Notes) -> Reason:
    return _noted(reason(
        "national_body", field="category",
        message_id=f"Dialamatkan ke {agency.name}, instansi nasional yang menangani kategori {category.name_id}.",
        message_en=f"Sent to {agency.name}, the national body that handles {category.name_en}.",
    ), notes)


def general_office(agency: Agency, place: Place, category: Category, notes: Notes) -> Reason:
    where_id, where_en = _where(place)
    if category.code == GENERAL:
        why = ("laporan berkategori umum", "the complaint's category is general")
    else:
        why = (f"belum ada instansi aktif untuk kategori {category.name_id} di sana",
               f"no active agency handles {category.name_en} there")
    return _noted(reason(
        "general_office", field=place.field,
        message_id=f"Dialamatkan ke {agency.name}, unit pengaduan umum di {where_id}, karena {why[0]}.",
        message_en=f"Sent to {agency.name}, the general complaints office in {where_en}, as {why[1]}.",
    ), notes)


def parent_fallback(agency: Agency, place: Place, notes: Notes) -> Reason:
    where_id, where_en = _where(place)
    return _noted(reason(
        "parent_fallback", field=place.field,
        message_id=f"Tidak ada instansi aktif di {where_id}; dialamatkan ke {agency.name} di tingkat provinsi.",
        message_en=f"No active agency in {where_en}; sent to {agency.name} at province level.",
    ), notes)


def forwarded(source: Agency, target: Agency, text: str) -> Reason:
    return reason(
        "forwarded",
        message_id=f"Dilimpahkan oleh {source.name} kepada {target.name} (bukan wewenang): {text}",
        message_en=f"Forwarded by {source.name} to {target.name} (not its authority): {text}",
    )


def triage_disposition(agency: Agency, admin_ref: str, text: str) -> Reason:
    return reason(
        "triage_disposition",
        message_id=f"Didisposisikan oleh admin {admin_ref} kepada {agency.name}: {text}",
        message_en=f"Dispositioned by admin {admin_ref} to {agency.name}: {text}",
    )


# --- triage, hold, archive -----------------------------------------------------------------------------


def _admin_level(code: str) -> tuple[str, str]:
    node = jurisdictions.get(code)
    if node is None or node.parent_code is None:
        return "admin nasional", "a national admin"
    return f"admin {node.government}", f"an admin of {node.government}"


def location_unknown(notes: Notes) -> Reason:
    return _noted(reason(
        "location_unknown", field="location",
        message_id="Lokasi tidak dapat ditentukan dari kode wilayah maupun teks lokasi; menunggu keputusan admin "
                   "nasional.",
        message_en="The location could not be determined from the region code or the location text; waiting for a "
                   "national admin's decision.",
    ), notes)


def location_ambiguous(place: Place, triage_code: str, notes: Notes) -> Reason:
    names = sorted(known.name for c in place.candidates if (known := jurisdictions.get(c)))
    listed = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
    admin_id, admin_en = _admin_level(triage_code)
    return _noted(reason(
        "location_ambiguous", field=place.field,
        message_id=f"Teks lokasi dapat berarti beberapa wilayah ({listed}); menunggu keputusan {admin_id}.",
        message_en=f"The location text could mean several regions ({listed}); waiting for a decision by {admin_en}.",
    ), notes)


def no_active_agency(place: Place, notes: Notes) -> Reason:
    where_id, where_en = _where(place)
    return _noted(reason(
        "no_active_agency", field=place.field,
        message_id=f"Tidak ada instansi aktif untuk {where_id} hingga tingkat provinsi; menunggu keputusan admin "
                   "nasional.",
        message_en=f"No active agency for {where_en} up to province level; waiting for a national admin's decision.",
    ), notes)


def forward_loop(source: Agency, target: Agency, triage_code: str) -> Reason:
    admin_id, admin_en = _admin_level(triage_code)
    return reason(
        "forward_loop", field="to_agency_id",
        message_id=f"{source.name} melimpahkan kembali ke {target.name}, yang sudah pernah menanganinya "
                   f"(pelimpahan berputar); menunggu keputusan {admin_id}.",
        message_en=f"{source.name} forwarded it back to {target.name}, which already had it (a forwarding loop); "
                   f"waiting for a decision by {admin_en}.",
    )


def forward_limit(source: Agency, limit: int, triage_code: str) -> Reason:
    admin_id, admin_en = _admin_level(triage_code)
    return reason(
        "forward_limit", field="to_agency_id",
        message_id=f"Laporan sudah dilimpahkan {limit} kali; pelimpahan oleh {source.name} dihentikan dan "
                   f"menunggu keputusan {admin_id}.",
        message_en=f"The complaint was already forwarded {limit} times; the forwarding by {source.name} stops "
                   f"here and waits for a decision by {admin_en}.",
    )


def held(admin_ref: str, text: str) -> Reason:
    return reason("triage_hold", message_id=f"Ditunda (tunda) oleh admin {admin_ref}: {text}",
                  message_en=f"Held by admin {admin_ref}: {text}")


def archived(admin_ref: str, text: str) -> Reason:
    return reason("triage_archive", message_id=f"Diarsipkan oleh admin {admin_ref}: {text}",
                  message_en=f"Archived by admin {admin_ref}: {text}")


# --- notes ---------------------------------------------------------------------------------------------


def hint_ignored(hint: str, why: str) -> tuple[str, str]:
    whys = {
        "unknown": ("tidak terdaftar", "it is not registered"),
        "inactive": ("tidak aktif", "it is inactive"),
        "outside": ("wilayahnya tidak mencakup lokasi laporan", "its jurisdiction does not contain the location"),
        "no_location": ("lokasi laporan tidak diketahui", "the complaint's location is unknown"),
    }[why]
    return (f"Instansi tujuan {_quote(hint)} tidak dipakai: {whys[0]}.",
            f"The target agency {_quote(hint)} was not used: {whys[1]}.")


def category_unknown(hint: str) -> tuple[str, str]:
    return (f"Kategori {_quote(hint)} tidak dikenal dan diperlakukan sebagai umum.",
            f"Category {_quote(hint)} is unknown and treated as general.")
