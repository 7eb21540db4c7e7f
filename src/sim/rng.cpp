#include "sim/rng.h"

#include <array>

#include "base/encoding.h"

namespace qrscene::sim {
namespace {

std::uint64_t os_seed() {
  std::array<std::uint8_t, 8> b{};
  secure_random_bytes(b);
  std::uint64_t s = 0;
  for (auto byte : b) s = (s << 8) | byte;
  return s == 0 ? 1 : s;
}

}  // namespace

Rng::Rng(std::uint64_t seed) : seed_(seed == 0 ? os_seed() : seed), engine_(seed_) {}

void Rng::fill(std::span<std::uint8_t> out) {
  std::lock_guard lock(mu_);
  for (auto& b : out) b = static_cast<std::uint8_t>(engine_() >> 56);
}

std::uint64_t Rng::next() {
  std::lock_guard lock(mu_);
  return engine_();
}

std::uint64_t Rng::below(std::uint64_t bound) {
  if (bound <= 1) return 0;
  std::lock_guard lock(mu_);
  return std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(engine_);
}

double Rng::unit() {
  std::lock_guard lock(mu_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine_);
}

std::string Rng::text(std::size_t n, std::string_view alphabet) {
  std::lock_guard lock(mu_);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string s(n, '\0');
  for (auto& c : s) c = alphabet[pick(engine_)];
  return s;
}

}  // namespace qrscene::sim
