import PodnetAddress
import PodnetKernelModel
import Testing

/// Set elements are kept sorted by the bytes of their keys (so that equal sets
/// compare equal, read or rendered); the comparison works part by part without
/// making the bytes. It must order exactly as the bytes do.
@Suite struct NFTSetElementOrderTests {
    /// Keys shaped like the services map's (address . protocol . port), a verdict
    /// map's (integer), and a mark: values drawn so that many share a first part.
    static func randomKeys(count: Int, using generator: inout some RandomNumberGenerator) -> [[NFTValue]] {
        (0..<count).map { _ in
            switch Int.random(in: 0..<3, using: &generator) {
            case 0:
                return [.ipv4(IPv4Address(0x0A60_0000 + UInt32.random(in: 0..<4, using: &generator))),
                        .inetProto([6, 17].randomElement(using: &generator)!),
                        .inetService(UInt16.random(in: 0..<600, using: &generator))]
            case 1: return [.integer(UInt32.random(in: 0..<70_000, using: &generator))]
            default: return [.mark(UInt32.random(in: 0..<300, using: &generator) << 12)]
            }
        }
    }

    @Test func ordersAsTheKeyBytesDo() {
        var generator = SystemRandomNumberGenerator()
        let keys = Self.randomKeys(count: 400, using: &generator)
        for _ in 0..<4000 {
            let a = NFTSetElement(key: keys.randomElement()!), b = NFTSetElement(key: keys.randomElement()!)
            #expect((a < b) == a.keyBytes.lexicographicallyPrecedes(b.keyBytes), "\(a.key) vs \(b.key)")
        }
    }

    @Test func integersOrderByTheirBytesInHostOrderNotByValue() {
        // 256 is 00 01 00 00 in memory on this little-endian host, 1 is 01 00 00 00:
        // by bytes, 256 comes first, as the kernel's set holds them.
        #expect(NFTSetElement(key: [.integer(256)]) < NFTSetElement(key: [.integer(1)]))
        #expect(!(NFTSetElement(key: [.integer(1)]) < NFTSetElement(key: [.integer(256)])))
    }
}
