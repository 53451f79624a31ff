import ArgumentParser
import Foundation

@main
struct Jumpchain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jumpchain",
        abstract: "Confluent Cluster Linking across the private-public-private jump-cluster pattern.",
        discussion: """
            origin (private) → jump (public) → target (private): leg 1 is source-initiated, leg 2 \
            destination-initiated, mirrors are chained, and the jump holds exactly one API key whose secret \
            is destroyed after set-up. Runs are persisted step graphs: interrupt them any time and `resume`.
            """,
        version: "0.1.0",
        subcommands: [
            PlanCommand.self, ApplyCommand.self, ResumeCommand.self, StatusCommand.self, VerifyCommand.self,
            DestroyCommand.self, CutoverCommand.self, FailoverCommand.self, GraphCommand.self, UnlockCommand.self,
            StateCommand.self, DoctorCommand.self, SimCommand.self, DemoCommand.self,
        ]
    )
}
