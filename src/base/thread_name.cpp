#include "base/thread_name.h"

#include <pthread.h>

#include <string>

namespace qrscene {

void name_this_thread(std::string_view name) noexcept {
  const std::string cut(name.substr(0, 15));
  (void)pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace qrscene
