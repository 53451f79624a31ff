import ArgumentParser
import Foundation
import JumpchainCore
import JumpchainJSON
import Workflow

/// `jumpchain state export|import`: move a run between backends and hosts as one JSON document.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state", abstract: "Move runs between state backends and hosts (export / import).",
        subcommands: [StateExportCommand.self, StateImportCommand.self])
}

struct StateExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run and its later operations (plans, step states, events; never a secret) as JSON to "
            + "standard output.")

    @Argument(help: "The run's name (or its directory).") var run: String
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let backend = common.offlineOptions.backend
        do throws(WorkflowError) {
            guard try backend.runExists(run) else {
                throw WorkflowError(code: .runNotFound, message: "no run \(run) in \(backend.location(ofRun: run))")
            }
            // The run with every later operation (update, teardown, cutover, failover).
            let data = try backend.exportRun(run).encoded()
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}

struct StateImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Store a run exported by `state export` (refuses a newer schema and a run with other history).")

    @Argument(help: "The export file (`-` reads standard input).") var file: String
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let backend = common.offlineOptions.backend
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                Terminal.error("jumpchain: cannot read \(file)")
                throw ExitCode(ExitStatus.invalidInput)
            }
            data = contents
        }
        do {
            let export = try RunExport.decode(data, source: file == "-" ? "standard input" : file)
            if try backend.importRunIfNew(export) {
                Terminal.line(
                    "imported run \(export.name) (\(export.status.rawValue), \(export.steps.count) steps, "
                        + "\(export.events.count) events"
                        + ((export.operations ?? []).isEmpty
                            ? "" : ", operations \((export.operations ?? []).map(\.name).joined(separator: ", "))")
                        + ") into \(backend.location(ofRun: export.name))")
            } else {
                Terminal.line(
                    "run \(export.name) is already in \(backend.location(ofRun: export.name)) with the same "
                        + "history; nothing changed")
            }
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}
