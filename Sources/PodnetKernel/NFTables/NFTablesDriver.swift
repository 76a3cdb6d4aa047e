import Glibc
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan

/// Reads and writes the nf_tables tables of one namespace, over a netfilter
/// netlink socket opened inside it.
///
/// Not thread-safe: one caller at a time (it owns one connection).
public final class NFTablesDriver {
    public let connection: NetlinkConnection

    /// A driver over an existing connection (its socket on the netfilter bus, opened
    /// in the namespace whose tables it reads).
    public init(connection: NetlinkConnection) {
        self.connection = connection
    }

    /// A driver for the namespace `namespace`: the socket is opened by a touring
    /// thread inside it, and the caller's thread never moves.
    public convenience init(namespace: NetnsHandle) throws {
        let socket = try NamespaceSockets.open(in: [namespace], bus: .netfilter)[0]
        self.init(connection: NetlinkConnection(socket: socket))
    }

    /// The table as the kernel holds it, or nil when there is none.
    public func read(_ id: NFTable.ID) throws(NetlinkError) -> NFTable? {
        try connection.nfTable(id)
    }

    /// Applies the changes as one atomic transaction: all of them or, on any error,
    /// none. The error names the first refused change (as nft commands) and the
    /// kernel's extended-ACK message.
    /// - Parameter generation: the ruleset generation the changes were planned
    ///   against: if another transaction committed since, the kernel refuses them all
    ///   (ERESTART) rather than apply them over what the plan did not see.
    public func apply(_ changes: [NFTablesChange], generation: UInt32? = nil) throws(NFTablesApplyError) {
        let (requests, owners) = Self.requests(for: changes)
        let result: TransactionResult
        do {
            result = try connection.executeTransaction(requests, generation: generation)
        } catch {
            throw NFTablesApplyError(change: nil, error: error, refusals: 0)
        }
        guard let failure = result.failures.first else { return }
        throw NFTablesApplyError(change: failure.index.map { changes[owners[$0]] }, error: failure.error,
                                 refusals: result.failures.count)
    }

    /// The netlink requests of `changes`, and for each request the index of the
    /// change it belongs to.
    public static func requests(for changes: [NFTablesChange]) -> (requests: [NetlinkRequest], owners: [Int]) {
        var batch = NFTablesBatch()
        var owners: [Int] = []
        for (index, change) in changes.enumerated() {
            switch change {
            case .addTable(let id, let comment): batch.addTable(id, comment: comment)
            case .deleteTable(let id): batch.deleteTable(id)
            case .addChain(let id, let chain): batch.addChain(chain, in: id)
            case .deleteChain(let id, let name): batch.deleteChain(name, in: id)
            case .flushChain(let id, let name): batch.flushChain(name, in: id)
            case .addRule(let id, let chain, let rule): batch.addRule(rule, to: chain, in: id)
            case .addSet(let id, let set): batch.addSet(set, in: id)
            case .deleteSet(let id, let set): batch.deleteSet(set.name, in: id)
            case .addElements(let id, let set, let elements): batch.addElements(elements, to: set, in: id)
            case .deleteElements(let id, let set, let elements): batch.deleteElements(elements, from: set, in: id)
            }
            owners += repeatElement(index, count: batch.requests.count - owners.count)
        }
        return (batch.requests, owners)
    }
}

/// An nftables transaction the kernel refused (nothing of it took effect), or whose
/// exchange broke.
public struct NFTablesApplyError: Error, CustomStringConvertible, Sendable {
    /// The first refused change; nil when the transaction failed as a whole.
    public var change: NFTablesChange?
    public var error: NetlinkError
    /// How many requests the kernel refused.
    public var refusals: Int

    /// The kernel refused the transaction because another one committed since the
    /// ruleset was read (NFNL_BATCH_GENID).
    public var isStale: Bool { change == nil && error.kernelError?.code == ERESTART }

    public var description: String {
        if isStale { return "another program changed podnet's nftables table while podnet was planning: this transaction was not applied; run the command again" }
        guard let change else { return "nftables transaction failed: \(error)" }
        var text = "nftables: \(change.description) (\(change.commands.first ?? "")): \(error)"
        if refusals > 1 { text += " (and \(refusals - 1) more refused requests)" }
        return text
    }
}
