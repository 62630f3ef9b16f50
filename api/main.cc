#include "api/cli/cli.h"

int main(int argc, char** argv) { return api::RunCli(argc, argv); }
