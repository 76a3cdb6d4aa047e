import Glibc

/// The kernel has no generic netlink family of that name: no built-in code and no
/// module that declares it registered it (the controller answers ENOENT).
public struct MissingGenericFamily: Error, Equatable, Sendable {
    public var name: String
    public var kernelError: KernelError

    /// Recognises the controller's refusal; nil for any other error.
    public init?(name: String, error: KernelError) {
        guard error.code == ENOENT else { return nil }
        self.name = name
        kernelError = error
    }

    /// What the family is, the configuration option and the module that provide it.
    public var provider: (feature: String, config: String, module: String)? { Self.providers[name] }

    static let providers: [String: (feature: String, config: String, module: String)] = [
        "IPVS": ("IPVS", "CONFIG_IP_VS", "ip_vs"),
    ]
}

extension MissingGenericFamily: CustomStringConvertible {
    /// "the kernel has no IPVS (CONFIG_IP_VS, module ip_vs)".
    public var description: String {
        guard let provider else { return "the kernel has no generic netlink family '\(name)'" }
        return "the kernel has no \(provider.feature) (\(provider.config), module \(provider.module))"
    }
}

/// Why a family could not be resolved: it is missing, or the exchange failed.
public enum GenericFamilyError: Error, Equatable, Sendable {
    case missing(MissingGenericFamily)
    case netlink(NetlinkError)
}

extension GenericFamilyError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .missing(let missing): return missing.description
        case .netlink(let error): return error.description
        }
    }
}
