/// A netlink socket reduced to what a connection needs: send one datagram, receive
/// one datagram. The real one talks to the kernel; the fake one records and replays.
public protocol NetlinkSocket: AnyObject {
    /// The port id the kernel gave this socket; replies carry it in nlmsg_pid.
    var portID: UInt32 { get }

    /// Sends one datagram (one or more messages).
    func send(_ datagram: UnsafeRawBufferPointer) throws(SystemCallError)

    /// Blocks until a datagram arrives, copies it into `buffer` and returns its size.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int
}
