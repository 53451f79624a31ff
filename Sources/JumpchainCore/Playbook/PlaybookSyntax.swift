/// Small lexical checks for ids, names and durations.
enum PlaybookSyntax {
    /// `prefix-` followed by lowercase letters and digits, with inner `-` allowed (`lkc-abc123`, `env-…`,
    /// `sa-…`, `n-…`; the simulator uses readable ids such as `n-origin-aws`).
    static func isConfluentID(_ value: String, prefix: String) -> Bool {
        guard value.hasPrefix(prefix + "-") else { return false }
        let rest = value.dropFirst(prefix.count + 1)
        return !rest.isEmpty && rest.last != "-"
            && rest.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// Letters, digits, `_` and `-` (Platform cluster ids).
    static func isPlatformID(_ value: String) -> Bool {
        !value.isEmpty && value.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "_" || $0 == "-" }
    }

    /// Kafka's legal topic (and link) name characters: letters, digits, `.`, `_`, `-`; at most 249.
    static func isTopicName(_ value: String, allowEmpty: Bool = false) -> Bool {
        if value.isEmpty { return allowEmpty }
        guard value.count <= 249, value != ".", value != ".." else { return false }
        return value.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    /// `host:port`, or a comma-separated list of them.
    static func isBootstrap(_ value: String) -> Bool {
        let servers = value.split(separator: ",", omittingEmptySubsequences: false)
        return !servers.isEmpty
            && servers.allSatisfy { server in
                let server = server.trimmedSpaces()
                guard let colon = server.lastIndex(of: ":") else { return false }
                let host = server[..<colon]
                guard let port = Int(server[server.index(after: colon)...]), (1...65535).contains(port) else {
                    return false
                }
                if host.hasPrefix("[") && host.hasSuffix("]") { return host.count > 2 }
                return !host.isEmpty
                    && host.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "." || $0 == "-" || $0 == "_" }
            }
    }

    /// `1h30m`, `5m`, `30s`, `500ms`; nil when malformed or zero.
    static func duration(_ text: String) -> Duration? {
        var total = Duration.zero
        var digits = ""
        var index = text.startIndex
        guard !text.isEmpty else { return nil }
        while index < text.endIndex {
            let character = text[index]
            if character.isASCII, character.isNumber {
                digits.append(character)
                index = text.index(after: index)
                continue
            }
            guard let amount = Int64(digits) else { return nil }
            digits = ""
            let rest = text[index...]
            if rest.hasPrefix("ms") {
                total += .milliseconds(amount)
                index = text.index(index, offsetBy: 2)
            } else if character == "s" {
                total += .seconds(amount)
                index = text.index(after: index)
            } else if character == "m" {
                total += .seconds(amount * 60)
                index = text.index(after: index)
            } else if character == "h" {
                total += .seconds(amount * 3600)
                index = text.index(after: index)
            } else {
                return nil
            }
        }
        guard digits.isEmpty, total > .zero else { return nil }
        return total
    }
}

extension Substring {
    fileprivate func trimmedSpaces() -> Substring {
        var slice = self
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return slice
    }
}
