import ConfluentSimulator
import Foundation
import JumpchainTestSupport
import Testing

extension BinaryTests {
    /// The demo rollout with its state in PostgreSQL: killed, resumed, read back, exported and imported.
    @Suite(
        "PostgreSQL state through the built binary", .serialized,
        .enabled(if: ThrowawayPostgres.isAvailable, Comment(rawValue: ThrowawayPostgres.unavailableReason ?? "")))
    struct PostgresStateCLITests {
        @Test("apply --state postgres://…, SIGKILL mid-run, resume, status, export and import into SQLite")
        func demoRolloutOnPostgres() async throws {
            let url = try await ThrowawayPostgres.shared().createDatabase("cli")
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }

            // Kill the first runner once it has recorded progress (or after 60 s at most).
            let running = try world.start(["apply", world.demoPlaybook, "--state", url])
            let deadline = Date().addingTimeInterval(60)
            while running.process.isRunning && Date() < deadline {
                let progress = (try? String(contentsOfFile: running.outPath, encoding: .utf8)) ?? ""
                if progress.contains("succeeded") { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let killed = running.process.isRunning
            running.kill()
            let first = await running.wait()
            world.record(first)

            // Resume through the environment variable this time; the lock was released with the dead session.
            let resume = try await world.jumpchain(["resume", "jump-demo"], environment: ["JUMPCHAIN_STATE": url])
            #expect(resume.status == 0, "\(resume.output)")
            if killed {
                #expect(resume.stdout.contains("resumed") || resume.stdout.contains("already"), "\(resume.output)")
            }
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump).count == 1)

            let status = try await world.jumpchain(["status", "jump-demo", "--offline", "--state", url])
            #expect(status.status == 0, "\(status.output)")
            #expect(status.stdout.contains("succeeded  verify"), "\(status.output)")
            #expect(status.stdout.contains(url), "status names the database")
            #expect(!status.stderr.contains("NOTICE") && !resume.stderr.contains("NOTICE"), "\(status.stderr)")
            #expect(
                !FileManager.default.fileExists(atPath: world.stateDirectory + "/jump-demo"),
                "nothing went to the SQLite state directory")

            // verify records the origin's last end offsets beside the run in the database (as SQLite does in the run
            // directory); with the origin gone, failover's report reads them from there.
            let verify = try await world.jumpchain(["verify", "jump-demo", "--timeout", "60", "--state", url])
            #expect(verify.status == 0, "\(verify.output)")
            world.simulator.setFaults(FaultSettings(blackholed: [SimulatorConfig.JumpDemo.origin]))
            let dry = try await world.jumpchain([
                "failover", "jump-demo", "--dry-run", "--cluster-timeout", "2", "--state", url,
            ])
            world.simulator.setFaults(FaultSettings())
            #expect(dry.status == 0, "\(dry.output)")
            #expect(dry.stdout.contains("origin offsets recorded at"), "\(dry.stdout)")
            #expect(
                !FileManager.default.fileExists(atPath: world.stateDirectory + "/jump-demo"),
                "nothing went to the SQLite state directory")

            // Export (no secret in it), then import into SQLite run directories and read it there.
            let export = try await world.jumpchain(["state", "export", "jump-demo", "--state", url])
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stdout.contains(#""format" : "jumpchain-run""#))
            let exportPath = world.workDirectory + "/run.json"
            try export.stdout.write(toFile: exportPath, atomically: true, encoding: .utf8)
            let imported = try await world.jumpchain(["state", "import", exportPath])
            #expect(imported.status == 0, "\(imported.output)")
            #expect(imported.stdout.contains("imported run jump-demo"))
            let again = try await world.jumpchain(["state", "import", exportPath])
            #expect(again.status == 0 && again.stdout.contains("nothing changed"), "\(again.output)")
            let local = try await world.jumpchain(["status", "jump-demo", "--offline"])
            #expect(local.stdout.contains("succeeded  verify"), "\(local.output)")
            let intoPostgres = try await world.jumpchain(["state", "import", exportPath, "--state", url])
            #expect(intoPostgres.status == 0 && intoPostgres.stdout.contains("nothing changed"))

            // A later operation is a run of its own in the database (jump-demo/operations/001-teardown): destroy
            // runs, is listed in the run's history, and a second destroy finds it done.
            let destroyed = try await world.jumpchain([
                "destroy", "jump-demo", "--target-topics", "keep", "--state", url,
            ])
            #expect(destroyed.status == 0, "\(destroyed.output)")
            #expect(destroyed.stdout.contains("holds no key jumpchain minted (0 live)"), "\(destroyed.stdout)")
            let history = try await world.jumpchain(["status", "jump-demo", "--offline", "--state", url])
            #expect(history.stdout.contains("then teardown (succeeded)"), "\(history.output)")
            let destroyedAgain = try await world.jumpchain([
                "destroy", "jump-demo", "--target-topics", "keep", "--state", url,
            ])
            #expect(destroyedAgain.stdout.contains("already torn down"), "\(destroyedAgain.output)")
            #expect(
                !FileManager.default.fileExists(atPath: world.stateDirectory + "/jump-demo/operations"),
                "the teardown went to the database, not to a run directory")

            // The export carries the run's later operations: imported elsewhere, the teardown comes along.
            let full = try await world.jumpchain(["state", "export", "jump-demo", "--state", url])
            #expect(full.status == 0, "\(full.stderr)")
            #expect(full.stdout.contains(#""name" : "001-teardown""#), "the teardown is not in the export")
            let fullPath = world.workDirectory + "/run-with-teardown.json"
            try full.stdout.write(toFile: fullPath, atomically: true, encoding: .utf8)
            let elsewhere = world.workDirectory + "/elsewhere"
            let moved = try await world.jumpchain(["state", "import", fullPath, "--state", elsewhere])
            #expect(moved.status == 0 && moved.stdout.contains("operations 001-teardown"), "\(moved.output)")
            let movedHistory = try await world.jumpchain(["status", "jump-demo", "--offline", "--state", elsewhere])
            #expect(movedHistory.stdout.contains("then teardown (succeeded)"), "\(movedHistory.output)")
            let movedAgain = try await world.jumpchain(["state", "import", fullPath, "--state", elsewhere])
            #expect(movedAgain.status == 0 && movedAgain.stdout.contains("nothing changed"), "\(movedAgain.output)")
            let backAgain = try await world.jumpchain(["state", "import", fullPath, "--state", url])
            #expect(backAgain.status == 0 && backAgain.stdout.contains("nothing changed"), "\(backAgain.output)")
            // The run imported earlier (without the teardown) has another history: refused, nothing changed.
            let conflicting = try await world.jumpchain(["state", "import", fullPath])
            #expect(conflicting.status != 0 && conflicting.stderr.contains("another history"), "\(conflicting.output)")
            #expect(!FileManager.default.fileExists(atPath: world.stateDirectory + "/jump-demo/operations"))

            // A password on the command line is refused without being echoed.
            let withPassword = url.replacingOccurrences(of: "postgres@", with: "postgres:hunter2-secret@")
            let refused = try await world.jumpchain(["status", "jump-demo", "--offline", "--state", withPassword])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("PGPASSWORD"), "\(refused.output)")
            #expect(!refused.output.contains("hunter2-secret"))

            let needles = world.issuedSecretNeedles()
            for needle in needles {
                #expect(!export.stdout.contains(needle), "an issued secret is in the export")
                #expect(!full.stdout.contains(needle), "an issued secret is in the export with operations")
            }
            for transcript in world.transcripts {
                for needle in needles where transcript.contains(needle) {
                    Issue.record("an issued secret appeared in a command line or its output")
                }
            }
        }
    }
}
