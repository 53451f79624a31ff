import ConfluentSimulator
import Foundation
import Testing

extension BinaryTests {
    @Suite("jumpchain sim")
    struct SimCLITests {
        @Test(
            "serves the jump-demo world, writes a 0600 connection file, and stops on SIGTERM and SIGINT",
            arguments: [SIGTERM, SIGINT])
        func servesAndStops(signalNumber: Int32) async throws {
            let directory = NSTemporaryDirectory() + "jumpchain-sim-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let connection = directory + "/connection.json"
            let running = try CLI.Running(
                ["sim", "--scenario", "jump-demo", "--connection-file", connection],
                environment: ProcessInfo.processInfo.environment, directory: directory)
            let deadline = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: connection) && Date() < deadline && running.process.isRunning
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            let attributes = try FileManager.default.attributesOfItem(atPath: connection)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: connection)))
            #expect(((info as? [String: Any])?["clusters"] as? [Any])?.count == 3)
            kill(running.process.processIdentifier, signalNumber)
            let stopped = Date().addingTimeInterval(15)
            while running.process.isRunning && Date() < stopped { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!running.process.isRunning, "jumpchain sim ignored signal \(signalNumber)")
            if running.process.isRunning { running.kill() }
            let result = await running.wait()
            // Signalled as soon as the file exists: the handling is in place by then, so the stop is orderly (exit
            // 0, not death by the signal) and the report is printed whole.
            #expect(running.process.terminationReason == .exit, "\(result.output)")
            #expect(result.status == 0, "\(result.output)")
            #expect(result.stdout.contains("press Ctrl-C to stop"))
        }

        @Test("--bind puts a listener on its own address and the connection file says so; a bad --bind is refused")
        func bindsListeners() async throws {
            let directory = NSTemporaryDirectory() + "jumpchain-sim-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let connection = directory + "/connection.json"
            let running = try CLI.Running(
                [
                    "sim", "--scenario", "jump-demo", "--connection-file", connection, "--bind", "origin=127.0.0.4",
                    "--bind", "control-plane=127.0.0.3",
                ],
                environment: ProcessInfo.processInfo.environment, directory: directory)
            let deadline = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: connection) && Date() < deadline && running.process.isRunning
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            let info = try JSONDecoder().decode(
                SimulatorConnectionInfo.self, from: Data(contentsOf: URL(fileURLWithPath: connection)))
            kill(running.process.processIdentifier, SIGTERM)
            let result = await running.wait()
            #expect(info.controlPlaneURL.hasPrefix("http://127.0.0.3:"), "\(result.output)")
            #expect(info.clusters.first { $0.name == "origin" }?.restURL.hasPrefix("http://127.0.0.4:") == true)
            #expect(info.clusters.first { $0.name == "jump" }?.restURL.hasPrefix("http://127.0.0.1:") == true)

            let refused = try await CLI.run(
                ["sim", "--scenario", "jump-demo", "--connection-file", connection, "--bind", "orign=127.0.0.4"],
                environment: ProcessInfo.processInfo.environment, directory: directory)
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.stderr.contains("--bind orign=127.0.0.4: orign is not a listener"), "\(refused.stderr)")
            // No address, or an address that does not parse: the same invalid input, naming the flag and the form.
            for bad in ["origin", "origin=", "=127.0.0.4", "origin=not an address"] {
                let malformed = try await CLI.run(
                    ["sim", "--scenario", "jump-demo", "--connection-file", connection, "--bind", bad],
                    environment: ProcessInfo.processInfo.environment, directory: directory)
                #expect(malformed.status == 2, "\(bad): \(malformed.output)")
                #expect(malformed.stderr.contains("--bind \(bad): not LISTENER=HOST[:PORT]"), "\(malformed.stderr)")
                #expect(malformed.stderr.contains("control-plane, origin, lkc-origin"), "\(malformed.stderr)")
            }
        }
    }
}
