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
            #expect(result.stdout.contains("press Ctrl-C to stop"))
        }
    }
}
