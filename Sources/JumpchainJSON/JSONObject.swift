/// A JSON object's members, in order, with unique keys (a repeated key keeps its first place and its last value).
///
/// Lookups are linear: the objects jumpchain handles have a handful of members, and order matters more than speed
/// (the simulator's answers list fields in the order the API documents them).
public struct JSONObject: Sendable {
    public private(set) var members: [(key: String, value: JSON)]
    /// Positions by key, kept only for objects larger than `indexedCount` (an OpenAPI document's schemas).
    private var positions: [String: Int]?
    private static let indexedCount = 12

    public init() { members = [] }

    /// Members already known to have unique keys (the parser's).
    init(uniqueMembers: [(key: String, value: JSON)]) {
        members = uniqueMembers
        reindex()
    }

    private mutating func reindex() {
        guard members.count > Self.indexedCount else {
            positions = nil
            return
        }
        var positions: [String: Int] = [:]
        positions.reserveCapacity(members.count)
        for (position, member) in members.enumerated() { positions[member.key] = position }
        self.positions = positions
    }

    private func position(of key: String) -> Int? {
        if let positions { return positions[key] }
        return members.firstIndex { $0.key == key }
    }

    /// Members in the given order; a repeated key keeps its first place and its last value.
    public init(_ pairs: some Sequence<(String, JSON)>) {
        members = []
        for (key, value) in pairs { self[key] = value }
    }

    /// Members sorted by key, for a deterministic order from an unordered dictionary.
    public init(_ dictionary: [String: JSON]) {
        members = dictionary.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }

    public subscript(key: String) -> JSON? {
        get { position(of: key).map { members[$0].value } }
        set {
            if let position = position(of: key) {
                if let newValue {
                    members[position].value = newValue
                } else {
                    members.remove(at: position)
                    reindex()
                }
            } else if let newValue {
                members.append((key: key, value: newValue))
                if positions != nil {
                    positions?[key] = members.count - 1
                } else if members.count > Self.indexedCount {
                    reindex()
                }
            }
        }
    }

    public var keys: [String] { members.map(\.key) }
    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }

    /// The members as an unordered dictionary.
    public var dictionary: [String: JSON] {
        Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }
}

extension JSONObject: Sequence {
    public func makeIterator() -> IndexingIterator<[(key: String, value: JSON)]> { members.makeIterator() }
}

extension JSONObject: ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) { self.init(elements) }
    public init(arrayLiteral elements: (String, JSON)...) { self.init(elements) }
}

extension JSONObject: Hashable {
    /// Same members with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.count == rhs.count && lhs.members.allSatisfy { member in rhs[member.key] == member.value }
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent, like equality: combine the members' own hashes commutatively.
        var combined = 0
        for member in members {
            var memberHasher = Hasher()
            memberHasher.combine(member.key)
            memberHasher.combine(member.value)
            combined ^= memberHasher.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }
}
