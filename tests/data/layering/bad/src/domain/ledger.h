// Fixture for the layering self-test: domain/ must not reach storage or the network.
#pragma once
#include <sqlite3.h>
#include "net/asio.h"
#include "base/result.h"
