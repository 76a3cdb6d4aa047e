@testable import PodnetKernel

/// Names no user would choose; `ip netns list | grep pntest-ns-` finds any leftover.
enum TestNames {
    static let prefix = "pntest-ns-"

    static func fresh() -> NetnsName {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return try! NetnsName(prefix + suffix)
    }
}
