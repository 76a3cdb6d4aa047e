import PodnetAddress

/// A permanent ARP or NDP entry (`ip neigh add 10.200.1.0 lladdr … dev vxlan0 nud permanent`).
public struct Neighbour: Hashable, Sendable, Codable {
    public struct ID: Hashable, Sendable, Comparable, Codable {
        public var link: Link.ID
        public var address: IPAddress

        public init(link: Link.ID, address: IPAddress) {
            self.link = link
            self.address = address
        }

        public init(link: Link.ID, address: IPv4Address) {
            self.init(link: link, address: .v4(address))
        }

        public static func < (lhs: ID, rhs: ID) -> Bool { (lhs.link, lhs.address) < (rhs.link, rhs.address) }
    }

    public var id: ID
    public var mac: MACAddress

    public init(id: ID, mac: MACAddress) {
        self.id = id
        self.mac = mac
    }
}

/// A permanent forwarding entry of a VXLAN device itself (`bridge fdb append MAC dev
/// vxlan0 dst 192.168.64.5 self permanent`): which node holds a MAC.
public struct FDBEntry: Hashable, Sendable, Codable {
    public struct ID: Hashable, Sendable, Comparable, Codable {
        public var link: Link.ID
        public var mac: MACAddress
        /// The remote VTEP, in the underlay's family.
        public var destination: IPAddress

        public init(link: Link.ID, mac: MACAddress, destination: IPAddress) {
            self.link = link
            self.mac = mac
            self.destination = destination
        }

        public init(link: Link.ID, mac: MACAddress, destination: IPv4Address) {
            self.init(link: link, mac: mac, destination: .v4(destination))
        }

        public static func < (lhs: ID, rhs: ID) -> Bool {
            (lhs.link, lhs.mac.description, lhs.destination) < (rhs.link, rhs.mac.description, rhs.destination)
        }
    }

    public var id: ID

    public init(id: ID) { self.id = id }
}
