import Foundation
import PodnetTopology
import Testing

/// The example clusters in topologies/ are what users copy first: each must be
/// valid and warning-free, and open with the comment naming its seed section.
@Suite struct ExampleTopologiesTests {
    static let files = RepositoryPaths.yamlFiles(in: RepositoryPaths.topologies)

    @Test func everySeedScenarioHasAnExample() {
        let names = Set(Self.files.map(\.lastPathComponent))
        for expected in ["pod-loopback.yaml", "veth-pair.yaml", "bridge.yaml", "host-gw.yaml", "ipip.yaml",
                         "vxlan-multicast.yaml", "vxlan-static.yaml", "services-nftables.yaml",
                         "services-iptables.yaml", "services-ipvs.yaml", "lab.yaml",
                         "nodeport-cluster.yaml", "nodeport-local.yaml", "external-ips.yaml",
                         "netpol-deny-all.yaml", "netpol-allow-from-namespace.yaml", "netpol-egress-ipblock.yaml", "netpol-lab.yaml"] {
            #expect(names.contains(expected), "topologies/\(expected) is missing")
        }
    }

    @Test(arguments: files)
    func exampleIsValidWithoutWarnings(_ url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let result = TopologyLoader.load(text: text, file: url.lastPathComponent)
        #expect(result.isValid, "\(url.lastPathComponent): \(result.diagnostics.map { "\($0.line):\($0.column) \($0.message)" })")
        #expect(result.warnings.isEmpty, "\(url.lastPathComponent): \(result.warnings.map(\.message))")
        if url.lastPathComponent != "lab.yaml" {
            #expect(text.contains("seed"), "\(url.lastPathComponent) should name the seed section it reproduces")
        }
    }
}
