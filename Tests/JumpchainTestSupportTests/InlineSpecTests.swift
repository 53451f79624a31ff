import JumpchainJSON
import JumpchainTestSupport
import Testing

/// Validator semantics on small specs written inline, independent of the vendored files.
@Suite struct InlineSpecTests {
    static let spec = """
        openapi: 3.0.1
        info: {title: inline, version: "1"}
        paths:
          /things/{id}:
            get:
              operationId: getThing
              responses:
                "200":
                  $ref: '#/components/responses/ThingResponse'
                4XX:
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Problem'}
                default:
                  description: anything else
            put:
              operationId: putThing
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/Thing'}
              responses:
                "204": {description: no content}
          /things/{id}:archive:
            post:
              operationId: archiveThing
              responses:
                "200":
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Shape'}
          /things/special:
            get:
              operationId: getSpecialThing
              responses:
                "200": {description: ok}
        components:
          responses:
            ThingResponse:
              description: a thing
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/ThingAlias'}
          schemas:
            ThingAlias:
              $ref: '#/components/schemas/Thing'
            Thing:
              allOf:
              - $ref: '#/components/schemas/Named'
              - type: object
                required: [count, secret_in, id]
                properties:
                  id: {type: string, readOnly: true}
                  secret_in: {type: string, writeOnly: true}
                  count: {type: integer, format: int32, minimum: 0}
                  ratio: {type: number}
                  note: {type: string, nullable: true, maxLength: 5}
                  parent:
                    allOf:
                    - $ref: '#/components/schemas/Named'
                    - nullable: true
                  state: {type: string, enum: [ON, OFF]}
                  flavour: {type: string, x-extensible-enum: [SWEET, SOUR]}
                  api_token: {type: string, minLength: 10}
                  answer: {enum: [NO, Y, "1:20", 1:20, 12, 1.5, 0x10, .inf]}
                  tags:
                    type: array
                    maxItems: 2
                    items: {type: string}
                  labels:
                    type: object
                    additionalProperties: {type: string}
            Named:
              type: object
              required: [name]
              additionalProperties: false
              properties:
                name: {type: string}
                id: {}
                secret_in: {}
                count: {}
                ratio: {}
                note: {}
                parent: {}
                state: {}
                flavour: {}
                answer: {}
                api_token: {}
                tags: {}
                labels: {}
            Shape:
              oneOf:
              - $ref: '#/components/schemas/Circle'
              - $ref: '#/components/schemas/Square'
            Circle:
              type: object
              required: [radius]
              properties: {radius: {type: number}}
            Square:
              type: object
              required: [side]
              properties: {side: {type: integer}}
            Problem:
              type: object
              required: [code]
              properties: {code: {type: integer}}
        """

    let contract: OpenAPIContract
    static let thing: JSON = ["name": "a", "id": "t-1", "count": 3]

    init() throws {
        contract = try OpenAPIContract(yamlDocuments: [Self.spec])
    }

    private func kinds(_ status: Int, _ body: JSON?, path: String = "/things/t-1") -> [String] {
        contract.validateResponse(method: "GET", path: path, status: status, json: body)
            .map { "\($0.kind) \($0.pointer)" }
    }

    @Test func followsRefChainsThroughResponsesAndSchemas() {
        #expect(kinds(200, Self.thing) == [])
        #expect(kinds(200, ["name": "a", "id": "t-1", "count": "3"]) == ["type-mismatch /count"])
    }

    @Test func allOfAppliesEveryMember() {
        #expect(kinds(200, ["id": "t-1", "count": 1]) == ["missing-required /name"])
        #expect(kinds(200, ["name": "a", "id": "t-1", "count": 1, "extra": true]) == ["unexpected-property /extra"])
        #expect(kinds(200, ["name": 1, "id": "t-1"]) == ["type-mismatch /name", "missing-required /count"])
    }

    @Test func nullableAndNullNotAllowed() {
        #expect(kinds(200, edit(Self.thing) { $0["note"] = .null }) == [])
        #expect(kinds(200, edit(Self.thing) { $0["parent"] = .null }) == [])  // nullable via allOf member
        #expect(kinds(200, edit(Self.thing) { $0["parent"] = ["name": "p"] }) == [])
        #expect(
            kinds(200, edit(Self.thing) { $0["parent"] = ["nome": "p"] }) == [
                "missing-required /parent/name", "unexpected-property /parent/nome",
            ])
        #expect(kinds(200, edit(Self.thing) { $0["count"] = .null }) == ["null-not-allowed /count"])
        #expect(kinds(200, .null) == ["null-not-allowed "])
    }

    @Test func enumsClosedAndExtensible() {
        #expect(kinds(200, edit(Self.thing) { $0["state"] = "ON" }) == [])
        #expect(kinds(200, edit(Self.thing) { $0["state"] = "DIM" }) == ["enum-mismatch /state"])
        #expect(kinds(200, edit(Self.thing) { $0["flavour"] = "UMAMI" }) == [])
        #expect(kinds(200, edit(Self.thing) { $0["flavour"] = 1 }) == ["type-mismatch /flavour"])
    }

    /// Plain YAML scalars follow the YAML 1.2 core schema: `NO`, `Y` and `1:20` stay strings.
    @Test func yamlScalarsAreTypedLikeJSON() {
        for accepted: JSON in ["NO", "Y", "1:20", 12, 12.0, 1.5, 16, .double(.infinity)] {
            #expect(kinds(200, edit(Self.thing) { $0["answer"] = accepted }) == [], "\(accepted)")
        }
        for rejected: JSON in [false, true, 80, "12", "0x10"] {
            #expect(
                kinds(200, edit(Self.thing) { $0["answer"] = rejected }) == ["enum-mismatch /answer"], "\(rejected)")
        }
    }

    @Test func numbersFormatsAndBounds() {
        #expect(kinds(200, edit(Self.thing) { $0["count"] = 3.0 }) == [])  // integral number is an integer
        #expect(kinds(200, edit(Self.thing) { $0["count"] = 3.5 }) == ["type-mismatch /count"])
        #expect(kinds(200, edit(Self.thing) { $0["count"] = 2_147_483_648 }) == ["format-violation /count"])
        #expect(kinds(200, edit(Self.thing) { $0["count"] = -1 }) == ["constraint-violation /count"])
        #expect(kinds(200, edit(Self.thing) { $0["ratio"] = 1 }) == [])
        #expect(kinds(200, edit(Self.thing) { $0["ratio"] = true }) == ["type-mismatch /ratio"])
        #expect(kinds(200, edit(Self.thing) { $0["note"] = "toolong" }) == ["constraint-violation /note"])
        #expect(kinds(200, edit(Self.thing) { $0["tags"] = ["a", "b", "c"] }) == ["constraint-violation /tags"])
    }

    @Test func additionalPropertiesSchema() {
        #expect(kinds(200, edit(Self.thing) { $0["labels"] = ["a": "x"] }) == [])
        #expect(
            kinds(200, edit(Self.thing) { $0["labels"] = ["a": 1, "b/c": 2] }) == [
                "type-mismatch /labels/a", "type-mismatch /labels/b~1c",
            ])
    }

    @Test func oneOfNeedsOneMatchingBranch() {
        func post(_ body: JSON) -> [ContractViolation] {
            contract.validateResponse(method: "POST", path: "/things/t-1:archive", status: 200, json: body)
        }
        #expect(post(["radius": 1.5]).isEmpty)
        #expect(post(["side": 2]).isEmpty)
        let none = post(["side": "2"])
        #expect(none.map(\.kind) == [.noAlternativeMatched])
        #expect(none.first?.found.contains("/side") == true)
        print(none[0])
    }

    @Test func readOnlyAndWriteOnly() {
        // Response: writeOnly `secret_in` is required yet may be absent (it is, in `thing`).
        #expect(kinds(200, Self.thing) == [])
        // Request: readOnly `id` may be absent, writeOnly `secret_in` may not.
        let put = { (body: JSON?) in
            self.contract.validateRequest(method: "PUT", path: "/things/t-1", json: body).map {
                "\($0.kind) \($0.pointer)"
            }
        }
        #expect(put(["name": "a", "count": 1, "secret_in": "s"]) == [])
        #expect(put(["name": "a", "count": 1]) == ["missing-required /secret_in"])
        #expect(put(nil) == ["missing-body "])
    }

    @Test func statusRangesDefaultAndEmptyBodies() {
        #expect(kinds(404, ["code": 404]) == [])  // 4XX
        #expect(kinds(404, ["code": "x"]) == ["type-mismatch /code"])
        #expect(kinds(500, ["anything": true]) == ["unexpected-body "])  // default declares no content
        #expect(kinds(500, nil) == [])
        let noDefault = contract.validateResponse(method: "PUT", path: "/things/t-1", status: 200, body: [])
        #expect(noDefault.map(\.kind) == [.undeclaredStatus])
        #expect(
            contract.validateResponse(method: "PUT", path: "/things/t-1", status: 204, body: Array(" \n".utf8)).isEmpty)
    }

    @Test func literalSegmentsAndActionSuffixes() {
        #expect(contract.operation(method: "GET", path: "/things/special")?.operationId == "getSpecialThing")
        #expect(contract.operation(method: "GET", path: "/things/-")?.operationId == "getThing")
        #expect(contract.operation(method: "POST", path: "/things/a:b:archive")?.operationId == "archiveThing")
        #expect(contract.operation(method: "POST", path: "/things/:archive") == nil)
        #expect(contract.operation(method: "GET", path: "/things/x%2Fy")?.operationId == "getThing")
        #expect(contract.operation(method: "get", path: "/things/t-1/")?.description == "GET /things/{id}")
    }

    @Test func violationDescriptionIsOneReadableLine() throws {
        let violation = try #require(
            contract.validateResponse(
                method: "GET", path: "/things/t-1", status: 200, json: edit(Self.thing) { $0["count"] = "3" }
            ).first)
        #expect(
            violation.description
                == #"GET /things/{id} -> 200: /count: type-mismatch: expected integer (int32), found string "3""#)
        #expect(!violation.description.contains("\n"))
    }

    /// Violation text ends up in test logs, so it must not echo what might be credentials.
    @Test func violationsDoNotEchoSecretsOrWholeBodies() throws {
        let jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"K\" password=\"S\";"
        let found = contract.validateResponse(
            method: "GET", path: "/things/t-1", status: 200,
            json: edit(Self.thing) {
                $0["api_token"] = "hunter2"
                $0["count"] = .string(jaas)
                $0["state"] = "DIM"
                $0["parent"] = ["name": 1, "password": "hunter2"]
            }
        ).map(\.found)
        #expect(
            found == [
                "string (7 characters, not shown)", "string (\(jaas.count) characters, not shown)", "integer 1",
                "property 'password'", #"string "DIM""#,
            ])
        let all = found.joined(separator: "\n")
        #expect(!all.contains("hunter2") && !all.contains("password=") && !all.contains("PlainLoginModule"))
        let unexpected = contract.validateResponse(
            method: "PUT", path: "/things/t-1", status: 204, body: Array(#"{"secret":"hunter2"}"#.utf8))
        #expect(unexpected.map(\.found) == ["a body of 20 bytes"])
    }

    @Test func brokenRefsAndDocumentsAreReported() throws {
        let broken = try OpenAPIContract(yamlDocuments: [
            """
            openapi: 3.0.0
            paths:
              /x:
                get:
                  responses:
                    "200":
                      content:
                        application/json:
                          schema: {$ref: '#/components/schemas/Missing'}
            """
        ])
        let violations = broken.validateResponse(method: "GET", path: "/x", status: 200, json: [:])
        #expect(violations.map(\.kind) == [.unresolvedReference])
        #expect(throws: OpenAPIContractError.self) { try OpenAPIContract(yamlDocuments: ["swagger: '2.0'"]) }
        #expect(throws: OpenAPIContractError.self) { try OpenAPIContract(yamlDocuments: ["a: [unclosed"]) }
        #expect(throws: OpenAPIContractError.self) { try OpenAPIContract(specFiles: ["/nonexistent/spec.yaml"]) }
    }
}
