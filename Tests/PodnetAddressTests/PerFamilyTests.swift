import Foundation
import PodnetAddress
import Testing

@Suite struct PerFamilyTests {
    let v4 = IPPrefix("10.200.0.0/16")!
    let v6 = IPPrefix("2001:db8:42::/48")!

    @Test func oneValueOrOnePerFamily() throws {
        let single = PerFamily(v4)
        #expect(single.primary == v4 && !single.isDualStack && single.families == [.ipv4])
        #expect(single[.ipv6] == nil && single.ipv6 == nil && single.ipv4 == IPv4Prefix("10.200.0.0/16"))

        let dual = try PerFamily([v6, v4])
        #expect(dual.primary == v6, "the first written is primary")
        #expect(dual.families == [.ipv6, .ipv4] && dual.isDualStack)
        #expect(dual[.ipv4] == v4 && dual[.ipv6] == v6)
        #expect(dual.ipv6 == IPv6Prefix("2001:db8:42::/48"))
        #expect(Array(dual) == [v6, v4])
        #expect(dual.description == "2001:db8:42::/48,10.200.0.0/16")
    }

    @Test func rejectsWhatIsNotOnePerFamily() {
        #expect(throws: PerFamilyError.empty) { try PerFamily<IPPrefix>([]) }
        #expect(throws: PerFamilyError.repeatedFamily(.ipv4, first: 0, second: 1)) {
            try PerFamily([IPPrefix("10.200.0.0/16")!, IPPrefix("10.201.0.0/16")!])
        }
        #expect(throws: PerFamilyError.tooMany(3)) { try PerFamily([v4, v6, v4]) }
        #expect(PerFamilyError.repeatedFamily(.ipv6, first: 0, second: 1).description
            == "the list has two IPv6 values; give at most one of each family")
    }

    @Test func addressesAndContainment() throws {
        let ips = try PerFamily([IPAddress("10.200.1.2")!, IPAddress("2001:db8:42:1::2")!])
        #expect(ips.ipv4 == IPv4Address("10.200.1.2") && ips.ipv6 == IPv6Address("2001:db8:42:1::2"))
        let cluster = try PerFamily([v4, v6])
        #expect(ips.allSatisfy(cluster.contains))
        #expect(!cluster.contains(IPAddress("10.201.0.1")!))
        #expect(!PerFamily(v4).contains(IPAddress("2001:db8:42::1")!), "a family the cluster lacks")
    }

    /// One value alone and two as a list, as the topology file writes them.
    @Test func codableAsTheFileWritesIt() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let single = PerFamily(v4)
        let dual = try PerFamily([v4, v6])
        #expect(String(decoding: try encoder.encode(single), as: UTF8.self) == #""10.200.0.0/16""#)
        #expect(String(decoding: try encoder.encode(dual), as: UTF8.self) == #"["10.200.0.0/16","2001:db8:42::/48"]"#)
        let decoder = JSONDecoder()
        #expect(try decoder.decode(PerFamily<IPPrefix>.self, from: encoder.encode(single)) == single)
        #expect(try decoder.decode(PerFamily<IPPrefix>.self, from: encoder.encode(dual)) == dual)
        #expect(try decoder.decode(PerFamily<IPPrefix>.self, from: Data(#"["10.200.0.0/16"]"#.utf8)) == single)
        for bad in [#""10.200.0.0""#, #"[]"#, #"["10.0.0.0/8","10.1.0.0/16"]"#, #"["10.0.0.0/8","x"]"#, "7"] {
            #expect(throws: DecodingError.self, "\(bad)") { try decoder.decode(PerFamily<IPPrefix>.self, from: Data(bad.utf8)) }
        }
    }

    /// A bad single value reports its own reason, not "expected a list".
    @Test func aBadSingleValueKeepsItsReason() {
        do {
            _ = try JSONDecoder().decode(PerFamily<IPAddress>.self, from: Data(#""10.0.0.256""#.utf8))
            Issue.record("decoded a bad address")
        } catch DecodingError.dataCorrupted(let context) {
            #expect(context.debugDescription == "not an IP address: 10.0.0.256")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
