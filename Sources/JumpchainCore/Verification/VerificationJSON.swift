import Foundation

/// `--output json`: the report (and canary results) as JSON with stable snake_case keys, sorted.
public enum VerificationJSON {
    /// One compact line (`--output json` prints one JSON document per line).
    public static func encode(_ report: VerificationReport) -> String { encodeValue(report, pretty: false) }

    public static func encode(_ result: CanaryResult) -> String { encodeValue(result, pretty: false) }

    /// One compact line per canary round (`--watch --output json`).
    public static func line(_ result: CanaryResult) -> String { encodeValue(result, pretty: false) }

    public static func decodeReport(_ text: String) throws -> VerificationReport {
        try JSONDecoder().decode(VerificationReport.self, from: Data(text.utf8))
    }

    static func encodeValue(_ value: some Encodable, pretty: Bool = true) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        // Every field is a plain string, number, bool or array of them: encoding cannot fail.
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
