import Foundation
import Testing

/// Proxy mode nftables: each change of how a service is reached from outside (its
/// type, traffic policy, nodePort, affinity) is a plan of that service's own chains,
/// sets and elements only, applied through the table's record, after which nothing is
/// left to do. Root only.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct NFTablesExternalTrafficConvergenceTests {
    /// The objects `diff -o json` would change.
    func plannedObjects(_ file: URL) throws -> [String] {
        let diff = try PodnetBinary.run(["diff", "--output", "json", file.path])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any], "\(diff.stderr)")
        let operations = try #require(json["operations"] as? [[String: Any]])
        return operations.compactMap { $0["object"] as? String }
    }

    @Test func everyChangeOfTrafficFromOutsideIsMinimalAndConverges() throws {
        try withTestCluster(example: "nodeport-local") { cluster, file in
            var text = try String(contentsOf: file, encoding: .utf8)
            // A second service that no change below may touch.
            text += "  - { name: other, type: NodePort, selector: { app: web }, ports: [{ port: 81, targetPort: 8080 }] }\n"
            try text.write(to: file, atomically: true, encoding: .utf8)
            let applied = try PodnetBinary.run(["apply", file.path])
            #expect(applied.status == 0, "\(applied.stderr)")
            let steps: [(String, String, String)] = [
                ("policy Local to Cluster", "externalTrafficPolicy: Local", "externalTrafficPolicy: Cluster"),
                ("nodePort moved", "nodePort: 30080", "nodePort: 30090"),
                ("ClientIP affinity", "    type: NodePort\n", "    type: NodePort\n    sessionAffinity: ClientIP\n"),
                ("NodePort to ClusterIP", "    type: NodePort\n    sessionAffinity", "    type: ClusterIP\n    sessionAffinity"),
            ]
            for (step, old, new) in steps {
                let current = try String(contentsOf: file, encoding: .utf8)
                try #require(current.contains(old), "\(step): the file lacks \(old)")
                var changed = current.replacingOccurrences(of: old, with: new)
                if step == "NodePort to ClusterIP" { changed = changed.replacingOccurrences(of: ", nodePort: 30090", with: "") }
                try changed.write(to: file, atomically: true, encoding: .utf8)
                let objects = try plannedObjects(file)
                #expect(!objects.isEmpty, "\(step)")
                #expect(objects.allSatisfy { $0.hasPrefix("nftables ") }, "\(step): \(objects)")
                #expect(!objects.contains { $0.contains("other/") || $0.contains("add table") || $0.contains("delete table") || $0.contains("chain services")
                        || $0.contains("nat-") }, "\(step): \(objects)")
                let run = try PodnetBinary.run(["apply", file.path])
                #expect(run.status == 0, "\(step): \(run.stderr)")
                #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0, "\(step): not converged")
            }
            // A ClusterIP service keeps its affinity; its NodePort is gone from every node.
            let listing = try shell("ip netns exec \(cluster).node-1 nft list table ip podnet-\(cluster)").stdout
            #expect(!listing.contains("30090") && listing.contains("affinity-"), "\(listing)")
        }
    }
}
