public import Foundation

/// The durable record of one run, whatever holds it (SQLite file, PostgreSQL database).
///
/// The engine only talks to this protocol: it knows no backend and no Confluent type. Every implementation
/// must make ``commit(_:events:status:)`` durable before returning (the runner acts on a transition only
/// after it is committed), apply one call's transitions atomically, and give events increasing sequence
/// numbers. Reading needs no lock; writing is done by the ``Runner`` holding the run's ``RunLease``.
public protocol RunStateStore: AnyObject, Sendable {
    /// The run's name.
    var runName: String { get }
    /// Where the run lives, for messages: a directory, or a database URL without its password.
    var location: String { get }

    /// Run-level metadata.
    func metadata() throws(WorkflowError) -> RunMetadata
    /// Replaces the domain-owned manifest (free-form JSON, never secrets).
    func setManifest(_ manifest: String) throws(WorkflowError)
    /// The recorded plan.
    func plan() throws(WorkflowError) -> Plan
    /// Every step's record, by step id.
    func stepRecords() throws(WorkflowError) -> [String: StepRecord]
    /// Step states only, by step id.
    func stepStates() throws(WorkflowError) -> [String: StepState]
    /// Events with a sequence number greater than `sequence`, oldest first, at most `limit`.
    func events(after sequence: Int64, limit: Int) throws(WorkflowError) -> [WorkflowEvent]
    /// The backend's own consistency check; `true` when the store is sound.
    func integrityCheck() throws(WorkflowError) -> Bool
    /// Commits a batch of transitions and events (and optionally the run's status) in one durable transaction;
    /// returns the events with their assigned sequence numbers.
    @discardableResult
    func commit(
        _ transitions: [StepTransition], events: [WorkflowEvent], status: RunStatus?
    )
        throws(WorkflowError) -> [WorkflowEvent]
}

extension RunStateStore {
    /// Every event, oldest first.
    public func events() throws(WorkflowError) -> [WorkflowEvent] {
        try events(after: 0, limit: Int.max)
    }

    /// Events after `sequence`, oldest first.
    public func events(after sequence: Int64) throws(WorkflowError) -> [WorkflowEvent] {
        try events(after: sequence, limit: Int.max)
    }

    /// Commits events alone (e.g. a step's progress).
    @discardableResult
    public func commit(
        _ transitions: [StepTransition], events: [WorkflowEvent]
    ) throws(WorkflowError)
        -> [WorkflowEvent]
    {
        try commit(transitions, events: events, status: nil)
    }
}

extension RunStateBackend {
    /// The locks a runner takes: the run's own lock for a single-site run (`sites` empty); for a multi-site run
    /// its site's lock, or every site's when it runs them all (`site` nil). All or none are held.
    public func lockRun(_ run: String, site: String?, sites: [String]) throws(WorkflowError) -> any RunLease {
        guard !sites.isEmpty else { return try lockRun(run) }
        if let site { return try lockRun(run, site: site) }
        var held: [any RunLease] = []
        do {
            for name in sites { held.append(try lockRun(run, site: name)) }
        } catch {
            for lease in held { lease.release() }
            throw error
        }
        return CompositeLease(held)
    }
}

/// Several leases held and released together.
final class CompositeLease: RunLease {
    private let leases: [any RunLease]

    init(_ leases: [any RunLease]) { self.leases = leases }

    func release() {
        for lease in leases { lease.release() }
    }
}

/// Proof that the holder is a run's only writer; released explicitly or when the holder dies.
public protocol RunLease: AnyObject, Sendable {
    /// Releases the lease (idempotent).
    func release()
}

/// Where runs are kept: creates, opens, locks, exports and imports runs by name.
///
/// A backend is selected once (by the CLI's `--state`); everything above it is backend-agnostic. The lock is
/// per run today; its key is derived from the run's name, so a per-site lock can later add the site to it.
public protocol RunStateBackend: Sendable {
    /// A secret-free description of the backend, e.g. `sqlite:.jumpchain` or `postgres://db.internal/runs`.
    var description: String { get }
    /// Where `run` lives (or would live), for messages; never carries a secret.
    func location(ofRun run: String) -> String
    /// Whether a run named `run` exists.
    func runExists(_ run: String) throws(WorkflowError) -> Bool
    /// Creates a run with its plan and manifest; every step starts `pending`.
    /// Throws ``WorkflowError/Code/runAlreadyExists`` if the run exists.
    func createRun(_ run: String, plan: Plan, manifest: String) throws(WorkflowError) -> any RunStateStore
    /// Opens an existing run (``WorkflowError/Code/runNotFound`` if there is none, ``WorkflowError/Code/storeTooNew``
    /// if a newer jumpchain wrote it).
    func openRun(_ run: String) throws(WorkflowError) -> any RunStateStore
    /// Takes the run's lock; throws ``WorkflowError/Code/runLocked`` naming the holder if another runner has it.
    func lockRun(_ run: String) throws(WorkflowError) -> any RunLease
    /// Takes the lock of one site of a multi-site run (two runners of the same run and site: one is refused,
    /// told who holds it; runners of different sites run side by side).
    func lockRun(_ run: String, site: String) throws(WorkflowError) -> any RunLease
    /// Clears a lock record left by a dead holder; refuses a live one. Returns the cleared holder, if any.
    func forceUnlockRun(_ run: String) throws(WorkflowError) -> LockHolder?
    /// Deletes a run (used when a run's preflight failed and nothing was changed remotely).
    func removeRun(_ run: String) throws(WorkflowError)
    /// Whether taking a run's lock creates something under the run's key (SQLite: the run directory, which holds
    /// the lock file): a caller that locked a run that was not there, and created none, removes it again.
    var lockCreatesRunKey: Bool { get }
    /// Stores an exported run as is (steps, events, status).
    func importRun(_ export: RunExport) throws(WorkflowError)

    /// The key this backend keeps `run` under (SQLite: its run directory; PostgreSQL: the name itself). Passing
    /// a key back to any method of the backend names the same run.
    func runKey(_ run: String) -> String
    /// Opens an existing run for reading only: nothing is written (SQLite: a read-only run directory works).
    func openRunReadOnly(_ run: String) throws(WorkflowError) -> any RunStateStore
    /// The names (e.g. `001-update`) of the later operations recorded under the run key `run`, unsorted.
    func operationNames(ofRun run: String) throws(WorkflowError) -> [String]
    /// A small document kept beside the run `run` (a key), outside its history — e.g. the last origin end offsets
    /// `verify` saw — or nil when there is none (SQLite: the file `name` in the run directory; PostgreSQL: a row).
    func document(_ name: String, ofRun run: String) throws(WorkflowError) -> Data?
    /// Creates or replaces that document (never a secret: it is not wiped, and exports leave it out).
    func setDocument(_ name: String, ofRun run: String, _ content: Data) throws(WorkflowError)
}

/// Where a run's later operations live: `<run key>/operations/<NNN>-<kind>`, each a run of its own in the backend
/// (SQLite: a run directory inside the run's; PostgreSQL: a row keyed by that name, e.g. `demo/operations/001-update`).
public enum RunOperations {
    /// The folder (key segment) holding a run's later operations.
    public static let folder = "operations"

    /// The key of the operation `name` of the run whose key is `runKey`.
    public static func key(runKey: String, operation name: String) -> String {
        runKey + "/" + folder + "/" + name
    }

    /// Whether `name` is an operation's name (`001-update`: digits, a dash, a kind), never a path.
    public static func isOperationName(_ name: String) -> Bool {
        let digits = name.prefix(while: \.isNumber)
        let rest = name.dropFirst(digits.count)
        return !digits.isEmpty && rest.hasPrefix("-") && rest.count > 1
            && rest.dropFirst().allSatisfy { $0.isLetter || $0 == "-" }
    }

    /// The run name a key belongs to: the key itself without any `/operations/<NNN>-<kind>` suffix.
    public static func runName(ofKey key: String) -> String {
        guard let range = key.range(of: "/" + folder + "/") else { return key }
        return String(key[..<range.lowerBound])
    }
}

extension RunStateBackend {
    /// The run `run` with its later operations (``RunExport/operations``), each named as the run.
    public func exportRun(_ run: String) throws(WorkflowError) -> RunExport {
        var export = try openRunReadOnly(run).export()
        let key = runKey(run)
        var operations: [OperationExport] = []
        for name in try operationNames(ofRun: key).sorted() {
            var operation = try openRunReadOnly(RunOperations.key(runKey: key, operation: name)).export()
            operation.name = export.name
            operations.append(OperationExport(name: name, run: operation))
        }
        export.operations = operations
        return export
    }

    /// Imports a run and its operations unless it already exists: an identical run is left alone (`false`), a run
    /// of the same name with another history is refused (``WorkflowError/Code/runAlreadyExists``). Operations are
    /// stored first and the run itself last, so an import cut short is completed by importing again. Returns
    /// whether it imported.
    public func importRunIfNew(_ export: RunExport) throws(WorkflowError) -> Bool {
        if try runExists(export.name) {
            let existing = try exportRun(export.name)
            guard existing.sameHistory(as: export) else {
                throw WorkflowError(
                    code: .runAlreadyExists,
                    message:
                        "run '\(export.name)' already exists in \(location(ofRun: export.name)) with another history; "
                        + "import it elsewhere, or remove the existing run first")
            }
            return false
        }
        let key = runKey(export.name)
        for operation in export.operations ?? [] {
            var run = operation.run
            run.name = RunOperations.key(runKey: key, operation: operation.name)
            run.operations = nil
            if try runExists(run.name) {
                var existing = try openRunReadOnly(run.name).export()
                existing.name = run.name
                guard existing.sameHistory(as: run) else {
                    throw WorkflowError(
                        code: .runAlreadyExists,
                        message: "operation \(operation.name) of run '\(export.name)' already exists in "
                            + "\(location(ofRun: run.name)) with another history; remove it first")
                }
                continue
            }
            try importRun(run)
        }
        var run = export
        run.operations = nil
        try importRun(run)
        return true
    }
}
