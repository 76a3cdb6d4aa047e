import PodnetKernelModel

/// Why no plan can be made: something podnet does not own is where the topology
/// wants one of its objects. podnet never overwrites what is not its own.
public struct PlanError: Error, Equatable, Sendable, CustomStringConvertible {
    public var conflicts: [String]

    public var description: String {
        "objects podnet does not own are in the way:\n" + conflicts.map { "  - \($0)" }.joined(separator: "\n")
    }
}
