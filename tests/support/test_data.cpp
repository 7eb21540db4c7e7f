#include "support/test_data.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace qrscene::testing {

std::filesystem::path source_dir() {
  if (const char* env = std::getenv("QRSCENE_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
  return QRSCENE_SOURCE_DIR_DEFAULT;
}

std::string read_file(const std::filesystem::path& relative) {
  const auto path = source_dir() / relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read test file " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace qrscene::testing
