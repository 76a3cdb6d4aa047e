import Glibc
import Testing

/// Every test that touches the kernel lives in an extension of this suite: serialized,
/// so that the after-test check that no thread is left in a foreign namespace sees
/// only one test's threads, and enabled only as root.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root: creates network namespaces"))
struct KernelTests {}
