import CMNL
import Glibc
import PodnetAddress
import PodnetKernelModel
@testable import PodnetNetlink
import Testing

/// nf_tables messages byte for byte: the rule is what nft 1.0.6 sends for the same
/// statement (captured with `nft --debug=mnl`); the others are laid out by hand.
@Suite struct NFTablesEncodingTests {
    static let table = NFTable.ID(namespace: .current, name: "podnet-d")

    @Test func aDNATRuleIsWhatNftSends() {
        var batch = NFTablesBatch()
        batch.addRule(NFTRule(NFTExpression.layer4Protocol(equals: 6)
                              + NFTExpression.destinationNAT(to: IPv4Address(10, 200, 0, 2), port: 8080)),
                      to: "e", in: Self.table)
        let request = batch.requests[0]
        #expect(request.type == 0x0a06)  // NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE
        #expect(request.flags == UInt16(NLM_F_CREATE | NLM_F_APPEND))
        expectBytes(request.payload, hexBytes("""
        02 00 00 00                                      # nfgenmsg: AF_INET, v0, res_id 0
        0d 00 01 00 70 6f 64 6e 65 74 2d 64 00 00 00 00  # NFTA_RULE_TABLE "podnet-d"
        06 00 02 00 65 00 00 00                          # NFTA_RULE_CHAIN "e"
        e4 00 04 80                                      # NFTA_RULE_EXPRESSIONS (nested)
          24 00 01 80                                    #   NFTA_LIST_ELEM
            09 00 01 00 6d 65 74 61 00 00 00 00          #     "meta"
            14 00 02 80                                  #     NFTA_EXPR_DATA
              08 00 02 00 00 00 00 10                    #       NFTA_META_KEY l4proto
              08 00 01 00 00 00 00 01                    #       NFTA_META_DREG 1
          2c 00 01 80
            08 00 01 00 63 6d 70 00                      #     "cmp"
            20 00 02 80
              08 00 01 00 00 00 00 01                    #       NFTA_CMP_SREG 1
              08 00 02 00 00 00 00 00                    #       NFTA_CMP_OP eq
              0c 00 03 80 05 00 01 00 06 00 00 00        #       NFTA_CMP_DATA tcp
          2c 00 01 80
            0e 00 01 00 69 6d 6d 65 64 69 61 74 65 00 00 00  # "immediate"
            18 00 02 80
              08 00 01 00 00 00 00 01                    #       NFTA_IMMEDIATE_DREG 1
              0c 00 02 80 08 00 01 00 0a c8 00 02        #       10.200.0.2
          2c 00 01 80
            0e 00 01 00 69 6d 6d 65 64 69 61 74 65 00 00 00
            18 00 02 80
              08 00 01 00 00 00 00 02                    #       NFTA_IMMEDIATE_DREG 2
              0c 00 02 80 06 00 01 00 1f 90 00 00        #       8080, network order
          38 00 01 80
            08 00 01 00 6e 61 74 00                      #     "nat"
            2c 00 02 80
              08 00 01 00 00 00 00 01                    #       NFTA_NAT_TYPE dnat
              08 00 02 00 00 00 00 02                    #       NFTA_NAT_FAMILY ip
              08 00 03 00 00 00 00 01                    #       NFTA_NAT_REG_ADDR_MIN 1
              08 00 05 00 00 00 00 02                    #       NFTA_NAT_REG_PROTO_MIN 2
              08 00 07 00 00 00 00 02                    #       NFTA_NAT_FLAGS proto-specified
        """))
    }

    @Test func aConcatenatedVerdictMapCarriesItsFieldLengthsAndUserdata() {
        var batch = NFTablesBatch()
        batch.addSet(NFTSet(name: "service-ips", keyType: [.ipv4Address, .inetProto, .inetService], dataType: .verdict),
                     in: Self.table)
        let request = batch.requests[0]
        #expect(request.type == 0x0a09)
        #expect(request.flags == UInt16(NLM_F_CREATE | NLM_F_EXCL))
        expectBytes(request.payload, hexBytes("""
        02 00 00 00
        0d 00 01 00 70 6f 64 6e 65 74 2d 64 00 00 00 00  # NFTA_SET_TABLE
        10 00 02 00 73 65 72 76 69 63 65 2d 69 70 73 00  # NFTA_SET_NAME "service-ips"
        08 00 03 00 00 00 00 88                          # NFTA_SET_FLAGS map | concat
        08 00 04 00 00 00 73 0d                          # NFTA_SET_KEY_TYPE (7 << 12 | 12 << 6 | 13)
        08 00 05 00 00 00 00 0c                          # NFTA_SET_KEY_LEN 12
        08 00 06 00 ff ff ff 00                          # NFTA_SET_DATA_TYPE verdict
        08 00 07 00 00 00 00 00                          # NFTA_SET_DATA_LEN 0
        08 00 0a 00 00 00 00 01                          # NFTA_SET_ID 1
        2c 00 09 80                                      # NFTA_SET_DESC
          28 00 02 80                                    #   NFTA_SET_DESC_CONCAT
            0c 00 01 80 08 00 01 00 00 00 00 04          #     field of 4 bytes
            0c 00 01 80 08 00 01 00 00 00 00 01          #     field of 1 byte
            0c 00 01 80 08 00 01 00 00 00 00 02          #     field of 2 bytes
        10 00 0d 00                                      # NFTA_SET_USERDATA
          00 04 00 00 00 00                              #   key byte order: a concatenation
          01 04 00 00 00 00                              #   data byte order: a verdict
        """))
    }

    @Test func aRuleWithAnAnonymousVerdictMapIsPrecededByTheMapAndItsElements() throws {
        var batch = NFTablesBatch()
        batch.addRule(NFTRule(NFTExpression.randomChoice([.goto("a"), .goto("b")])), to: "s", in: Self.table)
        #expect(batch.requests.map(\.type) == [0x0a09, 0x0a0c, 0x0a06])  // NEWSET, NEWSETELEM, NEWRULE
        let set = try NetlinkAttributes(parsing: batch.requests[0].payload.dropFirst(4)[...])
        #expect(set[NFTA_SET_NAME.rawValue]?.string() == "__map%d")
        #expect(try set[NFTA_SET_FLAGS.rawValue]?.u32BigEndian() == 0x0b)  // anonymous | constant | map
        #expect(try set[NFTA_SET_ID.rawValue]?.u32BigEndian() == 1)
        let elements = try NetlinkAttributes(parsing: batch.requests[1].payload.dropFirst(4)[...])
        #expect(try elements[NFTA_SET_ELEM_LIST_SET_ID.rawValue]?.u32BigEndian() == 1)
        expectBytes(Array(elements[NFTA_SET_ELEM_LIST_ELEMENTS.rawValue]!.payload), hexBytes("""
        28 00 01 80                                      # element 0 (as nft sends it)
          0c 00 01 80 08 00 01 00 00 00 00 00            #   key 0 (host order)
          18 00 02 80 14 00 02 80                        #   data: verdict
            08 00 01 00 ff ff ff fc                      #     NFT_GOTO
            06 00 02 00 61 00 00 00                      #     "a"
        28 00 01 80
          0c 00 01 80 08 00 01 00 01 00 00 00
          18 00 02 80 14 00 02 80
            08 00 01 00 ff ff ff fc
            06 00 02 00 62 00 00 00
        """))
        // The lookup names the set as nft does, and by its transaction-local id.
        let rule = try NetlinkAttributes(parsing: batch.requests[2].payload.dropFirst(4)[...])
        let expressions = try rule[NFTA_RULE_EXPRESSIONS.rawValue]!.nested().every(NFTA_LIST_ELEM.rawValue)
        let lookup = try expressions[1].nested()[NFTA_EXPR_DATA.rawValue]!.nested()
        #expect(lookup[NFTA_LOOKUP_SET.rawValue]?.string() == "__map%d")
        #expect(try lookup[NFTA_LOOKUP_SET_ID.rawValue]?.u32BigEndian() == 1)
        #expect(try lookup[NFTA_LOOKUP_DREG.rawValue]?.u32BigEndian() == 0)
    }

    @Test func expressionsReadBackAsWritten() throws {
        let rules: [NFTRule] = [
            NFTRule(NFTExpression.serviceTuple + [NFTExpression.verdictMap(.named("service-ips"))]),
            NFTRule(NFTExpression.conntrackState(NFTConntrackKey.stateNew) + [.verdict(.jump("x"))], comment: "why"),
            NFTRule(NFTExpression.markSetting(0x4000)),
            NFTRule(NFTExpression.ipAddress(.source, in: IPv4Prefix("10.200.0.0/15")!, negated: true) + [.masquerade(flags: NFTNat.fullyRandom)]),
            NFTRule(NFTExpression.ipAddressLoad(.destination) + [NFTExpression.setMembership("s", negated: true), .reject(.tcpReset)]),
            NFTRule([.numberGenerator(NFTNumberGenerator(modulus: 3)), .verdict(.return), .unrecognized(name: "counter", data: [])]),
        ]
        for rule in rules {
            var batch = NFTablesBatch()
            batch.addRule(rule, to: "c", in: Self.table)
            let message = NetlinkMessage(type: batch.requests[0].type, flags: 0, sequence: 0, portID: 0,
                                         payload: batch.requests[0].payload[...])
            #expect(try NFTablesReplies.rule(message).rule == rule)
        }
    }

    @Test func aTransactionIsOneDatagramFramedByBatchBeginAndEnd() throws {
        let socket = FakeNetlinkSocket(acknowledgesEverything: true)
        let connection = NetlinkConnection(socket: socket, firstSequence: 100)
        var batch = NFTablesBatch()
        batch.addTable(Self.table, comment: nil)
        batch.addChain(NFTChain(name: "c"), in: Self.table)
        let result = try connection.executeTransaction(batch.requests)
        #expect(result.isCommitted && result.replies == 1)
        #expect(socket.sent.count == 1)
        let messages = socket.sentMessages
        #expect(messages.map(\.type) == [0x10, 0x0a00, 0x0a03, 0x11])
        #expect(messages.map(\.sequence) == [100, 101, 102, 103])
        #expect(messages.map { $0.flags & UInt16(NLM_F_ACK) != 0 } == [false, false, true, false])
        #expect(Array(messages[0].payload) == [0, 0, 0, 10])  // AF_UNSPEC, v0, res_id NFNL_SUBSYS_NFTABLES
        #expect(Array(messages[3].payload) == [0, 0, 0, 10])
        #expect(messages[1].flags == UInt16(NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL))
    }

    @Test func everyRefusedRequestIsNamedWithTheKernelsMessage() throws {
        let socket = FakeNetlinkSocket(portID: 7)
        let connection = NetlinkConnection(socket: socket, firstSequence: 1)
        var batch = NFTablesBatch()
        batch.addChain(NFTChain(name: "a"), in: Self.table)
        batch.addChain(NFTChain(name: "b"), in: Self.table)
        batch.addChain(NFTChain(name: "c"), in: Self.table)
        // Sequence 1 is the batch begin; the requests are 2, 3, 4.
        socket.replies = [
            FakeKernelReply.error(sequence: 3, portID: 7, code: ENOENT, message: "No such table"),
            FakeKernelReply.error(sequence: 4, portID: 7, code: ENOENT),
        ]
        let result = try connection.executeTransaction(batch.requests)
        #expect(!result.isCommitted)
        #expect(result.failures.map(\.index) == [1, 2])
        #expect(result.failures[0].error.kernelError?.message == "No such table")
        #expect(result.failures[0].error.description.contains("NFT_MSG_NEWCHAIN podnet-d b"))
    }

    @Test func aFailedCommitIsTheTransactionsOwnFailure() throws {
        let socket = FakeNetlinkSocket(portID: 7)
        let connection = NetlinkConnection(socket: socket, firstSequence: 1)
        var batch = NFTablesBatch()
        batch.addTable(Self.table, comment: nil)
        socket.replies = [FakeKernelReply.error(sequence: 1, portID: 7, code: ENOMEM)]
        let result = try connection.executeTransaction(batch.requests)
        #expect(result.failures.map(\.index) == [nil])
        #expect(result.failures[0].error.code == ENOMEM)
    }
}
