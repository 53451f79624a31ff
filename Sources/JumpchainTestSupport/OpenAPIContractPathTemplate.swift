import Foundation

/// A path template such as `/kafka/v3/clusters/{cluster_id}/links/{link_name}/mirrors:promote`,
/// matched segment by segment against concrete paths.
struct PathTemplate: Sendable {
    enum Piece: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    let text: String
    let segments: [[Piece]]
    /// Per segment: 2 = all literal, 1 = literal and parameter mixed (`{name}:alter`), 0 = a bare parameter.
    /// Compared left to right so `/topics/-/configs` beats `/topics/{topic_name}/configs`.
    let specificity: [Int]

    init(_ text: String) {
        self.text = text
        let segments = PathTemplate.split(text).map(PathTemplate.pieces)
        self.segments = segments
        self.specificity = segments.map { pieces in
            if pieces.allSatisfy({ if case .literal = $0 { true } else { false } }) { return 2 }
            return pieces.count > 1 ? 1 : 0
        }
    }

    /// Whether `segments` (already split and percent-decoded) fit this template.
    func matches(_ concrete: [String]) -> Bool {
        guard concrete.count == segments.count else { return false }
        return zip(segments, concrete).allSatisfy { pieces, segment in
            PathTemplate.match(pieces[...], Substring(segment))
        }
    }

    func isMoreSpecific(than other: PathTemplate) -> Bool {
        other.specificity.lexicographicallyPrecedes(specificity)
    }

    /// Splits a concrete path or URL into decoded segments, dropping scheme, host, query and fragment.
    static func concreteSegments(_ path: String) -> [String] {
        var text = Substring(path)
        if let scheme = text.range(of: "://") {
            text = text[scheme.upperBound...]
            text = text.firstIndex(of: "/").map { text[$0...] } ?? "/"
        }
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<cut] }
        return split(String(text)).map { $0.removingPercentEncoding ?? $0 }
    }

    private static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func pieces(_ segment: String) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(segment)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            if open > rest.startIndex { pieces.append(.literal(String(rest[..<open]))) }
            pieces.append(.parameter(String(rest[rest.index(after: open)..<close])))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { pieces.append(.literal(String(rest))) }
        return pieces
    }

    /// A parameter matches one or more characters; literals must match exactly. Backtracks over the
    /// (at most a handful of) parameter split points.
    private static func match(_ pieces: ArraySlice<Piece>, _ segment: Substring) -> Bool {
        guard let first = pieces.first else { return segment.isEmpty }
        switch first {
        case .literal(let literal):
            guard segment.hasPrefix(literal) else { return false }
            return match(pieces.dropFirst(), segment.dropFirst(literal.count))
        case .parameter:
            guard !segment.isEmpty else { return false }
            if pieces.count == 1 { return true }
            var end = segment.index(after: segment.startIndex)
            while true {
                if match(pieces.dropFirst(), segment[end...]) { return true }
                if end == segment.endIndex { return false }
                end = segment.index(after: end)
            }
        }
    }
}
