import JumpchainJSON

/// Checks one JSON value against one OpenAPI 3.0 schema object, following `$ref`s inside its document.
///
/// Deliberately a subset of JSON Schema: the keywords the Confluent specs use (`type`, `nullable`,
/// `required`, `properties`, `additionalProperties`, `items`, `enum`/`x-extensible-enum`, `allOf`,
/// `oneOf`/`anyOf`, integer `format`s, length/size/range bounds, `readOnly`/`writeOnly`).
/// `pattern`, `uniqueItems`, `not`, string formats and `discriminator` are not checked.
struct SchemaValidator {
    enum Direction {
        case request
        case response
    }

    let document: JSON
    let direction: Direction
    private static let maximumReferenceHops = 64

    init(document: JSON, direction: Direction) {
        self.document = document
        self.direction = direction
    }

    func validate(_ value: JSON, against rawSchema: JSON, at pointer: String) -> [ContractViolation] {
        let schema: JSONObject
        switch resolve(rawSchema) {
        case .success(let resolved):
            guard let members = resolved.objectValue else { return [] }
            schema = members
        case .failure(let violation):
            return [violation.at(pointer)]
        }

        if value.isNull {
            if acceptsNull(schema) { return [] }
            if let type = schema["type"]?.stringValue {
                return [violation(.nullNotAllowed, pointer, expected: type, found: value, schema)]
            }
        } else if let type = schema["type"]?.stringValue, !Self.value(value, hasType: type) {
            let expected = schema["format"]?.stringValue.map { "\(type) (\($0))" } ?? type
            return [violation(.typeMismatch, pointer, expected: expected, found: value, schema)]
        }

        var violations: [ContractViolation] = []
        checkEnum(value, schema, pointer, into: &violations)
        checkFormat(value, schema, pointer, into: &violations)
        checkBounds(value, schema, pointer, into: &violations)
        switch value {
        case .object(let members): checkObject(members, schema, pointer, into: &violations)
        case .array(let items): checkArray(items, schema, pointer, into: &violations)
        default: break
        }
        checkCompositions(value, schema, pointer, into: &violations)
        return violations
    }

    // MARK: - References

    /// Follows a chain of `$ref`s (`#/components/...`) to the schema, response or request body object.
    func resolve(_ value: JSON) -> Result<JSON, UnresolvedReference> {
        var current = value
        var seen: [String] = []
        while let reference = current["$ref"]?.stringValue {
            guard reference.hasPrefix("#"), seen.count < Self.maximumReferenceHops, !seen.contains(reference),
                let target = JSONPointer.resolve(String(reference.dropFirst()), in: document)
            else {
                return .failure(UnresolvedReference(reference: reference))
            }
            seen.append(reference)
            current = target
        }
        return .success(current)
    }

    struct UnresolvedReference: Error {
        var reference: String

        func at(_ pointer: String) -> ContractViolation {
            ContractViolation(
                kind: .unresolvedReference, pointer: pointer, expected: "a resolvable $ref",
                found: "'\(reference)' (fix the spec or load the document it points into)")
        }
    }

    // MARK: - Keywords

    /// `nullable: true`, here or on any `allOf` member (the specs write `allOf: [$ref, {nullable: true}]`),
    /// or a schema with no constraints at all.
    private func acceptsNull(_ schema: JSONObject) -> Bool {
        if schema["nullable"]?.boolValue == true { return true }
        if let members = schema["allOf"]?.arrayValue {
            for member in members {
                if case .success(let resolved) = resolve(member), resolved["nullable"]?.boolValue == true {
                    return true
                }
            }
        }
        if let options = schema["enum"]?.arrayValue, options.contains(.null) { return true }
        return false
    }

    private static func value(_ value: JSON, hasType type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool): return true
        case ("integer", .int): return true
        case ("integer", .double(let number)): return number.isFinite && number.rounded() == number
        case ("number", .int), ("number", .double): return true
        case ("object", _), ("array", _), ("string", _), ("boolean", _), ("integer", _), ("number", _): return false
        default: return true  // unknown type keyword: not ours to judge
        }
    }

    private func checkEnum(
        _ value: JSON, _ schema: JSONObject, _ pointer: String, into violations: inout [ContractViolation]
    ) {
        // `x-extensible-enum` lists known values but promises more may come: any value of the type is fine.
        guard schema["x-extensible-enum"] == nil, let options = schema["enum"]?.arrayValue else { return }
        if options.contains(value) { return }
        let listed = options.map { $0.stringValue ?? $0.description }.joined(separator: ", ")
        violations.append(violation(.enumMismatch, pointer, expected: "one of [\(listed)]", found: value, schema))
    }

    private func checkFormat(
        _ value: JSON, _ schema: JSONObject, _ pointer: String, into violations: inout [ContractViolation]
    ) {
        guard let format = schema["format"]?.stringValue, let number = value.doubleValue,
            schema["type"]?.stringValue == "integer"
        else { return }
        let range: ClosedRange<Double>
        switch format {
        case "int32": range = Double(Int32.min)...Double(Int32.max)
        case "int64": range = Double(Int64.min)...Double(Int64.max)
        default: return
        }
        if !range.contains(number) {
            violations.append(
                violation(.formatViolation, pointer, expected: "integer (\(format))", found: value, schema))
        }
    }

    private func checkBounds(
        _ value: JSON, _ schema: JSONObject, _ pointer: String, into violations: inout [ContractViolation]
    ) {
        func bound(_ key: String) -> Double? { schema[key]?.doubleValue }
        switch value {
        case .int, .double:
            let number = value.doubleValue!
            if let minimum = bound("minimum") {
                let exclusive = schema["exclusiveMinimum"]?.boolValue == true
                if exclusive ? number <= minimum : number < minimum {
                    violations.append(
                        violation(
                            .constraintViolation, pointer, expected: "\(exclusive ? ">" : ">=") \(minimum)",
                            found: value, schema))
                }
            }
            if let maximum = bound("maximum") {
                let exclusive = schema["exclusiveMaximum"]?.boolValue == true
                if exclusive ? number >= maximum : number > maximum {
                    violations.append(
                        violation(
                            .constraintViolation, pointer, expected: "\(exclusive ? "<" : "<=") \(maximum)",
                            found: value, schema))
                }
            }
        case .string(let text):
            let length = Double(text.count)
            if let minimum = bound("minLength"), length < minimum {
                violations.append(
                    violation(
                        .constraintViolation, pointer, expected: "at least \(Int(minimum)) characters",
                        found: value, schema))
            }
            if let maximum = bound("maxLength"), length > maximum {
                violations.append(
                    violation(
                        .constraintViolation, pointer, expected: "at most \(Int(maximum)) characters",
                        found: value, schema))
            }
        case .array(let items):
            let count = Double(items.count)
            if let minimum = bound("minItems"), count < minimum {
                violations.append(
                    violation(
                        .constraintViolation, pointer, expected: "at least \(Int(minimum)) items", found: value, schema)
                )
            }
            if let maximum = bound("maxItems"), count > maximum {
                violations.append(
                    violation(
                        .constraintViolation, pointer, expected: "at most \(Int(maximum)) items", found: value, schema))
            }
        default:
            break
        }
    }

    private func checkObject(
        _ members: JSONObject, _ schema: JSONObject, _ pointer: String,
        into violations: inout [ContractViolation]
    ) {
        let properties = schema["properties"]?.objectValue ?? [:]
        for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
            if let property = properties[name], isExemptWhenAbsent(property) { continue }
            violations.append(
                ContractViolation(
                    kind: .missingRequired, pointer: JSONPointer.appending(pointer, name),
                    expected: "required property '\(name)'", found: "nothing"))
        }
        for name in members.keys.sorted() {
            let member = members[name]!
            let memberPointer = JSONPointer.appending(pointer, name)
            if let property = properties[name] {
                violations += validate(member, against: property, at: memberPointer)
                continue
            }
            switch schema["additionalProperties"] {
            case .bool(false)?:
                let allowed = properties.keys.sorted().joined(separator: ", ")
                violations.append(
                    ContractViolation(
                        kind: .unexpectedProperty, pointer: memberPointer,
                        expected: "only properties [\(allowed)]", found: "property '\(name)'"))
            case .object(let additional)? where !additional.isEmpty:
                violations += validate(member, against: .object(additional), at: memberPointer)
            default:
                break
            }
        }
    }

    /// OpenAPI 3.0: a required `readOnly` property is only required in responses, a `writeOnly` one only
    /// in requests.
    private func isExemptWhenAbsent(_ property: JSON) -> Bool {
        guard case .success(let resolved) = resolve(property) else { return false }
        switch direction {
        case .request: return resolved["readOnly"]?.boolValue == true
        case .response: return resolved["writeOnly"]?.boolValue == true
        }
    }

    private func checkArray(
        _ items: [JSON], _ schema: JSONObject, _ pointer: String,
        into violations: inout [ContractViolation]
    ) {
        guard let itemSchema = schema["items"] else { return }
        for (index, item) in items.enumerated() {
            violations += validate(item, against: itemSchema, at: JSONPointer.appending(pointer, index))
        }
    }

    private func checkCompositions(
        _ value: JSON, _ schema: JSONObject, _ pointer: String,
        into violations: inout [ContractViolation]
    ) {
        for member in schema["allOf"]?.arrayValue ?? [] {
            violations += validate(value, against: member, at: pointer)
        }
        // oneOf is checked like anyOf: without discriminators, overlapping branches are the norm in these specs.
        for keyword in ["oneOf", "anyOf"] {
            guard let branches = schema[keyword]?.arrayValue, !branches.isEmpty else { continue }
            var closest: [ContractViolation] = []
            var matched = false
            for branch in branches {
                let branchViolations = validate(value, against: branch, at: pointer)
                if branchViolations.isEmpty {
                    matched = true
                    break
                }
                if closest.isEmpty || Self.distance(branchViolations) < Self.distance(closest) {
                    closest = branchViolations
                }
            }
            if !matched, let first = closest.first {
                violations.append(
                    ContractViolation(
                        kind: .noAlternativeMatched, pointer: pointer,
                        expected: "a value matching one of the \(branches.count) \(keyword) schemas",
                        found:
                            "\(Self.render(value, at: pointer)); closest branch says \(first.pointer.isEmpty ? "(body)" : first.pointer): \(first.kind): expected \(first.expected), found \(first.found)"
                    ))
            }
        }
    }

    /// How far a branch is from accepting a value: a wrong value in a property the branch knows counts as
    /// closer than a property the branch requires and the value lacks.
    private static func distance(_ violations: [ContractViolation]) -> Int {
        violations.reduce(0) { total, violation in total + (violation.kind == .missingRequired ? 2 : 1) }
    }

    // MARK: - Reporting

    private func violation(
        _ kind: ContractViolation.Kind, _ pointer: String, expected: String, found value: JSON,
        _ schema: JSONObject
    ) -> ContractViolation {
        ContractViolation(
            kind: kind, pointer: pointer, expected: expected, found: Self.render(value, at: pointer, schema: schema))
    }

    /// `string "abc"`, `integer 3`, `object with keys [a, b]` — one short line that never carries a secret:
    /// containers show only their shape, and strings are hidden when long, when the schema says
    /// `x-redact`/`format: password`, or when the field's name suggests credentials. Enum values are shown.
    static func render(_ value: JSON, at pointer: String, schema: JSONObject = [:]) -> String {
        switch value {
        case .null: return "null"
        case .bool, .int, .double: return "\(value.typeName) \(value.description)"
        case .object(let members):
            let keys = members.keys.sorted()
            let shown = keys.prefix(6).joined(separator: ", ") + (keys.count > 6 ? ", ..." : "")
            return "object with keys [\(shown)]"
        case .array(let items):
            return "array of \(items.count) item\(items.count == 1 ? "" : "s")"
        case .string(let text):
            let isEnum = schema["enum"] != nil || schema["x-extensible-enum"] != nil
            let redacted =
                schema["x-redact"]?.boolValue == true || schema["format"]?.stringValue == "password"
                || looksSensitive(pointer)
            if redacted || (!isEnum && text.count > 40) {
                return "string (\(text.count) characters, not shown)"
            }
            return "string \(JSON.string(text).description)"
        }
    }

    private static let sensitiveWords = ["secret", "password", "jaas", "token", "credential", "authorization"]

    private static func looksSensitive(_ pointer: String) -> Bool {
        let lowered = pointer.lowercased()
        return sensitiveWords.contains { lowered.contains($0) }
    }
}
