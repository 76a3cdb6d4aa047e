// swift-tools-version:6.0
import PackageDescription

// The pure core (PodnetAddress, PodnetYAML, PodnetTopology, and the kernel model,
// render and plan stages as they land) never touches the kernel; the I/O shell
// (netlink, kernel driver, CLI) holds no policy. See ../shared/design/ARCHITECTURE.md.
let package = Package(
    name: "podnet",
    products: [
        .executable(name: "podnet", targets: ["podnet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CMNL", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        // What Swift's Glibc module does not export (setns, unshare, CLONE_NEWNET, gettid).
        .target(name: "CPodnetSystem"),

        // Pure core.
        .target(name: "PodnetAddress"),
        .target(name: "PodnetYAML", dependencies: ["CYAML"]),
        .target(name: "PodnetTopology", dependencies: ["PodnetAddress", "PodnetYAML"]),
        // NetworkPolicy's meaning: who may reach whom, from the topology alone.
        .target(name: "PodnetPolicy", dependencies: ["PodnetTopology", "PodnetAddress"]),
        .target(name: "PodnetKernelModel", dependencies: ["PodnetAddress"]),
        .target(name: "PodnetRender", dependencies: ["PodnetTopology", "PodnetKernelModel", "PodnetPolicy"]),
        .target(name: "PodnetPlan", dependencies: ["PodnetKernelModel", "PodnetAddress"]),

        // I/O shell. PodnetKernel: System/ is the one door to the OS (syscalls wrapped
        // once, typed errno, EINTR retried); Namespace/ the named network namespaces.
        // PodnetNetlink knows the kernel model for nf_tables: its rules are the kernel's
        // own expressions, so the codec reads and writes the model directly.
        .target(name: "PodnetNetlink", dependencies: ["CMNL", "PodnetAddress", "PodnetKernelModel"]),
        .target(name: "PodnetKernel", dependencies: ["CPodnetSystem", "PodnetNetlink", "PodnetKernelModel", "PodnetPlan"]),

        // Command-line front end.
        .executableTarget(name: "podnet", dependencies: [
            "PodnetAddress", "PodnetTopology", "PodnetRender", "PodnetKernel", "PodnetKernelModel", "PodnetPlan", "PodnetPolicy",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Benchmarks: programs that print figures against peers, never timed tests.
        .executableTarget(name: "podnet-bench", dependencies: [
            "PodnetKernel", "PodnetNetlink", "PodnetAddress", "PodnetKernelModel", "PodnetPlan", "PodnetRender", "PodnetTopology",
        ]),

        .testTarget(name: "PodnetYAMLTests", dependencies: ["PodnetYAML"]),
        .testTarget(name: "PodnetPolicyTests", dependencies: ["PodnetPolicy", "PodnetTopology"]),
        .testTarget(name: "PodnetAddressTests", dependencies: ["PodnetAddress"]),
        .testTarget(name: "PodnetRenderTests", dependencies: ["PodnetRender", "PodnetPlan"]),
        .testTarget(name: "PodnetPlanTests", dependencies: ["PodnetPlan", "PodnetRender"]),
        // Kernel tests run as root in namespaces they create and always remove.
        .testTarget(name: "PodnetNetlinkTests", dependencies: ["PodnetNetlink", "CMNL", "CPodnetSystem"]),
        .testTarget(name: "PodnetKernelTests", dependencies: ["PodnetKernel", "PodnetRender", "PodnetTopology"]),
        // End to end: runs the built podnet binary.
        .testTarget(name: "PodnetCLITests", dependencies: ["podnet"]),
        // Fixtures are read from the source tree (see RepositoryPaths), not bundled.
        .testTarget(name: "PodnetTopologyTests", dependencies: ["PodnetTopology"],
                    exclude: ["Fixtures"]),
    ]
)
