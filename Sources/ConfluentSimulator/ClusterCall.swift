import JumpchainJSON

/// One authenticated request to a cluster listener, with what every handler needs.
struct ClusterCall {
    var request: SimRequest
    var clusterID: String
    var principal: String
    var now: Double
    var base: String

    /// `<cluster REST URL>/kafka/v3/clusters/<id>`.
    var clusterPath: String { base + "/kafka/v3/clusters/" + clusterID }

    static func notFoundTopic(_ topic: String) -> SimResponse {
        .kafka(404, 40403, "This server does not host this topic-partition.")
    }

    static let unauthorized = SimResponse.kafka(403, 40301, "Request is not authorized")

    static func badRequest(_ message: String) -> SimResponse { .kafka(400, 40002, message) }

    static func collection(kind: String, selfURL: String, data: [JSON]) -> JSON {
        ["kind": .string(kind), "metadata": ["self": .string(selfURL), "next": nil], "data": .array(data)]
    }
}
