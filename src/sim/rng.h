// Rng: the simulator's one source of randomness, so that a run is reproducible from its seed
// (tokens, tickets, urls, openids, nonces, rids, load-mode choices). Seed 0 means "seed from the
// operating system". Not for secrets: the simulator holds none worth protecting.
// Thread safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <span>
#include <string>

namespace qrscene::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0);

  [[nodiscard]] std::uint64_t seed() const noexcept { return seed_; }
  void fill(std::span<std::uint8_t> out);
  [[nodiscard]] std::uint64_t next();
  [[nodiscard]] std::uint64_t below(std::uint64_t bound);  // uniform in [0, bound)
  [[nodiscard]] double unit();                              // uniform in [0, 1)
  // `n` characters drawn from `alphabet`.
  [[nodiscard]] std::string text(std::size_t n, std::string_view alphabet);
  [[nodiscard]] std::string digits(std::size_t n) { return text(n, "0123456789"); }

  static constexpr std::string_view kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

 private:
  std::uint64_t seed_;
  std::mutex mu_;
  std::mt19937_64 engine_;
};

}  // namespace qrscene::sim
