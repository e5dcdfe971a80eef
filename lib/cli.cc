#include "ferrix/cli.hh"
namespace ferrix::cli {
int main(int, char**) {
    return 1;
}
} // namespace ferrix::cli
