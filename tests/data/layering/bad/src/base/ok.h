// Fixture for the layering self-test: a file with nothing wrong in it.
#pragma once
#include <string>
