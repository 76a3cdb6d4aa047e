import CMNL

/// Builds reply datagrams the way the kernel writes them, for scripting a
/// `FakeNetlinkSocket`.
public enum FakeKernelReply {
    /// An ACK: NLMSG_ERROR with error 0 and the request header (capped).
    public static func acknowledgement(sequence: UInt32, portID: UInt32) -> [UInt8] {
        error(sequence: sequence, portID: portID, code: 0)
    }

    /// NLMSG_ERROR with `-code`, capped as with NETLINK_CAP_ACK, and the extended-ACK
    /// attributes the kernel adds when it has them.
    public static func error(
        sequence: UInt32, portID: UInt32, code: Int32, requestType: UInt16 = 0,
        message: String? = nil, attributeOffset: UInt32? = nil
    ) -> [UInt8] {
        var writer = NetlinkWriter()
        var flags = UInt16(NLM_F_CAPPED)
        if message != nil || attributeOffset != nil { flags |= UInt16(NLM_F_ACK_TLVS) }
        writer.message(type: UInt16(NLMSG_ERROR), flags: flags, sequence: sequence, portID: portID) { body in
            body.append(-code)
            // The request's own header, as the kernel echoes it.
            body.append(UInt32(NetlinkAlignment.messageHeaderSize))
            body.append(requestType)
            body.append(UInt16(NLM_F_REQUEST | NLM_F_ACK))
            body.append(sequence)
            body.append(portID)
            if let message { body.put(NLMSGERR_ATTR_MSG.rawValue, string: message) }
            if let attributeOffset { body.put(NLMSGERR_ATTR_OFFS.rawValue, u32: attributeOffset) }
        }
        return writer.bytes
    }

    /// The end of a dump: NLMSG_DONE carrying 0 (or `-code` for a failed dump).
    public static func done(sequence: UInt32, portID: UInt32, flags: UInt16 = 0, code: Int32 = 0) -> [UInt8] {
        var writer = NetlinkWriter()
        writer.message(type: UInt16(NLMSG_DONE), flags: UInt16(NLM_F_MULTI) | flags,
                       sequence: sequence, portID: portID) { $0.append(-code) }
        return writer.bytes
    }

    /// A datagram holding the given messages (type, flags, payload each).
    public static func datagram(
        sequence: UInt32, portID: UInt32, messages: [(type: UInt16, flags: UInt16, payload: [UInt8])]
    ) -> [UInt8] {
        var writer = NetlinkWriter()
        for message in messages {
            writer.message(type: message.type, flags: message.flags, sequence: sequence, portID: portID) {
                $0.append(contentsOf: message.payload)
            }
        }
        return writer.bytes
    }
}
