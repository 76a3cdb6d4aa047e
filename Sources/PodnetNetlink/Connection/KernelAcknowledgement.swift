import CMNL

/// What the kernel says at the end of a request: NLMSG_ERROR (an ACK when the error is
/// 0) or NLMSG_DONE at the end of a dump, each with the extended-ACK attributes when
/// NLM_F_ACK_TLVS is set.
struct KernelAcknowledgement: Equatable {
    /// 0 for success, else a negative errno as the kernel sends it.
    var code: Int32
    var message: String?
    var attributeOffset: UInt32?
    var missingAttributeType: UInt32?

    init(parsing reply: NetlinkMessage) throws(NetlinkParseError) {
        var reader = reply.reader(what: reply.type == UInt16(NLMSG_DONE) ? "NLMSG_DONE" : "nlmsgerr")
        // Kernels before 4.x sent an empty NLMSG_DONE.
        if reply.type == UInt16(NLMSG_DONE) && reply.payload.isEmpty {
            code = 0
            return
        }
        code = try reader.read(Int32.self)

        if reply.type == UInt16(NLMSG_ERROR) {
            // struct nlmsgerr continues with the request's header, and with the rest of
            // the request unless the reply says it was capped.
            let requestLength = Int(try reader.read(UInt32.self))
            try reader.skip(NetlinkAlignment.messageHeaderSize - 4)
            if reply.flags & UInt16(NLM_F_CAPPED) == 0 {
                guard requestLength >= NetlinkAlignment.messageHeaderSize else {
                    throw .invalidLength(what: "request echoed in nlmsgerr", length: requestLength)
                }
                let rest = requestLength - NetlinkAlignment.messageHeaderSize
                try reader.skip(rest)
                // Step over the padding too, when there is any before the attributes.
                let padding = NetlinkAlignment.aligned(requestLength) - requestLength
                try reader.skip(min(padding, reader.remaining.count))
            }
        }

        guard reply.flags & UInt16(NLM_F_ACK_TLVS) != 0 else { return }
        let attributes = try NetlinkAttributes(parsing: reader.remaining)
        message = attributes[NLMSGERR_ATTR_MSG.rawValue]?.string()
        attributeOffset = try attributes[NLMSGERR_ATTR_OFFS.rawValue]?.u32()
        missingAttributeType = try attributes[NLMSGERR_ATTR_MISS_TYPE.rawValue]?.u32()
    }

    func kernelError(for request: NetlinkRequest) -> NetlinkError? {
        guard code != 0 else { return nil }
        let error = KernelError(code: -code, message: message, attributeOffset: attributeOffset,
                                missingAttributeType: missingAttributeType, request: request.summary)
        return NetlinkError(error, for: request)
    }
}
