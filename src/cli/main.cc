#include "cli/shell.h"

int main(int argc, char** argv) { return perfledger::cli::Main(argc, argv); }
