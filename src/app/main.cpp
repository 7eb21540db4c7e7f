// qrscene: the single binary. Everything happens in qrscene::app::run (src/app/cli.cpp).
#include "app/cli.h"

int main(int argc, char** argv) { return qrscene::app::run(argc, argv); }
