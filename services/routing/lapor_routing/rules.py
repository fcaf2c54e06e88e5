"""Routing rules: from where and what to the agency that must answer, with the reason.

1. **Place**: a point inside a boundary, else the region code, else a point near a boundary (approximate),
   else an unambiguous match of the free-text location (``places``).
2. **Category**: the taxonomy code or alias in ``category_hint``; none or unknown → ``umum``.
3. **Target-agency hint**, honoured when it names an active agency that is national or whose
   jurisdiction contains the place.
4. **National categories** (BPJS, PLN, land, taxes, religious affairs): the most specific active
   agency that handles the category along the place's lineage (a registered regional office, else the
   national body); the place may be unknown.
5. **Regional categories**: at the place's government, its department for the category, else its
   general office; then the same at the province; else **national triage**. A place that is unknown
   goes to national triage, an ambiguous one to the triage of the province all its candidates share
   (national when they are in several provinces).
"""

from __future__ import annotations

from dataclasses import dataclass

from lapor_routing import categories, jurisdictions, reasons
from lapor_routing.categories import Category
from lapor_routing.places import Place, locate
from lapor_routing.registry import Agency, Directory
from lapor_shared import geo
from lapor_shared.events.values import NATIONAL_CODE, Location, Reason


@dataclass(frozen=True, slots=True)
class Decision:
    agency: Agency | None
    reason: Reason
    category: Category
    place: Place
    triage_jurisdiction: str = NATIONAL_CODE

    @property
    def needs_triage(self) -> bool:
        return self.agency is None

    @property
    def jurisdiction_code(self) -> str:
        """Where the complaint's events go: the responsible agency's jurisdiction, or the triage's."""
        return self.agency.jurisdiction_code if self.agency else self.triage_jurisdiction


def _hint_check(hint: str, place: Place, directory: Directory) -> tuple[Agency | None, str | None]:
    agency = directory.get(hint.strip())
    if agency is None:
        return None, "unknown"
    if not agency.active:
        return None, "inactive"
    if agency.jurisdiction_code == NATIONAL_CODE:
        return agency, None
    if not place.resolved or place.code is None:
        return None, "no_location"
    if not jurisdictions.contains(agency.jurisdiction_code, place.code):
        return None, "outside"
    return agency, None


def decide(
    location: Location,
    directory: Directory,
    *,
    category_hint: str | None = None,
    target_agency_hint: str | None = None,
    max_point_distance_m: float = geo.DEFAULT_MAX_DISTANCE_M,
) -> Decision:
    """Who must answer a complaint about ``category_hint`` at ``location``, and why."""
    place = locate(location, max_point_distance_m=max_point_distance_m)
    notes: reasons.Notes = []
    category = categories.resolve(category_hint)
    if category is None:
        if category_hint and category_hint.strip():
            notes.append(reasons.category_unknown(category_hint))
        category = categories.general()

    def routed(agency: Agency, reason: Reason) -> Decision:
        return Decision(agency, reason, category, place)

    if target_agency_hint and target_agency_hint.strip():
        hinted, why = _hint_check(target_agency_hint, place, directory)
        if hinted is not None:
            return routed(hinted, reasons.target_agency_hint(hinted, notes))
        assert why is not None
        notes.append(reasons.hint_ignored(target_agency_hint, why))

    if categories.scope_of(category) == "nasional":
        for code in jurisdictions.lineage(place.code if place.resolved and place.code else NATIONAL_CODE):
            agency = directory.handling(code, category.code)
            if agency is not None:
                if code == NATIONAL_CODE:
                    return routed(agency, reasons.national_body(agency, category, notes))
                return routed(agency, reasons.category_department(agency, place, category, notes))

    if not place.resolved or place.code is None:
        if place.status == "ambiguous":
            triage = jurisdictions.common_province(set(place.candidates)) or NATIONAL_CODE
            return Decision(None, reasons.location_ambiguous(place, triage, notes), category, place, triage)
        return Decision(None, reasons.location_unknown(notes), category, place)

    for step, code in enumerate(_regional_chain(place.code)):
        if category.code != categories.GENERAL:
            department = directory.handling(code, category.code)
            if department is not None:
                if step == 0:
                    return routed(department, reasons.category_department(department, place, category, notes))
                return routed(department, reasons.parent_fallback(department, place, notes))
        office = directory.general_office(code)
        if office is not None:
            if step == 0:
                return routed(office, reasons.general_office(office, place, category, notes))
            return routed(office, reasons.parent_fallback(office, place, notes))
    return Decision(None, reasons.no_active_agency(place, notes), category, place)


def _regional_chain(code: str) -> list[str]:
    """The governments tried in turn: the place's own, then its province (the nation only for ``ID``)."""
    if code == NATIONAL_CODE:
        return [NATIONAL_CODE]
    return [c for c in jurisdictions.lineage(code) if c != NATIONAL_CODE]
