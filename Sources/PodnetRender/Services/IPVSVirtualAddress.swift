import PodnetAddress
import PodnetKernelModel

/// A virtual server's address, protocol and port, as the nft sets of ipvs mode key
/// the traffic to it (`ip daddr . meta l4proto . th dport`, `ip6 daddr …`): a
/// NodePort on the node's address, or an external IP's port.
public struct IPVSVirtualAddress: Hashable, Sendable, Comparable, Codable {
    public var address: IPAddress
    public var `protocol`: IPVSProtocol
    public var port: UInt16

    public init(address: IPAddress, protocol: IPVSProtocol, port: UInt16) {
        self.address = address
        self.protocol = `protocol`
        self.port = port
    }

    public init(address: IPv4Address, protocol: IPVSProtocol, port: UInt16) {
        self.init(address: .v4(address), protocol: `protocol`, port: port)
    }

    public init(_ id: IPVSService.ID) {
        self.init(address: id.address, protocol: id.protocol, port: id.port)
    }

    public static func < (lhs: IPVSVirtualAddress, rhs: IPVSVirtualAddress) -> Bool {
        (lhs.address, lhs.port, lhs.protocol.rawValue) < (rhs.address, rhs.port, rhs.protocol.rawValue)
    }

    /// The nft set element: destination address . protocol . destination port.
    public var nftablesElement: String { "\(address) . \(`protocol`.rawValue.lowercased()) . \(port)" }

    /// The element as the kernel model holds it.
    var setElement: NFTSetElement {
        NFTSetElement(key: [NFTValue(address), .inetProto(UInt8(`protocol`.number)), .inetService(port)])
    }
}

extension NFTValue {
    /// An address as a set key of its family's type (`ipv4_addr`, `ipv6_addr`).
    init(_ address: IPAddress) {
        switch address {
        case .v4(let address): self = .ipv4(address)
        case .v6(let address): self = .ipv6(address)
        }
    }
}

extension NFTDataType {
    /// The set key type of an address of `family`.
    static func address(_ family: AddressFamily) -> NFTDataType { family == .ipv4 ? .ipv4Address : .ipv6Address }
}
