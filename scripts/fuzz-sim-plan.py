"""Prepares a fuzz-sim.sh run: copies of Confluent's OpenAPI documents with the deviations listed in
docs/simulator.md ("Deliberate differences from the OpenAPI documents") applied, a schemathesis.toml, and
one plan line per document: name, spec, base URL, credentials, regex of the operations the simulator serves.

Usage: fuzz-sim-plan.py SPECS_DIR WORK_DIR CONNECTION_FILE > plan.tsv
"""
import json
import os
import sys

import yaml

specs, work, connection_file = sys.argv[1:4]
connection = json.load(open(connection_file))
keys = connection["operatorKeys"]
cloud = next(k for k in keys if k.get("resource") is None)
origin = next(c for c in connection["clusters"] if c["id"] == "lkc-origin")
origin_key = next(k for k in keys if k.get("resource") == origin["id"])

# Operations the simulator serves (docs/simulator.md, "What it serves"). Extend when it serves more.
KAFKA = (
    r"^/kafka/v3/clusters/\{cluster_id\}"
    r"(/acls(:batch)?"
    r"|/topics(/\{topic_name\}(/configs|/partitions(/\{partition_id\})?|/records)?)?"
    r"|/links(/-/mirrors|/\{link_name\}(/configs(:alter|/\{config_name\})?"
    r"|/mirrors(/\{mirror_topic_name\}|:promote|:failover|:pause|:resume)?)?)?"
    r"|/consumer-groups(/\{consumer_group_id\}(/consumers|/lag-summary"
    r"|/lags(/\{topic_name\}/partitions/\{partition_id\})?)?)?)?$"
)
PLAN = [
    ("kafka-rest", "kafkarest-v3", origin["restURL"], origin_key, KAFKA),
    ("api-keys", "apikeys-v2", connection["controlPlaneURL"], cloud, r"^/iam/v2/api-keys(/\{id\})?$"),
    ("service-accounts", "iam-v2", connection["controlPlaneURL"], cloud, r"^/iam/v2/service-accounts(/\{id\})?$"),
    ("cmk-clusters", "cmk-v2", connection["controlPlaneURL"], cloud, r"^/cmk/v2/clusters(/\{id\})?$"),
    (
        "network-links", "networking-v1", connection["controlPlaneURL"], cloud,
        r"^/networking/v1/network-link-(services|endpoints)$",
    ),
]


def deviations(name, document):
    """The documented deviations, as edits of the copy; each returns how many places it changed."""
    changed = 0
    schemas = document.get("components", {}).get("schemas", {})
    if name == "kafkarest-v3":
        # Sensitive link configs carry `value: null` (Cloud sends null; the document types it as a string).
        value = schemas.get("ListLinkConfigsResponseData_allOf", {}).get("properties", {}).get("value")
        if value is not None:
            value["nullable"] = True
            changed += 1
    return changed


os.makedirs(os.path.join(work, "specs"), exist_ok=True)
for name, document_name, url, key, include in PLAN:
    source = os.path.join(specs, "confluent-cloud", document_name + ".openapi.yaml")
    document = yaml.safe_load(open(source))
    if document_name == "kafkarest-v3" and deviations(document_name, document) == 0:
        sys.exit("fuzz-sim-plan: the link-config schema moved; update deviations() to the new document")
    target = os.path.abspath(os.path.join(work, "specs", document_name + ".yaml"))
    with open(target, "w") as out:
        yaml.safe_dump(document, out, sort_keys=False)
    print("\t".join([name, target, url, f'{key["id"]}:{key["secret"]}', include]))

with open(os.path.join(work, "schemathesis.toml"), "w") as out:
    # Path parameters that name the simulated world; everything else is generated.
    out.write('[parameters]\n"path.cluster_id" = "%s"\n' % origin["id"])
