import Foundation
import Synchronization
import Workflow

/// What a process tells the jump's session keys apart by (``JumpSession``): its session's nonce, written in the tag
/// of the key it mints, and how to ask whether another session (by its nonce) is still live.
struct SessionClaim: Sendable {
    /// This session's nonce, its lease taken on first read when the claim is lazy (``SessionLease/Pending``); nil
    /// when it holds no lease (its key then carries none, and any sweep may revoke it).
    var nonce: String? { lease() }
    private let lease: @Sendable () -> String?
    /// Whether the session with that nonce still holds its lease; false when it cannot be told.
    let isLive: @Sendable (String) -> Bool

    init(nonce: String?, isLive: @escaping @Sendable (String) -> Bool) {
        lease = { nonce }
        self.isLive = isLive
    }

    /// A claim whose nonce is read (and its lease taken) by `lease` when the session key is minted.
    init(lease: @escaping @Sendable () -> String?, isLive: @escaping @Sendable (String) -> Bool) {
        self.lease = lease
        self.isLive = isLive
    }

    /// No nonce, and every other session counts as gone: a sweep revokes every key of the run (at the site).
    static let none = SessionClaim(nonce: nil, isLive: { _ in false })
}

/// The lease a session holds while it lives: the lock of a pseudo-site `session-<nonce>` of its run in the run's
/// backend (a flock'd `run.session-<nonce>.lock` in the run directory with SQLite, an advisory lock with
/// PostgreSQL), which the kernel or the server drops when the holder dies. A sweep of stale session keys skips the
/// keys whose session still holds it: a mutating run's close no longer revokes a concurrent `verify
/// --inspect-jump`'s key, nor the other way round.
enum SessionLease {
    static func site(_ nonce: String) -> String { "session-\(nonce)" }

    /// A fresh session's claim and lease under the run key `root`. Without a recorded run, or when the backend
    /// cannot take the lock (a read-only run directory), the session has no lease and its claim no nonce.
    static func take(root: String, backend: any RunStateBackend) -> (claim: SessionClaim, lease: (any RunLease)?) {
        let isLive: @Sendable (String) -> Bool = { nonce in live(nonce, root: root, backend: backend) }
        guard (try? backend.runExists(root)) == true else { return (SessionClaim(nonce: nil, isLive: isLive), nil) }
        removeStaleFiles(root: root, backend: backend)
        let nonce = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        guard let lease = try? backend.lockRun(root, site: site(nonce)) else {
            return (SessionClaim(nonce: nil, isLive: isLive), nil)
        }
        return (SessionClaim(nonce: nonce, isLive: isLive), Held(lease, nonce: nonce, root: root, backend: backend))
    }

    /// Whether the session `nonce` of the run `root` holds its lease now. A lease that can be taken is not held:
    /// taken and given back at once (and its lock file removed).
    static func live(_ nonce: String, root: String, backend: any RunStateBackend) -> Bool {
        guard !nonce.isEmpty, nonce.allSatisfy(\.isHexDigit), (try? backend.runExists(root)) == true else {
            return false
        }
        do {
            let probe = try backend.lockRun(root, site: site(nonce))
            Held(probe, nonce: nonce, root: root, backend: backend).release()
            return false
        } catch {
            return error.code == .runLocked
        }
    }

    /// Lock files of sessions killed after their key was gone (no sweep probes those): removed once not held. A
    /// file younger than a minute is left alone: its session may be between creating it and locking it.
    static func removeStaleFiles(root: String, backend: any RunStateBackend) {
        guard backend is SQLiteRunBackend, let names = try? FileManager.default.contentsOfDirectory(atPath: root) else {
            return
        }
        let settled = Date().addingTimeInterval(-60)
        for name in names where name.hasPrefix("run.session-") && name.hasSuffix(".lock") {
            let path = (root as NSString).appendingPathComponent(name)
            guard let modified = try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date,
                modified < settled
            else { continue }
            _ = live(String(name.dropFirst("run.session-".count).dropLast(".lock".count)), root: root, backend: backend)
        }
    }

    /// A session's lease taken when its key is minted (``SessionClaim/nonce``), not when it opens: the first
    /// process of a run opens its session before the run exists, and a lease needs the run (its directory or row).
    /// Taken at most once; none after ``release()``.
    final class Pending: Sendable {
        private struct State {
            var settled = false
            var nonce: String?
            var lease: (any RunLease)?
        }
        private let root: String
        private let backend: any RunStateBackend
        private let state = Mutex(State())

        init(root: String, backend: any RunStateBackend) {
            self.root = root
            self.backend = backend
        }

        var claim: SessionClaim {
            let (root, backend) = (root, backend)
            return SessionClaim(lease: { [self] in take() }, isLive: { live($0, root: root, backend: backend) })
        }

        /// The nonce of the lease, taken now if the run exists (retried on the next read if it does not yet).
        func take() -> String? {
            state.withLock { state in
                if state.settled { return state.nonce }
                guard (try? backend.runExists(root)) == true else { return nil }
                let taken = SessionLease.take(root: root, backend: backend)
                state = State(settled: true, nonce: taken.claim.nonce, lease: taken.lease)
                return state.nonce
            }
        }

        func release() {
            let lease = state.withLock { state in
                defer { state = State(settled: true) }
                return state.lease
            }
            lease?.release()
        }
    }

    /// A session's lease: released, then its lock file removed (SQLite), so no file is left per session.
    final class Held: RunLease {
        let lease: any RunLease
        let nonce: String
        let root: String
        let backend: any RunStateBackend

        init(_ lease: any RunLease, nonce: String, root: String, backend: any RunStateBackend) {
            self.lease = lease
            self.nonce = nonce
            self.root = root
            self.backend = backend
        }

        func release() {
            lease.release()
            if backend is SQLiteRunBackend { unlink(RunDirectory.lockPath(root, site: SessionLease.site(nonce))) }
        }
    }
}
