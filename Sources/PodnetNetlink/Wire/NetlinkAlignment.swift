/// Netlink aligns messages and attributes to 4 bytes (NLMSG_ALIGNTO, NLA_ALIGNTO).
/// Every padding decision of the writer and every skip of the readers goes through
/// here, so no codec ever does its own padding arithmetic.
enum NetlinkAlignment {
    static let boundary = 4

    /// `length` rounded up to the next multiple of four.
    static func aligned(_ length: Int) -> Int {
        (length + boundary - 1) & ~(boundary - 1)
    }

    /// Size of `struct nlmsghdr`.
    static let messageHeaderSize = 16
    /// Size of `struct nlattr`.
    static let attributeHeaderSize = 4
}
