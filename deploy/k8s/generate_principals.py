"""Write the Strimzi ``KafkaUser`` of every principal outside the services, and the access table of the docs.

    uv run python deploy/k8s/generate_principals.py          # rewrite the files
    uv run python deploy/k8s/generate_principals.py --check  # exit 1 when a committed file is out of date

Who exists: the onboarded agencies and admin scopes come from ``lapor_shared.onboarding``'s file (the one that
also decides which of their topics exist: ``LAPOR_ONBOARDING_FILE``, else the bundled one); the monitoring
levels and the outside channel adapters from ``principals.toml``. What an agency, a monitoring level and an
admin scope may do is ``lapor_shared.access``'s decision; what an adapter, the platform team and the replay may
do is decided here from the topic catalogue (``lapor_shared.topics``). Outputs (committed; the deploy tests fail
when they drift):

- ``base/strimzi/principals/operations.yaml``: ``lapor-operator`` (inspects: dead letters, notifications,
  metadata and lag) and ``lapor-replay`` (re-publishes a dead letter to the topic it came from);
- ``base/strimzi/principals/admins.yaml``: ``admin-<code>`` per onboarded admin scope;
- ``base/strimzi/principals/agencies.yaml``, ``monitors.yaml``, ``adapters.yaml``: one KafkaUser each;
- ``base/strimzi/principals/console.yaml``: ``lapor-console``, the officer console's service user, which reads
  each onboarded agency's stream by a literal ACL and so follows the onboarding like the agencies do;
- the table between ``<!-- BEGIN GENERATED: kafka principals -->`` and its end in ``docs/operations.md``.

A Kubernetes name is lower case without ``_``, an agency id may hold both (``bpjs_kesehatan.ID``): the
KafkaUser (and SCRAM user) is ``agency-bpjs-kesehatan.id``, its consumer groups keep the id as it is
(``agency-bpjs_kesehatan.ID…``), the group the examples and docs use.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lapor_shared.access import (
    Grant,
    admin_grants,
    agency_grants,
    console_grants,
    groups,
    monitor_grants,
    reads,
    writes,
)
from lapor_shared.generated import generator_main
from lapor_shared.onboarding import Onboarding
from lapor_shared.topics import (
    FAMILIES,
    FIXED_TOPICS,
    JURISDICTION_PREFIX,
    jurisdiction_topic,
    jurisdiction_topics,
    onboarded_topics,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CONFIG = HERE / "principals.toml"
PRINCIPALS = HERE / "base" / "strimzi" / "principals"
DOCS = ROOT / "docs" / "operations.md"
DOCS_BEGIN = "<!-- BEGIN GENERATED: kafka principals -->\n"
DOCS_END = "<!-- END GENERATED: kafka principals -->"
CLUSTER = "lapor"
SERVICES = ("intake", "routing", "followup", "notify", "dashboard", "gateway", "console")
GENERATED_SERVICES = ("console",)
"""Services whose KafkaUser follows the onboarding, so it is generated here (``principals/console.yaml``); the
others' are written by hand in ``base/strimzi/users.yaml``."""


@dataclass(frozen=True)
class Principal:
    name: str
    kind: str
    grants: tuple[Grant, ...]
    labels: tuple[tuple[str, str], ...] = ()
    note: str = ""


def merged(grants: Iterable[Grant]) -> tuple[Grant, ...]:
    """One ACL per resource: the operations of grants on the same resource joined, in order."""
    by_resource: dict[tuple[Any, str, Any], list[str]] = {}
    for grant in grants:
        operations = by_resource.setdefault((grant.resource, grant.name, grant.pattern), [])
        operations.extend(op for op in grant.operations if op not in operations)
    order = ("Read", "Write", "Describe", "DescribeConfigs")
    return tuple(Grant(*key, tuple(sorted(ops, key=order.index))) for key, ops in by_resource.items())


def k8s_name(text: str) -> str:
    """``bpjs_kesehatan.ID`` → ``bpjs-kesehatan.id``: a valid Kubernetes (and SCRAM) name."""
    return text.lower().replace("_", "-")


def role_topics(role: str, column: str) -> list[str]:
    """Fixed and jurisdiction topics whose catalogue ``writers`` or ``readers`` name ``role``, in catalogue order
    (the onboarded agencies' and admin scopes' topics belong to their owners: ``lapor_shared.access``)."""
    return [t.name for t in (*FIXED_TOPICS, *jurisdiction_topics()) if role in getattr(t, column)]


def prefix_writes(*prefixes: str) -> list[Grant]:
    return [Grant("topic", p, "prefix", ("Write", "Describe")) for p in prefixes]


# ------------------------------------------------------------- what the kinds decided here may do (once)


def adapter_grants(name: str) -> list[Grant]:
    """A channel adapter publishes submissions and reporter commands and reads intake's answers."""
    return [*(writes(t) for t in role_topics("channel adapters", "writers")),
            *(reads(t) for t in role_topics("channel adapters", "readers")), *groups(f"adapter-{name}")]


def operator_grants() -> list[Grant]:
    """The platform team: reads dead letters and notifications, describes every topic, its configuration
    and every consumer group's offsets (lag), and the cluster; writes nothing. Replaces the anonymous
    super user of the former plain listener."""
    readable = dict.fromkeys([*role_topics("operators", "readers"), *role_topics("operations", "readers")])
    return [
        *(reads(t) for t in readable),
        Grant("topic", "lapor.", "prefix", ("Describe", "DescribeConfigs")),
        *(Grant("group", f"{kind}-", "prefix", ("Describe",))
          for kind in ("lapor", "agency", "monitor", "admin", "adapter")),
        Grant("group", "operator-", "prefix", ("Read",)),
        Grant("cluster", "kafka-cluster", "literal", ("Describe", "DescribeConfigs")),
    ]


def replay_grants(onboarded: Onboarding | None = None) -> list[Grant]:
    """``python -m lapor_shared.operator dead-letters replay`` publishes a dead letter's original to the
    topic it came from: Write on every topic a service reads (a command family by its prefix, so an agency
    onboarded later is covered; the agencies' streams the console reads, each), and nothing else (break-glass:
    keep its Secret like the contact keys)."""
    streams = [t.name for t in onboarded_topics(onboarded) if any(service in t.readers for service in SERVICES)]
    consumed = dict.fromkeys([*(t for service in SERVICES for t in role_topics(service, "readers")), *streams])
    families = [f"{f.prefix}." for f in FAMILIES if any(service in f.readers for service in SERVICES)]
    return [*(writes(t) for t in consumed), *prefix_writes(*families)]


# --------------------------------------------------------------------------------------------- who


def principals(config: dict[str, Any] | None = None, onboarded: Onboarding | None = None) -> dict[str, list[Principal]]:
    """Every principal by output file: agencies and admin scopes from the onboarding, the rest from
    ``principals.toml``."""
    config = config if config is not None else tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    onboarded = onboarded if onboarded is not None else Onboarding.load()
    for name in config["adapters"]["names"]:
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name):
            raise ValueError(f"adapter name {name!r}: lower-case letters, digits and '-'")
    out = {
        "operations": [
            Principal("lapor-operator", "operator", merged(operator_grants()), note="the platform team"),
            Principal("lapor-replay", "replay", merged(replay_grants(onboarded)),
                      note="the dead-letter replay (break-glass)"),
        ],
        "admins": [
            Principal(f"admin-{k8s_name(code)}", "admin", merged(admin_grants(code)),
                      (("lapor.go.id/jurisdiction", code),), note=f"the admins of {code}")
            for code in onboarded.admin_scopes
        ],
        "agencies": [
            Principal(f"agency-{k8s_name(agency_id)}", "agency", merged(agency_grants(agency_id, code)),
                      (("lapor.go.id/jurisdiction", code),), note=agency_id)
            for agency_id, code in onboarded.agencies.items()
        ],
        "monitors": [
            Principal(f"monitor-{k8s_name(code)}", "monitor", merged(monitor_grants(code)),
                      (("lapor.go.id/jurisdiction", code),), note=code)
            for code in config["monitors"]["levels"]
        ],
        "adapters": [Principal(f"adapter-{name}", "adapter", merged(adapter_grants(name)), note=name)
                     for name in config["adapters"]["names"]],
        "console": [Principal("lapor-console", "service", merged(console_grants(onboarded)),
                              note="the officer console (lapor_console): every onboarded agency's stream, any"
                                   " agency's command topic")],
    }
    names = [p.name for ps in out.values() for p in ps]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ValueError(f"two principals would share a KafkaUser name: {clashes}")
    return out


# ------------------------------------------------------------------------------------------ render

HEADER = """\
# GENERATED by deploy/k8s/generate_principals.py from lapor_shared's onboarding file, deploy/k8s/principals.toml,
# lapor_shared.access and lapor_shared.topics: {what}.
# Do not edit by hand: change the onboarding or principals.toml (who), lapor_shared.access or the generator
# (what a kind may do), then run
# `uv run python deploy/k8s/generate_principals.py`. Strimzi writes each password to the Secret of the same name.
"""

WHAT = {
    "operations": "the platform team and the dead-letter replay",
    "admins": "one per onboarded admin scope: its command topic, its subtree, groups admin-<code>",
    "agencies": "one per onboarded agency: its stream, its jurisdiction topic, its command topic,"
                " groups agency-<agency id>",
    "monitors": "one per monitoring level: its jurisdiction subtree, groups monitor-<code>",
    "adapters": "one per outside channel adapter: submissions, answers, reporter commands, groups adapter-<name>",
    "console": "the officer console's service user: each onboarded agency's stream (literal), the agency command"
               " topics (prefix), dead letters, groups lapor-console",
}


def quoted(name: str) -> str:
    """A name as a YAML flow scalar: quoted when it holds a colon (``agency-umum.18:``)."""
    return f'"{name}"' if ":" in name else name


def render_grant(grant: Grant) -> list[str]:
    resource = ("{type: cluster}" if grant.resource == "cluster"
                else f"{{type: {grant.resource}, name: {quoted(grant.name)}, patternType: {grant.pattern}}}")
    return [f"      - resource: {resource}", f"        operations: [{', '.join(grant.operations)}]"]


def render_principal(principal: Principal) -> str:
    labels = [f"    strimzi.io/cluster: {CLUSTER}", "    app.kubernetes.io/part-of: lapor",
              f"    lapor.go.id/principal: {principal.kind}",
              *(f'    {key}: "{value}"' for key, value in principal.labels)]
    return "\n".join([
        "---",
        f"# {principal.note}",
        "apiVersion: kafka.strimzi.io/v1",
        "kind: KafkaUser",
        "metadata:",
        f"  name: {principal.name}",
        "  labels:",
        *labels,
        "spec:",
        "  authentication:",
        "    type: scram-sha-512",
        "  authorization:",
        "    type: simple",
        "    acls:",
        *(line for grant in principal.grants for line in render_grant(grant)),
        "",
    ])


def render(what: str, listed: Sequence[Principal]) -> str:
    return HEADER.format(what=WHAT[what]) + "".join(render_principal(p) for p in listed)


def describe(grants: Iterable[Grant], operation: str) -> str:
    names = []
    for g in grants:
        if g.resource != "topic" or operation not in g.operations:
            continue
        if g.pattern == "prefix" and g.name in (jurisdiction_topic("ID"), f"{JURISDICTION_PREFIX}."):
            names.append(f"every jurisdiction topic and stream (`{g.name}…`)")
        else:
            names.append(f"`{g.name}`" + ("… (prefix)" if g.pattern == "prefix" else ""))
    return ", ".join(names) or "—"


def service_grants(service: str) -> Sequence[Grant]:
    """The ACLs of ``lapor-<service>`` as ``base/strimzi/users.yaml`` grants them (the deploy tests check
    them against what the service's code publishes and subscribes to)."""
    if service in GENERATED_SERVICES:
        return merged(console_grants())
    import yaml

    users = {u["metadata"]["name"]: u for u in yaml.safe_load_all((HERE / "base/strimzi/users.yaml").read_text())}
    return [Grant(a["resource"]["type"], a["resource"].get("name", ""), a["resource"].get("patternType", "literal"),
                  tuple(a["operations"])) for a in users[f"lapor-{service}"]["spec"]["authorization"]["acls"]]


def access_table() -> str:
    """One row per principal or kind of principal: what it reads and writes, its consumer groups."""
    rows = {f"lapor-{service}": (service_grants(service), f"the {service} service") for service in SERVICES}
    rows |= {
        "agency-<agency id>": (agency_grants("<agency id>", "18.71"), "an agency (here: one of Kota Bandar Lampung)"),
        "agency-umum.18": (agency_grants("umum.18", "18"), "a province's general office, where followup escalates"),
        "monitor-<code>": (monitor_grants("18"), "a monitoring level (here: Lampung, 18)"),
        "admin-<code>": (admin_grants("18"), "the admins of a scope (here: Lampung, 18)"),
        "admin-id": (admin_grants("ID"), "the national admins: also the agency registry"),
        "adapter-<name>": (adapter_grants("<name>"), "an outside channel adapter"),
        "lapor-operator": (operator_grants(), "the platform team; also Describe on every topic and group"),
        "lapor-replay": (replay_grants(Onboarding.load()), "the dead-letter replay (break-glass)"),
    }
    lines = ["| KafkaUser | who | reads | writes | consumer groups (`…`: any name that starts so) |",
             "|---|---|---|---|---|"]
    for name, (grants, who) in rows.items():
        group = ", ".join(f"`{g.name}`" + ("…" if g.pattern == "prefix" else "")
                          for g in grants if g.resource == "group" and "Read" in g.operations) or "—"
        lines.append(f"| `{name}` | {who} | {describe(grants, 'Read')} | {describe(grants, 'Write')} | {group} |")
    return "\n".join(lines) + "\n"


def outputs() -> dict[Path, str]:
    """Every generated file and the text it must hold."""
    files = {PRINCIPALS / f"{what}.yaml": render(what, listed) for what, listed in principals().items()}
    docs = DOCS.read_text(encoding="utf-8")
    start, end = docs.index(DOCS_BEGIN) + len(DOCS_BEGIN), docs.index(DOCS_END)
    files[DOCS] = docs[:start] + access_table() + docs[end:]
    return files


def main(argv: list[str] | None = None) -> int:
    return generator_main(__doc__.splitlines()[0], outputs, ROOT, argv)


if __name__ == "__main__":
    sys.exit(main())
