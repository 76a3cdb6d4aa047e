@testable import podnet
import Testing

/// The numbers podnet prints (elapsed seconds, timing), without String(format:).
@Suite struct FixedPointTests {
    @Test(arguments: [
        (1.2345, 2, "1.23"), (1.236, 2, "1.24"), (0.004, 2, "0.00"), (0.005, 2, "0.01"), (12.0, 1, "12.0"),
        (9.996, 2, "10.00"), (-1.5, 1, "-1.5"), (-0.001, 2, "0.00"), (3.7, 0, "4"), (123.456, 3, "123.456"),
    ])
    func roundsToTheGivenPlaces(value: Double, places: Int, expected: String) {
        #expect(FixedPoint.text(value, places: places) == expected)
    }

    @Test func padsToAWidth() {
        #expect(FixedPoint.text(5.24, places: 1, width: 7) == "    5.2")
        #expect(FixedPoint.text(12345.6, places: 1, width: 3) == "12345.6")
    }
}
