// The compiled bodies of Boost.Asio and Boost.Beast, built once for the whole program.
// Every target that includes net/asio.h links qrscene_boost_impl, which defines
// BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION for it.
#include <utility>  // before Asio: see net/asio.h
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
