// The `ferrix` command. Glue only: all behaviour lives in the core's command line (cli.hh).
#include "ferrix/cli.hh"

int main(int argc, char** argv) {
    return ferrix::cli::main(argc, argv);
}
