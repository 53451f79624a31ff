import ConfluentSimulator
import Foundation
import JumpchainTestSupport
import Testing

/// The `jump-demo` world served across two networks: with a ``NetnsRig``, the origin's REST listens only on an
/// address the origin side reaches, the target's only on one the target side reaches, and the jump and the
/// control plane on the public address both reach; `jumpchain` runs inside a side's namespace. Where no rig can
/// be built (not root, no `ip`, creation refused), the reason is printed and the same world listens on 127.0.0.1:
/// a side then runs with the other side's REST listener blackholed by the simulator's fault settings.
final class RigWorld: @unchecked Sendable {
    // Invariant: set once in `start`, read-only afterwards.
    let world: DemoWorld
    /// `nil`: the fallback (blackholed listeners on loopback).
    let rig: NetnsRig?

    private init(world: DemoWorld, rig: NetnsRig?) {
        self.world = world
        self.rig = rig
    }

    static func start() async throws -> RigWorld {
        var config = SimulatorConfig.jumpDemo()
        let rig: NetnsRig?
        switch await NetnsRig.create() {
        case .success(let created):
            rig = created
            config.bind = [
                "control-plane": created.publicAddress, SimulatorConfig.JumpDemo.jump: created.publicAddress,
                SimulatorConfig.JumpDemo.origin: created.originAddress,
                SimulatorConfig.JumpDemo.target: created.targetAddress,
            ]
            print(
                "network-namespace rig: \(created.namespace(.origin)) reaches \(created.originAddress) (origin REST) "
                    + "and \(created.publicAddress) (jump, control plane); \(created.namespace(.target)) reaches "
                    + "\(created.targetAddress) (target REST) and \(created.publicAddress)")
        case .failure(let unavailable):
            rig = nil
            print(
                "network-namespace rig unavailable (\(unavailable.reason)): running the same scenario on 127.0.0.1 "
                    + "with the other side's REST listener blackholed")
        }
        do {
            return RigWorld(world: try await DemoWorld.start(config: config), rig: rig)
        } catch {
            rig?.destroy()
            throw error
        }
    }

    /// Removes the rig now (on the test's own thread, so no exit can interrupt it) and stops the world later.
    func stopNow() {
        rig?.destroy()
        Task { await world.stop() }
    }

    static func otherSide(_ side: NetnsRig.Side) -> NetnsRig.Side { side == .origin ? .target : .origin }

    static func clusterID(_ side: NetnsRig.Side) -> String {
        side == .origin ? SimulatorConfig.JumpDemo.origin : SimulatorConfig.JumpDemo.target
    }

    /// Starts `jumpchain arguments… --state-dir …` at `side`: inside its namespace, or (fallback) on loopback with
    /// the other side's REST listener blackholed (and every other fault cleared).
    func start(
        _ arguments: [String], at side: NetnsRig.Side, environment overrides: [String: String] = [:]
    ) throws -> CLI.Running {
        // The rig's addresses are not loopback: plain http to them needs saying so (the test's own private /16).
        let full = arguments + ["--state-dir", world.stateDirectory] + (rig == nil ? [] : ["--allow-insecure-http"])
        let environment = world.environment.merging(overrides) { $1 }
        guard let rig else {
            world.simulator.setFaults(FaultSettings(blackholed: [Self.clusterID(Self.otherSide(side))]))
            return try CLI.Running(full, environment: environment, directory: world.workDirectory)
        }
        let wrapped = rig.wrap(CLI.binary, full, in: side)
        return try CLI.Running(
            wrapped.arguments, environment: environment, directory: world.workDirectory, executable: wrapped.executable)
    }

    /// Runs `jumpchain arguments…` at `side` to the end and records the transcript.
    func jumpchain(
        _ arguments: [String], at side: NetnsRig.Side, environment overrides: [String: String] = [:]
    ) async throws -> CLI.Result {
        let result = try await start(arguments, at: side, environment: overrides).wait()
        world.record(result)
        return result
    }
}
