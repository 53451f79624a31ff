/// Where the simulated world listens and how to talk to it: written as the connection file.
public struct SimulatorConnectionInfo: Codable, Sendable, Equatable {
    public struct Cluster: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var environment: String
        /// Network id, nil for a public cluster.
        public var network: String?
        public var restURL: String
        /// Fake Kafka bootstrap (`<id>.sim.local:9092`); links name the remote cluster by it.
        public var bootstrap: String
        public var port: Int
    }

    /// An API key with its secret (only in the info of worlds that choose to reveal it).
    public struct Key: Codable, Sendable, Equatable {
        public var id: String
        public var secret: String
        public var owner: String
        /// Cluster id; nil for a Cloud key.
        public var resource: String?
    }

    public var controlPlaneURL: String
    public var controlPlanePort: Int
    /// `GET` world state; `POST` fault settings (`/sim/v1/faults`).
    public var stateURL: String
    public var faultsURL: String
    public var organization: String
    public var environments: [String]
    public var clusters: [Cluster]
    /// Operators: admin principals, and users with cluster-admin or key-admin roles.
    public var operators: [String]
    /// Keys of the operators, with secrets; empty unless the world reveals them (the demo does).
    public var operatorKeys: [Key]
}
