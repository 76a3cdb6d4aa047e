import CMNL

/// One request, ready to be framed and sent: message type, the flags that say what to
/// do (NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_APPEND, NLM_F_ECHO), and the
/// payload (family header and attributes). The connection adds the nlmsghdr with
/// NLM_F_REQUEST and NLM_F_ACK or NLM_F_DUMP, a sequence number and the port id.
public struct NetlinkRequest: Sendable, Equatable {
    public var type: UInt16
    public var flags: UInt16
    public var payload: [UInt8]
    /// What the request does, for errors: "RTM_NEWLINK veth0".
    public var summary: String
    /// The link kind this request creates, if any, so that a kernel without that kind
    /// is reported by name (`NetlinkError.missingLinkKind`).
    public var createdLinkKind: String?

    public init(type: UInt16, flags: UInt16 = 0, payload: [UInt8], summary: String, createdLinkKind: String? = nil) {
        self.type = type
        self.flags = flags
        self.payload = payload
        self.summary = summary
        self.createdLinkKind = createdLinkKind
    }

    /// A request whose payload `build` writes.
    public init(
        type: UInt16, flags: UInt16 = 0, summary: String, createdLinkKind: String? = nil,
        build: (inout NetlinkWriter) -> Void
    ) {
        var writer = NetlinkWriter()
        build(&writer)
        self.init(type: type, flags: flags, payload: writer.bytes, summary: summary, createdLinkKind: createdLinkKind)
    }

    /// The same request, asking the kernel to send back what it created (NLM_F_ECHO):
    /// `execute` then returns it, so a new link's ifindex is known without a dump.
    /// (For a veth, only the end in the requesting namespace is echoed.)
    public var echoed: NetlinkRequest {
        var request = self
        request.flags |= UInt16(NLM_F_ECHO)
        return request
    }
}
