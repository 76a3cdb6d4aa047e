import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// External IPs of both families: each in its family's proxy rules alone, and the lab
/// client's route to each via the announcing node's address of that family.
@Suite struct DualStackExternalIPRendererTests {
    static let text = """
    name: ds
    clusterCIDR: [10.200.0.0/16, fd00:200::/48]
    serviceCIDR: [10.96.0.0/12, fd00:96::/112]
    underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
    network: { backend: host-gw }
    proxy: { mode: MODE }
    nodes: [{ name: node-0 }, { name: node-1 }]
    clients: [{ name: outside }]
    pods: [{ name: web-1, node: node-1, labels: { app: web } }]
    services:
      - { name: web, externalIPs: [203.0.113.10, "2001:db8::10"], selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }
    """

    static func render(mode: String) throws -> KernelState {
        let result = TopologyLoader.load(text: text.replacingOccurrences(of: "MODE", with: mode), file: "t.yaml")
        let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        return LabRenderer(topology: topology).render()
    }

    @Test func eachFamilysTableServesItsExternalIP() throws {
        let state = try Self.render(mode: "nftables")
        let node0 = NamespaceRef.named("ds.node-0")
        func keys(_ family: NFTFamily) throws -> [IPAddress] {
            let table = try #require(state.nftTables[NFTable.ID(namespace: node0, family: family, name: "podnet-ds")])
            return try #require(table.sets[NFTablesProxyNames.serviceIPs]).elements.compactMap { element in
                switch element.key.first {
                case .ipv4(let address): return IPAddress.v4(address)
                case .ipv6(let address): return IPAddress.v6(address)
                default: return nil
                }
            }
        }
        #expect(try keys(.ip6).contains(IPAddress("2001:db8::10")!) && !(try keys(.ip6)).contains(IPAddress("203.0.113.10")!))
        #expect(try keys(.ip).contains(IPAddress("203.0.113.10")!) && !(try keys(.ip)).contains(IPAddress("2001:db8::10")!))
    }

    @Test func theClientRoutesEachViaTheNodesAddressOfItsFamily() throws {
        let state = try Self.render(mode: "nftables")
        let outside = NamespaceRef.named("ds.outside")
        #expect(state.routes[.init(namespace: outside, destination: IPPrefix("2001:db8::10/128")!)]?.gateway == IPAddress("fd00:64::5"))
        #expect(state.routes[.init(namespace: outside, destination: IPPrefix("203.0.113.10/32")!)]?.gateway == IPAddress("192.168.64.5"))
    }

    @Test func ip6tablesServesTheIPv6ExternalIP() throws {
        let state = try Self.render(mode: "iptables")
        let node0 = NamespaceRef.named("ds.node-0")
        func rules(_ family: AddressFamily) -> [String] {
            state.iptablesChains.values.filter { $0.id.namespace == node0 && $0.id.family == family && $0.id.name == "KUBE-SERVICES" }
                .flatMap(\.rules)
        }
        let v6 = rules(.ipv6), v4 = rules(.ipv4)
        #expect(v6.contains { $0.contains("-d 2001:db8::10/128") }, "\(v6)")
        #expect(!v4.contains { $0.contains("2001:db8::10") } && v4.contains { $0.contains("-d 203.0.113.10/32") })
    }
}
