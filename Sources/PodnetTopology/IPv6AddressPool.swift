import PodnetAddress

/// Host addresses of one IPv6 prefix handed out lowest first, skipping those taken:
/// `AddressPool`'s counterpart. A /64 holds more hosts than a set could, so the pool
/// walks an index and keeps only the addresses taken out of order.
struct IPv6AddressPool {
    let prefix: IPv6Prefix
    private var taken: Set<IPv6Address>
    private var index: UInt64

    /// - Parameter firstHost: the index in `prefix.hosts` of the first address to
    ///   hand out: 1 for pods (after the gateway `::1`), 3 for nodes (`::4`, as `.4`
    ///   in IPv4).
    init(prefix: IPv6Prefix, firstHost: UInt64 = 0, taken: Set<IPv6Address> = []) {
        self.prefix = prefix
        self.taken = taken
        index = firstHost
    }

    /// Whether `address` is a usable host address here (not the subnet-router anycast one).
    func isHost(_ address: IPv6Address) -> Bool { prefix.hosts.contains(address) }

    func isTaken(_ address: IPv6Address) -> Bool { taken.contains(address) }

    mutating func reserve(_ address: IPv6Address) { taken.insert(address) }

    mutating func next() -> IPv6Address? {
        while let candidate = prefix.host(at: index) {
            index += 1
            if taken.insert(candidate).inserted { return candidate }
        }
        return nil
    }
}
