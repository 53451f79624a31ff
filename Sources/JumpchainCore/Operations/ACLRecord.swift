public import ConfluentAPI

/// The ACL bindings an operation created, as one step output (`created_bindings`), so that a teardown deletes
/// those and only those: bindings that existed before jumpchain came stay.
///
/// One binding is `resource_type|resource_name|pattern_type|principal|operation`; bindings are separated by
/// `;` (neither character can occur in a topic name, a principal or an operation).
public enum ACLRecord {
    public static let outputKey = "created_bindings"

    public static func encode(_ bindings: [ACLBinding]) -> String {
        bindings.map {
            [$0.resourceType, $0.resourceName, $0.patternType, $0.principal, $0.operation].joined(separator: "|")
        }.joined(separator: ";")
    }

    public static func decode(_ text: String) -> [ACLBinding] {
        text.split(separator: ";").compactMap { item in
            let fields = item.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 5 else { return nil }
            return ACLBinding(
                resourceType: fields[0], resourceName: fields[1], patternType: fields[2], principal: fields[3],
                operation: fields[4])
        }
    }
}
