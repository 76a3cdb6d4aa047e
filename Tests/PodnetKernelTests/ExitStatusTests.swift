@testable import PodnetKernel
import Testing

@Suite struct ExitStatusTests {
    @Test func decodesWaitStatus() {
        #expect(ExitStatus(waitStatus: 0) == .exited(0))
        #expect(ExitStatus(waitStatus: 3 << 8) == .exited(3))
        #expect(ExitStatus(waitStatus: 9) == .signaled(9))
        #expect(ExitStatus(waitStatus: 0).isSuccess)
        #expect(!ExitStatus.exited(1).isSuccess)
    }
}
