// on_blocking: runs blocking work (SQLite, calls to WeChat, the simulator's platform) on a thread pool and resumes the
// awaiting coroutine on its own executor with the result — I/O threads never block. The caller's
// io_context is kept running (outstanding work) until the result is back.
//
// Thread safety: `work` runs on a pool thread; whatever it touches must allow that.
#pragma once

#include <type_traits>
#include <utility>

#include "net/asio.h"

namespace qrscene::net {

template <typename F>
asio::awaitable<std::invoke_result_t<F&>> on_blocking(asio::thread_pool& pool, F work) {
  using T = std::invoke_result_t<F&>;
  auto op = asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
      [&pool, &work](auto done) {
        auto home = asio::prefer(asio::get_associated_executor(done), asio::execution::outstanding_work.tracked);
        asio::post(pool, [&work, done = std::move(done), home]() mutable {
          T result = work();
          asio::post(home, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
        });
      },
      asio::use_awaitable);
  co_return co_await std::move(op);
}

}  // namespace qrscene::net
