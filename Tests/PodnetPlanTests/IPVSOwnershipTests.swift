import PodnetAddress
import PodnetKernelModel
import Testing

/// Which virtual servers podnet may change or delete: never one whose address
/// another owner's device holds, whatever the service CIDR says.
@Suite struct IPVSOwnershipTests {
    static let cidr = IPv4Prefix("10.96.0.0/12")!
    static let mine = OwnershipMark(cluster: "lab", role: "node/node-0")

    static func held(_ address: String, on device: String, mark: OwnershipMark?) -> IPVSOwnership.HeldAddress {
        .init(address: IPv4Address(address)!, device: device, deviceMark: mark)
    }

    @Test func kubeProxysServersOnTheSameCIDRAreNotPodnets() {
        // A real host running kube-proxy in ipvs mode with Kubernetes' default service CIDR.
        let ownership = IPVSOwnership(cluster: "lab", serviceCIDR: Self.cidr, held: [
            Self.held("10.96.0.1", on: "kube-ipvs0", mark: nil),
            Self.held("10.96.0.2", on: "kube-ipvs0", mark: nil),
            Self.held("192.168.64.4", on: "eth0", mark: nil),
        ])
        #expect(!ownership.owns(IPv4Address("10.96.0.1")!, port: 80))
        #expect(!ownership.owns(IPv4Address("192.168.64.4")!, port: 80))
        // On the CIDR and on no device: a leftover of podnet's (its kube-ipvs0 went first).
        #expect(ownership.owns(IPv4Address("10.96.0.9")!, port: 80))
        #expect(!ownership.owns(IPv4Address("10.200.0.9")!, port: 80))
    }

    @Test func theClustersOwnDeviceVouchesWithoutACIDR() {
        let ownership = IPVSOwnership(cluster: "lab", serviceCIDR: nil, held: [
            Self.held("10.96.0.2", on: "kube-ipvs0", mark: Self.mine),
            Self.held("10.96.0.3", on: "kube-ipvs0", mark: nil),
        ])
        #expect(ownership.owns(IPv4Address("10.96.0.2")!, port: 80))
        #expect(!ownership.owns(IPv4Address("10.96.0.3")!, port: 80))
        #expect(!ownership.owns(IPv4Address("10.96.0.9")!, port: 80))
    }

    @Test func anotherClustersDeviceMakesItsServersForeign() {
        let other = OwnershipMark(cluster: "other", role: "node/node-0")
        let ownership = IPVSOwnership(cluster: "lab", serviceCIDR: Self.cidr, held: [
            Self.held("10.96.0.2", on: "kube-ipvs0", mark: other),
            Self.held("10.96.0.4", on: "kube-ipvs0", mark: Self.mine),
        ])
        #expect(!ownership.owns(IPv4Address("10.96.0.2")!, port: 80))
        #expect(ownership.owns(IPv4Address("10.96.0.4")!, port: 80))
        // Outside the CIDR (changed in the file), still on the cluster's own device.
        #expect(IPVSOwnership(cluster: "lab", serviceCIDR: IPv4Prefix("10.100.0.0/16")!, held: [
            Self.held("10.96.0.4", on: "kube-ipvs0", mark: Self.mine),
        ]).owns(IPv4Address("10.96.0.4")!, port: 80))
    }

    @Test func nodePortsOnTheClustersOwnDevicesAndOnTheFilesNodeAddresses() {
        // A lab node: eth0 is the cluster's; the nodePortRange decides the port.
        let lab = IPVSOwnership(cluster: "lab", serviceCIDR: Self.cidr, held: [
            Self.held("192.168.64.4", on: "eth0", mark: Self.mine),
            Self.held("10.96.0.2", on: "kube-ipvs0", mark: Self.mine),
        ], nodePorts: .init(range: 30000...30100))
        #expect(lab.owns(IPv4Address("192.168.64.4")!, port: 30080))
        #expect(!lab.owns(IPv4Address("192.168.64.4")!, port: 30101))
        #expect(!lab.owns(IPv4Address("192.168.64.4")!, port: 22))
        // A host: its uplink is unmarked, but the file names the node's address.
        let hostUplink = [Self.held("192.168.64.4", on: "ens3", mark: nil)]
        #expect(!IPVSOwnership(cluster: "lab", serviceCIDR: Self.cidr, held: hostUplink).owns(IPv4Address("192.168.64.4")!, port: 30080))
        let host = IPVSOwnership(cluster: "lab", serviceCIDR: Self.cidr, held: hostUplink,
                                 nodePorts: .init(addresses: [IPv4Address("192.168.64.4")!]))
        #expect(host.owns(IPv4Address("192.168.64.4")!, port: 30080))
        #expect(!host.owns(IPv4Address("192.168.64.4")!, port: 8080))
        #expect(!host.owns(IPv4Address("192.168.64.5")!, port: 30080))
    }
}
