extension SimulatorConfig {
    /// Ids of the `jump-demo` world, for tests and docs.
    public enum JumpDemo {
        public static let environment = "env-jumpdemo"
        public static let origin = "lkc-origin"
        public static let jump = "lkc-jump"
        public static let target = "lkc-target"
        public static let originNetwork = "n-origin-aws"
        public static let targetNetwork = "n-target-azure"
        public static let linkServiceAccount = "sa-link01"
        public static let operatorUser = "u-operator"
        public static let operatorCloudKey = "OPERATORCLOUDKEY"
        public static let operatorOriginKey = "OPERATORORIGIN01"
        public static let operatorTargetKey = "OPERATORTARGET01"
        /// A consumer group on the origin with a live consumer on `orders` (20 records/s, trailing the producer).
        public static let consumerGroup = "orders-app"
        /// A consumer group on the origin with fixed committed offsets on `payments` and no members.
        public static let idleGroup = "payments-audit"
    }

    /// The built-in rehearsal world: a private origin (AWS PrivateLink), a public jump, a private target
    /// (Azure Private Link, another region); `sa-link01` with no rights; an admin operator user with a Cloud
    /// key and Kafka keys for origin and target (not the jump); three topics with data and a producer; two
    /// consumer groups on the origin, one of them with a live consumer.
    /// Secrets are random per call. Timings are short so a demo converges in seconds.
    public static func jumpDemo() -> SimulatorConfig {
        typealias Demo = JumpDemo
        func secret() -> String {
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            var generator = SystemRandomNumberGenerator()
            return String((0..<64).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        }
        return SimulatorConfig(
            organization: "org-jumpdemo",
            environments: [Demo.environment],
            networks: [
                Network(
                    id: Demo.originNetwork, kind: "PRIVATE_LINK", cloud: "AWS", region: "us-east-1",
                    environment: Demo.environment),
                Network(
                    id: Demo.targetNetwork, kind: "PRIVATE_LINK", cloud: "AZURE", region: "westeurope",
                    environment: Demo.environment),
            ],
            clusters: [
                Cluster(id: Demo.origin, name: "origin", environment: Demo.environment, network: Demo.originNetwork),
                Cluster(id: Demo.jump, name: "jump", environment: Demo.environment, cloud: "AWS", region: "us-east-1"),
                Cluster(id: Demo.target, name: "target", environment: Demo.environment, network: Demo.targetNetwork),
            ],
            serviceAccounts: [Principal(id: Demo.linkServiceAccount, name: "cluster-link", admin: false)],
            users: [Principal(id: Demo.operatorUser, name: "operator", admin: true)],
            apiKeys: [
                APIKey(id: Demo.operatorCloudKey, secret: secret(), owner: Demo.operatorUser),
                APIKey(id: Demo.operatorOriginKey, secret: secret(), owner: Demo.operatorUser, resource: Demo.origin),
                APIKey(id: Demo.operatorTargetKey, secret: secret(), owner: Demo.operatorUser, resource: Demo.target),
            ],
            topics: [
                Topic(cluster: Demo.origin, name: "orders", partitions: 6, records: 50),
                Topic(cluster: Demo.origin, name: "payments", partitions: 3, records: 60),
                Topic(cluster: Demo.origin, name: "inventory", partitions: 2, records: 40),
            ],
            producers: [Producer(cluster: Demo.origin, topic: "orders", recordsPerSecond: 5)],
            consumerGroups: [
                ConsumerGroup(
                    cluster: Demo.origin, group: Demo.consumerGroup, topic: "orders",
                    offsets: Array(repeating: 40, count: 6)),
                ConsumerGroup(cluster: Demo.origin, group: Demo.idleGroup, topic: "payments", offsets: [60, 55, 50]),
            ],
            consumers: [
                Consumer(cluster: Demo.origin, group: Demo.consumerGroup, topic: "orders", recordsPerSecond: 20)
            ],
            timing: Timing(
                keyPropagationSeconds: 2, cloudKeyPropagationSeconds: 0, replicationRecordsPerSecond: 200,
                networkLinkProvisioningSeconds: 1, tickIntervalSeconds: 0.05))
    }

    /// `jump-demo-least-privilege`: the `jump-demo` world with an operator that is no organization admin. It
    /// holds exactly what jumpchain needs: CloudClusterAdmin on the three clusters (links, mirrors, topics, ACLs,
    /// consumer groups) and ResourceKeyAdmin (API keys for itself and the link service account on those
    /// clusters; service accounts read). The link service account has no rights until jumpchain grants them.
    public static func jumpDemoLeastPrivilege() -> SimulatorConfig {
        var config = jumpDemo()
        config.users = [
            Principal(
                id: JumpDemo.operatorUser, name: "operator", admin: false,
                clusterAdmin: [JumpDemo.origin, JumpDemo.jump, JumpDemo.target], keyAdmin: true)
        ]
        return config
    }
}
