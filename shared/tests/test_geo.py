"""Where a point lies: a landmark in each of the 38 provinces resolves to its regency or city; the coast
and small islands resolve approximately; the sea and the rest of the world do not."""

from __future__ import annotations

import pytest

from lapor_shared import geo
from lapor_shared.regions import all_regions

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]

LANDMARKS = [  # province, landmark (public map coordinates), latitude, longitude, the name its code has
    ("11", "Masjid Raya Baiturrahman, Banda Aceh", 5.5536, 95.3172, "Kota Banda Aceh"),
    ("12", "Istana Maimun, Medan", 3.5752, 98.6837, "Kota Medan"),
    ("13", "Jam Gadang, Bukittinggi", -0.3050, 100.3694, "Kota Bukittinggi"),
    ("14", "Masjid Raya An-Nur, Pekanbaru", 0.5264, 101.4459, "Kota Pekanbaru"),
    ("15", "Jembatan Gentala Arasy, Jambi", -1.5860, 103.6156, "Kota Jambi"),
    ("16", "Jembatan Ampera, Palembang", -2.9917, 104.7631, "Kota Palembang"),
    ("17", "Benteng Marlborough, Bengkulu", -3.7868, 102.2515, "Kota Bengkulu"),
    ("18", "Tugu Adipura, Bandar Lampung", -5.4176, 105.2583, "Kota Bandar Lampung"),
    ("19", "Alun-alun Taman Merdeka, Pangkalpinang", -2.1291, 106.1133, "Kota Pangkal Pinang"),
    ("21", "Gedung Gonggong, Tanjungpinang", 0.9167, 104.4469, "Kota Tanjung Pinang"),
    ("31", "Monas, Jakarta", -6.1754, 106.8272, "Kota Administrasi Jakarta Pusat"),
    ("32", "Gedung Sate, Bandung", -6.9025, 107.6188, "Kota Bandung"),
    ("33", "Lawang Sewu, Semarang", -6.9839, 110.4106, "Kota Semarang"),
    ("34", "Tugu Yogyakarta", -7.7829, 110.3671, "Kota Yogyakarta"),
    ("35", "Tugu Pahlawan, Surabaya", -7.2458, 112.7378, "Kota Surabaya"),
    ("36", "Alun-alun Serang", -6.1200, 106.1503, "Kota Serang"),
    ("51", "Lapangan Puputan Badung, Denpasar", -8.6565, 115.2166, "Kota Denpasar"),
    ("52", "Islamic Center, Mataram", -8.5833, 116.1167, "Kota Mataram"),
    ("53", "Kantor Gubernur NTT, Kupang", -10.1772, 123.6070, "Kota Kupang"),
    ("61", "Tugu Khatulistiwa, Pontianak", 0.0007, 109.3221, "Kota Pontianak"),
    ("62", "Bundaran Besar, Palangka Raya", -2.2096, 113.9136, "Kota Palangkaraya"),
    ("63", "Masjid Sabilal Muhtadin, Banjarmasin", -3.3186, 114.5944, "Kota Banjarmasin"),
    ("64", "Islamic Center, Samarinda", -0.5022, 117.1536, "Kota Samarinda"),
    ("65", "Tanjung Selor", 2.8375, 117.3731, "Kabupaten Bulungan"),
    ("71", "Jembatan Soekarno, Manado", 1.4748, 124.8421, "Kota Manado"),
    ("72", "Masjid Apung, Palu", -0.8917, 119.8707, "Kota Palu"),
    ("73", "Fort Rotterdam, Makassar", -5.1340, 119.4055, "Kota Makassar"),
    ("74", "Tugu MTQ, Kendari", -3.9985, 122.5130, "Kota Kendari"),
    ("75", "Menara Limboto", 0.6167, 122.9833, "Kabupaten Gorontalo"),
    ("76", "Anjungan Pantai Manakarra, Mamuju", -2.6748, 118.8886, "Kabupaten Mamuju"),
    ("81", "Gong Perdamaian, Ambon", -3.6954, 128.1814, "Kota Ambon"),
    ("82", "Benteng Oranje, Ternate", 0.7833, 127.3667, "Kota Ternate"),
    ("91", "Jayapura", -2.5337, 140.7181, "Kota Jayapura"),
    ("92", "Manokwari", -0.8615, 134.0620, "Kabupaten Manokwari"),
    ("93", "Tugu Libra, Merauke", -8.4932, 140.4018, "Kabupaten Merauke"),
    ("94", "Nabire", -3.3667, 135.4833, "Kabupaten Nabire"),
    ("95", "Wamena", -4.0950, 138.9447, "Kabupaten Jayawijaya"),
    ("96", "Sorong", -0.8762, 131.2558, "Kota Sorong"),
]
"""One well-known place per province, each in a different regency or city."""


@pytest.mark.parametrize(("province", "landmark", "lat", "lon", "name"), LANDMARKS, ids=[x[1] for x in LANDMARKS])
def test_a_landmark_resolves_to_the_regency_or_city_it_stands_in(province, landmark, lat, lon, name):
    place = geo.locate_point(lat, lon)

    assert place.status == "inside" and place.distance_m == 0
    region = all_regions()[place.code]
    assert region.name == name
    assert region.province_code == province


def test_the_landmarks_cover_every_province():
    provinces = {code for code, region in all_regions().items() if region.level == "province"}

    assert {x[0] for x in LANDMARKS} == provinces


def test_a_point_just_off_the_coast_resolves_approximately_with_its_distance():
    place = geo.locate_point(-5.47, 105.30)  # Teluk Lampung, off Bandar Lampung's shore

    assert place.status == "near" and place.code == "18.71"
    assert 0 < place.distance_m <= geo.DEFAULT_MAX_DISTANCE_M


def test_the_distance_that_still_counts_is_a_setting():
    assert geo.locate_point(-5.47, 105.30, max_distance_m=500).status == "none"


@pytest.mark.parametrize(("lat", "lon"), [(-6.5, 104.5), (-4.5, 108.0), (2.0, 128.0)],
                         ids=["Sunda Strait", "Java Sea", "Halmahera Sea"])
def test_a_point_far_at_sea_resolves_to_nothing(lat, lon):
    assert geo.locate_point(lat, lon) == geo.PointPlace("none")


@pytest.mark.parametrize(("lat", "lon", "outside"), [
    (-5.4176, 105.2583, False), (1.3521, 103.8198, False),  # Singapore sits inside the box: no polygon has it
    (13.7563, 100.5018, True), (-33.8688, 151.2093, True), (51.5, -0.12, True), (-11.6, 120.0, True),
])
def test_indonesias_bounds_decide_what_is_looked_up_at_all(lat, lon, outside):
    assert geo.outside_indonesia(lat, lon) is outside


def test_singapore_inside_the_box_is_no_indonesian_regency_at_a_short_distance():
    assert geo.locate_point(1.2903, 103.8520, max_distance_m=1_000).status == "none"


def test_the_index_is_built_once_per_process():
    assert geo.boundaries() is geo.boundaries()
    assert len(geo.boundaries().codes) == 514
    assert set(geo.boundaries().codes) == {c for c, r in all_regions().items() if r.level != "province"}
