public import JumpchainHTTP
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Hands out `stdin` secret references, one input line each, in a fixed documented order
/// (``Playbook/stdinOrder``) whatever order the references are resolved in.
///
/// Why not `readLine()`: it returns a `String` that cannot be wiped; this reads bytes into a buffer it
/// zeroes, and keeps each line as a ``Secret``.
public final class StdinSecrets: @unchecked Sendable {
    // Invariant behind @unchecked Sendable: all mutable state is touched only under `lock`.
    private let lock = Mutex(())
    private let order: [String]
    private let fileDescriptor: Int32
    private var lines: [Secret] = []
    private var ended = false

    /// - Parameters:
    ///   - order: the labels, in the order their lines arrive (normally ``Playbook/stdinOrder``).
    ///   - fileDescriptor: where lines come from; 0 (standard input) unless a test passes a pipe.
    public init(order: [String], fileDescriptor: Int32 = 0) {
        self.order = order
        self.fileDescriptor = fileDescriptor
    }

    /// For playbooks without `stdin` references: every request fails with a clear message.
    public static let none = StdinSecrets(order: [], fileDescriptor: -1)

    /// The line for `label`, reading (and keeping) earlier lines as needed. Returns a fresh copy the caller
    /// may wipe.
    public func secret(for label: String) throws(PlaybookError) -> Secret {
        guard let position = order.firstIndex(of: label) else {
            throw PlaybookError(
                code: .secretUnavailable,
                message: "`\(label)` reads its secret from stdin, but it is not in the stdin order \(order)")
        }
        return try lock.withLock { _ throws(PlaybookError) -> Secret in
            while lines.count <= position {
                guard let line = readLine() else {
                    throw PlaybookError(
                        code: .secretUnavailable,
                        message: "stdin ended before line \(position + 1), which holds `\(label)`; "
                            + "give one line per stdin reference in this order: \(order.joined(separator: ", "))")
                }
                lines.append(line)
            }
            return lines[position].withBytes { Secret(bytes: $0) }
        }
    }

    private func readLine() -> Secret? {
        guard !ended, fileDescriptor >= 0 else { return nil }
        var buffer: [UInt8] = []
        defer { SecretFile.wipe(&buffer) }
        var byte: UInt8 = 0
        while true {
            let count = read(fileDescriptor, &byte, 1)
            if count <= 0 {
                ended = true
                if buffer.isEmpty { return nil }
                break
            }
            if byte == 0x0A { break }
            buffer.append(byte)
        }
        byte = 0
        if buffer.last == 0x0D { buffer.removeLast() }
        return Secret(bytes: buffer)
    }
}
