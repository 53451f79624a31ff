import Foundation
public import JumpchainHTTP

/// One record read back from a partition: its offset and, when it was produced through REST, its value.
public struct ObservedRecord: Sendable, Hashable {
    public var offset: Int64
    public var value: String?

    public init(offset: Int64, value: String?) {
        self.offset = offset
        self.value = value
    }
}

/// Reads records back from a cluster. Confluent's Kafka REST v3 can produce but not consume, so against
/// Confluent Cloud a canary's contents cannot be read back over REST and the read-back is reported as not
/// observed. The simulator documents a read endpoint (`GET /sim/v1/clusters/<id>/topics/<topic>/partitions/
/// <p>/records?offset=&count=` on its control-plane port); it is used only when the control plane is on a
/// loopback address, and a 404 there (not the simulator) means "not observed" too.
public struct SimulatorRecordReader: Sendable {
    let http: HTTPClient
    let baseURL: String
    let clusterIDs: [PlaybookCluster.Role: String]

    /// nil unless the playbook's control plane is on a loopback host.
    public init?(playbook: Playbook, http: HTTPClient) {
        guard let host = URLComponents(string: playbook.controlPlane.endpoint)?.host,
            InsecureHTTPPolicy.isLoopback(host: host)
        else { return nil }
        self.http = http
        self.baseURL = playbook.controlPlane.endpoint
        self.clusterIDs = [.origin: playbook.origin.id, .jump: playbook.jump.id, .target: playbook.target.id]
    }

    private struct Answer: Decodable {
        struct Record: Decodable {
            var offset: Int64
            var value: String?
        }
        var records: [Record]
    }

    /// The records from `offset` (at most `count`), or nil when the endpoint is not there.
    public func read(
        role: PlaybookCluster.Role, topic: String, partition: Int, offset: Int64, count: Int
    ) async throws -> [ObservedRecord]? {
        guard let cluster = clusterIDs[role],
            let name = topic.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"]))
        else { return nil }
        let url =
            "\(baseURL)/sim/v1/clusters/\(cluster)/topics/\(name)/partitions/\(partition)/records"
            + "?offset=\(offset)&count=\(count)"
        let response = try await http.execute(HTTPRequest(method: .get, url: url))
        guard response.status == 200 else { return nil }
        let answer = try JSONDecoder().decode(Answer.self, from: Data(response.body))
        return answer.records.map { ObservedRecord(offset: $0.offset, value: $0.value) }
    }
}
