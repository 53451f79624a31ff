/// Compiles a topic pattern at validation time and finds where it is broken.
enum RegexCheck {
    struct Problem {
        var message: String
        /// Offset (in characters) of the error inside the pattern; 0 when unknown.
        var offset: Int
    }

    static func problem(_ pattern: String) -> Problem? {
        do {
            _ = try Regex(pattern)
            return nil
        } catch {
            return Problem(message: "\(error)", offset: offset(of: error, in: pattern))
        }
    }

    /// Swift's regex parser reports a located error whose location is not public API; read it through
    /// reflection and fall back to 0 if its shape ever changes.
    private static func offset(of error: any Error, in pattern: String) -> Int {
        for child in Mirror(reflecting: error).children where child.label == "location" {
            for inner in Mirror(reflecting: child.value).children where inner.label == "range" {
                if let range = inner.value as? Range<String.Index>, range.lowerBound <= pattern.endIndex {
                    return pattern.distance(from: pattern.startIndex, to: range.lowerBound)
                }
            }
        }
        return 0
    }
}
