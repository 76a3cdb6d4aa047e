import PodnetNetlink

/// Runs `request` through a connection whose fake socket acknowledges everything, and
/// returns the one datagram sent: what the kernel would have received.
func sentBytes(_ request: NetlinkRequest, dump: Bool = false) throws -> [UInt8] {
    let socket = FakeNetlinkSocket(acknowledgesEverything: true)
    let connection = NetlinkConnection(socket: socket, firstSequence: 1)
    if dump {
        _ = try connection.dump(request)
    } else {
        try connection.execute(request)
    }
    precondition(socket.sent.count == 1, "expected one datagram, got \(socket.sent.count)")
    return socket.sent[0]
}
