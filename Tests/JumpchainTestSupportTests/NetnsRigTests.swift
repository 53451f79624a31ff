import Foundation
import JumpchainTestSupport
import Testing

/// The network-namespace rig builds what it says and removes all of it (the CLI rig tests use its reachability).
@Suite struct NetnsRigTests {
    private func ip(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(NetnsRig.ipPath))
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("two namespaces, each routed to its own private address and the public one only; destroy removes all")
    func buildsAndRemovesTheRig() async throws {
        let rig: NetnsRig
        switch await NetnsRig.create() {
        case .success(let created): rig = created
        case .failure(let unavailable):
            print("network-namespace rig unavailable here: \(unavailable.reason)")
            return
        }
        defer { rig.destroy() }
        let namespaces = try ip(["netns", "list"])
        for side in NetnsRig.Side.allCases {
            let name = rig.namespace(side)
            #expect(namespaces.contains(name), "\(namespaces)")
            let routes = try ip(["-n", name, "route", "show"])
            #expect(routes.contains("\(rig.publicAddress) via \(rig.privateAddress(side))"), "\(side): \(routes)")
            #expect(!routes.contains("default"), "\(side) has a default route: \(routes)")
            let other = side == .origin ? rig.targetAddress : rig.originAddress
            let otherNet = other.split(separator: ".").prefix(3).joined(separator: ".")
            #expect(!routes.contains(otherNet), "\(side) has a route towards the other side: \(routes)")
            let addresses = try ip(["-n", name, "-o", "-4", "addr", "show"])
            #expect(addresses.contains(rig.insideAddress(side) + "/24"), "\(addresses)")
        }
        #expect(try ip(["-o", "-4", "addr", "show", "dev", "lo"]).contains(rig.publicAddress + "/32"))

        rig.destroy()
        let after = try ip(["netns", "list"])
        for side in NetnsRig.Side.allCases { #expect(!after.contains(rig.namespace(side)), "\(after)") }
        #expect(!(try ip(["-o", "-4", "addr", "show", "dev", "lo"])).contains(rig.publicAddress + "/32"))
        #expect(!(try ip(["-o", "addr", "show"])).contains("10.\(rig.octet)."), "an address of the rig is left")
    }
}
