import JumpchainJSON
import JumpchainTestSupport

/// Realistic response bodies, shaped like the Terraform fixtures and the spec examples; each test that
/// serves one also validates it against the spec, so the fixtures are known to be what a server may send.
enum Fixtures {
    static let host = "https://pkc-00000.us-east-1.aws.confluent.cloud"
    static let clusterBase = host + "/kafka/v3/clusters/lkc-jump"

    static func metadata(_ path: String, resourceName: JSON = nil) -> JSON {
        ["self": .string(clusterBase + path), "resource_name": resourceName]
    }

    static func collection(_ kind: String, _ path: String, _ data: [JSON]) -> JSON {
        ["kind": .string(kind), "metadata": ["self": .string(clusterBase + path), "next": nil], "data": .array(data)]
    }

    // MARK: Links

    /// The destination half of leg 1 on the jump: destination id null, tasks with one error.
    static let inboundLink: JSON = [
        "kind": "KafkaLinkData", "metadata": metadata("/links/leg1"),
        "source_cluster_id": "lkc-origin", "destination_cluster_id": nil, "remote_cluster_id": nil,
        "link_name": "leg1", "cluster_link_id": "qz0HDEV-Qz2B5aPFpcWQJQ", "topic_names": ["orders", "payments"],
        "link_error": "NO_ERROR", "link_error_message": nil, "link_state": "ACTIVE",
        "tasks": [
            ["task_name": "ConsumerOffsetSync", "state": "ACTIVE", "errors": []],
            [
                "task_name": "AclSync", "state": "IN_ERROR",
                "errors": [["error_code": "MISCONFIGURATION_ERROR", "error_message": "acl.filters is empty"]],
            ],
        ],
        "category_counts": nil,
    ]

    /// The source half on the origin: ids omitted rather than null, no tasks, an unknown extensible state.
    static let outboundLink: JSON = [
        "kind": "KafkaLinkData", "metadata": metadata("/links/leg1"),
        "destination_cluster_id": "lkc-jump", "link_name": "leg1", "link_id": "ab3d4d4b-0000-4000-8000-000000000000",
        "cluster_link_id": "qz0HDEV-Qz2B5aPFpcWQJQ", "topic_names": [], "link_state": "AVAILABLE",
    ]

    static func linkConfig(
        _ name: String, _ value: JSON, sensitive: Bool = false, isDefault: Bool = false
    )
        -> JSON
    {
        [
            "kind": "KafkaLinkConfigData", "metadata": metadata("/links/leg1/configs/\(name)"),
            "cluster_id": "lkc-jump", "name": .string(name), "value": value, "is_default": .bool(isDefault),
            "is_read_only": false, "is_sensitive": .bool(sensitive),
            "source": isDefault ? "DEFAULT_CONFIG" : "DYNAMIC_CLUSTER_LINK_CONFIG", "synonyms": [],
            "link_name": "leg1",
        ]
    }

    // MARK: Mirrors

    static let mirror: JSON = [
        "kind": "KafkaMirrorData", "metadata": metadata("/links/leg1/mirrors/orders"),
        "link_name": "leg1", "mirror_topic_name": "orders", "source_topic_name": "orders", "num_partitions": 3,
        "mirror_lags": [
            ["partition": 0, "lag": 0, "last_source_fetch_offset": 41],
            ["partition": 1, "lag": 5, "last_source_fetch_offset": 9_000_000_000],
            ["partition": 2, "lag": 0, "last_source_fetch_offset": -1],
        ],
        "mirror_status": "ACTIVE", "state_time_ms": 1_700_000_000_123,
    ]

    static let pendingMirror: JSON = [
        "kind": "KafkaMirrorData", "metadata": metadata("/links/leg1/mirrors/jump.payments"),
        "link_name": "leg1", "mirror_topic_name": "jump.payments", "source_topic_name": "payments",
        "num_partitions": 1, "mirror_lags": [["partition": 0, "lag": 0, "last_source_fetch_offset": -1]],
        "mirror_status": "PENDING_MIRROR", "mirror_topic_error": "NO_ERROR", "state_time_ms": 1_700_000_000_000,
    ]

    /// `:promote` on two topics: one succeeds, one fails inside the 200.
    static let promoteResult: JSON = [
        "kind": "KafkaPromoteMirror", "metadata": ["self": .string(clusterBase + "/links/leg1/mirrors:promote")],
        "data": [
            [
                "kind": "AlterMirrorsData", "metadata": metadata("/links/leg1/mirrors/orders"),
                "mirror_topic_name": "orders", "error_code": nil, "error_message": nil,
                "mirror_lags": [["partition": 0, "lag": 0, "last_source_fetch_offset": 41]],
                "messages_truncated": nil, "partition_level_truncation_data": [],
            ],
            [
                "kind": "AlterMirrorsData", "metadata": metadata("/links/leg1/mirrors/payments"),
                "mirror_topic_name": "payments", "error_code": 400,
                "error_message": "Topic 'payments' has already stopped its mirror from 'leg1'",
                "mirror_lags": [], "messages_truncated": nil, "partition_level_truncation_data": [],
            ],
        ],
    ]

    // MARK: Topics, records, ACLs

    static let topic: JSON = [
        "kind": "KafkaTopic",
        "metadata": metadata("/topics/orders", resourceName: "crn:///kafka=lkc-jump/topic=orders"),
        "cluster_id": "lkc-jump", "topic_name": "orders", "is_internal": false, "replication_factor": 3,
        "partitions_count": 6, "partitions": ["related": .string(clusterBase + "/topics/orders/partitions")],
        "configs": ["related": .string(clusterBase + "/topics/orders/configs")],
        "partition_reassignments": ["related": .string(clusterBase + "/topics/orders/partitions/-/reassignment")],
    ]

    static let produced: JSON = [
        "error_code": 200, "cluster_id": "lkc-origin", "topic_name": "orders", "partition_id": 2,
        "offset": 8_589_934_592, "timestamp": "2026-11-24T16:00:00Z", "key": ["type": "STRING", "size": 3],
        "value": ["type": "STRING", "size": 5],
    ]

    static func acl(_ operation: String, resourceType: String = "TOPIC", name: String = "orders") -> JSON {
        [
            "kind": "KafkaAcl",
            "metadata": [
                "self": .string(
                    clusterBase + "/acls?resource_type=\(resourceType)&resource_name=\(name)&operation=\(operation)")
            ],
            "cluster_id": "lkc-jump", "resource_type": .string(resourceType), "resource_name": .string(name),
            "pattern_type": "LITERAL", "principal": "User:sa-12mgdv", "host": "*", "operation": .string(operation),
            "permission": "ALLOW",
        ]
    }

    // MARK: IAM v2

    static let apiHost = "https://api.confluent.cloud"

    static func apiKey(
        id: String, secret: String? = nil, owner: String = "sa-12mgdv", resource: String = "lkc-jump"
    )
        -> JSON
    {
        var spec: [String: JSON] = [
            "display_name": "jumpchain leg keys", "description": "created by jumpchain for the jump cluster",
            "owner": [
                "id": .string(owner), "kind": "ServiceAccount", "api_version": "iam/v2",
                "related": .string(apiHost + "/iam/v2/service-accounts/\(owner)"),
                "resource_name": .string("crn://api.confluent.cloud/organization=org-1/service-account=\(owner)"),
            ],
            "resource": [
                "id": .string(resource), "kind": "Cluster", "api_version": "cmk/v2", "environment": "env-abc123",
                "related": .string(apiHost + "/cmk/v2/clusters/\(resource)"),
                "resource_name": .string(
                    "crn://api.confluent.cloud/organization=org-1/environment=env-abc123/cloud-cluster=\(resource)"),
            ],
        ]
        spec["secret"] = .string(secret ?? "")
        return [
            "api_version": "iam/v2", "kind": "ApiKey", "id": .string(id),
            "metadata": [
                "self": .string(apiHost + "/iam/v2/api-keys/\(id)"),
                "resource_name": .string(
                    "crn://api.confluent.cloud/organization=org-1/service-account=\(owner)/api-key=\(id)"),
                "created_at": "2026-11-24T16:00:00Z", "updated_at": "2026-11-24T16:00:00Z",
            ],
            "spec": .object(spec),
        ]
    }

    static func apiKeyPage(_ ids: [String], next: JSON) -> JSON {
        [
            "api_version": "iam/v2", "kind": "ApiKeyList",
            "metadata": ["first": .string(apiHost + "/iam/v2/api-keys"), "next": next],
            "data": .array(ids.map { apiKey(id: $0) }),
        ]
    }

    static func serviceAccount(_ id: String, _ name: String) -> JSON {
        [
            "api_version": "iam/v2", "kind": "ServiceAccount", "id": .string(id),
            "metadata": [
                "self": .string(apiHost + "/iam/v2/service-accounts/\(id)"),
                "resource_name": .string("crn://api.confluent.cloud/organization=org-1/service-account=\(id)"),
                "created_at": "2026-11-24T16:00:00Z",
            ],
            "display_name": .string(name), "description": "jumpchain link owner",
        ]
    }

    static func failure(status: Int, code: String, title: String, detail: String?) -> JSON {
        var error: [String: JSON] = [
            "id": "ed42afdc-f0d5-4c0d-b428-9fc6ed6e279d", "status": .string(String(status)), "code": .string(code),
            "title": .string(title),
        ]
        if let detail { error["detail"] = .string(detail) }
        return ["errors": [.object(error)]]
    }
}
