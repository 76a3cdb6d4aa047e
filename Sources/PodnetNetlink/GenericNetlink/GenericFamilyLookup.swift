import CMNL

extension NetlinkConnection {
    /// Resolves a generic netlink family by name. The connection must be on a
    /// generic netlink socket (`NetlinkBus.generic`).
    public func genericFamily(named name: String) throws(GenericFamilyError) -> GenericNetlinkFamily {
        let request = NetlinkRequest.getGenericFamily(named: name)
        let replies: [NetlinkMessage]
        do {
            replies = try execute(request)
        } catch {
            if let refusal = error.kernelError, let missing = MissingGenericFamily(name: name, error: refusal) {
                throw .missing(missing)
            }
            throw .netlink(error)
        }
        guard let reply = replies.first(where: { $0.type == UInt16(GENL_ID_CTRL) }) else {
            throw .netlink(.malformedReply(.truncated(what: "CTRL_CMD_NEWFAMILY reply", needed: 1, available: 0), request: request.summary))
        }
        do throws(NetlinkParseError) {
            return try GenericNetlinkFamily(decoding: reply)
        } catch {
            throw .netlink(.malformedReply(error, request: request.summary))
        }
    }
}
