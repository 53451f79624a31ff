import ArgumentParser
import Foundation
import JumpchainCore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the chain: link and mirror states and lag across both hops, and an optional canary read back.",
        discussion: """
            Passes when every link half is ACTIVE without errors, every mirror is ACTIVE on both hops and each \
            partition's end-to-end lag is within the playbook's verify.max_lag. Exits 5 naming the failing \
            partitions, with a diagnosis of the most likely cause.
            """)

    @Argument(help: "The run's name (or its directory).") var run: String
    @Option(
        help: """
            How long to wait for the chain to pass, in seconds (default: the playbook's verify.timeout). The reads \
            of the last round may take up to 5 s (at most the timeout again) past it.
            """)
    var timeout: Int?
    @Flag(help: "Also send a canary record through both hops and time it (needs verify.canary in the playbook).")
    var canary = false
    @Flag(help: "Repeat the canary as a heartbeat, one line per round.") var watch = false
    @Option(help: "Seconds between heartbeat rounds.") var interval: Int = 30
    @Option(help: "Stop after this many heartbeat rounds (default: until interrupted).") var rounds: Int?
    @Flag(name: .customLong("fail-fast"), help: "With --watch: exit non-zero on the first failing round.")
    var failFast = false
    @Flag(
        name: .customLong("inspect-jump"),
        help: "With --watch: also read the jump, through a session key (a one-shot verify always does).")
    var inspectJump = false
    @Flag(
        help: "Also fail (exit 9) when a synced group's target offset trails the origin by > verify.max_group_lag.")
    var groups = false
    @Option(
        help: """
            Check the half of the chain this site of the playbook's `sites` reaches (its secrets alone are \
            needed): at the origin's site leg 1, recorded for the target's; at the target's site leg 2, compared \
            with the origin's latest record.
            """)
    var site: String?
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let format = common.format
        let verification: Rollout.Verification
        let progress = WaitProgress()
        progress.start("verify \(run)")
        defer { progress.stop() }
        var options = common.rolloutOptions(printer: nil)
        options.site = site
        do {
            verification = try await Rollout.verify(
                run: run, timeout: timeout.map { .seconds($0) }, canary: canary || watch,
                watch: watch ? .seconds(interval) : nil, rounds: rounds, failFast: failFast,
                inspectJump: watch ? inspectJump : true,
                onCanary: { result in
                    progress.stop()  // the wait is over: heartbeat lines follow
                    guard watch else { return }
                    Terminal.line(format == .json ? VerificationJSON.line(result) : result.heartbeatLine)
                }, onRound: { progress.round($0) }, options: options)
        } catch {
            throw ExitStatus.fail(error)
        }
        let report = verification.report
        if let half = verification.half {
            try Self.printHalf(half, verification, format: format, groups: groups)
            return
        }
        if format == .json {
            Terminal.line(VerificationJSON.encode(report))
            if !watch, let result = verification.canary.first { Terminal.line(VerificationJSON.encode(result)) }
        } else {
            Terminal.line(VerificationTableRenderer(color: Terminal.isTTY).render(report))
            if !watch, let result = verification.canary.first { Terminal.line(result.heartbeatLine) }
            if !verification.jumpInspected { Terminal.line(Summary.jumpLine(inspected: false, keys: [])) }
        }
        let groupsFailed = Self.printGroups(verification, format: format, groups: groups)
        if !verification.passed {
            let failing =
                report.failingPartitions + verification.canary.filter { !$0.passed }.map { "canary round \($0.round)" }
            Terminal.error("jumpchain: verification failed: \(failing.joined(separator: ", "))")
            // A cluster that did not answer (unreachable, or the --timeout deadline passed) is named on stderr too.
            for failure in report.failures where failure.contains("could not be read") {
                Terminal.error("  \(failure)")
            }
        }
        if groupsFailed { throw ExitCode(ExitStatus.groupsLagging) }
        if !verification.passed { throw ExitCode(ExitStatus.verificationFailed) }
    }

    /// The consumer groups' table (or JSON line) when they were read; with `groups`, whether they failed (named on
    /// stderr).
    static func printGroups(_ verification: Rollout.Verification, format: OutputFormat, groups: Bool) -> Bool {
        if let report = verification.groups {
            if format == .json {
                Terminal.line(Summary.json(["consumer_groups": report]))
            } else {
                for line in report.tableLines() { Terminal.line(line) }
            }
        }
        // With --groups a failing group decides the exit code: a leg's offset sync in error also makes its link
        // unhealthy, and the group names the cause better than the link does.
        guard groups else { return false }
        guard let report = verification.groups else {
            Terminal.error("jumpchain: --groups: the playbook turns consumer.offset.sync.enable on for no leg")
            return true
        }
        let lagging = report.lagging(maxLag: Int64(verification.maxGroupLag))
        let named =
            lagging.map {
                "group \($0.group) on \($0.topic)-\($0.partition) "
                    + ($0.target == nil ? "has no offset on the target" : "trails the origin by \($0.gap)")
            }
            + report.problems
        guard named.isEmpty else {
            Terminal.error("jumpchain: consumer groups failed: \(named.joined(separator: "; "))")
            return true
        }
        return false
    }

    /// `verify --site` at a site that does not reach both private clusters: the half it checked.
    static func printHalf(
        _ half: Rollout.SiteHalf, _ verification: Rollout.Verification, format: OutputFormat, groups: Bool
    ) throws {
        let report = verification.report
        if format == .json {
            // The document `verify` prints without --site (its report of what this half read), plus the site,
            // the half and what was checked.
            Terminal.line(Summary.json(HalfJSON(report: report, site: half.site, half: half.side, checked: half.lines)))
        } else {
            if half.side == .target { Terminal.line(VerificationTableRenderer(color: Terminal.isTTY).render(report)) }
            for line in half.lines { Terminal.line(line) }
        }
        var groupsFailed = false
        var groupsNotCompared = false
        if let notChecked = half.groupsNotChecked {
            if groups {
                Terminal.error("jumpchain: --groups: \(notChecked)")
                groupsNotCompared = true
            }
        } else {
            groupsFailed = printGroups(verification, format: format, groups: groups)
        }
        if !verification.passed {
            let failing = half.side == .origin ? half.failures : report.failingPartitions + report.failures
            Terminal.error(
                "jumpchain: verification of the \(half.side.rawValue)'s half failed: \(failing.joined(separator: "; "))"
            )
        }
        // As without --site, a failing group decides the exit code.
        if groupsFailed { throw ExitCode(ExitStatus.groupsLagging) }
        if !verification.passed { throw ExitCode(ExitStatus.verificationFailed) }
        // --groups asked and the groups not compared here: the other site's turn, as a missing record is.
        if groupsNotCompared { throw ExitCode(ExitStatus.otherSiteTurn) }
    }
}

/// `verify --site --output json` at a half: the report's keys (as `verify` prints them), then `site`, `half`
/// (`origin` or `target`) and `checked` (what was and was not checked there, one line each).
struct HalfJSON: Encodable {
    var report: VerificationReport
    var site: String
    var half: PlaybookCluster.Role
    var checked: [String]

    enum CodingKeys: String, CodingKey { case site, half, checked }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(site, forKey: .site)
        try container.encode(half.rawValue, forKey: .half)
        try container.encode(checked, forKey: .checked)
    }
}
