public import Workflow

/// One request a step would send, for `jumpchain plan` and `destroy --dry-run` (credentials always masked).
///
/// `path` is a template: a segment written `<…>` stands for a value only known when the step runs (a key id,
/// a topic). The previews live next to each step's body, and a test compares their method and path with what
/// the simulator recorded, so that `plan` cannot drift from `apply`.
public struct PreviewRequest: Sendable, Hashable, CustomStringConvertible {
    public var method: String
    /// The endpoint's base URL (Kafka REST or the control plane).
    public var base: String
    /// The path, with an optional `?query`.
    public var path: String
    /// What the body carries or why the request is sent, in words.
    public var detail: String

    public init(_ method: String, base: String, path: String, detail: String = "") {
        self.method = method
        self.base = base
        self.path = path
        self.detail = detail
    }

    /// A Kafka REST v3 request on `cluster`, `path` relative to `/kafka/v3/clusters/<id>`.
    public static func kafka(
        _ cluster: PlaybookCluster, _ method: String, _ path: String, _ detail: String = ""
    ) -> PreviewRequest {
        PreviewRequest(
            method, base: cluster.restEndpoint, path: "/kafka/v3/clusters/\(cluster.id)\(path)", detail: detail)
    }

    /// A control-plane request (`/iam/v2/…`).
    public static func cloud(
        _ playbook: Playbook, _ method: String, _ path: String, _ detail: String = ""
    ) -> PreviewRequest {
        PreviewRequest(method, base: playbook.controlPlane.endpoint, path: path, detail: detail)
    }

    public var description: String { "\(method) \(base)\(path)\(detail.isEmpty ? "" : " " + detail)" }

    /// The reads one observation of the chain sends (``OffsetVerifier/observe()``): the three link halves, then
    /// each hop's mirror listing (`listing` says what it serves; nil: no listing, no topic to read).
    static func chainReads(_ playbook: Playbook, listing: String?) -> [PreviewRequest] {
        let link = playbook.link
        var requests: [PreviewRequest] = [
            .kafka(playbook.origin, "GET", "/links/\(link.leg1Name)?include_tasks=true"),
            .kafka(playbook.jump, "GET", "/links/\(link.leg1Name)?include_tasks=true"),
            .kafka(playbook.target, "GET", "/links/\(link.leg2Name)?include_tasks=true"),
        ]
        if let listing {
            requests += [
                .kafka(playbook.jump, "GET", "/links/\(link.leg1Name)/mirrors", listing),
                .kafka(playbook.target, "GET", "/links/\(link.leg2Name)/mirrors", listing),
            ]
        }
        return requests
    }

    /// Whether the request is one that changes something (anything but GET).
    public var isMutating: Bool { method != "GET" }

    /// Whether a recorded request (method and path without query) is one this preview announces.
    public func matches(method: String, path recorded: String) -> Bool {
        guard method == self.method else { return false }
        let template = String(path.split(separator: "?", maxSplits: 1).first ?? "")
        let wanted = template.split(separator: "/", omittingEmptySubsequences: false)
        let got = recorded.split(separator: "/", omittingEmptySubsequences: false)
        guard wanted.count == got.count else { return false }
        return zip(wanted, got).allSatisfy { pattern, segment in
            (pattern.hasPrefix("<") && pattern.hasSuffix(">")) || pattern == segment
                || (pattern.contains("<") && Self.prefixMatch(pattern, segment))
        }
    }

    /// `links/<leg>/mirrors:failover`-style segments: literal text around one `<…>` placeholder.
    static func prefixMatch(_ pattern: Substring, _ segment: Substring) -> Bool {
        guard let open = pattern.firstIndex(of: "<"), let close = pattern.lastIndex(of: ">") else { return false }
        let head = pattern[..<open]
        let tail = pattern[pattern.index(after: close)...]
        return segment.hasPrefix(head) && segment.hasSuffix(tail) && segment.count >= head.count + tail.count
    }
}

/// The requests each step of a plan would send, by step id.
public enum RequestPreview {
    public static func requests(
        for plan: Plan, playbook: Playbook, operation: OperationKind = .rollout
    ) -> [String: [PreviewRequest]] {
        var result: [String: [PreviewRequest]] = [:]
        for step in plan.steps {
            switch operation {
            case .rollout: result[step.id] = RolloutExecutor.preview(step, playbook: playbook)
            case .update: result[step.id] = UpdateExecutor.preview(step, playbook: playbook)
            case .teardown: result[step.id] = TeardownExecutor.preview(step, playbook: playbook)
            case .cutover: result[step.id] = CutoverExecutor.preview(step, playbook: playbook)
            case .failover: result[step.id] = FailoverExecutor.preview(step, playbook: playbook)
            }
        }
        return result
    }

    /// What every operation sends around its steps: opening the jump session and revoking it at exit.
    public static func session(_ playbook: Playbook) -> [PreviewRequest] {
        RunSession.previewOpen(playbook) + RunSession.previewClose(playbook)
    }

    static func options(_ options: [String: String]) -> String {
        options.sorted { $0.key < $1.key }.map { ", \($0.key)=\($0.value)" }.joined()
    }

    static let masked = "<redacted>"
}
