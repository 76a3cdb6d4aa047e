#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PodnetAddress
import Testing

/// Properties over many seeded random addresses and texts, and glibc's
/// `inet_pton`/`inet_ntop` (what iproute2 reads and prints with) as a second opinion.
@Suite struct IPv6RoundTripTests {
    @Test(arguments: [1, 2, 3] as [UInt64])
    func printThenParseIsTheSameAddress(seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        for _ in 0..<5_000 {
            let address = IPv6Address.random(using: &generator)
            let text = address.description
            #expect(IPv6Address(text) == address, "\(text)")
            #expect(IPv6Address(bytes: address.bytes) == address)
            #expect(text == text.lowercased())
            #expect(!text.split(separator: ":").contains { $0.count > 1 && $0.first == "0" && !$0.contains(".") }, "\(text)")
            #expect(text.components(separatedBy: "::").count <= 2, "\(text)")
        }
    }

    @Test(arguments: [4, 5, 6] as [UInt64])
    func everySpellingParsesToTheAddress(seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        for _ in 0..<5_000 {
            let address = IPv6Address.random(using: &generator)
            let spelling = address.randomSpelling(using: &generator)
            #expect(IPv6Address(spelling) == address, "\(spelling) for \(address)")
            #expect(IPv6Address(spelling)?.description == address.description, "\(spelling)")
        }
    }

    #if canImport(Glibc)
    /// The same text as `inet_ntop`, except for the deprecated IPv4-compatible
    /// addresses (`::a.b.c.d`), which glibc prints dotted and RFC 5952 need not.
    @Test func printsAsInetNtop() {
        var generator = SeededGenerator(state: 7)
        for _ in 0..<10_000 {
            let address = IPv6Address.random(using: &generator)
            let groups = address.groups
            let ipv4Compatible = groups[0..<6].allSatisfy { $0 == 0 } && groups[6] != 0
            guard !ipv4Compatible else { continue }
            #expect(address.description == Self.inetNtop(address), "\(address.groups)")
        }
    }

    /// Accepts and rejects what `inet_pton` does, with the same value: texts near
    /// valid spellings (one character inserted, deleted or replaced) and random ones.
    @Test func parsesAsInetPton() {
        var generator = SeededGenerator(state: 8)
        let alphabet = Array("0123456789abcdefABCDEF::::...%g ")
        var accepted = 0
        for round in 0..<20_000 {
            var text: [Character]
            if round % 4 == 0 {
                let length = Int(generator.next() % 20)
                text = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            } else {
                text = Array(IPv6Address.random(using: &generator).randomSpelling(using: &generator))
                let position = Int(generator.next() % UInt64(text.count + 1))
                let character = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                switch generator.next() % 4 {
                case 0: text.insert(character, at: position)
                case 1 where position < text.count: text.remove(at: position)
                case 2 where position < text.count: text[position] = character
                default: break   // unchanged, valid
                }
            }
            let string = String(text)
            let ours = IPv6Address(string)
            #expect(ours == Self.inetPton(string), "\(string)")
            if ours != nil { accepted += 1 }
        }
        // Both outcomes are common, so the comparison means something either way.
        #expect(accepted > 4_000 && accepted < 16_000, "accepted \(accepted)")
    }

    private static func inetNtop(_ address: IPv6Address) -> String {
        var bytes = address.bytes
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        return bytes.withUnsafeMutableBytes { raw in
            String(cString: inet_ntop(AF_INET6, raw.baseAddress, &text, socklen_t(text.count))!)
        }
    }

    private static func inetPton(_ text: String) -> IPv6Address? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let result = bytes.withUnsafeMutableBytes { inet_pton(AF_INET6, text, $0.baseAddress) }
        return result == 1 ? IPv6Address(bytes: bytes) : nil
    }
    #endif
}
