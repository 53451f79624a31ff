import Foundation

/// The kinds of operation a run's history holds. Each is one type with its own planner, executor and summary
/// under `Operations/<Name>/`; `resume`, `status` and `graph` route a recorded operation by this kind.
public enum OperationKind: String, Codable, Sendable, CaseIterable {
    /// Builds the chain (`apply`).
    case rollout
    /// Changes the topics (or alterable link options) of a live chain (`apply` on a changed playbook).
    case update
    /// Tears the chain down (`destroy`).
    case teardown
    /// Ends a migration: drain, promote the target's mirrors (`cutover`).
    case cutover
    /// Disaster recovery: fail the target's mirrors over at once (`failover`).
    case failover
}

extension OperationKind {
    /// The command that runs this operation (`apply` builds and updates a chain).
    public var command: String {
        switch self {
        case .rollout: "apply"
        case .update: "update"
        case .teardown: "destroy"
        case .cutover: "cutover"
        case .failover: "failover"
        }
    }
}

/// What an operation records about itself besides the plan: its kind, the playbook it was started with
/// (references only, never secrets) and its hash, so that `resume`, `status` and `verify` need nothing but
/// the run directory.
struct RunManifest: Codable {
    /// Version 1 (jumpchain 0.1.0) had no `schema_version` and no `operation`: it is read as a rollout.
    static let schemaVersion = 2
    static let currentVersion = "0.1.0"

    var schemaVersion: Int
    var operation: OperationKind
    var playbook: Playbook
    var playbookHash: String
    var jumpchainVersion: String

    init(operation: OperationKind, playbook: Playbook, playbookHash: String) {
        schemaVersion = Self.schemaVersion
        self.operation = operation
        self.playbook = playbook
        self.playbookHash = playbookHash
        jumpchainVersion = Self.currentVersion
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", operation, playbook, playbookHash, jumpchainVersion
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try container.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        if schemaVersion > Self.schemaVersion {
            throw ManifestTooNew(version: schemaVersion)
        }
        let kind = try container.decodeIfPresent(String.self, forKey: .operation) ?? OperationKind.rollout.rawValue
        guard let operation = OperationKind(rawValue: kind) else {
            throw ManifestTooNew(version: schemaVersion, operation: kind)
        }
        self.operation = operation
        playbook = try container.decode(Playbook.self, forKey: .playbook)
        playbookHash = try container.decode(String.self, forKey: .playbookHash)
        jumpchainVersion = try container.decode(String.self, forKey: .jumpchainVersion)
    }

    struct ManifestTooNew: Error {
        var version: Int
        var operation: String?
    }

    func encoded() throws(JumpchainError) -> String {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        } catch {
            throw JumpchainError(.internalError, "could not encode the run manifest: \(error)")
        }
    }

    static func decode(_ text: String, run: String) throws(JumpchainError) -> RunManifest {
        do {
            return try JSONDecoder().decode(RunManifest.self, from: Data(text.utf8))
        } catch let error as ManifestTooNew {
            let what =
                error.operation.map { "a \($0) operation, which this build does not know" }
                ?? "manifest schema \(error.version); this build reads schema 1 to \(schemaVersion)"
            throw JumpchainError(
                .invalidInput, "run \(run) was written by a newer jumpchain (\(what)): use a newer jumpchain")
        } catch {
            throw JumpchainError(
                .invalidInput, "run \(run): its manifest is unreadable (\(error)); was it written by another version?")
        }
    }
}
