import PodnetAddress

/// Host addresses of one prefix handed out lowest first, skipping those taken.
struct AddressPool {
    let prefix: IPv4Prefix
    private var taken: Set<UInt32>
    private var cursor: UInt64   // wide, so that stepping past 255.255.255.255 cannot overflow
    private let end: UInt64

    /// - Parameter from: the first address to hand out (e.g. `.4` for node
    ///   addresses, gateway + 1 for pods).
    init(prefix: IPv4Prefix, from: IPv4Address? = nil, taken: Set<IPv4Address> = []) {
        self.prefix = prefix
        let hosts = prefix.hosts ?? (prefix.first.value...prefix.last.value)
        self.cursor = UInt64(max(from?.value ?? hosts.lowerBound, hosts.lowerBound))
        self.end = UInt64(hosts.upperBound)
        self.taken = Set(taken.map(\.value))
    }

    /// Whether `address` is a usable host address here (not network or broadcast).
    func isHost(_ address: IPv4Address) -> Bool {
        guard let hosts = prefix.hosts else { return false }
        return hosts.contains(address.value)
    }

    func isTaken(_ address: IPv4Address) -> Bool { taken.contains(address.value) }

    mutating func reserve(_ address: IPv4Address) { taken.insert(address.value) }

    mutating func next() -> IPv4Address? {
        while cursor <= end {
            let candidate = UInt32(cursor)
            cursor += 1
            if taken.insert(candidate).inserted { return IPv4Address(candidate) }
        }
        return nil
    }
}

/// Equal-length subnets of one prefix handed out in order, skipping any that
/// overlap a subnet already taken: /24s of an IPv4 cluster CIDR, /64s of an IPv6 one.
struct SubnetPool<Prefix: IPPrefixProtocol> {
    let parent: Prefix
    let length: Int
    /// Taken out of order (written or live). Those `next()` hands out lie below
    /// `index` and cannot overlap a later candidate of the same length, so they are
    /// not kept: handing out the 65,536 /64s of a /48 stays linear.
    private var taken: [Prefix]
    private var index: UInt64 = 0

    init(parent: Prefix, length: Int, taken: [Prefix]) {
        self.parent = parent
        self.length = length
        self.taken = taken
    }

    mutating func reserve(_ prefix: Prefix) { taken.append(prefix) }

    mutating func next() -> Prefix? {
        while let candidate = parent.subnet(length: length, index: index) {
            index += 1
            if !taken.contains(where: { $0.overlaps(candidate) }) { return candidate }
        }
        return nil
    }
}
