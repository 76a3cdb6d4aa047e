import PodnetAddress

/// Which IPVS virtual servers of a namespace are podnet's, for one cluster: those
/// on an address of the cluster's own `kube-ipvs0` (marked as its), and those on
/// the cluster's `serviceCIDR` (either family's) whose address no other device holds. An address
/// another owner's device holds (kube-proxy's unmarked `kube-ipvs0` on a real host
/// using the same service CIDR, another cluster's, a node address) makes the
/// virtual server someone else's, whatever the CIDR says.
///
/// The cluster's own `kube-ipvs0` vouches without the CIDR: `destroy --cluster NAME`
/// knows no CIDR, and a CIDR changed in the file must not orphan the old servers.
/// Servers on the CIDR whose address is on no device at all are podnet's leftovers
/// (an apply stopped after deleting `kube-ipvs0`, before its servers).
///
/// NodePorts sit on the node's own address, which no `kube-ipvs0` holds: a virtual
/// server at a port of the cluster's `nodePortRange` is podnet's on an address of a
/// device marked as the cluster's (a lab node's `eth0`), and on the node addresses
/// the file names (host mode: the uplink is the host's, unmarked). kube-proxy on the
/// same host with the same range would be refused by no rule here: two proxies on
/// one node's NodePorts cannot both work anyway.
public struct IPVSOwnership: Sendable {
    /// An address of a device in the namespace, and the device's owner.
    public struct HeldAddress: Sendable {
        public var address: IPAddress
        public var device: String
        public var deviceMark: OwnershipMark?

        public init(address: IPAddress, device: String, deviceMark: OwnershipMark?) {
            self.address = address
            self.device = device
            self.deviceMark = deviceMark
        }

        public init(address: IPv4Address, device: String, deviceMark: OwnershipMark?) {
            self.init(address: .v4(address), device: device, deviceMark: deviceMark)
        }
    }

    /// Where the cluster's NodePorts may be: the node addresses the file names
    /// (none without a file), and the ports of `proxy.nodePortRange`.
    public struct NodePorts: Sendable, Equatable {
        public var addresses: Set<IPAddress>
        public var range: ClosedRange<UInt16>

        /// kube-proxy's default `--service-node-port-range`, as TOPOLOGY.md's.
        public static let defaultRange: ClosedRange<UInt16> = 30000...32767

        public init(addresses: Set<IPAddress> = [], range: ClosedRange<UInt16> = NodePorts.defaultRange) {
            self.addresses = addresses
            self.range = range
        }

        public init(addresses: Set<IPv4Address>, range: ClosedRange<UInt16> = NodePorts.defaultRange) {
            self.init(addresses: Set(addresses.map(IPAddress.v4)), range: range)
        }
    }

    private let vouched: Set<IPAddress>
    private let foreign: Set<IPAddress>
    private let nodeAddresses: Set<IPAddress>
    private let nodePortRange: ClosedRange<UInt16>
    private let serviceCIDRs: [IPPrefix]

    /// - Parameter serviceCIDRs: the cluster's, one per family it has (none without a file).
    public init(cluster: String, serviceCIDRs: [IPPrefix], held: [HeldAddress], nodePorts: NodePorts = NodePorts()) {
        var vouched: Set<IPAddress> = [], foreign: Set<IPAddress> = [], marked: Set<IPAddress> = []
        for address in held {
            if address.deviceMark?.isOwned(by: cluster) == true {
                if address.device == IPVSService.clusterIPDevice { vouched.insert(address.address) } else { marked.insert(address.address) }
            } else {
                foreign.insert(address.address)
            }
        }
        self.vouched = vouched
        self.foreign = foreign.subtracting(vouched)
        nodeAddresses = marked.union(nodePorts.addresses).subtracting(vouched)
        nodePortRange = nodePorts.range
        self.serviceCIDRs = serviceCIDRs
    }

    /// An IPv4-only cluster's.
    public init(cluster: String, serviceCIDR: IPv4Prefix?, held: [HeldAddress], nodePorts: NodePorts = NodePorts()) {
        self.init(cluster: cluster, serviceCIDRs: serviceCIDR.map { [.v4($0)] } ?? [], held: held, nodePorts: nodePorts)
    }

    /// Whether the virtual server on `address` and `port` is podnet's.
    public func owns(_ address: IPAddress, port: UInt16) -> Bool {
        vouched.contains(address) || (nodeAddresses.contains(address) && nodePortRange.contains(port))
            || (serviceCIDRs.contains { $0.contains(address) } && !foreign.contains(address))
    }

    public func owns(_ address: IPv4Address, port: UInt16) -> Bool { owns(.v4(address), port: port) }
}
