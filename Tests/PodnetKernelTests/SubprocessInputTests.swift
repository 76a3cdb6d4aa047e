@testable import PodnetKernel
import Testing

/// A child's stdin written by collect(): no process or namespace of its own is
/// involved, so these run without root.
@Suite struct SubprocessInputTests {
    /// Far more than a socket buffer holds, so that writing and reading interleave.
    @Test func aLargeInputReachesTheChildWhileItsOutputIsRead() throws {
        let input = (0..<200_000).map { "line \($0)\n" }.joined()
        let output = try Subprocess.spawn(Command(["cat"]), capturing: true, input: Array(input.utf8)).collect()
        #expect(output.status == .exited(0))
        #expect(output.standardOutputText == input)
    }

    /// A child that exits without reading costs no SIGPIPE and no error of ours.
    @Test func aChildThatDoesNotReadItsInputJustEnds() throws {
        let input = [UInt8](repeating: 65, count: 4 << 20)
        let output = try Subprocess.spawn(Command(["sh", "-c", "exit 7"]), capturing: true, input: input).collect()
        #expect(output.status == .exited(7))
    }

    @Test func anEmptyInputIsAnEndOfFile() throws {
        let output = try Subprocess.spawn(Command(["wc", "-c"]), capturing: true, input: []).collect()
        #expect(output.standardOutputText.trimmingPrefix(while: { $0 == " " }) == "0\n")
    }
}
