import Glibc

/// The kernel has no driver for a link kind podnet asked for: RTM_NEWLINK answers
/// EOPNOTSUPP with "Unknown device type" when neither a built-in driver nor a loadable
/// module (rtnl-link-<kind>) provides it.
public struct MissingLinkKind: Equatable, Sendable {
    public var kind: String
    public var kernelError: KernelError

    /// Recognises the refusal; nil for any other error.
    public init?(kind: String, error: KernelError) {
        guard error.code == EOPNOTSUPP,
              error.message?.saysUnknownDeviceType ?? false else { return nil }
        self.kind = kind
        self.kernelError = error
    }

    /// The kernel configuration option and module that provide `kind`.
    public var provider: (config: String, module: String)? {
        Self.providers[kind]
    }

    static let providers: [String: (config: String, module: String)] = [
        "veth": ("CONFIG_VETH", "veth"),
        "bridge": ("CONFIG_BRIDGE", "bridge"),
        "vxlan": ("CONFIG_VXLAN", "vxlan"),
        "ipip": ("CONFIG_NET_IPIP", "ipip"),
        "sit": ("CONFIG_IPV6_SIT", "sit"),
        "gre": ("CONFIG_NET_IPGRE", "ip_gre"),
        "dummy": ("CONFIG_DUMMY", "dummy"),
        "macvlan": ("CONFIG_MACVLAN", "macvlan"),
    ]
}

extension MissingLinkKind: CustomStringConvertible {
    public var description: String {
        var text = "\(kernelError.request): the kernel has no '\(kind)' link type"
        if let provider { text += " (\(provider.config), module \(provider.module))" }
        return text
    }
}

private extension String {
    /// The kernel's text, matched loosely: it has been "Unknown device type" since
    /// extended ACK came in, but a trailing period or other case must not defeat us.
    var saysUnknownDeviceType: Bool {
        lowercased().hasPrefix("unknown device type")
    }
}
