/// xorshift64: the same inputs on every build, from integer arithmetic alone.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A value in [-1, 1), exact in Float on every platform.
    mutating func next() -> Float {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Float(Int32(truncatingIfNeeded: state >> 32)) / 2_147_483_648
    }

    /// `count` values scale * [-1, 1) + offset.
    mutating func floats(_ count: Int, scale: Float = 1, offset: Float = 0) -> [Float] {
        (0..<count).map { _ in next() * scale + offset }
    }
}
