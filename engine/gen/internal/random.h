#pragma once

#include <bit>
#include <cstdint>
#include <random>

namespace engine::gen {

// Random numbers that are the same for a seed on every platform and standard
// library: std::mt19937_64 is specified bit for bit, the std:: distributions are
// not, so every distribution here is integer math of our own. Doubles are only
// ever built by one IEEE division (correctly rounded everywhere), never by libm.
// Threading: one owner.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  uint64_t Bits() { return engine_(); }

  // Uniform in [0, n) for n > 0 (multiply-shift: bias below 2^-32, no loop).
  uint32_t Below(uint32_t n) {
    return static_cast<uint32_t>(((Bits() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }

  // Uniform in [lo, hi] for lo <= hi < lo + 2^32.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint32_t>(hi - lo + 1)));
  }

  // True with probability per_mille / 1000.
  bool PerMille(uint32_t per_mille) { return Below(1000) < per_mille; }

  // An Exp(1) variate, -ln(U), in Q16 fixed point (65536 = 1.0); at most ~22.2.
  uint64_t ExpQ16() { return NegLnQ16(static_cast<uint32_t>(Bits() >> 32) | 1u); }

  // An approximately standard normal variate (Irwin-Hall sum of four 16-bit
  // uniforms, centred), in units of kNormalSd: tails end at about 3.46 sd.
  int64_t Normal() {
    const uint64_t b = Bits();
    const int64_t sum = static_cast<int64_t>((b & 0xFFFF) + ((b >> 16) & 0xFFFF) +
                                             ((b >> 32) & 0xFFFF) + (b >> 48));
    return sum - 2 * 0xFFFF;
  }
  // One standard deviation of Normal(): 65536 * sqrt(4 / 12).
  static constexpr int64_t kNormalSd = 37837;

  // -ln(u / 2^32) in Q16 for u in [1, 2^32): log2 by repeated squaring of the
  // mantissa (16 fraction bits), then times ln 2.
  static uint64_t NegLnQ16(uint32_t u) {
    const int exponent = 31 - std::countl_zero(u);
    uint64_t m = static_cast<uint64_t>(u) << (31 - exponent);  // mantissa in [1, 2), Q31
    uint64_t fraction = 0;
    for (int i = 0; i < 16; ++i) {
      m = (m * m) >> 31;
      fraction <<= 1;
      if (m >= (uint64_t{1} << 32)) {
        m >>= 1;
        fraction |= 1;
      }
    }
    const uint64_t log2_u = (static_cast<uint64_t>(exponent) << 16) + fraction;
    const uint64_t neg_log2 = (uint64_t{32} << 16) - log2_u;
    return (neg_log2 * 45426) >> 16;  // 45426 / 65536 = ln 2
  }

 private:
  std::mt19937_64 engine_;
};

// SplitMix64's finalizer: a good 64-bit mix for deriving per-account traits from
// (seed, index) without storing them.
constexpr uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A log-normal amount in cents: `median_cents` times 2^(sigma64 / 64 * z) for an
// approximately standard normal z, clamped to [min_cents, max_cents]. Integer
// math only (a 65-entry table of 2^(i/64), interpolated).
int64_t LogNormalCents(Random& random, int64_t median_cents, int64_t sigma64, int64_t min_cents,
                       int64_t max_cents);

}  // namespace engine::gen
