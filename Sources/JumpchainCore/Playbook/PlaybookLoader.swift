import Foundation
import Yams

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads, substitutes and validates a playbook file.
public enum PlaybookLoader {
    /// Loads `path`. Returns the playbook and its warnings/notes; throws
    /// ``PlaybookError/Code-swift.struct/invalidPlaybook`` carrying every diagnostic when any is an error.
    ///
    /// `${VAR}` in string values is replaced from `environment` (the process environment when nil). An
    /// `http://` endpoint whose host is not a loopback address is an error unless `allowInsecureHTTP`.
    public static func load(
        path: String, environment: [String: String]? = nil, allowInsecureHTTP: Bool = false
    ) throws(PlaybookError) -> (Playbook, [Diagnostic]) {
        // The size first, so that a huge file is refused before it is read into memory.
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
            let problem = PlaybookLimits.sizeProblem(byteCount: size, file: path)
        {
            throw PlaybookError(
                code: .invalidPlaybook, message: "\(path): the playbook is too large", diagnostics: [problem])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlaybookError(
                code: .fileUnreadable, message: "cannot read playbook `\(path)`: \(unreadableReason(path))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PlaybookError(code: .fileUnreadable, message: "playbook `\(path)` is not UTF-8 text")
        }
        return try load(text: text, file: path, environment: environment, allowInsecureHTTP: allowInsecureHTTP)
    }

    /// Why `path` cannot be read, in words: not found, a directory, permission denied, ...
    public static func unreadableReason(_ path: String) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            if code == ENOENT {
                let relative = path.hasPrefix("/") ? "" : " (relative to \(FileManager.default.currentDirectoryPath))"
                return "no such file\(relative)"
            }
            return String(cString: strerror(code)).lowercased()
        }
        if (status.st_mode & S_IFMT) == S_IFDIR { return "it is a directory; give the playbook file inside it" }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            return code == EACCES
                ? "permission denied (the file is not readable by this user)" : String(cString: strerror(code))
        }
        close(descriptor)
        return "reading it failed"
    }

    /// Validates playbook `text`; `file` names it in diagnostics and anchors relative paths.
    public static func load(
        text: String, file: String, environment: [String: String]? = nil, allowInsecureHTTP: Bool = false
    ) throws(PlaybookError) -> (Playbook, [Diagnostic]) {
        if let problem = PlaybookLimits.sizeProblem(byteCount: text.utf8.count, file: file)
            ?? PlaybookLimits.nestingProblem(text, file: file)
        {
            throw PlaybookError(
                code: .invalidPlaybook, message: "\(file): 1 error in the playbook", diagnostics: [problem])
        }
        let reader = YAMLReader(file: file, environment: environment ?? ProcessInfo.processInfo.environment)
        let url = URL(fileURLWithPath: file)
        var decoder = PlaybookDecoder(
            reader: reader, baseDirectory: url.deletingLastPathComponent().path,
            defaultRunName: url.deletingPathExtension().lastPathComponent)
        decoder.allowInsecureHTTP = allowInsecureHTTP
        var playbook: Playbook?
        do {
            if let root = try Yams.compose(yaml: text) {
                playbook = decoder.decode(root)
            } else {
                reader.error("the playbook is empty", at: nil)
            }
        } catch let error as YamlError {
            reader.append(syntaxDiagnostic(error, file: file))
        } catch {
            reader.error("cannot parse YAML", at: nil)
        }
        let diagnostics = reader.diagnostics.sortedByLocation()
        guard let playbook, !diagnostics.containsErrors else {
            let count = diagnostics.filter { $0.severity == .error }.count
            throw PlaybookError(
                code: .invalidPlaybook, message: "\(file): \(count) error\(count == 1 ? "" : "s") in the playbook",
                diagnostics: diagnostics)
        }
        return (playbook, diagnostics)
    }

    /// A YAML syntax error as a diagnostic. Yams' own description quotes the source line, which could
    /// hold a secret a user pasted by mistake, so only the problem and position are kept.
    private static func syntaxDiagnostic(_ error: YamlError, file: String) -> Diagnostic {
        func located(_ problem: String, _ mark: Mark) -> Diagnostic {
            Diagnostic(
                severity: .error, location: DiagnosticLocation(file: file, line: mark.line, column: mark.column),
                message: "YAML syntax error: \(problem)")
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return located(problem, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return located(
                "duplicate key\(duplicates.count == 1 ? "" : "s") \(duplicates.map { "`\($0)`" }.joined(separator: ", ")) "
                    + "in one mapping; each key may appear once", context.mark)
        case .reader(let problem, _, _, _):
            return Diagnostic(
                severity: .error, location: DiagnosticLocation(file: file, line: 1, column: 1),
                message: "cannot read the file as YAML: \(problem)")
        default:
            return Diagnostic(
                severity: .error, location: DiagnosticLocation(file: file, line: 1, column: 1),
                message: "cannot parse YAML"
            )
        }
    }
}
