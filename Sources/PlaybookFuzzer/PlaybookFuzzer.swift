import Foundation
import JumpchainCore

/// One fuzz input through the parsers that read user files. The first byte picks the parser, the rest is the
/// input: 0 the YAML reader and playbook decoder, 1 the properties parser, 2 the secret-reference parser (the
/// input as a `secret:` value). Any outcome but a crash (or a sanitizer report) is fine.
enum FuzzTarget {
    static let secretTemplate = """
        version: 1
        control_plane: {credentials: {key: env:K, secret: env:S}}
        origin: {id: lkc-a1, rest_endpoint: "https://a.example:443", bootstrap: "a.example:9092", environment: env-a1,
          credentials: {key: KEYA, secret: %@}}
        jump: {id: lkc-b1, rest_endpoint: "https://b.example:443", bootstrap: "b.example:9092", environment: env-a1}
        target: {id: lkc-c1, rest_endpoint: "https://c.example:443", bootstrap: "c.example:9092", environment: env-a1,
          credentials: {key: KEYC, secret: env:C}}
        link: {service_account: sa-1}
        topics: {names: [orders]}
        """

    static func run(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
        switch selector % 3 {
        case 0:
            _ = try? PlaybookLoader.load(text: text, file: "fuzz.yaml", environment: ["A": "1"])
        case 1:
            _ = try? PropertiesFile.parse(text: text, file: "fuzz.properties")
        default:
            let quoted =
                "\""
                + text.unicodeScalars.map { scalar -> String in
                    switch scalar {
                    case "\"": return "\\\""
                    case "\\": return "\\\\"
                    default:
                        return scalar.value < 0x20 || scalar.value == 0x7F
                            ? String(format: "\\x%02X", scalar.value) : String(scalar)
                    }
                }.joined() + "\""
            _ = try? PlaybookLoader.load(
                text: secretTemplate.replacingOccurrences(of: "%@", with: quoted), file: "fuzz.yaml",
                environment: ["K": "k", "S": "s", "C": "c"])
        }
    }
}

#if JUMPCHAIN_LIBFUZZER
    /// libFuzzer's entry point (`make fuzz` builds with `-sanitize=fuzzer` and `-D JUMPCHAIN_LIBFUZZER`).
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOne(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
        FuzzTarget.run(Array(UnsafeBufferPointer(start: data, count: count)))
        return 0
    }

    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
    ) -> CInt

    /// SwiftPM links a debug executable's `main` to `<module>_main`: that is libFuzzer's driver here.
    @_cdecl("PlaybookFuzzer_main")
    public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
        var count = argc
        var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
        return runFuzzerDriver(&count, &arguments) { data, size in fuzzOne(data, size) }
    }
#else
    /// Without libFuzzer: runs each file named on the command line once (replays a corpus or a crash).
    @main
    struct PlaybookFuzzer {
        static func main() {
            for path in CommandLine.arguments.dropFirst() {
                guard let data = FileManager.default.contents(atPath: path) else {
                    FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                    exit(2)
                }
                FuzzTarget.run(Array(data))
            }
            print("ran \(CommandLine.arguments.count - 1) input(s) without a crash")
        }
    }
#endif
