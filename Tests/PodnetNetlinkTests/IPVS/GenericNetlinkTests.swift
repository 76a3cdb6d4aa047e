import CMNL
import Glibc
import Testing
@testable import PodnetNetlink

/// The controller lookup, byte for byte (linux/genetlink.h: genlmsghdr is cmd u8,
/// version u8, reserved u16; GENL_ID_CTRL is 0x10; CTRL_CMD_GETFAMILY 3,
/// CTRL_ATTR_FAMILY_NAME 2, CTRL_ATTR_FAMILY_ID 1), and its two answers.
@Suite struct GenericNetlinkTests {
    let port: UInt32 = 4242

    @Test func getFamilyByName() throws {
        expectBytes(try sentBytes(.getGenericFamily(named: "IPVS")), hexBytes("""
            20 00 00 00   # nlmsg_len 32
            10 00         # GENL_ID_CTRL
            05 00         # NLM_F_REQUEST|NLM_F_ACK
            01 00 00 00   # sequence 1
            00 00 00 00   # port id 0
            03 01 00 00   # genlmsghdr: CTRL_CMD_GETFAMILY, version 1
            09 00 02 00  49 50 56 53 00  00 00 00   # CTRL_ATTR_FAMILY_NAME "IPVS", NUL-terminated
            """))
    }

    /// The controller's CTRL_CMD_NEWFAMILY reply (trimmed to the attributes read).
    func familyReply(sequence: UInt32) -> [UInt8] {
        var payload = NetlinkWriter()
        GenericNetlinkHeader(command: UInt8(CTRL_CMD_NEWFAMILY), version: 2).write(to: &payload)
        payload.put(CTRL_ATTR_FAMILY_NAME, string: "IPVS")
        payload.put(CTRL_ATTR_FAMILY_ID, u16: 0x1c)
        payload.put(CTRL_ATTR_VERSION, u32: 1)
        payload.put(CTRL_ATTR_HDRSIZE, u32: 0)
        payload.put(CTRL_ATTR_MAXATTR, u32: 6)
        return FakeKernelReply.datagram(sequence: sequence, portID: port, messages: [(UInt16(GENL_ID_CTRL), 0, payload.bytes)])
            + FakeKernelReply.acknowledgement(sequence: sequence, portID: port)
    }

    @Test func aFamilyIsResolvedToItsID() throws {
        let socket = FakeNetlinkSocket(portID: port, replies: [familyReply(sequence: 1)])
        let family = try NetlinkConnection(socket: socket).genericFamily(named: "IPVS")
        #expect(family == GenericNetlinkFamily(name: "IPVS", id: 0x1c, version: 1, headerSize: 0, maximumAttribute: 6))
    }

    @Test func aMissingFamilyIsNamedWithItsModule() throws {
        let socket = FakeNetlinkSocket(portID: port, replies: [
            FakeKernelReply.error(sequence: 1, portID: port, code: ENOENT, requestType: UInt16(GENL_ID_CTRL)),
        ])
        #expect {
            _ = try NetlinkConnection(socket: socket).genericFamily(named: "IPVS")
        } throws: { error in
            guard case .missing(let missing) = error as? GenericFamilyError else { return false }
            return missing.description == "the kernel has no IPVS (CONFIG_IP_VS, module ip_vs)"
        }
    }

    @Test func otherRefusalsAreNotAMissingFamily() throws {
        let socket = FakeNetlinkSocket(portID: port, replies: [
            FakeKernelReply.error(sequence: 1, portID: port, code: EPERM, requestType: UInt16(GENL_ID_CTRL)),
        ])
        #expect {
            _ = try NetlinkConnection(socket: socket).genericFamily(named: "IPVS")
        } throws: { error in
            guard case .netlink(let failure) = error as? GenericFamilyError else { return false }
            return failure.code == EPERM
        }
    }

    @Test func anUnknownFamilyIsDescribedGenerically() throws {
        let refusal = KernelError(code: ENOENT, request: "CTRL_CMD_GETFAMILY nope")
        #expect(MissingGenericFamily(name: "nope", error: refusal)?.description == "the kernel has no generic netlink family 'nope'")
        #expect(MissingGenericFamily(name: "nope", error: KernelError(code: EPERM, request: "")) == nil)
    }
}
