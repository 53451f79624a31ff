import JumpchainJSON

extension OpenAPIContract {
    /// One operation (method + path template) of a loaded document.
    public struct Operation: Sendable, CustomStringConvertible {
        /// Upper-case HTTP method.
        public let method: String
        /// The template from the spec, e.g. `/kafka/v3/clusters/{cluster_id}/links/{link_name}`.
        public var pathTemplate: String { template.text }
        /// `operationId` from the spec, e.g. `updateKafkaMirrorTopicsPromote`.
        public var operationId: String? { definition["operationId"]?.stringValue }
        /// Response keys as written in the spec: `"200"`, `"2XX"`, `"default"`, ...
        public var declaredStatuses: [String] { (definition["responses"]?.objectValue ?? [:]).keys.sorted() }
        /// The spec file the operation comes from.
        public let specFile: String

        let template: PathTemplate
        let definition: JSON

        init(method: String, template: PathTemplate, definition: JSON, source: String) {
            self.method = method
            self.template = template
            self.definition = definition
            self.specFile = source
        }

        /// `POST /kafka/v3/clusters/{cluster_id}/links/{link_name}/mirrors:promote`
        public var description: String { "\(method) \(pathTemplate)" }
    }
}
