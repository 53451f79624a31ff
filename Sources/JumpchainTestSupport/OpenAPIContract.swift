public import JumpchainJSON

/// The Confluent OpenAPI documents as an executable contract: which operation a request hits, and whether
/// a response (or request) body matches that operation's schema.
///
/// Contract tests load the real spec files at test time (`OpenAPIContract.confluentCloud()`); each file is
/// parsed once per process and shared, so creating contracts in many suites is cheap.
public struct OpenAPIContract: Sendable {
    private let documents: [OpenAPIDocument]

    /// Loads (or takes from the process-wide cache) the given OpenAPI 3.0 YAML or JSON files.
    public init(specFiles: [String]) throws(OpenAPIContractError) {
        var documents: [OpenAPIDocument] = []
        for file in specFiles {
            documents.append(try OpenAPIDocumentCache.document(at: file))
        }
        self.documents = documents
    }

    /// Builds a contract from in-memory YAML (or JSON) documents; not cached. Handy for small test specs.
    public init(yamlDocuments: [String]) throws(OpenAPIContractError) {
        var documents: [OpenAPIDocument] = []
        for (index, text) in yamlDocuments.enumerated() {
            let source = "inline-\(index).yaml"
            let root = try OpenAPIDocument.parseYAML(text, source: source)
            documents.append(try OpenAPIDocument(source: source, root: root, loadDuration: .zero))
        }
        self.documents = documents
    }

    /// The five Confluent Cloud documents (Kafka REST v3, API keys, IAM, networking, CMK) from `location`.
    public static func confluentCloud(
        location: SpecLocation = SpecLocator.current
    ) throws(OpenAPIContractError) -> OpenAPIContract {
        guard let files = location.confluentCloudSpecFiles else {
            throw OpenAPIContractError(code: .specNotFound, message: location.reason)
        }
        return try OpenAPIContract(specFiles: files)
    }

    /// The files (or inline names) this contract was built from, in order.
    public var specFiles: [String] { documents.map(\.source) }

    /// How long reading and parsing each file took when it was first loaded in this process.
    public var loadDurations: [String: Duration] {
        Dictionary(documents.map { ($0.source, $0.loadDuration) }, uniquingKeysWith: { first, _ in first })
    }

    /// Every operation of every document.
    public var operations: [Operation] { documents.flatMap(\.operations) }

    /// The operation a concrete request hits, e.g. `POST /kafka/v3/clusters/lkc-1/links/L1/mirrors:promote`.
    /// Query strings and scheme/host are ignored; literal segments win over parameters.
    public func operation(method: String, path: String) -> Operation? {
        let segments = PathTemplate.concreteSegments(path)
        let method = method.uppercased()
        var best: Operation?
        for document in documents {
            for candidate in document.operations where candidate.method == method {
                guard candidate.template.matches(segments) else { continue }
                if best == nil || candidate.template.isMoreSpecific(than: best!.template) { best = candidate }
            }
        }
        return best
    }

    // MARK: - Responses

    /// Validates a raw response body (UTF-8 JSON; empty for no body) against the schema declared for
    /// `status` (exact code, then `2XX`-style range, then `default`).
    public func validateResponse(method: String, path: String, status: Int, body: [UInt8]) -> [ContractViolation] {
        validateResponse(method: method, path: path, status: status, body: RawBody.bytes(body))
    }

    /// Validates an already parsed response body; `nil` means "no body".
    public func validateResponse(method: String, path: String, status: Int, json: JSON?) -> [ContractViolation] {
        validateResponse(method: method, path: path, status: status, body: RawBody.parsed(json))
    }

    private func validateResponse(method: String, path: String, status: Int, body: RawBody) -> [ContractViolation] {
        guard let operation = operation(method: method, path: path) else {
            return [unknownOperation(method: method, path: path)]
        }
        let label = "\(operation) -> \(status)"
        let responses = operation.definition["responses"]?.objectValue ?? [:]
        let range = "\(status / 100)XX"
        let key =
            responses[String(status)] != nil
            ? String(status)
            : responses.keys.first(where: { $0.uppercased() == range })
                ?? (responses["default"] != nil ? "default" : nil)
        guard let key, let declared = responses[key] else {
            return [
                ContractViolation(
                    kind: .undeclaredStatus, pointer: "",
                    expected: "a status declared by the spec [\(responses.keys.sorted().joined(separator: ", "))]",
                    found: "status \(status)", operation: label)
            ]
        }
        let validator = SchemaValidator(document: document(of: operation).root, direction: .response)
        let response: JSON
        switch validator.resolve(declared) {
        case .success(let resolved): response = resolved
        case .failure(let unresolved): return [unresolved.at("").labelled(label)]
        }
        return check(body, content: response["content"], required: true, validator: validator, label: label)
    }

    // MARK: - Requests

    /// Validates a request body the client built (UTF-8 JSON; empty for none) against the operation's
    /// `requestBody` `application/json` schema. Required `readOnly` properties may be absent.
    public func validateRequest(method: String, path: String, body: [UInt8]) -> [ContractViolation] {
        validateRequest(method: method, path: path, body: RawBody.bytes(body))
    }

    /// Validates an already parsed request body; `nil` means "no body".
    public func validateRequest(method: String, path: String, json: JSON?) -> [ContractViolation] {
        validateRequest(method: method, path: path, body: RawBody.parsed(json))
    }

    private func validateRequest(method: String, path: String, body: RawBody) -> [ContractViolation] {
        guard let operation = operation(method: method, path: path) else {
            return [unknownOperation(method: method, path: path)]
        }
        let label = "\(operation) request"
        let validator = SchemaValidator(document: document(of: operation).root, direction: .request)
        guard let declared = operation.definition["requestBody"] else {
            return check(body, content: nil, required: false, validator: validator, label: label)
        }
        let requestBody: JSON
        switch validator.resolve(declared) {
        case .success(let resolved): requestBody = resolved
        case .failure(let unresolved): return [unresolved.at("").labelled(label)]
        }
        let required = requestBody["required"]?.boolValue == true
        return check(body, content: requestBody["content"], required: required, validator: validator, label: label)
    }

    // MARK: - Shared

    private enum RawBody {
        case bytes([UInt8])
        case parsed(JSON?)

        var isEmpty: Bool {
            switch self {
            case .bytes(let bytes): return bytes.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
            case .parsed(let value): return value == nil
            }
        }
    }

    /// Applies a `content` map to a body: none declared ⇒ body must be empty; JSON declared ⇒ schema check;
    /// only non-JSON media types (e.g. the `text/html` 429 page) ⇒ not checked.
    private func check(
        _ body: RawBody, content: JSON?, required: Bool, validator: SchemaValidator, label: String
    ) -> [ContractViolation] {
        let media = content?.objectValue ?? [:]
        if media.isEmpty {
            if body.isEmpty { return [] }
            return [
                ContractViolation(
                    kind: .unexpectedBody, pointer: "", expected: "no body", found: describe(body), operation: label)
            ]
        }
        let jsonKey =
            media.keys.first(where: { $0.lowercased().hasPrefix("application/json") })
            ?? media.keys.sorted().first(where: { $0.lowercased().contains("json") })
        guard let jsonKey else { return [] }
        if body.isEmpty {
            if !required { return [] }
            return [
                ContractViolation(
                    kind: .missingBody, pointer: "", expected: "a \(jsonKey) body", found: "an empty body",
                    operation: label)
            ]
        }
        let value: JSON
        switch body {
        case .parsed(let parsed): value = parsed ?? .null
        case .bytes(let bytes):
            do {
                value = try JSON(parsing: bytes)
            } catch {
                return [
                    ContractViolation(
                        kind: .invalidJSON, pointer: "", expected: "well-formed JSON", found: error.message,
                        operation: label)
                ]
            }
        }
        guard let schema = media[jsonKey]?["schema"] else { return [] }
        // allOf members that share a `type` report the same problem once each; keep one.
        var seen = Set<ContractViolation>()
        return validator.validate(value, against: schema, at: "").map { $0.labelled(label) }
            .filter { seen.insert($0).inserted }
    }

    private func describe(_ body: RawBody) -> String {
        switch body {
        // Only the size: an unexpected body may well hold credentials.
        case .bytes(let bytes): return "a body of \(bytes.count) bytes"
        case .parsed(let value): return value.map { SchemaValidator.render($0, at: "") } ?? "nothing"
        }
    }

    private func document(of operation: Operation) -> OpenAPIDocument {
        documents.first(where: { $0.source == operation.specFile })!
    }

    private func unknownOperation(method: String, path: String) -> ContractViolation {
        ContractViolation(
            kind: .unknownOperation, pointer: "",
            expected: "an operation in [\(documents.map(\.source).joined(separator: ", "))]",
            found: "no template matches", operation: "\(method.uppercased()) \(path)")
    }
}

extension ContractViolation {
    fileprivate func labelled(_ label: String) -> ContractViolation {
        var copy = self
        copy.operation = label
        return copy
    }
}
