/// The naming rules of the topology format. Each check returns what is wrong in a
/// user's words (to follow the name in a message), or nil when the name is fine.
public enum Names {
    /// Cluster names prefix every kernel object podnet owns, so they are short.
    public static let clusterNameMaxLength = 12

    /// Linux interface names hold at most 15 bytes (IFNAMSIZ less the NUL).
    public static let interfaceNameMaxLength = 15

    /// Interface names podnet itself uses inside node namespaces: a bridge may
    /// not take one of them.
    public static let reservedInterfaceNames: Set<String> = ["lo", "eth0", "vxlan0", "ipip0", "tunl0", "sit0", "sit1", "kube-ipvs0"]

    public static func clusterNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.count > clusterNameMaxLength {
            return "is \(name.count) characters long; cluster names have at most \(clusterNameMaxLength), because every kernel object podnet owns carries it"
        }
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else {
            return "must start with a lowercase letter"
        }
        guard name.unicodeScalars.allSatisfy({ isLowerAlnum($0) || $0 == "-" }) else {
            return "may hold only lowercase letters, digits and '-'"
        }
        return nil
    }

    /// RFC 1123 labels, as Kubernetes requires of pod and service names.
    public static func dnsLabelProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 63 { return "is longer than 63 characters" }
        guard name.unicodeScalars.allSatisfy({ isLowerAlnum($0) || $0 == "-" }) else {
            return "is not a DNS label: use only lowercase letters, digits and '-'"
        }
        if name.hasPrefix("-") || name.hasSuffix("-") { return "is not a DNS label: it may not start or end with '-'" }
        return nil
    }

    public static func interfaceNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > interfaceNameMaxLength {
            return "is \(name.utf8.count) bytes long; the kernel limits interface names to \(interfaceNameMaxLength)"
        }
        if name == "." || name == ".." { return "is not a valid interface name" }
        if name.unicodeScalars.contains(where: { $0 == "/" || $0 == ":" || $0.properties.isWhitespace || $0.value < 0x20 }) {
            return "may not contain '/', ':' or whitespace"
        }
        return nil
    }

    /// Kubernetes label keys: an optional DNS-subdomain prefix and '/', then a
    /// name of at most 63 characters.
    public static func labelKeyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return "may contain at most one '/'" }
        if parts.count == 2 {
            let prefix = parts[0]
            if prefix.isEmpty || prefix.count > 253
                || !prefix.unicodeScalars.allSatisfy({ isLowerAlnum($0) || $0 == "-" || $0 == "." }) {
                return "has an invalid prefix '\(prefix)': it must be a DNS subdomain such as example.com"
            }
        }
        let name = String(parts.last!)
        if name.isEmpty { return "has an empty name" }
        return labelTextProblem(name)
    }

    public static func labelValueProblem(_ value: String) -> String? {
        value.isEmpty ? nil : labelTextProblem(value)
    }

    private static func labelTextProblem(_ text: String) -> String? {
        if text.count > 63 { return "is longer than 63 characters" }
        guard text.unicodeScalars.allSatisfy({ isAlnum($0) || $0 == "-" || $0 == "_" || $0 == "." }) else {
            return "may hold only letters, digits, '-', '_' and '.'"
        }
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last, isAlnum(first), isAlnum(last) else {
            return "must start and end with a letter or digit"
        }
        return nil
    }

    private static func isLowerAlnum(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) }
    private static func isAlnum(_ c: Unicode.Scalar) -> Bool { isLowerAlnum(c) || ("A"..."Z").contains(c) }
}
