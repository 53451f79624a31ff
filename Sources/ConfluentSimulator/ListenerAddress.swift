import Foundation

/// Where one simulator listener binds: `host` or `host:port` (`[v6]` or `[v6]:port` for IPv6), as written in a
/// world's `bind:` map or `jumpchain sim --bind NAME=ADDRESS`.
public struct ListenerAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    /// `nil`: `portBase + index`, or a port the OS chooses.
    public var port: Int?

    public init(host: String, port: Int? = nil) {
        self.host = host
        self.port = port
    }

    /// Parses `host`, `host:port`, `[v6]` or `[v6]:port`; `nil` when the text is none of these.
    public init?(parsing text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        var host = text
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) else { return nil }
        if let portText {
            guard let port = Int(portText), (0...65535).contains(port) else { return nil }
            self.init(host: host, port: port == 0 ? nil : port)
        } else {
            self.init(host: host)
        }
    }

    /// `host` as it appears in a URL (IPv6 in brackets).
    public var urlHost: String { host.contains(":") ? "[\(host)]" : host }

    public var description: String { port.map { "\(urlHost):\($0)" } ?? urlHost }
}

extension SimulatorConfig {
    /// The address each listener binds (`names`: `control-plane` then cluster ids), from ``bind`` (keyed by
    /// listener id or cluster name) over `defaultHost`. A key naming no listener, or an address that does not
    /// parse, is refused with `invalid-config` naming it.
    func listenerAddresses(names: [String], defaultHost: String) throws -> [String: ListenerAddress] {
        var addresses: [String: ListenerAddress] = [:]
        for name in names { addresses[name] = ListenerAddress(host: defaultHost) }
        for (key, text) in bind.sorted(by: { $0.key < $1.key }) {
            let listener =
                names.contains(key) ? key : clusters.first(where: { $0.name == key })?.id
            guard let listener else {
                throw SimulatorError(
                    .invalidConfig,
                    "bind: \(key) is not a listener: use control-plane, a cluster id or a cluster name ("
                        + names.joined(separator: ", ") + ")")
            }
            guard let address = ListenerAddress(parsing: text) else {
                throw SimulatorError(
                    .invalidConfig,
                    "bind: \(key): \(text) is not an address: write host, host:port or [v6]:port")
            }
            addresses[listener] = address
        }
        return addresses
    }
}
