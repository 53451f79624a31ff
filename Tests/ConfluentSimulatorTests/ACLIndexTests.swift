import Foundation
import SeededRandom
import Testing

@testable import ConfluentSimulator

/// The simulator's ACL index answers the authorisation question exactly as a scan of every binding would.
@Suite("ACL index")
struct ACLIndexTests {
    @Test("the index selects the bindings a scan selects, through inserts and deletes (seeded)")
    func indexMatchesScan() {
        let seed = SeededGenerator.seed(environment: ProcessInfo.processInfo.environment)
        print("ACL index: JUMPCHAIN_TEST_SEED=\(seed)")
        var random = SeededGenerator(seed: seed)
        let principals = ["User:sa-a", "User:sa-b", "User:*"]
        let names = ["", "o", "or", "orders", "orders.eu", "orders.us", "pay", "payments", "*", "x.orders"]
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        var table = ACLTable()
        var scan: [ACLEntry] = []
        for round in 0..<400 {
            if random.next() % 5 == 0, !scan.isEmpty {
                let victim = pick(scan)
                let removed = table.removeAll {
                    $0.resourceName == victim.resourceName && $0.principal == victim.principal
                }
                scan.removeAll { $0.resourceName == victim.resourceName && $0.principal == victim.principal }
                #expect(!removed.isEmpty)
            } else {
                let acl = ACLEntry(
                    resourceType: pick(["TOPIC", "GROUP"]), resourceName: pick(names.filter { !$0.isEmpty }),
                    patternType: pick(["LITERAL", "PREFIXED"]), principal: pick(principals), host: "*",
                    operation: pick(["READ", "DESCRIBE"]), permission: pick(["ALLOW", "DENY"]))
                let added = table.insert(acl)
                #expect(added == !scan.contains(acl))
                if added { scan.append(acl) }
            }
            #expect(Array(table) == scan, "round \(round), seed \(seed)")
            for principal in principals.dropLast() {
                for type in ["TOPIC", "GROUP"] {
                    for name in names where !name.isEmpty && name != "*" {
                        let expected = scan.filter {
                            $0.principal == principal && $0.resourceType == type && WorldState.patternMatches($0, name)
                        }
                        let found = table.matching(principal: principal, resourceType: type, name: name)
                        #expect(
                            Set(found) == Set(expected), "round \(round), seed \(seed): \(principal) \(type) \(name)")
                        #expect(found.count == expected.count)
                    }
                }
            }
        }
    }
}
