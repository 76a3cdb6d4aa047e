import PodnetAddress
import PodnetYAML

/// A dual-stack field as read: its IPv4 value, its IPv6 value, and which came first
/// (the primary family, as in Kubernetes).
struct FamilyValues<IPv4Value, IPv6Value> {
    var mark: SourceMark
    var ipv4: Located<IPv4Value>?
    var ipv6: Located<IPv6Value>?
    var primary: AddressFamily
}

/// Reads of TOPOLOGY.md's dual-stack fields: one value, as before, or a list of one
/// value per family. A single IPv4 value reads exactly as it always did, with the
/// same messages, so IPv4-only files see no change.
extension FieldReader {
    func addresses(_ node: YAMLNode, _ what: String) -> FamilyValues<IPv4Address, IPv6Address>? {
        perFamily(node, what, ipv4: { address($0, what) }, ipv6: { ipv6Address($0, what) })
    }

    func prefixes(_ node: YAMLNode, _ what: String) -> FamilyValues<IPv4Prefix, IPv6Prefix>? {
        perFamily(node, what, ipv4: { prefix($0, what) }, ipv6: { ipv6Prefix($0, what) })
    }

    /// One address of either family (an external IP): the family its text is meant in.
    func addressOfEitherFamily(_ node: YAMLNode, _ what: String) -> Located<IPAddress>? {
        let family = node.scalar.map { AddressFamily(meantBy: $0.text) } ?? .ipv4
        switch family {
        case .ipv4: return address(node, what).map { Located(value: .v4($0.value), mark: $0.mark) }
        case .ipv6: return ipv6Address(node, what).map { Located(value: .v6($0.value), mark: $0.mark) }
        }
    }

    /// One prefix of either family (an ipBlock's `cidr` or `except`): the family its
    /// text is meant in, so that IPv4 text reads with IPv4's messages as before.
    func prefixOfEitherFamily(_ node: YAMLNode, _ what: String) -> Located<IPPrefix>? {
        let family = node.scalar.map { AddressFamily(meantBy: $0.text) } ?? .ipv4
        switch family {
        case .ipv4: return prefix(node, what).map { Located(value: .v4($0.value), mark: $0.mark) }
        case .ipv6: return ipv6Prefix(node, what).map { Located(value: .v6($0.value), mark: $0.mark) }
        }
    }

    /// `services[].ipFamilies`: `[IPv4]`, `[IPv6]`, or both in order.
    func families(_ node: YAMLNode, _ what: String) -> Located<[AddressFamily]>? {
        guard let items = sequence(node, what) else { return nil }
        guard !items.isEmpty, items.count <= 2 else {
            log.error(node.mark, "\(what) must list one or two families: [IPv4], [IPv6], [IPv4, IPv6] or [IPv6, IPv4]")
            return nil
        }
        var families: [AddressFamily] = []
        for item in items {
            guard let text = string(item, "a family of \(what)") else { return nil }
            guard let family = AddressFamily(name: text.value) else {
                let hint = Spelling.suggestion(for: text.value, among: ["IPv4", "IPv6"]).map { "; did you mean '\($0)'?" }
                    ?? "; write IPv4 or IPv6"
                log.error(item.mark, "unknown address family '\(text.value)' in \(what)\(hint)")
                return nil
            }
            guard !families.contains(family) else {
                log.error(item.mark, "\(what) lists \(family) twice; list each family once")
                return nil
            }
            families.append(family)
        }
        return Located(value: families, mark: node.mark)
    }

    /// One value, or a list of one per family. A value's family is the one its text
    /// is meant in (a ':' means IPv6), so that a mistyped IPv6 value gets IPv6's reason.
    private func perFamily<IPv4Value, IPv6Value>(_ node: YAMLNode, _ what: String,
                                                 ipv4: (YAMLNode) -> Located<IPv4Value>?,
                                                 ipv6: (YAMLNode) -> Located<IPv6Value>?) -> FamilyValues<IPv4Value, IPv6Value>? {
        let items: [YAMLNode]
        if case .sequence(let list) = node.content {
            guard !list.isEmpty else {
                log.error(node.mark, "\(what): \(PerFamilyError.empty)")
                return nil
            }
            guard list.count <= 2 else {
                log.error(list[2].mark, "\(what): \(PerFamilyError.tooMany(list.count))")
                return nil
            }
            items = list
        } else {
            items = [node]
        }
        var values = FamilyValues<IPv4Value, IPv6Value>(mark: node.mark, ipv4: nil, ipv6: nil, primary: .ipv4)
        var ok = true
        var seen: [AddressFamily: SourceMark] = [:]
        for (index, item) in items.enumerated() {
            let family = item.scalar.map { AddressFamily(meantBy: $0.text) } ?? .ipv4
            if index == 0 { values.primary = family }
            if let first = seen[family] {
                log.error(item.mark, "\(what): \(PerFamilyError.repeatedFamily(family, first: 0, second: 1)) (the first is at line \(first.line), column \(first.column))")
                ok = false
                continue
            }
            seen[family] = item.mark
            switch family {
            case .ipv4:
                values.ipv4 = ipv4(item)
                ok = ok && values.ipv4 != nil
            case .ipv6:
                values.ipv6 = ipv6(item)
                ok = ok && values.ipv6 != nil
            }
        }
        return ok ? values : nil
    }

    func ipv6Address(_ node: YAMLNode, _ what: String) -> Located<IPv6Address>? {
        guard let text = string(node, what) else { return nil }
        if let prefix = IPv6Prefix(text.value) {
            log.error(node.mark, "\(what) must be a plain address, not a prefix; write '\(prefix.address)' without '/\(prefix.length)'")
            return nil
        }
        do {
            return Located(value: try IPv6Address(parsing: text.value), mark: node.mark)
        } catch {
            log.error(node.mark, "'\(text.value)' is not an IPv6 address (\(what)): \(error)")
            return nil
        }
    }

    func ipv6Prefix(_ node: YAMLNode, _ what: String) -> Located<IPv6Prefix>? {
        guard let text = string(node, what) else { return nil }
        if IPv6Address(text.value) != nil {
            log.error(node.mark, "\(what) must be a prefix with a length, such as '\(text.value)/64'; got a plain address")
            return nil
        }
        let prefix: IPv6Prefix
        do {
            prefix = try IPv6Prefix(parsing: text.value)
        } catch {
            log.error(node.mark, "'\(text.value)' is not an IPv6 prefix (\(what)): \(error)")
            return nil
        }
        guard prefix.isNetwork else {
            log.error(node.mark, "\(what) \(prefix) has host bits set; did you mean '\(prefix.network)'?")
            return nil
        }
        return Located(value: prefix, mark: node.mark)
    }
}
