/// When a cleartext `http://` endpoint is acceptable: only on a loopback host (the simulator, a local
/// proxy), or when the operator says so with `--allow-insecure-http`. Anywhere else an API key would cross
/// the network unencrypted.
public enum InsecureHTTPPolicy {
    /// `localhost`, any `127.0.0.0/8` address, or `::1` (with or without brackets).
    public static func isLoopback(host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" || name == "0:0:0:0:0:0:0:1" {
            return true
        }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }
}
