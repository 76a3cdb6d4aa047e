/// The naming rules of namespaces' objects: policy names and port names.
extension Names {
    /// RFC 1123 subdomains, as Kubernetes requires of policy names.
    public static func dnsSubdomainProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 253 { return "is longer than 253 characters" }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            if label.isEmpty { return "is not a DNS subdomain: it has an empty part between dots" }
            if dnsLabelProblem(String(label)) != nil {
                return "is not a DNS subdomain: use dot-separated parts of lowercase letters, digits and '-', each starting and ending with a letter or digit"
            }
        }
        return nil
    }

    /// Kubernetes' port names (IANA service names): at most 15 characters of
    /// lowercase letters, digits and '-', at least one letter, no '--', and not
    /// starting or ending with '-'.
    public static func portNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 15 { return "is longer than 15 characters" }
        let scalars = name.unicodeScalars
        guard scalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
            return "may hold only lowercase letters, digits and '-'"
        }
        guard scalars.contains(where: { ("a"..."z").contains($0) }) else {
            return Int(name) != nil ? "is a number in quotes; write \(name) without quotes for a port number"
                : "must contain at least one letter"
        }
        if name.hasPrefix("-") || name.hasSuffix("-") { return "may not start or end with '-'" }
        if name.contains("--") { return "may not contain '--'" }
        return nil
    }
}
