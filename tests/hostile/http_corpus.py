"""The hostile HTTP corpus: requests no public endpoint may answer with anything but a 4xx and a reason.

Data only. ``ENDPOINTS`` are the public HTTP endpoints of every service, each with a request that
would otherwise be well-formed; ``CORPUS`` are the attacks, each with one line on what it attacks,
the kinds of endpoint it is sent to, and the refusals that count as the right answer. The end-to-end
test (``tests/e2e/test_hostile_http.py``) sends every attack to every endpoint of its kinds, against
the services running as processes, and ``tests/hostile/http_client.py`` speaks raw HTTP/1.1 so that
nothing is tidied up on the way (lying lengths, bodies that stop, bytes that are not text).
"""

from __future__ import annotations

from dataclasses import dataclass

KB = 1024
MB = 1024 * KB
TRACKING_NUMBER = "LPR-7Y17-M5MCV"
LONG = "Lampu jalan di Jl. Kartini mati sudah tiga malam dan rawan begal."


@dataclass(frozen=True)
class Endpoint:
    name: str
    service: str
    method: str
    path: str
    """``{value}`` is where a look-up puts the value it is given."""
    kind: str
    """``json`` and ``form`` take a body; ``lookup`` a value in the path or the query; ``auth`` a
    credential; ``raw`` stands for the service's HTTP server as such."""
    form: str = ""
    """The otherwise well-formed URL-encoded body of a form endpoint."""
    json: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    html: bool = False
    """A browser's page: the client asks for ``text/html``."""


@dataclass(frozen=True)
class Hostile:
    name: str
    attacks: str
    kinds: frozenset[str]
    expect: frozenset[int]
    """The statuses that are the right refusal (any other status, 5xx above all, fails the test)."""
    body: bytes | None = None
    """Replaces the endpoint's body."""
    form_tail: bytes = b""
    """Appended, already URL-encoded, to a form endpoint's body (a repeated field replaces the first)."""
    content_type: str | None = None
    value: str | None = None
    """The look-up's value, already percent-encoded as it goes on the wire."""
    headers: tuple[tuple[str, str], ...] = ()
    method: str | None = None
    declared_length: int | None = None
    """A Content-Length that is not the body's: the client promises more than it sends and stops."""
    trickle_s: float = 0.0
    """Sends the body a byte at a time with this pause (slowloris on the body)."""
    chunked: bool = False
    repeat: int = 1
    """The same request this many times from the same client address (a burst)."""
    raw: bytes | None = None
    """The whole request as bytes (for what an HTTP client library would refuse to send)."""
    only: frozenset[str] = frozenset()
    skip: frozenset[str] = frozenset()


def _kinds(*names: str) -> frozenset[str]:
    return frozenset(names)


ENDPOINTS: tuple[Endpoint, ...] = (
    # gateway: complaint creation (API, web form), Open311, the SMS webhook, status look-ups
    Endpoint("gateway_api_create", "gateway", "POST", "/api/v1/complaints", "json", json=(
        b'{"title": "Lampu jalan mati", "description": "' + LONG.encode() + b'",'
        b' "location": {"region_code": "18.71"}, "reporter": {"phone": "081234567890"}}')),
    Endpoint("gateway_web_form", "gateway", "POST", "/lapor", "form", html=True,
             form="title=Lampu+jalan+mati&description=Lampu+jalan+mati+sudah+tiga+malam&region_code=18.71"
                  "&phone=081234567890&channel_message_id=web-corpus"),
    Endpoint("gateway_open311_form", "gateway", "POST", "/open311/v2/requests.json", "form",
             form="api_key=lapor-open311-dev-key&service_code=jalan&lat=-5.42&long=105.26"
                  "&description=Lampu+jalan+mati+sudah+tiga+malam&email=warga%40example.id"),
    Endpoint("gateway_open311_json", "gateway", "POST", "/open311/v2/requests.json", "json", json=(
        b'{"api_key": "lapor-open311-dev-key", "service_code": "jalan", "address_string": "Jl. Kartini",'
        b' "description": "' + LONG.encode() + b'"}')),
    Endpoint("gateway_sms_form", "gateway", "POST", "/sms/inbound", "form",
             headers=(("X-Lapor-Sms-Secret", "lapor-sms-dev-secret"),),
             form="from=6281234567890&message_id=gw-corpus&text=Lampu+jalan+mati+sudah+tiga+malam"),
    Endpoint("gateway_sms_json", "gateway", "POST", "/sms/inbound", "json",
             headers=(("X-Lapor-Sms-Secret", "lapor-sms-dev-secret"),),
             json=b'{"from": "6281234567890", "message_id": "gw-corpus-json", "text": "' + LONG.encode() + b'"}'),
    Endpoint("gateway_api_status", "gateway", "GET", "/api/v1/complaints/{value}", "lookup"),
    Endpoint("gateway_api_poll", "gateway", "GET", "/api/v1/submissions/{value}", "lookup"),
    Endpoint("gateway_web_status", "gateway", "GET", "/lapor/status?nomor={value}", "lookup", html=True),
    Endpoint("gateway_web_submission", "gateway", "GET", "/lapor/kiriman/{value}", "lookup", html=True),
    Endpoint("gateway_open311_request", "gateway", "GET", "/open311/v2/requests/{value}.json", "lookup"),
    Endpoint("gateway_open311_list", "gateway", "GET", "/open311/v2/requests.json?service_request_id={value}",
             "lookup"),
    Endpoint("gateway_open311_token", "gateway", "GET", "/open311/v2/tokens/{value}.json", "lookup"),
    Endpoint("gateway_sms_outbox", "gateway", "GET", "/sms/outbox", "auth"),
    # gateway: the reporter's tracking page and API (the reporter's key proves who asks)
    Endpoint("gateway_tracking_page", "gateway", "POST", "/lacak", "form", html=True,
             form="nomor=LPR-0000-F8ZH-BGPSD&kunci=ABCD-EFGH-JKMN-PQRS"),
    Endpoint("gateway_tracking_reply", "gateway", "POST", "/lacak/balas", "form", html=True,
             form="nomor=LPR-0000-F8ZH-BGPSD&kunci=ABCD-EFGH-JKMN-PQRS&aksi=corpus&text=Terima+kasih"),
    Endpoint("gateway_reporter_timeline", "gateway", "GET", "/api/v1/complaints/{value}/timeline", "lookup"),
    Endpoint("gateway_evidence", "gateway", "GET", "/bukti/{value}?aud=public&exp=9999999999&sig=00", "lookup"),
    Endpoint("gateway_reporter_reply", "gateway", "POST", "/api/v1/complaints/LPR-0000-F8ZH-BGPSD/replies", "json",
             headers=(("Authorization", "Bearer ABCD-EFGH-JKMN-PQRS"),), json=b'{"text": "' + LONG.encode() + b'"}'),
    # followup: the reporter's status, statistics, an agency's work list
    Endpoint("followup_status", "followup", "GET", "/v1/status?tracking_number={value}", "lookup"),
    Endpoint("followup_statistics", "followup", "GET", "/v1/statistics?jurisdiction={value}", "lookup"),
    Endpoint("followup_worklist", "followup", "GET", "/v1/worklist", "auth"),
    # notify: the reporter's inbox
    Endpoint("notify_inbox", "notify", "GET", "/api/v1/inbox/{value}", "lookup"),
    # routing: the registry (read-only, public reference data) and the triage queue (an admin token's)
    Endpoint("routing_agencies", "routing", "GET", "/agencies?jurisdiction={value}", "lookup"),
    Endpoint("routing_triage", "routing", "GET", "/triage?jurisdiction=18", "auth"),
    # dashboard: the log-in
    Endpoint("dashboard_login", "dashboard", "POST", "/login", "form", html=True,
             form="username=lampung&password=bukan-kata-sandinya&next=%2Fdashboard"),
    # console: the officers' log-in
    Endpoint("console_login", "console", "POST", "/login", "form", html=True,
             form="username=petugas.bdl&password=bukan-kata-sandinya&next=%2F"),
    # every service's HTTP server as such
    *(Endpoint(f"{service}_server", service, "GET", "/healthz", "raw")
      for service in ("intake", "routing", "followup", "notify", "dashboard", "gateway", "console")),
)

BODIES = _kinds("json", "form")
LOOKUPS = _kinds("lookup")
BAD = frozenset({400})
MISSING = frozenset({400, 401, 403, 422})

CORPUS: tuple[Hostile, ...] = (
    # --- bodies: size, time, type --------------------------------------------------------------
    Hostile("json_10mb", "a 10 MB JSON body: memory and parse time", _kinds("json"), frozenset({413}),
            body=b'{"description": "' + b"a" * (10 * MB) + b'"}'),
    Hostile("form_10mb", "a 10 MB form post: memory and the form parser", _kinds("form"), frozenset({413}),
            form_tail=b"&description=" + b"a" * (10 * MB)),
    Hostile("chunked_oversize", "a body streamed without Content-Length past the limit: counted, not trusted",
            BODIES, frozenset({413}), body=b"[" + b"0," * (400 * KB) + b"0]", content_type="application/json",
            chunked=True),
    Hostile("stops_sending", "Content-Length promises 1,000 bytes, 10 come, then nothing: a held connection",
            BODIES, frozenset({408}), body=b'{"title": ', declared_length=1000),
    Hostile("trickle", "the body a byte every 0.4 s (slowloris on the body)", BODIES, frozenset({408}),
            body=b'{"title": "x"}', trickle_s=0.4),
    Hostile("wrong_content_type", "an XML body where JSON or a form is expected", BODIES, frozenset({415}),
            body=b"<laporan><judul>x</judul></laporan>", content_type="application/xml"),
    # --- JSON: what the parser must not be made to do ------------------------------------------
    Hostile("json_deep", "JSON nested 100,000 deep: the parser's recursion", _kinds("json"), BAD,
            body=b"[" * 100_000 + b"]" * 100_000),
    Hostile("json_5000_digits", "a 5,000-digit integer: quadratic int parsing", _kinds("json"), BAD,
            body=b'{"title": "x", "incident_date": ' + b"9" * 5000 + b"}"),
    Hostile("json_nan", "NaN and Infinity, which are not JSON: coordinates that poison arithmetic", _kinds("json"),
            BAD, body=b'{"title": "x", "lat": NaN, "location": {"latitude": -Infinity}}'),
    Hostile("json_duplicate_keys", "a key twice: two readers seeing two different values", _kinds("json"), BAD,
            body=b'{"title": "Jalan rusak", "title": "Jembatan putus", "api_key": "a", "api_key": "b"}'),
    Hostile("json_invalid_utf8", "bytes that are not UTF-8 inside a string", _kinds("json"), BAD,
            body=b'{"title": "Jalan \xff\xfe rusak", "text": "\xc3\x28"}'),
    Hostile("json_nul", "an escaped NUL (PostgreSQL cannot store it) in a text field", _kinds("json"), BAD,
            body=b'{"title": "Jalan\\u0000rusak", "text": "x\\u0000y", "description": "\\u0000"}'),
    Hostile("json_control_characters", "raw and escaped control characters (bell, escape) in text fields",
            _kinds("json"), BAD, body=b'{"title": "Jalan\\u001b[31mrusak", "text": "bel\\u0007"}'),
    Hostile("json_rtl_override", "a right-to-left override that makes a text read differently from what it says",
            _kinds("json"), BAD, body='{"title": "Tagihan \u202e000.01 Rp", "text": "x \u2067y"}'.encode()),
    Hostile("json_string_not_object", "a JSON string where an object is expected", _kinds("json"), BAD,
            body=b'"laporan saya"'),
    Hostile("json_missing_fields", "an empty object: every required field missing", _kinds("json"), MISSING,
            body=b"{}"),
    Hostile("json_empty", "a JSON content type with no body at all", _kinds("json"), BAD, body=b""),
    # --- forms ------------------------------------------------------------------------------------
    Hostile("form_nul", "a NUL in a form field", _kinds("form"), BAD, form_tail=b"&title=Jalan%00rusak"),
    Hostile("form_control_characters", "escape sequences and a bell in a form field", _kinds("form"), BAD,
            form_tail=b"&description=Jalan%1B%5B31m%07rusak"),
    Hostile("form_rtl_override", "a right-to-left override in a text field (the name of a file, an amount)",
            _kinds("form"), BAD, form_tail=b"&description=Tagihan+%E2%80%AE000.01+Rp"),
    Hostile("form_invalid_utf8", "percent-encoded bytes that are not UTF-8 in a form field", _kinds("form"), BAD,
            form_tail=b"&description=Jalan+%FF%FE+rusak"),
    Hostile("form_too_many_fields", "20,000 form fields: the parser's and the handler's time", _kinds("form"),
            BAD, form_tail=b"&a=1" * 20_000),
    Hostile("form_missing_fields", "an empty form: every required field missing", _kinds("form"), MISSING,
            body=b"", content_type="application/x-www-form-urlencoded"),
    Hostile("multipart_rtl_override", "a right-to-left override in a multipart form, which the guard cannot read",
            _kinds("form"), BAD, content_type="multipart/form-data; boundary=batas",
            body=("--batas\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n"
                  "Tagihan \u202e000.01 Rp\r\n--batas\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n"
                  "x \u202ey\r\n--batas--\r\n").encode()),
    # --- look-ups ---------------------------------------------------------------------------------
    Hostile("path_traversal", "../../etc/passwd as a tracking number", LOOKUPS, frozenset({400, 404}),
            value="..%2F..%2F..%2Fetc%2Fpasswd"),
    Hostile("sql_injection", "a quote and OR 1=1 as a tracking number", LOOKUPS, frozenset({400, 404}),
            value="LPR-7Y17%27%20OR%20%271%27%3D%271"),
    Hostile("lookup_nul", "a NUL in a tracking number", LOOKUPS, BAD, value="LPR-7Y17%00M5MCV"),
    Hostile("lookup_rtl_override", "a right-to-left override in a tracking number", LOOKUPS, BAD,
            value="LPR-%E2%80%AE7Y17-M5MCV"),
    Hostile("lookup_invalid_utf8", "percent-encoded bytes that are not UTF-8 in a tracking number", LOOKUPS, BAD,
            value="LPR-%FF%FE"),
    Hostile("huge_query", "a 10 kB tracking number: the URL past its limit", LOOKUPS, frozenset({414}),
            value="A" * (10 * KB)),
    Hostile("wrong_method", "DELETE on a read-only look-up", LOOKUPS, frozenset({405}), method="DELETE",
            value=TRACKING_NUMBER),
    Hostile("lookup_burst", "60 look-ups in a row from one address: one client starving the rest", LOOKUPS,
            frozenset({400, 404, 429}), value=TRACKING_NUMBER, repeat=60,
            only=frozenset({"gateway_api_status", "gateway_open311_request", "followup_status", "notify_inbox"})),
    # --- credentials ------------------------------------------------------------------------------
    Hostile("open311_bad_api_key", "Open311 creation with a guessed api_key", _kinds("form"), frozenset({403}),
            form_tail=b"&api_key=tebakan", only=frozenset({"gateway_open311_form"})),
    Hostile("sms_forged_secret", "the SMS webhook with a forged gateway secret", _kinds("form"), frozenset({401}),
            headers=(("X-Lapor-Sms-Secret", "palsu"),), only=frozenset({"gateway_sms_form"})),
    Hostile("sms_outbox_without_secret", "reading the SMS reply queue (reporters' numbers) without the secret",
            _kinds("auth"), frozenset({401}), only=frozenset({"gateway_sms_outbox"})),
    Hostile("worklist_forged_token", "an agency's work list or the admins' triage queue with a forged bearer token",
            _kinds("auth"), frozenset({401}), headers=(("Authorization", "Bearer palsu"),),
            only=frozenset({"followup_worklist", "routing_triage"})),
    Hostile("login_brute_force", "ten password guesses in a row for one official", _kinds("form"),
            frozenset({401, 429}), repeat=10, only=frozenset({"dashboard_login"})),
    # --- the HTTP server as such --------------------------------------------------------------------
    Hostile("non_ascii_target", "raw bytes outside ASCII in the request line", _kinds("raw"), BAD,
            raw=b"GET /api/v1/inbox/\xff\xfe HTTP/1.1\r\nHost: lapor\r\n\r\n"),
    Hostile("oversized_header", "a 20 kB header that never ends", _kinds("raw"), BAD,
            raw=b"GET /healthz HTTP/1.1\r\nHost: lapor\r\nX-Padding: " + b"a" * (20 * KB)),
    Hostile("bad_content_length", "a Content-Length that is not a number", _kinds("raw"), BAD,
            raw=b"POST /healthz HTTP/1.1\r\nHost: lapor\r\nContent-Length: banyak\r\n\r\n"),
    Hostile("slow_headers", "headers that never finish (slowloris)", _kinds("raw"), frozenset({408}),
            raw=b"GET /healthz HTTP/1.1\r\nHost: lapor\r\nX-Lambat: "),
)

assert len({h.name for h in CORPUS}) == len(CORPUS) and len({e.name for e in ENDPOINTS}) == len(ENDPOINTS)


def targets(hostile: Hostile) -> list[Endpoint]:
    """The endpoints an attack is sent to."""
    return [e for e in ENDPOINTS
            if e.kind in hostile.kinds and (not hostile.only or e.name in hostile.only) and e.name not in hostile.skip]
