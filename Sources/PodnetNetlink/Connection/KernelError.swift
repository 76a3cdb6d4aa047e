import Glibc

/// The kernel refused a request: its errno, and what extended ACK added to it.
public struct KernelError: Error, Equatable, Sendable {
    /// The errno, positive (EEXIST, not -EEXIST).
    public var code: Int32
    /// The kernel's own explanation (NLMSGERR_ATTR_MSG), such as "Unknown device type".
    public var message: String?
    /// Offset of the offending attribute in the request, counted from the start of its
    /// nlmsghdr (NLMSGERR_ATTR_OFFS).
    public var attributeOffset: UInt32?
    /// Type of a required attribute the request lacked (NLMSGERR_ATTR_MISS_TYPE).
    public var missingAttributeType: UInt32?
    /// The request this answers: "RTM_NEWLINK veth0".
    public var request: String

    public init(code: Int32, message: String? = nil, attributeOffset: UInt32? = nil,
                missingAttributeType: UInt32? = nil, request: String) {
        self.code = code
        self.message = message
        self.attributeOffset = attributeOffset
        self.missingAttributeType = missingAttributeType
        self.request = request
    }

    /// The object to change or delete is not there. Each object kind says it its own
    /// way: links ENODEV, addresses EADDRNOTAVAIL, routes ESRCH, neighbours ENOENT.
    public var isNotFound: Bool {
        [ENOENT, ENODEV, ESRCH, EADDRNOTAVAIL].contains(code)
    }

    public var isAlreadyExisting: Bool { code == EEXIST }
}

extension KernelError: CustomStringConvertible {
    public var description: String {
        var text = "\(request): \(String(cString: strerror(code)))"
        if let name = Self.errnoNames[code] { text += " (\(name))" }
        if let message, !message.isEmpty { text += ": \(message)" }
        if let attributeOffset { text += " [attribute at offset \(attributeOffset)]" }
        if let missingAttributeType { text += " [missing attribute type \(missingAttributeType)]" }
        return text
    }

    /// The symbolic names of the errnos netlink requests commonly meet, because
    /// "File exists" alone does not tell a reader what to grep for.
    static let errnoNames: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", ENOBUFS: "ENOBUFS",
        EBUSY: "EBUSY", EEXIST: "EEXIST", ENODEV: "ENODEV", EINVAL: "EINVAL", ERANGE: "ERANGE",
        ENOSPC: "ENOSPC", EMSGSIZE: "EMSGSIZE", EOPNOTSUPP: "EOPNOTSUPP", EAFNOSUPPORT: "EAFNOSUPPORT",
        EADDRINUSE: "EADDRINUSE", EADDRNOTAVAIL: "EADDRNOTAVAIL", ENETUNREACH: "ENETUNREACH",
        ENETDOWN: "ENETDOWN", EPROTONOSUPPORT: "EPROTONOSUPPORT",
        ENOMEM: "ENOMEM", EACCES: "EACCES", E2BIG: "E2BIG", ENOTDIR: "ENOTDIR", ELOOP: "ELOOP",
    ]
}
