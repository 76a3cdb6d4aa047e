import Foundation

/// The captures of Tests/Fixtures/ipvsadm-1.31-linux-6.1.txt, by section name: what
/// ipvsadm sent and Linux 6.1 answered, recorded in the full-kernel lane.
enum CapturedIPVS {
    static let sections: [String: [UInt8]] = {
        let file = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/ipvsadm-1.31-linux-6.1.txt")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        var sections: [String: [UInt8]] = [:]
        var name: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("[") && line.hasSuffix("]") {
                name = String(line.dropFirst().dropLast())
                sections[name!] = []
            } else if let name, !line.hasPrefix("#") {
                sections[name]! += hexBytes(String(line))
            }
        }
        return sections
    }()

    static func bytes(_ name: String) -> [UInt8] {
        guard let bytes = sections[name], !bytes.isEmpty else { fatalError("no capture [\(name)]") }
        return bytes
    }
}
