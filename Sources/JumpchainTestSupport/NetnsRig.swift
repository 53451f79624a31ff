import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Two "private networks" and one "public" address with real reachability, built from Linux network namespaces
/// by the test run itself (iproute2, as root):
///
/// * the **origin side** (namespace `jc<pid><letter>-origin`) reaches ``originAddress`` (its veth peer in the root
///   namespace, where the origin's REST listens) and ``publicAddress``;
/// * the **target side** (`jc<pid><letter>-target`) reaches ``targetAddress`` and ``publicAddress``;
/// * ``publicAddress`` (on the root namespace's `lo`, labelled `lo:jc<pid><letter>`) serves the jump and the control
///   plane to both; the root namespace (the test process) reaches all three.
///
/// Neither side has a default route, so nothing outside the rig's own /16 (`10.X.0.0/16`, claimed by adding
/// ``publicAddress``; a /16 any route or address of this host already uses is passed over) can be contacted from
/// inside. Every name carries the test process's pid, so concurrent test processes do not collide; leftovers of
/// test processes that died are removed by those exact names when a rig is created, and a rig is destroyed by
/// ``destroy()`` or at process exit.
public final class NetnsRig: @unchecked Sendable {
    // Invariant: every property is set in init and only read afterwards, but `destroyed`, a Mutex.
    public enum Side: String, Sendable, CaseIterable {
        case origin, target
    }

    /// The /16's second octet: the rig owns `10.<octet>.0.0/16`.
    public let octet: Int
    /// The "public" address (jump REST, control plane, a shared PostgreSQL), reachable from both sides.
    public var publicAddress: String { "10.\(octet).0.1" }
    /// The origin's private address in the root namespace: only the origin side reaches it.
    public var originAddress: String { "10.\(octet).1.1" }
    /// The target's private address in the root namespace: only the target side reaches it.
    public var targetAddress: String { "10.\(octet).2.1" }
    private let tag: String
    private let destroyed = Mutex(false)

    private init(octet: Int, tag: String) {
        self.octet = octet
        self.tag = tag
    }

    /// The namespace a side's processes run in.
    public func namespace(_ side: Side) -> String { Self.namespace(tag: tag, side) }

    /// The private address in the root namespace that only `side` reaches.
    public func privateAddress(_ side: Side) -> String { side == .origin ? originAddress : targetAddress }

    /// The address `side` has inside its namespace (the source address of its connections).
    public func insideAddress(_ side: Side) -> String { "10.\(octet).\(side == .origin ? 1 : 2).2" }

    /// `executable arguments…` run inside `side`'s namespace: `ip netns exec NAMESPACE executable arguments…`
    /// (`ip` execs the command in place, so the returned process's pid is the command's and a SIGKILL reaches it).
    public func wrap(
        _ executable: String, _ arguments: [String], in side: Side
    ) -> (
        executable: String, arguments: [String]
    ) {
        (Self.ipPath ?? "/usr/sbin/ip", ["netns", "exec", namespace(side), executable] + arguments)
    }

    // MARK: Availability

    /// Where `ip` is, if installed.
    public static let ipPath: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Why a rig cannot be built on this host before trying (not root, no `ip`), or `nil`.
    /// `JUMPCHAIN_NETNS=off` forces the fallback (to run the blackholed variant on a host that could build a rig).
    public static var precondition: String? {
        if ProcessInfo.processInfo.environment["JUMPCHAIN_NETNS"] == "off" {
            return "JUMPCHAIN_NETNS=off"
        }
        if getuid() != 0 { return "not running as root (network namespaces need CAP_NET_ADMIN; CI runs as root)" }
        if ipPath == nil { return "`ip` (iproute2) is not installed; `make deps` installs it" }
        return nil
    }

    /// Creates a rig, or says why it cannot (to print, then fall back to the blackholed variant).
    public static func create() async -> Result<NetnsRig, NetnsRigUnavailable> {
        if let reason = precondition { return .failure(NetnsRigUnavailable(reason: reason)) }
        do {
            return .success(try await ThrowawayPostgres.offPool { try build() })
        } catch let error as NetnsRigUnavailable {
            return .failure(error)
        } catch {
            return .failure(NetnsRigUnavailable(reason: "\(error)"))
        }
    }

    // MARK: Building and destroying

    private static func namespace(tag: String, _ side: Side) -> String { "\(tag)-\(side.rawValue)" }
    /// veth names (≤ 15 characters): `jc<pid><letter>oh` (root namespace) and `…on` (inside), `t` for the target.
    private static func hostLink(tag: String, _ side: Side) -> String { "\(tag)\(side.rawValue.prefix(1))h" }
    private static func innerLink(tag: String, _ side: Side) -> String { "\(tag)\(side.rawValue.prefix(1))n" }
    private static func loLabel(tag: String) -> String { "lo:\(tag)" }

    /// The live rigs of this process (destroyed at exit) and how many were ever created (for unique tags).
    private static let registry = Mutex<(active: [NetnsRig], created: Int)>(([], 0))
    private static let registerExitHook: Void = {
        atexit {
            let rigs = NetnsRig.registry.withLock { $0.active }
            for rig in rigs { rig.destroy() }
        }
    }()

    private static func build() throws -> NetnsRig {
        // jc<pid><letter>: one letter per rig of this process (rigs of one process can coexist).
        let serial = registry.withLock { registry in
            defer { registry.created += 1 }
            return registry.created
        }
        let tag = "jc\(getpid())\(Character(UnicodeScalar(UInt8(97 + serial % 26))))"
        removeLeftovers()
        // Claim a /16 no route or address of this host uses, by adding its public address (which fails if another
        // process added it first).
        let used = (try? ip(["-o", "addr", "show"]))?.output ?? ""
        let routes = (try? ip(["-o", "route", "show", "table", "all"]))?.output ?? ""
        var octet: Int?
        let start = Int(getpid()) % 50
        for offset in 0..<50 {
            let candidate = 200 + (start + offset) % 50
            if used.contains("10.\(candidate).") || routes.contains("10.\(candidate).") { continue }
            if (try? ip(["addr", "add", "10.\(candidate).0.1/32", "dev", "lo", "label", loLabel(tag: tag)])) != nil {
                octet = candidate
                break
            }
        }
        guard let octet else {
            throw NetnsRigUnavailable(reason: "no free 10.200-249.0.0/16 for the rig (or `ip addr add … dev lo` fails)")
        }
        let rig = NetnsRig(octet: octet, tag: tag)
        _ = registerExitHook
        registry.withLock { $0.active.append(rig) }
        do {
            for side in Side.allCases {
                let ns = namespace(tag: tag, side)
                let host = hostLink(tag: tag, side)
                let inner = innerLink(tag: tag, side)
                let third = side == .origin ? 1 : 2
                try ip(["netns", "add", ns])
                try ip(["link", "add", host, "type", "veth", "peer", "name", inner])
                try ip(["link", "set", inner, "netns", ns])
                try ip(["addr", "add", "10.\(octet).\(third).1/24", "dev", host])
                try ip(["link", "set", host, "up"])
                try ip(["-n", ns, "addr", "add", "10.\(octet).\(third).2/24", "dev", inner])
                try ip(["-n", ns, "link", "set", inner, "up"])
                try ip(["-n", ns, "link", "set", "lo", "up"])
                try ip(["-n", ns, "route", "add", "\(rig.publicAddress)/32", "via", "10.\(octet).\(third).1"])
            }
        } catch {
            rig.destroy()
            throw error
        }
        return rig
    }

    /// Removes the namespaces, links and the `lo` address. Idempotent; also run at process exit, where it waits
    /// for a removal another thread has begun (the lock is held throughout), so an exit never leaves half a rig.
    public func destroy() {
        destroyed.withLock { destroyed in
            guard !destroyed else { return }
            Self.remove(tag: tag)
            destroyed = true
        }
        Self.registry.withLock { $0.active.removeAll { $0 === self } }
    }

    /// Deletes everything a rig tagged `tag` creates, by exact name; what is already gone is ignored.
    private static func remove(tag: String) {
        for side in Side.allCases {
            _ = try? ip(["link", "del", hostLink(tag: tag, side)])
            _ = try? ip(["netns", "del", namespace(tag: tag, side)])
        }
        let label = loLabel(tag: tag)
        let lines = ((try? ip(["-o", "-4", "addr", "show", "dev", "lo"]))?.output ?? "").split(separator: "\n")
        for line in lines {
            // `ip -o` ends the label with a backslash: `… scope global lo:jc123\       valid_lft …`.
            let fields = line.split(separator: " ").map { $0.hasSuffix("\\") ? $0.dropLast() : $0 }
            guard fields.contains(Substring(label)), let inet = fields.firstIndex(of: "inet"), inet + 1 < fields.count
            else { continue }
            _ = try? ip(["addr", "del", String(fields[inet + 1]), "dev", "lo"])
        }
    }

    /// Removes the rigs of test processes that are gone (namespaces `jc<pid><letter>-origin|target`, their links
    /// and `lo:jc<pid><letter>` addresses).
    private static func removeLeftovers() {
        var tags: Set<String> = []
        let namespaces = ((try? ip(["netns", "list"]))?.output ?? "").split(separator: "\n")
        for line in namespaces {
            let name = String(line.split(separator: " ").first ?? "")
            for side in Side.allCases where name.hasSuffix("-\(side.rawValue)") {
                tags.insert(String(name.dropLast(side.rawValue.count + 1)))
            }
        }
        let lo = ((try? ip(["-o", "-4", "addr", "show", "dev", "lo"]))?.output ?? "").split(separator: "\n")
        for line in lo {
            for field in line.split(separator: " ") where field.hasPrefix("lo:jc") {
                tags.insert(String((field.hasSuffix("\\") ? field.dropLast() : field).dropFirst(3)))
            }
        }
        for tag in tags {
            guard tag.hasPrefix("jc"), let pid = Int32(String(tag.dropFirst(2).prefix(while: \.isNumber))) else {
                continue
            }
            if kill(pid, 0) != 0 && errno == ESRCH { remove(tag: tag) }
        }
    }

    // MARK: Running ip

    /// Runs `ip arguments…` and returns its output; throws ``NetnsRigUnavailable`` naming the command and what it
    /// printed when it fails.
    @discardableResult
    static func ip(_ arguments: [String]) throws -> (status: Int32, output: String) {
        guard let ipPath else { throw NetnsRigUnavailable(reason: "`ip` (iproute2) is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ipPath)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw NetnsRigUnavailable(reason: "cannot run \(ipPath): \(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw NetnsRigUnavailable(
                reason: "`ip \(arguments.joined(separator: " "))` failed: "
                    + output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return (process.terminationStatus, output)
    }
}

/// Why a ``NetnsRig`` cannot be built here (printed by the tests, which then run the blackholed variant).
public struct NetnsRigUnavailable: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}
