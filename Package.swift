// swift-tools-version:6.1
// jumpchain: Confluent Cluster Linking across the private-public-private "jump cluster" pattern.
//
// Dependencies point one way:
//   JumpchainJSON (the one JSON value type) sits below ConfluentAPI, the simulator, the test support and the CLI.
//   CCurl → JumpchainHTTP → ConfluentAPI ─┐
//   SignalPipe → Workflow ─────────────────┴→ JumpchainCore → jumpchain (executable)
//   CLibPQ + Workflow → WorkflowPostgres ──────────────────────→ jumpchain (the `--state postgres://` backend)
//   ConfluentSimulator (Hummingbird) is used only by the executable (`jumpchain sim`) and the tests.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "jumpchain",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "jumpchain", targets: ["jumpchain"]),
        .library(name: "JumpchainCore", targets: ["JumpchainCore"]),
        .library(name: "ConfluentSimulator", targets: ["ConfluentSimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // C shim over the system libcurl (variadic setopt/getinfo wrapped as typed inline functions).
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // HTTP transport: one curl multi handle on a driver thread, async API, retries, redaction.
        .target(
            name: "JumpchainHTTP",
            dependencies: ["CCurl", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // The one JSON value type (ordered objects, integers apart from doubles) with a strict depth-limited parser.
        .target(name: "JumpchainJSON", swiftSettings: swiftSettings),
        // Typed Confluent Cloud client: Kafka REST v3 (per cluster) and the IAM v2 control plane.
        .target(
            name: "ConfluentAPI",
            dependencies: ["JumpchainHTTP", "JumpchainJSON"],
            swiftSettings: swiftSettings
        ),
        // SIGINT/SIGTERM delivered to Swift through a self-pipe (reliable on Linux, unlike signal sources).
        .target(name: "SignalPipe", swiftSettings: swiftSettings),
        // The one seeded generator (SplitMix64): retry jitter, the simulator's ids and dice, randomized tests.
        .target(name: "SeededRandom", swiftSettings: swiftSettings),
        // Workflow engine: persisted step graph, runner, SQLite store. No Confluent types.
        .target(
            name: "Workflow",
            dependencies: ["SignalPipe", "SeededRandom", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // C shim over the system libpq (PostgreSQL's client library).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // The PostgreSQL state backend (shared runs, advisory-lock run lock). No Confluent types, no NIO.
        .target(
            name: "WorkflowPostgres",
            dependencies: ["CLibPQ", "Workflow"],
            swiftSettings: swiftSettings
        ),
        // Domain: playbooks, planner, steps, verification, advice.
        .target(
            name: "JumpchainCore",
            dependencies: ["ConfluentAPI", "Workflow", "JumpchainHTTP", "SignalPipe", "Yams"],
            swiftSettings: swiftSettings
        ),
        // Local simulator of the Confluent Cloud APIs jumpchain drives (Hummingbird 2).
        .target(
            name: "ConfluentSimulator",
            dependencies: [
                "Yams",
                "SignalPipe",
                "SeededRandom",
                "JumpchainJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                // The listeners' graceful shutdown (``Listener/Running/stop()``).
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The thin CLI: one file per subcommand.
        .executableTarget(
            name: "jumpchain",
            dependencies: [
                "JumpchainCore",
                "ConfluentAPI",
                "JumpchainHTTP",
                "Workflow",
                "WorkflowPostgres",
                "ConfluentSimulator",
                "JumpchainJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test-only helpers: OpenAPI contract validation, a scripted HTTP server, process launching.
        .target(
            name: "JumpchainTestSupport",
            dependencies: ["Yams", "JumpchainHTTP", "SeededRandom", "JumpchainJSON"],
            swiftSettings: swiftSettings
        ),
        // A small executable the crash tests SIGKILL at random moments and resume.
        .executableTarget(
            name: "WorkflowCrashHarness",
            dependencies: ["Workflow", "WorkflowPostgres"],
            swiftSettings: swiftSettings
        ),
        // libFuzzer harness over the playbook reader, decoder, secret references and properties (`make fuzz`).
        .executableTarget(
            name: "PlaybookFuzzer",
            dependencies: ["JumpchainCore"],
            swiftSettings: swiftSettings
        ),
        // Measures the engine: durable transitions per second, resume latency, peak RSS (`make bench`).
        .executableTarget(
            name: "WorkflowBenchmark",
            dependencies: ["Workflow"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "JumpchainJSONTests", dependencies: ["JumpchainJSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "JumpchainTestSupportTests",
            dependencies: ["JumpchainJSON", "JumpchainTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JumpchainHTTPTests",
            dependencies: [
                "JumpchainJSON", "JumpchainHTTP", "JumpchainTestSupport", "SeededRandom",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WorkflowTests",
            dependencies: ["Workflow", "WorkflowPostgres", "JumpchainTestSupport", "SeededRandom"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConfluentSimulatorTests",
            dependencies: [
                "JumpchainJSON", "ConfluentSimulator", "JumpchainHTTP", "JumpchainTestSupport", "SeededRandom",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConfluentAPITests",
            dependencies: ["JumpchainJSON", "ConfluentAPI", "ConfluentSimulator", "JumpchainTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JumpchainCoreTests",
            dependencies: [
                "JumpchainJSON",
                "JumpchainCore", "ConfluentSimulator", "JumpchainTestSupport", "Workflow", "WorkflowPostgres",
                "ConfluentAPI", "JumpchainHTTP", "SeededRandom",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JumpchainCLITests",
            dependencies: [
                "JumpchainJSON", "ConfluentSimulator", "JumpchainHTTP", "JumpchainTestSupport", "SeededRandom",
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
