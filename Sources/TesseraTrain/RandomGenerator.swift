import Foundation

/// xoshiro256** (Blackman & Vigna): a small, fast generator whose whole state is four
/// words, so a training checkpoint can store it and resume the exact stream.
public struct RandomGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    public private(set) var state: [UInt64]

    /// Seeds the four words from SplitMix64, as the authors recommend.
    public init(seed: UInt64) {
        var s = seed
        state = (0..<4).map { _ in
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Restores a saved state (four words, not all zero).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        self.state = state
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box-Muller; the second value is not kept, so the state alone
    /// determines the stream).
    public mutating func normal() -> Double {
        let u1 = 1 - uniform(), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Normal(mean, std) truncated to [low, high] (absolute bounds, as torch's
    /// `trunc_normal_(a, b)`), by rejection.
    public mutating func truncatedNormal(mean: Double = 0, std: Double, low: Double = -2, high: Double = 2) -> Double {
        while true {
            let x = mean + std * normal()
            if x >= low && x <= high { return x }
        }
    }
}

extension RandomGenerator {
    /// Fisher-Yates from the end: `values` in an order drawn from this generator (index j of
    /// position i uniform below i + 1 by rejection, `next(upperBound:)`, so none is favoured).
    public mutating func shuffled<T>(_ values: [T]) -> [T] {
        var result = values
        for i in stride(from: result.count - 1, to: 0, by: -1) { result.swapAt(i, Int(next(upperBound: UInt64(i + 1)))) }
        return result
    }
}
