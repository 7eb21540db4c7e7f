// The one header through which qrscene code reaches Boost.Asio and Boost.Beast.
//
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>; under g++ 12 that
// fails to compile unless <utility> comes first, so it comes first here, once. Asio and Beast are
// compiled once for the whole build (see src/net/boost_impl.cpp); only net/, service/, sim/ and app/
// may include this header (the layering test checks it).
#pragma once

// clang-format off
#include <utility>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on

namespace qrscene {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
}  // namespace qrscene
