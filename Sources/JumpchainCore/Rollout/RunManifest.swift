import Foundation

/// What a run records about itself besides the plan: the playbook it was started with (references only,
/// never secrets) and its hash, so that `resume`, `status` and `verify` need nothing but the run directory.
struct RunManifest: Codable {
    var playbook: Playbook
    var playbookHash: String
    var jumpchainVersion: String

    static let currentVersion = "0.1.0"

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
        } catch {
            throw JumpchainError(
                .invalidInput, "run \(run): its manifest is unreadable (\(error)); was it written by another version?")
        }
    }
}
