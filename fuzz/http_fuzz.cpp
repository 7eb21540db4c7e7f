// Fuzz target: bytes arriving on a connection to `qrscene serve`, as they are — request lines,
// headers, framing (Content-Length, chunked, both), pipelined requests, query strings and bodies —
// through the server's parser, limits, router and every handler (fuzz/service_harness.h). Whatever
// comes in, what goes out is whole HTTP responses and no handler throws.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "service_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qrscene::fuzz;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string out = Service::get().answer(bytes);
  const auto statuses = check_answers(out);
  // Something that looks like a request line is answered.
  if (statuses.empty() && bytes.find("HTTP/1.1\r\n\r\n") == 0) fail("no answer", bytes);
  return 0;
}
