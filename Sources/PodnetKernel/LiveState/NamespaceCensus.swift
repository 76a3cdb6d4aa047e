import PodnetKernelModel
import PodnetNetlink

/// A cluster's namespaces told apart by the mark on their `lo` alone: what destroy
/// needs. Each namespace costs one link dump (two links in a pod's), where reading its
/// live state costs five dumps, and in a node's the sysctls and the nf_tables listing.
public struct NamespaceCensus: Sendable, Equatable {
    /// Named CLUSTER.* and marked as the cluster's, sorted.
    public var owned: [String] = []
    /// Named CLUSTER.* but marked otherwise, or carrying things podnet's empty namespace would not.
    public var unowned: Set<String> = []
    /// Named CLUSTER.*, holding nothing but a down, unmarked lo.
    public var emptyUnmarked: Set<String> = []

    public init() {}
}

extension LiveStateReader {
    /// The census of `cluster`'s namespaces (not in host mode: every owned one counts).
    public func census(of cluster: String) throws -> NamespaceCensus {
        let names = try candidateNamespaces(of: cluster)
        let readings = try NamespaceTour.visitConcurrently(names, in: directory, threads: Self.tours) { _ in
            let connection = NetlinkConnection(socket: try KernelNetlinkSocket.forDumps())
            return Self.classify(try connection.links(), cluster: cluster)
        }
        var census = NamespaceCensus()
        for (name, reading) in zip(names.map(\.rawValue), readings) {
            switch try reading.get() {
            case .owned?: census.owned.append(name)
            case .unowned?: census.unowned.insert(name)
            case .emptyUnmarked?: census.emptyUnmarked.insert(name)
            // Gone between listing and opening, or no namespace mounted on the name.
            case nil: break
            }
        }
        return census
    }

    enum Ownership: Sendable {
        case owned(OwnershipMark)
        case unowned
        case emptyUnmarked
    }

    /// Whose a namespace is, from its links: the cluster's when its `lo` carries the
    /// cluster's mark; empty and unmarked when `lo`, down and without alias, is all it
    /// holds (what a crash right after creating it leaves); anyone else's otherwise.
    static func classify(_ links: [LinkMessage], cluster: String) -> Ownership {
        let lo = links.first { $0.name == "lo" }
        if let mark = lo?.alias.flatMap(OwnershipMark.init(alias:)), mark.isOwned(by: cluster) { return .owned(mark) }
        return links.count == 1 && lo?.alias == nil && lo?.isUp == false ? .emptyUnmarked : .unowned
    }
}
