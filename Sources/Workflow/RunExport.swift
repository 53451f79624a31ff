public import Foundation

/// A whole run as one JSON document, to move it between backends and hosts (`jumpchain state export|import`).
///
/// Holds exactly what the store holds — metadata, the domain's manifest, the plan, step records and the event
/// log — and so, like the store, never a secret. Times are seconds since 1970.
public struct RunExport: Codable, Sendable {
    /// The value of ``format`` in every export.
    public static let formatName = "jumpchain-run"

    /// Always ``formatName``.
    public var format: String
    /// The store schema version of the jumpchain that wrote it.
    public var schemaVersion: Int
    /// The run's name.
    public var name: String
    public var createdAt: Date
    public var updatedAt: Date
    public var status: RunStatus
    /// The domain-owned manifest (JSON text).
    public var manifest: String
    public var plan: Plan
    /// Step records in plan order.
    public var steps: [StepRecord]
    /// The event log, oldest first (sequence numbers are the source store's and are reassigned on import).
    public var events: [WorkflowEvent]
    /// The run's later operations (an update, a teardown, …), oldest first, each a whole export of its own named
    /// as the run; absent in exports written before operations were exported.
    public var operations: [OperationExport]?

    /// Creates an export.
    public init(
        metadata: RunMetadata, plan: Plan, steps: [StepRecord], events: [WorkflowEvent]
    ) {
        format = Self.formatName
        schemaVersion = RunStore.schemaVersion
        name = metadata.name
        createdAt = metadata.createdAt
        updatedAt = metadata.updatedAt
        status = metadata.status
        manifest = metadata.manifest
        self.plan = plan
        self.steps = steps
        self.events = events
    }

    /// The metadata part.
    public var metadata: RunMetadata {
        RunMetadata(
            name: name, createdAt: createdAt, updatedAt: updatedAt, status: status, manifest: manifest,
            schemaVersion: schemaVersion)
    }

    /// Pretty, key-sorted JSON.
    public func encoded() throws(WorkflowError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        do {
            return try encoder.encode(self)
        } catch {
            throw WorkflowError(code: .storeFailure, message: "cannot encode run '\(name)'", cause: error)
        }
    }

    /// Reads an export, refusing another format or one written by a newer jumpchain (before reading the rest).
    public static func decode(_ data: Data, source: String) throws(WorkflowError) -> RunExport {
        struct Header: Decodable {
            var format: String?
            var schemaVersion: Int?
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        guard let header = try? decoder.decode(Header.self, from: data), header.format == formatName,
            let version = header.schemaVersion
        else {
            throw WorkflowError(
                code: .storeCorrupt,
                message: "\(source) is not a jumpchain run export (expected a JSON object with \"format\": "
                    + "\"\(formatName)\" and \"schemaVersion\", as written by `jumpchain state export`)")
        }
        guard version <= RunStore.schemaVersion else {
            throw WorkflowError(
                code: .storeTooNew,
                message:
                    "\(source) was exported by a newer version of jumpchain (schema \(version); this build "
                    + "understands up to \(RunStore.schemaVersion)); import it with a newer jumpchain")
        }
        do {
            let export = try decoder.decode(RunExport.self, from: data)
            for (part, run) in [("", export)] + (export.operations ?? []).map({ (" (operation \($0.name))", $0.run) }) {
                guard run.schemaVersion <= RunStore.schemaVersion else {
                    throw WorkflowError(
                        code: .storeTooNew,
                        message: "\(source)\(part) was exported by a newer version of jumpchain (schema "
                            + "\(run.schemaVersion); this build understands up to \(RunStore.schemaVersion)); import it "
                            + "with a newer jumpchain")
                }
                guard run.steps.map(\.stepID) == run.plan.steps.map(\.id) else {
                    throw WorkflowError(
                        code: .storeCorrupt,
                        message: "\(source)\(part): the step records do not match the plan's steps (one record per "
                            + "step, in plan order)")
                }
            }
            for operation in export.operations ?? [] where !RunOperations.isOperationName(operation.name) {
                throw WorkflowError(
                    code: .storeCorrupt,
                    message: "\(source): `\(operation.name)` is not an operation name (NNN-kind, e.g. 001-update)")
            }
            return export
        } catch let error as WorkflowError {
            throw error
        } catch {
            throw WorkflowError(
                code: .storeCorrupt, message: "\(source) cannot be read as a run export: \(error)", cause: error)
        }
    }

    /// Whether `other` records the same run: same plan, manifest, status, step records and events (sequence
    /// numbers and sub-microsecond time differences between backends ignored).
    public func sameHistory(as other: RunExport) -> Bool {
        let mine = operations ?? []
        let theirs = other.operations ?? []
        return normalized() == other.normalized() && mine.map(\.name) == theirs.map(\.name)
            && zip(mine, theirs).allSatisfy { $0.run.sameHistory(as: $1.run) }
    }

    private func normalized() -> [String] {
        func time(_ date: Date?) -> String {
            date.map { String(Int64(($0.timeIntervalSince1970 * 1_000_000).rounded())) } ?? "-"
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let planJSON = (try? encoder.encode(plan)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        var lines = [name, time(createdAt), status.rawValue, manifest, planJSON]
        for step in steps {
            lines.append(
                [
                    step.stepID, step.state.rawValue, String(step.attempts), time(step.startedAt),
                    time(step.finishedAt), step.lastError ?? "-",
                    step.outputs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                ].joined(separator: "|"))
        }
        for event in events {
            lines.append(
                [
                    time(event.time), event.kind.rawValue, event.stepID ?? "-", event.attempt.map(String.init) ?? "-",
                    event.message ?? "-", event.retryDelaySeconds.map { "\($0)" } ?? "-",
                    event.status?.rawValue ?? "-",
                ].joined(separator: "|"))
        }
        return lines
    }
}

/// One later operation of an exported run: its name under the run (`001-update`) and its own export.
public struct OperationExport: Codable, Sendable {
    public var name: String
    public var run: RunExport

    public init(name: String, run: RunExport) {
        self.name = name
        self.run = run
    }
}

extension RunStateStore {
    /// The whole run as a ``RunExport`` (this store's own records; see
    /// ``RunStateBackend/exportRun(_:)`` for a run with its later operations).
    public func export() throws(WorkflowError) -> RunExport {
        let metadata = try metadata()
        let plan = try plan()
        let records = try stepRecords()
        let steps = plan.steps.map { records[$0.id] ?? StepRecord(stepID: $0.id) }
        let events = try events().map { event in
            var event = event
            event.sequence = nil
            return event
        }
        return RunExport(metadata: metadata, plan: plan, steps: steps, events: events)
    }
}
