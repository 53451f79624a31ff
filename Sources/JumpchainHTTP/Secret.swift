import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Secret material (an API secret, a password) held in memory that jumpchain owns and wipes.
///
/// Why a class over `String`: a `String` is copied freely and never zeroed, so its bytes linger in
/// freed heap pages. `Secret` keeps one heap buffer, zeroes it in ``wipe()`` and in `deinit`, and
/// never prints its content: `description`, `debugDescription` and `dump` show `<redacted>`.
/// Reading it is explicit and scoped (``withBytes(_:)``, ``withUTF8String(_:)``).
public final class Secret: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    // Invariant behind @unchecked Sendable: `storage` and `count` are only touched under `lock`.
    private let lock = Mutex(())
    private var storage: UnsafeMutableBufferPointer<UInt8>
    private var wiped = false

    /// Copies `bytes` into a private buffer. The caller should wipe its own copy where it can.
    public init(bytes: some Sequence<UInt8>) {
        // Copy straight from contiguous storage where possible; otherwise through a temporary array that is
        // zeroed before it is freed, so no unwiped copy is left behind.
        let copied = bytes.withContiguousStorageIfAvailable { source in
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(source.count, 1))
            buffer.initialize(repeating: 0)
            for index in 0..<source.count { buffer[index] = source[index] }
            return (buffer, source.count)
        }
        if let (buffer, length) = copied {
            storage = buffer
            count = length
        } else {
            var array = Array(bytes)
            storage = .allocate(capacity: max(array.count, 1))
            storage.initialize(repeating: 0)
            for (index, byte) in array.enumerated() { storage[index] = byte }
            count = array.count
            array.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
    }

    /// Takes the UTF-8 bytes of `string`. Swift strings cannot be zeroed, so prefer ``init(bytes:)``
    /// from a buffer you wipe; this initialiser exists for values that already live in a `String`.
    public convenience init(_ string: String) {
        self.init(bytes: string.utf8)
    }

    private var count: Int

    deinit {
        zero()
        storage.deallocate()
    }

    /// Whether ``wipe()`` has run: the bytes are gone for good.
    public var isWiped: Bool { lock.withLock { _ in wiped } }

    /// The number of bytes (0 once wiped).
    public var byteCount: Int { lock.withLock { _ in count } }

    /// Zeroes the bytes now. Later reads see an empty secret.
    public func wipe() {
        lock.withLock { _ in
            zero()
            count = 0
            wiped = true
        }
    }

    /// Lends the bytes for the duration of `body`; do not let them escape.
    public func withBytes<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try lock.withLock { _ throws(E) -> R in try body(UnsafeBufferPointer(rebasing: storage[0..<count])) }
    }

    /// Lends the bytes as a `String`. The string is a copy that cannot be wiped: use it only to hand
    /// the value straight to C (libcurl copies it) or to build another ``Secret``.
    public func withUTF8String<R, E: Error>(_ body: (String) throws(E) -> R) throws(E) -> R {
        let text = withBytes { String(decoding: $0, as: UTF8.self) }
        return try body(text)
    }

    /// Compares in constant time with respect to content.
    public func equals(_ other: Secret) -> Bool {
        let mine = withBytes { Array($0) }
        return other.withBytes { theirs in
            guard theirs.count == mine.count else { return false }
            var diff: UInt8 = 0
            for index in 0..<mine.count { diff |= mine[index] ^ theirs[index] }
            return diff == 0
        }
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "Secret(<redacted>)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }

    private func zero() {
        // memset_s is not on Linux; a volatile-style loop through the pointer keeps the writes.
        if let base = storage.baseAddress {
            memset(base, 0, storage.count)
        }
        withExtendedLifetime(storage) {}
    }
}

/// An API key and its secret: the pair every Confluent endpoint takes as HTTP Basic credentials.
public struct APICredential: Sendable, CustomStringConvertible {
    /// The key id (public: it appears in listings, states and logs).
    public let key: String
    public let secret: Secret

    public init(key: String, secret: Secret) {
        self.key = key
        self.secret = secret
    }

    public var description: String { "APICredential(key: \(key), secret: <redacted>)" }
}
