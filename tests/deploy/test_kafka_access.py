"""Every Kafka principal holds exactly the rights it needs, and everyone connects authenticated over TLS.

A service's KafkaUser grants Write on every topic the service's code publishes to and Read on every topic it
subscribes to, no more and no fewer, in the base files and in every overlay as ``kubectl kustomize`` renders
it. The onboarded agencies and admin scopes and the monitoring levels get what ``lapor_shared.access`` decides
(their own topics, literal; a subtree by prefix), channel adapters, the platform team and the replay the
rights their role has in the topic catalogue (``deploy/k8s/generate_principals.py`` writes them all); the
examples connect as those principals."""

from __future__ import annotations

import importlib.util
import ssl
import sys
import tomllib

import pytest

from lapor_dashboard.settings import DashboardSettings
from lapor_shared.access import is_escalation_office
from lapor_shared.onboarding import Onboarding
from lapor_shared.topics import (
    ADMIN_COMMANDS,
    AGENCY_COMMANDS,
    COMPLAINTS,
    CONTACTS,
    DEAD_LETTER,
    NOTIFICATIONS,
    REGISTRY_COMMANDS,
    REPORTER_COMMANDS,
    SUBMISSIONS,
    agency_stream,
    jurisdiction_topic,
    jurisdiction_topics,
    triage_stream,
)
from tests.deploy.access import (
    Rights,
    catalogue_topics,
    described,
    granted,
    may_join,
    operations_used,
    prefixes,
    service_rights,
    topic_acls_naming_nothing,
    topic_prefix_grants,
    users_by_name,
)
from tests.deploy.conftest import (
    ALL_TOPIC_NAMES,
    K8S,
    OVERLAYS,
    ROOT,
    SERVICES,
    allows,
    base_resources,
    consumer_groups,
    import_closure,
    one,
    subscribed_topics,
)

pytestmark = pytest.mark.unit

EXAMPLES = ROOT / "examples" / "agency"


def check_service_user(user, service: str) -> None:
    needed = service_rights(service)
    rights = granted(user)
    assert sorted(needed.writes - rights.writes) == [], f"lapor-{service} may not write what its code publishes"
    assert sorted(rights.writes - needed.writes) == [], f"lapor-{service} may write what its code never publishes"
    assert sorted(needed.reads - rights.reads) == [], f"lapor-{service} may not read what its code subscribes to"
    assert sorted(rights.reads - needed.reads) == [], f"lapor-{service} may read what its code never subscribes to"
    assert described(user) == needed.described, "Describe goes with Read and Write, and only with them"
    assert topic_prefix_grants(user) == needed.prefixes, "a family and the jurisdiction tree by prefix, nothing else"
    assert topic_acls_naming_nothing(user) == []
    assert operations_used(user, "topic") <= {"Read", "Write", "Describe"}
    assert operations_used(user, "group") == {"Read"}
    assert prefixes(user, "group") == {f"lapor-{service}"}
    for group in needed.groups:
        assert may_join(user, group), group
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_user_grants_exactly_what_the_services_code_publishes_and_subscribes_to(service):
    check_service_user(users_by_name(base_resources())[f"lapor-{service}"], service)


@pytest.mark.timeout(400)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_overlay_grants_each_service_exactly_what_its_code_needs(rendered, overlay):
    users = users_by_name(rendered[overlay])
    for service in SERVICES:
        check_service_user(users[f"lapor-{service}"], service)
    base = users_by_name(base_resources())
    assert set(users) == set(base), "every principal of the base, and no other"
    for name, user in users.items():
        assert user["spec"] == base[name]["spec"], f"{overlay} changes the rights of {name}"


def test_routing_may_answer_registry_commands_on_the_registry_topic():
    """registry.agency_changed / command_rejected go where the commands came from: without Write there, the
    relay's first registry answer is refused and every complaint.routed behind it waits for ever."""
    assert REGISTRY_COMMANDS.name in service_rights("routing").writes
    assert REGISTRY_COMMANDS.name in granted(users_by_name(base_resources())["lapor-routing"]).writes


@pytest.mark.parametrize("service", SERVICES)
def test_the_catalogue_names_every_service_among_the_writers_and_readers_of_what_its_code_uses(service):
    """The catalogue's writers and readers columns (the topic table in docs/architecture.md) tell the truth."""
    needed = service_rights(service)
    writable = catalogue_topics(service, "writers") | catalogue_topics("every service", "writers")
    assert sorted(needed.writes - writable) == []
    assert sorted(needed.reads - catalogue_topics(service, "readers")) == []


def test_every_consuming_service_may_dead_letter():
    for service in SERVICES:
        assert DEAD_LETTER.name in service_rights(service).writes, service


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_user_may_join_every_group_any_of_its_processes_subscribes_with(service):
    """Also the processes beside the service (the dashboard's rebuild, the gateway's call-centre import),
    found in the code a ``python -m lapor_<service>`` can import."""
    user = users_by_name(base_resources())[f"lapor-{service}"]
    closure = import_closure(f"lapor_{service}.__main__")
    assert subscribed_topics(closure) <= granted(user).reads, "the code reads a topic its Kafka user may not"
    groups = consumer_groups(closure)
    assert f"lapor-{service}" in groups
    for group in groups:
        assert may_join(user, group + ("x" if group.endswith("-") else "")), group
    assert not may_join(user, "lapor-other-service")


def test_the_dashboard_reads_only_the_complaints_and_writes_only_dead_letters():
    user = users_by_name(base_resources())["lapor-dashboard"]
    assert granted(user) == Rights(frozenset({COMPLAINTS.name}), frozenset({DEAD_LETTER.name}))
    group = DashboardSettings().consumer_group
    assert may_join(user, group) and may_join(user, f"{group}-rebuild-1a2b3c4d"), "python -m lapor_dashboard.rebuild"
    assert not may_join(user, "lapor-notify")


# ========================================================================================= listeners


def check_listeners(kafka) -> list[dict]:
    spec = kafka["spec"]["kafka"]
    for listener in spec["listeners"]:
        assert listener["tls"] is True, f"{listener['name']}: no plaintext listener"
        assert listener["authentication"]["type"] == "scram-sha-512", f"{listener['name']}: every client authenticates"
    assert spec["authorization"]["type"] == "simple"
    assert not spec["authorization"].get("superUsers"), "no super user bypasses the ACLs (no ANONYMOUS above all)"
    return spec["listeners"]


def test_every_listener_authenticates_over_tls_and_nobody_is_a_super_user():
    listeners = {listener["name"]: listener for listener in check_listeners(one("Kafka", "lapor"))}
    assert set(listeners) == {"scram", "external"}
    assert listeners["scram"]["type"] == "internal"
    assert listeners["external"]["type"] == "loadbalancer", "agencies and adapters connect from outside the cluster"
    assert listeners["external"]["port"] != listeners["scram"]["port"]


@pytest.mark.timeout(400)
def test_the_rendered_overlays_keep_both_listeners_secured_and_dev_exposes_the_external_one_on_node_ports(rendered):
    kinds = {}
    for overlay in OVERLAYS:
        (kafka,) = rendered[overlay]["Kafka"]
        kinds[overlay] = {listener["name"]: listener["type"] for listener in check_listeners(kafka)}
    assert kinds == {"dev": {"scram": "internal", "external": "nodeport"},
                     "production": {"scram": "internal", "external": "loadbalancer"}}


# ======================================================================================== principals


def generator():
    spec = importlib.util.spec_from_file_location("generate_principals", K8S / "generate_principals.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def principals_of(kind: str) -> dict[str, dict]:
    return {name: user for name, user in users_by_name(base_resources()).items()
            if user["metadata"]["labels"].get("lapor.go.id/principal") == kind}


def config() -> dict:
    return tomllib.loads((K8S / "principals.toml").read_text(encoding="utf-8"))


def test_the_committed_principals_and_access_table_are_what_the_generator_writes():
    for path, text in generator().outputs().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is out of date: uv run python deploy/k8s/generate_principals.py")


def subtree(code: str) -> frozenset[str]:
    """Every catalogued topic at ``code`` and below: its shared topics and the onboarded streams under them."""
    own = jurisdiction_topic(code)
    return frozenset(t for t in ALL_TOPIC_NAMES if t == own or t.startswith(own + "."))


def test_every_onboarded_agency_has_its_own_kafka_user_reading_its_stream_and_writing_its_own_command_topic():
    from lapor_routing.seed import seed_agencies

    onboarded = Onboarding.load()
    users = principals_of("agency")
    assert set(users) == {"agency-" + agency_id.lower().replace("_", "-") for agency_id in onboarded.agencies}
    registry = {a.agency_id: a.jurisdiction_code for a in seed_agencies()}
    for agency_id, code in onboarded.agencies.items():
        assert registry.get(agency_id) == code, f"{agency_id}: onboarded where the registry does not place it"
        user = users["agency-" + agency_id.lower().replace("_", "-")]
        assert user["metadata"]["labels"]["lapor.go.id/jurisdiction"] == code
        reads = {agency_stream(code, agency_id), jurisdiction_topic(code)}
        if is_escalation_office(agency_id, code):
            reads |= subtree(code)
        assert granted(user) == Rights(frozenset(reads), frozenset({AGENCY_COMMANDS.topic(agency_id)}))
        assert described(user) == reads | {AGENCY_COMMANDS.topic(agency_id)}
        assert may_join(user, f"agency-{agency_id}") and may_join(user, f"agency-{agency_id}:worklist")
        assert topic_acls_naming_nothing(user) == []


def test_an_agency_reads_no_sibling_stream_and_writes_no_sibling_command_topic():
    """Agency ids hold dots: ``pu.18`` is a prefix of ``pu.18.71``, so a prefix grant would reach the city's."""
    province = principals_of("agency")["agency-pu.18"]
    assert not granted(province).reads & {agency_stream("18.71", "pu.18.71"), agency_stream("18", "dinkes.18")}
    assert granted(province).writes == {AGENCY_COMMANDS.topic("pu.18")}
    assert prefixes(province, "topic") == set()


def test_an_agency_cannot_join_the_consumer_group_of_an_agency_whose_id_extends_its_own():
    """``umum.18`` is a prefix of ``umum.18.71``: a plain group prefix would let Lampung's office take over
    (and commit the offsets of) Kota Bandar Lampung's office's consumer group."""
    users = principals_of("agency")
    province, city = users["agency-umum.18"], users["agency-umum.18.71"]
    assert not may_join(province, "agency-umum.18.71") and not may_join(province, "agency-umum.18.71:app")
    assert may_join(city, "agency-umum.18.71") and not may_join(city, "agency-umum.18")


@pytest.mark.parametrize("code", ["ID", "18"])
def test_a_monitoring_level_reads_its_jurisdiction_subtree_and_writes_nothing(code):
    user = principals_of("monitor")[f"monitor-{code.lower()}"]
    own = jurisdiction_topic(code)
    assert granted(user) == Rights(subtree(code), frozenset())
    shared = {t.name for t in jurisdiction_topics()} & subtree(code)
    assert len(shared) == (553 if code == "ID" else 16)  # Lampung: the province and its 15 regencies and cities
    assert {agency_stream("18.71", "dinkes.18.71"), triage_stream("18")} <= subtree(code), "the streams below it"
    assert prefixes(user, "topic") == {own}, "a prefix ends at a whole code"
    assert may_join(user, f"monitor-{code}") and not may_join(user, f"monitor-{code}1")


def test_a_channel_adapter_publishes_submissions_and_reporter_commands_and_reads_only_the_answers():
    users = principals_of("adapter")
    assert set(users) == {f"adapter-{name}" for name in config()["adapters"]["names"]}
    for name, user in users.items():
        assert granted(user) == Rights(catalogue_topics("channel adapters", "readers"),
                                       catalogue_topics("channel adapters", "writers"))
        assert granted(user).writes == {SUBMISSIONS.name, REPORTER_COMMANDS.name}
        assert may_join(user, name) and may_join(user, f"{name}:results") and not may_join(user, f"{name}x")


def test_the_admins_of_each_onboarded_scope_write_its_command_topic_and_read_its_subtree():
    users = principals_of("admin")
    scopes = Onboarding.load().admin_scopes
    assert set(users) == {f"admin-{code.lower()}" for code in scopes}
    assert "lapor-admin" not in users_by_name(base_resources()), "no admin acts for every scope"
    for code in scopes:
        user = users[f"admin-{code.lower()}"]
        registry = {REGISTRY_COMMANDS.name} if code == "ID" else set()
        assert granted(user) == Rights(subtree(code) | registry, frozenset({ADMIN_COMMANDS.topic(code)} | registry))
        assert may_join(user, f"admin-{code}") and may_join(user, f"admin-{code}:console")
        assert not may_join(user, f"admin-{code}1") and topic_acls_naming_nothing(user) == []
    assert triage_stream("18") in granted(users["admin-18"]).reads, "Lampung's admins read their triage desk"


def test_only_the_national_admins_change_the_registry_and_read_routings_answers_as_the_catalogue_says():
    users = users_by_name(base_resources())
    writers = {n for n, u in users.items() if REGISTRY_COMMANDS.name in granted(u).writes}
    assert writers == {"admin-id", "lapor-routing", "lapor-replay"}
    assert catalogue_topics("admins", "writers") == catalogue_topics("admins", "readers") == {REGISTRY_COMMANDS.name}


def test_the_operator_inspects_everything_reads_dead_letters_and_notifications_and_writes_nothing():
    user = users_by_name(base_resources())["lapor-operator"]
    assert granted(user) == Rights(frozenset({DEAD_LETTER.name, NOTIFICATIONS.name}), frozenset())
    assert described(user) == set(ALL_TOPIC_NAMES), "kafka-topics --describe, under-replicated partitions"
    for group in ("lapor-notify", "agency-dinkes.18.71", "monitor-18", "adapter-mobile"):
        assert allows(user, "Describe", "group", group) and not may_join(user, group), "lag, without joining"
    assert may_join(user, "operator-deadletters")


def test_the_replay_may_write_exactly_the_topics_some_service_consumes():
    """``operator dead-letters replay`` publishes an original back to the topic it came from."""
    consumed = frozenset().union(*(service_rights(service).reads for service in SERVICES))
    assert granted(users_by_name(base_resources())["lapor-replay"]) == Rights(frozenset(), consumed)


# ============================================================================================ privacy


def test_only_notify_can_read_the_restricted_contacts_and_only_intake_and_the_replay_write_them():
    users = users_by_name(base_resources())
    assert {n for n, u in users.items() if CONTACTS.name in granted(u).reads} == {"lapor-notify"}
    assert {n for n, u in users.items() if CONTACTS.name in granted(u).writes} == {"lapor-intake", "lapor-replay"}
    assert CONTACTS.readers == ("notify",)


def test_only_intake_reads_the_submissions_with_their_contacts_in_clear():
    users = users_by_name(base_resources())
    assert {n for n, u in users.items() if SUBMISSIONS.name in granted(u).reads} == {"lapor-intake"}


def test_no_outside_party_reads_the_platforms_own_complaint_stream():
    readers = {n for n, u in users_by_name(base_resources()).items() if COMPLAINTS.name in granted(u).reads}
    assert readers == {f"lapor-{s}" for s in SERVICES if COMPLAINTS.name in service_rights(s).reads}


# =========================================================================================== examples


def test_the_python_agency_example_connects_as_the_agencys_kafka_user_in_a_group_it_may_join(monkeypatch):
    spec = importlib.util.spec_from_file_location("consume_and_respond", EXAMPLES / "consume_and_respond.py")
    assert spec and spec.loader
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    user = principals_of("agency")[example.kafka_user("dinkes.18.71")]
    assert may_join(user, example.default_group("dinkes.18.71"))
    monkeypatch.setenv("KAFKA_PASSWORD", "from-the-secret")
    options = example.kafka_options(example.arguments().parse_args([
        "--agency", "dinkes.18.71", "--jurisdiction", "18.71", "--security-protocol", "SASL_SSL"]))
    assert options["sasl_mechanism"] == "SCRAM-SHA-512" and options["sasl_plain_username"] == user["metadata"]["name"]
    assert options["security_protocol"] == "SASL_SSL" and options["ssl_context"].verify_mode == ssl.CERT_REQUIRED


def test_the_kafkajs_example_defaults_to_the_groups_the_agency_and_monitor_users_may_join():
    source = (EXAMPLES / "consume.js").read_text(encoding="utf-8")
    assert "return agency ? `agency-${agency}` : `monitor-${level}`;" in source
    assert 'mechanism: "scram-sha-512"' in source and "process.env.KAFKA_PASSWORD" in source
    assert may_join(principals_of("agency")["agency-dinkes.18.71"], "agency-dinkes.18.71")
    assert may_join(principals_of("monitor")["monitor-18"], "monitor-18")


def test_the_generator_refuses_two_agencies_that_would_share_a_kafka_user_and_an_adapter_name_kubernetes_refuses():
    nobody = {"monitors": {"levels": []}, "adapters": {"names": []}}
    with pytest.raises(ValueError, match="share a KafkaUser name"):
        generator().principals(nobody, Onboarding({"dinas_x.18": "18", "dinas-x.18": "18"}))
    bad = {"monitors": {"levels": []}, "adapters": {"names": ["Mobile_App"]}}
    with pytest.raises(ValueError, match="adapter name"):
        generator().principals(bad, Onboarding())


def test_the_generator_takes_the_agencies_and_admin_scopes_from_the_onboarding_it_is_given():
    onboarded = Onboarding({"dinkes.18.01": "18.01"}, ("18.01",))
    out = generator().principals(config(), onboarded)
    assert [p.name for p in out["agencies"]] == ["agency-dinkes.18.01"]
    assert [p.name for p in out["admins"]] == ["admin-18.01"]
    assert [p.name for p in out["monitors"]] == [f"monitor-{c.lower()}" for c in config()["monitors"]["levels"]]
