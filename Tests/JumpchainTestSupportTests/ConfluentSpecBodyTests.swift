import JumpchainJSON
import JumpchainTestSupport
import Testing

/// Hand-written bodies, valid and broken, checked against the real Confluent Cloud documents.
@Suite(.requiresSpecs) struct ConfluentSpecBodyTests {
    let contract: OpenAPIContract

    init() throws {
        contract = try OpenAPIContract.confluentCloud()
    }

    /// Validates a response body given as JSON and prints what it found (violations never carry secrets).
    private func violations(
        _ method: String, _ path: String, _ status: Int, _ body: JSON
    ) -> [ContractViolation] {
        let found = contract.validateResponse(method: method, path: path, status: status, body: body.jsonBytes)
        for violation in found { print("  \(violation)") }
        return found
    }

    private func summary(_ violations: [ContractViolation]) -> [String] {
        violations.map { "\($0.kind) \($0.pointer)" }
    }

    // MARK: - Kafka REST v3: links

    /// The Terraform fixture from api-facts §3.4, with `AVAILABLE`, a state the CLI's mock uses.
    static let link: JSON = [
        "kind": "KafkaLinkData",
        "metadata": ["self": "https://pkc-00000.region.provider.confluent.cloud/kafka/v3/clusters/lkc-1/links/ui-test"],
        "source_cluster_id": "lkc-nv0zqv", "destination_cluster_id": nil, "link_name": "ui-test",
        "link_id": "ab3d4d4b-0000-4000-8000-000000000000", "cluster_link_id": "qz0HDEV-Qz2B5aPFpcWQJQ",
        "link_state": "ACTIVE", "topic_names": [],
    ]

    @Test func realLinkPayloadIsValid() {
        #expect(violations("GET", "/kafka/v3/clusters/lkc-1/links/ui-test", 200, Self.link).isEmpty)
        var extended = Self.link
        extended = edit(extended) {
            $0["link_state"] = "AVAILABLE"  // x-extensible-enum: unknown values are allowed
            $0["link_error"] = "SOMETHING_NEW"
            $0["tasks"] = [["task_name": "AclSync", "state": "IN_ERROR", "errors": []]]
            $0["category_counts"] = .null
        }
        #expect(violations("GET", "/kafka/v3/clusters/lkc-1/links/ui-test", 200, extended).isEmpty)
    }

    @Test func brokenLinkPayloadsNameTheField() {
        let path = "/kafka/v3/clusters/lkc-1/links/ui-test"
        #expect(
            summary(violations("GET", path, 200, edit(Self.link) { $0["cluster_link_id"] = nil as JSON? }))
                == ["missing-required /cluster_link_id"])
        #expect(
            summary(violations("GET", path, 200, edit(Self.link) { $0["link_name"] = 5 }))
                == ["type-mismatch /link_name"])
        #expect(
            summary(violations("GET", path, 200, edit(Self.link) { $0["topic_names"] = .null }))
                == ["null-not-allowed /topic_names"])
        #expect(
            summary(violations("GET", path, 200, edit(Self.link) { $0["topic_names"] = ["a", 1] }))
                == ["type-mismatch /topic_names/1"])
        #expect(
            summary(violations("GET", path, 200, edit(Self.link) { $0["metadata"] = ["resource_name": nil] }))
                == ["missing-required /metadata/self"])
        let list: JSON = [
            "kind": "KafkaLinkDataList", "metadata": ["self": "https://x/links", "next": nil],
            "data": [Self.link, edit(Self.link) { $0["link_state"] = 3 }],
        ]
        #expect(
            summary(violations("GET", "/kafka/v3/clusters/lkc-1/links", 200, list)) == [
                "type-mismatch /data/1/link_state"
            ])
    }

    // MARK: - Kafka REST v3: mirrors

    static let mirror: JSON = [
        "kind": "KafkaMirrorData",
        "metadata": [
            "self": "https://pkc-00000/kafka/v3/clusters/lkc-2/links/L1/mirrors/orders", "resource_name": nil,
        ],
        "link_name": "L1", "mirror_topic_name": "orders", "source_topic_name": "orders", "num_partitions": 2,
        "mirror_lags": [
            ["partition": 0, "lag": 0, "last_source_fetch_offset": -1],
            ["partition": 1, "lag": 5, "last_source_fetch_offset": 120],
        ],
        "mirror_status": "ACTIVE", "state_time_ms": 1_700_000_000_000,
    ]

    @Test func mirrorWithLagsIsValidAndBrokenOnesAreNamed() {
        let path = "/kafka/v3/clusters/lkc-2/links/L1/mirrors/orders"
        #expect(violations("GET", path, 200, Self.mirror).isEmpty)
        #expect(
            summary(violations("GET", path, 200, edit(Self.mirror) { $0["mirror_status"] = "RUNNING" }))
                == ["enum-mismatch /mirror_status"])
        #expect(
            summary(violations("GET", path, 200, edit(Self.mirror) { $0["state_time_ms"] = nil as JSON? }))
                == ["missing-required /state_time_ms"])
        #expect(
            summary(violations("GET", path, 200, edit(Self.mirror) { $0["num_partitions"] = .null }))
                == ["null-not-allowed /num_partitions"])
        let badLag = edit(Self.mirror) {
            $0["mirror_lags"] = [
                ["partition": 0, "lag": "5", "last_source_fetch_offset": 1], ["partition": 1, "lag": 1],
            ]
        }
        #expect(
            summary(violations("GET", path, 200, badLag))
                == ["type-mismatch /mirror_lags/0/lag", "missing-required /mirror_lags/1/last_source_fetch_offset"])
        let enumViolation = violations("GET", path, 200, edit(Self.mirror) { $0["mirror_status"] = "RUNNING" })[0]
        #expect(enumViolation.expected.contains("PENDING_STOPPED"))
        #expect(enumViolation.found == #"string "RUNNING""#)
        #expect(enumViolation.operation.contains("{mirror_topic_name}"))
    }

    static let alterResult: JSON = [
        "kind": "KafkaPromoteMirror",
        "metadata": ["self": "https://pkc-00000/kafka/v3/clusters/lkc-2/links/L1/mirrors", "resource_name": nil],
        "data": [
            [
                "kind": "AlterMirrorsData", "metadata": ["self": "https://pkc-00000/x/orders"],
                "mirror_topic_name": "orders", "error_code": nil, "error_message": nil,
                "mirror_lags": [["partition": 0, "lag": 0, "last_source_fetch_offset": 41]],
                "messages_truncated": nil, "partition_level_truncation_data": [],
            ],
            [
                "kind": "AlterMirrorsData", "metadata": ["self": "https://pkc-00000/x/topic-2"],
                "mirror_topic_name": "topic-2", "error_code": 400,
                "error_message": "Topic 'topic-2' has already stopped its mirror from 'L1'",
                "mirror_lags": [], "messages_truncated": nil,
                "partition_level_truncation_data": [
                    ["partition_id": 0, "offset_truncated_to": 10, "messages_truncated": 3]
                ],
            ],
        ],
    ]

    @Test func alterMirrorStatusListIsValidAndBrokenOnesAreNamed() {
        let path = "/kafka/v3/clusters/lkc-2/links/L1/mirrors:promote"
        #expect(violations("POST", path, 200, Self.alterResult).isEmpty)
        #expect(violations("POST", "/kafka/v3/clusters/lkc-2/links/L1/mirrors:pause", 200, Self.alterResult).isEmpty)
        let broken = edit(Self.alterResult) {
            var items = $0["data"]!.arrayValue!
            items[0] = edit(items[0]) { $0["partition_level_truncation_data"] = nil as JSON? }
            items[1] = edit(items[1]) { $0["error_code"] = "400" }
            $0["data"] = .array(items)
        }
        #expect(
            summary(violations("POST", path, 200, broken))
                == ["missing-required /data/0/partition_level_truncation_data", "type-mismatch /data/1/error_code"])
    }

    @Test func requestBodiesTheClientBuilds() {
        let mirrors = "/kafka/v3/clusters/lkc-2/links/L1/mirrors"
        #expect(contract.validateRequest(method: "POST", path: mirrors, json: ["source_topic_name": "orders"]).isEmpty)
        #expect(
            summary(contract.validateRequest(method: "POST", path: mirrors, json: ["mirror_topic_name": "orders"]))
                == ["missing-required /source_topic_name"])
        let createLink: JSON = [
            "source_cluster_id": "lkc-1",
            "configs": [
                ["name": "link.mode", "value": "DESTINATION"], ["name": "connection.mode", "value": "INBOUND"],
            ],
        ]
        let links = "/kafka/v3/clusters/lkc-2/links?link_name=L1"
        #expect(contract.validateRequest(method: "POST", path: links, body: createLink.jsonBytes).isEmpty)
        #expect(
            summary(
                contract.validateRequest(
                    method: "POST", path: links, json: ["configs": [["name": "link.mode", "value": 1]]]))
                == ["type-mismatch /configs/0/value"])
        let promote = "/kafka/v3/clusters/lkc-2/links/L1/mirrors:promote"
        #expect(
            contract.validateRequest(method: "POST", path: promote, json: ["mirror_topic_names": ["orders"]]).isEmpty)
        #expect(
            summary(
                contract.validateRequest(method: "GET", path: "/kafka/v3/clusters/lkc-2/links", body: Array("{}".utf8)))
                == ["unexpected-body "])
        #expect(
            summary(contract.validateRequest(method: "POST", path: mirrors, body: Array("{nope".utf8)))
                == ["invalid-json "])
    }

    // MARK: - Statuses and error bodies

    @Test func kafkaRestErrorBody() {
        let path = "/kafka/v3/clusters/lkc-1/links/L1"
        let error: JSON = ["error_code": 40101, "message": "Authentication failed"]
        #expect(violations("GET", path, 401, error).isEmpty)
        #expect(violations("GET", path, 503, ["error_code": 50302, "message": nil]).isEmpty)  // via 5XX
        #expect(
            summary(violations("GET", path, 400, ["error_code": "40002", "message": "x"]))
                == ["type-mismatch /error_code"])
        #expect(summary(violations("GET", path, 400, ["error_code": 40002])) == ["missing-required /message"])
        #expect(
            summary(violations("GET", path, 400, ["error_code": 3_000_000_000, "message": "x"]))
                == ["format-violation /error_code"])
    }

    @Test func statusesWithoutBodiesAndUndeclaredStatuses() {
        let create = "/kafka/v3/clusters/lkc-1/links?link_name=L1"
        #expect(contract.validateResponse(method: "POST", path: create, status: 204, body: []).isEmpty)
        #expect(
            summary(contract.validateResponse(method: "POST", path: create, status: 204, body: Array("{}".utf8)))
                == ["unexpected-body "])
        // 201 is what some mocks send; the spec says 204 only, reported as its own kind so callers can tolerate it.
        let undeclared = contract.validateResponse(method: "POST", path: create, status: 201, body: [])
        #expect(undeclared.map(\.kind) == [.undeclaredStatus])
        #expect(undeclared.first?.expected.contains("204") == true)
        let html = Array("<html><body>HTTP ERROR 429</body></html>".utf8)
        #expect(contract.validateResponse(method: "POST", path: create, status: 429, body: html).isEmpty)
        #expect(
            summary(
                contract.validateResponse(
                    method: "GET", path: "/kafka/v3/clusters/lkc-1/links/L1", status: 200, body: []))
                == ["missing-body "])
    }

    // MARK: - Control plane

    static let apiKey: JSON = [
        "api_version": "iam/v2", "kind": "ApiKey", "id": "7FJIYKQ4SGQDQ72H",
        "metadata": [
            "self": "https://api.confluent.cloud/iam/v2/api-keys/7FJIYKQ4SGQDQ72H",
            "resource_name":
                "crn://api.confluent.cloud/organization=o-1/service-account=sa-12mgdv/api-key=7FJIYKQ4SGQDQ72H",
            "created_at": "2026-11-24T15:00:00Z", "updated_at": "2026-11-24T15:00:00Z",
        ],
        "spec": [
            "display_name": "jumpchain jump key", "description": "", "secret": "placeholder-not-a-real-secret",
            "owner": [
                "id": "sa-12mgdv", "related": "https://api.confluent.cloud/iam/v2/service-accounts/sa-12mgdv",
                "resource_name": "crn://api.confluent.cloud/organization=o-1/service-account=sa-12mgdv",
                "api_version": "iam/v2", "kind": "ServiceAccount",
            ],
            "resource": [
                "id": "lkc-jump", "environment": "env-1",
                "related": "https://api.confluent.cloud/cmk/v2/clusters/lkc-jump",
                "resource_name": "crn://api.confluent.cloud/organization=o-1/environment=env-1/cloud-cluster=lkc-jump",
                "api_version": "cmk/v2", "kind": "Cluster",
            ],
        ],
    ]

    @Test func apiKeyCreateResponse() {
        #expect(violations("POST", "/iam/v2/api-keys", 202, Self.apiKey).isEmpty)
        // `resource: allOf: [ObjectReference, {nullable: true}]`: a Cloud API key has no resource.
        let cloudKey = edit(Self.apiKey) { $0["spec"] = edit($0["spec"]!) { $0["resource"] = .null } }
        #expect(violations("POST", "/iam/v2/api-keys", 202, cloudKey).isEmpty)
        let noOwnerId = edit(Self.apiKey) {
            $0["spec"] = edit($0["spec"]!) { $0["owner"] = edit($0["owner"]!) { $0["id"] = nil as JSON? } }
        }
        #expect(summary(violations("POST", "/iam/v2/api-keys", 202, noOwnerId)) == ["missing-required /spec/owner/id"])
        let nullOwner = edit(Self.apiKey) { $0["spec"] = edit($0["spec"]!) { $0["owner"] = .null } }
        #expect(summary(violations("POST", "/iam/v2/api-keys", 202, nullOwner)) == ["null-not-allowed /spec/owner"])
        #expect(
            summary(violations("POST", "/iam/v2/api-keys", 202, edit(Self.apiKey) { $0["kind"] = "ApiKeys" }))
                == ["enum-mismatch /kind"])
        #expect(
            summary(violations("GET", "/iam/v2/api-keys/7FJIYKQ4SGQDQ72H", 200, edit(Self.apiKey) { $0["id"] = 7 }))
                == ["type-mismatch /id"])
    }

    @Test func apiKeyCreateRequestMayOmitReadOnlyRequiredFields() {
        let request: JSON = [
            "spec": [
                "display_name": "jump", "description": "jumpchain",
                "owner": ["id": "sa-12mgdv"], "resource": ["id": "lkc-jump", "environment": "env-1"],
            ]
        ]
        #expect(contract.validateRequest(method: "POST", path: "/iam/v2/api-keys", json: request).isEmpty)
        #expect(
            summary(
                contract.validateRequest(
                    method: "POST", path: "/iam/v2/api-keys", json: ["spec": ["display_name": "x"]]))
                == ["missing-required /spec/owner"])
        #expect(
            summary(contract.validateRequest(method: "POST", path: "/iam/v2/api-keys", json: [:]))
                == ["missing-required /spec"])
    }

    @Test func controlPlaneErrorBody() {
        let failure: JSON = [
            "errors": [
                [
                    "id": "ed42afdc-f0d5-4c0d-b428-9fc6ed6e279d", "status": "409", "code": "resource_already_exists",
                    "title": "Conflict", "detail": "API key already exists", "source": ["pointer": "/spec/owner"],
                ]
            ]
        ]
        #expect(violations("POST", "/iam/v2/api-keys", 409, failure).isEmpty)
        #expect(violations("DELETE", "/iam/v2/api-keys/K", 403, failure).isEmpty)
        #expect(summary(violations("POST", "/iam/v2/api-keys", 409, ["errors": "boom"])) == ["type-mismatch /errors"])
        #expect(
            summary(violations("POST", "/iam/v2/api-keys", 409, ["message": "boom"])) == ["missing-required /errors"])
        #expect(
            summary(violations("POST", "/iam/v2/api-keys", 409, ["errors": [["status": 409, "code": "x"]]]))
                == ["type-mismatch /errors/0/status"])
    }
}

/// A copy of a JSON object with `change` applied to its members (a nil assignment removes a member).
func edit(_ value: JSON, _ change: (inout JSONObject) -> Void) -> JSON {
    var members = value.objectValue ?? [:]
    change(&members)
    return .object(members)
}
