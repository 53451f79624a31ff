import ArgumentParser
import ConfluentSimulator
import Foundation
import JumpchainCore

extension DemoCommand {
    /// After the rollout, watching the chain leaves the jump alone: `status` mints no key there (checked
    /// against every key the simulator ever issued for the jump, revoked ones included).
    func keyFreeStatus(_ simulator: Simulator, jump: String, run: String, options: Rollout.Options) async throws {
        func jumpKeys() -> Set<String> {
            guard
                let state = try? JSONSerialization.jsonObject(with: Data(simulator.stateJSON().utf8))
                    as? [String: Any],
                let keys = state["api_keys"] as? [[String: Any]]
            else { return [] }
            return Set(keys.filter { ($0["resource"] as? String) == jump }.compactMap { $0["id"] as? String })
        }
        let before = jumpKeys()
        let status = try await Rollout.status(run: run, live: true, options: options)
        let minted = jumpKeys().subtracting(before)
        Terminal.line("")
        Terminal.line("$ jumpchain status \(run)")
        Terminal.line(Summary.jumpLine(inspected: status.jumpInspected, keys: status.sessionKeysMinted))
        Terminal.line(
            "keys minted on the jump by status: \(minted.count) " + (minted.isEmpty ? "✓" : "(UNEXPECTED)"))
        if !minted.isEmpty || status.report == nil { throw ExitCode(1) }
    }
}
