// The processors ferrix may run on: its affinity mask, as taskset narrows it, not the machine's.
#include "ferrix/cores.hh"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ferrix;

TEST(Cores, CountTheAffinityMask) {
    cpu_set_t set;
    CPU_ZERO(&set);
    ASSERT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
    EXPECT_EQ(usableCores(), unsigned(CPU_COUNT(&set)));
    // A child narrowed to its first processor counts one, whatever the machine has.
    int first = 0;
    while (!CPU_ISSET(first, &set))
        first++;
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(first, &one);
        if (::sched_setaffinity(0, sizeof one, &one) != 0) ::_exit(2);
        ::_exit(usableCores() == 1 ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}
