import Foundation
import TesseraCore

/// AdamW as `torch.optim.AdamW` computes it on the CPU (the single-tensor path), float
/// operation by float operation, for parameter p, gradient g, step t (per parameter):
///
///     p  = p * (1 - lr * wd)                      decoupled decay, decay group only
///     m  = lerp(m, g, 1 - beta1)                  torch's vectorised lerp: fma(w, g - m, m)
///                                                 (emulated in double, see below)
///     v  = v * beta2 + ((1 - beta2) * g) * g      mul_ then addcmul_
///     denom = sqrt(v) / sqrt(1 - beta2^t) + eps   eps outside the square root
///     p  = p + ((-lr / (1 - beta1^t)) * m) / denom   addcdiv_
///
/// Scalars are computed in double (as Python does) and rounded to float where torch
/// hands them to a float kernel. Frozen parameters are skipped (no step, no decay).
public final class AdamW: @unchecked Sendable {
    public struct Settings: Codable, Equatable, Sendable {
        public var beta1: Double, beta2: Double, eps: Double, weightDecay: Double
        public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0.05) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.eps = eps
            self.weightDecay = weightDecay
        }
    }

    /// torch's per-parameter state: exp_avg, exp_avg_sq and step.
    public final class State: @unchecked Sendable {
        public let m: Tensor, v: Tensor
        public var step: Int
        init(m: Tensor, v: Tensor, step: Int) {
            self.m = m
            self.v = v
            self.step = step
        }
    }

    public var settings: Settings
    public private(set) var state: [String: State] = [:]

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// The state of `parameter`, created (zeros, step 0) on first use as torch does.
    public func state(for parameter: Parameter) -> State {
        if let s = state[parameter.name] { return s }
        let s = State(m: Tensor(zeros: parameter.shape), v: Tensor(zeros: parameter.shape), step: 0)
        state[parameter.name] = s
        return s
    }

    /// Restores one parameter's state (from a checkpoint).
    public func setState(_ name: String, m: Tensor, v: Tensor, step: Int) {
        state[name] = State(m: m.converted(to: .f32), v: v.converted(to: .f32), step: step)
    }

    /// One optimizer step over every trainable parameter at learning rate `lr` times the
    /// parameter's `lrScale` (torch: one param group per scale, its lr set to lr · scale).
    public func step(_ parameters: ParameterSet, lr: Double) {
        for p in parameters.trainable { update(p, lr: lr * p.lrScale) }
    }

    private func update(_ p: Parameter, lr: Double) {
        let s = state(for: p)
        s.step += 1
        let t = Double(s.step)
        // Multiplying by exactly 1 changes nothing, so the no-decay group uses the same loop.
        let decay = p.decays && settings.weightDecay != 0 ? Float(1 - lr * settings.weightDecay) : 1
        let w1 = Float(1 - settings.beta1)
        // torch's lerp_vec: fma(w, end - start, start) for |w| < 0.5, else fma(w - 1, end - start, end).
        let smallWeight = abs(w1) < 0.5
        let lerpCoefficient = Double(smallWeight ? w1 : w1 - 1)
        let beta2 = Float(settings.beta2), oneMinusBeta2 = Float(1 - settings.beta2)
        let stepSize = lr / (1 - pow(settings.beta1, t))
        let negStep = Float(-stepSize)
        let bc2Sqrt = Float((1 - pow(settings.beta2, t)).squareRoot())
        let eps = Float(settings.eps)
        let param = p.data, grad = p.gradData
        let m = s.m.mutableFloatPointer
        let v = s.v.mutableFloatPointer
        let body = { (range: Range<Int>) in
            for i in range {
                let x = param[i] * decay
                let g = grad[i], mi = m[i]
                // The fused multiply-add in double: the product of two floats is exact there, and
                // the sum, rounded twice, differs from a single rounding about once in 2^29 cases
                // (a call to fmaf per element would cost more than the rest of the update).
                let base = smallWeight ? mi : g
                m[i] = Float(Double(base) + lerpCoefficient * Double(g - mi))
                v[i] = v[i] * beta2 + oneMinusBeta2 * g * g
                let denom = v[i].squareRoot() / bc2Sqrt + eps
                param[i] = x + negStep * m[i] / denom
            }
        }
        if p.count < 1 << 15 { body(0..<p.count) } else { Parallel.chunks(p.count, body) }
    }
}
