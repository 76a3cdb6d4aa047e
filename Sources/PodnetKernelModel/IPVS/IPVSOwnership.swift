import PodnetAddress

/// Which IPVS virtual servers of a namespace are podnet's, for one cluster: those
/// on an address of the cluster's own `kube-ipvs0` (marked as its), and those on
/// the cluster's `serviceCIDR` whose address no other device holds. An address
/// another owner's device holds (kube-proxy's unmarked `kube-ipvs0` on a real host
/// using the same service CIDR, another cluster's, a node address) makes the
/// virtual server someone else's, whatever the CIDR says.
///
/// The cluster's own `kube-ipvs0` vouches without the CIDR: `destroy --cluster NAME`
/// knows no CIDR, and a CIDR changed in the file must not orphan the old servers.
/// Servers on the CIDR whose address is on no device at all are podnet's leftovers
/// (an apply stopped after deleting `kube-ipvs0`, before its servers).
public struct IPVSOwnership: Sendable {
    /// An address of a device in the namespace, and the device's owner.
    public struct HeldAddress: Sendable {
        public var address: IPv4Address
        public var device: String
        public var deviceMark: OwnershipMark?

        public init(address: IPv4Address, device: String, deviceMark: OwnershipMark?) {
            self.address = address
            self.device = device
            self.deviceMark = deviceMark
        }
    }

    private let vouched: Set<IPv4Address>
    private let foreign: Set<IPv4Address>
    private let serviceCIDR: IPv4Prefix?

    public init(cluster: String, serviceCIDR: IPv4Prefix?, held: [HeldAddress]) {
        var vouched: Set<IPv4Address> = [], foreign: Set<IPv4Address> = []
        for address in held {
            if address.deviceMark?.isOwned(by: cluster) == true {
                if address.device == IPVSService.clusterIPDevice { vouched.insert(address.address) }
            } else {
                foreign.insert(address.address)
            }
        }
        self.vouched = vouched
        self.foreign = foreign.subtracting(vouched)
        self.serviceCIDR = serviceCIDR
    }

    /// Whether the virtual server on `address` is podnet's.
    public func owns(_ address: IPv4Address) -> Bool {
        vouched.contains(address) || (serviceCIDR?.contains(address) == true && !foreign.contains(address))
    }
}
